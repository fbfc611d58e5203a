"""The one clock: every "today" and "now" in backplan is read here, and only here.

By default it is the real time in the organisation's time zone. ``BACKPLAN_TODAY``
pins it, for demos and reproducible reports: ``2026-12-01`` is that whole day
(everything up to its end has happened, as with ``--as-of``), ``2026-12-01T07:40``
that very moment. Office hours say how much of a working day has passed, so that
at 07:40 on the first working day of a month nothing is expected yet.

    >>> from zoneinfo import ZoneInfo
    >>> clock = Clock(ZoneInfo("UTC"), pinned="2026-12-01T13:00")
    >>> clock.today(), clock.day_done(date(2026, 12, 1))
    (datetime.date(2026, 12, 1), 0.5)
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

from backplan.config.errors import InvalidSetting

OFFICE_HOURS = "09:00-17:00"
_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def parse_moment(text: str) -> datetime:
    """A pinned moment: ``YYYY-MM-DD`` (the end of that day) or ``YYYY-MM-DDTHH:MM[:SS]``.

    >>> parse_moment("2028-02-29")
    datetime.datetime(2028, 2, 29, 23, 59, 59, 999999)
    """
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.max)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidSetting(
            f"BACKPLAN_TODAY={text!r} is not a date; write it as 2026-12-01 (the whole day) "
            "or 2026-12-01T07:40 (that moment)"
        ) from None
    return moment.replace(tzinfo=None)


def parse_office_hours(text: str) -> tuple[time, time]:
    """``09:00-17:00`` as the opening and closing times of a working day.

    >>> parse_office_hours("8:30-17:00")
    (datetime.time(8, 30), datetime.time(17, 0))
    """
    found = _HOURS.fullmatch(text)
    try:
        if found is None:
            raise ValueError
        opens = time(int(found[1]), int(found[2]))
        closes = time(int(found[3]), int(found[4]))
    except ValueError:
        raise InvalidSetting(
            f"office hours {text!r} are not hours of a day; write them as 09:00-17:00"
        ) from None
    if closes <= opens:
        raise InvalidSetting(f"office hours {text!r} close before they open; e.g. 09:00-17:00")
    return opens, closes


class Clock:
    """Now and today for the organisation, real or pinned, and how much of a day is done."""

    def __init__(
        self, zone: tzinfo, *, pinned: str | None = None, office_hours: str = OFFICE_HOURS
    ) -> None:
        self.zone = zone
        self.pinned = parse_moment(pinned) if pinned else None
        self.opens, self.closes = parse_office_hours(office_hours)

    def now(self) -> datetime:
        """The organisation's wall-clock time, without a time zone (it is the organisation's)."""
        if self.pinned is not None:
            return self.pinned
        return datetime.now(self.zone).replace(tzinfo=None)

    def instant(self) -> datetime:
        """Now as a point in time (with the organisation's time zone), for what counts
        seconds rather than days: the 30-second steps of two-factor codes."""
        return self.now().replace(tzinfo=self.zone)

    def today(self) -> date:
        return self.now().date()

    def moment(self) -> datetime:
        """When something happens, for a record (the audit log's "when"): the pinned moment
        when pinned, else the real time, with the organisation's time zone.

        A record says when a person acted; no figure depends on it, so reading it is not
        reading "today" (the tests' clock guard watches ``now`` only).
        """
        if self.pinned is not None:
            return self.pinned.replace(tzinfo=self.zone)
        return datetime.now(self.zone)

    def day_done(self, day: date) -> float:
        """The share of ``day``'s office hours that has passed: 1 before today, 0 after it."""
        now = self.now()
        if day != now.date():
            return 1.0 if day < now.date() else 0.0
        opens = datetime.combine(day, self.opens)
        closes = datetime.combine(day, self.closes)
        done = (now - opens) / (closes - opens)
        return min(max(done, 0.0), 1.0)

    def as_of(self, given: date | None) -> tuple[date, float]:
        """The day a figure is seen at and the share of that day done.

        A day the user gives counts whole (as ``--as-of`` always has); none means now.
        """
        if given is not None:
            return given, 1.0
        today = self.today()
        return today, self.day_done(today)
