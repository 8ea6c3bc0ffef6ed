"""The JSON API for tickets: create, read with the token, reply, resolve, attach files.

Bodies are read and checked before any write transaction opens: on SQLite that transaction
holds the database's one writer lock, which a slow client must not keep from others.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for

from intake.api.blueprint import bp
from intake.api.schemas import (
    ReplyCreate,
    ReplyEnvelope,
    ReplyOut,
    TicketCreate,
    TicketCreated,
    TicketEnvelope,
    TicketOut,
    TicketSummary,
    TicketSummaryEnvelope,
    dump,
    parse,
)
from intake.errors import InvalidInput, Unauthorized
from intake.files import check_files, saved
from intake.state import state
from intake.tickets import rules
from intake.tickets.changes import ticket_changed
from intake.tickets.create import NewTicket, create_ticket
from intake.tickets.replies import add_reply, files_of_the_customer, resolve
from intake.web.json import request_json
from intake.web.limits import accepts_files, limit_ticket_creation, limit_ticket_writes
from intake.web.tenancy import brand, customer_ticket, tenant, tenant_session
from intake.web.uploads import read_uploads, send_attachment


def _token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send the ticket's token as 'Authorization: Bearer TOKEN'.", "Authorization"
        )
    return token.strip()


@bp.route("/tickets", methods=["POST"])
@limit_ticket_creation
def create() -> tuple[Response, int, dict[str, str]]:
    """Create a ticket from a JSON body; answer 201 with the ticket, its token and its page."""
    body = parse(TicketCreate, request_json())
    data = NewTicket(
        name=body.name,
        email=str(body.email),
        subject=body.subject,
        description=body.description,
        category=body.category,
        priority=body.priority,
        visit_id=body.visit_id,
    )
    links = brand()
    ticket, token = create_ticket(state().writer, state().files, tenant().id, links, data)
    created = TicketCreated(
        ticket=TicketSummary.of(ticket),
        token=token,
        url=f"{links.link_base}/{ticket.reference}/{token}",
    )
    location = url_for(".read", reference=ticket.reference)
    return jsonify(dump(created)), 201, {"Location": location}


@bp.route("/tickets/<reference>", methods=["GET"])
def read(reference: str) -> Response:
    """Return the ticket and its thread to the holder of its token."""
    ticket = customer_ticket(tenant_session(), reference, _token())
    return jsonify(dump(TicketEnvelope(ticket=TicketOut.of(ticket))))


@bp.route("/tickets/<reference>/replies", methods=["POST"])
@limit_ticket_writes
def reply(reference: str) -> tuple[Response, int]:
    """Add the customer's reply (JSON)."""
    token = _token()
    body = parse(ReplyCreate, request_json())
    with state().db.write(tenant().id) as session:
        response = add_reply(session, customer_ticket(session, reference, token), body.body)
        answer = ReplyEnvelope(reply=ReplyOut.of(response))
    ticket_changed(state().events, tenant().id, response.ticket_id, "replied", customer_sees=True)
    return jsonify(dump(answer)), 201


@bp.route("/tickets/<reference>/resolve", methods=["POST"])
@limit_ticket_writes
def mark_resolved(reference: str) -> Response:
    """Mark the ticket resolved."""
    token = _token()
    with state().db.write(tenant().id) as session:
        ticket = customer_ticket(session, reference, token)
        changed = resolve(session, ticket)
        answer = TicketSummaryEnvelope(ticket=TicketSummary.of(ticket))
    if changed:
        ticket_changed(state().events, tenant().id, ticket.id, "resolved", customer_sees=True)
    return jsonify(dump(answer))


@bp.route("/tickets/<reference>/attachments", methods=["POST"])
@limit_ticket_writes
@accepts_files
def upload(reference: str) -> tuple[Response, int]:
    """Attach files (multipart field `file`, repeatable) with an optional `body` note."""
    token = _token()
    config = state().config
    # As the JSON calls refuse an unknown key: a misspelt `message` for `body` would lose
    # the note silently, and a second `body` would be dropped.
    unknown = sorted((set(request.form) | set(request.files)) - {"file", "body"})
    if unknown:
        raise InvalidInput("Unknown field; remove it.", unknown[0][:40])  # as in JSON bodies
    if len(request.form.getlist("body")) > 1:
        raise InvalidInput("Send one 'body'.", "body")
    uploads = read_uploads("file")
    if not uploads:
        raise InvalidInput("Send at least one file in the multipart field 'file'.", "file")
    # The note follows the rules of any reply (no control characters, at most REPLY_MAX).
    note = rules.trim(request.form.get("body", ""))
    note = parse(ReplyCreate, {"body": note}).body if note else rules.FILES_ONLY
    already = len(files_of_the_customer(customer_ticket(tenant_session(), reference, token)))
    files = check_files(
        uploads, config.max_attachments, config.max_attachment_bytes, already, "file"
    )
    if not files:  # only empty file parts: nothing was attached
        raise InvalidInput("Every file sent is empty; attach at least one file.", "file")
    with (
        saved(state().files, tenant().id, files) as stored,
        state().db.write(tenant().id) as session,
    ):
        response = add_reply(session, customer_ticket(session, reference, token), note, stored)
        answer = ReplyEnvelope(reply=ReplyOut.of(response))
    ticket_changed(state().events, tenant().id, response.ticket_id, "files", customer_sees=True)
    return jsonify(dump(answer)), 201


@bp.route("/tickets/<reference>/attachments/<int:attachment_id>", methods=["GET"])
def download(reference: str, attachment_id: int) -> Response:
    """Send one of the ticket's files as a download."""
    return send_attachment(customer_ticket(tenant_session(), reference, _token()), attachment_id)
