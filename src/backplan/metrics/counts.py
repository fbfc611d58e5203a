"""Counts per period: events of each stage (or channel) per rep, team or organisation.

This is how the source texts count: "12 meetings and 4 SQLs this month",
whichever meeting each SQL came from. Every function returns one Ibis
expression, with one row per group (and period, if a grain is given) and one
column per stage or channel; nothing runs until it is executed, and each
runs as a single query.

>>> import backplan.defaults
>>> from backplan.core.period import Period
>>> from backplan.metrics.sample import events_table
>>> events = events_table([("ann", "2026-01-05", "dial"), ("ann", "2026-01-05", "connect"),
...                        ("bob", "2026-02-02", "dial")])
>>> counts = stage_counts(events, backplan.defaults.funnel("outbound"), Period.quarter(2026, 1))
>>> counts.order_by("rep").select("rep", "dials", "conversations").to_pandas().to_dict("records")
[{'rep': 'ann', 'dials': 1, 'conversations': 1}, {'rep': 'bob', 'dials': 1, 'conversations': 0}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from backplan.core.funnel import Funnel
from backplan.core.period import Period
from backplan.events.schema import ROSTER_COLUMNS
from backplan.metrics.rollups import rollup_of

Level = Literal["rep", "team", "organisation"]
Grain = Literal["day", "week", "month", "quarter"]

GRAINS: dict[str, str] = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
LEVELS: tuple[str, ...] = ("rep", "team", "organisation")
NO_SOURCE = "(no source)"
"""The source of events that carry none, when counting by source."""


def in_window(events: ir.Table, window: Period, column: str = "at") -> ir.Table:
    """Rows whose ``column`` lies from the first day of ``window`` to the end of its last (UTC)."""
    start = datetime.combine(window.start, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(window.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    at = events[column]
    return events.filter(at >= ibis.literal(start), at < ibis.literal(end))


def roster_table(roster: pd.DataFrame | None) -> ir.Table:
    """The roster (columns rep, name, team, manager) as a small Ibis table to join on."""
    frame = pd.DataFrame(columns=list(ROSTER_COLUMNS)) if roster is None else roster
    missing = [c for c in ROSTER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"a roster needs columns {', '.join(ROSTER_COLUMNS)}; missing {missing}")
    frame = frame.loc[:, list(ROSTER_COLUMNS)].drop_duplicates("rep").astype("string")
    return ibis.memtable(frame, schema=dict.fromkeys(ROSTER_COLUMNS, "string"))


def stage_counts(
    events: ir.Table,
    funnel: Funnel,
    window: Period,
    *,
    level: Level = "rep",
    grain: Grain | None = None,
    roster: pd.DataFrame | None = None,
    by_source: bool = False,
) -> ir.Table:
    """Events of each stage of ``funnel`` in ``window``, one column per stage key.

    Rows are per rep (with ``name`` and ``team`` from ``roster``), per team or
    for the whole organisation, and per ``grain`` period when given (a
    ``period`` column holding the period's first day), and per lead source or
    campaign with ``by_source`` (a ``source`` column; events without one count
    under ``NO_SOURCE``). The stage that carries deal value also gets
    ``<stage>_value``, the sum of its events' amounts.
    """
    measures = {stage.key: stage.kinds for stage in funnel.stages}
    valued = funnel.value_stage
    value = (f"{valued.key}_value", valued.kinds) if valued else None
    return count_kinds(
        events,
        measures,
        window,
        level=level,
        grain=grain,
        roster=roster,
        value=value,
        by_source=by_source,
    )


def channel_counts(
    events: ir.Table,
    funnel: Funnel,
    window: Period,
    *,
    level: Level = "rep",
    grain: Grain | None = None,
    roster: pd.DataFrame | None = None,
) -> ir.Table:
    """Events of each channel of ``funnel`` (calls, emails, social) in ``window``, one column each."""
    measures = {channel.key: channel.kinds for channel in funnel.channels}
    return count_kinds(events, measures, window, level=level, grain=grain, roster=roster)


def count_kinds(
    events: ir.Table,
    measures: Mapping[str, Sequence[str]],
    window: Period,
    *,
    level: Level = "rep",
    grain: Grain | None = None,
    roster: pd.DataFrame | None = None,
    value: tuple[str, Sequence[str]] | None = None,
    by_source: bool = False,
) -> ir.Table:
    """The general form: a count column per entry of ``measures`` (name → event kinds).

    Each count is a filtered aggregate over one scan of the window's events, or
    of the daily rollup attached to ``events`` (``metrics/rollups.py``), which
    gives the same figures from far fewer rows; per-rep rows are rolled up to teams only after aggregation, so the roster
    join touches a few thousand rows, not millions.
    """
    check_level(level)
    if not measures:
        raise ValueError("nothing to count: give at least one measure")
    keys = ["rep", *(["period"] if grain is not None else []), *(["source"] if by_source else [])]
    rollup = rollup_of(events)
    if rollup is None:
        per_rep = _per_rep_from_events(events, measures, window, grain, value, by_source)
    else:
        per_rep = _per_rep_from_rollup(rollup, measures, window, grain, value, by_source)
    columns = [*measures, *([value[0]] if value is not None else [])]
    if level == "organisation":
        periods = keys[1:]
        totals = {c: per_rep[c].sum() for c in columns}
        if not periods:
            return per_rep.aggregate(**totals)
        return per_rep.group_by(periods).aggregate(**totals)
    people = roster_table(roster)
    joined = per_rep.left_join(people, per_rep.rep == people.rep).select(
        per_rep, name=people.name, team=people.team
    )
    if level == "rep":
        return joined.select("rep", "name", "team", *keys[1:], *columns)
    team_keys = ["team", *keys[1:]]
    return joined.group_by(team_keys).aggregate(**{c: joined[c].sum() for c in columns})


def _per_rep_from_events(
    events: ir.Table,
    measures: Mapping[str, Sequence[str]],
    window: Period,
    grain: Grain | None,
    value: tuple[str, Sequence[str]] | None,
    by_source: bool,
) -> ir.Table:
    """Counts per rep (and period, source): a filtered aggregate over one scan of the events."""
    kinds = sorted({kind for group in measures.values() for kind in group})
    t = in_window(events, window)
    t = t.filter(t.kind.isin(kinds))
    keys = ["rep"]
    if grain is not None:
        t = t.mutate(period=t.at.date().truncate(grain_unit(grain)))
        keys.append("period")
    if by_source:
        t = t.mutate(source=t.source.fill_null(NO_SOURCE))
        keys.append("source")
    aggregates = {name: t.count(where=t.kind.isin(list(group))) for name, group in measures.items()}
    if value is not None:
        name, valued_kinds = value
        aggregates[name] = t.amount.sum(where=t.kind.isin(list(valued_kinds)))
    return t.group_by(keys).aggregate(**aggregates)


def _per_rep_from_rollup(
    rollup: ir.Table,
    measures: Mapping[str, Sequence[str]],
    window: Period,
    grain: Grain | None,
    value: tuple[str, Sequence[str]] | None,
    by_source: bool,
) -> ir.Table:
    """The same counts as :func:`_per_rep_from_events`, summed from the daily rollup
    (``events/rollup.py``): the window is whole UTC days, so the days say which events it holds."""
    kinds = sorted({kind for group in measures.values() for kind in group})
    t = rollup.filter(
        rollup.day >= ibis.literal(window.start),
        rollup.day <= ibis.literal(window.end),
        rollup.kind.isin(kinds),
    )
    keys = ["rep"]
    if grain is not None:
        t = t.mutate(period=t.day.truncate(grain_unit(grain)))
        keys.append("period")
    if by_source:
        t = t.mutate(source=t.source.fill_null(NO_SOURCE))
        keys.append("source")
    aggregates = {
        name: t.events.sum(where=t.kind.isin(list(group))).fill_null(0).cast("int64")
        for name, group in measures.items()
    }
    if value is not None:
        name, valued_kinds = value
        aggregates[name] = t.amount.sum(where=t.kind.isin(list(valued_kinds)))
    return t.group_by(keys).aggregate(**aggregates)


def grain_unit(grain: str) -> str:
    try:
        return GRAINS[grain]
    except KeyError:
        raise ValueError(f"grain {grain!r} is not one of {', '.join(GRAINS)}") from None


def check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level {level!r} is not one of {', '.join(LEVELS)}")
