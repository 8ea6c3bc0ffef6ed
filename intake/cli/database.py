"""`intake db`: the schema, through the Alembic migrations shipped in the package."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError as AlembicCommandError
from flask.cli import with_appcontext
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from intake.db.sqlite import private_file
from intake.errors import InvalidInput
from intake.state import state


def alembic_config(database_url: str) -> AlembicConfig:
    """Return an Alembic configuration for our migrations and this database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(files("intake.migrations")))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def migrations_folder() -> Path:
    """Return the folder of the migrations intake runs (the checkout's migrations/, or the
    installed package's intake/migrations)."""
    return Path(str(files("intake.migrations")))


def in_checkout(folder: Path) -> bool:
    """Say whether the migrations are a checkout's (its pyproject.toml beside them), where a
    new one is written to be committed."""
    return (folder.parent / "pyproject.toml").is_file()


RELATIVE = re.compile(r"[+-]\d+|heads")  # revisions that name no one migration by themselves


def upgrade(database_url: str, revision: str = "head") -> tuple[str, str]:
    """Create or update the schema to `revision`; return the revision asked for (resolved:
    "head" or a relative "+1" as the migration it names, when it names one) and the one the
    database is at after."""
    config = alembic_config(database_url)
    scripts = ScriptDirectory.from_config(config)
    if make_url(database_url).get_backend_name() == "sqlite":
        private_file(database_url)  # before Alembic's engine makes it with the umask
    wanted = revision
    if not RELATIVE.fullmatch(revision):  # "+1" names nothing before the database is read
        try:
            found = scripts.get_revision(revision)
        except AlembicCommandError:  # a revision no migration has
            newest = scripts.get_current_head()
            raise InvalidInput(f"no migration is called {revision!r}: give 'head' (now {newest})"
                               " or the number of one", "revision") from None  # fmt: skip
        wanted = found.revision if found is not None else revision
    try:
        alembic_command.upgrade(config, revision)
    except AlembicCommandError as exc:  # "+1" past the newest, say: Alembic's words, one line
        raise InvalidInput(f"{revision}: {exc}", "revision") from None
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            now = MigrationContext.configure(connection).get_current_revision() or "none"
            return wanted, now
    finally:
        engine.dispose()


def safe_url(url: str) -> str:
    """Return a database URL without its user and password."""
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if sep else url


@click.group("db")
def group() -> None:
    """Manage the database schema."""


@group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or update the schema (default: to the newest migration)."""
    url = state().config.database_url
    wanted, now = upgrade(url, revision)
    # Upgrading never goes back: asked for an older revision, the database stays where it is.
    behind = RELATIVE.fullmatch(revision) is None and wanted != now
    said = f" (not {revision}: upgrading never goes back)" if behind else ""
    click.echo(f"Database at {now}{said}: {safe_url(url)}")


@group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database (in a
    checkout of intake's source: migrations are part of it)."""
    folder = migrations_folder()
    if not in_checkout(folder):
        # Written into an installed package, a migration would be lost with the next install,
        # and a database upgraded to it could then upgrade no more.
        raise click.ClickException(f"{folder} is an installed copy of intake: write migrations"
                                   " in a checkout of its source")  # fmt: skip
    config = alembic_config(state().config.database_url)
    alembic_command.revision(config, message, autogenerate=True)
