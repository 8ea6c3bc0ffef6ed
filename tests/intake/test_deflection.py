"""Suggestions while typing a subject, and deflections: opened, then no ticket sent."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from intake.kb.feedback import deflections
from intake.state import state
from tests.intake.conftest import form_fields, ticket_form


def counts(app: Flask, tenant: str = "eur") -> dict[str, int]:
    with state(app).db.read(tenant) as session:
        return deflections(session)


def test_suggestions_match_the_subject_and_stop_at_five(client: FlaskClient) -> None:
    found = client.get("/eur/tickets/suggestions?q=refund").get_json()["suggestions"]
    assert found[0]["slug"] == "refunds" and found[0]["url"] == "/eur/articles/refunds/"
    broad = client.get("/eur/tickets/suggestions?q=account password api billing invoice").get_json()
    assert len(broad["suggestions"]) == 5
    assert client.get("/eur/tickets/suggestions?q=").get_json()["suggestions"] == []
    # The form's script asks for JSON: an error comes back as JSON too, as the page's reads it.
    nowhere = client.get("/nope/tickets/suggestions?q=x", headers={"Accept": "application/json"})
    assert nowhere.status_code == 404 and nowhere.get_json()["error"]["message"] == "Not found."
    page = client.get("/nope/tickets/suggestions?q=x", headers={"Accept": "text/html,*/*"})
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_an_opened_suggestion_without_a_ticket_counts_as_deflected(
    client: FlaskClient, app: Flask
) -> None:
    fields = form_fields(client.get("/eur/tickets/new").get_data(as_text=True))
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,40}", fields["visit_id"])
    opened = client.post(
        "/eur/tickets/suggestions/opened", data={**fields, "kind": "article", "slug": "refunds"}
    )
    assert opened.status_code == 204
    client.post(
        "/eur/tickets/suggestions/opened", data={**fields, "kind": "faq", "slug": "refund-time"}
    )
    client.post(
        "/eur/tickets/suggestions/opened", data={**fields, "kind": "article", "slug": "refunds"}
    )
    assert counts(app) == {"article:refunds": 1, "faq:refund-time": 1}


def test_a_visit_that_sends_a_ticket_is_not_a_deflection(client: FlaskClient, app: Flask) -> None:
    fields = form_fields(client.get("/eur/tickets/new").get_data(as_text=True))
    client.post(
        "/eur/tickets/suggestions/opened", data={**fields, "kind": "article", "slug": "refunds"}
    )
    sent = client.post("/eur/tickets/new", data={**fields, **ticket_form()})
    assert sent.status_code == 303
    assert counts(app) == {}


def test_bad_open_events_are_refused(client: FlaskClient, app: Flask) -> None:
    fields = form_fields(client.get("/eur/tickets/new").get_data(as_text=True))
    bad = [
        {"kind": "article", "slug": "no-such-article"},
        {"kind": "video", "slug": "refunds"},
        {"kind": "article", "slug": "refunds", "visit_id": "<x>"},
    ]
    for extra in bad:
        assert client.post(
            "/eur/tickets/suggestions/opened", data={**fields, **extra}
        ).status_code in (400, 404)
    no_csrf = client.post(
        "/eur/tickets/suggestions/opened",
        data={"visit_id": fields["visit_id"], "kind": "article", "slug": "refunds"},
    )
    assert no_csrf.status_code == 400
    assert counts(app) == {}
