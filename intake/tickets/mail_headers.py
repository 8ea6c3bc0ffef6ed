"""Mail threading: every mail of a ticket answers the ticket's first mail, and replies find
their ticket again through a signed token in the Reply-To address (support+TOKEN@domain), or
in the thread's root Message-ID (<ticket-TOKEN@domain>) that a reply's In-Reply-To names.

The first mail's Message-ID is made from the ticket, so no column stores it. Both carry the
same token, signed with the service's secret key: neither can be forged to land a mail on
another ticket (a ticket's row id alone names nothing).
"""

from __future__ import annotations

import re

from itsdangerous import BadSignature, Signer

SALT = "intake-reply-to"
ROOT_ID_RE = re.compile(r"^<ticket-(?P<token>[^@<>\s]+)@")
REPLY_ADDRESS_RE = re.compile(r"^[^@+]+\+(?P<token>[^@]+)@")


def _domain(mail_from: str) -> str:
    return mail_from.rsplit("@", 1)[-1].strip(">").strip() or "localhost"


def root_message_id(mail_from: str, secret: str, tenant_id: str, ticket_id: int) -> str:
    """Return the Message-ID of the ticket's first mail (and the thread's root)."""
    return f"<ticket-{reply_token(secret, tenant_id, ticket_id)}@{_domain(mail_from)}>"


def read_root_message_id(secret: str, message_id: str) -> tuple[str, int] | None:
    """Return (tenant, ticket id) of a genuine root Message-ID of ours, or None for any other."""
    found = ROOT_ID_RE.match(message_id.strip())
    return read_reply_token(secret, found["token"]) if found else None


def reply_token(secret: str, tenant_id: str, ticket_id: int) -> str:
    """Return the signed token that names the ticket in a Reply-To address."""
    return Signer(secret, salt=SALT).sign(f"{tenant_id}-{ticket_id}").decode()


def read_reply_token(secret: str, token: str) -> tuple[str, int] | None:
    """Return (tenant, ticket id) of a genuine token, or None."""
    try:
        value = Signer(secret, salt=SALT).unsign(token.encode()).decode()
    except BadSignature:
        return None
    tenant_id, _, number = value.rpartition("-")
    return (tenant_id, int(number)) if tenant_id and number.isdigit() else None


def reply_to_address(mail_from: str, secret: str, tenant_id: str, ticket_id: int) -> str:
    """Return support+TOKEN@domain for the sender address support@domain."""
    local, _, domain = mail_from.strip("<>").partition("@")
    return f"{local}+{reply_token(secret, tenant_id, ticket_id)}@{domain}"


def read_reply_address(secret: str, address: str) -> tuple[str, int] | None:
    """Return (tenant, ticket id) that a genuine support+TOKEN@domain address names, or None
    (the token is case-sensitive: the address is read as written)."""
    found = REPLY_ADDRESS_RE.match(address.strip("<> "))
    return read_reply_token(secret, found["token"]) if found else None


def thread_headers(mail_from: str, secret: str, tenant_id: str, ticket_id: int) -> dict[str, str]:
    """Return the headers that put a mail into the ticket's thread, as the outbox stores them."""
    root = root_message_id(mail_from, secret, tenant_id, ticket_id)
    return {
        "In-Reply-To": root,
        "References": root,
        "Reply-To": reply_to_address(mail_from, secret, tenant_id, ticket_id),
    }


def first_mail_headers(
    mail_from: str, secret: str, tenant_id: str, ticket_id: int
) -> dict[str, str]:
    """Return the headers of a ticket's first mail: the thread's root."""
    return {
        "Message-ID": root_message_id(mail_from, secret, tenant_id, ticket_id),
        "Reply-To": reply_to_address(mail_from, secret, tenant_id, ticket_id),
    }
