"""Rate limits: what customers add to tickets is limited like new tickets are, and every limit
holds across processes when they share their counters in Redis (a real redis-server)."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from intake.models import Agent, SupportTicket, TicketStatus
from intake.state import state
from intake.tickets.agent_work import Changes, change_fields
from intake.tickets.loading import ticket_by_reference
from scripts.pgserver import free_port
from tests.intake.conftest import api_ticket, form_fields, make_env, post_ticket, ticket_form
from tests.intake.desk import make_agent, sign_in
from tests.intake.test_lifecycle import DESK


@pytest.fixture
def shared(redis_url: str) -> str:
    """Return the Redis URL with its counters emptied (the server lives for the session)."""
    with redis.Redis.from_url(redis_url) as server:
        server.flushdb()
    return redis_url


def test_replies_are_limited_per_address_form_and_api_together(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(REPLY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    created = api_ticket(client)
    ref, token = created["ticket"]["reference"], created["token"]
    auth = {"Authorization": f"Bearer {token}"}
    api = f"/api/v1/eur/tickets/{ref}"
    assert client.post(f"{api}/replies", json={"body": "One"}, headers=auth).status_code == 201
    assert client.post(f"{api}/replies", json={"body": "Two"}, headers=auth).status_code == 201
    page = f"/eur/tickets/{ref}/{token}"
    fields = form_fields(client.get(page).get_data(as_text=True))
    form = client.post(f"{page}/replies", data={**fields, "body": "Three"})
    assert form.status_code == 303
    refused = client.post(f"{api}/replies", json={"body": "Four"}, headers=auth)
    assert refused.status_code == 429 and set(refused.get_json()["error"]) == {"message", "field"}
    assert "Retry-After" in refused.headers
    assert client.post(f"{page}/replies", data={**fields, "body": "Five"}).status_code == 429
    files = {"file": (io.BytesIO(b"notes"), "notes.txt")}
    upload = client.post(f"{api}/attachments", data=files, headers=auth)
    assert upload.status_code == 429  # files, resolving and mail choices share the allowance
    assert client.post(f"{api}/resolve", headers=auth).status_code == 429
    doc = client.get("/api/v1/openapi.json").get_json()["paths"]
    for action in ("replies", "attachments", "resolve"):
        answers = doc[f"/api/v1/{{tenant}}/tickets/{{reference}}/{action}"]["post"]["responses"]
        assert "429" in answers, action
    elsewhere = {"REMOTE_ADDR": "10.9.8.7"}
    other = client.post(f"{api}/replies", json={"body": "Six"}, headers=auth,
                        environ_base=elsewhere)  # fmt: skip
    assert other.status_code == 201  # another address has its own allowance
    shown = client.get(f"{api}", headers=auth).get_json()
    assert [r["body"] for r in shown["ticket"]["replies"]] == ["One", "Two", "Three", "Six"]


def test_a_bad_reply_limit_is_named_at_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(Exception, match="REPLY_RATE_LIMIT: 'often' is not a rate"):
        make_app(REPLY_RATE_LIMIT="often")


SECOND_PROCESS = textwrap.dedent(
    """
    import json, os, sys
    from intake import create_app
    from tests.intake.conftest import ticket_form
    app = create_app(dict(os.environ))
    client = app.test_client()
    codes = [client.post("/api/v1/eur/tickets", json=ticket_form()).status_code
             for _ in range(int(sys.argv[1]))]
    print(json.dumps(codes))
    """
)


def second_process(app: Flask, tmp_path: Path, kb_root: Path, count: int, **env: str) -> list[int]:
    """Create `count` tickets from another process of the service; return its statuses."""
    config = state(app).config
    environment = {**make_env(kb_root, config.database_url, tmp_path / "uploads", **env),
                   "PATH": "/usr/bin:/bin"}  # fmt: skip
    ran = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(count)], env=environment,
                         capture_output=True, text=True, timeout=120, cwd=Path.cwd())  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    codes: list[int] = json.loads(ran.stdout.strip().splitlines()[-1])
    return codes


def test_a_limit_holds_across_processes_that_share_redis(
    make_app: Callable[..., Flask], shared: str, tmp_path: Path, kb_root: Path
) -> None:
    settings = {"TICKET_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": shared}
    app = make_app(**settings)
    assert second_process(app, tmp_path, kb_root, 2, **settings) == [201, 201]
    client = app.test_client()
    assert client.post("/api/v1/eur/tickets", json=ticket_form()).status_code == 201
    assert client.post("/api/v1/eur/tickets", json=ticket_form()).status_code == 429
    left = {"name": "Ada", "email": "ada@example.com", "message": "Nobody online, so: hello."}
    assert client.post("/chat/eur/offline", json=left).status_code == 429  # a ticket too
    assert second_process(app, tmp_path, kb_root, 1, **settings) == [429]


def test_counters_in_each_process_allow_more_than_the_limit(
    make_app: Callable[..., Flask], tmp_path: Path, kb_root: Path
) -> None:
    # Why `intake serve --workers N` refuses memory:// counters: each process counts alone.
    settings = {"TICKET_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": "memory://"}
    app = make_app(**settings)
    assert second_process(app, tmp_path, kb_root, 3, **settings) == [201, 201, 201]
    assert app.test_client().post("/api/v1/eur/tickets", json=ticket_form()).status_code == 201


def test_a_limited_form_comes_back_with_what_was_typed(make_app: Callable[..., Flask]) -> None:
    app = make_app(TICKET_RATE_LIMIT="2 per minute", REPLY_RATE_LIMIT="1 per minute")
    client = app.test_client()
    created = api_ticket(client)
    assert post_ticket(client).status_code == 303
    typed = {"subject": "Invoice shows the old address",
             "description": "Since March my invoices show our previous address."}  # fmt: skip
    again = post_ticket(client, **typed)
    page = again.get_data(as_text=True)
    assert again.status_code == 429 and again.headers["Retry-After"]
    assert re.search(r"send this again in \d+ seconds", page)
    assert f'value="{typed["subject"]}"' in page and typed["description"] in page
    assert form_fields(page)["csrf_token"]  # ready to send again as it is

    link = f"/eur/tickets/{created['ticket']['reference']}/{created['token']}"
    fields = form_fields(client.get(link).get_data(as_text=True))
    assert client.post(f"{link}/replies", data={**fields, "body": "First"}).status_code == 303
    limited = client.post(f"{link}/replies", data={**fields, "body": "My second long answer"})
    reply_page = limited.get_data(as_text=True)
    assert limited.status_code == 429 and "My second long answer</textarea>" in reply_page
    assert "Too many messages from your address: send this again in" in reply_page


def test_a_limited_reply_on_a_wrong_link_is_a_plain_429(make_app: Callable[..., Flask]) -> None:
    client = make_app(REPLY_RATE_LIMIT="1 per minute").test_client()
    created = api_ticket(client)
    link = f"/eur/tickets/{created['ticket']['reference']}/{created['token']}"
    fields = form_fields(client.get(link).get_data(as_text=True))
    assert client.post(f"{link}/replies", data={**fields, "body": "One"}).status_code == 303
    wrong = f"/eur/tickets/{created['ticket']['reference']}/not-the-token/replies"
    assert client.post(wrong, data={**fields, "body": "Two"}).status_code == 429


def test_a_refusal_never_says_to_come_back_at_once(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A one-second window opened late in one second and refused early in the next has under a
    # second left: the wait announced is one second, not zero (which clients read as "retry
    # now", the flood the limit is there to stop). The clock is the test's, to choose the moment.
    client = make_app().test_client()
    now = [1_000_000.9]
    monkeypatch.setattr(time, "time", lambda: now[0])
    for _ in range(5):  # the search bucket's five a second
        found = client.get("/api/v1/eur/kb/search?q=refund")
        assert found.status_code == 200 and "Retry-After" not in found.headers  # no wait asked
    now[0] += 0.2
    refused = client.get("/api/v1/eur/kb/search?q=refund")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    suggested = client.get("/eur/tickets/suggestions?q=refund")  # the same bucket, another face
    assert suggested.status_code == 429 and suggested.headers["Retry-After"] == "1"
    # The form's script reads JSON, refusals included, in the API's one shape.
    assert set(suggested.get_json()["error"]) == {"message", "field"}


def test_with_redis_down_limits_count_in_each_process_and_nothing_fails(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens: as when Redis stops
    app = make_app(TICKET_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=down)
    client = app.test_client()
    sent = [client.post("/api/v1/eur/tickets", json=ticket_form()).status_code for _ in range(4)]
    assert sent == [201, 201, 201, 429]  # the limit holds, in this process
    make_agent(app, "ana@example.com")
    assert sign_in(app.test_client(), "ana@example.com").status_code == 303  # counted failures
    page = client.get("/eur/tickets/recover").get_data(as_text=True)
    token = form_fields(page)["csrf_token"]
    found = client.post("/eur/tickets/recover", data={"csrf_token": token,
                                                      "email": "ada@example.com"})  # fmt: skip
    assert found.status_code in (200, 303)  # its mails are counted too
    ready = client.get("/readyz")
    assert ready.status_code == 200  # the service serves; it says what is missing
    assert ready.get_json()["checks"]["rate_limits"].startswith("unreachable")
    said = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert said and all(r.levelno < logging.ERROR for r in caplog.records), said


def test_replies_that_open_follow_ups_and_chat_messages_count_as_new_tickets(
    make_app: Callable[..., Flask],
) -> None:
    """A reply to a closed ticket opens a new one, with its confirmation mail: it takes from the
    new tickets' allowance, shared with the form and the API, while replies to an open ticket
    do not."""
    app = make_app(TICKET_RATE_LIMIT="3 per minute", REPLY_RATE_LIMIT="100 per minute")
    client = app.test_client()
    closed = api_ticket(client)
    still_open = api_ticket(client)
    agent = make_agent(app, "agent@example.com")
    with state(app).db.write("eur") as session:
        ticket = ticket_by_reference(session, closed["ticket"]["reference"])
        change_fields(session, ticket, session.get_one(Agent, agent),
                      Changes(status=TicketStatus.closed), DESK)  # fmt: skip
    page = closed["url"].removeprefix("http://desk.test")
    fields = form_fields(client.get(page).get_data(as_text=True))
    opened = client.post(f"{page}/replies", data={**fields, "body": "It broke again, sorry."})
    assert opened.status_code == 303
    assert closed["ticket"]["reference"] not in opened.headers["Location"]  # a new ticket
    refused = client.post(f"{page}/replies", data={**fields, "body": "And again, sorry."})
    assert refused.status_code == 429
    assert client.post("/api/v1/eur/tickets", json=ticket_form()).status_code == 429
    left = {"name": "Ada", "email": "ada@example.com", "message": "Nobody online, so: hello."}
    assert client.post("/chat/eur/offline", json=left).status_code == 429  # a ticket too
    other = still_open["url"].removeprefix("http://desk.test")
    reply = client.post(f"{other}/replies", data={**fields, "body": "A plain reply"})
    assert reply.status_code == 303  # a reply to an open ticket opens nothing
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(SupportTicket.id))) == 3
