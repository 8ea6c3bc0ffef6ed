"""A customer opens a ticket with the form, follows it by its private link, replies, resolves."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from intake.db import Database, TenantSession
from intake.models import (
    AuthorType,
    OutboxMessage,
    SupportTicket,
    TicketAttachment,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
    utcnow,
)
from intake.state import state
from intake.tickets import writer as writer_module
from intake.tickets.writer import REFERENCE, Draft
from intake.web.held import PER_ADDRESS
from tests.intake.conftest import PNG, api_ticket, form_fields, post_ticket


def ticket_link(response: TestResponse) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return str(response.headers["Location"]).split("?")[0]


def test_the_form_looks_like_the_help_center(client: FlaskClient, kb_root: Path) -> None:
    page = client.get("/eur/tickets/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    names = json.loads((kb_root / "site" / "eur" / "assets" / "manifest.json").read_text())
    assert f'<link rel="stylesheet" href="/eur/assets/{names["style.css"]}">' in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert "Nimbus Cloud Help Center" in html
    assert 'href="/eur/categories/billing/"' in html  # the site's category navigation
    for label in ("Your name", "Email", "Subject", "Describe the problem", "Category", "Priority"):
        assert label in html


def test_a_form_sent_back_with_its_errors_takes_no_write_lock(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    read, write = Database.session, Database.write

    def reading(self: Database, tenant_id: str) -> TenantSession:
        opened.append(False)
        return read(self, tenant_id)

    def writing(self: Database, tenant_id: str) -> Any:
        opened.append(True)
        return write(self, tenant_id)

    monkeypatch.setattr(Database, "session", reading)
    monkeypatch.setattr(Database, "write", writing)
    response = post_ticket(client, email="nope")
    assert response.status_code == 400
    assert 'href="/eur/categories/billing/"' in response.get_data(as_text=True)
    forged = client.post("/eur/tickets/EUR-1/x/replies", data={"body": "hi"})  # no CSRF token
    assert forged.status_code == 400 and "site-header" in forged.get_data(as_text=True)
    assert opened and True not in opened  # the header's categories came from a read session


def test_submitting_lands_on_the_ticket_page_with_a_readable_reference(client: FlaskClient) -> None:
    response = post_ticket(client)
    link = ticket_link(response)
    assert re.fullmatch(r"/eur/tickets/EUR-10001/[A-Za-z0-9_-]{40,}", link)
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "EUR-10001" in html and "we received your request" in html
    assert "Cannot export my invoices" in html
    assert "The export button spins forever since Monday." in html


def test_right_to_left_words_keep_their_own_direction(client: FlaskClient) -> None:
    subject, body = "فاتورة نوفمبر مفقودة", "لا أجد فاتورة شهر نوفمبر في القائمة (INV-2041)."
    made = api_ticket(client, subject=subject, description=body, name="ليلى")
    html = client.get(made["url"].removeprefix("http://desk.test")).get_data(as_text=True)
    # Each text takes its direction from its first strong letter (dir=auto, <bdi>), not from
    # the English page around it: the parenthesis lands where an Arabic reader expects it.
    assert f'<h1 dir="auto">{subject}</h1>' in html
    assert f'<div class="body" dir="auto">{body}</div>' in html
    assert "<bdi>ليلى</bdi>" in html


def test_references_count_up_per_tenant(client: FlaskClient) -> None:
    links = [ticket_link(post_ticket(client)) for _ in range(2)]
    links.append(ticket_link(post_ticket(client, tenant="km")))
    refs = [link.split("/")[3] for link in links]
    assert refs == ["EUR-10001", "EUR-10002", "KM-10001"]


def test_the_reference_alone_opens_nothing(client: FlaskClient) -> None:
    link = ticket_link(post_ticket(client))
    ref = link.split("/")[3]
    assert client.get(f"/eur/tickets/{ref}").status_code == 404
    assert client.get(f"/eur/tickets/{ref}/not-the-token").status_code == 404
    assert client.get(link).status_code == 200


def test_reply_and_resolve_from_the_ticket_page(client: FlaskClient, app: Flask) -> None:
    link = ticket_link(post_ticket(client))
    fields = form_fields(client.get(link).get_data(as_text=True))
    sent = client.post(
        f"{link}/replies",
        data={
            "csrf_token": fields["csrf_token"],
            "body": "Still broken.\nSecond line.",
            "attachments": (io.BytesIO(PNG), "shot.png"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    html = client.get(link).get_data(as_text=True)
    assert "Still broken.\nSecond line." in html
    assert "shot.png" in html
    assert (
        client.post(f"{link}/resolve", data={"csrf_token": fields["csrf_token"]}).status_code == 303
    )
    html = client.get(link).get_data(as_text=True)
    assert "This request is resolved" in html
    with state(app).db.all_tenants(write=True) as session:
        assert session.scalars(select(SupportTicket)).one().status == TicketStatus.resolved
    # A reply after resolving reopens the ticket.
    client.post(f"{link}/replies", data={"csrf_token": fields["csrf_token"], "body": "It is back."})
    with state(app).db.all_tenants(write=True) as session:
        assert session.scalars(select(SupportTicket)).one().status == TicketStatus.open


def test_a_confirmation_with_the_private_link_is_queued(client: FlaskClient, app: Flask) -> None:
    link = ticket_link(post_ticket(client))
    with state(app).db.all_tenants(write=True) as session:
        mail = session.scalars(select(OutboxMessage)).one()
    assert mail.to_address == "ada@example.com"
    assert "EUR-10001" in mail.subject
    # The mail's own link (derived from the ticket, as every later mail's): it opens the
    # ticket as the page's does, and a merge never voids it.
    mailed = re.search(r"http://desk\.test(/eur/tickets/EUR-10001/\S+)", mail.body)
    assert mailed and mailed.group(1) != link
    assert "Cannot export my invoices" in client.get(mailed.group(1)).get_data(as_text=True)


def test_concurrent_customers_get_distinct_numbers(app: Flask) -> None:
    errors: list[BaseException] = []

    def customer() -> None:
        try:
            client = app.test_client()
            for _ in range(4):
                assert post_ticket(client).status_code == 303
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=customer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with state(app).db.all_tenants(write=True) as session:
        numbers = sorted(session.scalars(select(SupportTicket.number)))
        assert session.scalar(select(func.count(OutboxMessage.id))) == 24
    assert numbers == list(range(10001, 10025))


def make_draft(token_hash: str) -> Draft:
    """Return a ticket's rows as the writer gets them, for tenant eur."""
    now = utcnow()
    common = {"tenant_id": "eur", "created_at": now, "updated_at": now}
    return Draft(
        "eur",
        "EUR",
        {**common, "token_hash": token_hash, "customer_name": "A", "customer_email": "a@b.test",
         "subject": "S", "description": "D" * 10, "category": TicketCategory.general,
         "priority": TicketPriority.low, "status": TicketStatus.open},
        {**common, "kind": TicketEventKind.created, "actor": AuthorType.customer, "detail": ""},
        {**common, "to_address": "a@b.test", "next_attempt_at": now,
         "subject": f"[{REFERENCE}]", "body": f"ref {REFERENCE}"},
    )  # fmt: skip


def test_one_bad_ticket_in_a_group_does_not_sink_the_others(app: Flask) -> None:
    writer = state(app).writer
    good, twin, clash = make_draft("a" * 64), make_draft("b" * 64), make_draft("b" * 64)
    writer._write_or_split([good, twin, clash])
    assert good.error is None and twin.error is None
    assert clash.error is not None and good.done.is_set() and clash.done.is_set()
    with state(app).db.all_tenants(write=True) as session:
        stored = session.scalars(select(SupportTicket.reference).order_by(SupportTicket.id))
        mails = session.scalars(select(OutboxMessage.body)).all()
    assert list(stored) == [good.result[2], twin.result[2]]  # type: ignore[index]
    assert sorted(mails) == sorted(f"ref {d.result[2]}" for d in (good, twin))  # type: ignore[index]


def test_a_ticket_the_writer_was_too_slow_for_is_never_saved_later(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(writer_module, "WRITERS_PG", 1)  # one thread, so one slow group stalls it
    app = make_app()
    writer = state(app).writer
    writing, go_on = threading.Event(), threading.Event()
    write = writer._write

    def slow_write(batch: list[Draft]) -> None:
        writing.set()
        assert go_on.wait(30)
        write(batch)

    monkeypatch.setattr(writer, "_write", slow_write)
    monkeypatch.setattr(writer_module, "WAIT_SECONDS", 0.3)
    slow = make_draft("c" * 64)
    answers: list[tuple[int, int, str]] = []
    first = threading.Thread(target=lambda: answers.append(writer.submit(slow)))
    first.start()
    assert writing.wait(10)
    # This customer's ticket waits behind the slow group until the request gives up.
    response = post_ticket(app.test_client(), attachments=[(io.BytesIO(PNG), "shot.png")])
    assert response.status_code == 500
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # its files are gone
    go_on.set()
    first.join(30)
    # The slow ticket was being written when its wait ran out: it still gets its answer.
    assert answers and answers[0][2] == "EUR-10001"
    writer.close()  # drains the queue: the abandoned ticket must be skipped
    with state(app).db.all_tenants(write=True) as session:
        assert list(session.scalars(select(SupportTicket.token_hash))) == ["c" * 64]
        assert session.scalar(select(func.count(TicketAttachment.id))) == 0


def test_an_open_ticket_page_hears_of_changes_and_holds_no_database_connection(
    app: Flask, client: FlaskClient
) -> None:
    mine, other = api_ticket(client), api_ticket(client, subject="Another problem")
    ref, token = mine["ticket"]["reference"], mine["token"]
    stream = client.get(f"/eur/tickets/{ref}/{token}/events", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    frames = stream.iter_encoded()
    assert next(frames).startswith(b"retry: ")
    if state(app).db.dialect == "sqlite":  # the pool PostgreSQL's listener shares is its own
        assert state(app).db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    for created in (other, mine):  # the other ticket's reply never reaches this page
        auth = {"Authorization": f"Bearer {created['token']}"}
        reference = created["ticket"]["reference"]
        sent = client.post(f"/api/v1/eur/tickets/{reference}/replies", json={"body": "Hi"},
                           headers=auth)  # fmt: skip
        assert sent.status_code == 201
    frame = next(frames).decode()
    assert frame == 'event: ticket.updated\ndata: {"what": "replied"}\n\n'
    stream.close()
    assert client.get(f"/eur/tickets/{ref}/wrong-token/events").status_code == 404


def test_one_address_holds_a_bounded_number_of_open_ticket_pages(client: FlaskClient) -> None:
    """Each open stream holds a worker thread: past PER_ADDRESS from one address the next is
    refused (429, saying why), and closing one lets the next in."""
    created = api_ticket(client)
    events = f"/eur/tickets/{created['ticket']['reference']}/{created['token']}/events"
    streams = [client.get(events, buffered=False) for _ in range(PER_ADDRESS)]
    assert {s.status_code for s in streams} == {200}
    refused = client.get(events)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert f"At most {PER_ADDRESS} live connections" in refused.get_data(as_text=True)
    streams.pop().close()
    again = client.get(events, buffered=False)
    assert again.status_code == 200
    for stream in [*streams, again]:
        stream.close()


def test_with_rate_limits_off_an_address_holds_any_number_of_pages(
    make_app: Callable[..., Flask],
) -> None:
    """One address standing for every client (a benchmark's load generator, a trusted
    front that does its own limiting): the cap goes with the rate limits."""
    client = make_app(RATELIMIT_ENABLED="0").test_client()
    created = api_ticket(client)
    events = f"/eur/tickets/{created['ticket']['reference']}/{created['token']}/events"
    streams = [client.get(events, buffered=False) for _ in range(PER_ADDRESS + 4)]
    assert {s.status_code for s in streams} == {200}
    for stream in streams:
        stream.close()


def test_the_forms_limits_and_file_types_come_from_the_rules(client: FlaskClient) -> None:
    from intake.files.checks import ALLOWED_TYPES
    from intake.tickets import rules

    html = client.get("/eur/tickets/new").get_data(as_text=True)
    # No field cuts what is pasted into it (a browser drops what passes maxlength without a
    # word): a text over the limit is refused by name, and comes back whole to be shortened.
    assert "maxlength" not in html
    pasted = "A long log line. " * (rules.DESCRIPTION_MAX // 17 + 10)
    refused = post_ticket(client, description=pasted)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f"Use {rules.DESCRIPTION_MIN} to {rules.DESCRIPTION_MAX:,} characters." in page
    assert html_escape(pasted.strip(), quote=False) in page
    accept = re.search(r'<input[^>]*accept="([^"]+)"[^>]*>', html)
    assert accept and set(accept.group(1).split(",")) == set(ALLOWED_TYPES)
    assert "Up to 3 files of 64 KB each" in html  # MAX_ATTACHMENTS and MAX_ATTACHMENT_KB
