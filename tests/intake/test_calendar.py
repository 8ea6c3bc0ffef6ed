"""Working time: due times across business hours, holidays, time zones and daylight saving."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from intake.errors import InvalidInput
from intake.tickets.calendar import Calendar, due_after, parse_holidays, parse_hours, parse_zone

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = parse_hours("mon-fri 09:00-17:00")


def local(zone: dt.tzinfo, *parts: int) -> dt.datetime:
    year, month, day, hour, minute = parts
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def test_round_the_clock_without_business_hours() -> None:
    start = local(dt.UTC, 2026, 12, 4, 16, 0)
    assert due_after(start, 4, Calendar()) == local(dt.UTC, 2026, 12, 4, 20, 0)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ((2026, 12, 4, 16, 0), 4, (2026, 12, 7, 12, 0)),  # Friday 16:00: Monday noon
        ((2026, 12, 7, 7, 0), 2, (2026, 12, 7, 11, 0)),  # before opening: from 09:00
        ((2026, 12, 7, 18, 30), 1, (2026, 12, 8, 10, 0)),  # after closing: next morning
        ((2026, 12, 5, 11, 0), 8, (2026, 12, 7, 17, 0)),  # Saturday: the whole Monday
        ((2026, 12, 7, 10, 0), 16, (2026, 12, 9, 10, 0)),  # two working days later
    ],
)
def test_business_hours_count_only_working_time(
    start: tuple[int, ...], hours: int, due: tuple[int, ...]
) -> None:
    calendar = Calendar(PARIS, WEEKDAYS)
    assert due_after(local(PARIS, *start), hours, calendar) == local(PARIS, *due)


def test_holidays_stop_the_clock() -> None:
    calendar = Calendar(PARIS, WEEKDAYS, parse_holidays("2026-12-25, 2026-12-28"))
    # Thursday 24 December 16:00, 3 hours: 1 that day, Friday and Monday are holidays.
    assert due_after(local(PARIS, 2026, 12, 24, 16, 0), 3, calendar) == local(
        PARIS, 2026, 12, 29, 11, 0
    )


def test_holidays_stop_a_round_the_clock_one_too() -> None:
    """Without business hours every hour counts but the holidays', whole days in the zone."""
    calendar = Calendar(PARIS, {}, parse_holidays("2026-12-07"))
    # Monday 7 December (a holiday) 10:46, 4 hours: from Tuesday's midnight.
    assert due_after(local(PARIS, 2026, 12, 7, 10, 46), 4, calendar) == local(
        PARIS, 2026, 12, 8, 4, 0)  # fmt: skip
    # Sunday 22:00, 4 hours: 2 that day, then Monday is off: Tuesday 02:00.
    assert due_after(local(PARIS, 2026, 12, 6, 22, 0), 4, calendar) == local(
        PARIS, 2026, 12, 8, 2, 0)  # fmt: skip
    # A day of 23 hours (summer time) counts as long as it is.
    spring = Calendar(PARIS, {}, parse_holidays("2026-03-30"))
    due = due_after(local(PARIS, 2026, 3, 29, 0, 0), 24, spring)
    assert due == local(PARIS, 2026, 3, 31, 1, 0)


def test_daylight_saving_moves_nothing_by_an_hour() -> None:
    # Paris goes to summer time on Sunday 29 March 2026: Friday 16:00 is 15:00 UTC,
    # and Monday noon is 10:00 UTC.
    due = due_after(local(PARIS, 2026, 3, 27, 16, 0), 4, Calendar(PARIS, WEEKDAYS))
    assert due == local(PARIS, 2026, 3, 30, 12, 0)
    assert due.astimezone(dt.UTC).hour == 10
    assert due.utcoffset() == dt.timedelta(0)  # given back in UTC


def test_the_team_s_time_zone_decides_its_day() -> None:
    new_york = ZoneInfo("America/New_York")
    calendar = Calendar(new_york, WEEKDAYS)
    # 23:00 UTC on a Monday is 18:00 in New York: after closing, so from Tuesday 09:00 there.
    start = local(dt.UTC, 2026, 12, 7, 23, 0)
    assert due_after(start, 1, calendar) == local(new_york, 2026, 12, 8, 10, 0)


def test_several_groups_of_days() -> None:
    hours = parse_hours("mon-fri 09:00-17:00; sat 10:00-14:00")
    assert hours[5] == (dt.time(10), dt.time(14)) and 6 not in hours
    calendar = Calendar(PARIS, hours)
    assert due_after(local(PARIS, 2026, 12, 4, 16, 0), 3, calendar) == local(
        PARIS, 2026, 12, 5, 12, 0
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("mon-fri 9-5", "is not like 'mon-fri 09:00-17:00'"),
        ("mon-fri 17:00-09:00", "closes before it opens"),
        ("fri-mon 09:00-17:00", "the days run backwards"),
        ("mon-fri 09:00-17:00; wed 10:00-12:00", "wed is given twice"),
        ("mon-fri 09:00-25:00", "25:00 is no time of day"),
        ("lun-ven 09:00-17:00", "is not like"),
    ],
)
def test_bad_business_hours_are_named(text: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_hours(text)
    assert said in refused.value.message and refused.value.field == "business_hours"


def test_bad_zones_and_dates_are_named() -> None:
    with pytest.raises(InvalidInput, match="time_zone: 'Mars/Olympus' is no time zone"):
        parse_zone("Mars/Olympus")
    with pytest.raises(InvalidInput, match="holidays: '2026-13-01' is not a date"):
        parse_holidays("2026-12-25, 2026-13-01")
