"""What happens to a ticket after it exists: customers' replies, files and resolving it.

Each function works inside the caller's write transaction (`Database.write`), which commits
all of it or nothing; files are stored before that transaction opens (`intake.files.saved`).
"""

from __future__ import annotations

from collections.abc import Sequence

from intake.db import TenantSession
from intake.errors import Conflict
from intake.files import SavedFile
from intake.models import (
    AuthorType,
    SupportTicket,
    TicketAttachment,
    TicketEvent,
    TicketEventKind,
    TicketResponse,
    TicketStatus,
    utcnow,
)


def customer_files(ticket: SupportTicket) -> list[TicketAttachment]:
    """Return the ticket's files its customer may see: none of internal replies."""
    internal = {r.id for r in ticket.responses if r.is_internal}
    return [a for a in ticket.attachments if a.response_id not in internal]


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
    """Add the customer's reply (and its files); a reply reopens a resolved ticket."""
    if ticket.status == TicketStatus.closed:
        raise Conflict("This ticket is closed; please open a new one.", "body")
    response = TicketResponse(ticket=ticket, author_type=AuthorType.customer, body=body)
    session.add(response)
    session.flush()
    _event(session, ticket, TicketEventKind.replied, "")
    if ticket.status == TicketStatus.resolved:
        _set_status(session, ticket, TicketStatus.open)
    for item in files:
        session.add(
            TicketAttachment(
                ticket=ticket, response_id=response.id, original_name=item.file.name,
                stored_name=item.stored_name, content_type=item.file.content_type,
                size=len(item.file.data), sha256=item.file.sha256,
            )
        )  # fmt: skip
        _event(session, ticket, TicketEventKind.attachment_added, item.file.name)
    ticket.updated_at = utcnow()
    session.flush()
    return response


def resolve(session: TenantSession, ticket: SupportTicket) -> bool:
    """Mark the ticket resolved by its customer; return False when it already was (or closed)."""
    if ticket.status in (TicketStatus.resolved, TicketStatus.closed):
        return False
    _set_status(session, ticket, TicketStatus.resolved)
    ticket.resolved_at = utcnow()
    return True


def _set_status(session: TenantSession, ticket: SupportTicket, status: TicketStatus) -> None:
    detail = f"{ticket.status.value} -> {status.value}"
    ticket.status = status
    _event(session, ticket, TicketEventKind.status_changed, detail)


def _event(
    session: TenantSession, ticket: SupportTicket, kind: TicketEventKind, detail: str
) -> None:
    session.add(
        TicketEvent(ticket_id=ticket.id, kind=kind, actor=AuthorType.customer, detail=detail)
    )
