"""SQLite as the service uses it: WAL, a busy timeout, foreign keys, and writers in a queue.

SQLite lets one writer in at a time. Its own wait for the lock (the busy timeout) sleeps in
growing steps of up to 100 ms, which under load turns into long, uneven waits. So every
write transaction first takes an exclusive flock() on a lock file beside the database: the
kernel queues the writers of every thread and process and wakes the next one the moment the
previous one commits. Readers never take it (WAL lets them read during a write).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.engine.url import make_url
from sqlalchemy.pool import ConnectionPoolEntry

# SQLite's full-text indexes of tickets and replies (migration 0005 creates them, with the
# triggers that keep them).
FULL_TEXT_INDEXES = ("ticket_text", "response_text")

PRAGMAS = (
    "journal_mode=WAL",
    "busy_timeout=10000",
    "foreign_keys=ON",
    "synchronous=FULL",  # an acknowledged ticket survives a power cut too
    # Read pages from the file's mapping and keep 64 MB of them per connection: the queue's
    # filters read many index pages.
    "mmap_size=1073741824",
    "cache_size=-65536",
    # Freed pages are overwritten with zeros: an erased customer's words leave the file.
    "secure_delete=ON",
)


class QueuedWriterConnection(sqlite3.Connection):
    """A connection whose write transactions hold the database's writer lock file."""

    lock_path = ""
    _lock_fd = -1
    _holding = False

    def acquire_writer_lock(self) -> None:
        """Wait for our turn to write (blocks without holding the GIL)."""
        if not self.lock_path or self._holding:
            return
        if self._lock_fd < 0:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._holding = True

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        """Close the connection and its lock file."""
        self._release()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
        super().close()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def private_file(url: str) -> None:
    """Create a SQLite database file its owner alone may read, before SQLite makes it with
    the process's umask (readable by everyone, often): it holds every customer's tickets.
    SQLite gives the file's journal and write-ahead log the same permissions."""
    database = make_url(url).database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    # There already, or not to be made here (no folder, no right): SQLite says so, named.
    with contextlib.suppress(OSError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_sqlite_engine(url: str, pool_size: int) -> Engine:
    """Create a SQLite engine with our pragmas, explicit BEGINs and queued writers."""
    database = make_url(url).database or ""
    private_file(url)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=3 * pool_size,
        connect_args={"factory": QueuedWriterConnection, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # The driver's own transaction handling is switched off: we issue BEGIN ourselves.
        dbapi_conn.isolation_level = None
        if database and database != ":memory:" and isinstance(dbapi_conn, QueuedWriterConnection):
            dbapi_conn.lock_path = database + "-writer.lock"
        cursor = dbapi_conn.cursor()
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        # SQLite's lower() changes ASCII letters only; addresses compare in any case of any
        # letter (intake/db/addresses.py), as PostgreSQL's lower() on UTF-8 does.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A transaction that reads and then writes must hold the write lock from the start,
        # or SQLite answers "database is locked" at once instead of waiting its turn.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            dbapi = conn.connection.dbapi_connection
            if isinstance(dbapi, QueuedWriterConnection):
                dbapi.acquire_writer_lock()
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            conn.connection.dbapi_connection.rollback()
            raise

    return engine
