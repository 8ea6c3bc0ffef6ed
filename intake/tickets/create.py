"""Creating a ticket: its rows are prepared here and committed by the ticket writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from intake.files import CheckedFile, FileStore, saved
from intake.models import (
    AuthorType,
    Base,
    SupportTicket,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
    utcnow,
)
from intake.tickets.access import hash_token, link_token, new_token
from intake.tickets.mail_headers import first_mail_headers
from intake.tickets.mails import Brand, confirmation
from intake.tickets.writer import LINK_TOKEN, REFERENCE, Draft, TicketWriter


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
    follow_up_of_id: int | None = None  # the closed ticket this one continues
    confirm: bool = True  # mail the confirmation (a mail's sender may have had one today)
    # Headers of the confirmation besides the thread's (Auto-Submitted for mail answered).
    mail_headers: tuple[tuple[str, str], ...] = ()


def create_ticket(
    writer: TicketWriter,
    store: FileStore,
    tenant_id: str,
    brand: Brand,
    data: NewTicket,
    files: Sequence[CheckedFile] = (),
    linked: Sequence[tuple[type[Base], dict[str, Any]]] = (),
) -> tuple[SupportTicket, str]:
    """Create and commit a ticket with its files and confirmation mail; return it and its token.

    The rows go through the process's TicketWriter, which commits them with others'; nothing
    is acknowledged before it is committed. Files stored for a ticket that fails are deleted.
    """
    token = new_token()
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
        "follow_up_of_id": data.follow_up_of_id,
        "status": TicketStatus.open,
    }
    # The mail carries a link of its own (as every later mail does), not the token shown to
    # whoever sent the form: a merge may void that one (tickets/agent_work.py, merge).
    link = f"{brand.link_base}/{REFERENCE}/{LINK_TOKEN}"
    draft = Draft(
        tenant_id=tenant_id,
        prefix=brand.prefix,
        ticket=values,
        event={**common, "kind": TicketEventKind.created, "actor": AuthorType.customer,
               "detail": ""},
        mail={**common, "to_address": data.email, "next_attempt_at": now,
              "subject": f"[{REFERENCE}] We received your request: {data.subject}",
              "body": confirmation(data.name, REFERENCE, data.subject, link, brand.name),
              } if data.confirm else {},
        visit_id=data.visit_id,
        mail_link_token=lambda ticket_id: link_token(brand.secret, tenant_id, ticket_id),
        mail_headers=lambda ticket_id: {**first_mail_headers(
            brand.mail_from, brand.secret, tenant_id, ticket_id), **dict(data.mail_headers)},
        linked=[(model, {**common, **row}) for model, row in linked],
    )  # fmt: skip
    with saved(store, tenant_id, files) as stored:
        for item in stored:
            draft.attachments.append(
                (
                    {**common, "response_id": None, "original_name": item.file.name,
                     "stored_name": item.stored_name, "content_type": item.file.content_type,
                     "size": len(item.file.data), "sha256": item.file.sha256},
                    {**common, "kind": TicketEventKind.attachment_added,
                     "actor": AuthorType.customer, "detail": item.file.name},
                )
            )  # fmt: skip
        ticket_id, _, _ = writer.submit(draft)
    ticket = SupportTicket(id=ticket_id, **draft.ticket)  # not in any session: the answer
    return ticket, token
