"""Mail in through real servers: a tenant's mailbox read over IMAP from Dovecot (each mail
moved only once stored, so a crash mid-fetch loses and doubles nothing), and mail delivered
by LMTP."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from sqlalchemy import func, select

from intake.customers.privacy import erase_customer
from intake.mail import imap, inbound, lmtp
from intake.mail.imap import fetch_all
from intake.mail.lmtp import lmtp_server
from intake.models import AgentRole, InboundMail, SupportTicket
from intake.settings import TenantSettings
from intake.state import state
from intake.tickets.loading import ticket_by_reference
from scripts.pgserver import free_port
from tests.intake.conftest import MAILBOXES
from tests.intake.desk import post_form, signed_in
from tests.intake.mailing import bounce, mail, reply_address
from tests.intake.test_mail_in import ADA, _answered, _thread

USER = "support@eur.example.com"


class Died(BaseException):
    """The process stops here, as if killed (nothing catches it)."""


@pytest.fixture
def mailbox(app: Flask, imap_server: tuple[str, int]) -> Iterator[IMAPClient]:
    """Point tenant eur at its Dovecot mailbox (emptied first); yield a client of it."""
    host, port = imap_server
    with state(app).db.write("eur") as session:
        settings = TenantSettings(session, state(app).secrets)
        for key, value in (
            ("mail_host", host),
            ("mail_port", port),
            ("mail_security", "none"),
            ("mail_username", USER),
            ("mail_password", MAILBOXES[USER]),
        ):
            settings.set(key, value)  # fmt: skip
    client = IMAPClient(host, port, ssl=False, timeout=10)
    client.login(USER, MAILBOXES[USER])
    for folder in ("INBOX", "Processed"):
        if client.folder_exists(folder):
            client.select_folder(folder)
            client.delete_messages(client.search("ALL"))
            client.expunge()
    yield client
    client.logout()


def _count(client: IMAPClient, folder: str) -> int:
    client.select_folder(folder, readonly=True)
    return len(client.search("ALL"))


def _fetch(app: Flask) -> dict[str, dict[str, int]]:
    return fetch_all(state(app).mailroom, state(app).secrets, ["eur", "km"])


def test_the_mailbox_is_read_and_each_mail_moved_once_stored(
    app: Flask, client: FlaskClient, mailbox: IMAPClient
) -> None:
    ref, address, _root, _created = _answered(app, client)
    reply = mail(ADA, address, "Re: invoices", "Works now, thanks!\n\n> older words",
                 Message_ID="<r1@client.example>")  # fmt: skip
    for raw in (reply, mail("grace@example.com", USER, "Printing", "How do I print?"), reply):
        mailbox.append("INBOX", raw)
    assert _fetch(app) == {"eur": {"reply": 1, "ticket": 1, "already stored": 1}}
    assert (_count(mailbox, "INBOX"), _count(mailbox, "Processed")) == (0, 3)
    assert _thread(app, ref)[-1][2] == "Works now, thanks!"
    assert _fetch(app) == {"eur": {}}  # nothing new
    said = app.test_cli_runner().invoke(args=["mail", "fetch", "--tenant", "eur"])
    assert said.exit_code == 0 and "eur: no new mail" in said.output


def test_a_crash_mid_fetch_loses_and_doubles_nothing(
    app: Flask, mailbox: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        mailbox.append("INBOX", mail(f"c{n}@example.com", USER, f"Question {n}", "How to log in?"))
    real_move, moved = imap._move, list[list[int]]()

    def crash_on_second(client: IMAPClient, uids: list[int], folder: str) -> None:
        if moved:
            raise Died
        moved.append(uids)
        real_move(client, uids, folder)

    monkeypatch.setattr(imap, "_move", crash_on_second)
    with pytest.raises(Died):
        _fetch(app)  # the second mail is stored, and still in the inbox
    monkeypatch.setattr(imap, "_move", real_move)
    assert _fetch(app) == {"eur": {"already stored": 1, "ticket": 1}}
    assert (_count(mailbox, "INBOX"), _count(mailbox, "Processed")) == (0, 3)
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(SupportTicket.id))) == 3
        assert session.scalar(select(func.count(InboundMail.id))) == 3


UNKNOWN_CHARSET = (
    b"From: Eve <eve@example.com>\r\nTo: support@eur.example.com\r\nSubject: Odd\r\n"
    b"Message-ID: <odd@client.example>\r\nContent-Type: text/plain; charset=x-nonexistent"
    b"\r\n\r\nMy caf\xe9 order is late.\r\n"
)


def test_a_mail_that_fails_to_be_stored_holds_up_no_other(
    app: Flask, mailbox: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox.append("INBOX", UNKNOWN_CHARSET)  # Python cannot decode it: read all the same
    for n in range(3):
        mailbox.append("INBOX", mail(f"c{n}@example.com", USER, f"Question {n}", "Log in?"))
    real_receive = inbound.receive

    def fails_for_c1(room: object, tenant: str, raw: bytes) -> object:
        if b"c1@example.com" in raw:
            raise RuntimeError("a fault of this mail's own")
        return real_receive(room, tenant, raw)  # type: ignore[arg-type]

    monkeypatch.setattr(imap, "receive", fails_for_c1)
    said = "not stored (left in the inbox; see the log)"
    assert _fetch(app) == {"eur": {"ticket": 3, said: 1}}
    assert (_count(mailbox, "INBOX"), _count(mailbox, "Processed")) == (1, 3)
    monkeypatch.setattr(imap, "receive", real_receive)
    assert _fetch(app) == {"eur": {"ticket": 1}}  # tried again next round
    with state(app).db.read("eur") as session:
        odd = session.scalars(select(SupportTicket).where(
            SupportTicket.customer_email == "eve@example.com")).one()  # fmt: skip
    assert odd.description.startswith("My café order is late.")


@pytest.mark.usefixtures("mailbox")
def test_a_wrong_password_is_reported_without_it(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with state(app).db.write("eur") as session:
        TenantSettings(session, state(app).secrets).set("mail_password", "not-the-password-9")
    with caplog.at_level(logging.WARNING):
        assert _fetch(app) == {}
    assert "cannot read Mailbox(support@eur.example.com@127.0.0.1" in caplog.text
    assert "not-the-password-9" not in caplog.text


@pytest.fixture
def lmtp_port(app: Flask) -> Iterator[int]:
    """Run the LMTP receiver of both tenants (km's support address set); yield its port."""
    with state(app).db.write("km") as session:
        TenantSettings(session).set("mail_address", "support@km.example.com")
    port = free_port()
    server = lmtp_server(state(app).mailroom, ("eur", "km"), "127.0.0.1", port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


def test_mail_delivered_by_lmtp_is_stored_and_strangers_refused(
    app: Flask, client: FlaskClient, lmtp_port: int
) -> None:
    ref, address, _root, _created = _answered(app, client)
    with smtplib.LMTP("127.0.0.1", lmtp_port) as lmtp:
        lmtp.sendmail(ADA, [address], mail(ADA, address, "Re: x", "Fixed, thank you."))
        lmtp.sendmail(
            "bo@example.com",
            ["support@km.example.com"],
            mail("bo@example.com", "support@km.example.com", "Hi", "A question."),
        )
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            lmtp.sendmail(ADA, ["nobody@example.com"], mail(ADA, "nobody@x", "x", "y"))
    assert _thread(app, ref)[-1][2] == "Fixed, thank you."
    with state(app).db.read("km") as session:
        opened = session.scalars(select(SupportTicket)).one()
    assert opened.customer_email == "bo@example.com"
    assert reply_address(app, opened.reference)[0].startswith("support+")
    with state(app).db.read("eur") as session:
        assert ticket_by_reference(session, ref).customer_email == ADA


class _Answers(smtplib.LMTP):
    """An LMTP client that keeps what the server answered to DATA for each of `recipients`."""

    recipients: list[str]

    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        code, said = super().data(msg)
        self.answers = [(code, said)]
        for _more in range(len(self.recipients) - 1):
            self.answers.append(self.getreply())
        return code, said


def test_lmtp_answers_each_recipient_and_reads_the_envelope(
    app: Flask, client: FlaskClient, lmtp_port: int
) -> None:
    ref, address, _root, _created = _answered(app, client)
    with _Answers("127.0.0.1", lmtp_port, timeout=10) as lmtp:
        lmtp.ehlo()
        # One mail to both tenants: LMTP answers once per recipient (RFC 2033).
        both = ["support@km.example.com", address]
        lmtp.recipients = both
        lmtp.mail("bo@example.com")
        for rcpt in both:
            assert lmtp.rcpt(rcpt)[0] == 250
        lmtp.data(mail("bo@example.com", ", ".join(both), "Hi", "To you both."))
        assert [code for code, _said in lmtp.answers] == [250, 250]
        # The reply address only in the envelope (a Bcc): the reply finds its ticket.
        lmtp.recipients = [address]
        lmtp.sendmail(ADA, [address], mail(ADA, "undisclosed-recipients:;", "Re: x", "Bcc'd."))
        # A new mail from no address a reply could reach is refused, not swallowed: the
        # mail server tells its sender.
        for sender in ("root@localhost", '"john doe"@example.com'):
            lmtp.recipients = ["support@km.example.com"]
            raw = mail(sender, "support@km.example.com", "Hi", "Hello?")
            with pytest.raises(smtplib.SMTPDataError) as refused:
                lmtp.sendmail("x@example.com", ["support@km.example.com"], raw)
            assert refused.value.smtp_code == 550
    assert _thread(app, ref)[-1][2] == "Bcc'd."
    with state(app).db.read("km") as session:
        assert session.scalars(select(SupportTicket.subject)).all() == ["Hi"]


def test_lmtp_says_451_for_the_recipient_whose_mail_could_not_be_stored(
    app: Flask, lmtp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = inbound.receive

    def fails_for_km(room: object, tenant: str, raw: bytes, to: object = ()) -> object:
        if tenant == "km":
            raise RuntimeError("km's database is away")
        return real(room, tenant, raw, to)  # type: ignore[arg-type]

    monkeypatch.setattr(lmtp, "receive", fails_for_km)
    both = ["support@km.example.com", "support@eur.example.com"]
    with state(app).db.write("eur") as session:
        TenantSettings(session).set("mail_address", both[1])
    with _Answers("127.0.0.1", lmtp_port, timeout=10) as client:
        client.ehlo()
        client.recipients = both
        client.mail("bo@example.com")
        for rcpt in both:
            assert client.rcpt(rcpt)[0] == 250
        client.data(mail("bo@example.com", ", ".join(both), "Hi", "To you both."))
    assert [code for code, _said in client.answers] == [451, 250]  # km's mail server retries


def test_an_admin_sets_the_mailbox_in_the_desk_and_reads_it_now(
    app: Flask, imap_server: tuple[str, int], mailbox: IMAPClient
) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    page = "/desk/eur/admin/mail/incoming"
    host, port = imap_server
    fields = {"mail_address": "support@eur.example.com", "mail_host": host, "mail_port": str(port),
              "mail_security": "none", "mail_username": USER, "mail_password": "wrong-one",
              "mail_folder": "INBOX", "mail_done_folder": "Done"}  # fmt: skip
    bad = post_form(admin, page, page, **{**fields, "mail_address": "not an address"})
    assert bad.status_code == 400 and "use an address like support@example.com" in bad.text
    assert post_form(admin, page, page, **fields).status_code == 303
    shown = admin.get(page).get_data(as_text=True)
    assert "wrong-one" not in shown and "A password is stored" in shown
    read = post_form(admin, page, f"{page}/read")
    assert read.status_code == 303
    said = admin.get(page).get_data(as_text=True)
    assert "cannot read Mailbox(support@eur.example.com@" in said and "wrong-one" not in said
    # The right password; an empty field later keeps it.
    assert post_form(admin, page, page, **{**fields, "mail_password": MAILBOXES[USER]}
                     ).status_code == 303  # fmt: skip
    assert post_form(admin, page, page, **{**fields, "mail_password": ""}).status_code == 303
    mailbox.append("INBOX", mail("grace@example.com", USER, "Printing", "How do I print?"))
    post_form(admin, page, f"{page}/read")
    assert "The mailbox was read: 1 ticket." in admin.get(page).get_data(as_text=True)
    assert _count(mailbox, "Done") == 1
    assert signed_in(app, "plain@example.com").get(page).status_code == 404  # admins only


def test_an_erasure_deletes_the_mails_they_sent_from_the_processed_folder(
    app: Flask, mailbox: IMAPClient
) -> None:
    for sender, subject in (("Ada Lovelace <Ada@example.com>", "Invoices"),
                            ("Bada <bada@example.com>", "Printing"),  # IMAP's FROM finds her too
                            ("grace@example.com", "Exports")):  # fmt: skip
        mailbox.append("INBOX", mail(sender, USER, subject, f"{subject}, please."))
    for recipient in ("ada@example.com", "grace@example.com"):  # quoting what went to them
        mailbox.append("INBOX", bounce(recipient, USER, f"Hello {recipient}, 9 Birch Lane"))
    assert _fetch(app)["eur"] == {"ticket": 3, "bounce": 2}
    assert _count(mailbox, "Processed") == 5
    box = imap.mailbox_of(state(app).db, state(app).secrets, "eur")
    assert box is not None
    erased = erase_customer(state(app).db, state(app).files, "eur", "ada@example.com", None,
                            mail_server=box)  # fmt: skip
    assert erased.tickets == 1 and erased.mail_server_problem == ""
    mailbox.select_folder("Processed", readonly=True)
    left = mailbox.fetch(mailbox.search("ALL"), ["ENVELOPE"])
    assert sorted(data[b"ENVELOPE"].subject.decode() for data in left.values()) == [
        "Exports", "Printing", "Undelivered"]  # fmt: skip
    (kept,) = mailbox.search(["SUBJECT", "Undelivered"])
    assert b"grace@example.com" in mailbox.fetch([kept], ["BODY.PEEK[]"])[kept][b"BODY[]"]
    gone = imap.Mailbox(box.host, free_port(), "none", USER, "x", "INBOX", "Processed")
    again = erase_customer(state(app).db, state(app).files, "eur", "grace@example.com", None,
                           mail_server=gone)  # fmt: skip
    assert again.tickets == 1 and "cannot read" in again.mail_server_problem
