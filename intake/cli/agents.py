"""`intake agents`: the first admin (and more) from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.agents.accounts import NewAgent, create_agent
from intake.cli.tenants import known_tenant
from intake.models import AgentRole
from intake.state import state


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
    url = f"{current.config.public_url}/desk/{tenant_id}/login"
    click.echo(f"{tenant_id}: {role} {email} created; sign in at {url}")
