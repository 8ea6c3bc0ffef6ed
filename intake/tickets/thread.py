"""A ticket's thread and audit trail: the pieces every action on a ticket is made of."""

from __future__ import annotations

from collections.abc import Sequence

from intake.db import TenantSession
from intake.files import SavedFile
from intake.models import (
    Agent,
    AuthorType,
    SupportTicket,
    TicketAttachment,
    TicketEvent,
    TicketEventKind,
    TicketResponse,
    TicketStatus,
    utcnow,
)


def record(
    session: TenantSession,
    ticket: SupportTicket,
    kind: TicketEventKind,
    detail: str = "",
    agent: Agent | None = None,
    by_system: bool = False,
) -> None:
    """Add an event to the ticket's audit trail: what, by whom (an agent, the system, or else
    the customer), when."""
    actor, agent_id = (AuthorType.agent, agent.id) if agent else (AuthorType.customer, None)
    if by_system:
        actor = AuthorType.system
    session.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor=actor, agent_id=agent_id,
                            detail=detail[:2000]))  # fmt: skip


def set_status(
    session: TenantSession, ticket: SupportTicket, status: TicketStatus,
    agent: Agent | None = None, by_system: bool = False,
) -> None:  # fmt: skip
    """Change the status (a no-op when it is the same), with its event and times."""
    if status == ticket.status:
        return
    record(session, ticket, TicketEventKind.status_changed,
           f"{ticket.status.value} -> {status.value}", agent, by_system)  # fmt: skip
    ticket.status = status
    if status in (TicketStatus.resolved, TicketStatus.closed):
        ticket.resolved_at = ticket.resolved_at or utcnow()
    else:
        ticket.resolved_at = None


def add_message(
    session: TenantSession,
    ticket: SupportTicket,
    body: str,
    files: Sequence[SavedFile] = (),
    agent: Agent | None = None,
    internal: bool = False,
    by_system: bool = False,
    mailed_by: str | None = None,
) -> TicketResponse:
    """Add a message (the customer's, an agent's reply or note, or the system's note) with its
    files and events; `mailed_by` names the sender of a mail kept as a note who is not the
    ticket's customer."""
    author = AuthorType.agent if agent else AuthorType.customer
    if by_system:
        author = AuthorType.system
    response = TicketResponse(ticket=ticket, author_type=author, body=body, is_internal=internal,
                              agent_id=agent.id if agent else None,
                              mailed_by=mailed_by)  # fmt: skip
    session.add(response)
    session.flush()
    kind = TicketEventKind.note_added if internal else TicketEventKind.replied
    record(session, ticket, kind, "", agent, by_system)
    for item in files:
        session.add(
            TicketAttachment(
                ticket=ticket, response_id=response.id, original_name=item.file.name,
                stored_name=item.stored_name, content_type=item.file.content_type,
                size=len(item.file.data), sha256=item.file.sha256,
            )
        )  # fmt: skip
        record(session, ticket, TicketEventKind.attachment_added, item.file.name, agent,
               by_system)  # fmt: skip
    ticket.updated_at = utcnow()
    return response


def back_to_the_queue(session: TenantSession, ticket: SupportTicket, name: str) -> None:
    """Unassign a ticket whose agent (`name`) was deactivated: "in progress" opens again (for
    auto-assign), recorded as the system's."""
    record(session, ticket, TicketEventKind.assigned, f"nobody ({name} was deactivated)",
           by_system=True)  # fmt: skip
    ticket.assigned_agent_id = None
    if ticket.status == TicketStatus.in_progress:
        set_status(session, ticket, TicketStatus.open, by_system=True)
    ticket.updated_at = utcnow()
