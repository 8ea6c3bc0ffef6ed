"""`intake backup` and `intake restore`: the database and the stored files, as one file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from intake.backup import restore, take
from intake.cli.database import safe_url, upgrade
from intake.customers.privacy import erase_again, erased_digests
from intake.state import state


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


def _erased_now() -> dict[str, set[str]]:
    """Return, by tenant, the digests of the customers erased in the configured database (none
    when it is empty or older than the erasures' digests)."""
    current = state()
    found: dict[str, set[str]] = {}
    try:
        for tenant in current.site.tenants:
            with current.db.read(tenant.id) as session:
                found[tenant.id] = erased_digests(session)
    except SQLAlchemyError:
        return {}
    return found


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds tickets.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Replace the database and the stored files with those of the backup SRC. Stop the
    service first; the schema is then upgraded to this version's."""
    current = state()
    url = current.config.database_url
    erased = _erased_now()  # customers erased in the database being replaced
    current.db.engine.dispose()  # this process holds nothing open on what is replaced
    restored = restore(src, url, _upload_dir(), force)
    upgrade(url)
    manifest = restored.manifest
    click.echo(f"Restored {src} (taken {manifest.created}) into {safe_url(url)}:"
               f" {manifest.files} stored files")  # fmt: skip
    again = sum(erase_again(current.db, current.files, tenant_id, digests,
                            current.config.secret_key)
                for tenant_id, digests in erased.items())  # fmt: skip
    if again:
        click.echo(f"{again} customers erased after the backup was taken were erased again")
    if restored.missing_files:
        click.echo(f"warning: {restored.missing_files} files named in the database are not in"
                   " the backup (erased while it was taken)", err=True)  # fmt: skip
