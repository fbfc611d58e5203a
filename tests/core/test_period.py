"""Periods and working-day calendars."""

from __future__ import annotations

from datetime import date

import pytest

from backplan.core.errors import BackplanError, InvalidPeriod
from backplan.core.period import Period, WorkingCalendar
from backplan.services.calendars import working_calendar

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("month", date(2026, 11, 1), date(2026, 11, 30)),
        ("quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_periods_read_as_people_write_them(text, start, end):
    period = Period.parse(text, TODAY)
    assert (period.start, period.end) == (start, end)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(InvalidPeriod):
        Period(date(2026, 2, 1), date(2026, 1, 1))


def test_weekdays_are_working_days_without_a_country():
    assert WorkingCalendar().working_days_in(Period.month(2026, 11)) == 21


def test_public_holidays_come_off_the_working_days():
    us = working_calendar("US", None, [2026])
    november = Period.month(2026, 11)
    # Veterans Day (Wed 11th) and Thanksgiving (Thu 26th) fall on weekdays.
    assert us.working_days_in(november) == 19
    assert us.holidays[date(2026, 11, 26)] == "Thanksgiving Day"


def test_subdivision_holidays_count_too():
    # Bavaria keeps All Saints' Day (1 Nov 2027 is a Monday); Berlin does not.
    bavaria = working_calendar("DE", "BY", [2027])
    berlin = working_calendar("DE", "BE", [2027])
    november = Period.month(2027, 11)
    assert berlin.working_days_in(november) - bavaria.working_days_in(november) == 1


def test_time_off_comes_off_a_reps_working_days():
    calendar = working_calendar(None, None, [2026], [date(2026, 11, 2), date(2026, 11, 3)])
    assert calendar.working_days_in(Period.month(2026, 11)) == 19


def test_an_unknown_country_says_what_to_use():
    with pytest.raises(BackplanError, match="ISO code"):
        working_calendar("XX", None, [2026])


@pytest.mark.parametrize("text", ["9999-12", "9999-Q4", "0001-01", "1899-12", "2201-01"])
def test_a_period_outside_1900_to_2200_is_refused_with_the_range(text):
    with pytest.raises(InvalidPeriod, match="1900-01-01 and 2200-12-31"):
        Period.parse(text, TODAY)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(1, 1, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(9999, 12, 31))],
)
def test_a_period_of_days_outside_the_range_is_refused(start, end):
    with pytest.raises(InvalidPeriod, match="out of range"):
        Period(start, end)


def test_a_trailing_window_ending_at_year_one_is_refused_not_overflowed():
    with pytest.raises(InvalidPeriod):
        Period.trailing(28, date(1, 1, 1))


def test_the_first_and_last_months_of_the_range_are_periods():
    assert Period.parse("1900-01", TODAY).start == date(1900, 1, 1)
    assert Period.parse("2200-Q4", TODAY).end == date(2200, 12, 31)
