"""Files over HTTP: reading uploads from a request, and sending a stored file."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Response, request, send_file
from werkzeug.exceptions import HTTPException

from intake.errors import NotFound
from intake.files import PREVIEW_TYPES, clean_name, plain_name
from intake.models import ChatMessage, SupportTicket, TicketAttachment
from intake.state import state
from intake.tickets.replies import customer_files


def read_uploads(field: str) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of a multipart field's files, each read up to 1 byte past the limit."""
    limit = state().config.max_attachment_bytes + 1
    return [(f.filename or "", f.read(limit)) for f in request.files.getlist(field)]


def _named(name: str, text: str) -> bool:
    """Whether `text` names the file `name` (not only a longer name ending so: g.png, big.png)."""
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text) is not None


def reattach_note(field: str, refused: str = "") -> str:
    """Name the files a form sent that the page sent back cannot hold (browsers empty a file
    field), so the customer knows what to attach again; "" when there are none. A file the
    `refused` message names (too large, say) is not one to attach again."""
    names = [clean_name(f.filename)[:80] for f in request.files.getlist(field) if f.filename]
    names = [n for n in names if not _named(n, refused)]
    if not names:
        return ""
    return f"Attach again: {', '.join(names)}. Files are not kept when the form comes back."


def send_attachment(ticket: SupportTicket, attachment_id: int, preview: bool = False) -> Response:
    """Return a customer-visible file of the ticket as a download, or NotFound; with
    `preview`, an image shown in the page (other types have no preview: NotFound)."""
    item = next((a for a in customer_files(ticket) if a.id == attachment_id), None)
    if item is None or (preview and item.content_type not in PREVIEW_TYPES):
        raise NotFound()
    return send_stored(ticket.tenant_id, stored_attachment(item), preview)


@dataclass(frozen=True)
class StoredFile:
    """What sending a stored file needs: a ticket's attachment or a chat's file alike."""

    stored_name: str
    content_type: str
    name: str  # the customer's, for the download
    size: int


def send_stored(tenant_id: str, item: StoredFile, inline: bool) -> Response:
    """Send a stored file: shown when `inline` and an image, else as a download; sandboxed
    and never cached either way. NotFound when the store has lost it."""
    handle = state().files.open(tenant_id, item.stored_name) if item.stored_name else None
    if handle is None:
        raise NotFound()
    shown = inline and item.content_type in PREVIEW_TYPES
    # The name ends as the type does, for files kept before that rule too (invoice.html).
    name = plain_name(item.name, item.content_type)
    response = send_file(handle, mimetype=item.content_type, as_attachment=not shown,
                         download_name=name, max_age=0, conditional=False)  # fmt: skip
    response.content_length = item.size
    # A stored file's length is known, so a part of it can be asked for (a resumed download).
    # A Range header that is no single range of bytes is ignored, as HTTP allows: the whole.
    asked = request.range
    if "Range" in request.headers and (
        asked is None or asked.units != "bytes" or len(asked.ranges) != 1
    ):
        response.headers["Accept-Ranges"] = "bytes"
        return _sandboxed(response)
    try:
        response.make_conditional(request, accept_ranges=True, complete_length=item.size)
    except HTTPException:  # a range past the end (416): the file is not sent, so close it
        response.close()
        raise
    return _sandboxed(response)


def _sandboxed(response: Response) -> Response:
    # img-src: a browser showing the image alone draws it under this policy (Firefox does).
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def stored_attachment(item: TicketAttachment) -> StoredFile:
    """Return what sending a ticket's attachment needs."""
    return StoredFile(item.stored_name, item.content_type, item.original_name, item.size)


def stored_chat_file(item: ChatMessage) -> StoredFile:
    """Return what sending a chat's file needs (a message without a file has no stored name)."""
    return StoredFile(item.stored_name or "", item.content_type or "application/octet-stream",
                      item.file_name or "file", item.size or 0)  # fmt: skip
