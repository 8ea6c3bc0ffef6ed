"""Resolved tickets close by themselves after the tenant's `auto_close_days` (0: never).

A customer who replies to a resolved ticket reopens it; once closed, writing again opens a
follow-up instead. Run by the deployment's job runner (one process at a time) and by
`intake tickets auto-close`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from intake.db import Database, TenantSession
from intake.models import SupportTicket, TicketStatus, utcnow
from intake.settings import TenantSettings
from intake.tickets.thread import set_status

EVERY_SECONDS = 600
BATCH = 500  # tickets closed per tenant and round: a long backlog takes a few rounds


def close_resolved(session: TenantSession, days: int, now: dt.datetime | None = None) -> int:
    """Close the session tenant's tickets resolved at least `days` ago; return how many."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    due = (select(SupportTicket)
           .where(SupportTicket.status == TicketStatus.resolved,
                  SupportTicket.resolved_at <= cutoff)
           .order_by(SupportTicket.resolved_at, SupportTicket.id).limit(BATCH))  # fmt: skip
    closed = 0
    for ticket in session.scalars(due):
        set_status(session, ticket, TicketStatus.closed, by_system=True)
        closed += 1
    return closed


def auto_close(database: Database, tenant_ids: Iterable[str]) -> dict[str, int]:
    """Close what each tenant's setting says is due; return how many per tenant."""
    closed = {}
    for tenant_id in tenant_ids:
        with database.write(tenant_id) as session:
            days = int(TenantSettings(session).get("auto_close_days"))
            closed[tenant_id] = close_resolved(session, days)
    return closed
