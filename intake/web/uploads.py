"""Files over HTTP: reading uploads from a request, and sending a stored file as a download."""

from __future__ import annotations

from flask import Response, request, send_file

from intake.errors import NotFound
from intake.files import PREVIEW_TYPES
from intake.models import SupportTicket
from intake.state import state
from intake.tickets.replies import customer_files


def read_uploads(field: str) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of a multipart field's files, each read up to 1 byte past the limit."""
    limit = state().config.max_attachment_bytes + 1
    return [(f.filename or "", f.read(limit)) for f in request.files.getlist(field)]


def reattach_note(field: str) -> str:
    """Name the files a form sent that the page sent back cannot hold (browsers empty a file
    field), so the customer knows what to attach again; "" when it sent none."""
    names = [(f.filename or "")[:80] for f in request.files.getlist(field) if f.filename]
    if not names:
        return ""
    return f"Attach again: {', '.join(names)}. Files are not kept when the form comes back."


def send_attachment(ticket: SupportTicket, attachment_id: int, preview: bool = False) -> Response:
    """Return a customer-visible file of the ticket as a download, or NotFound; with
    `preview`, an image shown in the page (other types have no preview: NotFound)."""
    item = next((a for a in customer_files(ticket) if a.id == attachment_id), None)
    if item is None or (preview and item.content_type not in PREVIEW_TYPES):
        raise NotFound()
    handle = state().files.open(ticket.tenant_id, item.stored_name)
    if handle is None:
        raise NotFound()
    response = send_file(
        handle,
        mimetype=item.content_type,
        as_attachment=not preview,
        download_name=item.original_name,
        max_age=0,
    )
    response.content_length = item.size
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
