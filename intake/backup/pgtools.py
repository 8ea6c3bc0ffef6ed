"""PostgreSQL's own dump and restore programs (pg_dump, pg_restore), found and run."""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from intake.errors import BackupError


def program(name: str) -> str:
    """Return the path of pg_dump or pg_restore: PATH first, then Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise BackupError(f"{name} is not installed: install PostgreSQL's client programs")


def libpq_url(url: str) -> str:
    """Return a SQLAlchemy URL as libpq reads it (postgresql://, no driver name)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def run(args: list[str], what: str) -> None:
    """Run a PostgreSQL program; a failure is an error naming it with its own message."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {said[-1] if said else done.returncode}")


def dump(url: str, into: Path) -> None:
    """Write one consistent snapshot of the database (pg_dump's custom format)."""
    run([program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--file={into}", f"--dbname={libpq_url(url)}"], "pg_dump")  # fmt: skip


def load(url: str, dump_file: Path) -> None:
    """Replace the database's tables with those of a dump, in one transaction."""
    run([program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={libpq_url(url)}",
         str(dump_file)], "pg_restore")  # fmt: skip
