"""Business-time arithmetic for SLA clocks.

Workdays follow China's official calendar: public holidays are off and
make-up workdays (调休, e.g. a Sunday that is worked) are on. The calendar
comes from the `chinesecalendar` package, which the State Council's yearly
notice updates; for a year it does not know yet we fall back to Monday–Friday
and log it once, rather than fail.

All datetimes are aware; arithmetic happens in Asia/Shanghai local time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

import chinese_calendar

from kefu.core.tz import SHANGHAI

logger = logging.getLogger(__name__)

_MAX_DAYS = 3660  # a safety net: no SLA is ten years long


@functools.lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


@functools.lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    logger.warning("chinese_calendar has no data for year=%s; using Monday-Friday", year)


def _window(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(day, start, tzinfo=SHANGHAI),
        dt.datetime.combine(day, end, tzinfo=SHANGHAI),
    )


def add_business_minutes(
    start: dt.datetime, minutes: int, *, day_start: dt.time, day_end: dt.time
) -> dt.datetime:
    """The moment `minutes` business minutes after `start`.

    A clock started outside business hours starts at the next opening.
    """
    if minutes < 0:
        raise ValueError("minutes must be >= 0")
    local = start.astimezone(SHANGHAI)
    remaining = dt.timedelta(minutes=minutes)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            opens, closes = _window(day, day_start, day_end)
            begin = max(local, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("SLA target too far in the future")


def business_minutes_between(
    start: dt.datetime, end: dt.datetime, *, day_start: dt.time, day_end: dt.time
) -> int:
    """Whole business minutes from `start` to `end` (0 if end <= start)."""
    if end <= start:
        return 0
    a, b = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    total = dt.timedelta()
    day = a.date()
    while day <= b.date():
        if is_workday(day):
            opens, closes = _window(day, day_start, day_end)
            lo, hi = max(a, opens), min(b, closes)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


def subtract_business_minutes(
    end: dt.datetime, minutes: int, *, day_start: dt.time, day_end: dt.time
) -> dt.datetime:
    """The moment `minutes` business minutes before `end` (for warn-before-breach)."""
    local = end.astimezone(SHANGHAI)
    remaining = dt.timedelta(minutes=minutes)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            opens, closes = _window(day, day_start, day_end)
            finish = min(local, closes)
            if finish > opens:
                available = finish - opens
                if remaining <= available:
                    return finish - remaining
                remaining -= available
        day -= dt.timedelta(days=1)
    raise ValueError("SLA warning too far in the past")
