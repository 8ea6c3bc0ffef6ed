"""`intake mail`: read the tenants' mailboxes, or receive mail by LMTP."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from intake.errors import InvalidInput
from intake.mail.imap import fetch_all, fetch_box, mailbox_of
from intake.mail.lmtp import lmtp_server
from intake.state import state

WATCH_WAIT = 300.0  # seconds a --watch round waits for news (IDLE) before asking again


@click.group("mail")
def group() -> None:
    """Mail in: IMAP mailboxes and an LMTP receiver."""


@group.command("fetch")
@click.option("--tenant", "tenant_id", default="", help="One tenant (default: every tenant).")
@click.option(
    "--watch",
    is_flag=True,
    help="Keep reading one tenant's mailbox, woken by IDLE where the server has it.",
)
@with_appcontext
def fetch_command(tenant_id: str, watch: bool) -> None:
    """Store the mail waiting in each tenant's mailbox (mail_host and the other mail_*
    settings), moving each to mail_done_folder once stored. The serving processes' job
    runner does this every minute too."""
    current = state()
    tenant_ids = [t.id for t in current.site.tenants]
    if tenant_id and tenant_id not in tenant_ids:
        raise InvalidInput(f"--tenant: {tenant_id!r} is not a tenant ({', '.join(tenant_ids)})")
    if watch:
        if not tenant_id:
            raise InvalidInput("--watch: name the --tenant whose mailbox to watch")
        box = mailbox_of(current.db, current.secrets, tenant_id)
        if box is None:
            raise InvalidInput(f"{tenant_id}: no mail_host set (intake settings set)")
        while True:  # until interrupted; each round stores what came, then waits for more
            counts = fetch_box(current.mailroom, tenant_id, box, wait=WATCH_WAIT)
            if counts:
                click.echo(f"{tenant_id}: {_said(counts)}")
            time.sleep(1)
    done = fetch_all(current.mailroom, current.secrets, [tenant_id] if tenant_id else tenant_ids)
    for tenant, counts in done.items():
        click.echo(f"{tenant}: {_said(counts) or 'no new mail'}")
    if not done:
        click.echo("No tenant has a mailbox (set mail_host with intake settings set).")


def _said(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))


@group.command("lmtp")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8024, show_default=True, type=int)
@with_appcontext
def lmtp_command(host: str, port: int) -> None:
    """Receive mail by LMTP from the mail server (its own process, until interrupted)."""
    current = state()
    server = lmtp_server(current.mailroom, tuple(t.id for t in current.site.tenants), host, port)
    server.start()
    click.echo(f"LMTP on {host}:{port}; Ctrl-C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
