"""Attempts per prospect before the first response, for cadence.

Responses often come on the 5th or 6th attempt. For each rep and prospect
first touched in the window, these expressions count the attempts (dials,
emails, social messages) up to and including the moment of the first
response (a connect). A prospect who never responded is *censored*: we know
only that the response, if any, needs more attempts than were made.

>>> from backplan.core.period import Period
>>> from backplan.metrics.sample import events_table
>>> events = events_table([
...     ("ann", "2026-01-05 09:00", "dial", "p1"), ("ann", "2026-01-06 09:00", "dial", "p1"),
...     ("ann", "2026-01-06 09:00", "connect", "p1"), ("ann", "2026-01-07 09:00", "dial", "p1"),
...     ("ann", "2026-01-05 10:00", "email", "p2"), ("ann", "2026-01-09 10:00", "dial", "p2")])
>>> a = attempts_per_prospect(events, Period.month(2026, 1)).order_by("prospect")
>>> a.select("prospect", "attempts", "responded").to_pandas().to_dict("records")
[{'prospect': 'p1', 'attempts': 2, 'responded': True}, {'prospect': 'p2', 'attempts': 2, 'responded': False}]
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from backplan.core.period import Period
from backplan.metrics.counts import Level, check_level, in_window, roster_table

ATTEMPT_KINDS: tuple[str, ...] = ("dial", "email", "social")
RESPONSE_KINDS: tuple[str, ...] = ("connect",)


def attempts_per_prospect(
    events: ir.Table,
    window: Period,
    *,
    attempts: Sequence[str] = ATTEMPT_KINDS,
    responses: Sequence[str] = RESPONSE_KINDS,
) -> ir.Table:
    """One row per rep and prospect first attempted in ``window``.

    Columns: ``rep``, ``prospect``, ``first_attempt``, ``attempts`` (made up
    to and including the first response, or all made if none came),
    ``responded`` (False: censored).
    """
    attempt_kinds, response_kinds = list(attempts), list(responses)
    t = events.filter(events.prospect.notnull(), events.kind.isin(attempt_kinds + response_kinds))
    is_attempt = t.kind.isin(attempt_kinds)
    first_response = t.at.min(where=t.kind.isin(response_kinds)).over(
        ibis.window(group_by=[t.rep, t.prospect])
    )
    t = t.mutate(is_attempt=is_attempt, first_response=first_response)
    counted = t.is_attempt & (t.first_response.isnull() | (t.at <= t.first_response))
    per_prospect = t.group_by(["rep", "prospect"]).aggregate(
        first_attempt=t.at.min(where=t.is_attempt),
        attempts=t.count(where=counted),
        responded=t.first_response.max().notnull(),
    )
    started = per_prospect.filter(per_prospect.first_attempt.notnull())
    return in_window(started, window, "first_attempt")


def attempt_counts(
    events: ir.Table,
    window: Period,
    *,
    level: Level = "rep",
    roster: pd.DataFrame | None = None,
    attempts: Sequence[str] = ATTEMPT_KINDS,
    responses: Sequence[str] = RESPONSE_KINDS,
) -> ir.Table:
    """How many prospects got each number of attempts, split by whether they responded.

    Columns: the level's keys, ``attempts``, ``responded``, ``prospects``:
    the input of a response curve by attempt number, with censoring.
    """
    check_level(level)
    per_prospect = attempts_per_prospect(events, window, attempts=attempts, responses=responses)
    keys = ["attempts", "responded"]
    if level == "organisation":
        grouped = per_prospect.group_by(keys).aggregate(prospects=per_prospect.count())
        return grouped.order_by(keys)
    people = roster_table(roster)
    joined = per_prospect.left_join(people, per_prospect.rep == people.rep).select(
        per_prospect, team=people.team
    )
    group = ["rep", *keys] if level == "rep" else ["team", *keys]
    return joined.group_by(group).aggregate(prospects=joined.count()).order_by(group)


def simultaneous_attempts(
    events: ir.Table, window: Period, reps: Sequence[str] | None = None,
    attempts: Sequence[str] = ATTEMPT_KINDS,
) -> ir.Table:  # fmt: skip
    """How many attempts in ``window`` (of ``reps``, or everyone's) share their prospect and
    their exact time with another attempt: one row, ``attempts`` and ``simultaneous``.

    Many of them mean the events were stamped in bulk (an export's date without its time,
    or a sequence logged at once), so attempt numbers say nothing about a cadence.
    """
    t = in_window(events, window)
    t = t.filter(t.prospect.notnull(), t.kind.isin(list(attempts)))
    if reps is not None:
        t = t.filter(t.rep.isin(list(reps)))
    stamps = t.group_by(["rep", "prospect", "at"]).aggregate(n=t.count())
    # A sum over no rows is null, which engines hand back differently (None, NaN): say 0.
    return stamps.aggregate(
        attempts=stamps.n.sum().fill_null(0),
        simultaneous=stamps.n.sum(where=stamps.n > 1).fill_null(0),
    )
