"""A customer who lost their private links asks for them by email address.

Whoever asks learns nothing: the page and the work are the same whether or not the address
has tickets (one query, one mail). Only the mailbox's owner reads the answer: fresh links to
the address's tickets that are not closed, each valid for a day (intake.tickets.access),
or word that none were found.
"""

from __future__ import annotations

from sqlalchemy import select

from intake.db import TenantSession
from intake.db.addresses import same_address
from intake.models import OutboxMessage, SupportTicket, TicketStatus, utcnow
from intake.tickets.access import day_token
from intake.tickets.mails import Brand

LISTED_MAX = 20  # the most recently changed; older ones are behind the newer ones' pages


def open_tickets(session: TenantSession, email: str) -> list[SupportTicket]:
    """Return the address's tickets that are not closed nor merged, latest change first."""
    query = (
        select(SupportTicket)
        .where(same_address(SupportTicket.customer_email, email),
               SupportTicket.status != TicketStatus.closed,
               SupportTicket.merged_into_id.is_(None))
        .order_by(SupportTicket.updated_at.desc(), SupportTicket.id.desc())
        .limit(LISTED_MAX)
    )  # fmt: skip
    return list(session.scalars(query))


def links_mail(brand: Brand, tickets: list[SupportTicket]) -> str:
    """Return the body of the mail that answers a request for one's ticket links."""
    if not tickets:
        return (
            "Hello,\n\n"
            f"someone, probably you, asked {brand.name} for the links to the requests sent"
            " from this address. We found no open request from it. If you wrote from another"
            " address, ask again with that one; if you did not ask, ignore this mail.\n\n"
            f"{brand.name}\n"
        )
    lines = [
        f"{ticket.reference}: {ticket.subject}\n{brand.link_base}/{ticket.reference}/"
        f"{day_token(brand.secret, ticket.tenant_id, ticket.id)}"
        for ticket in tickets
    ]
    return (
        f"Hello {tickets[0].customer_name},\n\n"
        "here are the links to your open requests. Each works for 24 hours; keep them private."
        " The links we mailed you before keep working.\n\n"
        + "\n\n".join(lines)
        + f"\n\nIf you did not ask for these links, ignore this mail.\n\n{brand.name}\n"
    )


def mail_ticket_links(session: TenantSession, brand: Brand, email: str) -> None:
    """Queue the answer to `email`'s request for its ticket links, in the caller's transaction."""
    body = links_mail(brand, open_tickets(session, email))
    session.add(OutboxMessage(to_address=email, next_attempt_at=utcnow(), body=body,
                              subject=f"Your requests to {brand.name}"[:300]))  # fmt: skip
