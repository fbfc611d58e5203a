"""The events behind a figure: one stage's events of some reps in a window, newest first.

A count on a page ("37 conversations so far") drills down to these rows, each with the
CRM's own id, so a figure can always be checked against the system it came from.

>>> import backplan.defaults
>>> from backplan.core.period import Period
>>> from backplan.metrics.sample import events_table
>>> events = events_table([("ann", "2026-01-05", "dial"), ("ann", "2026-01-06", "connect"),
...                        ("bob", "2026-01-07", "connect")])
>>> found = stage_events(events, backplan.defaults.funnel("outbound"), "conversations",
...                      Period.month(2026, 1), ["ann"])
>>> found.select("rep", "kind").to_pandas().to_dict("records")
[{'rep': 'ann', 'kind': 'connect'}]
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from backplan.core.funnel import Funnel
from backplan.core.period import Period
from backplan.metrics.counts import in_window

COLUMNS = ("event_id", "rep", "at", "kind", "prospect", "source", "amount")


def stage_events(
    events: ir.Table, funnel: Funnel, stage: str, window: Period, reps: Sequence[str]
) -> ir.Table:
    """The events that count at ``stage`` for ``reps`` in ``window``, newest first."""
    kinds = list(funnel.stage(stage).kinds)
    window_events = in_window(events, window)
    found = window_events.filter(
        window_events["kind"].isin(kinds), window_events["rep"].isin(list(reps))
    )
    return found.select(*COLUMNS).order_by([found["at"].desc(), found["event_id"]])


def page_of(found: ir.Table, first: int, size: int) -> ir.Table:
    """Rows ``first`` to ``first + size - 1`` (from 0) of :func:`stage_events`, newest first.

    Numbered by a window over the same order rather than an offset: Ibis compiles an offset
    on Spark to a row number over no order, which may page through the rows in any order.
    """
    numbered = found.mutate(n=ibis.row_number().over(order_by=[found.at.desc(), found.event_id]))
    page = numbered.filter(numbered.n >= first, numbered.n < first + size)
    return page.order_by(page.n).select(*COLUMNS)
