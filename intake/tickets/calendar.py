"""A tenant's working time: business hours in its time zone, without its holidays.

Targets count working time only: a 4-hour first answer for a ticket sent on Friday at 16:00,
with Monday to Friday 09:00-17:00, is due on Monday at 12:00. Arithmetic is done in UTC on
each working day's opening and closing instants, so a change of daylight saving time moves
nothing by an hour. Without business hours, the clock always runs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from intake.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUP_RE = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<open>\d\d:\d\d)-(?P<close>\d\d:\d\d)$"
)
SEARCH_DAYS = 3 * 366  # a due time further than this many days is taken round the clock
MIDNIGHT = dt.time(0)


@dataclass(frozen=True)
class Calendar:
    """When the team works: opening and closing time per weekday (Monday 0); none: always."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    hours: dict[int, tuple[dt.time, dt.time]] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()


def parse_zone(text: str, key: str = "time_zone") -> ZoneInfo:
    """Return the IANA time zone named `text`, or InvalidInput naming `key`."""
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{key}: {text!r} is no time zone; use a name such as Europe/Paris.",
                           key) from None  # fmt: skip


def _clock(text: str, key: str) -> dt.time:
    hours, minutes = int(text[:2]), int(text[3:])
    if hours == 24 and minutes == 0:
        return dt.time.max
    if hours > 23 or minutes > 59:
        raise InvalidInput(f"{key}: {text} is no time of day.", key)
    return dt.time(hours, minutes)


def parse_hours(text: str, key: str = "business_hours") -> dict[int, tuple[dt.time, dt.time]]:
    """Read "mon-fri 09:00-17:00; sat 10:00-14:00" (empty: round the clock)."""
    hours: dict[int, tuple[dt.time, dt.time]] = {}
    for part in filter(None, (p.strip().lower() for p in text.split(";"))):
        match = _GROUP_RE.match(part)
        if match is None or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
            raise InvalidInput(f"{key}: {part!r} is not like 'mon-fri 09:00-17:00'.", key)
        first = DAYS.index(match["first"])
        last = DAYS.index(match["last"]) if match["last"] else first
        opening, closing = _clock(match["open"], key), _clock(match["close"], key)
        if closing <= opening:
            raise InvalidInput(f"{key}: in {part!r} the day closes before it opens.", key)
        if last < first:
            raise InvalidInput(f"{key}: in {part!r} the days run backwards.", key)
        for day in range(first, last + 1):
            if day in hours:
                raise InvalidInput(f"{key}: {DAYS[day]} is given twice.", key)
            hours[day] = (opening, closing)
    return hours


def parse_holidays(text: str, key: str = "holidays") -> frozenset[dt.date]:
    """Read "2026-12-25, 2027-01-01" (ISO dates, commas or spaces between)."""
    days = set()
    for part in filter(None, re.split(r"[,\s]+", text.strip())):
        try:
            days.add(dt.date.fromisoformat(part))
        except ValueError:
            shown = part if len(part) <= 30 else f"{part[:30]}…"
            raise InvalidInput(f"{key}: {shown!r} is not a date like 2026-12-25.", key) from None
    return frozenset(days)


def due_after(start: dt.datetime, hours: int, calendar: Calendar) -> dt.datetime:
    """Return the instant (UTC) when `hours` of working time have passed since `start`."""
    start = start.astimezone(dt.UTC)
    remaining = dt.timedelta(hours=hours)
    if not calendar.hours and not calendar.holidays:
        return start + remaining
    day = start.astimezone(calendar.zone).date()
    for _ in range(SEARCH_DAYS):
        if day in calendar.holidays:
            day += dt.timedelta(days=1)
            continue
        # Without business hours every hour counts, but for the holidays (whole days there).
        window = calendar.hours.get(day.weekday()) if calendar.hours else (MIDNIGHT, None)
        if window is not None:
            opens = dt.datetime.combine(day, window[0], calendar.zone).astimezone(dt.UTC)
            closes = dt.datetime.combine(
                day + dt.timedelta(days=1) if window[1] is None else day,
                window[1] or MIDNIGHT, calendar.zone).astimezone(dt.UTC)  # fmt: skip
            begin = max(opens, start)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += dt.timedelta(days=1)
    return start + dt.timedelta(hours=hours)  # a calendar of holidays only: count every hour
