"""The organisation's rates, fitted once per state of the data and reused across requests.

A rates report fits every rep of the organisation (a rep's estimate leans on
their team's), which takes a query over all events: too slow to repeat for
every page view. The embedded event store only changes by adding files (an
import commits by renaming them in), and the roster by an import or a
roster load, so a report is reused while the store's file list, the roster
and the day stay the same. With a warehouse (``BACKPLAN_EVENTS_URL``) nothing
tells when the data changed, so nothing is cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from datetime import date
from typing import TYPE_CHECKING

from backplan.events.store import EventStore
from backplan.settings import Settings

if TYPE_CHECKING:
    from backplan.services.rates import RatesReport

KEEP = 16


class RatesCache:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reports: OrderedDict[tuple[object, ...], RatesReport] = OrderedDict()
        self._lock = threading.Lock()

    def organisation(
        self, funnel: str, since: date | None, until: date | None, today: date
    ) -> RatesReport:
        """Every rep's rates for ``funnel`` over the window (default: last full quarter)."""
        from backplan.services.rates import RatesRequest, load_roster, rates_report

        roster = load_roster(self.settings)
        key = self._key(funnel, since, until, today, roster.to_csv(index=False))
        if key is not None:
            with self._lock:
                if key in self._reports:
                    self._reports.move_to_end(key)
                    return self._reports[key]
        request = RatesRequest(funnel, since, until)
        report = rates_report(self.settings, request, today, roster=roster)
        if key is not None:
            with self._lock:
                self._reports[key] = report
                while len(self._reports) > KEEP:
                    self._reports.popitem(last=False)
        return report

    def for_rep(
        self, rep: str, funnel: str, since: date | None, until: date | None, today: date
    ) -> RatesReport:
        """One rep's rows of the organisation's report, and their team's."""
        from backplan.services.rates import find_rep

        report = self.organisation(funnel, since, until, today)
        key = find_rep(rep, report.table)
        table = report.table[report.table["rep"] == key].reset_index(drop=True)
        team = table["team"].iloc[0]
        teams = report.teams
        if not teams.empty:
            same = teams["team"].isna() if team is None or team != team else teams["team"] == team
            teams = teams[same].reset_index(drop=True)
        return dataclasses.replace(report, table=table, teams=teams)

    def for_team(
        self, team: str, funnel: str, since: date | None, until: date | None, today: date
    ) -> RatesReport:
        """A team's rows of the organisation's report."""
        from backplan.services.rates import find_team

        report = self.organisation(funnel, since, until, today)
        name = find_team(team, report.table)
        table = report.table[report.table["team"] == name].reset_index(drop=True)
        teams = report.teams
        if not teams.empty:
            teams = teams[teams["team"] == name].reset_index(drop=True)
        return dataclasses.replace(report, table=table, teams=teams)

    def _key(
        self, funnel: str, since: date | None, until: date | None, today: date, roster: str
    ) -> tuple[object, ...] | None:
        if self.settings.events_url:
            return None
        files = "\n".join(sorted(str(p) for p in EventStore(self.settings.home).files()))
        state = hashlib.sha256(f"{files}\n--\n{roster}".encode()).hexdigest()
        return (funnel, since, until, today, state)
