"""Mail in: a customer's reply, written in any common client's style, lands on its ticket with
the quote cut; a new mail opens a ticket; robots are never answered; a second delivery is
stored once; a reply from someone else is a note for agents."""

from __future__ import annotations

import html
import re
import unicodedata
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.files import cut_into_file
from intake.mail.smtp import build_message
from intake.models import (
    AuthorType,
    FailingAddress,
    InboundMail,
    OutboxMessage,
    SupportTicket,
    TicketEvent,
    TicketEventKind,
    TicketResponse,
    TicketStatus,
)
from intake.settings import TenantSettings
from intake.state import state
from intake.tickets.loading import ticket_by_reference
from tests.intake.conftest import api_ticket
from tests.intake.desk import hidden, signed_in
from tests.intake.mailing import deliver, mail, reply_address, with_files
from tests.intake.test_desk_work import customer_page, on_ticket, text


def text_of(page: str) -> str:
    return html.unescape(page)


ADA = "ada@example.com"
QUOTE = "Hello Ada,\n\nplease try the export again.\n\nSupport"

# Each mail client's way of quoting, and in which language; the new words come first.
STYLES = {
    "gmail": "On Mon, Dec 7, 2026 at 10:00 AM Support <support@desk.test> wrote:\n"
             + "".join(f"> {line}\n" for line in QUOTE.splitlines()),
    "outlook": "From: Support <support@desk.test>\nSent: Monday, December 7, 2026 10:00\n"
               f"To: Ada Lovelace <{ADA}>\nSubject: RE: Cannot export my invoices\n\n{QUOTE}\n",
    "apple mail, German": "Am 07.12.2026 um 10:00 schrieb Support <support@desk.test>:\n\n"
                          + "".join(f"> {line}\n" for line in QUOTE.splitlines()),
    "thunderbird, French": "Le 07/12/2026 à 10:00, Support a écrit :\n"
                           + "".join(f"> {line}\n" for line in QUOTE.splitlines()),
    "signature only": "-- \nAda Lovelace\nAnalytical Engines Ltd\n",
}  # fmt: skip


def _thread(app: Flask, reference: str) -> list[tuple[AuthorType, bool, str]]:
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, reference)
        return [(r.author_type, r.is_internal, r.body) for r in ticket.responses]


def _answered(app: Flask, client: FlaskClient) -> tuple[str, str, str, dict[str, object]]:
    """Open a ticket and have an agent answer it; return its reference, Reply-To, root id."""
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, ref, "reply", body="Please try the export again.").status_code == 303
    address, root = reply_address(app, ref)
    return ref, address, root, created


def _outbox(app: Flask) -> int:
    with state(app).db.all_tenants() as session:
        return int(session.scalar(select(func.count(OutboxMessage.id))) or 0)


@pytest.mark.parametrize("style", STYLES)
def test_a_reply_in_each_clients_style_lands_on_its_ticket_with_the_quote_cut(
    app: Flask, client: FlaskClient, style: str
) -> None:
    ref, address, _root, created = _answered(app, client)
    new_words = "Thanks, the export works now."
    raw = mail(f"Ada Lovelace <{ADA}>", address, f"Re: [{ref}] Re: Cannot export my invoices",
               f"{new_words}\n\n{STYLES[style]}")  # fmt: skip
    outcome = deliver(app, raw)
    assert outcome.outcome == "reply" and not outcome.duplicate
    assert _thread(app, ref)[-1] == (AuthorType.customer, False, new_words)
    assert new_words in customer_page(client, created)
    with state(app).db.read("eur") as session:  # the customer wrote: back with the team
        assert ticket_by_reference(session, ref).status == TicketStatus.open


def test_a_reply_without_our_address_is_found_by_its_thread(
    app: Flask, client: FlaskClient
) -> None:
    ref, _address, root, _created = _answered(app, client)
    raw = mail(ADA, "support@desk.test", "Re: invoices", "It works, thank you!",
               In_Reply_To=root, References=root)  # fmt: skip
    assert deliver(app, raw).outcome == "reply"
    assert _thread(app, ref)[-1][2] == "It works, thank you!"
    forged = mail(ADA, "support+eur-1.forged@desk.test", "Re: x", "Which ticket?")
    assert deliver(app, forged).outcome == "ticket"  # a forged token names no ticket
    # Nor does a thread's Message-ID made up from a ticket's row id (or with a made-up
    # signature), whoever it claims to be from: it opens a ticket of its own.
    with state(app).db.read("eur") as session:
        number = ticket_by_reference(session, ref).id
    for made_up in (f"<ticket-eur-{number}@desk.test>", f"<ticket-eur-{number}.AAAA@x.example>"):
        spoof = mail(ADA, "support@desk.test", "Re: invoices", "Send my invoices elsewhere.",
                     In_Reply_To=made_up, References=made_up)  # fmt: skip
        assert deliver(app, spoof).outcome == "ticket", made_up
    assert "Send my invoices elsewhere." not in [text for *_, text in _thread(app, ref)]


def test_a_second_delivery_is_stored_once(app: Flask, client: FlaskClient) -> None:
    ref, address, _root, _created = _answered(app, client)
    raw = mail(ADA, address, "Re: x", "Once only, please.", Message_ID="<same@client.example>")
    first, second = deliver(app, raw), deliver(app, raw)
    assert (first.outcome, first.duplicate, second.duplicate) == ("reply", False, True)
    assert [body for _a, _i, body in _thread(app, ref)].count("Once only, please.") == 1
    fresh = mail("grace@example.com", "support@desk.test", "Printing", "How do I print a report?",
                 Message_ID="<new@client.example>")  # fmt: skip
    opened, again = deliver(app, fresh), deliver(app, fresh)
    assert opened.outcome == "ticket" and again.duplicate and again.ticket_id == opened.ticket_id
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(SupportTicket.id)).where(
            SupportTicket.customer_email == "grace@example.com")) == 1  # fmt: skip


def test_a_new_mail_opens_a_ticket_confirmed_once_a_day(app: Flask) -> None:
    before = _outbox(app)
    first = deliver(app, mail("Grace Hopper <grace@example.com>", "support@desk.test",
                              "Printing reports", "How do I print a report?"))  # fmt: skip
    assert first.outcome == "ticket" and first.ticket_id is not None
    with state(app).db.read("eur") as session:
        ticket = session.get_one(SupportTicket, first.ticket_id)
        assert (ticket.customer_name, ticket.customer_email, ticket.subject) == (
            "Grace Hopper",
            "grace@example.com",
            "Printing reports",
        )
        assert ticket.description == "How do I print a report?"
        (confirmation,) = session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == "grace@example.com")).all()  # fmt: skip
    assert (confirmation.headers or {})["Auto-Submitted"] == "auto-replied"
    assert _outbox(app) == before + 1
    second = deliver(app, mail("grace@example.com", "support@desk.test", "Exports", "And exports?"))
    assert second.outcome == "ticket" and second.ticket_id != first.ticket_id
    assert _outbox(app) == before + 1  # a forged sender cannot have us mail someone again


def test_a_mails_sender_is_kept_as_a_ticket_keeps_an_address_not_lower_cased(app: Flask) -> None:
    """Lower-casing a whole address may make another mailbox of it (İ becomes i̇)."""
    opened = deliver(app, mail("İlkay Öz <İlkay.Oz@Example.com>", "support@desk.test",
                               "Printing", "How do I print a report?"))  # fmt: skip
    assert opened.outcome == "ticket"
    with state(app).db.read("eur") as session:
        ticket = session.get_one(SupportTicket, opened.ticket_id)
        assert ticket.customer_email == "İlkay.Oz@example.com"


def test_robots_are_never_answered(app: Flask, client: FlaskClient) -> None:
    ref, address, _root, _created = _answered(app, client)
    before = _outbox(app)
    away = mail(ADA, address, "Out of office", "I am away until Monday.",
                Auto_Submitted="auto-replied")  # fmt: skip
    assert deliver(app, away).outcome == "note"  # kept for agents, never answered
    author, internal, body = _thread(app, ref)[-1]
    assert (author, internal) == (AuthorType.system, True) and "I am away" in body
    with state(app).db.read("eur") as session:
        assert ticket_by_reference(session, ref).status == TicketStatus.pending  # unchanged
    for headers in ({"Precedence": "bulk"}, {"X_Autoreply": "yes"}, {"List_Id": "<l.x.org>"}):
        robot = mail("news@lists.example", "support@desk.test", "Digest", "News", **headers)
        assert deliver(app, robot).outcome == "robot"
    daemon = mail("MAILER-DAEMON@mx.example", "support@desk.test", "Undelivered", "Failed")
    assert deliver(app, daemon).outcome == "robot"
    for n in range(12):  # a sender that writes without pause is a machine
        deliver(app, mail("loop@other-desk.example", "support@desk.test", f"Ticket {n}", "Hi!"))
    with state(app).db.read("eur") as session:
        opened = session.scalar(select(func.count(SupportTicket.id)).where(
            SupportTicket.customer_email == "loop@other-desk.example"))  # fmt: skip
    assert opened == 10
    assert _outbox(app) == before + 1  # the first ticket's confirmation, nothing else


def test_a_bounce_marks_the_address_and_is_not_answered(app: Flask, client: FlaskClient) -> None:
    ref, _address, _root, _created = _answered(app, client)
    before = _outbox(app)
    report = (
        "From: MAILER-DAEMON@mx.example\r\nTo: support@desk.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {ADA}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--b--\r\n"
    ).encode()
    assert deliver(app, report).outcome == "bounce"
    with state(app).db.read("eur") as session:
        failing = session.scalars(select(FailingAddress)).one()
    assert failing.email == ADA and "User unknown" in failing.reason
    assert _outbox(app) == before
    sam = signed_in(app, "sam2@example.com")
    page = text(sam.get(f"/desk/eur/tickets/{ref}"))
    assert "Mail to ada@example.com bounced" in page and "User unknown" in page


def test_a_reply_from_someone_else_is_a_note_until_an_agent_accepts_it(
    app: Flask, client: FlaskClient
) -> None:
    ref, address, _root, created = _answered(app, client)
    raw = mail("Bob Colleague <bob@example.net>", address, "Re: x", "Ada is away; I can help.")
    assert deliver(app, raw).outcome == "note"
    author, internal, body = _thread(app, ref)[-1]
    assert author == AuthorType.system and internal
    assert "bob@example.net" in body and "Ada is away" in body
    assert "Ada is away" not in customer_page(client, created)
    with state(app).db.read("eur") as session:  # the trail says who: the system, not Ada
        added = session.scalars(select(TicketEvent.actor).where(
            TicketEvent.kind == TicketEventKind.note_added)).all()  # fmt: skip
    assert added == [AuthorType.system]
    sam = signed_in(app, "sam3@example.com")
    page = sam.get(f"/desk/eur/tickets/{ref}").get_data(as_text=True)
    action = re.search(r'action="(/desk/eur/tickets/[^"]+/accept)"', page)
    assert action and "Show this mail to the customer" in page
    accepted = sam.post(action.group(1), data={"csrf_token": hidden(page)})
    assert accepted.status_code == 303
    author, internal, body = _thread(app, ref)[-1]
    assert (
        not internal
        and body == "Bob Colleague <bob@example.net> wrote:\n\nAda is away; I can help."
    )
    assert "Ada is away; I can help." in text_of(customer_page(client, created))
    again = sam.post(action.group(1), data={"csrf_token": hidden(page)})
    assert again.status_code == 409  # accepted once; a note of an agent is never accepted


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(app: Flask, client: FlaskClient) -> None:
    ref, address, _root, _created = _answered(app, client)
    with state(app).db.write("eur") as session:
        ticket_by_reference(session, ref).status = TicketStatus.closed
    outcome = deliver(app, mail(ADA, address, "Re: x", "It broke again after the update."))
    assert outcome.outcome == "ticket"
    with state(app).db.read("eur") as session:
        follow_up = session.get_one(SupportTicket, outcome.ticket_id)
        assert follow_up.follow_up_of_id == ticket_by_reference(session, ref).id
        assert follow_up.subject.startswith(f"Follow-up to {ref}")
        assert session.scalars(select(InboundMail.outcome)).all()[-1] == "ticket"
    assert re.match(r"^It broke again", follow_up.description)
    with state(app).db.read("eur") as session:
        texts = session.scalars(select(TicketResponse.body)).all()
    assert "It broke again after the update." not in texts  # not on the closed ticket


def test_our_mails_thread_offer_html_and_unsubscribe_in_one_click(
    app: Flask, client: FlaskClient
) -> None:
    ref, address, root, created = _answered(app, client)
    with state(app).db.all_tenants() as session:
        row = session.scalars(select(OutboxMessage).where(
            OutboxMessage.subject == f"[{ref}] Re: Cannot export my invoices")).one()  # fmt: skip
    msg = build_message(state(app).config, row)
    assert msg["In-Reply-To"] == msg["References"] == root and msg["Message-ID"]
    assert msg["Reply-To"] == address
    plain, rich = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and rich is not None
    assert "Please try the export again." in plain.get_content()
    page = rich.get_content()
    assert "<p" in page and "Please try the export again." in page
    link = re.search(r'href="(http://desk\.test/eur/tickets/[^"]+)"', page)
    assert link and link.group(1) in plain.get_content()  # the same words, the same link
    unsubscribe = re.fullmatch(r"<http://desk\.test(/eur/tickets/\S+/unsubscribe)>",
                               msg["List-Unsubscribe"])  # fmt: skip
    assert unsubscribe and msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As sent: the link whole on its line, never an encoded word a mail client cannot follow.
    sent = re.search(rb"^List-Unsubscribe: (.*)$", msg.as_bytes(), re.MULTILINE)
    assert sent and sent.group(1).decode() == msg["List-Unsubscribe"]
    opened = client.get(unsubscribe.group(1))  # a client without one-click: to the page
    assert opened.status_code == 303
    done = client.post(unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with state(app).db.read("eur") as session:
        assert ticket_by_reference(session, ref).notify_customer is False
    assert "You get no emails about this request" in customer_page(client, created)
    wrong = unsubscribe.group(1).replace(ref, "EUR-99999")
    assert client.post(wrong, data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_a_reply_from_an_address_spelt_otherwise_is_the_customers(
    app: Flask, client: FlaskClient
) -> None:
    """The form keeps bücher.example; mail clients write it xn--bcher-kva.example, and a Mac
    may send é as e and an accent: the reply is the customer's, not a stranger's note."""
    for typed, sent in (
        ("ada@xn--bcher-kva.example", "Ada <ada@xn--bcher-kva.example>"),
        ("émile@example.com", unicodedata.normalize("NFD", "émile@example.com")),
    ):
        created = api_ticket(client, email=typed)
        address, _root = reply_address(app, created["ticket"]["reference"])
        got = deliver(app, mail(sent, address, "Re: my request", "More details here."))
        assert got.outcome == "reply", typed


def test_a_senders_name_is_kept_in_one_spelling_or_not_at_all(app: Flask) -> None:
    """A From name is kept as the form keeps names: composed, without stray joiners; one of
    invisible characters only is no name (the address's local part stands for it)."""
    composed = deliver(app, mail('"Zoe\u0308 Zed\u200d" <zoe@example.com>', "support@desk.test",
                                 "Hello there", "My first question."))  # fmt: skip
    invisible = deliver(app, mail('"\u200d" <ivy@example.com>', "support@desk.test",
                                  "Hello again", "My second question."))  # fmt: skip
    with state(app).db.read("eur") as session:
        names = {t.customer_email: t.customer_name for t in session.scalars(select(SupportTicket))}
    assert composed.outcome == invisible.outcome == "ticket"
    assert names == {"zoe@example.com": "Zoë Zed", "ivy@example.com": "ivy"}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_what_a_mail_holds_is_read_whatever_its_client_wrote(app: Flask) -> None:
    """A charset nobody knows, 8-bit text declaring none, a From whose encoded name hides a
    line break, invisible characters (a NUL PostgreSQL cannot store, a bell, a right-to-left
    override): each mail opens its ticket, its words readable."""
    raws = [
        b"From: Ann <ann@example.com>\r\nTo: support@desk.test\r\nSubject: Charset\r\n"
        b"Content-Type: text/plain; charset=x-nonexistent\r\n\r\nMy caf\xe9 order is late.\r\n",
        b"From: ben@example.com\r\nTo: support@desk.test\r\nSubject: Eight bits\r\n\r\n"
        b"Caf\xe9 cr\xe8me is on the invoice twice.\r\n",
        b"From: =?utf-8?q?Eve=0D=0ABcc=3A_x=40y?= <eve@example.com>\r\nTo: support@desk.test\r\n"
        b"Subject: =?utf-8?q?Invoice_=E2=80=AEfdp.exe_=07_bell?=\r\n\r\n"
        b"Hello\x00 there\x1b[31m, the invoice is wrong.\r\n",
    ]
    outcomes = [deliver(app, raw) for raw in raws]
    assert [o.outcome for o in outcomes] == ["ticket"] * 3
    with state(app).db.read("eur") as session:
        tickets = {t.customer_email: t for t in session.scalars(select(SupportTicket))}
    assert tickets["ann@example.com"].description.startswith("My café order is late.")
    assert tickets["ben@example.com"].description.startswith("Café crème is on the invoice")
    eve = tickets["eve@example.com"]
    assert eve.subject == "Invoice fdp.exe bell"
    assert eve.description.startswith("Hello there[31m, the invoice is wrong.")
    assert "\n" not in eve.customer_name and "Bcc" in eve.customer_name


def test_a_long_mail_is_cut_with_the_whole_of_it_attached(app: Flask, client: FlaskClient) -> None:
    ref, address, _root, _created = _answered(app, client)
    words = "".join(f"Line {n} of a very long log the customer pasted.\n" for n in range(800))
    assert deliver(app, mail(ADA, address, "Re: x", words)).outcome == "reply"
    opened = deliver(app, mail("long@example.com", "support@desk.test", "Logs", words))
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        reply = ticket.responses[-1]
        new = session.get_one(SupportTicket, opened.ticket_id)
        kept = [
            (reply.body, [a for a in ticket.attachments if a.response_id == reply.id]),
            (new.description, list(new.attachments)),
        ]
        files = [[(a.original_name, _read(app, a.stored_name)) for a in got] for _t, got in kept]
    note = "[The mail goes on: the whole of it is in the attached file mail.txt.]\n"
    for (said, _got), found in zip(kept, files, strict=True):
        assert len(said) <= 10_000 and said.startswith("Line 0 of") and said.endswith(note)
        assert found == [("mail.txt", words.strip().encode())]


def _read(app: Flask, stored_name: str) -> bytes:
    handle = state(app).files.open("eur", stored_name)
    assert handle is not None
    with handle:
        return handle.read()


def test_files_a_mail_brings_beyond_what_a_ticket_keeps_are_named_in_it(
    app: Flask, client: FlaskClient
) -> None:
    ref, address, _root, _created = _answered(app, client)
    limit = state(app).config.max_attachments
    photos = [(f"p{n}.png", PNG) for n in range(limit + 1)]
    tnef = ("winmail.dat", b"\x78\x9f\x3e\x22")  # Outlook's wrapper: no type a ticket takes
    raw = with_files(mail(ADA, address, "Re: x", "Photos and a wrapper."), *photos, tnef)
    assert deliver(app, raw).outcome == "reply"
    second = with_files(mail(ADA, address, "Re: x", "One more."), ("p7.png", PNG))
    assert deliver(app, second).outcome == "reply"
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        names = [a.original_name for a in ticket.attachments]
        first_text, second_text = (r.body for r in ticket.responses[-2:])
    assert names == [f"p{n}.png" for n in range(limit)]  # per ticket, as the form has it
    assert f"p{limit}.png: a ticket keeps at most {limit} files of its customer." in first_text
    assert "winmail.dat" in first_text and "p7.png" in second_text


def test_a_strangers_mail_is_shown_by_the_address_it_came_from(
    app: Flask, client: FlaskClient
) -> None:
    ref, address, _root, created = _answered(app, client)
    name = "Ada Lovelace <ada@example.com>, who is not this ticket's customer; ok"
    raw = mail(f'"{name}" <mallory@evil.example>', address, "Re: x", "Send it to me instead.")
    assert deliver(app, raw).outcome == "note"
    note = _thread(app, ref)[-1][2]
    assert "<mallory@evil.example>" in note and "<ada@example.com>" not in note
    sam = signed_in(app, "sam4@example.com")
    page = sam.get(f"/desk/eur/tickets/{ref}").get_data(as_text=True)
    action = re.search(r'action="(/desk/eur/tickets/[^"]+/accept)"', page)
    assert action
    assert sam.post(action.group(1), data={"csrf_token": hidden(page)}).status_code == 303
    shown = _thread(app, ref)[-1][2]
    assert shown.split("\n", 1)[0].endswith("<mallory@evil.example> wrote:")
    assert "ada@example.com" not in shown
    assert "mallory@evil.example" in text_of(customer_page(client, created))


def test_mail_from_our_own_support_address_is_a_loop_never_a_ticket(app: Flask) -> None:
    with state(app).db.write("eur") as session:
        TenantSettings(session).set("mail_address", "help@eur.example.com")
    before = _outbox(app)
    got = deliver(app, mail("Help <HELP@eur.example.com>", "support@desk.test", "Hi", "Hello."))
    assert got.outcome == "loop" and _outbox(app) == before


def test_a_forwarded_mail_and_a_calendar_invitation_keep_their_words(app: Flask) -> None:
    inner = mail("bob@other.example", "ada@example.com", "Original", "The original words.")
    outer = message_from_bytes(mail("fw@example.com", "support@desk.test", "Fw: see", "See below."),
                               policy=policy.default)  # fmt: skip
    assert isinstance(outer, EmailMessage)
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))
    invitation = (b"From: cal@example.com\r\nTo: support@desk.test\r\nSubject: Call\r\n"
                  b"Content-Type: text/calendar; method=REQUEST\r\n\r\n"
                  b"BEGIN:VCALENDAR\r\nSUMMARY:Onboarding call\r\nEND:VCALENDAR\r\n")  # fmt: skip
    outcomes = [deliver(app, bytes(outer)), deliver(app, invitation)]
    with state(app).db.read("eur") as session:
        texts = [session.get_one(SupportTicket, o.ticket_id).description for o in outcomes]
    assert texts[0].startswith("See below.\n\n---------- Forwarded message ----------\n")
    assert "From: bob@other.example" in texts[0] and "The original words." in texts[0]
    assert "SUMMARY:Onboarding call" in texts[1]


def test_a_reply_token_in_any_of_several_delivered_to_headers_finds_its_ticket(
    app: Flask, client: FlaskClient
) -> None:
    ref, address, _root, _created = _answered(app, client)
    raw = mail(ADA, "support@desk.test", "Re: x", "Through an alias.", Cc="a@f.com")
    head, body = raw.split(b"\n\n", 1)
    head += f"\nDelivered-To: {address}\nDelivered-To: support@desk.test\nCc: b@f.com".encode()
    assert deliver(app, head + b"\n\n" + body).outcome == "reply"
    assert _thread(app, ref)[-1][2] == "Through an alias."


def test_a_mail_without_text_takes_none_from_its_files_or_forwarded_mail(app: Flask) -> None:
    empty = mail("csv@example.com", "support@desk.test", "Data", "")
    msg = message_from_bytes(empty, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    msg.clear_content()
    msg.add_attachment("a,b\n1,2\n", subtype="csv", filename="data.csv")
    only_forwarded = message_from_bytes(mail("fw@example.com", "support@desk.test", "Fw", ""),
                                        policy=policy.default)  # fmt: skip
    assert isinstance(only_forwarded, EmailMessage)
    only_forwarded.clear_content()
    inner = mail("bob@other.example", "fw@example.com", "Original", "The original words.")
    only_forwarded.add_attachment(message_from_bytes(inner, policy=policy.default))
    opened = [deliver(app, bytes(msg)), deliver(app, bytes(only_forwarded))]
    with state(app).db.read("eur") as session:
        texts = [session.get_one(SupportTicket, o.ticket_id).description for o in opened]
    assert "1,2" not in texts[0]
    assert texts[1].count("The original words.") == 1


def test_invisible_characters_in_a_machines_headers_or_an_address_are_kept_out(
    app: Flask, client: FlaskClient
) -> None:
    ref, address, _root, _created = _answered(app, client)
    robot = mail(ADA, address, "Re: x", "Away.", Auto_Submitted="auto-replied\x00\u202ex")
    assert deliver(app, robot).outcome == "note"
    note = _thread(app, ref)[-1][2]
    assert note.startswith("Automatic mail (Auto-Submitted: auto-replied") and "\x00" not in note
    nul = b"From: a\x00b@example.com\r\nTo: support@desk.test\r\nSubject: Hi\r\n\r\nHello.\r\n"
    assert deliver(app, nul).outcome == "unanswerable"  # no address anyone can be answered at
    with state(app).db.read("eur") as session:
        assert all("\x00" not in m.from_address for m in session.scalars(select(InboundMail)))


def test_thread_headers_under_a_long_domain_go_out_whole(app: Flask) -> None:
    root = "<ticket-eur-12345.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@help.example-company.com>"
    row = OutboxMessage(tenant_id="eur", to_address=ADA, subject="Re: x", body="Hello.",
                        headers={"In-Reply-To": root, "References": root})  # fmt: skip
    sent = build_message(state(app).config, row).as_bytes()
    for name in (b"In-Reply-To", b"References"):
        assert re.search(rb"^" + name + rb": " + re.escape(root.encode()) + rb"$", sent, re.M)


def test_a_long_paragraph_after_a_greeting_is_cut_where_the_room_ends() -> None:
    words = "Hi,\n" + "word " * 5000  # an HTML-only mail: one long paragraph
    kept, whole = cut_into_file(words, 10_000, "mail.txt", "mail")
    assert 9_000 < len(kept) <= 10_000 and kept.startswith("Hi,\nword word")
    assert whole is not None and whole.data == words.encode()
    short, none = cut_into_file("Hello.", 10_000, "mail.txt", "mail")
    assert (short, none) == ("Hello.", None)
