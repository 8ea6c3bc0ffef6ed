"""The site's search forms: where a query goes with and without JavaScript, and what a search
that finds nothing offers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from kbgen.build import build
from kbgen.config import BuildOptions
from tests.conftest import Project


def opening_tag(html: str, marker: str) -> str:
    """Return the whole opening tag that contains `marker`."""
    at = html.index(marker)
    return html[html.rindex("<", 0, at) : html.index(">", at) + 1]


def built(project: Project) -> Path:
    project.article("start/setup.md", "title: Set up\ncategory: getting_started\nfeatured: true")
    build(BuildOptions(root=project.root, quiet=True, today=dt.date(2026, 11, 25)))
    return project.root / "site"


def test_with_a_service_forms_reach_its_search_page_without_javascript(project: Project) -> None:
    site = built(project)  # eur's ticket form is on https://desk.test
    for page in ("index.html", "articles/welcome/index.html", "search/index.html"):
        html = (site / "eur" / page).read_text()
        header = opening_tag(html, 'class="header-search"')
        assert 'action="https://desk.test/eur/tickets/search"' in header, page
        assert 'data-results="/eur/search/"' in header  # search-box.js: the static results
        assert "/eur/assets/search-box." in html
    home = (site / "eur" / "index.html").read_text()
    assert 'action="https://desk.test/eur/tickets/search"' in opening_tag(home, "hero-search")
    search = (site / "eur" / "search" / "index.html").read_text()
    noscript = search.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert 'action="https://desk.test/eur/tickets/search"' in noscript
    assert "Search needs JavaScript" not in noscript


def test_on_a_static_host_forms_stay_on_the_site(project: Project) -> None:
    site = built(project)  # km has no service
    html = (site / "km" / "index.html").read_text()
    assert 'action="/km/search/"' in opening_tag(html, 'class="header-search"')
    search = (site / "km" / "search" / "index.html").read_text()
    noscript = search.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert "Search needs JavaScript" in noscript and 'href="/km/faq/"' in noscript
    assert "contact support" not in search.split('id="no-results"', 1)[1]


def test_a_search_that_finds_nothing_offers_popular_articles(project: Project) -> None:
    site = built(project)
    search = (site / "eur" / "search" / "index.html").read_text()
    offered = search.split('id="no-results"', 1)[1].split("</section>", 1)[0]
    assert opening_tag(search, 'id="no-results"').endswith("hidden>")  # search.js shows it
    assert re.findall(r'<a href="(/eur/articles/[^"]+)"', offered) == ["/eur/articles/setup/"]
    assert 'href="https://desk.test/eur/tickets/new">contact support</a>' in offered
