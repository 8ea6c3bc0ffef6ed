"""The /chat/<tenant> blueprint: the widget's HTTP calls and WebSocket, across origins.

Every request is checked by its Origin first: the tenant's site (its base_url), the service
itself, or CHAT_ORIGINS; a browser request from anywhere else is refused before anything is
read. Answers carry the CORS headers that let those origins read them. No cookie is used:
a chat's token travels in the Authorization header or the socket's first frame.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, request

from intake.errors import Forbidden
from intake.state import state
from intake.web.tenancy import tenant, tenant_blueprint

bp = tenant_blueprint("live", __name__, "/chat")


def origin_of(url: str) -> str:
    """Return the scheme://host[:port] of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins() -> set[str]:
    """Return the origins the current tenant's chat answers."""
    config = state().config
    own = {origin_of(tenant().base_url), origin_of(config.public_url), origin_of(request.host_url)}
    return own | set(config.chat_origins)


@bp.before_request
def _check_origin() -> None:
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in allowed_origins():
        raise Forbidden("This site may not use this help center's chat.", "Origin")


@bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() in allowed_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.add("Vary", "Origin")
    return response
