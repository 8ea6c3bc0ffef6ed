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


def held_elsewhere(make_lock: Callable[[str], JobLock], name: str) -> bool:
    """Say whether another process of the deployment holds job `name`'s lock now."""
    lock = make_lock(name)
    if lock.acquire():
        lock.release()
        return False
    return True


__all__ = ["Job", "JobLock", "JobRunner", "held_elsewhere", "lock_maker"]
