"""The mails a ticket sends its customer, and what every one of them carries.

Each mail of a ticket has the ticket's thread headers (intake.tickets.mail_headers) so mail
clients show one conversation, a Reply-To that names the ticket, and the private link.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.db import TenantSession
from intake.models import OutboxMessage, SupportTicket, TicketStatus, utcnow
from intake.tickets.access import link_token
from intake.tickets.mail_headers import thread_headers


@dataclass(frozen=True)
class Brand:
    """What a tenant's ticket mails need: reference prefix, links, name, signing key, sender."""

    prefix: str  # of references, such as EUR
    link_base: str  # absolute URL of /<tenant>/tickets
    name: str
    secret: str = ""  # the service's SECRET_KEY: signs links and Reply-To addresses
    mail_from: str = "support@localhost"

    def link(self, ticket: SupportTicket) -> str:
        """Return a private link to the ticket for its customer's mails."""
        token = link_token(self.secret, ticket.tenant_id, ticket.id)
        return f"{self.link_base}/{ticket.reference}/{token}"

    def enqueue(
        self, session: TenantSession, ticket: SupportTicket, subject: str, body: str
    ) -> None:
        """Queue a mail to the ticket's customer in the caller's transaction; one click in the
        mail client turns these mails off (RFC 8058)."""
        headers = thread_headers(self.mail_from, self.secret, ticket.tenant_id, ticket.id)
        headers["List-Unsubscribe"] = f"<{self.link(ticket)}/unsubscribe>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        session.add(OutboxMessage(to_address=ticket.customer_email, next_attempt_at=utcnow(),
                                  subject=f"[{ticket.reference}] {subject}"[:300], body=body,
                                  headers=headers))  # fmt: skip


def _signed(brand: Brand, body: str, link: str, turn_off: bool = True) -> str:
    tail = "\nYou can turn these mails off on that page.\n" if turn_off else ""
    follow = "Follow your request, reply or add files here (keep this link private):"
    return f"{body}\n\n{follow}\n{link}\n{tail}\n{brand.name}\n"


def confirmation(name: str, reference: str, subject: str, link: str, brand: str) -> str:
    """Return the body of the mail that confirms a new ticket and carries its private link."""
    return (
        f"Hello {name},\n\n"
        f"we received your request \u201c{subject}\u201d and gave it the reference {reference}.\n"
        f"Follow it, reply or add files here (keep this link private: it is your key):\n\n"
        f"{link}\n\n"
        f"{brand}\n"
    )


def _asking(brand: Brand, ticket: SupportTicket, body: str) -> str:
    """Add the satisfaction question to the mail of a resolution (intake.tickets.satisfaction)."""
    if ticket.status != TicketStatus.resolved:
        return body
    return (f"{body}\n\nDid we solve your problem? Tell us on your request's page (yes or no,"
            f" and a comment if you like):\n{brand.link(ticket)}#satisfaction")  # fmt: skip


def agent_reply(brand: Brand, ticket: SupportTicket, reply: str, status_note: str) -> str:
    """Return the body of the mail that brings an agent's reply to the customer."""
    note = f"\n\n{status_note}" if status_note else ""
    body = _asking(brand, ticket, f"Hello {ticket.customer_name},\n\n{reply}{note}")
    return _signed(brand, body, brand.link(ticket))


def status_changed(brand: Brand, ticket: SupportTicket, status_note: str) -> str:
    """Return the body of the mail that tells the customer an agent changed the status."""
    body = _asking(brand, ticket, f"Hello {ticket.customer_name},\n\n{status_note}")
    return _signed(brand, body, brand.link(ticket))


def merged(brand: Brand, source: SupportTicket, target: SupportTicket) -> str:
    """Return the body of the mail that tells the customer two of their requests became one."""
    body = (
        f"Hello {source.customer_name},\n\n"
        f"your request {source.reference} (\u201c{source.subject}\u201d) is about the same as"
        f" {target.reference}, so we joined them: everything is now in {target.reference}."
        f" It opens with the link below and those in our mails; the link shown on the page"
        f" when you sent a request no longer opens the joined one."
    )
    return _signed(brand, body, brand.link(target))
