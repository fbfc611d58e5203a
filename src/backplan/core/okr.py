"""Objectives and key results: progress from events, team targets split fairly.

Key results are counts (or revenue) at funnel stages. Progress compares what
was done to date with what the agreed plan expected by now; leading key
results (activity, high in the funnel) move before lagging ones (results),
so the funnel links them: a lagging result that is behind while its leading
activity is on pace points at a conversion, not at effort.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from backplan.core.errors import InvalidObjective
from backplan.core.funnel import Funnel

ON_PACE_TOLERANCE = 0.9
"""Within 90% of the planned pace to date counts as on pace."""


class Pace(StrEnum):
    AHEAD = "ahead"
    ON_PACE = "on_pace"
    BEHIND = "behind"
    MET = "met"
    NOT_STARTED = "not_started"
    """No working time of the period has passed yet (e.g. 07:40 on its first day)."""


@dataclass(frozen=True)
class KeyResultProgress:
    """One key result's progress at a point in the period."""

    stage: str
    target: int
    actual: int
    expected_to_date: float
    leading: bool
    share_elapsed: float = 1.0
    """The share of the period's working time passed when progress was measured."""

    @property
    def share_done(self) -> float:
        return self.actual / self.target

    @property
    def pace(self) -> Pace:
        if self.actual >= self.target:
            return Pace.MET
        if self.share_elapsed <= 0:
            return Pace.AHEAD if self.actual > 0 else Pace.NOT_STARTED
        if self.expected_to_date <= 0 or self.actual >= self.expected_to_date:
            return Pace.AHEAD if self.actual > self.expected_to_date else Pace.ON_PACE
        if self.actual >= ON_PACE_TOLERANCE * self.expected_to_date:
            return Pace.ON_PACE
        return Pace.BEHIND


def progress(
    targets: Mapping[str, int],
    actual: Mapping[str, int],
    funnel: Funnel,
    *,
    objective_stage: str,
    elapsed_days: float,
    working_days: int,
) -> list[KeyResultProgress]:
    """Progress of each key result (stage → target) against the planned pace.

    Stages above the objective's stage are leading; the objective's own
    stage (and any below it) are lagging. ``elapsed_days`` counts working time,
    so part of today counts as part of a day.

    >>> from backplan.defaults import funnel
    >>> [p.pace.value for p in progress({"dials": 1200, "sqls": 4}, {"dials": 700, "sqls": 1},
    ...     funnel("outbound"), objective_stage="sqls", elapsed_days=10, working_days=20)]
    ['ahead', 'behind']
    >>> [p.pace.value for p in progress({"sqls": 4}, {}, funnel("outbound"),
    ...     objective_stage="sqls", elapsed_days=0, working_days=20)]
    ['not_started']
    """
    if working_days <= 0:
        raise InvalidObjective("a period needs at least one working day to measure progress in")
    share = min(max(elapsed_days, 0), working_days) / working_days
    boundary = funnel.index(objective_stage)
    return [
        KeyResultProgress(
            stage=stage,
            target=target,
            actual=int(actual.get(stage, 0)),
            expected_to_date=round(target * share, 1),
            leading=funnel.index(stage) < boundary,
            share_elapsed=share,
        )
        for stage, target in sorted(targets.items(), key=lambda kv: funnel.index(kv[0]))
    ]


def split_weights(days: Mapping[str, int], paces: Mapping[str, float]) -> dict[str, float]:
    """Each rep's weight in a split of a team target: their capacity, working days × own pace.

    ``days`` are each rep's working days in the period (holidays and their time
    off removed); ``paces`` their units per working day at the main result's
    stage over a reference window. A rep with no history (pace 0 or missing: new,
    or no events yet) is weighed at the median pace of the reps who have one, or
    at 1.0 when nobody has, so a newcomer gets a typical share rather than none.

    >>> split_weights({"ana": 20, "ben": 10, "cy": 20}, {"ana": 2.0, "ben": 4.0, "cy": 0.0})
    {'ana': 40.0, 'ben': 40.0, 'cy': 60.0}
    """
    known = [paces[rep] for rep in days if paces.get(rep, 0.0) > 0]
    typical = statistics.median(known) if known else 1.0
    return {rep: n * (paces.get(rep, 0.0) or typical) for rep, n in days.items()}


def split_target(target: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split a team's whole-unit target across reps in proportion to ``weights``.

    Largest remainders, so the parts add up exactly to the target; ties go to
    the earlier name, so the split is deterministic.

    >>> split_target(10, {"ana": 1, "ben": 1, "cy": 1})
    {'ana': 4, 'ben': 3, 'cy': 3}
    """
    if target < 0:
        raise InvalidObjective(f"a team target cannot be negative ({target})")
    total = sum(weights.values())
    if not weights or total <= 0 or any(w < 0 for w in weights.values()):
        raise InvalidObjective("split a team target over at least one rep with a positive weight")
    exact = {rep: target * w / total for rep, w in weights.items()}
    parts = {rep: math.floor(x) for rep, x in exact.items()}
    left = target - sum(parts.values())
    by_remainder = sorted(exact, key=lambda rep: (-(exact[rep] - parts[rep]), rep))
    for rep in by_remainder[:left]:
        parts[rep] += 1
    return parts


def least_target_for_all(weights: Mapping[str, float]) -> int:
    """The smallest whole target whose split (:func:`split_target`) gives every rep at least 1.

    >>> least_target_for_all({"ana": 1, "ben": 1, "cy": 4})
    4
    """
    target = len(weights)
    while min(split_target(target, weights).values()) < 1:
        target += 1  # ends by total / smallest weight, where every exact share is at least 1
    return target


def roll_up(targets: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """A team's key results as the sum of its reps' (rep → stage → target)."""
    total: dict[str, int] = {}
    for rep_targets in targets.values():
        for stage, target in rep_targets.items():
            total[stage] = total.get(stage, 0) + target
    return total
