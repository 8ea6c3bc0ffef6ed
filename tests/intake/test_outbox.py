"""Confirmation mails go through the outbox; a failed send loses neither ticket nor mail."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import smtplib
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from intake.config import IntakeConfig
from intake.mail.mailbox import mailbox_folder
from intake.mail.outbox import send_pending
from intake.mail.smtp import build_message
from intake.models import OutboxMessage, OutboxStatus, SupportTicket, as_utc
from intake.state import state
from intake.tickets.access import link_token
from scripts.pgserver import free_port
from tests.intake.conftest import Mailbox, _Handler, api_ticket


def outbox(app: Flask) -> list[OutboxMessage]:
    with state(app).db.all_tenants(write=True) as session:
        return list(session.scalars(select(OutboxMessage)))


def kept_ticket_id(app: Flask) -> int:
    with state(app).db.read("eur") as session:
        return int(session.scalars(select(SupportTicket.id)).one())


def send(app: Flask) -> tuple[int, int]:
    return send_pending(state(app).config, state(app).db)


def test_the_confirmation_reaches_the_customer(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    app = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0")
    created = api_ticket(app.test_client())
    assert send(app) == (1, 0)
    (mail,) = smtp.messages
    assert mail["To"] == "ada@example.com" and mail["From"] == "support@desk.test"
    assert "EUR-10001" in mail["Subject"]
    assert mail.get_content_type() == "multipart/alternative"  # plain text, and HTML
    parts = {part.get_content_type(): part.get_payload(decode=True) for part in mail.walk()}
    ticket_pages = created["url"].rsplit("/", 1)[0] + "/"  # the mail carries its own token
    for kind in ("text/plain", "text/html"):
        payload = parts[kind]
        assert isinstance(payload, bytes) and ticket_pages in payload.decode()
    assert outbox(app)[0].status == OutboxStatus.sent
    assert send(app) == (0, 0)  # sent once, never again
    # What is kept of it opens nothing: a leaked database or backup holds no ticket's key.
    kept = outbox(app)[0]
    mailed = link_token(state(app).config.secret_key, "eur", kept_ticket_id(app))
    assert mailed not in kept.body and "/tickets/EUR-10001/[link]" in kept.body
    assert kept.headers == {}  # the signed Reply-To and Message-ID went with the mail


def test_each_mail_says_when_it_was_written_and_which_help_center_sends_it(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    app = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0")
    api_ticket(app.test_client())
    api_ticket(app.test_client(), "km")
    queued = {row.tenant_id: row.created_at for row in outbox(app)}
    ran = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert ran.exit_code == 0 and ran.output.startswith("2 sent"), ran.output
    by_tenant = {mail["Subject"][1:4]: mail for mail in smtp.messages}
    assert by_tenant["EUR"]["From"] == "Nimbus Cloud Help Center <support@desk.test>"
    assert by_tenant["KM-"]["From"] == "Kestrel Maps Support <support@desk.test>"
    for prefix, tenant in (("EUR", "eur"), ("KM-", "km")):
        date = by_tenant[prefix]["Date"]
        assert date is not None, prefix
        written = parsedate_to_datetime(date)  # RFC 5322, UTC: the moment the mail was queued
        assert written == as_utc(queued[tenant]).replace(microsecond=0), prefix


def test_a_down_mail_server_keeps_ticket_and_mail_for_later(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    dead_port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=str(dead_port), OUTBOX_INTERVAL="0")
    api_ticket(app.test_client())
    assert send(app) == (0, 1)
    (row,) = outbox(app)
    assert row.status == OutboxStatus.pending and row.attempts == 1 and row.last_error
    with state(app).db.all_tenants(write=True) as session:
        assert session.scalars(select(SupportTicket)).one().reference == "EUR-10001"
    assert send(app) == (0, 0)  # not due yet: it backs off
    # Later the server is back (another app on the same database, pointed at it).
    later = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0")
    with state(later).db.all_tenants(write=True) as session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.execute(update(OutboxMessage).values(next_attempt_at=past))
        session.commit()
    assert send(later) == (1, 0)
    assert len(smtp.messages) == 1 and outbox(later)[0].attempts == 2


def test_the_background_sender_delivers_on_its_own(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    app = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0.2")
    state(app).background.start()  # as a serving process does
    api_ticket(app.test_client())
    assert smtp.arrived.wait(10), "the sender thread sent nothing"


def test_without_smtp_mail_lands_in_the_local_mailbox(make_app: Callable[..., Flask]) -> None:
    app = make_app(OUTBOX_INTERVAL="0.2")  # no SMTP_HOST, as under `make run`
    folder = mailbox_folder(state(app).config)
    shutil.rmtree(folder, ignore_errors=True)  # the sample's instance folder is shared
    state(app).background.start()  # as a serving process does
    created = api_ticket(app.test_client())
    found: list[Path] = []
    for _ in range(100):
        found = sorted(folder.glob("*.eml"))
        if found:
            break
        time.sleep(0.1)
    state(app).background.stop()
    assert len(found) == 1, "the sender wrote nothing to the mailbox"
    mail = message_from_bytes(found[0].read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["To"] == "ada@example.com" and created["ticket"]["reference"] in mail["Subject"]
    body = mail.get_body()
    assert body is not None and created["url"].rsplit("/", 1)[0] + "/" in body.get_content()
    assert outbox(app)[0].status == OutboxStatus.sent
    shutil.rmtree(folder, ignore_errors=True)


def test_no_transaction_is_open_while_a_mail_goes_out(make_app: Callable[..., Flask]) -> None:
    app = make_app(OUTBOX_INTERVAL="0")
    api_ticket(app.test_client())
    api_ticket(app.test_client())
    pool = state(app).db.engine.pool
    busy: list[int] = []

    def slow_server(_config: IntakeConfig, msg: EmailMessage, _tenant: str) -> None:
        # A connection in use here would be a transaction held open for the whole exchange
        # (on SQLite: the writer lock every new ticket needs).
        busy.append(pool.checkedout())  # type: ignore[attr-defined]
        if "EUR-10002" in str(msg["Subject"]):
            raise smtplib.SMTPServerDisconnected("gone")

    result = send_pending(state(app).config, state(app).db, slow_server)
    assert result == (1, 1) and busy == [0, 0]
    first, second = sorted(outbox(app), key=lambda row: row.id)
    assert first.status == OutboxStatus.sent and first.attempts == 1 and first.sent_at
    assert second.status == OutboxStatus.pending and second.attempts == 1
    assert second.last_error == "SMTPServerDisconnected: gone"


def test_one_mail_that_cannot_be_built_holds_back_no_other(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    app = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0")
    with state(app).db.write("eur") as session:  # a row from before the text rules, say
        session.add(OutboxMessage(to_address="a@example.com", subject="line\u2028break",
                                  body="x", next_attempt_at=dt.datetime.now(dt.UTC)))  # fmt: skip
    api_ticket(app.test_client())
    assert send(app) == (1, 1)
    assert len(smtp.messages) == 1  # the good one went out in the same round
    poisoned = next(r for r in outbox(app) if r.to_address == "a@example.com")
    assert poisoned.status == OutboxStatus.pending and poisoned.attempts == 1
    assert poisoned.last_error.startswith("ValueError: Header values may not contain")
    for _ in range(11):  # every attempt counted, then given up with its reason
        with state(app).db.all_tenants(write=True) as session:
            session.execute(update(OutboxMessage).values(next_attempt_at=dt.datetime.now(dt.UTC)))
        send(app)
    poisoned = next(r for r in outbox(app) if r.to_address == "a@example.com")
    assert poisoned.status == OutboxStatus.failed and poisoned.attempts == 12


def test_admins_see_failed_mails_and_try_them_again(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    from intake.models import AgentRole
    from tests.intake.desk import post_form, signed_in

    app = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0")
    with state(app).db.write("eur") as session:
        session.add(OutboxMessage(to_address="b@example.com", subject="Stuck", body="x",
                                  status=OutboxStatus.failed, attempts=12,
                                  last_error="SMTPRecipientsRefused: no such user"))  # fmt: skip
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    page = admin.get("/desk/eur/admin/mail").get_data(as_text=True)
    assert "b@example.com" in page and "SMTPRecipientsRefused: no such user" in page
    assert post_form(admin, "/desk/eur/admin/mail", "/desk/eur/admin/mail/retry").status_code == 303
    assert send(app) == (1, 0) and smtp.messages[-1]["To"] == "b@example.com"


def test_an_international_domain_goes_out_in_ascii(app: Flask) -> None:
    """The customer's address is kept with its domain in Unicode; a relay without SMTPUTF8
    refuses that, so the mail names the domain as xn--."""
    api_ticket(app.test_client(), email="ada@xn--bcher-kva.example")
    sent: list[EmailMessage] = []
    result = send_pending(state(app).config, state(app).db,
                          lambda _config, msg, _tenant: sent.append(msg))  # fmt: skip
    assert result == (1, 0)
    assert sent[0]["To"] == "ada@xn--bcher-kva.example"
    (row,) = outbox(app)
    assert row.to_address == "ada@bücher.example"


def test_a_name_in_other_letters_before_the_at_goes_out_in_utf8_or_fails_at_once(
    make_app: Callable[..., Flask], smtp: Mailbox
) -> None:
    """ádä@example.com has no ASCII form: the mail goes in UTF-8 (RFC 6531/6532) to a server
    offering SMTPUTF8, never with an encoded word before the @ (which is no address); a server
    without it cannot take it, and will not learn to: the mail fails at once, saying why."""
    from aiosmtpd.controller import Controller

    app = make_app(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), OUTBOX_INTERVAL="0")
    api_ticket(app.test_client(), email="ádä@example.com")
    assert send(app) == (1, 0)
    assert "ádä@example.com" in smtp.messages[0].as_bytes().decode("utf-8", "replace")
    assert "=?utf-8?" not in str(smtp.messages[0]["To"])  # no encoded word in an address
    plain = Mailbox("127.0.0.1", free_port())
    server = Controller(_Handler(plain), hostname=plain.host, port=plain.port,
                        enable_SMTPUTF8=False)  # fmt: skip
    server.start()
    try:
        app = make_app(SMTP_HOST=plain.host, SMTP_PORT=str(plain.port), OUTBOX_INTERVAL="0")
        api_ticket(app.test_client(), email="ádä@example.com")
        assert send(app) == (0, 1)
    finally:
        server.stop()
    (row,) = [row for row in outbox(app) if row.status != OutboxStatus.sent]
    assert (row.status, row.attempts) == (OutboxStatus.failed, 1)
    assert row.last_error.startswith("SMTPNotSupportedError:") and "SMTPUTF8" in row.last_error
    assert plain.messages == []
    # Without a server (the local mailbox), the file holds the address as it is, in UTF-8.
    written = bytes(build_message(state(app).config, row)).replace(b"\r\n", b"\n")
    assert "\nTo: ádä@example.com\n".encode() in written


def test_a_refused_mail_is_logged_without_its_address(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    api_ticket(app.test_client(), email="zoë.secret@bücher.example")

    def refusing(_config: IntakeConfig, msg: EmailMessage, _tenant: str) -> None:
        to = str(msg["To"])
        raise smtplib.SMTPRecipientsRefused({to: (550, f"5.1.1 <{to}>: rejected".encode())})

    with caplog.at_level(logging.WARNING, logger="intake.mail.outbox"):
        assert send_pending(state(app).config, state(app).db, refusing) == (0, 1)
    assert "not sent (SMTPRecipientsRefused)" in caplog.text
    assert "secret" not in caplog.text and "xn--bcher" not in caplog.text
    (row,) = outbox(app)
    assert "rejected" in (row.last_error or "")  # the admin's page still says why


def test_an_operator_retries_failed_mail_from_the_command_line(app: Flask) -> None:
    api_ticket(app.test_client())
    with state(app).db.all_tenants(write=True) as session:
        session.execute(update(OutboxMessage).values(status=OutboxStatus.failed, attempts=12))
    runner = app.test_cli_runner()
    ran = runner.invoke(args=["outbox", "retry", "--tenant", "eur"])
    assert ran.exit_code == 0 and ran.output == "1 failed mail(s) of eur will be tried again\n"
    (row,) = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.pending, 0)
    wrong = runner.invoke(args=["outbox", "retry", "--tenant", "nowhere"])
    assert wrong.exit_code != 0 and "--tenant: 'nowhere' is not a tenant" in str(wrong.exception)
