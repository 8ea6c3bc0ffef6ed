"""The few SQL expressions the dashboard needs whose spelling differs between databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, cast, extract, func


def epoch(column: Any, dialect: str) -> ColumnElement[int]:
    """Return a time column as whole seconds since 1970 (UTC)."""
    if dialect == "sqlite":  # times are stored as UTC text
        return cast(func.strftime("%s", column), Integer)
    return cast(extract("epoch", column), BigInteger)


BUCKET_SECONDS = 15 * 60  # every time zone's offset is a multiple of 15 minutes


def bucket(column: Any, dialect: str) -> ColumnElement[int]:
    """Return the quarter hour of a time: grouped by it, the database returns at most 96 rows
    a day, which Python files under the tenant's local days (daylight saving included)."""
    return epoch(column, dialect) // BUCKET_SECONDS
