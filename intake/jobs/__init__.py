"""Background jobs, one runner of the deployment at a time per job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from intake.jobs.locks import AdvisoryLock, FileLock, JobLock
from intake.jobs.runner import Job, JobRunner


def lock_maker(engine: Engine, lock_dir: Path) -> Callable[[str], JobLock]:
    """Return a maker of job locks for the database: advisory locks, or files beside SQLite."""
    if engine.dialect.name == "postgresql":
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return lambda name: AdvisoryLock(dsn, name)
    return lambda name: FileLock(lock_dir, name)


__all__ = ["Job", "JobLock", "JobRunner", "lock_maker"]
