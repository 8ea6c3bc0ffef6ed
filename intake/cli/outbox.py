"""`intake outbox`: deliver queued mail by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from intake.errors import ConfigError
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
    if not current.config.smtp_host:
        raise ConfigError("SMTP_HOST: not set, so mails stay in the outbox")
    sent, failed = send_pending(current.config, current.db)
    click.echo(f"{sent} sent, {failed} failed (to be retried)")
