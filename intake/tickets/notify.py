"""Telling agents about tickets: in the desk (a notification each), and by mail if they chose."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from intake.db import TenantSession
from intake.models import (
    Agent,
    AgentNotification,
    GroupMember,
    NotificationKind,
    OutboxMessage,
    SupportTicket,
    utcnow,
)

WHY = {
    NotificationKind.new_ticket: "A new ticket arrived in your group",
    NotificationKind.assigned: "A ticket was assigned to you",
    NotificationKind.customer_reply: "The customer replied",
}


def notify(
    session: TenantSession,
    agent_ids: Iterable[int],
    ticket: SupportTicket,
    kind: NotificationKind,
    actor: Agent | None = None,
    desk_link: str = "",
) -> list[int]:
    """Notify these active agents (never the one who acted); return who was notified."""
    wanted = {a for a in agent_ids if actor is None or a != actor.id}
    if not wanted:
        return []
    agents = list(
        session.scalars(select(Agent).where(Agent.id.in_(wanted), Agent.active.is_(True)))
    )
    for agent in agents:
        session.add(AgentNotification(agent_id=agent.id, ticket_id=ticket.id, kind=kind))
        if agent.notify_by_mail:
            link = f"\n\n{desk_link}/tickets/{ticket.reference}" if desk_link else ""
            session.add(OutboxMessage(
                to_address=agent.email, next_attempt_at=utcnow(),
                subject=f"[{ticket.reference}] {WHY[kind]}: {ticket.subject}"[:300],
                body=f"{WHY[kind]}: {ticket.reference} \u201c{ticket.subject}\u201d.{link}\n",
            ))  # fmt: skip
    return [a.id for a in agents]


def group_members(session: TenantSession, group_id: int) -> list[int]:
    """Return the ids of a group's members."""
    return list(
        session.scalars(select(GroupMember.agent_id).where(GroupMember.group_id == group_id))
    )


def unread(session: TenantSession, agent: Agent, limit: int = 50) -> list[AgentNotification]:
    """Return the agent's unread notifications, newest first."""
    query = (
        select(AgentNotification)
        .where(AgentNotification.agent_id == agent.id, AgentNotification.read_at.is_(None))
        .order_by(AgentNotification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_read(session: TenantSession, agent: Agent, ticket_id: int | None = None) -> None:
    """Mark the agent's notifications read (of one ticket, or all)."""
    query = select(AgentNotification).where(
        AgentNotification.agent_id == agent.id, AgentNotification.read_at.is_(None)
    )
    if ticket_id is not None:
        query = query.where(AgentNotification.ticket_id == ticket_id)
    now = utcnow()
    for row in session.scalars(query):
        row.read_at = now
