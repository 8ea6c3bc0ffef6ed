"""A ticket's private link: a random token of which only the SHA-256 is stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from sqlalchemy import select

from intake.db import TenantSession
from intake.errors import NotFound
from intake.models import SupportTicket

_REFERENCE = r"[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}"  # a tenant's prefix, then its number
REFERENCE_RE = re.compile(f"^{_REFERENCE}$")
TOKEN_MAX = 100
DAY_LINK_SECONDS = 24 * 3600
_DAY_TOKEN_RE = re.compile(r"^([0-9a-f]{8,12})\.[A-Za-z0-9_-]{43}$")


# A ticket's private link as mails write it: /tickets/<reference>/<token> (any of its tokens).
_LINK_KEY = re.compile(f"(/tickets/{_REFERENCE}/)[A-Za-z0-9_.-]{{8,}}")


def without_link_keys(text: str) -> str:
    """Return `text` with the tokens of the ticket links in it replaced by "[link]": what is
    kept of a mail once sent (the database and its backups must not open every ticket)."""
    return _LINK_KEY.sub(r"\1[link]", text)


def new_token() -> str:
    """Return a fresh unguessable token (256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the SHA-256 of a ticket token; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_token(secret: str, tenant_id: str, ticket_id: int) -> str:
    """Return the ticket's link token for mails after the first (derived, never stored).

    The token made at creation is known only to the customer (its hash is stored), so later
    mails carry this one instead: an HMAC of the ticket under the service's secret key.
    """
    return _mac(secret, f"ticket-link:{tenant_id}:{ticket_id}")


def _ending_token(secret: str, tenant_id: str, ticket_id: int, expires: int) -> str:
    return f"{expires:x}.{_mac(secret, f'ticket-day-link:{tenant_id}:{ticket_id}:{expires}')}"


def day_token(secret: str, tenant_id: str, ticket_id: int, now: float | None = None) -> str:
    """Return a link token that opens the ticket for a day: what a customer who lost their
    link gets by mail. It names its end (hex seconds) and is an HMAC of the ticket and that
    end, so it needs no row and cannot be stretched."""
    expires = int(time.time() if now is None else now) + DAY_LINK_SECONDS
    return _ending_token(secret, tenant_id, ticket_id, expires)


def _day_token_holds(secret: str, tenant_id: str, ticket_id: int, token: str) -> bool:
    match = _DAY_TOKEN_RE.match(token)
    if match is None:
        return False
    expires = int(match.group(1), 16)
    expected = _ending_token(secret, tenant_id, ticket_id, expires)
    return hmac.compare_digest(expected, token) and time.time() < expires


def came_by_mail(secret: str, ticket: SupportTicket, token: str) -> bool:
    """Whether a token of the ticket is one only mail carries (not the one shown at creation).

    Whoever sends a ticket sees its first link, whatever address they gave; a mailed link
    proves the address's mailbox. What joins tickets by address (a merge) must ask for one.
    """
    mailed = link_token(secret, ticket.tenant_id, ticket.id)
    return hmac.compare_digest(mailed, token) or _day_token_holds(
        secret, ticket.tenant_id, ticket.id, token
    )


def find_ticket(session: TenantSession, reference: str, token: str, secret: str) -> SupportTicket:
    """Return the session tenant's ticket if the token is one of its tokens; else NotFound."""
    # Every token is ASCII: another character could only be a wrong one (and compare_digest
    # refuses non-ASCII text).
    if not REFERENCE_RE.match(reference) or not token.isascii() or not 0 < len(token) <= TOKEN_MAX:
        raise NotFound()
    query = select(SupportTicket).where(SupportTicket.reference == reference.upper())
    ticket = session.scalars(query.limit(1)).first()
    # Compare even when there is no ticket, so both cases take the same time.
    expected = ticket.token_hash if ticket else "0" * 64
    created = hmac.compare_digest(expected, hash_token(token))
    tenant_id, ticket_id = session.tenant_id or "", ticket.id if ticket else 0
    mailed = hmac.compare_digest(link_token(secret, tenant_id, ticket_id), token)
    recovered = _day_token_holds(secret, tenant_id, ticket_id, token)
    if ticket is None or ticket.erased or not (created or mailed or recovered):
        raise NotFound()
    return ticket
