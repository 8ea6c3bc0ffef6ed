"""The database extension: one engine per app, one session per app context, tenant scopes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import Engine, Select, create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from intake.models import Timestamped
from intake.sqlite import make_sqlite_engine

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Timestamped)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """Create the engine: SQLite as in intake.sqlite, PostgreSQL with a plain pool."""
    if url.startswith("sqlite"):
        return make_sqlite_engine(url, pool_size)
    # No pre-ping: a dropped connection fails one request and is replaced (a ping per
    # request would cost a round trip on the hottest path).
    return create_engine(url, pool_size=pool_size, max_overflow=3 * pool_size, pool_recycle=1800)


class Database:
    """Bind with init_app; `db.session` is the current app context's session."""

    def init_app(self, app: Flask, url: str, pool_size: int = 10) -> None:
        """Create the app's engine and close each context's session when the context ends."""
        engine = make_engine(url, pool_size)
        app.extensions["intake_db"] = (engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._teardown)

    @staticmethod
    def _state() -> tuple[Engine, sessionmaker[Session]]:
        from flask import current_app

        state: tuple[Engine, sessionmaker[Session]] = current_app.extensions["intake_db"]
        return state

    @property
    def engine(self) -> Engine:
        """Return the current app's engine."""
        return self._state()[0]

    def session_factory(self, write: bool = False) -> Callable[[], Session]:
        """Return a maker of sessions bound to the current app, usable outside its context.

        With `write`, SQLite's write lock is taken at the first statement.
        """
        engine, maker = self._state()
        immediate = write and engine.dialect.name == "sqlite"

        def make() -> Session:
            """Open a session (with SQLite's write lock when asked for)."""
            session = maker()
            if immediate:
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            return session

        return make

    def new_session(self, write: bool = False) -> Session:
        """Return a fresh session of the current app."""
        return self.session_factory(write)()

    @property
    def session(self) -> Session:
        """Return the session of the current app context, opening it on first use."""
        if "db_session" not in g:
            write = has_request_context() and request.method in WRITE_METHODS
            g.db_session = self.new_session(write=write)
        session: Session = g.db_session
        return session

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """Run a block in its own session: commit at the end, roll back on any error."""
        session = self.new_session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @staticmethod
    def _teardown(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


class TenantScope:
    """The only way views reach rows: every query and insert carries the tenant."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self, model: type[M]) -> Select[M]:
        """Return SELECT model WHERE tenant_id = this tenant; add more criteria with .where()."""
        return select(model).where(model.tenant_id == self.tenant_id)

    def first(self, model: type[M], *criteria: Any) -> M | None:
        """Return the first row of this tenant matching `criteria`, or None."""
        return self.session.scalars(self.select(model).where(*criteria).limit(1)).first()

    def all(self, model: type[M], *criteria: Any, order_by: Any = None) -> list[M]:
        """Return every row of this tenant matching `criteria`."""
        query = self.select(model).where(*criteria)
        if order_by is not None:
            query = query.order_by(order_by)
        return list(self.session.scalars(query))

    def add(self, obj: M) -> M:
        """Stamp the tenant on a new row and add it to the session."""
        obj.tenant_id = self.tenant_id
        self.session.add(obj)
        return obj
