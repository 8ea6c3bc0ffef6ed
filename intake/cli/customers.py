"""`intake customers`: a customer's data, exported or erased (as the desk's admins can)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from intake.agents.accounts import clean_email
from intake.cli.tenants import known_tenant
from intake.customers.privacy import erase_customer, export_counts, export_zip
from intake.mail.imap import mailbox_of
from intake.mail.mailbox import mailbox_folder
from intake.state import state

log = logging.getLogger(__name__)


@click.group("customers")
def group() -> None:
    """Export or erase a customer's data."""


@group.command("export")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--email", required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(tenant_id: str, email: str, out: Path) -> None:
    """Write a zip of everything kept about the customer."""
    with state().db.read(known_tenant(tenant_id)) as session:
        data = export_zip(session, state().files, clean_email(email))
    # Only its owner reads it (everything about the customer, their ticket links too), and
    # an existing file keeps none of its old bytes or permissions.
    out.unlink(missing_ok=True)
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(data)
    counts = export_counts(data)
    held = ", ".join(f"{what}: {count}" for what, count in counts.items())
    click.echo(f"{out}: {len(data)} bytes; " + (held or "nothing is kept about this address"
                                                  f" in {tenant_id}"))  # fmt: skip
    log.info("%s: a customer's data exported from the command line", tenant_id)


@group.command("erase")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--email", required=True)
@click.confirmation_option(prompt="Erase this customer's data for good?")
@with_appcontext
def erase_command(tenant_id: str, email: str) -> None:
    """Erase the customer's data (their tickets stay as empty records)."""
    current = state()
    tenant_id = known_tenant(tenant_id)
    erased = erase_customer(current.db, current.files, tenant_id, clean_email(email), None,
                            mailbox_folder(current.config),
                            mailbox_of(current.db, current.secrets, tenant_id),
                            secret=current.config.secret_key)  # fmt: skip
    click.echo(f"erased {erased.tickets} tickets, {len(erased.stored_files)} files,"
               f" {erased.mails} mails, {erased.chats} chats")  # fmt: skip
    if erased.mail_server_problem:
        click.echo(f"the mails they sent in stay on the mail server: {erased.mail_server_problem};"
                   " run this again once it answers")  # fmt: skip
    if not erased.log_emptied:
        click.echo("a reader of the database (a backup, a report) held on for 10 s: the erased"
                   " words stay in SQLite's write-ahead log until its next checkpoint; run"
                   " this again once it is done to empty it now")  # fmt: skip
