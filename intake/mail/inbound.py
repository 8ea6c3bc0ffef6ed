"""Mail in: each received mail lands on its ticket, opens one, or is kept and left unanswered.

A reply finds its ticket by the signed token of our Reply-To address (support+TOKEN@...), or
else by the thread's Message-IDs (In-Reply-To, References). From the ticket's customer it is
a reply (the quoted history and signature cut); from anyone else, an internal note for an
agent to read, never shown to the customer. A mail that answers nothing opens a ticket, with
the usual confirmation at most once a day per sender (a forged sender gets no stream of
mail). Automatic mail (auto-replies, lists, bounces) is never answered: a bounce marks its
address as failing; an auto-reply on a ticket becomes a note. Each mail is stored once, by its
Message-ID, in the same transaction as what it changes, so a second delivery, or a fetch
retried after a crash, finds it stored and changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intake.db import Database, TenantSession
from intake.db.addresses import same_address
from intake.errors import Conflict, InvalidInput, NotFound
from intake.events import EventBus
from intake.files import CheckedFile, FileStore, SavedFile, check_files, cut_into_file, saved
from intake.mail.reading import Received, read_mail
from intake.mail.robots import automatic, bounced_addresses, is_bounce
from intake.models import (
    Agent,
    AuthorType,
    FailingAddress,
    InboundMail,
    SupportTicket,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketResponse,
    TicketStatus,
    utcnow,
)
from intake.settings import TenantSettings
from intake.tickets import rules
from intake.tickets.changes import ticket_changed
from intake.tickets.create import NewTicket, create_ticket
from intake.tickets.mail_headers import read_reply_address, read_root_message_id
from intake.tickets.mails import Brand
from intake.tickets.replies import add_reply, files_of_the_customer
from intake.tickets.rules import address_key
from intake.tickets.thread import add_message, record
from intake.tickets.writer import TicketWriter

log = logging.getLogger(__name__)
# A mail on a ticket from another address: a note, until an agent shows it to the customer.
FOREIGN = ("Mail from {who}, who is not this ticket's customer; not shown to the customer"
           " unless an agent accepts it:")  # fmt: skip
FOREIGN_RE = re.compile(r"\AMail from (?P<who>.+?), who is not this ticket's customer;"
                        r"[^\n]*:\n\n(?P<text>.*)\Z", re.DOTALL)  # fmt: skip
FLOOD_PER_HOUR = 10  # mails from one sender an hour beyond which none is acted on
UNANSWERABLE = "unanswerable"  # a new mail whose From cannot be written to: recorded only


@dataclass(frozen=True)
class Mailroom:
    """What storing received mail needs: the database, files, ticket writer, limits, and how
    a tenant's mails look."""

    database: Database
    files: FileStore
    writer: TicketWriter
    events: EventBus
    brand: Callable[[str], Brand]
    max_files: int
    max_file_bytes: int


@dataclass(frozen=True)
class Outcome:
    """What became of a mail: its `InboundMail.outcome`, the ticket it concerns, and whether
    it had been stored before (a second delivery)."""

    outcome: str
    ticket_id: int | None = None
    duplicate: bool = False


def receive(room: Mailroom, tenant_id: str, raw: bytes, delivered_to: Sequence[str] = ()
            ) -> Outcome:  # fmt: skip
    """Store one received mail of a tenant (RFC 5322 bytes) and act on it. `delivered_to`: the
    addresses it was delivered to, where the mail server says (LMTP's envelope)."""
    mail = read_mail(raw)
    if delivered_to:
        mail = dataclasses.replace(mail, recipients=[*delivered_to, *mail.recipients])
    with room.database.read(tenant_id) as session:
        seen = _stored(session, mail.message_id)
        if seen is not None:
            return Outcome(seen.outcome, seen.ticket_id, duplicate=True)
        ticket = _ticket_of(session, room.brand(tenant_id).secret, tenant_id, mail)
        known = Seen(
            flood=_recent(session, mail.sender) >= FLOOD_PER_HOUR,
            confirmed_today=_opened_today(session, mail.sender),
            support=str(TenantSettings(session).get("mail_address") or ""),
            customer_files=len(files_of_the_customer(ticket)) if ticket is not None else 0,
        )
    try:
        return _act(room, tenant_id, mail, ticket, known)
    except IntegrityError:  # the same mail, stored by a second delivery at the same moment
        with room.database.read(tenant_id) as session:
            again = _stored(session, mail.message_id)
        if again is None:
            raise
        return Outcome(again.outcome, again.ticket_id, duplicate=True)


@dataclass(frozen=True)
class Seen:
    """What the tenant's records say of a mail's sender and ticket before it is acted on."""

    flood: bool  # more than FLOOD_PER_HOUR mails from the sender this hour
    confirmed_today: bool  # a ticket opened by their mail was confirmed in the last day
    support: str  # the tenant's mail_address: mail from it is our own
    customer_files: int  # files the ticket's customer sent it so far


def _act(room: Mailroom, tenant_id: str, mail: Received, ticket: SupportTicket | None,
         seen: Seen) -> Outcome:  # fmt: skip
    brand = room.brand(tenant_id)
    msg = mail.message
    assert msg is not None
    ours = {_mailbox(a) for a in (brand.mail_from, seen.support) if "@" in a}
    if _mailbox(mail.sender) in ours:  # our own mail, come back (or sent from our mailbox)
        return _keep(room, tenant_id, mail, "loop", None)
    if is_bounce(msg):
        return _bounce(room, tenant_id, mail)
    if ticket is None and not mail.sender:  # no From (or none that reads as an address)
        return _keep(room, tenant_id, mail, UNANSWERABLE, None)
    robot = ("more than 10 mails an hour from this sender" if seen.flood
             else automatic(msg, mail.sender))  # fmt: skip
    if ticket is None:
        if robot:
            log.info("automatic mail to %s left unanswered: %s", tenant_id, robot)
            return _keep(room, tenant_id, mail, "robot", None)
        return _open(room, tenant_id, mail, confirm=not seen.confirmed_today)
    from_customer = mail.sender == address_key(ticket.customer_email)
    if from_customer and not robot and ticket.status == TicketStatus.closed:
        return _open(room, tenant_id, mail, confirm=True, follow_up_of=ticket)  # closed is final
    outcome = "reply" if from_customer and not robot else "note"
    # The customer's files count against their allowance on the ticket, as the form's do.
    already = seen.customer_files if outcome == "reply" else 0
    files, left_out = _files(room, mail, already)
    # What a note says before the mail's words, so that the two fit in a message together.
    if robot:
        before = f"Automatic mail ({robot}) from {mail.sender}, not answered:\n\n"
    elif not from_customer:
        before = f"{FOREIGN.format(who=f'{_shown_name(mail)} <{mail.sender}>')}\n\n"
    else:
        before = ""
    text, whole = cut_into_file(_with_left_out(mail.text, left_out),
                                rules.REPLY_MAX - len(before), "mail.txt", "mail")  # fmt: skip
    with (saved(room.files, tenant_id, files + ([whole] if whole else [])) as stored,
          room.database.write(tenant_id) as session):  # fmt: skip
        current = session.get(SupportTicket, ticket.id)
        assert current is not None
        if outcome == "reply":
            add_reply(session, current, text or "(an empty mail)", stored)
        else:  # whose words and files these are, if not the customer's
            _note(session, current, before + text, stored, None if from_customer else mail.sender)
        session.add(_record(mail, outcome, current.id))
    # Committed: the desk's open pages hear of it (and the customer's, of their own reply).
    ticket_changed(room.events, tenant_id, ticket.id, "replied", customer_sees=outcome == "reply")
    return Outcome(outcome, ticket.id)


def _mailbox(address: str) -> str:
    """Return an address without its +tag, lower-cased: support+x@d and support@d are one."""
    local, _, domain = address.strip("<> ").lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _stored(session: TenantSession, message_id: str) -> InboundMail | None:
    query = select(InboundMail).where(InboundMail.message_id == message_id)
    return session.scalars(query.limit(1)).first()


def _recent(session: TenantSession, sender: str) -> int:
    since = utcnow() - dt.timedelta(hours=1)
    query = select(func.count(InboundMail.id)).where(
        same_address(InboundMail.from_address, sender), InboundMail.created_at >= since
    )
    return int(session.scalar(query) or 0)


def _opened_today(session: TenantSession, sender: str) -> bool:
    since = utcnow() - dt.timedelta(days=1)
    query = select(InboundMail.id).where(
        same_address(InboundMail.from_address, sender), InboundMail.outcome == "ticket",
        InboundMail.created_at >= since)  # fmt: skip
    return session.scalars(query.limit(1)).first() is not None


def _ticket_of(session: TenantSession, secret: str, tenant_id: str, mail: Received
               ) -> SupportTicket | None:  # fmt: skip
    """Return the ticket the mail answers (the one it was merged into, if so), or None: also
    for an erased customer's ticket, so the mail starts anew, as theirs to export or erase."""
    wanted: int | None = None
    named = [read_reply_address(secret, address) for address in mail.recipients]
    named += [read_root_message_id(secret, message_id) for message_id in mail.answers]
    for found in named:  # our reply address first, then the thread's Message-IDs
        if found is not None and found[0] == tenant_id:
            wanted = found[1]
            break
    ticket = session.get(SupportTicket, wanted) if wanted is not None else None
    for _hop in range(5):  # merged tickets lead to the one kept
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = session.get(SupportTicket, ticket.merged_into_id)
    return None if ticket is not None and ticket.erased else ticket


def _record(mail: Received, outcome: str, ticket_id: int | None) -> InboundMail:
    return InboundMail(message_id=mail.message_id, from_address=mail.sender[:254],
                       subject=mail.subject, outcome=outcome, ticket_id=ticket_id)  # fmt: skip


def _keep(room: Mailroom, tenant_id: str, mail: Received, outcome: str, ticket_id: int | None
          ) -> Outcome:  # fmt: skip
    with room.database.write(tenant_id) as session:
        session.add(_record(mail, outcome, ticket_id))
    return Outcome(outcome, ticket_id)


def _bounce(room: Mailroom, tenant_id: str, mail: Received) -> Outcome:
    """Mark each address the report says failed; answer nothing."""
    assert mail.message is not None
    with room.database.write(tenant_id) as session:
        for bounced, reason in bounced_addresses(mail.message):
            address = address_key(bounced)  # as the customer's tickets spell it (not xn--)
            row = session.scalars(
                select(FailingAddress).where(same_address(FailingAddress.email, address)).limit(1)
            ).first()
            if row is None:
                session.add(FailingAddress(email=address[:254], reason=reason[:2000]))
            else:
                row.reason, row.updated_at = reason[:2000], utcnow()
        session.add(_record(mail, "bounce", None))
    return Outcome("bounce")


def _note(session: TenantSession, ticket: SupportTicket, body: str,
          files: list[SavedFile], mailed_by: str | None) -> None:  # fmt: skip
    """Add an internal note written by the system (agents see it; the customer never)."""
    add_message(session, ticket, body[: rules.REPLY_MAX], files, internal=True, by_system=True,
                mailed_by=mailed_by)  # fmt: skip


def _files(room: Mailroom, mail: Received, already: int = 0) -> tuple[list[CheckedFile], list[str]]:
    """Check the mail's files one by one as the form does; return those kept, and a line for
    each left out saying why (it goes into the message, so nobody wonders where it went)."""
    kept: list[CheckedFile] = []
    left_out: list[str] = []
    for item in mail.attachments:
        try:
            checked = check_files([(item.name, item.data)], 1, room.max_file_bytes)
        except InvalidInput as exc:
            left_out.append(exc.message)
            continue
        if already + len(kept) >= room.max_files:
            left_out.append(f"{checked[0].name}: a ticket keeps at most {room.max_files} files"
                            " of its customer.")  # fmt: skip
            continue
        kept += checked
    return kept, left_out


def _with_left_out(text: str, left_out: list[str]) -> str:
    if not left_out:
        return text
    lines = "\n".join(f"- {line}" for line in left_out)
    return f"{text}\n\n[Files of this mail not kept:\n{lines}]".strip()


def _shown_name(mail: Received) -> str:
    """Return the sender's name as a note shows it beside their address: without the marks
    that could make it read as another address or as the note's own words."""
    name = " ".join(re.sub(r'[<>@",;:]', " ", mail.sender_name).split())[: rules.NAME_MAX]
    return name or mail.sender


def _sender_name(mail: Received) -> str:
    """The mail's sender's name as a ticket keeps names (one spelling, one line), else their
    address's local part: a From name of invisible characters is no name."""
    for name in (mail.sender_name, mail.sender.split("@", 1)[0]):
        name = rules.one_spelling(" ".join((name or "").split()))[: rules.NAME_MAX]
        if name and not rules.control_problem(name, multiline=False):
            return name
    return "Customer"


def _open(room: Mailroom, tenant_id: str, mail: Received, confirm: bool,
          follow_up_of: SupportTicket | None = None) -> Outcome:  # fmt: skip
    """Open a ticket from the mail, recorded with it in one transaction."""
    try:
        email = validate_email(mail.sender_spelled or mail.sender,
                               check_deliverability=False).normalized  # fmt: skip
    except EmailNotValidError:  # no From, or one nobody can write to: nobody to answer
        return _keep(room, tenant_id, mail, UNANSWERABLE, None)
    subject = mail.subject or "(no subject)"
    files, left_out = _files(room, mail)
    body = _with_left_out(mail.text or mail.whole_text or "(an empty mail)", left_out)
    if follow_up_of is not None:
        subject = f"Follow-up to {follow_up_of.reference}: {subject}"
    if len(body) < rules.DESCRIPTION_MIN:
        body = f"{body}\n\n(sent by mail)"
    body, whole = cut_into_file(body, rules.DESCRIPTION_MAX, "mail.txt", "mail")
    data = NewTicket(
        name=_sender_name(mail), email=email, subject=subject[: rules.SUBJECT_MAX],
        description=body, category=TicketCategory.general,
        priority=follow_up_of.priority if follow_up_of else TicketPriority.medium,
        follow_up_of_id=follow_up_of.id if follow_up_of else None, confirm=confirm,
        mail_headers=(("Auto-Submitted", "auto-replied"),),
    )  # fmt: skip
    record_row = {"message_id": mail.message_id, "from_address": email, "subject": mail.subject,
                  "outcome": "ticket"}  # fmt: skip
    brand = room.brand(tenant_id)
    files += [whole] if whole else []
    ticket, _token = create_ticket(room.writer, room.files, tenant_id, brand, data, files,
                                   linked=[(InboundMail, record_row)])  # fmt: skip
    return Outcome("ticket", ticket.id)


def is_foreign_mail(response: TicketResponse) -> bool:
    """Say whether a message is another sender's mail, kept as a note for an agent to accept."""
    return (response.is_internal and response.author_type == AuthorType.system
            and FOREIGN_RE.match(response.body) is not None)  # fmt: skip


def accept_foreign_mail(session: TenantSession, ticket: SupportTicket, response_id: int,
                        agent: Agent) -> TicketResponse:  # fmt: skip
    """Show another sender's mail to the ticket's customer, as that sender's words (the agent
    judged it part of the conversation: a colleague of the customer, say)."""
    response = session.get(TicketResponse, response_id)
    if response is None or response.ticket_id != ticket.id:
        raise NotFound()
    found = FOREIGN_RE.match(response.body) if is_foreign_mail(response) else None
    if found is None:
        raise Conflict("Only a mail from another sender, kept as a note, can be accepted.")
    # Who wrote it is the address the mail came from: the note's words around it are the
    # sender's to choose (a name reading "Carol <carol@…>, who is not…" is not Carol).
    who = found["who"]
    if response.mailed_by and not who.endswith(f"<{response.mailed_by}>"):
        who = response.mailed_by
    response.body, response.is_internal = f"{who} wrote:\n\n{found['text']}", False
    record(session, ticket, TicketEventKind.replied, f"accepted the mail of {who}", agent)
    ticket.updated_at = utcnow()
    session.flush()
    return response
