"""Satisfaction: once a ticket is resolved, its customer is asked one question, once.

"Did we solve it?" (yes or no, with an optional comment), on the ticket page, which the
resolution mail links to. A ticket reopened and resolved again asks again; each answer counts
for the agent who had the ticket when it was resolved.
"""

from __future__ import annotations

from sqlalchemy import select

from intake.db import TenantSession
from intake.errors import Conflict
from intake.models import SatisfactionRating, SupportTicket, TicketStatus

COMMENT_MAX = 2000


def rating_of(session: TenantSession, ticket: SupportTicket) -> SatisfactionRating | None:
    """Return the answer given for the ticket's current resolution, if any."""
    if ticket.resolved_at is None:
        return None
    return session.scalars(
        select(SatisfactionRating)
        .where(SatisfactionRating.ticket_id == ticket.id,
               SatisfactionRating.resolved_at == ticket.resolved_at)
        .limit(1)
    ).first()  # fmt: skip


def asks(session: TenantSession, ticket: SupportTicket) -> bool:
    """Say whether the ticket's page asks the question now (resolved, not yet answered)."""
    return ticket.status == TicketStatus.resolved and rating_of(session, ticket) is None


def rate(
    session: TenantSession, ticket: SupportTicket, satisfied: bool, comment: str
) -> SatisfactionRating:
    """Record the customer's answer to this resolution; Conflict when there is nothing to
    answer (not resolved) or it was answered already. In a write transaction (which takes
    SQLite's writer lock first), so of two tabs answering at once the second sees the first;
    on PostgreSQL the unique key refuses the second."""
    if ticket.status != TicketStatus.resolved or ticket.resolved_at is None:
        raise Conflict("This request is not resolved, so there is nothing to rate yet.",
                       "satisfied")  # fmt: skip
    if rating_of(session, ticket) is not None:
        raise Conflict("You already told us how we did on this request: thank you.", "satisfied")
    rating = SatisfactionRating(
        ticket_id=ticket.id, resolved_at=ticket.resolved_at, satisfied=satisfied,
        comment=comment.strip()[:COMMENT_MAX], agent_id=ticket.assigned_agent_id,
    )  # fmt: skip
    session.add(rating)
    session.flush()
    return rating


def ratings_of(session: TenantSession, ticket_id: int) -> list[SatisfactionRating]:
    """Return every answer the ticket's customer gave, oldest first (for the desk)."""
    return list(
        session.scalars(
            select(SatisfactionRating)
            .where(SatisfactionRating.ticket_id == ticket_id)
            .order_by(SatisfactionRating.id)
        )
    )
