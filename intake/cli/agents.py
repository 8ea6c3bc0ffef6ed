"""`intake agents`: the first admin, and an admin locked out, from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from intake.agents.accounts import (
    NewAgent,
    agent_by_email,
    change_agent,
    create_agent,
    reset_sign_in,
)
from intake.cli.tenants import known_tenant
from intake.models import Agent, AgentRole
from intake.state import state


def _sign_in_page(tenant_id: str) -> str:
    """Where the account signs in: under PUBLIC_URL, or where `intake serve` listens."""
    if state().config.public_url_set:
        return f"{state().config.public_url}/desk/{tenant_id}/login"
    return f"/desk/{tenant_id}/login of the address `intake serve` prints (PUBLIC_URL is not set)"


@click.group("agents")
def group() -> None:
    """Manage the desk's accounts."""


@group.command("create")
@click.option("--tenant", "tenant_id", required=True, help="the tenant of site.yaml")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in AgentRole]), default="admin",
              show_default=True)  # fmt: skip
@click.password_option(help="at least 12 characters; asked for when not given")
@with_appcontext
def create(tenant_id: str, email: str, name: str, role: str, password: str) -> None:
    """Create an account that signs in at /desk/<tenant>/login."""
    current = state()
    with current.db.write(known_tenant(tenant_id)) as session:
        agent = create_agent(session, NewAgent(email, name, password, AgentRole(role)))
        email = agent.email
    url = _sign_in_page(tenant_id)
    click.echo(f"{tenant_id}: {role} {email} created; sign in at {url}")


@group.command("list")
@click.option("--tenant", "tenant_id", required=True, help="the tenant of site.yaml")
@with_appcontext
def list_agents(tenant_id: str) -> None:
    """List the tenant's accounts: address, role, whether active and with a second factor."""
    with state().db.read(known_tenant(tenant_id)) as session:
        agents = session.scalars(select(Agent).order_by(Agent.email)).all()
        for agent in agents:
            active = "active" if agent.active else "deactivated"
            second = "two-factor on" if agent.totp_enabled else "two-factor off"
            click.echo(f"{agent.email}\t{agent.role.value}\t{active}\t{second}\t{agent.name}")
    if not agents:
        click.echo(f"{tenant_id}: no accounts yet; add the first with `intake agents create`")


@group.command("reset")
@click.option("--tenant", "tenant_id", required=True, help="the tenant of site.yaml")
@click.option("--email", required=True, help="the account's address")
@click.password_option(help="the new password, at least 12 characters; asked for when not given")
@with_appcontext
def reset(tenant_id: str, email: str, password: str) -> None:
    """Let a locked-out agent in again: a new password, no second factor (set up again at the
    next sign-in where the tenant requires one), every session ended."""
    current = state()
    with current.db.write(known_tenant(tenant_id)) as session:
        agent = agent_by_email(session, email)
        had_second_factor = reset_sign_in(session, agent, password)
        email, active = agent.email, agent.active
    second = "; two-factor sign-in is off until they set it up again" if had_second_factor else ""
    if not active:
        second += "; the account is deactivated: an admin activates it in the desk"
    url = _sign_in_page(tenant_id)
    click.echo(f"{tenant_id}: {email} signs in with the new password at {url}{second}; every"
               " earlier session of theirs has ended")  # fmt: skip


@group.command("deactivate")
@click.option("--tenant", "tenant_id", required=True, help="the tenant of site.yaml")
@click.option("--email", required=True, help="the account's address")
@with_appcontext
def deactivate(tenant_id: str, email: str) -> None:
    """Deactivate an account: signed out everywhere, its unfinished tickets back to the queue
    (the tenant's last active admin stays)."""
    with state().db.write(known_tenant(tenant_id)) as session:
        agent = agent_by_email(session, email)
        released = change_agent(session, agent, active=False)
        email = agent.email
    click.echo(f"{tenant_id}: {email} deactivated; {released} unfinished ticket(s) went back to"
               " the queue")  # fmt: skip
