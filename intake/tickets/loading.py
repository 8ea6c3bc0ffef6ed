"""Loading a ticket with everything its desk page shows, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intake.db import TenantSession
from intake.db.addresses import same_address
from intake.errors import NotFound
from intake.models import (
    FailingAddress,
    KnowledgeBaseArticle,
    SatisfactionRating,
    SupportTicket,
    TicketCitation,
    TicketEvent,
)
from intake.tickets.access import REFERENCE_RE
from intake.tickets.satisfaction import ratings_of

OTHER_TICKETS = 10


def ticket_by_reference(
    session: TenantSession, reference: str, lock: bool = False
) -> SupportTicket:
    """Return the tenant's ticket of this reference with its thread, files and tags loaded.

    With `lock`, the row is locked until the transaction ends (PostgreSQL; SQLite's write
    transaction holds the database), so two saves of one version take turns and the second
    sees the first's change instead of failing halfway.
    """
    if not REFERENCE_RE.match(reference):
        raise NotFound()
    query = select(SupportTicket).where(SupportTicket.reference == reference.upper())
    ticket = session.scalars(
        (query.with_for_update(of=SupportTicket) if lock else query).options(
            selectinload(SupportTicket.responses),
            selectinload(SupportTicket.attachments),
            selectinload(SupportTicket.tags),
        )  # fmt: skip
    ).first()
    if ticket is None:
        raise NotFound()
    return ticket


@dataclass(frozen=True)
class PageExtras:
    """What the desk shows beside a ticket's thread."""

    events: list[TicketEvent]
    others: list[SupportTicket]  # the same customer's other tickets, newest first
    cited: list[KnowledgeBaseArticle]
    merged_into: SupportTicket | None
    ratings: list[SatisfactionRating]
    bounced: FailingAddress | None  # the customer's address, if our mail to it bounced


def page_extras(session: TenantSession, ticket: SupportTicket) -> PageExtras:
    """Return the audit trail, the customer's other tickets and the articles cited."""
    trail = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    events = list(session.scalars(trail.order_by(TicketEvent.id)))
    same_customer = select(SupportTicket).where(
        same_address(SupportTicket.customer_email, ticket.customer_email),
        SupportTicket.id != ticket.id,
    )
    others = list(
        session.scalars(same_customer.order_by(SupportTicket.id.desc()).limit(OTHER_TICKETS))
    )
    citing = select(KnowledgeBaseArticle).join(
        TicketCitation, TicketCitation.article_id == KnowledgeBaseArticle.id
    )
    cited = list(session.scalars(
        citing.where(TicketCitation.ticket_id == ticket.id).order_by(KnowledgeBaseArticle.title)
    ))  # fmt: skip
    merged = session.get(SupportTicket, ticket.merged_into_id) if ticket.merged_into_id else None
    address = same_address(FailingAddress.email, ticket.customer_email)
    bounced = session.scalars(select(FailingAddress).where(address).limit(1)).first()
    return PageExtras(events, others, cited, merged, ratings_of(session, ticket.id), bounced)
