"""PostgreSQL's own dump and restore programs (pg_dump, pg_restore), found and run."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from intake.errors import BackupError


def program(name: str) -> str:
    """Return the path of pg_dump or pg_restore: PATH first, then Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise BackupError(f"{name} is not installed: install PostgreSQL's client programs")


def libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """Return a SQLAlchemy URL as libpq reads it (postgresql://, no driver name, no password)
    and the environment that carries the password: never on a command line `ps` shows."""
    parsed = make_url(url)
    password = parsed.password
    bare = URL.create("postgresql", parsed.username, None, parsed.host, parsed.port,
                      parsed.database, parsed.query)  # fmt: skip
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    return bare.render_as_string(hide_password=False), env


def run(args: list[str], env: dict[str, str], what: str) -> None:
    """Run a PostgreSQL program; a failure is an error naming it with its own message."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False,
                              env=env)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} took over an hour and was stopped") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {said[-1] if said else done.returncode}")


def dump(url: str, into: Path) -> None:
    """Write one consistent snapshot of the database (pg_dump's custom format)."""
    dsn, env = libpq_url(url)
    run([program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--file={into}", f"--dbname={dsn}"], env, "pg_dump")  # fmt: skip


def load(url: str, dump_file: Path) -> None:
    """Replace the database's tables with those of a dump, in one transaction."""
    dsn, env = libpq_url(url)
    run([program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(dump_file)],
        env, "pg_restore")  # fmt: skip
