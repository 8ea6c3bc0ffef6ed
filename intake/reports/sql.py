"""The few SQL expressions the dashboard needs whose spelling differs between databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, extract, func


def epoch(column: Any, dialect: str) -> ColumnElement[int]:
    """Return a time column as whole seconds since 1970 (UTC)."""
    if dialect == "sqlite":  # times are stored as UTC text
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
    stretches = [(seconds < starts, offset) for (_s, offset), (starts, _o)
                 in zip(offsets, offsets[1:], strict=False)]  # fmt: skip
    return (seconds + case(*stretches, else_=offsets[-1][1])) // DAY
