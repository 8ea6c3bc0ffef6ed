"""`intake tickets auto-close`: close resolved tickets after each tenant's auto_close_days."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.state import state
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
