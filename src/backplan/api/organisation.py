"""The Python API for analysts: an organisation's events, counted and estimated in one call.

>>> import backplan
>>> from backplan.metrics.sample import events_table
>>> org = backplan.Organisation(events=events_table([
...     ("ann", "2026-07-01", "dial"), ("ann", "2026-07-01", "connect"),
...     ("ann", "2026-08-03", "dial"), ("bob", "2026-08-04", "dial")]))
>>> counts = org.counts("2026-07-01", "2026-09-30", funnel="outbound", grain="month")
>>> print(counts.loc[:, ["rep", "period", "dials", "conversations"]].to_string(index=False))
rep     period  dials  conversations
ann 2026-07-01      1              1
ann 2026-08-01      1              0
bob 2026-08-01      1              0
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from backplan.config import Settings
from backplan.core.bounds import check_day
from backplan.core.errors import InvalidPeriod
from backplan.core.funnel import Funnel
from backplan.core.period import Period
from backplan.core.shrinkage import DEFAULT_LEVEL
from backplan.metrics import (
    Grain,
    Level,
    attempt_counts,
    channel_counts,
    open_events,
    stage_counts,
)
from backplan.services import rates as rates_service
from backplan.services.planning import resolve_funnel
from backplan.services.rates import (
    Counting,
    RatesReport,
    conversion_counts,
    estimate_rates,
    rates_window,
)

Day = date | str | None
"""A day as a date or ``"YYYY-MM-DD"``; ``None`` on both ends means the last full quarter."""


class Organisation:
    """An organisation's event store (or warehouse table) and roster.

    ``home`` is the BACKPLAN_HOME folder (default: the settings'); give
    ``events_url`` (and ``events_table``) to read a warehouse instead, or
    ``events`` to use any Ibis table with the event columns. ``roster`` (rep,
    name, team, manager) defaults to the one in the app database.
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        events_url: str | None = None,
        events_table: str | None = None,
        events: ir.Table | None = None,
        roster: pd.DataFrame | None = None,
        settings: Settings | None = None,
    ) -> None:
        overrides: dict[str, object] = {}
        if home is not None:
            overrides["home"] = Path(home)
        if events_url is not None:
            overrides["events_url"] = events_url
        if events_table is not None:
            overrides["events_table"] = events_table
        base = settings or Settings()
        self.settings = base.model_copy(update=overrides) if overrides else base
        self._events = events
        self._roster = roster

    @property
    def events(self) -> ir.Table:
        """The event table as an Ibis expression, for queries of your own."""
        if self._events is None:
            self._events = open_events(self.settings)
        return self._events

    @property
    def roster(self) -> pd.DataFrame:
        if self._roster is None:
            self._roster = rates_service.load_roster(self.settings)
        return self._roster

    def funnel(self, name: str | None = None) -> Funnel:
        """A funnel by name or TOML path (default: the settings' funnel)."""
        return resolve_funnel(self.settings, name)

    def window(self, since: Day = None, until: Day = None, *, today: date | None = None) -> Period:
        """The window ``since``..``until``, or the last full quarter before ``today``."""
        first, last = _day(since), _day(until)
        if today is None and first is not None and last is not None:
            return Period(first, last)  # given whole: no need to ask the clock
        return rates_window(first, last, today or self.settings.clock.today())

    def counts(
        self,
        since: Day = None,
        until: Day = None,
        *,
        funnel: str | None = None,
        level: Level = "rep",
        grain: Grain | None = None,
        channels: bool = False,
        arrow: bool = False,
        today: date | None = None,
    ) -> pd.DataFrame | pa.Table:
        """Events of each stage (or, with ``channels``, each channel) per rep, team or
        organisation, per ``grain`` period (day, week, month, quarter) or over the whole window.
        """
        count = channel_counts if channels else stage_counts
        expr = count(
            self.events,
            self.funnel(funnel),
            self.window(since, until, today=today),
            level=level,
            grain=grain,
            roster=self.roster,
        )
        keys = {"rep": ["rep"], "team": ["team"], "organisation": []}[level]
        if grain is not None:
            keys.append("period")
        if keys:
            expr = expr.order_by(keys)
        return expr.to_pyarrow() if arrow else expr.to_pandas()

    def conversions(
        self,
        since: Day = None,
        until: Day = None,
        *,
        funnel: str | None = None,
        counting: Counting = "period",
        today: date | None = None,
    ) -> pd.DataFrame:
        """Successes and trials per rep and conversion (per period, or per cohort of prospects)."""
        return conversion_counts(
            self.events,
            self.funnel(funnel),
            self.window(since, until, today=today),
            counting=counting,
            roster=self.roster,
        )

    def rates_report(
        self,
        since: Day = None,
        until: Day = None,
        *,
        funnel: str | None = None,
        counting: Counting = "period",
        level: float = DEFAULT_LEVEL,
        today: date | None = None,
    ) -> RatesReport:
        """Every rep's rates with the teams' and the caveats (see :meth:`rates`)."""
        counts = self.conversions(since, until, funnel=funnel, counting=counting, today=today)
        window = self.window(since, until, today=today)
        return estimate_rates(counts, self.funnel(funnel), window, counting=counting, level=level)

    def rates(
        self,
        since: Day = None,
        until: Day = None,
        *,
        funnel: str | None = None,
        counting: Counting = "period",
        level: float = DEFAULT_LEVEL,
        today: date | None = None,
    ) -> pd.DataFrame:
        """One row per rep and conversion: counts, raw rate, shrunk estimate, interval at
        ``level``, the team's rate and P(rep's rate < team's)."""
        report = self.rates_report(
            since, until, funnel=funnel, counting=counting, level=level, today=today
        )
        return report.table

    def attempts(
        self,
        since: Day = None,
        until: Day = None,
        *,
        level: Level = "rep",
        today: date | None = None,
    ) -> pd.DataFrame:
        """Prospects by number of attempts and whether they responded (for cadence)."""
        window = self.window(since, until, today=today)
        frame: pd.DataFrame = attempt_counts(
            self.events, window, level=level, roster=self.roster
        ).to_pandas()
        return frame


def open(
    home: str | Path | None = None,
    *,
    events_url: str | None = None,
    events_table: str | None = None,
) -> Organisation:
    """The organisation at ``home`` (default: BACKPLAN_HOME, or BACKPLAN_EVENTS_URL if set)."""
    return Organisation(home, events_url=events_url, events_table=events_table)


def _day(value: Day) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return check_day(value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidPeriod(f"cannot read day {value!r}; write it as YYYY-MM-DD") from None
    return check_day(day)
