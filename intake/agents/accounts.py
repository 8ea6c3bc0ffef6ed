"""Agents and admins of a tenant, and its groups: created, changed, deactivated."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update

from intake.agents.passwords import check_password, hash_password
from intake.db import TenantSession
from intake.errors import Conflict, InvalidInput, NotFound
from intake.models import (
    Agent,
    AgentGroup,
    AgentRole,
    AgentSession,
    ApiToken,
    GroupMember,
    RecoveryCode,
    utcnow,
)
from intake.tickets.agent_work import release_tickets
from intake.tickets.rules import control_problem, name_taken, one_spelling, trim

NAME_MAX = 100


@dataclass(frozen=True)
class NewAgent:
    """What an admin (or `intake agents create`) gives for a new account."""

    email: str
    name: str
    password: str
    role: AgentRole = AgentRole.agent


def clean_email(email: str, field: str = "email") -> str:
    """Return the address normalised (lower case), or raise InvalidInput."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput("Enter an email address like name@example.com.", field) from None


def clean_name(name: str, field: str = "name") -> str:
    """Return a display name in one spelling (rules.one_spelling), or raise InvalidInput."""
    name = one_spelling(trim(name))  # trimmed as every face trims: a tab around is no fault
    if not name or len(name) > NAME_MAX or control_problem(name, multiline=False):
        raise InvalidInput(f"Enter a name of 1 to {NAME_MAX} characters on one line.", field)
    return name


def create_agent(session: TenantSession, data: NewAgent) -> Agent:
    """Add an account to the session's tenant; its email must be new there."""
    email = clean_email(data.email)
    if session.scalars(select(Agent.id).where(Agent.email == email)).first() is not None:
        raise Conflict("An account with this email already exists.", "email")
    agent = Agent(
        email=email,
        name=clean_name(data.name),
        password_hash=hash_password(check_password(data.password)),
        role=data.role,
        active=True,
    )
    session.add(agent)
    session.flush()
    return agent


def get_agent(session: TenantSession, agent_id: int) -> Agent:
    """Return the tenant's agent, or NotFound."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound()
    return agent


def active_agents(session: TenantSession) -> list[Agent]:
    """Return the tenant's active agents by name."""
    return list(session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name)))


def _other_active_admins(session: TenantSession, agent: Agent) -> int:
    query = select(func.count(Agent.id)).where(
        Agent.active.is_(True), Agent.role == AgentRole.admin, Agent.id != agent.id
    )
    return int(session.scalar(query) or 0)


def revoke_access(session: TenantSession, agent_id: int) -> None:
    """End every session and API token of an agent, at once."""
    now = utcnow()
    for model in (AgentSession, ApiToken):
        session.execute(
            update(model)
            .where(model.agent_id == agent_id, model.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def change_agent(
    session: TenantSession,
    agent: Agent,
    *,
    name: str | None = None,
    role: AgentRole | None = None,
    active: bool | None = None,
) -> int:
    """Change an account; deactivation ends its sessions and tokens and gives its unfinished
    tickets back to the queue: return how many. A tenant keeps an admin."""
    if name is not None:
        agent.name = clean_name(name)
    losing_admin = (role is not None and role != AgentRole.admin) or active is False
    if agent.role == AgentRole.admin and losing_admin and not _other_active_admins(session, agent):
        field = "active" if active is False else "role"  # where the admin's choice was
        raise Conflict("This is the last active admin; make another agent admin first.", field)
    if role is not None:
        agent.role = role
    released = 0
    if active is not None and active != agent.active:
        agent.active = active
        if not active:
            revoke_access(session, agent.id)
            released = release_tickets(session, agent)
    session.flush()
    return released


def set_password(session: TenantSession, agent: Agent, password: str) -> None:
    """Give the agent a new password and end its other sessions."""
    agent.password_hash = hash_password(check_password(password))
    revoke_access(session, agent.id)
    session.flush()


def agent_by_email(session: TenantSession, email: str) -> Agent:
    """Return the tenant's account of this address, or raise NotFound naming it."""
    address = clean_email(email)
    found = session.scalars(select(Agent).where(Agent.email == address)).first()
    if found is None:
        raise NotFound(f"No account of this tenant has the address {address}.", "email")
    return found


def reset_sign_in(session: TenantSession, agent: Agent, password: str) -> bool:
    """Let a locked-out agent in again (`intake agents reset`): a new password and no second
    factor, every session and token ended; return whether a second factor was turned off (the
    desk asks for a new one where the tenant requires it). A deactivated account stays so."""
    had_second_factor = agent.totp_enabled
    set_password(session, agent, password)
    agent.totp_enabled, agent.totp_secret, agent.totp_last_step = False, None, 0
    for code in session.scalars(select(RecoveryCode).where(RecoveryCode.agent_id == agent.id)):
        session.delete(code)
    session.flush()
    return had_second_factor


def create_group(session: TenantSession, name: str) -> AgentGroup:
    """Add a group to the tenant; its name must be new there."""
    group = AgentGroup(name=_group_name(session, name))
    session.add(group)
    session.flush()
    return group


def rename_group(session: TenantSession, group: AgentGroup, name: str) -> None:
    """Give a group another name, new in the tenant (its queue, members and tickets stay)."""
    group.name = _group_name(session, name, but=group.id)
    session.flush()


def _group_name(session: TenantSession, name: str, but: int | None = None) -> str:
    """Return the name cleaned, or raise Conflict if another group of the tenant has it."""
    name = clean_name(name)
    if name_taken(session.execute(select(AgentGroup.id, AgentGroup.name)), name, but):
        raise Conflict("A group with this name already exists.", "name")
    return name


def groups(session: TenantSession) -> list[AgentGroup]:
    """Return the tenant's groups by name."""
    return list(session.scalars(select(AgentGroup).order_by(AgentGroup.name)))


def set_members(session: TenantSession, group: AgentGroup, agent_ids: set[int]) -> None:
    """Make exactly these agents (all of the tenant) the group's members."""
    known = set(session.scalars(select(Agent.id).where(Agent.id.in_(agent_ids))))
    if known != agent_ids:
        raise InvalidInput("Choose agents of this team.", "members")
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    for agent_id in sorted(agent_ids):
        session.add(GroupMember(group_id=group.id, agent_id=agent_id))
    session.flush()


def group_ids_of(session: TenantSession, agent_id: int) -> list[int]:
    """Return the groups the agent belongs to."""
    return list(
        session.scalars(select(GroupMember.group_id).where(GroupMember.agent_id == agent_id))
    )
