"""A customer's data, by email address within one tenant: exported whole, or erased.

Every table that holds something a customer gave or that is about them is covered here:
tickets with their messages (internal notes too: they are about the customer), files, audit
trail, tags and satisfaction answers; mails sent to them and received from them, and whether
their address bounces; chats with their files. A test fills
each of these and checks both directions, so a new kind of customer data cannot be forgotten
silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from intake.chat.tickets import CONVERTING
from intake.db import Database, TenantSession
from intake.db.addresses import same_address
from intake.db.batches import per_statement
from intake.errors import ConfigError
from intake.files import FileStore, plain_name
from intake.mail.imap import Mailbox, forget_sender
from intake.mail.mailbox import erase_from_mailbox
from intake.models import (
    Agent,
    ArticleFeedback,
    ChatMessage,
    ChatSession,
    ChatStatus,
    CustomerErasure,
    FailingAddress,
    InboundMail,
    OutboxMessage,
    SatisfactionRating,
    SearchMiss,
    SearchOpen,
    SupportTicket,
    TicketAttachment,
    TicketEvent,
    TicketEventKind,
    TicketResponse,
    as_utc,
    utcnow,
)
from intake.models.tickets import ERASED_DOMAIN
from intake.tickets.rules import address_key, ascii_address, normal_spelling
from intake.tickets.satisfaction import ratings_of

ERASED = "[erased]"


def _iso(value: Any) -> str | None:
    """A time as ISO 8601 with its zone (UTC), a day as it is; None as null."""
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()
    return value.isoformat() if value is not None else None


def _tickets(session: TenantSession, email: str) -> list[SupportTicket]:
    query = select(SupportTicket).where(same_address(SupportTicket.customer_email, email))
    return list(session.scalars(query.order_by(SupportTicket.id)))


def _chats(session: TenantSession, email: str) -> list[ChatSession]:
    query = select(ChatSession).where(same_address(ChatSession.customer_email, email))
    return list(session.scalars(query.order_by(ChatSession.id)))


def _reference(session: TenantSession, ticket_id: int | None) -> str | None:
    """Return a linked ticket's reference (EUR-10001), or None."""
    if ticket_id is None:
        return None
    return session.scalar(select(SupportTicket.reference).where(SupportTicket.id == ticket_id))


def _naming(column: Any) -> Any:
    """A condition narrowing to rows whose text may hold an address (`_holds` says): the
    database cannot compare its spellings, so every text with an "@" is read."""
    return column.contains("@")


def _holds(text: str, email: str) -> bool:
    """Say whether `text` names the address whole, in any of its spellings (composed or not,
    its domain in Unicode or xn--, any case): "lisa@b.com" does not name "a@b.co"."""
    text = unicodedata.normalize("NFC", text)
    for spelled in {email, ascii_address(email)}:
        whole = rf"(?<![\w.+-]){re.escape(spelled)}(?![\w-]|\.\w)"
        if re.search(whole, text, re.IGNORECASE):
            return True
    return False


def _searches(session: TenantSession, email: str) -> list[SearchMiss | SearchOpen]:
    """Return the counted searches whose words hold the address (anonymous otherwise)."""
    misses = session.scalars(select(SearchMiss).where(_naming(SearchMiss.query)))
    opens = session.scalars(select(SearchOpen).where(_naming(SearchOpen.query)))
    return [row for row in (*misses, *opens) if _holds(row.query, email)]


def _comments(session: TenantSession, email: str) -> list[ArticleFeedback]:
    """Return the "Was this helpful?" answers whose comment holds the address."""
    rows = session.scalars(select(ArticleFeedback).where(_naming(ArticleFeedback.comment)))
    return [row for row in rows if _holds(row.comment, email)]


def _mails_on_others_tickets(session: TenantSession, email: str) -> list[TicketResponse]:
    """Return their mails kept on other customers' tickets (a colleague's mail into a thread,
    an auto-reply): the mail room records whose words they are; an address quoted in a text
    is not its sender."""
    query = select(TicketResponse).where(same_address(TicketResponse.mailed_by, email))
    return list(session.scalars(query.order_by(TicketResponse.id)))


def _someone_elses(response: TicketResponse) -> bool:
    """Say whether a message is another sender's mail that the ticket's customer never saw
    (once an agent shows it to them, it is part of their thread)."""
    return response.mailed_by is not None and response.is_internal


def _files_of(session: TenantSession, response: TicketResponse) -> list[TicketAttachment]:
    query = select(TicketAttachment).where(TicketAttachment.response_id == response.id)
    return list(session.scalars(query.order_by(TicketAttachment.id)))


def _file_events(
    session: TenantSession, response: TicketResponse, files: list[TicketAttachment]
) -> list[TicketEvent]:
    """Return the history entries naming a message's files, written with it (on the ticket the
    message came to, which a merge may have joined to the one it is on now)."""
    if not files:
        return []
    query = select(TicketEvent).where(
        TicketEvent.ticket_id.in_(_with_merged(response.ticket_id)),
        TicketEvent.kind == TicketEventKind.attachment_added,
        TicketEvent.detail.in_({f.original_name for f in files}),
        TicketEvent.created_at.between(response.created_at, response.created_at + _TOGETHER),
    )
    return list(session.scalars(query.order_by(TicketEvent.id)).all()[: len(files)])


_TOGETHER = dt.timedelta(minutes=1)  # a message's rows are written in one transaction


def _with_merged(ticket_id: int) -> Any:
    """The ticket and those merged into it: a merge moves messages and files, not history."""
    merged = select(SupportTicket.id).where(SupportTicket.merged_into_id == ticket_id)
    return select(SupportTicket.id).where(
        or_(SupportTicket.id == ticket_id, SupportTicket.id.in_(merged))
    )


# The files an export lists, by their path in its zip, with the names they are stored under:
# the zip holds exactly what data.json lists.
_Files = dict[str, str]


def _file_data(ticket: SupportTicket, item: TicketAttachment, files: _Files) -> dict[str, Any]:
    path = _ticket_file_path(ticket, item)
    files[path] = item.stored_name
    return {"name": item.original_name, "type": item.content_type, "size": item.size,
            "sha256": item.sha256, "in_export_as": path}  # fmt: skip


# History entries whose detail may hold what the customer gave (a file's name, a tag, whose
# mail an agent accepted); the others name statuses, agents, groups, tickets and articles.
_TELLING = (TicketEventKind.created, TicketEventKind.replied, TicketEventKind.attachment_added,
            TicketEventKind.note_added, TicketEventKind.tags_changed)  # fmt: skip


@dataclass(frozen=True)
class _OthersPart:
    """The ids of what on a ticket is another sender's: their mails, files and its history."""

    messages: set[int]
    files: set[int]
    events: set[int]


def _others_part(session: TenantSession, ticket: SupportTicket) -> _OthersPart:
    messages, files, events = set(), set(), set()
    # A ticket merged away keeps the history of messages now on the one it joined.
    joined = session.get(SupportTicket, ticket.merged_into_id) if ticket.merged_into_id else None
    for response in [*ticket.responses, *(joined.responses if joined else [])]:
        if _someone_elses(response):
            attached = _files_of(session, response)
            messages.add(response.id)
            files |= {f.id for f in attached}
            events |= {e.id for e in _file_events(session, response, attached)}
    return _OthersPart(messages, files, events)


def _ticket_data(session: TenantSession, ticket: SupportTicket, files: _Files) -> dict[str, Any]:
    hidden = _others_part(session, ticket)  # theirs to take away, not this customer's
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    )
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "description": ticket.description,
        "name": ticket.customer_name,
        "email": ticket.customer_email,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "category": ticket.category.value,
        "tags": ticket.tag_names,
        "mails_wanted": ticket.notify_customer,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "resolved_at": _iso(ticket.resolved_at),
        "merged_into": _reference(session, ticket.merged_into_id),
        "follow_up_of": _reference(session, ticket.follow_up_of_id),
        "messages": [
            {
                "from": r.author_type.value,
                "internal_note": r.is_internal,
                "body": r.body,
                "created_at": _iso(r.created_at),
            }
            for r in ticket.responses
            if r.id not in hidden.messages
        ],
        "files": [
            _file_data(ticket, a, files) for a in ticket.attachments if a.id not in hidden.files
        ],  # fmt: skip
        "satisfaction": [
            {"satisfied": r.satisfied, "comment": r.comment, "at": _iso(r.created_at)}
            for r in ratings_of(session, ticket.id)
        ],
        "history": [
            {
                "what": e.kind.value,
                "by": e.actor.value,
                "detail": e.detail,
                "at": _iso(e.created_at),
            }
            for e in events
            if e.id not in hidden.events
        ],
    }


# A file's name in the zip ends as its type does (a name kept from before that rule, such as
# invoice.html for a PNG, would run when the zip's files are opened).
def _ticket_file_path(ticket: SupportTicket, item: TicketAttachment) -> str:
    return f"files/{ticket.reference}/{item.id}-{plain_name(item.original_name, item.content_type)}"


def _chat_file_path(chat: ChatSession, message: ChatMessage) -> str:
    name = plain_name(message.file_name or "file", message.content_type or "text/plain")
    return f"files/chat-{chat.id}/{message.id}-{name}"


def _chat_file(chat: ChatSession, message: ChatMessage, files: _Files) -> dict[str, Any] | None:
    if not message.stored_name:
        return None
    path = _chat_file_path(chat, message)
    files[path] = message.stored_name
    return {"name": message.file_name, "type": message.content_type, "size": message.size,
            "in_export_as": path}  # fmt: skip


def _chat_files(session: TenantSession, chat: ChatSession) -> list[ChatMessage]:
    query = select(ChatMessage).where(
        ChatMessage.session_id == chat.id, ChatMessage.stored_name.is_not(None)
    )
    return list(session.scalars(query.order_by(ChatMessage.id)))


def export(session: TenantSession, email: str) -> dict[str, Any]:
    """Return everything kept about the customer with this address, as JSON-ready data."""
    return _export(session, normal_spelling(email))[0]


def _export(session: TenantSession, email: str) -> tuple[dict[str, Any], _Files]:
    """Return the export's data and the files it lists (the zip's besides data.json)."""
    files: _Files = {}
    mails = session.scalars(
        select(OutboxMessage)
        .where(same_address(OutboxMessage.to_address, email))
        .order_by(OutboxMessage.id)
    )
    chats = []
    for chat in _chats(session, email):
        messages = session.scalars(
            select(ChatMessage).where(ChatMessage.session_id == chat.id).order_by(ChatMessage.id)
        )
        chats.append(
            {
                "name": chat.customer_name,
                "status": chat.status.value,
                "created_at": _iso(chat.created_at),
                "closed_at": _iso(chat.closed_at),
                "became_ticket": _reference(session, chat.ticket_id),
                "messages": [
                    {
                        "from": m.author_type.value,
                        "type": m.message_type.value,
                        "body": m.body,
                        "at": _iso(m.created_at),
                        "file": _chat_file(chat, m, files),
                    }
                    for m in messages
                ],
            }
        )
    data = {
        "email": email,
        "tenant": session.tenant_id,
        "tickets": [_ticket_data(session, t, files) for t in _tickets(session, email)],
        "mails": [
            {
                "subject": m.subject,
                "body": m.body,
                "status": m.status.value,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in mails
        ],
        "chats": chats,
        "mails_received": [
            {"subject": m.subject, "what_became_of_it": m.outcome, "at": _iso(m.created_at)}
            for m in session.scalars(
                select(InboundMail).where(same_address(InboundMail.from_address, email))
                .order_by(InboundMail.id))
        ],
        "mails_on_others_tickets": [
            {"ticket": r.ticket.reference, "body": r.body, "at": _iso(r.created_at),
             "files": [_file_data(r.ticket, a, files) for a in _files_of(session, r)]}
            for r in _mails_on_others_tickets(session, email)
        ],
        "address_bounces": [
            {"reason": f.reason, "since": _iso(f.created_at)}
            for f in session.scalars(
                select(FailingAddress).where(same_address(FailingAddress.email, email)))
        ],
        # Anonymous by design, unless someone typed the address itself.
        "searches_naming_the_address": [
            {"query": m.query, "day": m.day.isoformat(), "count": m.count}
            for m in _searches(session, email)
        ],
        "feedback_comments_naming_the_address": [
            {"comment": f.comment, "at": _iso(f.created_at)} for f in _comments(session, email)
        ],
    }  # fmt: skip
    return data, files


def export_zip(session: TenantSession, store: FileStore, email: str) -> bytes:
    """Return the export as a zip: data.json and every file of the customer's tickets and
    chats."""
    if session.tenant_id is None:
        raise ValueError("export_zip needs a session bound to one tenant")
    data, files = _export(session, normal_spelling(email))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for name, stored_name in files.items():
            handle = store.open(session.tenant_id, stored_name)
            if handle is not None:
                with handle:
                    archive.writestr(name, handle.read())
    return out.getvalue()


def export_counts(export: bytes) -> dict[str, int]:
    """Return how many items each list of an export's data.json holds, the empty left out:
    an address nothing is kept about gives {} (what to tell whoever asked)."""
    with zipfile.ZipFile(io.BytesIO(export)) as archive:
        data = json.loads(archive.read("data.json"))
    return {key.replace("_", " "): len(value) for key, value in data.items()
            if isinstance(value, list) and value}  # fmt: skip


@dataclass(frozen=True)
class Erased:
    """What an erasure removed; `stored_files` are for the caller to delete after commit."""

    tickets: int
    mails: int
    chats: int
    stored_files: list[str]
    references: tuple[str, ...] = ()  # of the tickets, whose mails' subjects name them
    log_emptied: bool = True  # False: a reader kept SQLite's log (and the words) a while
    mail_server_problem: str = ""  # why the tenant's IMAP done folder could not be reached


def erase(session: TenantSession, email: str) -> Erased:
    """Erase the customer's data in the caller's transaction; return what went.

    Tickets stay as empty shells (counts and reports keep adding up) with every text of
    theirs replaced; files, mails and chat texts go. The caller deletes the stored files
    after the commit, so a failed transaction never leaves rows without their files.
    """
    email = normal_spelling(email)
    tickets = _tickets(session, email)
    stored: list[str] = []
    for ticket in tickets:
        stored += [a.stored_name for a in ticket.attachments]
        session.execute(delete(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
        session.execute(
            update(TicketResponse).where(TicketResponse.ticket_id == ticket.id).values(body=ERASED)
        )
        session.execute(  # the agents' work (statuses, assignments, merges) stays on record
            update(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(_TELLING))
            .values(detail="")
        )
        session.execute(  # the verdict stays in the figures; the customer's words go
            update(SatisfactionRating)
            .where(SatisfactionRating.ticket_id == ticket.id)
            .values(comment="")
        )
        ticket.customer_name = ERASED
        ticket.customer_email = f"erased-{ticket.id}@{ERASED_DOMAIN}"
        ticket.subject, ticket.description = ERASED, ERASED
        ticket.notify_customer = False
        ticket.tags = []
    # Mail to the customer, and agents' notices about their tickets, which quote the subject
    # after the reference ("[EUR-10034] A ticket was assigned to you: …"). Another customer's
    # mail that merely names the reference later in its subject is theirs and stays.
    removed = session.execute(
        delete(OutboxMessage).where(same_address(OutboxMessage.to_address, email))
    ).rowcount  # type: ignore[attr-defined]
    session.execute(delete(InboundMail).where(same_address(InboundMail.from_address, email)))
    for some in per_statement(tickets):
        notices = [OutboxMessage.subject.startswith(f"[{t.reference}] ", autoescape=True)
                   for t in some]  # fmt: skip
        removed += session.execute(delete(OutboxMessage).where(or_(*notices))).rowcount  # type: ignore[attr-defined]
        # Others' mail quoting them ("Undelivered: [EUR-10008] We received your request: …"
        # from a mail server) is kept as received, without its subject.
        quoting = [InboundMail.subject.contains(f"[{t.reference}]", autoescape=True)
                   for t in some]  # fmt: skip
        session.execute(update(InboundMail).where(or_(*quoting)).values(subject=ERASED))
    session.execute(delete(FailingAddress).where(same_address(FailingAddress.email, email)))
    for response in _mails_on_others_tickets(session, email):
        attached = _files_of(session, response)
        stored += [a.stored_name for a in attached]
        for event in _file_events(session, response, attached):
            event.detail = ""
        for item in attached:
            session.delete(item)
        response.body, response.mailed_by = ERASED, None
        removed += 1
        session.execute(  # "accepted the mail of Ada <ada@example.com>"
            update(TicketEvent)
            .where(TicketEvent.ticket_id.in_(_with_merged(response.ticket_id)),
                   func.lower(TicketEvent.detail).contains(f"<{email.lower()}>",
                                                           autoescape=True))
            .values(detail="")
        )  # fmt: skip
    # The anonymous counts and answers, where someone typed the address itself.
    for row in _searches(session, email):
        session.delete(row)
    for comment in _comments(session, email):
        comment.comment = ""
    chats = _chats(session, email)
    for chat in chats:
        stored += [m.stored_name or "" for m in _chat_files(session, chat)]
        session.execute(
            update(ChatMessage)
            .where(ChatMessage.session_id == chat.id)
            .values(body=ERASED, stored_name=None, file_name=None, content_type=None, size=None)
        )
        chat.customer_name, chat.customer_email = ERASED, None
        # Its token opens nothing more: a browser still holding it stores no new words.
        chat.token_hash = None
        if chat.status == ChatStatus.active:
            chat.status, chat.closed_at = ChatStatus.closed, utcnow()
    session.flush()
    references = tuple(t.reference for t in tickets)
    return Erased(len(tickets), int(removed or 0), len(chats), stored, references)


def address_digest(secret: str, tenant_id: str, email: str) -> str:
    """Return the keyed digest an erasure keeps of the address: it finds the customer again
    in a restored backup, and without the service's secret key names nobody."""
    message = f"erased:{tenant_id}:{address_key(email)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def erase_customer(
    database: Database,
    store: FileStore,
    tenant_id: str,
    email: str,
    by: Agent | None,
    mailbox: Path | None = None,
    mail_server: Mailbox | None = None,
    secret: str | None = None,
    by_name: str = "the command line",
) -> Erased:
    """Erase the customer's data for good: the rows (one transaction, recorded without the
    erased data, naming who erased, with the address's digest under `secret` when given),
    then their stored files and their mails in the local `mailbox` (when mail goes there) and
    the mails they sent in, kept on the tenant's `mail_server` once read, then SQLite's
    traces of them."""
    with CONVERTING, database.write(tenant_id) as session:  # never mid chat-to-ticket
        erased = erase(session, email)
        session.add(CustomerErasure(
            agent_id=by.id if by else None, by=by.name if by else by_name,
            tickets=erased.tickets, chats=erased.chats, mails=erased.mails,
            files=len(erased.stored_files),
            address_digest=address_digest(secret, tenant_id, email) if secret else None,
        ))  # fmt: skip
    store.delete(tenant_id, erased.stored_files)
    if mailbox is not None and mailbox.is_dir():
        erase_from_mailbox(mailbox, tenant_id, normal_spelling(email), erased.references)
    problem = ""
    if mail_server is not None:
        try:
            forget_sender(mail_server, tenant_id, normal_spelling(email))
        except ConfigError as exc:
            problem = exc.message
    return replace(erased, log_emptied=database.purge_freed(), mail_server_problem=problem)


# Every column an address of a customer is kept in: a restored backup is searched for those
# erased since it was taken.
_ADDRESS_COLUMNS = (SupportTicket.customer_email, ChatSession.customer_email,
                    OutboxMessage.to_address, InboundMail.from_address, FailingAddress.email,
                    TicketResponse.mailed_by)  # fmt: skip


def erasure_digests(session: TenantSession) -> Counter[str]:
    """Count the tenant's erasures by their address's digest ("" for those kept without)."""
    return Counter(d or "" for d in session.scalars(select(CustomerErasure.address_digest)))


@dataclass(frozen=True)
class ErasedAgain:
    """What restoring did about the customers erased after the backup was taken."""

    erased: int = 0  # found in the backup and erased again
    not_found: int = 0  # nothing of theirs in the backup, or SECRET_KEY changed since
    without_digest: int = 0  # erased by a version that kept no digest: to erase by hand


def erase_again(
    database: Database, store: FileStore, tenant_id: str, before: Counter[str], secret: str
) -> ErasedAgain:
    """Erase again, at one tenant, every customer erased more often in the database the restore
    replaced (`before`, its erasure_digests) than in the restored one: erased after the backup
    was taken, a second erasure of one customer included."""
    with database.read(tenant_id) as session:
        restored = erasure_digests(session)
        found = {address_key(a) for column in _ADDRESS_COLUMNS
                 for a in session.scalars(select(column).distinct()) if a}  # fmt: skip
    todo = {d for d, count in before.items() if d and count > restored[d]}
    wanted = {a: d for a in sorted(found) if (d := address_digest(secret, tenant_id, a)) in todo}
    for address in wanted:
        erase_customer(database, store, tenant_id, address, None, secret=secret,
                       by_name="intake restore, again")  # fmt: skip
    return ErasedAgain(len(wanted), len(todo - set(wanted.values())),
                       max(0, before[""] - restored[""]))  # fmt: skip


def erasures(session: TenantSession, limit: int = 50) -> list[CustomerErasure]:
    """Return the tenant's latest erasures, newest first."""
    query = select(CustomerErasure).order_by(CustomerErasure.id.desc()).limit(limit)
    return list(session.scalars(query))
