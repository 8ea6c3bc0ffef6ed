"""`intake outbox`: deliver queued mail by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.mail.mailbox import deliverer, mailbox_folder
from intake.mail.outbox import send_pending
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
