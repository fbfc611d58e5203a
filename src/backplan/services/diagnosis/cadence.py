"""Cadence (case S6): response by attempt number for a rep, a team or everyone, and when to move on."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from backplan.config import Settings
from backplan.core.cadence import DEFAULT_THRESHOLD, Cadence
from backplan.core.errors import NoData
from backplan.core.period import Period
from backplan.core.warnings import StatisticalWarning
from backplan.metrics import attempt_counts, open_events
from backplan.metrics.cadence import simultaneous_attempts
from backplan.metrics.counts import Level
from backplan.services.calendars import working_calendar
from backplan.services.diagnosis.window import diagnosis_window
from backplan.services.lookup import find_rep, find_team
from backplan.services.rates import load_roster


@dataclass
class CadenceRequest:
    """What a user asks: whose attempts (a rep, a team or everyone), the window, the threshold."""

    rep: str | None = None
    team: str | None = None
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    threshold: float = DEFAULT_THRESHOLD
    level: float = 0.8


def cadence_report(
    settings: Settings,
    request: CadenceRequest,
    *,
    events: ir.Table | None = None,
    roster: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Response by attempt number for a rep, a team or everyone, and when to move on (case S6)."""
    as_of, day_done = settings.clock.as_of(request.as_of)
    calendar = working_calendar(
        settings.country, settings.subdivision, [as_of.year - 1, as_of.year]
    )
    window = diagnosis_window(request.since, request.until, as_of, calendar, day_done)
    table = open_events(settings) if events is None else events
    people = load_roster(settings) if roster is None else roster
    level: Level = "rep" if request.rep else "team" if request.team else "organisation"
    rows = attempt_counts(table, window.counted, level=level, roster=people).to_pandas()
    if rows.empty and window.chosen and window.period.end >= as_of:
        window = diagnosis_window(None, None, as_of, calendar, day_done, fall_back=True)
        rows = attempt_counts(table, window.counted, level=level, roster=people).to_pandas()
    who: dict[str, Any] = {"level": level}
    if request.rep:
        known = (
            people.loc[:, ["rep", "name", "team"]]
            if len(people)
            else pd.DataFrame(
                {"rep": rows["rep"].unique(), "name": rows["rep"].unique(), "team": None}
            )
        )
        extra = pd.DataFrame({"rep": rows["rep"].unique()})
        extra = extra[~extra["rep"].isin(known["rep"])].assign(name=extra["rep"], team=None)
        rep = find_rep(request.rep, pd.concat([known, extra], ignore_index=True))
        rows = rows[rows["rep"] == rep]
        who["rep"] = rep
    elif request.team:
        team = find_team(request.team, people if len(people) else rows.assign(team=rows["team"]))
        rows = rows[rows["team"] == team]
        who["team"] = team
    if rows.empty or not rows["prospects"].sum():
        raise NoData(
            f"no prospects with attempts from {window.counted.start} to {window.counted.end}; "
            "cadence needs dial, email or social events with prospect ids; choose another window"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        fitted = Cadence(threshold=request.threshold, level=request.level).fit(
            rows["attempts"], rows["responded"].astype(bool), rows["prospects"]
        )
    data = fitted.to_dict()
    stamped = _simultaneous(
        table, window.counted, list(rows["rep"].unique()) if request.rep else None
    )
    if stamped:
        data.update(recommended_attempts=None, reason=stamped)
    data.update(
        who=who,
        window=window.to_dict(),
        notes=[str(w.message) for w in caught if issubclass(w.category, StatisticalWarning)]
        + ([stamped] if stamped else []),
    )
    return data


SIMULTANEOUS_SHARE = 0.2
"""Above this share of attempts stamped at the same moment as another, no cadence is read."""


def _simultaneous(events: ir.Table, window: Period, reps: list[str] | None) -> str | None:
    """Why attempt numbers cannot be trusted, when many attempts share prospect and time."""
    row = simultaneous_attempts(events, window, reps).to_pandas().iloc[0]
    attempts = int(row["attempts"] or 0)
    same = int(row["simultaneous"] or 0)
    if not attempts or same / attempts <= SIMULTANEOUS_SHARE:
        return None
    return (
        f"{same:,} of {attempts:,} attempts ({same / attempts:.0%}) share their prospect and "
        "their exact time with another: the events look stamped in bulk, so the order of "
        "attempts is unknown and no cadence is recommended"
    )
