"""`intake tickets auto-close` and `auto-assign`: the automatic work, by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.state import state
from intake.tickets.auto_assign import auto_assign
from intake.tickets.auto_close import auto_close


@click.group("tickets")
def group() -> None:
    """Work on tickets outside the desk."""


@group.command("auto-close")
@with_appcontext
def auto_close_command() -> None:
    """Close tickets resolved longer ago than their tenant's auto_close_days (0: never). The
    serving processes' job runner does this every 10 minutes too."""
    current = state()
    for tenant_id, closed in auto_close(current.db, (t.id for t in current.site.tenants)).items():
        click.echo(f"{tenant_id}: {closed} closed")


@group.command("auto-assign")
@with_appcontext
def auto_assign_command() -> None:
    """Assign waiting tickets in turn to online agents, where a tenant's auto_assign is on. The
    serving processes' job runner does this every 30 seconds too."""
    current = state()
    tenant_ids = (t.id for t in current.site.tenants)
    given = auto_assign(current.db, current.events, tenant_ids, current.config.public_url)
    for tenant_id, count in given.items():
        click.echo(f"{tenant_id}: {count} assigned")
