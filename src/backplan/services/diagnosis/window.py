"""The window a diagnosis looks at: the plan's period, the part counted so far, the share elapsed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from backplan.core.errors import InvalidPeriod
from backplan.core.period import Period, WorkingCalendar


@dataclass(frozen=True)
class Window:
    """The plan's period, the part of it counted so far, and the share of working days elapsed."""

    period: Period
    counted: Period
    as_of: date
    share: float
    chosen: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.period.start.isoformat(),
            "until": self.period.end.isoformat(),
            "counted_until": self.counted.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "share_elapsed": round(self.share, 4),
            "label": self.period.label,
            "chosen": self.chosen,
        }


def diagnosis_window(
    since: date | None,
    until: date | None,
    as_of: date,
    calendar: WorkingCalendar,
    day_done: float = 1.0,
    *,
    fall_back: bool = False,
) -> Window:
    """``since``..``until`` counted up to ``as_of``; by default the current month to date.

    The default falls back to the last full month while less than one working day of the
    current month has passed (or, with ``fall_back``, when the month to date held no data):
    a diagnosis of nothing helps nobody, and the window says which month it is.
    """
    chosen = None
    if since is None and until is None:
        period = Period.month(as_of.year, as_of.month)
        if fall_back or calendar.elapsed(period, as_of, day_done) < 1:
            last = period.previous()
            why = "had no data yet" if fall_back else "has just begun"
            chosen = f"{period.label} {why}: the last full month, {last.label} ({last.start}..{last.end})"
            return Window(last, last, as_of, 1.0, chosen)
        chosen = f"the current month to date: {period.start}..{as_of} of {period.label}"
    elif since is None or until is None:
        raise InvalidPeriod(
            "give both a start and an end of the window, or neither for the current month"
        )
    else:
        period = Period(since, until)
    if as_of < period.start:
        raise InvalidPeriod(
            f"the window starts on {period.start}, after the day it is seen at ({as_of}); "
            "choose an earlier start or a later day"
        )
    counted = Period(period.start, min(period.end, as_of))
    total = len(calendar.working_days(period))
    share = calendar.elapsed(period, as_of, day_done) / total if total else 1.0
    return Window(period, counted, as_of, min(share, 1.0), chosen)
