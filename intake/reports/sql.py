"""The few SQL expressions the dashboard needs whose spelling differs between databases."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, extract, func

# unixepoch() (SQLite 3.38) reads a stored time straight to an integer, twice as fast as
# strftime('%s'), which writes the number as text to be read again.
SQLITE_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38)


def epoch(column: Any, dialect: str) -> ColumnElement[int]:
    """Return a time column as whole seconds since 1970 (UTC)."""
    if dialect == "sqlite":  # times are stored as UTC text
        if SQLITE_UNIXEPOCH:
            return func.unixepoch(column, type_=Integer)
        return cast(func.strftime("%s", column), Integer)
    return cast(extract("epoch", column), BigInteger)


DAY = 86_400
EPOCH_DAY = dt.date(1970, 1, 1)


def day_date(number: int) -> dt.date:
    """Return the date of a day number that local_day gave."""
    return EPOCH_DAY + dt.timedelta(days=int(number))


def local_day(column: Any, dialect: str, offsets: list[tuple[int, int]]) -> ColumnElement[int]:
    """Return the local day of a time, as days since 1970-01-01, given the zone's offsets over
    the period (intake.reports.period.Period.offsets): grouped by it, the database counts
    per local day itself, daylight-saving changes included."""
    seconds = epoch(column, dialect)
    if len(offsets) == 1:
        return (seconds + offsets[0][1]) // DAY
    # The stretch is found by comparing the stored time itself, which costs no conversion.
    changes = [dt.datetime.fromtimestamp(starts, dt.UTC) for starts, _offset in offsets[1:]]
    stretches = [(column < change, offset)
                 for change, (_s, offset) in zip(changes, offsets, strict=False)]  # fmt: skip
    return (seconds + case(*stretches, else_=offsets[-1][1])) // DAY
