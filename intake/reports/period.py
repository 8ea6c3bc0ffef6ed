"""The dashboard's period: whole days in the tenant's time zone, first and last included."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_

from intake.errors import InvalidInput

LONGEST_DAYS = 366
PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
STEP = 6 * 3600  # seconds between the offsets compared while looking for changes


@dataclass(frozen=True)
class Period:
    """From `first` to `last` (local days, both included) in `zone`."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @property
    def days(self) -> list[dt.date]:
        """Return every day of the period, in order."""
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def start(self) -> dt.datetime:
        """Return the period's first instant, in UTC."""
        return _midnight(self.first, self.zone)

    @property
    def end(self) -> dt.datetime:
        """Return the instant after the period (the next day's midnight), in UTC."""
        return _midnight(self.last + dt.timedelta(days=1), self.zone)

    def day_of(self, at: dt.datetime) -> dt.date:
        """Return the local day of an instant."""
        return at.astimezone(self.zone).date()

    def offsets(self) -> list[tuple[int, int]]:
        """Return the zone's UTC offset over the period as (from this second since 1970, the
        offset in seconds), a pair per stretch between daylight-saving changes."""
        return list(_stretches(int(self.start.timestamp()), int(self.end.timestamp()), self.zone))


@functools.lru_cache(maxsize=64)  # each figure of a dashboard asks again
def _stretches(at: int, end: int, zone: ZoneInfo) -> tuple[tuple[int, int], ...]:
    def offset(second: int) -> int:
        moment = dt.datetime.fromtimestamp(second, zone)
        return int((moment.utcoffset() or dt.timedelta()).total_seconds())

    stretches = [(at, offset(at))]
    while at < end:  # a step shorter than any stretch between two changes
        later = min(at + STEP, end)
        if offset(later) == stretches[-1][1]:
            at = later
            continue
        same, changed = at, later  # find the change's second by halving
        while changed - same > 1:
            middle = (same + changed) // 2
            same, changed = ((middle, changed) if offset(middle) == stretches[-1][1]
                             else (same, middle))  # fmt: skip
        stretches.append((changed, offset(changed)))
        at = changed
    return tuple(stretches)


def within(column: Any, period: Period) -> Any:
    """Return the SQL condition: a time column's value falls in the period."""
    return and_(column >= period.start, column < period.end)


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


# Reports compare a period with the one before it and end it at the next midnight: dates at
# the calendar's ends would overflow. Nothing of the service predates 1970.
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(9998, 12, 31)


def _date(text: str, key: str) -> dt.date:
    try:
        found = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{key}: use a date like 2026-12-01.", key) from None
    if not EARLIEST <= found <= LATEST:
        raise InvalidInput(f"{key}: use a date from {EARLIEST} to {LATEST}.", key)
    return found


def period_from(args: dict[str, str], zone: ZoneInfo, today: dt.date) -> Period:
    """Read ?from=&to= (or ?days=), defaulting to the last DEFAULT_DAYS days up to `today`;
    a bad value raises InvalidInput naming its parameter."""
    days = args.get("days", "")
    if days:
        if not (days.isascii() and days.isdigit()) or not 1 <= int(days) <= LONGEST_DAYS:
            raise InvalidInput(f"days: use a whole number from 1 to {LONGEST_DAYS}.", "days")
        return Period(today - dt.timedelta(days=int(days) - 1), today, zone)
    wrong: list[InvalidInput] = []  # both dates at fault are named at once

    def read(key: str) -> dt.date | None:
        try:
            return _date(args[key], key) if args.get(key) else None
        except InvalidInput as exc:
            wrong.append(exc)
            return None

    asked_last, asked_first = read("to"), read("from")
    if wrong:
        raise InvalidInput(" ".join(exc.message for exc in reversed(wrong)), wrong[-1].field)
    last = asked_last or today
    first = asked_first or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput("to: the period ends before it starts.", "to")
    if (last - first).days >= LONGEST_DAYS:
        raise InvalidInput(f"to: a period is at most {LONGEST_DAYS} days.", "to")
    return Period(first, last, zone)
