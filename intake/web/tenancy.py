"""Tenants in URLs: the first segment names one; views get it and its read session from here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g

from intake.db import TenantSession
from intake.errors import NotFound
from intake.models import SupportTicket
from intake.state import state
from intake.tickets.access import find_ticket
from intake.tickets.agent_work import Desk
from intake.tickets.mails import Brand
from kbgen.config import TenantConfig


def tenant() -> TenantConfig:
    """Return the tenant of the current request."""
    value: TenantConfig = g.tenant
    return value


def brand() -> Brand:
    """Return how the current tenant's ticket links and mails look."""
    return state().brand(tenant().id)


def desk_settings() -> Desk:
    """Return what agents' actions need: the tenant's mail brand and the desk's address."""
    return Desk(brand(), f"{state().config.public_url}/desk/{tenant().id}")


def customer_ticket(session: TenantSession, reference: str, token: str) -> SupportTicket:
    """Return the ticket a customer's private link (or a mail's link) names, or NotFound."""
    return find_ticket(session, reference, token, state().config.secret_key)


def tenant_session() -> TenantSession:
    """Return the request's read session of its tenant, opened on first use.

    For reading only: a view that changes anything opens `state().db.write(tenant)`.
    """
    if "tenant_session" not in g:
        g.tenant_session = state().db.session(tenant().id)
    session: TenantSession = g.tenant_session
    return session


def tenant_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """Return a blueprint whose routes all start with <tenant> after `url_prefix`.

    An unknown tenant answers 404 before the view runs, exactly like a missing object.
    """
    bp = Blueprint(name, import_name, url_prefix=f"{url_prefix}/<tenant>")

    @bp.url_value_preprocessor
    def _pull(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        found = state().tenant((values or {}).pop("tenant", ""))
        if found is None:
            raise NotFound()
        g.tenant = found

    @bp.url_defaults
    def _push(_endpoint: str, values: dict[str, Any]) -> None:
        if "tenant" not in values and "tenant" in g:
            values["tenant"] = g.tenant.id

    return bp


def release_session() -> None:
    """Close the request's read session now (before a long-lived response starts)."""
    _close_session(None)


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("tenant_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close each request's read session when the request ends."""
    app.teardown_appcontext(_close_session)
