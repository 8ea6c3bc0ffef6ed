"""Who is at the desk: the session cookie, checked against the database on every request.

The cookie is signed (itsdangerous, with SECRET_KEY), HttpOnly, SameSite=Lax, Secure when the
service is served over HTTPS, scoped to /desk/<tenant>/ and holds a random session token
whose hash intake.agents.sessions looks up: a revoked session, a deactivated agent or a
changed role shows on the very next request.
"""

from __future__ import annotations

from flask import g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from intake.agents.sessions import SESSION_HOURS, current, needs_touch, touch
from intake.db import Database
from intake.models import Agent, AgentRole, AgentSession
from intake.settings import TenantSettings
from intake.state import state
from intake.web.tenancy import tenant

COOKIE = "intake_desk"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(state().config.secret_key, salt="intake-desk-session")


def cookie_path() -> str:
    """Return the path the current tenant's desk cookie is sent to."""
    return f"/desk/{tenant().id}/"


def set_session_cookie(response: Response, token: str) -> None:
    """Give the browser a new session (a new token at every sign-in)."""
    response.set_cookie(
        COOKIE, _serializer().dumps(token), max_age=SESSION_HOURS * 3600, path=cookie_path(),
        httponly=True, samesite="Lax", secure=state().config.public_url.startswith("https://"),
    )  # fmt: skip


def clear_session_cookie(response: Response) -> None:
    """Forget the session in the browser."""
    response.delete_cookie(COOKIE, path=cookie_path())


def session_token() -> str:
    """Return the session token of the request's cookie, or "" when there is none valid."""
    raw = request.cookies.get(COOKIE, "")
    if not raw or len(raw) > 500:
        return ""
    try:
        token = _serializer().loads(raw, max_age=SESSION_HOURS * 3600)
    except BadSignature:
        return ""
    return token if isinstance(token, str) else ""


def load() -> tuple[AgentSession, Agent] | None:
    """Look the request's session up (once per request); note the visit at most once a minute."""
    if "desk_session" in g:
        found: tuple[AgentSession, Agent] | None = g.desk_session
        return found
    token = session_token()
    found = None
    if token:
        with state().db.read(tenant().id) as session:
            found = current(session, token)
        if found is not None and needs_touch(found[0]):
            with state().db.write(tenant().id) as session:
                touch(session, found[0].id, found[1].id)
    g.desk_session = found
    return found


def agent() -> Agent:
    """Return the signed-in agent of this request (the desk's guard made sure there is one)."""
    found = load()
    assert found is not None
    return found[1]


def is_admin() -> bool:
    """Say whether the signed-in agent is an admin of the tenant."""
    found = load()
    return found is not None and found[1].role == AgentRole.admin


def two_factor_required() -> bool:
    """Say whether the tenant requires every agent to use an authenticator app."""
    with state().db.read(tenant().id) as session:
        return bool(TenantSettings(session, state().secrets).get("require_two_factor"))


def still_signed_in(database: Database, tenant_id: str, token: str, agent_id: int) -> bool:
    """Say whether a session is still valid (open streams ask this as they go)."""
    with database.read(tenant_id) as session:
        found = current(session, token)
    return found is not None and found[1].id == agent_id and found[0].second_factor_done
