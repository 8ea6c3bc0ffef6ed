"""`intake chat retention`: archive and delete old chats, meant for a daily timer."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.chat.retention import sweep
from intake.settings.store import TenantSettings
from intake.state import state


@click.group("chat")
def group() -> None:
    """Look after the live chat's stored conversations."""


@group.command("retention")
@with_appcontext
def retention() -> None:
    """Archive chats closed longer ago than each tenant's chat_retention_days; delete those
    archived as long again (files too). Chats that became tickets keep their transcript there."""
    current = state()
    for tenant in current.site.tenants:
        with current.db.write(tenant.id) as session:
            days = int(TenantSettings(session, current.secrets).get("chat_retention_days"))
            swept = sweep(session, days)
        current.files.delete(tenant.id, swept.stored_files)
        click.echo(f"{tenant.id}: {swept.archived} archived, {swept.deleted} deleted"
                   f" (after {days} days), {swept.ended} left open ended")  # fmt: skip
