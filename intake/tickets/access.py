"""A ticket's private link: a random token of which only the SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select

from intake.db import TenantSession
from intake.errors import NotFound
from intake.models import SupportTicket

REFERENCE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}$")
TOKEN_MAX = 100


def new_token() -> str:
    """Return a fresh unguessable token (256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the SHA-256 of a ticket token; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_ticket(session: TenantSession, reference: str, token: str) -> SupportTicket:
    """Return the session tenant's ticket if the token is its token; else NotFound, alike."""
    if not REFERENCE_RE.match(reference) or not token or len(token) > TOKEN_MAX:
        raise NotFound()
    query = select(SupportTicket).where(SupportTicket.reference == reference.upper())
    ticket = session.scalars(query.limit(1)).first()
    # Compare even when there is no ticket, so both cases take the same time.
    expected = ticket.token_hash if ticket else "0" * 64
    if not hmac.compare_digest(expected, hash_token(token)) or ticket is None:
        raise NotFound()
    return ticket
