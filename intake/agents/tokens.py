"""Per-agent API tokens for integrations: shown once, stored as a hash, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from intake.db import TenantSession
from intake.errors import InvalidInput, NotFound
from intake.models import Agent, ApiToken, as_utc, utcnow
from intake.tickets.rules import control_problem

PREFIX = "itk_"
SEEN_EVERY = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: TenantSession, agent: Agent, name: str) -> tuple[ApiToken, str]:
    """Make a token for the agent; return its row and the token, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 100 or control_problem(name, multiline=False):
        raise InvalidInput("Name the token (1 to 100 characters), such as the integration's.",
                           "name")  # fmt: skip
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(agent_id=agent.id, name=name, token_hash=_hash(token))
    session.add(row)
    session.flush()
    return row, token


def agent_of(session: TenantSession, token: str) -> Agent | None:
    """Return the active agent a valid token belongs to, or None; note the token's use (at
    most once a minute), which a write session stores."""
    return use_of(session, token)[0]


def use_of(session: TenantSession, token: str) -> tuple[Agent | None, bool]:
    """Return agent_of's agent, and whether this use is one to note (a read session's caller
    notes it in a write of its own)."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None, False
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None, False
    agent = session.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        return None, False
    now = utcnow()
    last = row.last_used_at
    due = last is None or as_utc(last) < now - SEEN_EVERY
    if due:
        row.last_used_at = now  # at most once a minute: busy integrations need no more
    return agent, due


def tokens_of(session: TenantSession, agent: Agent) -> list[ApiToken]:
    """Return the agent's tokens, newest first."""
    query = select(ApiToken).where(ApiToken.agent_id == agent.id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def revoke_token(session: TenantSession, agent: Agent, token_id: int) -> None:
    """Revoke one of the agent's own tokens."""
    row = session.get(ApiToken, token_id)
    if row is None or row.agent_id != agent.id:
        raise NotFound()
    row.revoked_at = row.revoked_at or utcnow()
