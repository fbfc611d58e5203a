"""Periods (a month, a quarter, custom dates) and the working days in them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from backplan.core.bounds import EARLIEST, check_day, check_year
from backplan.core.errors import InvalidPeriod, NoWorkingDays


@dataclass(frozen=True)
class Period:
    """Inclusive dates ``start``..``end``, with a label for people.

    >>> Period.parse("quarter", today=date(2026, 11, 23))
    Period(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 12, 31), label='2026-Q4')
    """

    start: date
    end: date
    label: str = ""

    def __post_init__(self) -> None:
        check_day(self.start, "period start")
        check_day(self.end, "period end")
        if self.end < self.start:
            raise InvalidPeriod(f"period ends ({self.end}) before it starts ({self.start})")
        if not self.label:
            object.__setattr__(self, "label", f"{self.start}..{self.end}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"month {month} is not between 1 and 12")
        check_year(year)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(date(year, month, 1), following - timedelta(days=1), f"{year}-{month:02d}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise InvalidPeriod(f"quarter {quarter} is not between 1 and 4")
        first = cls.month(year, 3 * quarter - 2)
        last = cls.month(year, 3 * quarter)
        return cls(first.start, last.end, f"{year}-Q{quarter}")

    @classmethod
    def year(cls, year: int) -> Period:
        check_year(year)
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year}")

    @classmethod
    def trailing(cls, days: int, until: date) -> Period:
        """The ``days`` days ending with ``until`` (a trailing window, e.g. the last 28 days)."""
        if days < 1:
            raise InvalidPeriod(f"a trailing window needs at least 1 day, not {days}")
        check_day(until, "window end")
        if days > (until - EARLIEST).days + 1:
            raise InvalidPeriod(f"{days} days to {until} starts before {EARLIEST.isoformat()}")
        return cls(until - timedelta(days=days - 1), until, f"{days} days to {until}")

    @classmethod
    def parse(cls, text: str, today: date) -> Period:
        """Read ``month``, ``quarter`` or ``year`` (the current one, or with ``next`` or
        ``last`` before it), ``2026-10``, ``2026-Q4`` or ``2026``.

        >>> [Period.parse(t, date(2026, 12, 1)).label for t in ("next month", "last quarter", "2027")]
        ['2027-01', '2026-Q3', '2027']
        """
        t = " ".join(text.strip().lower().split())
        step, _, unit = t.rpartition(" ")
        if unit in ("month", "quarter", "year") and step in ("", "this", "next", "last"):
            current = {
                "month": cls.month(today.year, today.month),
                "quarter": cls.quarter(today.year, (today.month - 1) // 3 + 1),
                "year": cls.year(today.year),
            }[unit]
            if step == "last":
                return current.previous()
            return current.following() if step == "next" else current
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", t):
            return cls.month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-?q([1-4])", t):
            return cls.quarter(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})", t):
            return cls.year(int(m[1]))
        raise InvalidPeriod(
            f"cannot read period {text!r}; use month, quarter, year (or next month, last "
            "quarter ...), 2026-10, 2026-Q4 or 2026",
            command="or give --since and --until",
        )

    def named(self) -> Period:
        """The same days under their calendar name when they are a whole month, quarter or
        year ("2026-10" rather than "2026-10-01..2026-10-31").

        >>> Period(date(2026, 10, 1), date(2026, 10, 31)).named().label
        '2026-10'
        >>> Period(date(2026, 10, 2), date(2026, 10, 31)).named().label
        '2026-10-02..2026-10-31'
        """
        s = self.start
        for candidate in (
            Period.month(s.year, s.month),
            Period.quarter(s.year, (s.month - 1) // 3 + 1),
            Period.year(s.year),
        ):
            if (candidate.start, candidate.end) == (self.start, self.end):
                return candidate
        return self

    def following(self) -> Period:
        """The period of the same kind just after this one (a month, a quarter, a year).

        >>> Period.month(2026, 12).following().label, Period.quarter(2026, 4).following().label
        ('2027-01', '2027-Q1')
        """
        after = self.end + timedelta(days=1)
        if re.fullmatch(r"\d{4}-\d{2}", self.label):
            return Period.month(after.year, after.month)
        if re.fullmatch(r"\d{4}-Q[1-4]", self.label):
            return Period.quarter(after.year, (after.month - 1) // 3 + 1)
        if re.fullmatch(r"\d{4}", self.label):
            return Period.year(after.year)
        return Period(after, after + (self.end - self.start))

    def previous(self) -> Period:
        """The period of the same kind just before this one: the month, the quarter, or as
        many days.

        >>> Period.month(2027, 1).previous().label, Period.quarter(2026, 1).previous().label
        ('2026-12', '2025-Q4')
        """
        before = self.start - timedelta(days=1)
        if re.fullmatch(r"\d{4}-\d{2}", self.label):
            return Period.month(before.year, before.month)
        if re.fullmatch(r"\d{4}-Q[1-4]", self.label):
            return Period.quarter(before.year, (before.month - 1) // 3 + 1)
        if re.fullmatch(r"\d{4}", self.label):
            return Period.year(before.year)
        return Period(self.start - (self.end - self.start) - timedelta(days=1), before)

    def days(self) -> Iterable[date]:
        d = self.start
        while d <= self.end:
            yield d
            d += timedelta(days=1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


MONDAY_TO_FRIDAY = frozenset(range(5))


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are worked: weekdays less public holidays and a rep's time off.

    ``holidays`` maps dates to their names, so a plan can say why a day is missing.
    """

    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: Mapping[date, str] = field(default_factory=dict)
    time_off: frozenset[date] = frozenset()

    @property
    def days_per_week(self) -> int:
        return len(self.weekdays)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() in self.weekdays and day not in self.holidays and day not in self.time_off
        )

    def working_days(self, period: Period) -> list[date]:
        return [d for d in period.days() if self.is_working_day(d)]

    def working_days_in(self, period: Period) -> int:
        return _at_least_one(len(self.working_days(period)), period)

    def elapsed(self, period: Period, as_of: date, day_done: float = 1.0) -> float:
        """Working days of ``period`` passed by ``as_of``, of which ``day_done`` of ``as_of`` itself.

        At 07:40 on the first working day of a month nothing has passed yet; at the end of
        the day one day has.

        >>> cal, december = WorkingCalendar(), Period.month(2026, 12)
        >>> cal.elapsed(december, date(2026, 12, 1), 0.0), cal.elapsed(december, date(2026, 12, 1))
        (0.0, 1.0)
        >>> cal.elapsed(december, date(2026, 12, 6), 0.5)  # a Sunday: Tuesday to Friday
        4.0
        """
        if as_of < period.start:
            return 0.0
        before = Period(period.start, min(as_of, period.end))
        whole = len(self.working_days(before))
        if as_of <= period.end and self.is_working_day(as_of):
            return whole - 1 + min(max(day_done, 0.0), 1.0)
        return float(whole)

    def with_time_off(self, days: Iterable[date]) -> WorkingCalendar:
        return WorkingCalendar(self.weekdays, self.holidays, self.time_off | frozenset(days))


@dataclass(frozen=True)
class FixedWorkingDays:
    """A calendar that says every period has ``count`` working days (``--working-days``)."""

    count: int
    days_per_week: int = 5

    def working_days_in(self, period: Period) -> int:
        return _at_least_one(self.count, period)


Calendar = WorkingCalendar | FixedWorkingDays


def _at_least_one(count: int, period: Period) -> int:
    if count < 1:
        raise NoWorkingDays(
            f"{period.label} has no working days to plan over; choose a longer period, "
            "check the time off, or give --working-days"
        )
    return count
