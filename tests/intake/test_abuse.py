"""Bad input and abuse: one test per rule of the issue."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.files import FolderStore
from intake.models import (
    AuthorType,
    OutboxMessage,
    SupportTicket,
    TicketAttachment,
    TicketResponse,
)
from intake.state import state
from tests.intake.conftest import PNG, api_ticket, form_fields, post_ticket, ticket_form

EXE = b"MZ\x90\x00" + b"\x00" * 300


def count_tickets(app: Flask) -> int:
    with state(app).db.all_tenants(write=True) as session:
        return int(session.scalar(select(func.count(SupportTicket.id))) or 0)


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("name", "   ", "Enter your name."),
        ("name", "A" * 101, "Use at most 100 characters."),
        ("name", "Ada\nBcc: x@evil.test", "Your name must be a single line."),
        ("email", "not-an-email", "Enter an email address like name@example.com."),
        ("subject", "Hi", "Use 3 to 200 characters."),
        ("description", "short", "Use 10 to 10,000 characters."),
        ("description", "x" * 10_001, "Use 10 to 10,000 characters."),
        ("description", "bell \x07 in here", "contains an invisible character"),
        ("category", "", "Choose a category."),
        ("category", "refunds", "Choose one of the listed categories."),
        ("priority", "panic", "Choose one of the listed priorities."),
    ],
)
def test_each_form_field_says_what_is_wrong_next_to_it_and_saves_nothing(
    client: FlaskClient, app: Flask, field: str, value: str, message: str
) -> None:
    response = post_ticket(client, **{field: value})
    assert response.status_code == 400
    assert message in field_error(response.get_data(as_text=True), field)
    assert count_tickets(app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("email", "nope"),
        ("subject", "x"),
        ("description", "x" * 10_001),
        ("category", "refunds"),
        ("priority", "panic"),
        ("visit_id", "<script>"),
        ("unexpected", "field"),
    ],
)
def test_each_api_field_is_named_in_the_json_error(
    client: FlaskClient, app: Flask, field: str, value: str
) -> None:
    response = client.post("/api/v1/eur/tickets", json=ticket_form(**{field: value}))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert set(response.get_json()) == {"error"} and set(error) == {"message", "field"}
    assert error["field"] == field and error["message"]
    assert count_tickets(app) == 0


def test_a_reply_of_only_spaces_is_refused(client: FlaskClient, app: Flask) -> None:
    link = post_ticket(client).headers["Location"].split("?")[0]
    fields = form_fields(client.get(link).get_data(as_text=True))
    sent = client.post(f"{link}/replies", data={"csrf_token": fields["csrf_token"], "body": "   "})
    assert sent.status_code == 400
    assert "Write a reply, or add a file." in field_error(sent.get_data(as_text=True), "body")
    with state(app).db.all_tenants(write=True) as session:
        assert session.scalar(select(func.count(TicketResponse.id))) == 0
    # Files alone are a reply, as through the API.
    files = {"csrf_token": fields["csrf_token"], "body": "",
             "attachments": [(io.BytesIO(PNG), "screen.png")]}  # fmt: skip
    only = client.post(f"{link}/replies", data=files, content_type="multipart/form-data")
    assert only.status_code == 303
    with state(app).db.all_tenants(write=True) as session:
        reply = session.scalars(select(TicketResponse)).one()
        attached = session.scalars(select(TicketAttachment.response_id)).all()
        assert reply.body == "(files attached)" and attached == [reply.id]


def test_a_bad_attachment_keeps_everything_else_unsaved(
    client: FlaskClient, app: Flask, tmp_path: Path
) -> None:
    files = [(io.BytesIO(PNG), "fine.png"), (io.BytesIO(EXE), "invoice.pdf")]
    response = post_ticket(client, attachments=files)
    assert response.status_code == 400
    message = field_error(response.get_data(as_text=True), "attachments")
    assert "invoice.pdf is not a file type we accept" in message
    assert count_tickets(app) == 0
    with state(app).db.all_tenants(write=True) as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_attachment_size_limit(client: FlaskClient, app: Flask) -> None:
    big = PNG + b"\x00" * (64 * 1024)
    response = post_ticket(client, attachments=[(io.BytesIO(big), "big.png")])
    assert response.status_code == 400
    assert "big.png is larger than 64 KB, the limit per file." in field_error(
        response.get_data(as_text=True), "attachments"
    )
    assert count_tickets(app) == 0


def test_attachment_count_limit(client: FlaskClient, app: Flask) -> None:
    files = [(io.BytesIO(PNG), f"shot{i}.png") for i in range(4)]
    response = post_ticket(client, attachments=files)
    assert response.status_code == 400
    assert "Attach at most 3 files" in field_error(response.get_data(as_text=True), "attachments")
    assert count_tickets(app) == 0


def test_a_request_larger_than_all_attachments_together_is_refused(
    client: FlaskClient, app: Flask
) -> None:
    fields = form_fields(client.get("/eur/tickets/new").get_data(as_text=True))
    huge = "x" * (3 * 64 * 1024 + 300 * 1024)  # over the 3 files of 64 KB plus the text allowance
    response = client.post("/eur/tickets/new", data={**fields, **ticket_form(description=huge)})
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)
    assert count_tickets(app) == 0


@pytest.mark.parametrize(
    ("name", "data", "accepted"),
    [
        ("shot.png", PNG, True),
        ("notes.txt", "Plain text, ünïcode too.\n".encode(), True),
        ("report.pdf", b"%PDF-1.7\n" + b"0" * 64, True),
        ("shot.png", EXE, False),  # an executable named like a picture
        ("page.html", b"<script>alert(1)</script>\x00\x01", False),
        ("archive.txt", b"PK\x03\x04" + b"\x00" * 64, False),  # a zip named like text
    ],
)
def test_attachment_types_are_checked_on_content(
    client: FlaskClient, app: Flask, name: str, data: bytes, accepted: bool
) -> None:
    response = post_ticket(client, attachments=[(io.BytesIO(data), name)])
    assert (response.status_code == 303) is accepted
    assert count_tickets(app) == int(accepted)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.html", b"<!doctype html><html><body><script>alert(document.cookie)</script>\n"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>\n'),
    ],
)
def test_clean_html_and_svg_are_never_served_as_active_content(
    client: FlaskClient, app: Flask, name: str, data: bytes
) -> None:
    response = post_ticket(client, attachments=[(io.BytesIO(data), name)])
    if response.status_code == 400:  # refused outright: fine
        assert count_tickets(app) == 0
        return
    assert response.status_code == 303
    link = response.headers["Location"].split("?")[0]
    with state(app).db.all_tenants(write=True) as session:
        item = session.scalars(select(TicketAttachment)).one()
    assert item.content_type == "text/plain"  # never text/html nor image/svg+xml
    with client.get(f"{link}/attachments/{item.id}") as got:
        assert got.status_code == 200 and got.data == data
        assert got.mimetype == "text/plain"
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        csp = got.headers["Content-Security-Policy"]
        assert "sandbox" in csp and "default-src 'none'" in csp


def test_files_are_stored_outside_the_site_under_generated_names(
    client: FlaskClient, app: Flask, tmp_path: Path, kb_root: Path
) -> None:
    assert (
        post_ticket(client, attachments=[(io.BytesIO(PNG), "../../site/eur/x.png")]).status_code
        == 303
    )
    with state(app).db.all_tenants(write=True) as session:
        item = session.scalars(select(TicketAttachment)).one()
    stored = tmp_path / "uploads" / item.stored_name
    assert stored.read_bytes() == PNG
    assert re.fullmatch(r"[0-9a-f]{32}", item.stored_name)
    assert item.original_name == "x.png"
    assert not list((kb_root / "site").rglob("x.png"))
    assert client.get(f"/{item.stored_name}").status_code == 404


def test_files_are_served_only_to_the_token_holder_as_downloads(
    client: FlaskClient, app: Flask
) -> None:
    response = post_ticket(client, attachments=[(io.BytesIO(b"hello <b>there</b>\n"), "note.txt")])
    link = response.headers["Location"].split("?")[0]
    with state(app).db.all_tenants(write=True) as session:
        item_id = session.scalars(select(TicketAttachment.id)).one()
    with client.get(f"{link}/attachments/{item_id}") as ok:
        assert ok.status_code == 200 and ok.data == b"hello <b>there</b>\n"
        assert ok.headers["Content-Disposition"].startswith("attachment;")
        assert ok.headers["X-Content-Type-Options"] == "nosniff"
    wrong = link.rsplit("/", 1)[0] + "/" + "A" * 43
    assert client.get(f"{wrong}/attachments/{item_id}").status_code == 404
    assert client.get(f"/km{link[4:]}/attachments/{item_id}").status_code == 404


def test_files_of_internal_replies_are_neither_served_nor_counted(
    client: FlaskClient, app: Flask, tmp_path: Path
) -> None:
    created = api_ticket(client)
    ref, token = created["ticket"]["reference"], created["token"]
    auth = {"Authorization": f"Bearer {token}"}
    store = FolderStore(tmp_path / "uploads")
    with state(app).db.write("eur") as session:
        ticket = session.scalars(select(SupportTicket).where(SupportTicket.reference == ref)).one()
        note = TicketResponse(
            ticket=ticket, author_type=AuthorType.agent, body="Refund?", is_internal=True
        )
        session.add(note)
        session.flush()
        for i in range(3):  # as many as the customer may attach
            data = f"internal notes {i}\n".encode()
            session.add(
                TicketAttachment(
                    ticket_id=ticket.id, response_id=note.id, original_name=f"secret{i}.txt",
                    stored_name=store.save("eur", data), content_type="text/plain",
                    size=len(data), sha256="0" * 64,
                )
            )  # fmt: skip
        session.flush()
        ids = list(session.scalars(select(TicketAttachment.id)))
    for item_id in ids:
        assert client.get(f"/eur/tickets/{ref}/{token}/attachments/{item_id}").status_code == 404
        api = client.get(f"/api/v1/eur/tickets/{ref}/attachments/{item_id}", headers=auth)
        assert api.status_code == 404
    assert "secret0.txt" not in client.get(f"/eur/tickets/{ref}/{token}").get_data(as_text=True)
    up = client.post(
        f"/api/v1/eur/tickets/{ref}/attachments",
        data={"file": (io.BytesIO(PNG), "mine.png")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert up.status_code == 201, up.get_json()  # the agents' files use none of the allowance


@pytest.mark.parametrize("probe", ["..%2Fcontent", "eur/..%2F..%2Fcontent"])
def test_site_paths_outside_the_site_answer_like_missing_ones(
    client: FlaskClient, kb_root: Path, probe: str
) -> None:
    assert (kb_root / "content").is_dir()  # beside site/: it exists
    there = client.get(f"/{probe}")
    missing = client.get(f"/{probe.replace('content', 'no-such-folder')}")
    assert there.status_code == missing.status_code == 404
    assert there.data == missing.data


def test_the_site_404_page_is_never_looked_for_outside_the_site(
    client: FlaskClient, kb_root: Path
) -> None:
    (kb_root / "404.html").write_text("outside the site")
    try:
        response = client.get("/..%2Fcontent/x")
    finally:
        (kb_root / "404.html").unlink()
    assert response.status_code == 404 and b"outside the site" not in response.data


def test_forms_without_the_csrf_token_are_refused(client: FlaskClient, app: Flask) -> None:
    response = client.post("/eur/tickets/new", data=ticket_form())
    assert response.status_code == 400
    assert count_tickets(app) == 0
    link = post_ticket(client).headers["Location"].split("?")[0]
    assert client.post(f"{link}/replies", data={"body": "forged"}).status_code == 400
    assert "forged" not in client.get(link).get_data(as_text=True)


def test_the_honeypot_field_stops_bots(client: FlaskClient, app: Flask) -> None:
    response = post_ticket(client, website="http://spam.example")
    assert response.status_code == 400
    assert count_tickets(app) == 0
    with state(app).db.all_tenants(write=True) as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0
    # A person whose browser autofilled the field gets the form back with it empty.
    html = response.get_data(as_text=True)
    field = re.search(r'<input [^>]*name="website"[^>]*>', html)
    assert field and 'value=""' in field.group(0) and "spam.example" not in html


def test_ticket_creation_is_rate_limited_per_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(TICKET_RATE_LIMIT="3 per minute")
    client = app.test_client()
    # Refused requests (a typo, a missing field) cost nothing: only tickets made count.
    for _ in range(5):
        assert post_ticket(client, subject="").status_code == 400
        assert client.post("/api/v1/eur/tickets", json={"name": "Ada"}).status_code == 400
    assert [post_ticket(client).status_code for _ in range(3)] == [303, 303, 303]
    assert post_ticket(client).status_code == 429
    api = client.post("/api/v1/eur/tickets", json=ticket_form())
    assert api.status_code == 429 and set(api.get_json()["error"]) == {"message", "field"}
    other = app.test_client()
    page = other.get("/eur/tickets/new", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    response = other.post(
        "/eur/tickets/new",
        data={**form_fields(page.get_data(as_text=True)), **ticket_form()},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 303  # another address has its own allowance
    assert count_tickets(app) == 4


def test_customer_text_is_escaped_everywhere(client: FlaskClient) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = post_ticket(client, name=evil[:90], subject=evil, description=evil + " more text")
    link = response.headers["Location"]
    html = client.get(link).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    fields = form_fields(html)
    sent = client.post(
        f"{link.split('?')[0]}/replies", data={"csrf_token": fields["csrf_token"], "body": evil}
    )
    assert sent.status_code == 303  # the reply was saved, so the check below means something
    html = client.get(link).get_data(as_text=True)
    assert "<img src=x" not in html
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert f'<div class="body" dir="auto">{escaped}</div>' in html


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for path in (
        "/eur/tickets/new",
        "/api/v1/eur/kb/faqs",
        "/eur/tickets/EUR-1/x",
        "/eur/",
        "/healthz",
    ):
        response = client.get(path)
        response.close()
        csp = response.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp)
        assert script_src and "'unsafe-inline'" not in script_src.group(1), path
        assert "frame-ancestors 'none'" in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_another_tenants_ticket_answers_like_a_missing_one(client: FlaskClient) -> None:
    created = api_ticket(client, "eur")
    ref, token = created["ticket"]["reference"], created["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/eur/tickets/{ref}", headers=auth).status_code == 200
    other = client.get(f"/api/v1/km/tickets/{ref}", headers=auth)
    missing = client.get("/api/v1/km/tickets/KM-99999", headers=auth)
    assert other.status_code == missing.status_code == 404
    assert other.data == missing.data
    page_other = client.get(f"/km/tickets/{ref}/{token}")
    page_missing = client.get(f"/km/tickets/KM-99999/{token}")
    assert page_other.status_code == page_missing.status_code == 404
    assert page_other.data == page_missing.data
    unknown = client.get(f"/api/v1/zz/tickets/{ref}", headers=auth)
    assert unknown.status_code == 404 and unknown.data == missing.data


INVISIBLE = [
    ("subject", "line\u2028separator", "must be a single line"),
    ("subject", "para\u2029separator", "must be a single line"),
    ("name", "Ada\u200bLovelace", "contains an invisible character (U+200B)"),  # zero-width space
    ("subject", "Right-to-left \u202e trick", "contains an invisible character (U+202E)"),
    ("description", "private use \ue000 here", "contains an invisible character (U+E000)"),
    ("description", "separator\u2028in the middle", "contains a separator character (U+2028)"),
    ("description", "byte order \ufeff mark", "contains an invisible character (U+FEFF)"),
    # At either end too: Python's strip() takes U+001C-U+001F for spaces, and the form kept
    # "abc" where the API refused the control.
    ("subject", "Refund please\x1f", "contains an invisible character (U+001F)"),
    ("subject", "\x1cRefund please", "contains an invisible character (U+001C)"),
    ("name", "\u200d", "Enter your name."),  # a joiner alone is an invisible name
]


@pytest.mark.parametrize(("field", "value", "message"), INVISIBLE)
def test_invisible_characters_are_refused_by_the_form_naming_the_field(
    client: FlaskClient, app: Flask, field: str, value: str, message: str
) -> None:
    response = post_ticket(client, **{field: value})
    assert response.status_code == 400
    assert message in field_error(response.get_data(as_text=True), field)
    assert count_tickets(app) == 0


@pytest.mark.parametrize(("field", "value", "message"), INVISIBLE)
def test_invisible_characters_are_refused_by_the_api_naming_the_field(
    client: FlaskClient, app: Flask, field: str, value: str, message: str
) -> None:
    body = {"name": "Ada", "email": "ada@example.com", "subject": "Refund please",
            "description": "Charged twice this month.", "category": "billing"}  # fmt: skip
    body[field] = value
    answer = client.post("/api/v1/eur/tickets", json=body)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["field"] == field and message in error["message"]
    assert count_tickets(app) == 0


@pytest.mark.parametrize(
    "address", ["Ada <ada@example.com>", "ada@", "ada example.com", "ada@example..com"]
)
def test_the_form_and_the_api_refuse_the_same_addresses(
    client: FlaskClient, app: Flask, address: str
) -> None:
    refused = post_ticket(client, email=address)
    assert refused.status_code == 400
    assert "Enter an email address like name@example.com" in field_error(
        refused.get_data(as_text=True), "email"
    )
    body = {"name": "Ada", "email": address, "subject": "Refund please",
            "description": "Charged twice this month.", "category": "billing"}  # fmt: skip
    answer = client.post("/api/v1/eur/tickets", json=body)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["field"] == "email"
    assert error["message"].startswith("email: Enter an email address like name@example.com")
    assert count_tickets(app) == 0


def test_scripts_and_emoji_that_need_joiners_are_welcome(client: FlaskClient, app: Flask) -> None:
    persian = "می\u200cخواهم"  # "I want", written with a zero-width non-joiner
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji of three, joined
    response = post_ticket(client, subject=f"{persian} {family}", name="Tab\tless")
    assert response.status_code == 400  # a tab has no place in a one-line name ...
    answer = post_ticket(client, subject=f"{persian} {family}", description="Line one\n\tTwo.")
    assert answer.status_code == 303  # ... but joiners and multi-line tabs do
    assert count_tickets(app) == 1


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("two\u2028lines.png", "twolines.png"),  # a name is one line, as every other one
        ("right\u202efdp.png", "rightfdp.png"),
        (unicodedata.normalize("NFD", "café.png"), "café.png"),  # one spelling of é
    ],
)
def test_a_files_name_is_kept_on_one_line_and_in_one_spelling(
    client: FlaskClient, app: Flask, sent: str, kept: str
) -> None:
    assert post_ticket(client, attachments=[(io.BytesIO(PNG), sent)]).status_code == 303
    with state(app).db.all_tenants() as session:
        assert session.scalars(select(TicketAttachment.original_name)).one() == kept


@pytest.mark.parametrize(("proxies", "proto", "told"), [
    ("1", "https", True),  # TLS ended at the trusted proxy: browsers keep to HTTPS
    ("1", "http", False),
    ("0", "https", False),  # nobody's word is taken for it
])  # fmt: skip
def test_pages_reached_over_tls_tell_browsers_to_keep_to_it(
    make_app: Callable[..., Flask], proxies: str, proto: str, told: bool
) -> None:
    client = make_app(TRUSTED_PROXIES=proxies).test_client()
    for path in ("/eur/tickets/new", "/desk/eur/login", "/healthz"):
        answer = client.get(path, headers={"X-Forwarded-Proto": proto})
        hsts = answer.headers.get("Strict-Transport-Security")
        assert (hsts == "max-age=31536000") if told else hsts is None, path
