"""One place that turns errors into answers: JSON under /api/, the help center's look elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from intake.errors import ApiError

log = logging.getLogger(__name__)
MESSAGES = {
    400: "The request could not be understood.",
    401: "Send the ticket's token.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The upload is too large.",
    429: "Too many requests from your address; wait a little and try again.",
    500: "Something went wrong on our side; please try again.",
}


def wants_json() -> bool:
    """Return whether the current request is an API request."""
    return request.path.startswith("/api/")


Answer = tuple[Response, int] | tuple[str, int]


def error_response(message: str, field: str | None, status: int) -> Answer:
    """Answer an error in the one API shape, or as a page that looks like the help center."""
    if wants_json():
        return jsonify({"error": {"message": message, "field": field}}), status
    tenant = g.get("tenant")
    if tenant is None:
        return render_template("plain_error.html", status=status, message=message), status
    return render_template("error.html", status=status, message=message), status


def _api_error(exc: ApiError) -> Answer:
    return error_response(exc.message, exc.field, exc.status)


def _http_error(exc: HTTPException) -> Answer:
    status = exc.code or 500
    message = MESSAGES.get(status, exc.description or "Error.")
    field = None
    if isinstance(exc, CSRFError):
        message = "This form has expired or was not sent from our page; reload it and send again."
        field = "csrf_token"
    elif status == 413:
        config = current_app.config["INTAKE"]
        message = (
            f"The upload is too large: attach at most {config.max_attachments} files"
            f" of {config.max_attachment_bytes // 1024} KB each."
        )
        field = "attachments"
    return error_response(message, field, status)


def _unexpected(exc: Exception) -> Answer:
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(MESSAGES[500], None, 500)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
