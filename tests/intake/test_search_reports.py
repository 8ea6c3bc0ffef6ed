"""The static site's search tells the service what it saw: queries that found nothing and
the pages readers opened from the results, with nothing that identifies the reader."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.kb import search_counts
from intake.models import SearchMiss, SearchOpen
from intake.state import state

URL = "/api/v1/eur/kb/searches"


def beacon(client: FlaskClient, body: Any, tenant: str = "eur") -> Any:
    """Send a report as the site's navigator.sendBeacon does: JSON as text/plain."""
    data = body if isinstance(body, str) else json.dumps(body)
    url = URL.replace("eur", tenant)
    return client.post(url, data=data, content_type="text/plain;charset=UTF-8")


def counts(app: Flask, tenant: str = "eur") -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    state(app).search_counts.flush()  # what the process's writer does each second
    with state(app).db.read(tenant) as session:
        misses = {m.query: m.count for m in session.scalars(select(SearchMiss))}
        opens = {(o.query, o.page): o.count for o in session.scalars(select(SearchOpen))}
    return misses, opens


def test_a_search_that_found_nothing_and_the_pages_opened_are_counted(
    app: Flask, client: FlaskClient
) -> None:
    for _ in range(2):
        told = beacon(client, {"query": "Dark  MODE"})
        assert told.status_code == 204 and "Content-Type" not in told.headers  # no body
    # One query however its accents were typed: composed, or a letter and a combining accent.
    for typed in ("r\u00e9sum\u00e9", "re\u0301sume\u0301"):
        assert beacon(client, {"query": typed}).status_code == 204
    answers = [
        beacon(client, {"query": "refnd", "opened": "/eur/articles/refunds/"}),
        beacon(client, {"query": "refund", "opened": "/eur/articles/refunds/#timing"}),
        beacon(client, {"query": "refund", "opened": "/eur/faq/refund-time/"}),  # own page
        beacon(client, {"query": "refund", "opened": "/eur/faq/#refund-time"}),  # its entry
    ]
    assert [a.status_code for a in answers] == [204] * 4
    misses, opens = counts(app)
    assert misses == {"dark mode": 2, "r\u00e9sum\u00e9": 2}
    assert opens == {
        ("refnd", "/eur/articles/refunds/"): 1,
        ("refund", "/eur/articles/refunds/"): 1,
        ("refund", "/eur/faq/refund-time/"): 2,
    }
    assert counts(app, "km") == ({}, {})  # another tenant's counts are its own


def test_a_day_keeps_a_bounded_number_of_different_queries(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_counts, "NEW_PER_DAY", 3)
    for word in ["alpha", "bravo", "charlie", "delta", "echo", "alpha"]:
        assert beacon(client, {"query": word}).status_code == 204
    for word in ["w1", "w2", "w3", "w4", "w1"]:
        report = {"query": word, "opened": "/eur/articles/refunds/"}
        assert beacon(client, report).status_code == 204
    misses, opens = counts(app)
    assert misses == {"alpha": 2, "bravo": 1, "charlie": 1}  # the kept ones go on counting
    assert {query: n for (query, _page), n in opens.items()} == {"w1": 2, "w2": 1, "w3": 1}
    assert beacon(client, {"query": "foxtrot"}, tenant="km").status_code == 204
    assert counts(app, "km")[0] == {"foxtrot": 1}  # each tenant has its own room


def test_later_counts_add_to_the_days_rows(app: Flask, client: FlaskClient) -> None:
    first = [{"query": "sso"}, {"query": "refund", "opened": "/eur/articles/refunds/"}]
    later = [
        {"query": "sso"},
        {"query": "SSO "},
        {"query": "vpn"},
        {"query": "refund", "opened": "/eur/articles/refunds/"},
        {"query": "refund", "opened": "/eur/faq/refund-time/"},  # the same words, another page
    ]
    for report in first:
        assert beacon(client, report).status_code == 204
    counts(app)  # written: the later ones find their rows
    for report in later:
        assert beacon(client, report).status_code == 204
    misses, opens = counts(app)
    assert misses == {"sso": 3, "vpn": 1}
    assert opens == {
        ("refund", "/eur/articles/refunds/"): 2,
        ("refund", "/eur/faq/refund-time/"): 1,
    }


def test_counts_wait_in_memory_within_a_bound_and_are_written_when_the_process_stops(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_counts, "PENDING_MAX", 2)
    monkeypatch.setattr(search_counts, "FLUSH_SECONDS", 3600.0)  # only close() writes them
    for word in ["alpha", "bravo", "charlie", "alpha"]:
        assert beacon(client, {"query": word}).status_code == 204
    with state(app).db.read("eur") as session:
        assert session.scalars(select(SearchMiss)).all() == []  # no write per search
    state(app).background.stop()  # as a worker on its way out
    with state(app).db.read("eur") as session:
        assert {m.query: m.count for m in session.scalars(select(SearchMiss))} == {
            "alpha": 2, "bravo": 1}  # fmt: skip


def test_json_sent_as_json_is_read_too(app: Flask, client: FlaskClient) -> None:
    assert client.post(URL, json={"query": "sso"}).status_code == 204
    assert counts(app)[0] == {"sso": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"opened": "/eur/articles/refunds/"}, "query"),
        ({"query": ""}, "query"),
        ({"query": "a\u2028b"}, "query"),
        ({"query": "x", "who": "ada@example.com"}, "who"),  # nothing about the reader is taken
        ({"query": "x", "opened": "/eur/articles/\x07refunds/"}, "opened"),
        ("not json", None),
        ("[1, 2]", None),
    ],
)
def test_a_bad_report_names_what_is_wrong_and_counts_nothing(
    app: Flask, client: FlaskClient, body: Any, field: str | None
) -> None:
    answer = beacon(client, body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == field
    assert counts(app) == ({}, {})


@pytest.mark.parametrize(
    "page", ["/eur/articles/no-such/", "/km/articles/troubleshoot-429-errors/", "/eur/faq/nope/"]
)
def test_only_a_published_page_of_the_tenant_counts_as_opened(
    app: Flask, client: FlaskClient, page: str
) -> None:
    answer = beacon(client, {"query": "x", "opened": page})
    assert answer.status_code == 404
    assert answer.get_json()["error"]["field"] == "opened"
    assert counts(app) == ({}, {})
