"""One place that turns errors into answers: JSON under /api/, the help center's look elsewhere.

Services raise intake.errors' domain errors; each kind has one HTTP status here.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as HttpNotFound

from intake.errors import (
    Conflict,
    Forbidden,
    IntakeError,
    InvalidInput,
    NotFound,
    TooMany,
    Unauthorized,
)
from intake.files import size_text
from intake.state import state
from intake.web.limits import OUT_OF_REACH_RETRY, takes_files
from intake.web.redaction import redact
from intake.web.routing import (
    View,
    mark_view,
    methods_of,
    site_serves,
    tenant_for_host,
    view_marked,
)

log = logging.getLogger(__name__)
STATUS: dict[type[IntakeError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooMany: 429,
}
MESSAGES = {
    400: "The request could not be understood.",
    401: "Send the ticket's token.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The upload is too large.",
    429: "Too many requests from your address; wait a little and try again.",
    500: "Something went wrong on our side; please try again.",
}
Answer = tuple[Response, int] | tuple[str, int]
CSRF_MESSAGE = "This form has expired or was not sent from our page; reload it and send again."


JSON_PATHS = ("/api/", "/chat/")  # the API and the chat widget's calls read JSON errors


def json_errors(view: View) -> View:
    """Mark a view outside /api/ that a script calls and whose answer is JSON (the ticket
    form's suggestions): its errors, a rate limit's 429 too, are JSON in the API's shape,
    unless the caller asks for HTML first (a person who opened the address in a browser)."""
    return mark_view(view, "json_errors")


def _asks_for_html() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def wants_json() -> bool:
    """Return whether the current request is an API or chat request, or a script's call (a
    view marked with json_errors, a .json address, a JSON body, or JSON asked for first),
    which read JSON errors too."""
    return (request.path.startswith(JSON_PATHS) or request.path.endswith(".json")
            or (view_marked("json_errors") and not _asks_for_html())
            or request.is_json or request.accept_mimetypes.best == "application/json")  # fmt: skip


def error_response(message: str, field: str | None, status: int) -> Answer:
    """Answer an error in the one API shape, or as a page that looks like the help center."""
    if wants_json():
        return jsonify({"error": {"message": message, "field": field}}), status
    if g.get("tenant") is None:  # an unknown tenant, or no tenant in the path
        g.tenant = tenant_for_host(request.host)  # the look of the help center of this host
        g.tenant_borrowed = True
    return render_template("error.html", status=status, message=message), status


def status_of(exc: IntakeError) -> int:
    """Return the HTTP status of a domain error (500 for one that has none)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def _domain_error(exc: IntakeError) -> Answer | Response:
    status = status_of(exc)
    if status == 500:
        return _unexpected(exc)
    answer = error_response(exc.message, exc.field, status)
    if not isinstance(exc, TooMany):
        return answer
    response = current_app.make_response(answer)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http_error(exc: HTTPException) -> Answer | Response:
    answer = _http_answer(exc)
    if not isinstance(exc, MethodNotAllowed):
        return answer
    # What a 405 must say; not GET where only the static site's catch-all would take it.
    allowed = set(methods_of(request.path)) | ({"GET"} if site_serves(request.path) else set())
    if not allowed:  # only the site's catch-all matched, and the site has no such page
        return _http_answer(HttpNotFound())
    allowed.add("OPTIONS")
    if "GET" in allowed:
        allowed.add("HEAD")
    response = current_app.make_response(answer)
    response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


def _http_answer(exc: HTTPException) -> Answer:
    status = exc.code or 500
    message = MESSAGES.get(status, exc.description or "Error.")
    field = None
    if isinstance(exc, CSRFError):
        message = CSRF_MESSAGE
        field = "csrf_token"
    elif status == 413 and not takes_files():
        message = "The body is larger than this call takes."
    elif status == 413:
        config = state().config
        message = (
            f"The upload is too large: attach at most {config.max_attachments} files"
            f" of {size_text(config.max_attachment_bytes)} each."
        )
        field = "file" if wants_json() else "attachments"  # the API's multipart field
    return error_response(message, field, status)


def _unexpected(exc: Exception) -> Answer:
    log.exception("unhandled error on %s %s", request.method, redact(request.path), exc_info=exc)
    return error_response(MESSAGES[500], None, 500)


# PostgreSQL's SQLSTATEs of a server out of reach: connection errors (class 08), a server
# shutting down or starting (57P01-57P03), too many connections (53300).
_GONE = ("08", "57P01", "57P02", "57P03", "53300")


def _unreachable(cause: BaseException | None) -> bool:
    if type(cause).__module__.startswith("psycopg"):
        state_code = getattr(cause, "sqlstate", None)  # none: the connection never opened
        return state_code is None or str(state_code).startswith(_GONE)
    return "database is locked" in str(cause)  # SQLite's writer busy past its timeout


def _out_of_reach(exc: OperationalError) -> Answer | Response:
    """The database did not answer (a restart, a failover, SQLite's writer busy past its
    timeout): a 503 a client or proxy may retry, and one line in the log, not a traceback a
    request. Any other OperationalError (a missing table) is a fault like any other."""
    cause = exc.orig
    if not (exc.connection_invalidated or _unreachable(cause)):
        return _unexpected(exc)
    log.warning("database unavailable on %s %s (%s)", request.method, redact(request.path),
                type(cause).__name__)  # fmt: skip
    message = "The service cannot reach its database right now; try again in a minute."
    response = current_app.make_response(error_response(message, None, 503))
    response.headers["Retry-After"] = str(OUT_OF_REACH_RETRY)
    return response


def _stale(_exc: StaleDataError) -> Answer:
    # A row changed between reading and writing it in one transaction: another save won.
    message = "This was changed by someone else meanwhile; reload it and try again."
    return error_response(message, "version", 409)


def _allow_in_order(response: Response) -> Response:
    """Say the methods of an OPTIONS answer (Flask's own) in the order a 405 says them."""
    if request.method == "OPTIONS" and "Allow" in response.headers:
        methods = {m.strip() for m in response.headers["Allow"].split(",") if m.strip()}
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.after_request(_allow_in_order)
    app.register_error_handler(IntakeError, _domain_error)
    app.register_error_handler(StaleDataError, _stale)
    app.register_error_handler(OperationalError, _out_of_reach)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
