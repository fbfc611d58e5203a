"""Periods nest: with no objective set for a quarter itself, the quarter's is the sum of its
months'; a year's is its quarters' (or months' where a quarter has none).

The largest parts are taken first and a part inside one already taken is not counted again,
so a year with a Q4 objective and October's does not count October twice.
"""

from __future__ import annotations

from backplan.config import Settings
from backplan.core.period import Period
from backplan.services.okr.objectives import list_objectives
from backplan.services.okr.views import KeyResultView, ObjectiveView, OwnerKind


def rolled_up(
    settings: Settings, kind: OwnerKind, owner: str, period: Period
) -> ObjectiveView | None:
    """An unsaved objective (id 0) for ``period`` made of the owner's objectives inside it at
    the first part's stage; a team's reps are rolled up the same way. None without parts."""
    parts = _parts(settings, kind, owner, period)
    if not parts:
        return None
    first = parts[0]
    same = [p for p in parts if p.main.stage == first.main.stage]
    revenues = [p.main.revenue for p in same]
    main = KeyResultView(
        first.main.stage,
        sum(p.main.target for p in same),
        None if None in revenues else sum(r for r in revenues if r is not None),
        first.main.deal_value,
    )
    children = []
    if kind == "team":
        reps = sorted({c.owner for p in same for c in p.children})
        children = [c for rep in reps if (c := rolled_up(settings, "rep", rep, period))]
    labels = ", ".join(p.period.label for p in same)
    return ObjectiveView(
        id=0,
        text=f"{main.text} in {period.label}: the sum of {labels}",
        owner_kind=kind,
        owner=first.owner,
        owner_name=first.owner_name,
        team=first.team,
        period=period,
        funnel=first.funnel,
        key_results=[main],
        children=children,
    )


def _parts(settings: Settings, kind: OwnerKind, owner: str, period: Period) -> list[ObjectiveView]:
    """The owner's objectives for periods inside ``period``, none inside another, by date."""
    found = list_objectives(settings, **{kind: owner}, period=period)
    inside = [
        o
        for o in found
        if o.owner_kind == kind
        and period.start <= o.period.start
        and o.period.end <= period.end
        and o.period != period
    ]
    inside.sort(key=lambda o: (o.period.start - o.period.end, o.period.start, -o.id))
    taken: list[ObjectiveView] = []
    for o in inside:
        if all(o.period.end < t.period.start or t.period.end < o.period.start for t in taken):
            taken.append(o)
    return sorted(taken, key=lambda o: o.period.start)
