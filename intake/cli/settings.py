"""`intake settings`: a tenant's run-time settings; secrets are stored encrypted."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.cli.tenants import known_tenant
from intake.settings import TenantSettings, new_key, setting
from intake.state import state
from intake.tickets.targets import change_settings


@click.group("settings")
def group() -> None:
    """Read and change tenants' settings."""


@group.command("list")
@click.option("--tenant", "tenant_id", required=True)
@with_appcontext
def settings_list(tenant_id: str) -> None:
    """Show every setting of a tenant (secrets only say whether they are set)."""
    with state().db.read(known_tenant(tenant_id)) as session:
        for key, shown in TenantSettings(session, state().secrets).overview():
            click.echo(f"{key} = {shown}")


@group.command("set")
@click.option("--tenant", "tenant_id", required=True)
@click.argument("key")
@click.argument("value")
@with_appcontext
def settings_set(tenant_id: str, key: str, value: str) -> None:
    """Change one setting of a tenant."""
    parsed = setting(key).parse(value)
    with state().db.write(known_tenant(tenant_id)) as session:
        moved = change_settings(TenantSettings(session, state().secrets), {key: parsed})
    click.echo(f"{tenant_id}: {key} changed" + (f"; due times of {moved} open tickets moved"
                                                 if moved else ""))  # fmt: skip


@group.command("new-key")
def settings_new_key() -> None:
    """Print a fresh ENCRYPTION_KEY."""
    click.echo(new_key())
