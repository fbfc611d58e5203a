"""Counts per cohort: of the prospects that entered a stage in the window, how many reached the next.

Unlike counts per period, a cohort conversion is a true proportion (never
above 1), so it can be estimated with a beta-binomial model. It needs
prospect ids on the events. A prospect *enters* a stage at its first event of
that stage's kinds, credited to the rep of that event; it *reached* the next
stage if it has an event of the next stage's kinds at or after that moment
(however long after: a window's cohort keeps converting after the window
ends, so recent windows read low until their prospects have had time).

>>> import backplan.defaults
>>> from backplan.core.period import Period
>>> from backplan.metrics.sample import events_table
>>> events = events_table([
...     ("ann", "2026-01-05", "meeting_booked", "p1"), ("ann", "2026-01-20", "sql", "p1"),
...     ("ann", "2026-01-06", "meeting_booked", "p2"),
...     ("ann", "2026-01-07", "meeting_booked", "p3"), ("ann", "2026-04-02", "sql", "p3")])
>>> c = cohort_conversions(events, backplan.defaults.funnel("outbound"), Period.month(2026, 1))
>>> c.filter(c["from"] == "meetings").select("rep", "trials", "successes").to_pandas().to_dict("records")
[{'rep': 'ann', 'trials': 3, 'successes': 2}]
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from backplan.core.funnel import Funnel
from backplan.core.period import Period
from backplan.metrics.counts import Level, check_level, in_window, roster_table


def stage_map(funnel: Funnel) -> ir.Table:
    """Which stage (by index, top = 0) each event kind counts toward."""
    pairs = [(kind, i) for i, stage in enumerate(funnel.stages) for kind in stage.kinds]
    frame = pd.DataFrame(pairs, columns=["kind", "stage"])
    return ibis.memtable(frame, schema={"kind": "string", "stage": "int64"})


def stage_entries(events: ir.Table, funnel: Funnel) -> ir.Table:
    """One row per prospect and stage: when it first and last had an event there, and whose."""
    stages = stage_map(funnel)
    t = events.filter(events.prospect.notnull())
    t = t.inner_join(stages, t.kind == stages.kind)
    return t.group_by(["prospect", "stage"]).aggregate(
        rep=t.rep.argmin(t.at), entered=t.at.min(), last=t.at.max()
    )


def _stage_keys(stage: ir.IntegerValue, funnel: Funnel) -> ir.StringValue:
    return ibis.cases(*((stage == i, s.key) for i, s in enumerate(funnel.stages)))


def cohort_conversions(
    events: ir.Table,
    funnel: Funnel,
    window: Period,
    *,
    level: Level = "rep",
    roster: pd.DataFrame | None = None,
) -> ir.Table:
    """Per rep (team, organisation) and conversion: ``trials`` = prospects entering ``from``
    in ``window``, ``successes`` = those of them that reached ``to``.

    Columns: the level's keys (``rep``, ``name``, ``team`` for reps), ``from``,
    ``to``, ``trials``, ``successes``. Conversions without a cohort in the
    window have no row.
    """
    check_level(level)
    entries = stage_entries(events, funnel)
    following = entries.select(
        next_prospect=entries.prospect, next_stage=entries.stage - 1, next_last=entries.last
    )
    starts = in_window(entries, window, "entered")
    starts = starts.filter(starts.stage < len(funnel.stages) - 1)
    paired = starts.left_join(
        following,
        [starts.prospect == following.next_prospect, starts.stage == following.next_stage],
    )
    reached = paired.next_last.notnull() & (paired.next_last >= paired.entered)
    paired = paired.mutate(reached=reached.cast("int64"))
    per_rep = paired.group_by(["rep", "stage"]).aggregate(
        trials=paired.count(), successes=paired.reached.sum()
    )
    if level == "organisation":
        rolled = per_rep.group_by("stage").aggregate(
            trials=per_rep.trials.sum(), successes=per_rep.successes.sum()
        )
        return _named(rolled.order_by("stage"), funnel, [])
    people = roster_table(roster)
    joined = per_rep.left_join(people, per_rep.rep == people.rep).select(
        per_rep, name=people.name, team=people.team
    )
    if level == "rep":
        return _named(joined.order_by(["rep", "stage"]), funnel, ["rep", "name", "team"])
    rolled = joined.group_by(["team", "stage"]).aggregate(
        trials=joined.trials.sum(), successes=joined.successes.sum()
    )
    return _named(rolled.order_by(["team", "stage"]), funnel, ["team"])


def _named(table: ir.Table, funnel: Funnel, keys: list[str]) -> ir.Table:
    """Stage indexes as the stage keys people know: ``from`` and ``to``."""
    return table.select(
        *keys,
        **{"from": _stage_keys(table.stage, funnel), "to": _stage_keys(table.stage + 1, funnel)},
        trials=table.trials,
        successes=table.successes,
    )
