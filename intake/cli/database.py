"""`intake db`: the schema, through the Alembic migrations shipped in the package."""

from __future__ import annotations

from importlib.resources import files

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask.cli import with_appcontext

from intake.state import state


def alembic_config(database_url: str) -> AlembicConfig:
    """Return an Alembic configuration for our migrations and this database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(files("intake.migrations")))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Create or update the schema to `revision`."""
    alembic_command.upgrade(alembic_config(database_url), revision)


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
    upgrade(url, revision)
    click.echo(f"Database at {revision}: {safe_url(url)}")


@group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    config = alembic_config(state().config.database_url)
    alembic_command.revision(config, message, autogenerate=True)
