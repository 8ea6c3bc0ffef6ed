"""The people of the support team: agents and admins, their sign-in and their groups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, db_enum, same_tenant
from intake.models.enums import AgentRole


class Agent(Timestamped, Base):
    """A person of the support team, bound to one tenant."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), UniqueConstraint("tenant_id", "id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    role: Mapped[AgentRole] = mapped_column(
        db_enum(AgentRole, "agent_role"), default=AgentRole.agent, server_default="agent"
    )
    # The authenticator app's secret, encrypted like every tenant secret (intake.settings).
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The 30-second step of the last app code taken: a code is good once (RFC 6238, 5.2).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notify_by_mail: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()


class AgentSession(Timestamped, Base):
    """One signed-in browser; the cookie holds its random id, the database only its hash.

    Checked on every request and by every open stream, so signing out, deactivation or a
    role change take effect at once.
    """

    __tablename__ = "agent_sessions"
    __table_args__ = (UniqueConstraint("token_hash"), same_tenant("agent_id", "agents"))
    agent_id: Mapped[int] = mapped_column(Integer, index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    second_factor_done: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class RecoveryCode(Timestamped, Base):
    """A one-time code that stands in for the authenticator app (only its hash is kept)."""

    __tablename__ = "agent_recovery_codes"
    __table_args__ = (same_tenant("agent_id", "agents"),)
    agent_id: Mapped[int] = mapped_column(Integer, index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column()


class ApiToken(Timestamped, Base):
    """A per-agent token for integrations; it acts as its agent, and dies with the account."""

    __tablename__ = "agent_api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"), same_tenant("agent_id", "agents"))
    agent_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class AgentGroup(Timestamped, Base):
    """A team of a tenant with its own queue view."""

    __tablename__ = "agent_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "id"))
    name: Mapped[str] = mapped_column(String(100))


class GroupMember(Timestamped, Base):
    """An agent's membership of a group."""

    __tablename__ = "agent_group_members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "group_id", "agent_id"),
        same_tenant("group_id", "agent_groups", ondelete="CASCADE"),
        same_tenant("agent_id", "agents"),
    )
    group_id: Mapped[int] = mapped_column(Integer, index=True)
    agent_id: Mapped[int] = mapped_column(Integer, index=True)
