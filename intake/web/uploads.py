"""Files over HTTP: reading uploads from a request, and sending a stored file as a download."""

from __future__ import annotations

from flask import Response, request, send_file

from intake.errors import NotFound
from intake.models import SupportTicket
from intake.state import state
from intake.tickets.replies import customer_files


def read_uploads(field: str) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of a multipart field's files, each read up to 1 byte past the limit."""
    limit = state().config.max_attachment_bytes + 1
    return [(f.filename or "", f.read(limit)) for f in request.files.getlist(field)]


def send_attachment(ticket: SupportTicket, attachment_id: int) -> Response:
    """Return a customer-visible file of the ticket as a download, or NotFound."""
    item = next((a for a in customer_files(ticket) if a.id == attachment_id), None)
    if item is None:
        raise NotFound()
    handle = state().files.open(ticket.tenant_id, item.stored_name)
    if handle is None:
        raise NotFound()
    response = send_file(
        handle,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.original_name,
        max_age=0,
    )
    response.content_length = item.size
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
