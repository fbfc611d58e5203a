"""Open pipeline: prospects that reached a stage and have not come out of the next one yet.

An opportunity is open until it is won or lost; a booked meeting is open
until it becomes an SQL. Counting needs the ``prospect`` column: events
without one cannot be followed and are left out.

>>> import backplan.defaults
>>> from datetime import date
>>> from backplan.metrics.sample import events_table
>>> events = events_table([("ann", "2026-10-01", "opp", "p1"), ("ann", "2026-10-02", "opp", "p2"),
...                        ("ann", "2026-10-09", "won", "p1"), ("bob", "2026-10-05", "opp", "p3")])
>>> director = backplan.defaults.funnel("sales-director")
>>> open_pipeline(events, director, "deals", date(2026, 10, 20)).order_by("rep").to_pandas()
   rep  open
0  ann     1
1  bob     1
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from backplan.core.funnel import Funnel
from backplan.core.period import Period
from backplan.metrics.counts import in_window

DEFAULT_LOOKBACK_DAYS = 90
"""Units entered longer ago than this are stale, not pipeline."""


def open_pipeline(
    events: ir.Table,
    funnel: Funnel,
    stage: str,
    as_of: date,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> ir.Table:
    """Per rep, the prospects open at the stage feeding ``stage`` at the end of ``as_of``.

    Open: an event of the feeding stage's kinds in the ``lookback_days`` up to
    ``as_of``, and no event of ``stage``'s kinds (or the outcomes it tracks,
    e.g. ``lost``) by then. Columns ``rep`` and ``open``; reps with none are absent.
    """
    chain = funnel.conversions(down_to=stage)
    if not chain:
        raise ValueError(f"{stage!r} is the top of funnel {funnel.key!r}: nothing feeds it")
    feeder, target = chain[-1].source, chain[-1].target
    window = Period(as_of - timedelta(days=lookback_days - 1), as_of)
    t = in_window(events, window)
    t = t.filter(t.prospect.notnull())
    entered = t.filter(t.kind.isin(list(feeder.kinds))).select("rep", "prospect").distinct()
    closing = [*target.kinds, *target.tracks]
    closed = t.filter(t.kind.isin(closing)).select("prospect").distinct()
    still_open = entered.anti_join(closed, "prospect")
    return still_open.group_by("rep").aggregate(open=still_open.count())


def conversion_times(events: ir.Table, funnel: Funnel, stage: str, window: Period) -> ir.Table:
    """Per prospect entering the stage feeding ``stage`` within ``window``: when, by whom, and
    when it first reached ``stage`` within the window (null: not yet, as seen at its end).

    Columns ``rep``, ``prospect``, ``entered``, ``reached``, ``closed`` (the first
    outcome ``stage`` tracks, e.g. ``lost``, or null). Only events up to the window's
    end are read, so a backtest's ``window`` ending at its as-of date sees no future.
    What the lag model (:class:`backplan.core.lag.LagModel`) and the open
    pipeline's ages are computed from.
    """
    chain = funnel.conversions(down_to=stage)
    if not chain:
        raise ValueError(f"{stage!r} is the top of funnel {funnel.key!r}: nothing feeds it")
    feeder, target = chain[-1].source, chain[-1].target
    t = in_window(events, window)
    t = t.filter(t.prospect.notnull())
    entries = t.filter(t.kind.isin(list(feeder.kinds)))
    entered = entries.group_by("prospect").aggregate(
        rep=entries.rep.argmin(entries.at), entered=entries.at.min()
    )
    hits = t.filter(t.kind.isin(list(target.kinds)))
    hits = hits.select(hit_prospect=hits.prospect, hit_at=hits.at)
    outs = t.filter(t.kind.isin(list(target.tracks))) if target.tracks else None
    joined = entered.left_join(
        hits, [entered.prospect == hits.hit_prospect, hits.hit_at >= entered.entered]
    )
    reached = joined.group_by(["rep", "prospect", "entered"]).aggregate(reached=joined.hit_at.min())
    if outs is None:
        return reached.mutate(closed=ibis.null("timestamp"))
    outs = outs.select(out_prospect=outs.prospect, out_at=outs.at)
    closed = reached.left_join(
        outs, [reached.prospect == outs.out_prospect, outs.out_at >= reached.entered]
    )
    return closed.group_by(["rep", "prospect", "entered", "reached"]).aggregate(
        closed=closed.out_at.min()
    )
