"""gunicorn's access log without the ticket tokens that ticket page URLs carry.

A ticket's private link is /<tenant>/tickets/<reference>/<token>: whoever reads the log could
open every ticket. The logger class below writes `[token]` in place of that segment in every
value the log format can name (request line, path, referrer, environ), and never writes an
Authorization header.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

# The segment after /<tenant>/tickets/<reference>/ at the start of a path (the customer's
# pages; not the form's own /tickets/suggestions/..., nor /api/... or /desk/..., which carry
# no token in their paths and whose last segment says which action was called).
TOKEN_RE = re.compile(
    r"((?:^|[\s\"']|//[^/\s\"']*)/[A-Za-z0-9_-]+/tickets/(?!suggestions/)[^/?#\s]+/)[^/?#\s\"']+"
)
SECRET_ATOMS = {"{authorization}i", "{http_authorization}e"}


def redact(text: str) -> str:
    """Return `text` with ticket tokens in URL paths replaced by [token].

    The text is decoded first: the server routes /tickets%2FEUR-1%2F<token> like the plain
    path, so the encoded form must not slip past.
    """
    plain = unquote(text)
    if "/tickets/" not in plain:
        return text
    return TOKEN_RE.sub(r"\1[token]", plain)


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's logger; ticket tokens and Authorization headers stay out of the access log."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """Return gunicorn's atoms for the access log format, with secrets redacted."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key.lower() in SECRET_ATOMS:
                atoms[key] = "[redacted]"
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
