import datetime as dt

from kefu.core.business_time import (
    SHANGHAI,
    add_business_minutes,
    business_minutes_between,
    is_workday,
    subtract_business_minutes,
)

HOURS = {"day_start": dt.time(8, 30), "day_end": dt.time(18, 0)}


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_national_day_holiday_and_make_up_saturday():
    # 2026: 1–7 October are holidays; Saturday 10 October is a make-up workday (调休).
    assert not is_workday(dt.date(2026, 10, 1))
    assert not is_workday(dt.date(2026, 10, 7))
    assert is_workday(dt.date(2026, 10, 10))
    assert is_workday(dt.date(2026, 10, 9))


def test_clock_started_before_the_holiday_resumes_after_it():
    # 30 Sept 17:00 + 120 business minutes: 60 that day, 60 from 8 Oct 08:30.
    assert add_business_minutes(at(2026, 9, 30, 17, 0), 120, **HOURS) == at(2026, 10, 8, 9, 30)


def test_make_up_workday_counts_as_business_time():
    # Friday 9 Oct 17:30 + 60 minutes: 30 on Friday, 30 on the make-up Saturday 10 Oct.
    assert add_business_minutes(at(2026, 10, 9, 17, 30), 60, **HOURS) == at(2026, 10, 10, 9, 0)


def test_clock_started_at_night_starts_at_opening():
    assert add_business_minutes(at(2026, 11, 23, 22, 0), 30, **HOURS) == at(2026, 11, 24, 9, 0)


def test_weekend_is_skipped():
    # Friday 20 Nov 2026 17:00 + 90: 60 on Friday, 30 on Monday 23 Nov → 09:00.
    assert add_business_minutes(at(2026, 11, 20, 17, 0), 90, **HOURS) == at(2026, 11, 23, 9, 0)


def test_minutes_between_skips_holiday_and_counts_make_up_day():
    assert business_minutes_between(at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 30), **HOURS) == 120
    assert business_minutes_between(at(2026, 10, 9, 17, 30), at(2026, 10, 10, 9, 0), **HOURS) == 60


def test_subtract_is_the_inverse_of_add():
    due = add_business_minutes(at(2026, 9, 30, 17, 0), 120, **HOURS)
    assert subtract_business_minutes(due, 90, **HOURS) == at(2026, 9, 30, 17, 30)


def test_unknown_year_falls_back_to_monday_to_friday():
    # chinesecalendar has no data for 2031 yet: weekdays are workdays.
    assert is_workday(dt.date(2031, 3, 3))  # a Monday
    assert not is_workday(dt.date(2031, 3, 1))  # a Saturday
