"""Signing in to the desk: password, then the second factor; sessions checked on every use.

A session is a random token in the browser's cookie and its SHA-256 in agent_sessions. It is
valid while not revoked and while its agent is active, which every request (and every open
stream) checks, so signing out, deactivation and a password change take effect at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from intake.agents import second_factor
from intake.agents.accounts import clean_email
from intake.agents.passwords import hash_password, needs_rehash, verify_password
from intake.agents.throttle import SignInThrottle
from intake.db import TenantSession
from intake.errors import InvalidInput
from intake.models import Agent, AgentSession, RecoveryCode, as_utc, utcnow
from intake.settings import SecretBox

SESSION_HOURS = 12  # a working day; then sign in again
SEEN_EVERY = dt.timedelta(minutes=1)  # how often last_seen_at is written (not every request)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """A new session: its token for the cookie, and whether the second factor is still due."""

    token: str
    agent: Agent
    needs_second_factor: bool


def sign_in(
    session: TenantSession,
    throttle: SignInThrottle,
    email: str,
    password: str,
    address: str,
    user_agent: str = "",
) -> Signed:
    """Check the password (throttled per account and address) and open a session."""
    email = clean_email(email)
    throttle.check(session.tenant_id or "", email, address)
    agent = session.scalars(select(Agent).where(Agent.email == email)).first()
    ok = verify_password(agent.password_hash if agent else None, password)
    if agent is None or not ok or not agent.active:
        throttle.failed(session.tenant_id or "", email, address)
        raise InvalidInput("The email or the password is wrong.", "password")
    if agent.password_hash and needs_rehash(agent.password_hash):
        agent.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    session.add(AgentSession(agent_id=agent.id, token_hash=_hash(token),
                             second_factor_done=not agent.totp_enabled,
                             user_agent=user_agent[:200], last_seen_at=utcnow()))  # fmt: skip
    session.flush()
    return Signed(token, agent, agent.totp_enabled)


def check_password(throttle: SignInThrottle, agent: Agent, password: str, address: str) -> None:
    """Check a signed-in agent's password again (to change it, or to replace their app),
    throttled as signing in is: a session left open may not be used to guess it."""
    tenant_id = agent.tenant_id or ""
    throttle.check(tenant_id, agent.email, address)
    if not verify_password(agent.password_hash, password):
        throttle.failed(tenant_id, agent.email, address)
        raise InvalidInput("That is not your current password.", "password")


def end_other_sessions(session: TenantSession, agent_id: int, token: str) -> None:
    """End every session of the agent but the one of `token`."""
    session.execute(
        update(AgentSession)
        .where(AgentSession.agent_id == agent_id, AgentSession.revoked_at.is_(None),
               AgentSession.token_hash != _hash(token))
        .values(revoked_at=utcnow())
    )  # fmt: skip


def current(session: TenantSession, token: str) -> tuple[AgentSession, Agent] | None:
    """Return the session of this token and its agent while both are valid, else None."""
    if not token or len(token) > 100:
        return None
    row = session.scalars(
        select(AgentSession).where(AgentSession.token_hash == _hash(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if as_utc(row.created_at) < utcnow() - dt.timedelta(hours=SESSION_HOURS):
        return None
    agent = session.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        return None
    return row, agent


def needs_touch(row: AgentSession) -> bool:
    """Say whether the session's last use is old enough to write down again (once a minute)."""
    return row.last_seen_at is None or as_utc(row.last_seen_at) < utcnow() - SEEN_EVERY


def touch(session: TenantSession, session_id: int, agent_id: int) -> None:
    """Note that the session (and its agent) was used now."""
    now = utcnow()
    session.execute(update(AgentSession).where(AgentSession.id == session_id)
                    .values(last_seen_at=now))  # fmt: skip
    session.execute(update(Agent).where(Agent.id == agent_id).values(last_seen_at=now))


def sign_out(session: TenantSession, token: str) -> None:
    """End the session of this token."""
    session.execute(
        update(AgentSession)
        .where(AgentSession.token_hash == _hash(token), AgentSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def pass_second_factor(
    session: TenantSession,
    throttle: SignInThrottle,
    box: SecretBox,
    row: AgentSession,
    agent: Agent,
    code: str,
    address: str,
) -> None:
    """Accept the app's code or an unused recovery code for this session (throttled)."""
    throttle.check(session.tenant_id or "", agent.email, address)
    step = second_factor.matching_step(box.open(agent.totp_secret), code) if (
        agent.totp_secret) else None  # fmt: skip
    ok = step is not None and _spend_step(session, agent, step)
    if not ok and step is None:
        ok = _use_recovery_code(session, agent, code)
    if not ok:
        throttle.failed(session.tenant_id or "", agent.email, address)
        if step is not None:
            raise InvalidInput("That code was used already; wait for the next one from your "
                               "app.", "code")  # fmt: skip
        if _spent_recovery_code(session, agent, code):
            raise InvalidInput("That recovery code was used already: each works once. Use"
                               " another, or the current code from your app.", "code")  # fmt: skip
        raise InvalidInput("That code is not right; use the current one from your app, or an"
                           " unused recovery code.", "code")  # fmt: skip
    row.second_factor_done = True
    session.flush()


def _spend_step(session: TenantSession, agent: Agent, step: int) -> bool:
    """Take the app's code of `step` for this agent unless it, or a later one, was taken: one
    statement, so of two sign-ins with one code at once only one succeeds."""
    taken = session.execute(
        update(Agent)
        .where(Agent.id == agent.id, Agent.totp_last_step < step)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _use_recovery_code(session: TenantSession, agent: Agent, code: str) -> bool:
    found = _recovery_code(session, agent, code, used=False)
    if found is not None:
        found.used_at = utcnow()
    return found is not None


def _spent_recovery_code(session: TenantSession, agent: Agent, code: str) -> bool:
    return _recovery_code(session, agent, code, used=True) is not None


def _recovery_code(
    session: TenantSession, agent: Agent, code: str, used: bool
) -> RecoveryCode | None:
    """Return the agent's recovery code `code`, used or not as asked, or None (compared in
    constant time: only its hash is kept)."""
    wanted = second_factor.hash_code(code)
    spent = RecoveryCode.used_at.is_not(None) if used else RecoveryCode.used_at.is_(None)
    rows = session.scalars(select(RecoveryCode).where(RecoveryCode.agent_id == agent.id, spent))
    return next((row for row in rows if hmac.compare_digest(row.code_hash, wanted)), None)


def enable_second_factor(
    session: TenantSession, box: SecretBox, agent: Agent, secret: str, code: str
) -> list[str]:
    """Turn on the app for an agent once it shows a right code; return new recovery codes."""
    step = second_factor.matching_step(secret, code)
    if step is None:
        raise InvalidInput("That code is not right; scan the code again and type the current one.",
                           "code")  # fmt: skip
    agent.totp_secret = box.seal(secret)
    agent.totp_enabled = True
    agent.totp_last_step = step  # the code that turned it on is spent
    codes = second_factor.new_recovery_codes()
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.agent_id == agent.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    for code_text in codes:
        session.add(RecoveryCode(agent_id=agent.id, code_hash=second_factor.hash_code(code_text)))
    session.flush()
    return codes


def recovery_codes_left(session: TenantSession, agent: Agent) -> int:
    """Return how many unused recovery codes the agent has."""
    query = select(RecoveryCode.id).where(
        RecoveryCode.agent_id == agent.id, RecoveryCode.used_at.is_(None)
    )
    return len(list(session.scalars(query)))
