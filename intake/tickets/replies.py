"""What a customer does to a ticket after it exists: replies, files, resolving it.

Each function works inside the caller's write transaction (`Database.write`), which commits
all of it or nothing; files are stored before that transaction opens (`intake.files.saved`).
"""

from __future__ import annotations

from collections.abc import Sequence

from intake.db import TenantSession
from intake.files import SavedFile
from intake.models import (
    Agent,
    AuthorType,
    NotificationKind,
    SupportTicket,
    TicketAttachment,
    TicketEventKind,
    TicketResponse,
    utcnow,
)
from intake.tickets.lifecycle import Action, next_status
from intake.tickets.notify import notify
from intake.tickets.thread import add_message, back_to_the_queue, record, set_status


def customer_files(ticket: SupportTicket) -> list[TicketAttachment]:
    """Return the ticket's files its customer may see: none of internal replies."""
    internal = {r.id for r in ticket.responses if r.is_internal}
    return [a for a in ticket.attachments if a.response_id not in internal]


def files_of_the_customer(ticket: SupportTicket) -> list[TicketAttachment]:
    """Return the files the customer sent (with the ticket or their replies): their allowance
    counts these, not the files agents sent them."""
    theirs = {r.id for r in ticket.responses if r.author_type == AuthorType.customer}
    return [a for a in ticket.attachments if a.response_id is None or a.response_id in theirs]


def split_files(
    ticket: SupportTicket,
) -> tuple[list[TicketAttachment], dict[int, list[TicketAttachment]]]:
    """Split a ticket's customer-visible files: those sent with it, and those per reply."""
    first: list[TicketAttachment] = []
    per_reply: dict[int, list[TicketAttachment]] = {}
    for item in customer_files(ticket):
        if item.response_id is None:
            first.append(item)
        else:
            per_reply.setdefault(item.response_id, []).append(item)
    return first, per_reply


def add_reply(
    session: TenantSession,
    ticket: SupportTicket,
    body: str,
    files: Sequence[SavedFile] = (),
) -> TicketResponse:
    """Add the customer's reply (and its files); the life-cycle table says the new status."""
    status = next_status(Action.customer_reply, ticket.status)
    response = add_message(session, ticket, body, files)
    set_status(session, ticket, status)
    holder = session.get(Agent, ticket.assigned_agent_id) if ticket.assigned_agent_id else None
    if holder is not None and not holder.active:
        # A finished ticket kept its agent when they were deactivated; reopened, it goes
        # back to the queue rather than to nobody's notice.
        back_to_the_queue(session, ticket, holder.name)
    elif holder is not None:
        notify(session, [holder.id], ticket, NotificationKind.customer_reply)
    session.flush()
    return response


def set_notifications(session: TenantSession, ticket: SupportTicket, wanted: bool) -> None:
    """Turn the customer's mails about agents' actions on or off (recorded in the trail)."""
    if ticket.notify_customer == wanted:
        return
    ticket.notify_customer = wanted
    record(session, ticket, TicketEventKind.notifications_changed, "on" if wanted else "off")
    session.flush()


def resolve(session: TenantSession, ticket: SupportTicket) -> bool:
    """Mark the ticket resolved by its customer; return False when it already was (or closed)."""
    status = next_status(Action.customer_resolve, ticket.status)
    if status == ticket.status:
        return False
    set_status(session, ticket, status)
    ticket.updated_at = utcnow()
    session.flush()
    return True
