"""One action on many tickets, in the caller's one transaction: all of them, or none."""

from __future__ import annotations

from sqlalchemy import select

from intake.db import TenantSession
from intake.errors import Conflict, IntakeError, InvalidInput, NotFound
from intake.models import Agent, SupportTicket, TicketStatus
from intake.tickets.agent_work import Changes, Desk, change_fields, merge
from intake.tickets.rules import is_row_id

ACTIONS = ("assign", "status", "tag", "merge")
MAX_TICKETS = 200


def find_by_reference(session: TenantSession, reference: str, field: str = "into") -> SupportTicket:
    """Return the tenant's ticket of this reference, or InvalidInput naming `field`."""
    query = select(SupportTicket).where(SupportTicket.reference == reference.strip().upper())
    found = session.scalars(query.with_for_update()).first()
    if found is None:
        raise InvalidInput(f"No ticket {reference.strip()!r} here.", field)
    return found


def bulk_action(
    session: TenantSession,
    agent: Agent,
    ticket_ids: list[int],
    action: str,
    values: dict[str, str],
    desk: Desk,
) -> list[int]:
    """Apply `action` to every ticket; a ticket that refuses it stops all (named in the error)."""
    if action not in ACTIONS:
        raise InvalidInput(f"action: use one of {', '.join(ACTIONS)}.", "action")
    if not ticket_ids or len(ticket_ids) > MAX_TICKETS:
        raise InvalidInput(f"Select 1 to {MAX_TICKETS} tickets.", "ticket")
    chosen = select(SupportTicket).where(SupportTicket.id.in_(ticket_ids))
    tickets = list(session.scalars(chosen.order_by(SupportTicket.id).with_for_update()))
    if len(tickets) != len(set(ticket_ids)):
        raise NotFound("Some selected tickets are not in this queue any more; reload it.", "ticket")
    target = find_by_reference(session, values.get("into", "")) if action == "merge" else None
    changes = _changes(action, values)
    for ticket in sorted(tickets, key=lambda t: t.id):
        try:
            if target is not None:
                merge(session, ticket, target, agent, desk)
            else:
                if action == "tag":
                    changes.tags = sorted({*ticket.tag_names, values.get("tag", "")})
                change_fields(session, ticket, agent, changes, desk)
        except (InvalidInput, Conflict) as exc:
            raise type(exc)(f"{ticket.reference}: {exc.message}", exc.field) from None
    return [t.id for t in tickets] + ([target.id] if target is not None else [])


def _changes(action: str, values: dict[str, str]) -> Changes:
    if action == "assign":
        value = values.get("assignee", "")
        if not is_row_id(value):
            raise InvalidInput("Choose an agent.", "assignee")
        return Changes(assignee_id=int(value))
    if action == "status":
        try:
            return Changes(status=TicketStatus(values.get("status", "")))
        except ValueError:
            raise InvalidInput("Choose a status.", "status") from None
    if action == "tag" and not values.get("tag", "").strip():
        raise InvalidInput("Enter the tag to add.", "tag")
    return Changes()


__all__ = ["ACTIONS", "IntakeError", "bulk_action", "find_by_reference"]
