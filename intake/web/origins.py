"""Which sites' pages may call the service from a reader's browser (CORS): the tenant's own
site (its base_url), the service itself, and CHAT_ORIGINS."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, g, request

from intake.state import state
from intake.web.tenancy import tenant


def origin_of(url: str) -> str:
    """Return the scheme://host[:port] of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins() -> set[str]:
    """Return the origins whose pages may call the current tenant's browser-facing routes."""
    config = state().config
    own = {origin_of(tenant().base_url), origin_of(config.public_url), origin_of(request.host_url)}
    return own | set(config.chat_origins)


def foreign_origin() -> str | None:
    """Return the request's Origin when it is one the tenant does not allow, else None."""
    origin = request.headers.get("Origin")
    return origin if origin is not None and origin.lower() not in allowed_origins() else None


def allow_origin(response: Response) -> Response:
    """Let an allowed origin's page read the answer (and send Authorization and JSON). An
    unknown tenant's 404 allows no origin: there is no tenant to ask."""
    origin = request.headers.get("Origin")
    if origin is not None and "tenant" in g and origin.lower() in allowed_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.add("Vary", "Origin")
    return response
