"""A customer who lost their private link asks for their links by email; the ticket page's
thanks come once; a form sent back says what to correct and which files to attach again."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.models import OutboxMessage, SupportTicket, TicketStatus
from intake.state import state
from intake.tickets import access
from tests.intake.conftest import PNG, api_ticket, form_fields, post_ticket

LINK_RE = re.compile(r"http://desk\.test(/eur/tickets/(EUR-\d+)/([0-9a-f]+\.[A-Za-z0-9_-]+))")


def ask_links(client: FlaskClient, email: str, tenant: str = "eur") -> str:
    """Ask for the address's links as the page does; return the page the answer leads to."""
    page = client.get(f"/{tenant}/tickets/recover")
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True))
    answer = client.post(f"/{tenant}/tickets/recover", data={**fields, "email": email})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"] == f"/{tenant}/tickets/recover"  # a reload asks nothing
    shown = client.get(answer.headers["Location"])
    assert shown.status_code == 200
    return shown.get_data(as_text=True)


def mails_to(app: Flask, email: str) -> list[OutboxMessage]:
    with state(app).db.all_tenants() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email))
        return sorted(rows, key=lambda row: row.id)


def set_status(app: Flask, reference: str, status: TicketStatus) -> None:
    with state(app).db.write("eur") as session:
        ticket = session.scalars(
            select(SupportTicket).where(SupportTicket.reference == reference)
        ).one()
        ticket.status = status


def test_lost_links_come_by_mail_fresh_for_a_day(app: Flask) -> None:
    client = app.test_client()
    kept = api_ticket(client, email="ada@example.com", subject="Invoices missing")
    other = api_ticket(client, email="Ada@Example.com", subject="Cannot sign in")
    closed = api_ticket(client, email="ada@example.com", subject="Old question")
    set_status(app, closed["ticket"]["reference"], TicketStatus.closed)
    api_ticket(client, email="grace@example.com", subject="Not hers")
    api_ticket(client, "km", email="ada@example.com", subject="Another help center")
    before = len(mails_to(app, "ada@example.com"))

    page = ask_links(client, "ADA@example.com")
    assert "Check your mail" in page

    with state(app).db.all_tenants() as session:
        asked = session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "ADA@example.com")
        ).one()
        body = asked.body
    assert len(mails_to(app, "ada@example.com")) == before  # no other mail
    found = LINK_RE.findall(body)
    assert {ref for _, ref, _ in found} == {kept["ticket"]["reference"],
                                            other["ticket"]["reference"]}  # fmt: skip
    assert "Not hers" not in body and "Old question" not in body
    for path, _reference, _token in found:
        assert client.get(path).status_code == 200
    # The original link keeps working, and a day link opens only its own ticket.
    original = f"/eur/tickets/{kept['ticket']['reference']}/{kept['token']}"
    assert client.get(original).status_code == 200
    path, reference, token = found[0]
    wrong = other if reference == kept["ticket"]["reference"] else kept
    assert client.get(f"/eur/tickets/{wrong['ticket']['reference']}/{token}").status_code == 404
    assert client.get(f"/km/tickets/{reference}/{token}").status_code == 404


def test_a_day_link_ends_after_a_day_and_cannot_be_stretched(app: Flask) -> None:
    client = app.test_client()
    made = api_ticket(client, email="ada@example.com")
    ask_links(client, "ada@example.com")
    body = mails_to(app, "ada@example.com")[-1].body
    _path, reference, token = LINK_RE.findall(body)[0]
    stamp, mac = token.split(".")
    later = f"{int(stamp, 16) + 86400:x}.{mac}"
    assert client.get(f"/eur/tickets/{reference}/{later}").status_code == 404
    with state(app).db.session("eur") as session:
        ticket_id = session.scalars(
            select(SupportTicket.id).where(SupportTicket.reference == reference)
        ).one()
    secret = state(app).config.secret_key
    yesterday = time.time() - access.DAY_LINK_SECONDS - 1
    expired = access.day_token(secret, "eur", ticket_id, now=yesterday)
    assert client.get(f"/eur/tickets/{reference}/{expired}").status_code == 404
    fresh = access.day_token(secret, "eur", ticket_id)
    assert client.get(f"/eur/tickets/{reference}/{fresh}").status_code == 200
    assert client.get(f"/eur/tickets/{reference}/{made['token']}").status_code == 200


def test_the_answer_is_the_same_for_an_address_without_tickets(app: Flask) -> None:
    client = app.test_client()
    api_ticket(client, email="ada@example.com")
    with_tickets = ask_links(client, "ada@example.com")
    without = ask_links(client, "nobody@example.com")

    def strip(page: str) -> str:
        return re.sub(r'value="[^"]*"|\S+@example\.com', "", page)

    assert strip(with_tickets) == strip(without)
    (mail,) = mails_to(app, "nobody@example.com")
    assert "We found no open request" in mail.body and "/tickets/" not in mail.body


def test_mails_to_one_address_are_capped_without_saying_so(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    pages = [ask_links(app.test_client(), "ada@example.com") for _ in range(4)]
    assert all("Check your mail" in page for page in pages)
    assert len(mails_to(app, "ada@example.com")) == 3  # the fourth is not sent, nor refused


def test_link_requests_are_limited_per_client(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    for n in range(5):
        ask_links(client, f"someone{n}@example.com")
    page = client.get("/eur/tickets/recover")
    fields = form_fields(page.get_data(as_text=True))
    refused = client.post("/eur/tickets/recover", data={**fields, "email": "ada@example.com"})
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Too many requests for links from your address: send this again in" in html
    assert 'value="ada@example.com"' in html
    assert mails_to(app, "ada@example.com") == []


def test_a_token_of_other_characters_is_not_found(client: FlaskClient) -> None:
    made = post_ticket(client).headers["Location"]
    reference = made.split("/")[3]
    assert client.get(f"/eur/tickets/{reference}/\u00e9t\u00e9").status_code == 404
    assert client.get(made).status_code == 200


def test_an_expired_form_comes_back_with_what_was_typed(client: FlaskClient) -> None:
    client.get("/eur/tickets/new")
    typed = {"csrf_token": "expired", "name": "Ada", "email": "ada@example.com",
             "subject": "Kept after hours", "description": "A long text."}  # fmt: skip
    sent = client.post("/eur/tickets/new", content_type="multipart/form-data", data=typed)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 400
    assert "This form had expired" in html and 'value="Kept after hours"' in html
    assert "A long text.</textarea>" in html


def test_a_bad_address_is_named_in_the_error_summary(client: FlaskClient) -> None:
    page = client.get("/eur/tickets/recover")
    fields = form_fields(page.get_data(as_text=True))
    answer = client.post("/eur/tickets/recover", data={**fields, "email": "not an address"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="error-summary"' in html
    assert '<a href="#email">Email: Enter an email address like name@example.com.</a>' in html


def test_thanks_only_right_after_creating(client: FlaskClient) -> None:
    created = post_ticket(client)
    assert created.status_code == 303
    link = created.headers["Location"]
    assert "?" not in link  # nothing in the link says "just created"
    assert "Thank you, we received your request" in client.get(link).get_data(as_text=True)
    again = client.get(link).get_data(as_text=True)
    assert "Thank you" not in again and "EUR-" in again
    # The bookmarked link in another browser is not thanked either.
    fresh = client.application.test_client()
    assert "Thank you" not in fresh.get(link).get_data(as_text=True)


def test_a_form_sent_back_lists_its_problems_and_the_files_to_attach_again(
    client: FlaskClient,
) -> None:
    files = [
        (io.BytesIO(PNG), "screen shot.png"),
        (io.BytesIO(b"%PDF-1.4\n"), "bill.pdf"),
        (io.BytesIO(PNG), "gnp.\u202etxt"),
    ]  # a right-to-left override reverses
    answer = post_ticket(client, subject="", attachments=files)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</div>", start)]
    assert '<a href="#subject">Subject: Enter a subject.</a>' in summary
    assert "Attach again: screen shot.png, bill.pdf, gnp.txt." in summary  # as they are kept
    assert 'href="#attachments"' in summary


def test_a_file_refused_is_not_one_to_attach_again(client: FlaskClient) -> None:
    big = PNG + b"\0" * (64 * 1024)  # over MAX_ATTACHMENT_KB
    files = [(io.BytesIO(big), "big.png"), (io.BytesIO(PNG), "g.png")]  # a name within another
    answer = post_ticket(client, attachments=files)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "big.png is larger than 64 KB, the limit per file." in html
    assert "Attach again: g.png." in html and "Attach again: big.png" not in html


def test_times_carry_their_zone_for_the_page_script(client: FlaskClient) -> None:
    link = post_ticket(client).headers["Location"]
    html = client.get(link).get_data(as_text=True)
    stamps = re.findall(r'<time datetime="([^"]+)" data-relative>([^<]+)</time>', html)
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", at) for at, _ in stamps)
    assert all(text.endswith(" UTC") for _, text in stamps)  # read right without scripts


def test_the_note_of_links_sent_shows_only_on_its_own_help_centers_page(app: Flask) -> None:
    """One browser, two help centers: the note of eur's answer never shows on km's page."""
    client = app.test_client()
    page = client.get("/eur/tickets/recover")
    fields = form_fields(page.get_data(as_text=True))
    asked = client.post("/eur/tickets/recover", data={**fields, "email": "ada@example.com"})
    assert asked.status_code == 303  # the browser goes elsewhere before reading the answer
    elsewhere = client.get("/km/tickets/recover").get_data(as_text=True)
    assert "Check your mail" not in elsewhere and "ada@example.com" not in elsewhere
    assert "Check your mail" in client.get("/eur/tickets/recover").get_data(as_text=True)
