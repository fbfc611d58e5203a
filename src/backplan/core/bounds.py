"""The range of values backplan accepts from people and files: dates and row ids.

Anything outside is refused with a named error at the edge (a 4xx, exit 2, a named
reject), never passed on to overflow date arithmetic or the database.
"""

from __future__ import annotations

from datetime import date

from backplan.core.errors import InvalidPeriod

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
"""The days backplan plans, measures and stores: a sales plan lives in this range, and a
date far outside it (year 1, year 9999) is a typing slip that would otherwise overflow
date arithmetic. Every period, and every date a shell reads, is checked against it."""


def check_day(day: date, what: str = "date") -> date:
    """``day`` itself when it lies in ``EARLIEST``..``LATEST``, else :class:`InvalidPeriod`.

    >>> check_day(date(2026, 10, 5))
    datetime.date(2026, 10, 5)
    >>> check_day(date(1, 1, 1), "until")
    Traceback (most recent call last):
    backplan.core.errors.InvalidPeriod: until 0001-01-01 is out of range; give a date between 1900-01-01 and 2200-12-31
    """
    if not EARLIEST <= day <= LATEST:
        raise InvalidPeriod(
            f"{what} {day.isoformat()} is out of range; give a date between "
            f"{EARLIEST.isoformat()} and {LATEST.isoformat()}"
        )
    return day


def check_year(year: int) -> None:
    """Refuse a year outside the range before a period of it is built (``date(10000, 1, 1)``
    would fail with a bare ``ValueError``)."""
    if not EARLIEST.year <= year <= LATEST.year:
        raise InvalidPeriod(
            f"year {year} is out of range; give a period between "
            f"{EARLIEST.isoformat()} and {LATEST.isoformat()}"
        )


MAX_ID = 2**63 - 1
"""The largest row id the app database can hold (SQLite's and PostgreSQL's signed 64-bit
integer); a larger one in a URL or a command is simply not there."""


def is_row_id(number: int) -> bool:
    """Whether ``number`` could be a stored row's id (1..``MAX_ID``).

    >>> is_row_id(7), is_row_id(0), is_row_id(2**63)
    (True, False, False)
    """
    return 1 <= number <= MAX_ID
