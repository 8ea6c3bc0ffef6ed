"""`intake settings`: a tenant's run-time settings; secrets are stored encrypted."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.errors import InvalidInput
from intake.settings import TenantSettings, new_key, setting
from intake.state import state
from intake.tickets.targets import change_settings


@click.group("settings")
def group() -> None:
    """Read and change tenants' settings."""


def _tenant(tenant_id: str) -> str:
    if state().tenant(tenant_id) is None:
        known = ", ".join(t.id for t in state().site.tenants)
        raise InvalidInput(f"--tenant: {tenant_id!r} is not a tenant of site.yaml ({known})")
    return tenant_id


@group.command("list")
@click.option("--tenant", "tenant_id", required=True)
@with_appcontext
def settings_list(tenant_id: str) -> None:
    """Show every setting of a tenant (secrets only say whether they are set)."""
    with state().db.read(_tenant(tenant_id)) as session:
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
    with state().db.write(_tenant(tenant_id)) as session:
        moved = change_settings(TenantSettings(session, state().secrets), {key: parsed})
    click.echo(f"{tenant_id}: {key} changed" + (f"; due times of {moved} open tickets moved"
                                                 if moved else ""))  # fmt: skip


@group.command("new-key")
def settings_new_key() -> None:
    """Print a fresh ENCRYPTION_KEY."""
    click.echo(new_key())
