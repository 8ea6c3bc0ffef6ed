"""The engine of each database kind: SQLite as in intake.db.sqlite, PostgreSQL with a pool."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

from intake.db.sqlite import make_sqlite_engine


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """Create the engine for a database URL."""
    if url.startswith("sqlite"):
        return make_sqlite_engine(url, pool_size)
    # No pre-ping: a dropped connection fails one request and is replaced (a ping per
    # request would cost a round trip on the hottest path).
    return create_engine(url, pool_size=pool_size, max_overflow=3 * pool_size, pool_recycle=1800)
