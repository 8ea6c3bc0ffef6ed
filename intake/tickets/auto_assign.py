"""Round-robin assignment: new tickets go in turn to the agents online now.

With the tenant's `auto_assign` on, each open ticket nobody has is given to an online agent
of its group (of the whole team when it has no group): the one who was given a ticket
longest ago, so new tickets go round. Online means active and seen by the desk in the last
ONLINE_WITHIN (an open desk page says so every few seconds); with nobody online, the ticket
waits for the next round. Run by the deployment's job runner (one process at a time) and
by `intake tickets auto-assign`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select

from intake.db import Database, TenantSession
from intake.events import EventBus
from intake.models import (
    Agent,
    GroupMember,
    NotificationKind,
    SupportTicket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    as_utc,
    utcnow,
)
from intake.settings import TenantSettings
from intake.tickets.changes import ticket_changed
from intake.tickets.lifecycle import Action, next_status
from intake.tickets.notify import notify
from intake.tickets.thread import record, set_status

EVERY_SECONDS = 30
ONLINE_WITHIN = dt.timedelta(minutes=2)
BATCH = 200  # tickets per tenant and round


def assign_new(session: TenantSession, desk_link: str = "", now: dt.datetime | None = None
               ) -> list[int]:  # fmt: skip
    """Give the session tenant's waiting tickets to online agents in turn; return their ids."""
    if not TenantSettings(session).get("auto_assign"):
        return []
    now = now or utcnow()
    seen = Agent.last_seen_at >= now - ONLINE_WITHIN
    online = {a.id: a for a in session.scalars(select(Agent).where(Agent.active.is_(True), seen))}
    if not online:
        return []
    waiting = list(session.scalars(
        select(SupportTicket)
        .where(SupportTicket.assigned_agent_id.is_(None), SupportTicket.status == TicketStatus.open,
               SupportTicket.merged_into_id.is_(None))
        .order_by(SupportTicket.created_at, SupportTicket.id).limit(BATCH)
        .with_for_update(skip_locked=True)))  # fmt: skip
    if not waiting:
        return []
    members: dict[int, set[int]] = {}
    for group_id, agent_id in session.execute(
        select(GroupMember.group_id, GroupMember.agent_id).where(GroupMember.agent_id.in_(online))
    ):
        members.setdefault(group_id, set()).add(agent_id)
    # Whose turn: who was given a ticket longest ago, by when it was assigned to them (a ticket
    # made long ago but assigned a minute ago is a minute old turn), then in this round.
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    last_given = {agent_id: oldest for agent_id in online}
    for assignee, newest in session.execute(
        select(SupportTicket.assigned_agent_id, func.max(TicketEvent.created_at))
        .join(TicketEvent, TicketEvent.ticket_id == SupportTicket.id)
        .where(SupportTicket.assigned_agent_id.in_(online),
               TicketEvent.kind == TicketEventKind.assigned)
        .group_by(SupportTicket.assigned_agent_id)
    ):  # fmt: skip
        if assignee is not None:
            last_given[assignee] = as_utc(newest)
    turn = max([now, *last_given.values()])
    given = []
    for ticket in waiting:
        pool = members.get(ticket.group_id, set()) if ticket.group_id else set(online)
        if not pool:
            continue  # nobody of its group is in: it waits
        chosen = min(pool, key=lambda a: (last_given[a], a))
        turn += dt.timedelta(microseconds=1)
        last_given[chosen] = turn  # to the back of the line
        _give(session, ticket, online[chosen], desk_link)
        given.append(ticket.id)
    return given


def _give(session: TenantSession, ticket: SupportTicket, agent: Agent, desk_link: str) -> None:
    record(session, ticket, TicketEventKind.assigned, agent.name, by_system=True)
    ticket.assigned_agent_id = agent.id
    set_status(session, ticket, next_status(Action.agent_assign, ticket.status), by_system=True)
    notify(session, [agent.id], ticket, NotificationKind.assigned, None, desk_link)
    ticket.updated_at = utcnow()


def auto_assign(database: Database, events: EventBus, tenant_ids: Iterable[str],
                public_url: str = "") -> dict[str, int]:  # fmt: skip
    """Assign each tenant's waiting tickets; announce each change; return how many per tenant."""
    counts = {}
    for tenant_id in tenant_ids:
        with database.write(tenant_id) as session:
            given = assign_new(session, f"{public_url}/desk/{tenant_id}" if public_url else "")
        for ticket_id in given:
            ticket_changed(events, tenant_id, ticket_id, "assigned", customer_sees=False)
        counts[tenant_id] = len(given)
    return counts
