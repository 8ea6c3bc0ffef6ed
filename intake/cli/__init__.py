"""The `intake` command line (also `flask --app intake ...`).

Every problem a user can fix (a bad variable, a broken site.yaml, a database that is missing
or not upgraded) prints as one located line and exits 1; anything else is a bug and shows
its traceback.
"""

from __future__ import annotations

import dataclasses
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from intake import __version__
from intake.cli import (
    agents,
    backup,
    chat,
    customers,
    database,
    jobs,
    knowledge,
    mail,
    outbox,
    serving,
    settings,
    tickets,
)
from intake.errors import IntakeError

COMMANDS = (database.group, knowledge.group, outbox.group, jobs.group, settings.group,
            agents.group, customers.group, chat.group, tickets.group, mail.group, serving.serve,
            backup.backup, backup.restore_command)  # fmt: skip


def register(app: Flask) -> None:
    """Add the commands to `flask --app intake`."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _create() -> Flask:
    """Make the app for a command; commands sync the knowledge base only when asked to."""
    from intake import create_app
    from intake.config import IntakeConfig

    return create_app(dataclasses.replace(IntakeConfig.from_process(), kb_sync_on_start=False))


class IntakeGroup(FlaskGroup):
    """The `intake` command: the project's commands only, not Flask's development ones (run,
    shell, routes) nor those extensions add, and none of Flask's app-finding options."""

    def list_commands(self, _ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def get_command(self, _ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)


cli = IntakeGroup(name="intake", create_app=_create, add_version_option=False, load_dotenv=False,
                  add_default_commands=False, set_debug_flag=False)  # fmt: skip
cli.params = [p for p in cli.params if p.name not in ("env_file", "app", "debug")]
cli = click.version_option(__version__, prog_name="intake", message="%(prog)s %(version)s")(cli)
for _command in COMMANDS:
    cli.add_command(_command)


def database_problem(exc: OperationalError | ProgrammingError) -> str:
    """Return one line that says what is wrong with the database and what to do."""
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if "no such table" in detail or "does not exist" in detail and "relation" in detail:
        return f"the database has no tables yet ({detail}); run `intake db upgrade`"
    return f"DATABASE_URL: the database cannot be used: {detail}"


def main() -> None:
    """Run the command line; our own errors print as one message and exit 1."""
    try:
        cli.main(prog_name="intake")
    except IntakeError as exc:  # named by the value at fault: "email: Enter an email address…"
        named = not exc.field or exc.message.startswith(exc.field)
        print(f"intake: {exc if named else f'{exc.field}: {exc.message}'}", file=sys.stderr)
        sys.exit(1)
    except (OperationalError, ProgrammingError) as exc:
        print(f"intake: {database_problem(exc)}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:  # a path that cannot be written or read: what and where, no trace
        print(f"intake: {exc}", file=sys.stderr)
        sys.exit(1)
