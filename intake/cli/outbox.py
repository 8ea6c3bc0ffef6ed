"""`intake outbox`: deliver queued mail by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.cli.tenants import known_tenant
from intake.mail.mailbox import deliverer, mailbox_folder
from intake.mail.outbox import retry_failed, send_pending
from intake.state import state


@click.group("outbox")
def group() -> None:
    """Deliver queued mail."""


@group.command("send")
@with_appcontext
def outbox_send() -> None:
    """Send every due mail once and print how many went out."""
    current = state()
    names = {t.id: t.name for t in current.site.tenants}
    sent, failed = send_pending(current.config, current.db, deliverer(current.config),
                                names=names)  # fmt: skip
    where = "" if current.config.smtp_host else f" to {mailbox_folder(current.config)}"
    click.echo(f"{sent} sent{where}, {failed} failed (to be retried)")


@group.command("retry")
@click.option("--tenant", "tenant_id", required=True, help="the tenant of site.yaml")
@with_appcontext
def outbox_retry(tenant_id: str) -> None:
    """Give a tenant's failed mails a new round of attempts (after fixing what failed them)."""
    again = retry_failed(state().db, known_tenant(tenant_id))
    click.echo(f"{again} failed mail(s) of {tenant_id} will be tried again")
