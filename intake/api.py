"""The JSON API for tickets: create, read with the token, reply, resolve, attach files."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from intake.attachments import check_files
from intake.errors import ApiError
from intake.models import SupportTicket, TicketAttachment, TicketResponse
from intake.pages import (
    config,
    customer_files,
    limit_ticket_creation,
    link_base,
    read_uploads,
    send_attachment,
    store,
)
from intake.schemas import ReplyCreate, TicketCreate, parse
from intake.tenancy import scope, tenant, tenant_blueprint
from intake.tickets import NewTicket, add_reply, create_ticket, find_ticket, resolve

bp = tenant_blueprint("api_tickets", __name__, "/api/v1")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def attachment_json(item: TicketAttachment) -> dict[str, Any]:
    """Return an attachment's public fields."""
    return {
        "id": item.id,
        "name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "created_at": _iso(item.created_at),
    }


def response_json(item: TicketResponse) -> dict[str, Any]:
    """Return one reply of the thread."""
    return {
        "id": item.id,
        "author": item.author_type.value,
        "body": item.body,
        "created_at": _iso(item.created_at),
        "attachments": [
            attachment_json(a) for a in item.ticket.attachments if a.response_id == item.id
        ],
    }


def ticket_json(ticket: SupportTicket, thread: bool = True) -> dict[str, Any]:
    """Return what the ticket's token holder may see."""
    data: dict[str, Any] = {
        "reference": ticket.reference,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "category": ticket.category.value,
        "subject": ticket.subject,
        "description": ticket.description,
        "name": ticket.customer_name,
        "email": ticket.customer_email,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "resolved_at": _iso(ticket.resolved_at),
    }
    if thread:
        data["attachments"] = [
            attachment_json(a) for a in ticket.attachments if a.response_id is None
        ]
        data["replies"] = [response_json(r) for r in ticket.responses if not r.is_internal]
    return data


def _token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            "Send the ticket's token as 'Authorization: Bearer TOKEN'.", "Authorization", 401
        )
    return token.strip()


def _ticket(reference: str, token: str | None = None) -> SupportTicket:
    # On a POST the first query opens the write session (SQLite's writer lock): read and
    # check the request body before calling this, so a slow upload holds up nobody.
    return find_ticket(scope(), reference, token or _token())


@bp.route("/tickets", methods=["POST"])
@limit_ticket_creation
def create() -> tuple[Response, int, dict[str, str]]:
    """Create a ticket from a JSON body; answer 201 with the ticket, its token and its page."""
    body = parse(TicketCreate, request.get_json(silent=True))
    ticket, token = create_ticket(
        tenant().id,
        tenant().ticket_prefix,
        NewTicket(
            name=body.name,
            email=str(body.email),
            subject=body.subject,
            description=body.description,
            category=body.category,
            priority=body.priority,
            visit_id=body.visit_id,
        ),
        [],
        store(),
        link_base(tenant().id),
        tenant().name,
    )
    page = f"{link_base(tenant().id)}/{ticket.reference}/{token}"
    location = url_for(".read", reference=ticket.reference)
    payload = {"ticket": ticket_json(ticket, thread=False), "token": token, "url": page}
    return jsonify(payload), 201, {"Location": location}


@bp.route("/tickets/<reference>", methods=["GET"])
def read(reference: str) -> Response:
    """Return the ticket and its thread to the holder of its token."""
    return jsonify({"ticket": ticket_json(_ticket(reference))})


@bp.route("/tickets/<reference>/replies", methods=["POST"])
def reply(reference: str) -> tuple[Response, int]:
    """Add the customer's reply (JSON)."""
    token = _token()
    body = parse(ReplyCreate, request.get_json(silent=True))
    ticket = _ticket(reference, token)
    response = add_reply(scope(), ticket, body.body, [], store())
    return jsonify({"reply": response_json(response)}), 201


@bp.route("/tickets/<reference>/resolve", methods=["POST"])
def mark_resolved(reference: str) -> Response:
    """Mark the ticket resolved."""
    ticket = _ticket(reference)
    resolve(scope(), ticket)
    return jsonify({"ticket": ticket_json(ticket, thread=False)})


@bp.route("/tickets/<reference>/attachments", methods=["POST"])
def upload(reference: str) -> tuple[Response, int]:
    """Attach files (multipart field `file`, repeatable) with an optional `body` note."""
    token = _token()
    cfg = config()
    uploads = read_uploads(request.files.getlist("file"))
    if not uploads:
        raise ApiError("Send at least one file in the multipart field 'file'.", "file")
    # The note follows the rules of any reply (no control characters, at most REPLY_MAX).
    note = request.form.get("body", "").strip()
    note = parse(ReplyCreate, {"body": note}).body if note else "(files attached)"
    ticket = _ticket(reference, token)
    files = check_files(
        uploads, cfg.max_attachments, cfg.max_attachment_bytes, len(customer_files(ticket)), "file"
    )
    response = add_reply(scope(), ticket, note, files, store())
    return jsonify({"reply": response_json(response)}), 201


@bp.route("/tickets/<reference>/attachments/<int:attachment_id>", methods=["GET"])
def download(reference: str, attachment_id: int) -> Response:
    """Send one of the ticket's files as a download."""
    return send_attachment(_ticket(reference), attachment_id)
