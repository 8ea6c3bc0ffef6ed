"""`intake backup` and `intake restore`: the database and the stored files, as one file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from intake.backup import restore, take
from intake.cli.database import safe_url, upgrade
from intake.customers.privacy import erase_again, erasure_digests
from intake.jobs import held_elsewhere, lock_maker
from intake.state import ALWAYS_RUN, lock_dir, state


def _upload_dir() -> Path | None:
    """Return UPLOAD_DIR, or None when the files are stored in the database."""
    config = state().config
    return None if config.file_storage == "database" else config.upload_dir


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(dest: Path) -> None:
    """Write a backup of the database and the stored files to DEST (a new file), while the
    service runs."""
    url = state().config.database_url
    manifest = take(url, _upload_dir(), dest)
    click.echo(f"Backup of {safe_url(url)} written to {dest}: {manifest.tickets} tickets,"
               f" {manifest.files} stored files, schema {manifest.revision}")  # fmt: skip


def _erased_now() -> dict[str, Counter[str]] | None:
    """Return, by tenant, the erasures recorded in the configured database (by digest), or
    None when they cannot be read (a schema older than the digests)."""
    current = state()
    found: dict[str, Counter[str]] = {}
    try:
        if not inspect(current.db.engine).has_table("customer_erasures"):
            return found  # a database never set up: nobody was erased in it
        for tenant in current.site.tenants:
            with current.db.read(tenant.id) as session:
                found[tenant.id] = erasure_digests(session)
    except SQLAlchemyError:
        return None
    return found


def _served() -> bool:
    """Say whether a serving process runs on the configured database (holds its jobs). One
    that cannot be reached is not said to be served: the restore itself says why it fails."""
    current = state()
    try:
        with current.db.engine.connect():
            pass
    except SQLAlchemyError:
        return False
    return held_elsewhere(lock_maker(current.db.engine, lock_dir(current.config)), ALWAYS_RUN)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds tickets.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Replace the database and the stored files with those of the backup SRC. Stop the
    service first; the schema is then upgraded to this version's."""
    current = state()
    url = current.config.database_url
    # A serving process would go on writing into the replaced database (on SQLite into the
    # deleted file): whatever it acknowledged from then on would be lost, --force or not.
    if _served():
        raise click.ClickException("the service is running on this database (a serving"
                                   " process holds its jobs): stop it, then restore")  # fmt: skip
    erased = _erased_now()  # customers erased in the database being replaced
    current.db.engine.dispose()  # this process holds nothing open on what is replaced
    restored = restore(src, url, _upload_dir(), force)
    upgrade(url)
    manifest = restored.manifest
    click.echo(f"Restored {src} (taken {manifest.created}) into {safe_url(url)}:"
               f" {manifest.files} stored files")  # fmt: skip
    if erased is None:
        click.echo("warning: the erasures of the database replaced could not be read: erase"
                   " again the customers erased after this backup was taken", err=True)  # fmt: skip
        return
    again = [erase_again(current.db, current.files, tenant_id, counts, current.config.secret_key)
             for tenant_id, counts in erased.items()]  # fmt: skip
    if done := sum(a.erased for a in again):
        click.echo(f"{done} customers erased after the backup was taken were erased again")
    if missing := sum(a.not_found for a in again):
        click.echo(f"{missing} customers erased after the backup was taken are not in it (or"
                   " SECRET_KEY changed since: then erase them again by hand)")  # fmt: skip
    if unknown := sum(a.without_digest for a in again):
        click.echo(f"warning: {unknown} erasures made after the backup was taken keep no digest"
                   " of the address (an older version made them): erase those customers again"
                   " by hand", err=True)  # fmt: skip
    if restored.missing_files:
        click.echo(f"warning: {restored.missing_files} files named in the database are not in"
                   " the backup (erased while it was taken)", err=True)  # fmt: skip
