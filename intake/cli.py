"""The `intake` command line (also `flask --app intake ...`): db, kb, outbox and serve."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from intake.config import IntakeConfig, child_environment
from intake.errors import IntakeError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _config() -> IntakeConfig:
    value: IntakeConfig = current_app.config["INTAKE"]
    return value


def alembic_config(database_url: str) -> AlembicConfig:
    """Return an Alembic configuration for our migrations and this database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Create or update the schema to `revision`."""
    alembic_command.upgrade(alembic_config(database_url), revision)


@click.group("db")
def db_cli() -> None:
    """Manage the database schema."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or update the schema (default: to the newest migration)."""
    upgrade(_config().database_url, revision)
    click.echo(f"Database at {revision}: {_safe_url(_config().database_url)}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    alembic_command.revision(alembic_config(_config().database_url), message, autogenerate=True)


@click.group("kb")
def kb_cli() -> None:
    """Work with the knowledge-base mirror."""


@kb_cli.command("sync")
@with_appcontext
def kb_sync() -> None:
    """Load every tenant's manifest into knowledge_base_articles and faqs."""
    from intake.extensions import db
    from intake.kb import sync_tenant
    from intake.tenancy import site_config

    with db.transaction() as session:
        for tenant in site_config().tenants:
            report = sync_tenant(session, tenant.id, _config().build_dir)
            click.echo(f"{tenant.id}: {report}")


@click.group("outbox")
def outbox_cli() -> None:
    """Deliver queued mail."""


@outbox_cli.command("send")
@with_appcontext
def outbox_send() -> None:
    """Send every due mail once and print how many went out."""
    from intake.extensions import db
    from intake.outbox import send_pending

    if not _config().smtp_host:
        raise IntakeError("SMTP_HOST is not set; mails stay in the outbox")
    sent, failed = send_pending(_config(), db.session_factory(write=True))
    click.echo(f"{sent} sent, {failed} failed (to be retried)")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=25, show_default=True, type=click.IntRange(1, 256))
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the service (and the built site) with gunicorn's threaded workers."""
    from intake.extensions import db
    from intake.kb import sync_all
    from intake.tenancy import site_config

    with db.transaction() as session:
        for tenant_id, report in sync_all(session, site_config(), _config().build_dir).items():
            click.echo(f"Knowledge base {tenant_id}: {report}")
    cmd = gunicorn_command(host, port, workers, threads)
    click.echo(f"Serving on http://{host}:{port}/ with {workers} workers (Ctrl-C stops)")
    # The mirror was synced when this process made the app; workers need not race to redo it.
    env = child_environment({"KB_SYNC_ON_START": "0", "HELPCENTER_ROOT": str(_config().root)})
    sys.stdout.flush()
    # Become gunicorn, so that signals (Ctrl-C, a supervisor's TERM) reach it directly.
    os.execve(cmd[0], cmd, env)


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    """Return the gunicorn command line that runs the app factory."""
    return [
        sys.executable, "-m", "gunicorn",
        "--no-control-socket",
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        "--bind", f"{host}:{port}",
        "--access-logfile", "-",
        "--logger-class", "intake.accesslog.RedactingLogger",  # no ticket tokens in the log
        "--graceful-timeout", "10",
        "intake:create_app()",
    ]  # fmt: skip


def _safe_url(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if sep else url


def init_app(app: Flask) -> None:
    """Add the commands to `flask --app intake`."""
    for group in (db_cli, kb_cli, outbox_cli, serve):
        app.cli.add_command(group)


def _create() -> Flask:
    """Make the app for a command; commands sync the knowledge base only when asked to."""
    from intake import create_app

    config = IntakeConfig.from_process()
    return create_app(dataclasses.replace(config, kb_sync_on_start=False))


cli = FlaskGroup(name="intake", create_app=_create, add_version_option=False, load_dotenv=False)


def main() -> None:
    """Run the command line; our own errors print as one message and exit 1."""
    try:
        cli.main(prog_name="intake")
    except IntakeError as exc:
        print(f"intake: {exc}", file=sys.stderr)
        sys.exit(1)
