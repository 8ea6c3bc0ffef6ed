"""`intake kb`: the knowledge-base mirror."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.kb.mirror import sync_tenant
from intake.state import state


@click.group("kb")
def group() -> None:
    """Work with the knowledge-base mirror."""


@group.command("sync")
@with_appcontext
def kb_sync() -> None:
    """Load every tenant's manifest into knowledge_base_articles and faqs."""
    current = state()
    for tenant in current.site.tenants:
        report = sync_tenant(current.db, tenant.id, current.config.build_dir)
        click.echo(f"{tenant.id}: {report}")
