"""What happens to a ticket: creation with its reference and token, replies, resolution.

Views (the form and the API) validate input and call these; each function either commits
everything it wrote or nothing, files on disk included.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert

from intake.attachments import AttachmentStore, CheckedFile
from intake.db import TenantScope
from intake.errors import ApiError
from intake.models import (
    AuthorType,
    SupportTicket,
    TicketAttachment,
    TicketCategory,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketResponse,
    TicketStatus,
    utcnow,
)
from intake.writer import REFERENCE, Draft, TicketWriter

REFERENCE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}$")


@dataclass(frozen=True)
class NewTicket:
    """Validated fields of a new ticket (from the form or the API)."""

    name: str
    email: str
    subject: str
    description: str
    category: TicketCategory
    priority: TicketPriority = TicketPriority.medium
    visit_id: str = ""


def hash_token(token: str) -> str:
    """Return the SHA-256 of a ticket token; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_ticket(
    tenant_id: str,
    prefix: str,
    data: NewTicket,
    files: Sequence[CheckedFile],
    store: AttachmentStore,
    link_base: str,
    brand: str,
) -> tuple[SupportTicket, str]:
    """Create and commit a ticket with its files and confirmation mail; return it and its token.

    The rows go through this process's TicketWriter, which commits them with others; the
    request's own session stays unused (on SQLite it would hold the writer's lock).
    """
    _not_inside_a_transaction()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    common = {"tenant_id": tenant_id, "created_at": now, "updated_at": now}
    values = {
        **common,
        "token_hash": hash_token(token),
        "customer_name": data.name,
        "customer_email": data.email,
        "subject": data.subject,
        "description": data.description,
        "category": data.category,
        "priority": data.priority,
        "status": TicketStatus.open,
    }
    link = f"{link_base}/{REFERENCE}/{token}"
    draft = Draft(
        tenant_id=tenant_id,
        prefix=prefix,
        ticket=values,
        event={**common, "kind": TicketEventKind.created, "actor": AuthorType.customer,
               "detail": ""},
        mail={**common, "to_address": data.email, "next_attempt_at": now,
              "subject": f"[{REFERENCE}] We received your request: {data.subject}",
              "body": _confirmation(data.name, REFERENCE, data.subject, link, brand)},
        visit_id=data.visit_id,
    )  # fmt: skip
    stored: list[str] = []
    try:
        for item in files:
            stored.append(store.save(item.data))
            draft.attachments.append(
                (
                    {**common, "response_id": None, "original_name": item.name,
                     "stored_name": stored[-1], "content_type": item.content_type,
                     "size": len(item.data), "sha256": item.sha256},
                    {**common, "kind": TicketEventKind.attachment_added,
                     "actor": AuthorType.customer, "detail": item.name},
                )
            )  # fmt: skip
        ticket_id, _, _ = writer().submit(draft)
    except BaseException:
        store.delete(stored)
        raise
    ticket = SupportTicket(id=ticket_id, **draft.ticket)  # not in any session: the answer
    return ticket, token


def _not_inside_a_transaction() -> None:
    """Fail fast where a request's open transaction would make the writer wait forever.

    On SQLite a request that has begun writing holds the one writer lock that the ticket
    writer needs too.
    """
    from flask import g, has_app_context

    session = g.get("db_session") if has_app_context() else None
    if session is not None and session.in_transaction():
        raise RuntimeError("create_ticket() must run before the request opens its session")


def writer() -> TicketWriter:
    """Return this app's ticket writer."""
    from flask import current_app

    value: TicketWriter = current_app.extensions["intake_writer"]
    return value


def find_ticket(scope: TenantScope, reference: str, token: str) -> SupportTicket:
    """Return the tenant's ticket if the token is its token; anything else is NotFound alike."""
    from intake.errors import NotFound

    if not REFERENCE_RE.match(reference) or not token or len(token) > 100:
        raise NotFound()
    ticket = scope.first(SupportTicket, SupportTicket.reference == reference.upper())
    # Compare even when there is no ticket, so both cases take the same time.
    expected = ticket.token_hash if ticket else "0" * 64
    if not hmac.compare_digest(expected, hash_token(token)) or ticket is None:
        raise NotFound()
    return ticket


def add_reply(
    scope: TenantScope,
    ticket: SupportTicket,
    body: str,
    files: Sequence[CheckedFile],
    store: AttachmentStore,
) -> TicketResponse:
    """Add the customer's reply (and files); a reply reopens a resolved ticket."""
    if ticket.status == TicketStatus.closed:
        raise ApiError("This ticket is closed; please open a new one.", "body", 409)
    response = scope.add(TicketResponse(ticket=ticket, author_type=AuthorType.customer, body=body))
    scope.session.flush()
    _event(scope, ticket, TicketEventKind.replied, AuthorType.customer, "")
    if ticket.status == TicketStatus.resolved:
        _set_status(scope, ticket, TicketStatus.open)
    ticket.updated_at = utcnow()
    scope.session.flush()
    _commit_with_files(scope, ticket.id, response.id, files, store)
    scope.session.expire(ticket, ["attachments"])  # rows added above without the ORM
    return response


def resolve(scope: TenantScope, ticket: SupportTicket) -> None:
    """Mark the ticket resolved by its customer (a no-op when it already is)."""
    if ticket.status in (TicketStatus.resolved, TicketStatus.closed):
        return
    _set_status(scope, ticket, TicketStatus.resolved)
    ticket.resolved_at = utcnow()
    scope.session.commit()


def _set_status(scope: TenantScope, ticket: SupportTicket, status: TicketStatus) -> None:
    detail = f"{ticket.status.value} -> {status.value}"
    ticket.status = status
    _event(scope, ticket, TicketEventKind.status_changed, AuthorType.customer, detail)


def _event(
    scope: TenantScope,
    ticket: SupportTicket,
    kind: TicketEventKind,
    actor: AuthorType,
    detail: str,
) -> None:
    scope.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor=actor, detail=detail))


def _commit_with_files(
    scope: TenantScope,
    ticket_id: int,
    response_id: int | None,
    files: Sequence[CheckedFile],
    store: AttachmentStore,
) -> None:
    """Write the files, add their rows and commit; on any failure remove the files again."""
    stored: list[str] = []
    try:
        conn = scope.session.connection()
        now = utcnow()
        common = {"tenant_id": scope.tenant_id, "ticket_id": ticket_id, "created_at": now,
                  "updated_at": now}  # fmt: skip
        for item in files:
            name = store.save(item.data)
            stored.append(name)
            row = {**common, "response_id": response_id, "original_name": item.name,
                   "stored_name": name, "content_type": item.content_type,
                   "size": len(item.data), "sha256": item.sha256}  # fmt: skip
            conn.execute(insert(TicketAttachment), row)
            conn.execute(
                insert(TicketEvent),
                {**common, "kind": TicketEventKind.attachment_added,
                 "actor": AuthorType.customer, "detail": item.name},
            )  # fmt: skip
        scope.session.commit()
    except BaseException:
        scope.session.rollback()
        store.delete(stored)
        raise


def _confirmation(name: str, reference: str, subject: str, link: str, brand: str) -> str:
    return (
        f"Hello {name},\n\n"
        f"we received your request \u201c{subject}\u201d and gave it the reference {reference}.\n"
        f"Follow it, reply or add files here (keep this link private: it is your key):\n\n"
        f"{link}\n\n"
        f"{brand}\n"
    )
