"""Locks that span processes, so one runner of the deployment holds each job at a time.

On PostgreSQL a session-level advisory lock, held by a connection of its own: it is released
when the holder releases it, closes, or dies. On SQLite (one machine) an flock() on a file in
the instance folder, released by the kernel when the holding process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import Protocol

import psycopg


class JobLock(Protocol):
    """A named lock that at most one process of the deployment holds."""

    def acquire(self) -> bool:
        """Take the lock if it is free; return whether this process holds it (never blocks)."""

    def held(self) -> bool:
        """Say whether this process still holds it (a lost connection loses the lock)."""

    def release(self) -> None:
        """Let the lock go, if held."""


def lock_key(name: str) -> int:
    """Return a stable signed 64-bit advisory-lock key for a job name."""
    return int.from_bytes(
        hashlib.sha256(f"intake-job:{name}".encode()).digest()[:8], "big", signed=True
    )


class FileLock:
    """flock() on <folder>/<name>.lock."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.lock"
        self._fd = -1

    def acquire(self) -> bool:
        """Try the lock without waiting."""
        if self._fd >= 0:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        """A file lock lasts as long as this process keeps the file open."""
        return self._fd >= 0

    def release(self) -> None:
        """Unlock and close the file."""
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


class AdvisoryLock:
    """pg_try_advisory_lock on a dedicated connection."""

    def __init__(self, dsn: str, name: str) -> None:
        self.dsn = dsn
        self.key = lock_key(name)
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def acquire(self) -> bool:
        """Try the lock without waiting."""
        if self.held():
            return True
        self.release()
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
        except psycopg.Error:
            return False
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if not (row and row[0]):
            conn.close()
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        """Check that the holding connection is still alive (the server keeps the lock so long)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        """Close the connection, which releases the lock."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
