"""Agents' API tokens: every route of a blueprint made here needs one, checked on each request.

A request must carry `Authorization: Bearer itk_...`, a valid token of an active agent of the
URL's tenant. The token is resolved on every request, and once more inside every write
transaction, so a revoked token or a deactivated agent is refused at once. A missing, wrong,
revoked or deactivated agent's token, and a token of another tenant, all answer the same 401.
While the tenant requires an authenticator app, a token of an agent without one answers 403.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from intake.agents.tokens import agent_of, use_of
from intake.db import TenantSession
from intake.errors import Forbidden, Unauthorized
from intake.models import Agent
from intake.settings import TenantSettings
from intake.state import state
from intake.web.tenancy import tenant, tenant_blueprint, tenant_session

NO_SECOND_FACTOR = (
    "This help center requires an authenticator app, and this token's agent has none: set one"
    " up on the desk's Account page."
)
HOW = (
    "Send an agent's API token as 'Authorization: Bearer itk_...': a token of an active"
    " agent of this help center (the desk's Account page makes them)."
)


def _refused() -> Unauthorized:
    return Unauthorized(HOW, "Authorization")


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused()
    return token.strip()


def agent_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """Return a tenant blueprint whose every route answers 401 without an agent's API token."""
    bp = tenant_blueprint(name, import_name, url_prefix)

    @bp.before_request
    def _authenticate() -> None:
        token = _bearer()
        # A session of its own: agent_of notes the token's last use, which a read session
        # must not flush; a use due to be noted (once a minute) is written apart, so a token
        # used only to read shows when it was last used too.
        with state().db.read(tenant().id) as session:
            agent, due = use_of(session, token)
            if agent is None:
                raise _refused()
            # A token made before the help center required the app must not get round it.
            if not agent.totp_enabled and _second_factor_required(session):
                raise Forbidden(NO_SECOND_FACTOR, "Authorization")
            g.desk_agent_id = agent.id
        if due:
            with state().db.write(tenant().id) as session:
                agent_of(session, token)
        g.desk_token = token

    @bp.after_request
    def _challenge(response: Response) -> Response:
        if response.status_code == 401:
            response.headers.setdefault("WWW-Authenticate", 'Bearer realm="intake desk"')
        return response

    return bp


def _second_factor_required(session: TenantSession) -> bool:
    with session.no_autoflush:  # a read session: the token's last use is noted apart
        return bool(TenantSettings(session, state().secrets).get("require_two_factor"))


def reading_agent() -> Agent:
    """Return the calling agent in the request's read session."""
    agent = tenant_session().get(Agent, g.desk_agent_id)
    if agent is None or not agent.active:
        raise _refused()
    return agent


def acting_agent(session: TenantSession) -> Agent:
    """Return the calling agent in a write transaction, checking the token again there."""
    agent = agent_of(session, g.desk_token)
    if agent is None:
        raise _refused()
    return agent
