"""Drill down from a figure to the events behind it: a rep's or a team's events at one stage
of the funnel in a window, newest first, a page at a time, with the CRM's own ids.

Times are shown in the organisation's time zone; the window defaults to the current month
to date by the organisation's clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from backplan.config import Settings
from backplan.core.errors import InvalidInput
from backplan.core.funnel import Stage
from backplan.core.period import Period
from backplan.metrics import open_events
from backplan.metrics.drill import page_of, stage_events
from backplan.services.lookup import find_rep, find_team
from backplan.services.planning import resolve_funnel
from backplan.services.rates import load_roster

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventsBehind:
    """One page of the events behind a count, and how many there are in all."""

    owner_kind: str  # "rep" or "team"
    owner: str
    name: str
    stage: Stage
    funnel: str
    window: Period
    total: int
    page: int
    pages: int
    rows: list[dict[str, Any]]


def events_behind(
    settings: Settings,
    owner_kind: str,
    owner: str,
    stage: str,
    *,
    funnel: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> EventsBehind:
    """The events of ``owner`` (a rep's key or a team's name) that count at ``stage``."""
    chosen = resolve_funnel(settings, funnel or settings.funnel)
    if stage not in chosen.keys:
        raise InvalidInput(
            f"unknown stage {stage!r} in funnel {chosen.key!r}; its stages are "
            + ", ".join(chosen.keys)
        )
    window = _window(settings, since, until)
    roster = load_roster(settings)
    if owner_kind == "rep":
        key = find_rep(owner, roster)
        names = roster.loc[roster["rep"] == key, "name"].dropna()
        reps, name = [key], str(names.iloc[0]) if len(names) else key
    else:
        name = key = find_team(owner, roster)
        reps = [str(r) for r in roster.loc[roster["team"] == key, "rep"]]
    found = stage_events(open_events(settings), chosen, stage, window, reps)
    total = int(found.count().to_pandas())
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    frame = page_of(found, (page - 1) * PAGE_SIZE, PAGE_SIZE).to_pandas()
    rows = [_row(r, settings) for r in frame.to_dict("records")]
    return EventsBehind(
        owner_kind, key, name, chosen.stage(stage), chosen.key, window, total, page, pages, rows
    )


def _window(settings: Settings, since: date | None, until: date | None) -> Period:
    """``since``..``until``; by default the current month to date."""
    today = settings.clock.today()
    if since is None and until is None:
        return Period(today.replace(day=1), today)
    if since is None or until is None:
        raise InvalidInput(
            "give both the first and the last day, or neither for this month to date",
            command="--since and --until",
        )
    return Period(since, until)


def _row(r: dict[str, Any], settings: Settings) -> dict[str, Any]:
    at = pd.Timestamp(r["at"])
    if at.tzinfo is None:  # Spark hands back UTC timestamps without their zone
        at = at.tz_localize("UTC")
    at = at.tz_convert(settings.clock.zone)
    return {
        "event_id": r["event_id"],
        "rep": r["rep"],
        "at": at.isoformat(),
        "day": at.strftime("%Y-%m-%d %H:%M"),
        "kind": r["kind"],
        "prospect": None if pd.isna(r["prospect"]) else r["prospect"],
        "source": None if pd.isna(r["source"]) else r["source"],
        "amount": None if pd.isna(r["amount"]) else float(r["amount"]),
    }


def events_to_dict(e: EventsBehind) -> dict[str, Any]:
    return {
        "owner": {"kind": e.owner_kind, "key": e.owner, "name": e.name},
        "stage": {
            "key": e.stage.key,
            "label": e.stage.label,
            "unit": e.stage.unit,
            "plural": e.stage.plural,
        },
        "funnel": e.funnel,
        "window": {"since": e.window.start.isoformat(), "until": e.window.end.isoformat()},
        "total": e.total,
        "page": e.page,
        "pages": e.pages,
        "events": e.rows,
    }
