"""gunicorn's access log without the ticket tokens that ticket page URLs carry.

A ticket's private link is /<tenant>/tickets/<reference>/<token>: whoever reads the log could
open every ticket. The logger class below writes `[token]` in place of that segment in every
value the log format can name (request line, path, referrer, environ), and never writes an
Authorization header.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from intake.web.redaction import redact

__all__ = ["RedactingLogger", "redact"]

SECRET_ATOMS = {"{authorization}i", "{http_authorization}e"}


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
