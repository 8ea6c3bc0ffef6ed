"""The database of one app: its engine, and sessions opened for one tenant or, visibly, all.

Transactions are explicit: `read(tenant)` for a look, `write(tenant)` for a change (it takes
SQLite's writer lock at BEGIN, so a read-then-write never meets "database is locked", and
commits at the end of the block or rolls back on any error). Slow work (reading an upload,
storing a file, sending mail) happens before or after a write block, never inside it: on
SQLite the block holds the one writer lock of the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from intake.db.engine import make_engine
from intake.db.sqlite import FULL_TEXT_INDEXES
from intake.db.tenancy import TenantSession

log = logging.getLogger(__name__)


class Database:
    """One engine and the sessions made from it."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.engine: Engine = make_engine(url, pool_size)
        self._maker = sessionmaker(self.engine, class_=TenantSession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """Return the database kind: sqlite or postgresql."""
        return self.engine.dialect.name

    def session(self, tenant_id: str) -> TenantSession:
        """Return a new session of `tenant_id`; the caller closes it."""
        return self._maker(tenant_id=tenant_id)

    @contextmanager
    def read(self, tenant_id: str) -> Iterator[TenantSession]:
        """Open a tenant's session for reading; nothing is committed."""
        with self._maker(tenant_id=tenant_id) as session:
            yield session

    @contextmanager
    def write(self, tenant_id: str) -> Iterator[TenantSession]:
        """Run a block as one write transaction of a tenant: commit, or roll back on error."""
        with self._transaction(self._maker(tenant_id=tenant_id)) as session:
            yield session

    @contextmanager
    def all_tenants(self, write: bool = False) -> Iterator[TenantSession]:
        """Open a session across tenants (cross-tenant jobs only); with `write`, a transaction."""
        session = self._maker(tenant_id=None)
        if not write:
            with session:
                yield session
            return
        with self._transaction(session) as open_session:
            yield open_session

    @staticmethod
    @contextmanager
    def _transaction(session: TenantSession) -> Iterator[TenantSession]:
        try:
            session.begin_writing()
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def refresh_statistics(self) -> None:
        """Let SQLite's planner know the tables' shapes again (PostgreSQL's autovacuum does).

        Sampled (analysis_limit), so it takes a moment even on a large database.
        """
        if self.dialect != "sqlite":
            return
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def purge_freed(self) -> bool:
        """Leave no trace of deleted rows in SQLite's files; return whether none is left.

        Merges the full-text indexes' segments, which keep the words of deleted rows until
        then, and moves the write-ahead log into the database (whose freed pages
        secure_delete has zeroed), emptying the log file. A reader still open (a backup, a
        long report) keeps the log from being emptied: the checkpoint waits for it as long as
        SQLite's busy timeout, then leaves the rest to a later one, and False says so.
        PostgreSQL keeps old row versions until their space is reused, whatever is done here
        (docs/desk.md).
        """
        if self.dialect != "sqlite":
            return True
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            for index in FULL_TEXT_INDEXES:
                conn.exec_driver_sql(f"INSERT INTO {index}({index}) VALUES ('optimize')")
            conn.commit()
        with self.engine.connect() as conn:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        if busy:
            log.warning("a reader kept the write-ahead log from being emptied; erased words"
                        " stay in it until a later checkpoint")  # fmt: skip
        return not busy

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
