"""The JSON API: the same ticket flow as the form, and the knowledge base."""

from __future__ import annotations

import datetime as dt
import io
import time
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake.api.schemas import parse
from intake.db import Database
from intake.web.uploads import read_uploads
from tests.intake.conftest import PNG, api_ticket


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_read_reply_resolve(client: FlaskClient) -> None:
    created = api_ticket(client, subject="Webhook deliveries fail", category="technical")
    ticket, token = created["ticket"], created["token"]
    assert ticket["reference"] == "EUR-10001" and ticket["status"] == "open"
    assert created["url"] == f"http://desk.test/eur/tickets/EUR-10001/{token}"
    ref = ticket["reference"]
    reply = client.post(
        f"/api/v1/eur/tickets/{ref}/replies", json={"body": "More detail."}, headers=auth(token)
    )
    assert reply.status_code == 201 and reply.get_json()["reply"]["author"] == "customer"
    read = client.get(f"/api/v1/eur/tickets/{ref.lower()}", headers=auth(token)).get_json()[
        "ticket"
    ]
    assert read["subject"] == "Webhook deliveries fail"
    assert [r["body"] for r in read["replies"]] == ["More detail."]
    resolved = client.post(f"/api/v1/eur/tickets/{ref}/resolve", headers=auth(token))
    assert resolved.get_json()["ticket"]["status"] == "resolved"


def test_upload_and_download_with_the_token(client: FlaskClient) -> None:
    created = api_ticket(client)
    ref, token = created["ticket"]["reference"], created["token"]
    up = client.post(
        f"/api/v1/eur/tickets/{ref}/attachments",
        data={"file": (io.BytesIO(PNG), "screen.png"), "body": "See the screenshot."},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert up.status_code == 201
    item: dict[str, Any] = up.get_json()["reply"]["attachments"][0]
    assert item["name"] == "screen.png" and item["content_type"] == "image/png"
    with client.get(
        f"/api/v1/eur/tickets/{ref}/attachments/{item['id']}", headers=auth(token)
    ) as got:
        assert got.data == PNG and got.headers["Content-Disposition"].startswith("attachment;")
    refused = client.post(
        f"/api/v1/eur/tickets/{ref}/attachments",
        data={"file": (io.BytesIO(b"MZ" + b"\x00" * 90), "tool.png")},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "file"


def test_errors_have_one_shape(client: FlaskClient) -> None:
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    cases = [
        (client.get(f"/api/v1/eur/tickets/{ref}"), 401, "Authorization"),
        (client.get(f"/api/v1/eur/tickets/{ref}", headers=auth("wrong")), 404, None),
        (client.post("/api/v1/eur/tickets", data="not json"), 400, None),
        (client.post("/api/v1/eur/tickets", json=[1, 2]), 400, None),
        (client.get("/api/v1/eur/nothing-here"), 404, None),
        (client.delete("/api/v1/eur/tickets"), 405, None),
        (client.get("/api/v1/eur/kb/search?q=x&limit=99"), 400, "limit"),
        (client.get("/api/v1/eur/kb/articles?category=nope"), 400, "category"),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.get_json()
        body = response.get_json()
        assert list(body) == ["error"] and sorted(body["error"]) == ["field", "message"]
        assert body["error"]["field"] == field and body["error"]["message"]


def test_search_lists_and_feedback(client: FlaskClient) -> None:
    hits = client.get("/api/v1/eur/kb/search?q=refunds&limit=3").get_json()["results"]
    assert hits[0]["slug"] == "refunds" and len(hits) <= 3
    hostile = client.get("/api/v1/eur/kb/search", query_string={"q": '"(AND [' * 2000})
    assert hostile.status_code == 200
    articles = client.get("/api/v1/eur/kb/articles").get_json()["articles"]
    assert any(a["slug"] == "refunds" for a in articles)
    billing = client.get("/api/v1/eur/kb/articles?category=billing").get_json()["articles"]
    assert billing and all(a["category"] == "billing" for a in billing)
    faqs = client.get("/api/v1/km/kb/faqs").get_json()["faqs"]
    assert faqs and all({"slug", "question", "category", "url"} <= set(f) for f in faqs)
    for helpful in (True, True, False):
        answer = client.post("/api/v1/eur/kb/articles/refunds/feedback", json={"helpful": helpful})
        assert answer.status_code == 201
    assert answer.get_json() == {"slug": "refunds", "helpful_yes": 2, "helpful_no": 1}
    counted = [
        a
        for a in client.get("/api/v1/eur/kb/articles").get_json()["articles"]
        if a["slug"] == "refunds"
    ]
    assert counted[0]["helpful_yes"] == 2
    missing = client.post("/api/v1/km/kb/articles/refunds/feedback", json={"helpful": True})
    assert missing.status_code == 404
    for odd in ("yes", "false", 1, 0, None):  # JSON's true and false only
        refused = client.post("/api/v1/eur/kb/articles/refunds/feedback", json={"helpful": odd})
        assert refused.status_code == 400, odd
        assert refused.get_json()["error"]["field"] == "helpful"


def test_the_sites_pages_may_send_feedback_from_another_host(client: FlaskClient) -> None:
    """The static site may be served elsewhere: its "Was this helpful?" buttons post JSON here,
    so the browser asks first (a preflight), and only the tenant's own site is let through."""
    url = "/api/v1/eur/kb/articles/refunds/feedback"
    site = "https://help.nimbus.example"  # eur's base_url in the sample site.yaml
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    asked = client.options(url, headers={"Origin": site, **preflight})
    assert asked.status_code == 200
    assert asked.headers["Access-Control-Allow-Origin"] == site
    assert "Content-Type" in asked.headers["Access-Control-Allow-Headers"]
    sent = client.post(url, json={"helpful": True}, headers={"Origin": site})
    assert sent.status_code == 201 and sent.headers["Access-Control-Allow-Origin"] == site
    for other in ("https://evil.example", "https://support.kestrel.example"):  # km's site
        refused = client.options(url, headers={"Origin": other})
        assert "Access-Control-Allow-Origin" not in refused.headers
    search = client.get("/api/v1/eur/kb/search?q=refunds", headers={"Origin": site})
    assert "Access-Control-Allow-Origin" not in search.headers  # only feedback is the site's


def test_feedback_preflights_and_unknown_tenants_are_plain_answers(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    site = "https://help.nimbus.example"
    url = "/api/v1/eur/kb/articles/refunds/feedback"
    for _ in range(31):  # the limit is 30 answers a minute: a preflight is not an answer
        asked = client.options(
            url, headers={"Origin": site, "Access-Control-Request-Method": "POST"}
        )
        assert asked.status_code == 200
    assert client.post(url, json={"helpful": True}, headers={"Origin": site}).status_code == 201
    nowhere = client.post("/api/v1/nosuch/kb/articles/refunds/feedback", json={"helpful": True},
                          headers={"Origin": site})  # fmt: skip
    assert nowhere.status_code == 404
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_the_body_is_read_before_the_write_session_opens(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api_ticket(client)
    ref, token = created["ticket"]["reference"], created["token"]
    events: list[str] = []
    write = Database.write

    def opening(self: Database, tenant_id: str) -> Any:
        events.append("session write=True")
        return write(self, tenant_id)

    def parsing(model: Any, data: object) -> Any:
        events.append("body read")
        return parse(model, data)

    def reading(field: str) -> Any:
        events.append("body read")
        return read_uploads(field)

    monkeypatch.setattr(Database, "write", opening)
    monkeypatch.setattr("intake.api.tickets.parse", parsing)
    monkeypatch.setattr("intake.api.tickets.read_uploads", reading)
    reply = client.post(
        f"/api/v1/eur/tickets/{ref}/replies", json={"body": "More."}, headers=auth(token)
    )
    assert reply.status_code == 201
    up = client.post(
        f"/api/v1/eur/tickets/{ref}/attachments",
        data={"file": (io.BytesIO(PNG), "screen.png")},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert up.status_code == 201
    # On SQLite the write session holds the writer lock: a slow upload must not be inside it.
    assert events == ["body read", "session write=True"] * 2


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("bell \x07 in here", 400),
        ("x" * 10_001, 400),
        ("x" * 5_000, 201),  # kept whole, as a reply of that length is
        ("  ", 201),
    ],
)
def test_the_upload_note_follows_the_rules_of_a_reply(
    client: FlaskClient, note: str, status: int
) -> None:
    created = api_ticket(client)
    ref, token = created["ticket"]["reference"], created["token"]
    up = client.post(
        f"/api/v1/eur/tickets/{ref}/attachments",
        data={"file": (io.BytesIO(PNG), "screen.png"), "body": note},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert up.status_code == status, up.get_json()
    read = client.get(f"/api/v1/eur/tickets/{ref}", headers=auth(token)).get_json()["ticket"]
    if status == 400:
        assert up.get_json()["error"]["field"] == "body"
        assert read["replies"] == []
    else:
        assert [r["body"] for r in read["replies"]] == [note.strip() or "(files attached)"]


def test_search_queries_are_cut_and_rate_limited(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched: list[str] = []

    def suggest(_tenant: str, query: str, *_args: Any) -> list[dict[str, Any]]:
        searched.append(query)
        return []

    monkeypatch.setattr("intake.api.kb.search.suggest", suggest)
    clock = [time.time()]  # the limiter's clock, moved by hand
    monkeypatch.setattr("limits.storage.memory.time", SimpleNamespace(time=lambda: clock[0]))

    def search() -> Any:
        return client.get("/api/v1/eur/kb/search", query_string={"q": "refund " * 200})

    answers = []
    for _ in range(121):  # as fast as a typist's suggestions: one every 300 ms
        clock[0] += 0.3
        answers.append(search())
    assert [a.status_code for a in answers] == [200] * 120 + [429]  # 120 a minute
    assert searched and {len(q) for q in searched} == {500}
    assert set(answers[-1].get_json()) == {"error"}
    # The form's suggestions and the search page search too, from the same bucket: no way
    # around the limit.
    assert client.get("/eur/tickets/suggestions?q=refund").status_code == 429
    assert client.get("/eur/tickets/search?q=refund").status_code == 429
    clock[0] += 120  # a new minute; now six at once
    assert [search().status_code for _ in range(6)] == [200] * 5 + [429]  # 5 a second


def test_times_carry_their_zone_on_every_database(client: FlaskClient) -> None:
    created = api_ticket(client)
    auth = {"Authorization": f"Bearer {created['token']}"}
    read = client.get(f"/api/v1/eur/tickets/{created['ticket']['reference']}", headers=auth)
    for ticket in (created["ticket"], read.get_json()["ticket"]):
        for key in ("created_at", "updated_at"):
            assert dt.datetime.fromisoformat(ticket[key]).utcoffset() == dt.timedelta(0)
