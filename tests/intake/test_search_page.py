"""The help center's search as a page of the service: where the site's search forms go
without JavaScript."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake.models import KnowledgeBaseArticle, SearchMiss
from intake.state import state


def results(html: str) -> list[tuple[str, str]]:
    """Return the (address, title) of each result of a search page, in order."""
    listed = html.split('<ol class="search-results">', 1)[-1].split("</ol>", 1)[0]
    return re.findall(r'<li>\s*<a href="([^"]+)">([^<]+)</a>', listed)


def test_a_misspelt_query_finds_the_article_with_what_it_is(client: FlaskClient) -> None:
    page = client.get("/eur/tickets/search?q=refnd")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert results(html)[0] == ("/eur/articles/refunds/", "Request a refund")
    assert '<p class="result-kind">Article · Billing</p>' in html
    assert "results for <strong>refnd</strong>" in html
    assert 'value="refnd"' in html  # the query stays in the box, to be refined
    assert 'id="no-results-h"' not in html


def test_service_pages_wear_the_tenants_brand_and_search_here(client: FlaskClient) -> None:
    form = client.get("/eur/tickets/new").get_data(as_text=True)
    header = form.split('<form class="header-search"', 1)[1].split(">", 1)[0]
    assert 'action="/eur/tickets/search"' in header
    assert "data-results" not in header  # no as-you-type box: that one is the static site's
    # The sample's site.yaml gives eur a logo, a favicon and accents (the site's brand.css).
    assert '<img class="brand-logo" src="/eur/images/brand/logo.svg" alt="">' in form
    assert '<link rel="icon" href="/eur/images/brand/favicon.svg">' in form
    assert re.search(r'<link rel="stylesheet" href="/eur/assets/brand\.[0-9a-f]{10}\.css">', form)
    assert 'href="https://status.nimbus.example">System status</a>' in form


def test_nothing_found_offers_popular_articles_and_support(app: Flask, client: FlaskClient) -> None:
    with state(app).db.write("eur") as session:
        session.execute(
            update(KnowledgeBaseArticle)
            .where(KnowledgeBaseArticle.slug == "two-factor-authentication")
            .values(helpful_yes=9)
        )
    html = client.get("/eur/tickets/search?q=quokka+zebra").get_data(as_text=True)
    assert "0 results for <strong>quokka zebra</strong>" in html
    offered = html.split('id="no-results-h"', 1)[1]
    popular = re.findall(r'<li><a href="([^"]+)">', offered)
    assert len(popular) == 5 and popular[0] == "/eur/articles/two-factor-authentication/"
    assert 'href="/eur/tickets/new">contact support</a>' in offered
    assert 'href="/eur/faq/">' in offered
    state(app).search_counts.flush()  # what the process's writer does each second
    with state(app).db.read("eur") as session:
        counted = {m.query: m.count for m in session.scalars(select(SearchMiss))}
    assert counted == {"quokka zebra": 1}  # what to write next, on the dashboard


def test_an_empty_query_shows_the_form_and_counts_nothing(app: Flask, client: FlaskClient) -> None:
    html = client.get("/eur/tickets/search?q=++").get_data(as_text=True)
    assert '<input id="q" type="search" name="q" value=""' in html
    assert "results for" not in html and 'id="no-results-h"' not in html
    with state(app).db.read("eur") as session:
        assert not session.scalars(select(SearchMiss)).all()


def test_queries_are_escaped_and_tenants_kept_apart(client: FlaskClient) -> None:
    html = client.get("/eur/tickets/search", query_string={"q": '"><script>x</script>'})
    text = html.get_data(as_text=True)
    assert "<script>x" not in text and "&lt;script&gt;x" in text
    km = client.get("/km/tickets/search?q=refund").get_data(as_text=True)
    assert results(km) and all(url.startswith("/km/") for url, _title in results(km))
    assert client.get("/nope/tickets/search?q=refund").status_code == 404
