"""Following an objective from events: each key result's actual to date against the plan's pace.

The owner's counts come from the metrics layer, their working time from
their calendar (a rep's own time off counts); the pace rule itself is
``core.okr.progress``.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from backplan.config import Settings
from backplan.core import okr
from backplan.core.errors import NoData
from backplan.core.funnel import Funnel
from backplan.core.period import Period, WorkingCalendar
from backplan.services.calendars import working_calendar
from backplan.services.okr.objectives import get_objective, rep_days_off
from backplan.services.okr.views import KeyResultStatus, ObjectiveProgress, ObjectiveView
from backplan.services.planning import resolve_funnel


def progress(
    settings: Settings,
    objective_id: int,
    as_of: date | None = None,
    *,
    events: ir.Table | None = None,
) -> ObjectiveProgress:
    """Actual to date (from events, up to the end of ``as_of``) against the planned pace.

    Without ``as_of`` it is now, by the organisation's clock: the part of today's office
    hours that has passed counts as part of a working day.

    Leading key results are the stages above the main result's; besides the
    stated key results, the current plan's volume at each stage above counts
    as a leading key result (``from_plan``), so the funnel links effort to results.
    """
    objective = get_objective(settings, objective_id)
    funnel = resolve_funnel(settings, objective.funnel)
    period = objective.period
    calendar = owner_calendar(settings, objective)
    working_days = calendar.working_days_in(period)
    as_of, day_done = settings.clock.as_of(as_of)
    elapsed = calendar.elapsed(period, as_of, day_done)
    notes: list[str] = []
    counts = owner_counts(settings, objective, funnel, as_of, events=events, notes=notes)
    targets = {kr.stage: kr.target for kr in objective.key_results}
    from_plan = _plan_targets(objective, funnel, exclude=set(targets))
    statuses = okr.progress(
        {**from_plan, **targets},
        {s.key: int(counts.get(s.key, 0)) for s in funnel.stages},
        funnel,
        objective_stage=objective.main.stage,
        elapsed_days=elapsed,
        working_days=working_days,
    )
    revenue = {kr.stage: kr.revenue for kr in objective.key_results if kr.revenue is not None}
    value_stage = funnel.value_stage
    rows = [
        KeyResultStatus(
            stage=s.stage,
            target=s.target,
            actual=s.actual,
            expected_to_date=s.expected_to_date,
            leading=s.leading,
            pace=s.pace.value,
            from_plan=s.stage in from_plan,
            revenue=revenue.get(s.stage),
            revenue_to_date=(
                float(counts.get(f"{s.stage}_value", 0.0))
                if value_stage is not None and s.stage == value_stage.key
                else None
            ),
        )
        for s in statuses
    ]
    notes.extend(_link_note(rows))
    return ObjectiveProgress(objective, as_of, elapsed, working_days, rows, notes)


def _link_note(rows: list[KeyResultStatus]) -> list[str]:
    """Read leading and lagging together: effort on pace with results behind is a conversion."""
    leading = [r for r in rows if r.leading]
    lagging = [r for r in rows if not r.leading and r.pace == "behind"]
    if not leading or not lagging:
        return []
    if all(r.pace != "behind" for r in leading):
        return [
            f"activity is on pace but {', '.join(r.stage for r in lagging)} behind: the gap is in "
            "a conversion, not in effort (see backplan rates)"
        ]
    behind = [r.stage for r in leading if r.pace == "behind"]
    return [f"{', '.join(behind)} behind the planned pace: results will follow effort"]


def _plan_targets(objective: ObjectiveView, funnel: Funnel, exclude: set[str]) -> dict[str, int]:
    plan = objective.current_plan
    if plan is None:
        return {}
    boundary = funnel.index(objective.main.stage)
    return {
        s["key"]: int(s["per_period"])
        for s in plan.figures["stages"]
        if s["key"] not in exclude and funnel.index(s["key"]) < boundary
    }


def owner_counts(
    settings: Settings,
    objective: ObjectiveView,
    funnel: Funnel,
    as_of: date,
    *,
    events: ir.Table | None = None,
    notes: list[str] | None = None,
) -> dict[str, float]:
    """The owner's counts per stage (and deal value) from the period's start to ``as_of``."""
    from backplan.metrics import Level, open_events, stage_counts
    from backplan.services.rates import load_roster

    period = objective.period
    if as_of < period.start:
        return {}
    window = Period(period.start, min(as_of, period.end))
    try:
        table = open_events(settings) if events is None else events
    except NoData:
        if notes is not None:
            notes.append("no events imported yet: every count is 0")
        return {}
    roster = load_roster(settings)
    level: Level = "rep" if objective.owner_kind == "rep" else "team"
    frame = stage_counts(table, funnel, window, level=level, roster=roster).to_pandas()
    mine = frame[frame[level] == objective.owner]
    columns = [c for c in frame.columns if c not in ("rep", "name", "team")]
    return {c: float(mine[c].sum()) for c in columns}


def owner_calendar(settings: Settings, objective: ObjectiveView) -> WorkingCalendar:
    """The working days of the objective's owner (a rep's own time off counts)."""
    days_off = rep_days_off(settings, objective.owner) if objective.owner_kind == "rep" else []
    years = range(objective.period.start.year, objective.period.end.year + 1)
    return working_calendar(settings.country, settings.subdivision, years, days_off)
