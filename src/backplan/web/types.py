"""The types a route reads its input as, bounded once here so no route passes on a value the
layers below cannot hold (issue 14: year 10000, year 1 and 2**63 answered 500).

``Day`` is a date in backplan's range (``core/bounds.py``: 1900-01-01..2200-12-31), ``RowId``
an id the app database can hold, ``PeriodText`` a period people write (``2026-10``,
``2026-Q4``, ``month``) inside the same range. A value outside answers 422 with a reason,
like any other invalid field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

from backplan.core.bounds import MAX_ID, check_day
from backplan.core.errors import InvalidPeriod
from backplan.core.period import Period

MAX_PERIOD_TEXT = 40


def _in_range(day: date) -> date:
    try:
        return check_day(day)
    except InvalidPeriod as e:  # pydantic reports a ValueError as an invalid field
        raise ValueError(str(e)) from None


def _readable_period(text: str) -> str:
    try:  # month and quarter are relative to today, and every today is in range
        Period.parse(text, today=date(2000, 1, 1))
    except InvalidPeriod as e:
        raise ValueError(str(e)) from None
    return text


Day = Annotated[date, AfterValidator(_in_range)]
"""A date between 1900-01-01 and 2200-12-31 (query parameter, form or JSON field)."""

PeriodText = Annotated[
    str,
    Field(max_length=MAX_PERIOD_TEXT, description="month, quarter, 2026-10 or 2026-Q4"),
    AfterValidator(_readable_period),
]
"""A period as people write it, readable and inside the date range."""

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A stored row's id")]
"""A path id the app database can hold: 1..2**63-1 (larger overflows SQLite's integers)."""
