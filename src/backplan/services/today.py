"""A rep's day: the controllable daily number for today and this week, what is done so far
(from events), pace on the working time elapsed, and a plan waiting to be agreed.

The daily number is the plan's focus stage ("4 conversations a working day"), from the plan
the rep agreed for the objective in force today, else the newest proposal; the raw volume at
the top of the funnel comes second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from backplan.config import Settings
from backplan.core.errors import NoData
from backplan.core.funnel import Funnel
from backplan.core.okr import KeyResultProgress
from backplan.core.period import Period, WorkingCalendar
from backplan.services.coaching_views import current_focuses
from backplan.services.okr import (
    ObjectiveView,
    PlanView,
    find_objective,
    owner_calendar,
    owner_counts,
)
from backplan.services.planning import resolve_funnel

T = TypeVar("T")


def computed(parts: tuple[object, ...], compute: Callable[[], T]) -> T:
    """Compute now: how :func:`rep_today` gets what it reads from events, unless the caller
    keeps answers between requests (the web's ``RatesCache.kept``, under the data's state)."""
    return compute()


@dataclass(frozen=True)
class StageDay:
    """One stage of the plan seen today: the number a working day and how it is going."""

    stage: str
    label: str
    unit: str
    plural: str
    per_working_day: float
    per_period: int
    today: int
    this_week: int
    week_target: float
    to_date: int
    expected_to_date: float
    pace: str  # as objectives read it (core.okr.Pace): ahead, on_pace, behind, met, not_started


@dataclass(frozen=True)
class RepToday:
    """What a rep sees first: today's numbers from the plan in force, and what waits for them."""

    rep: str
    as_of: date
    objective: ObjectiveView | None
    plan: PlanView | None
    daily: StageDay | None
    """The focus stage: the number the rep controls."""
    volume: StageDay | None
    """The top of the funnel, when it is not the focus."""
    waiting: PlanView | None
    """A proposal not yet agreed."""
    elapsed_days: float
    working_days: int
    notes: list[str]
    coaching: list[dict[str, Any]] = field(default_factory=list)
    """The rep's current coaching focuses, each with its verdict so far."""


def rep_today(
    settings: Settings, rep: str, as_of: date | None = None, *, keep: Callable[..., Any] = computed
) -> RepToday:
    """The rep's day as of now (by the organisation's clock) or the end of ``as_of``, with
    their coaching focus. ``keep(parts, compute)`` gives what is read from the events (the
    counts, the focuses' reviews): only the time of day is read afresh on every call."""
    found = _rep_day(settings, rep, as_of, keep)
    focuses = keep(
        ("focuses", rep, found.as_of), lambda: current_focuses(settings, rep, found.as_of)
    )
    return replace(found, coaching=focuses)


def _rep_day(
    settings: Settings, rep: str, as_of: date | None, keep: Callable[..., Any]
) -> RepToday:
    day, day_done = settings.clock.as_of(as_of)
    objective, calendar = keep(("today objective", rep, day), lambda: _in_force(settings, rep, day))
    if objective is None or calendar is None:
        note = f"no objective for {day:%B %Y} yet: your manager sets one on the OKRs page"
        return RepToday(rep, day, None, None, None, None, None, 0.0, 0, [note])
    plan = objective.agreed_plan or objective.current_plan
    waiting = (
        objective.current_plan if objective.current_plan is not objective.agreed_plan else None
    )
    period = objective.period
    elapsed = calendar.elapsed(period, day, day_done)
    notes: list[str] = []
    if plan is None:
        notes.append("no plan yet: propose one from your own rates, then agree it")
        return RepToday(
            rep, day, objective, None, None, None, None, elapsed,
            calendar.working_days_in(period), notes,
        )  # fmt: skip
    funnel = resolve_funnel(settings, objective.funnel)
    parts = ("today counts", rep, objective.period, funnel, day)
    counts, missing = keep(parts, lambda: _counts(settings, objective, funnel, day))
    notes.extend(missing)
    stages = plan.figures.get("stages", [])
    focus = next((s for s in stages if s.get("focus")), stages[-1] if stages else None)
    top = stages[0] if stages else None
    share = elapsed / max(calendar.working_days_in(period), 1)
    week = _week_target_days(calendar, period, day)
    named = {s.key: s for s in funnel.stages}

    def seen(stage: dict[str, Any]) -> StageDay:
        key = stage["key"]
        expected = float(stage["per_period"]) * share
        done = int(counts["period"].get(key, 0))
        known = named[key]
        return StageDay(
            stage=key,
            label=str(stage["label"]),
            unit=known.unit,
            plural=known.plural,
            per_working_day=float(stage["per_working_day"]),
            per_period=int(stage["per_period"]),
            today=int(counts["today"].get(key, 0)),
            this_week=int(counts["week"].get(key, 0)),
            week_target=round(float(stage["per_working_day"]) * week, 1),
            to_date=done,
            expected_to_date=round(expected, 1),
            pace=KeyResultProgress(
                key, int(stage["per_period"]), done, expected, leading=True, share_elapsed=share
            ).pace.value,
        )

    daily = seen(focus) if focus else None
    volume = seen(top) if top and focus and top["key"] != focus["key"] else None
    return RepToday(
        rep, day, objective, plan, daily, volume, waiting, elapsed,
        calendar.working_days_in(period), notes,
    )  # fmt: skip


def _in_force(
    settings: Settings, rep: str, day: date
) -> tuple[ObjectiveView | None, WorkingCalendar | None]:
    """The objective in force on ``day`` and its owner's working calendar (days off)."""
    objective = _objective_today(settings, rep, day)
    return objective, owner_calendar(settings, objective) if objective else None


def _objective_today(settings: Settings, rep: str, day: date) -> ObjectiveView | None:
    """This month's objective, else the newest whose period holds ``day``."""
    month = Period.month(day.year, day.month)
    found = find_objective(settings, "rep", rep, period=month, day=day)
    return found or find_objective(settings, "rep", rep, period=None, day=day)


def _week_target_days(calendar: WorkingCalendar, period: Period, day: date) -> int:
    """Working days of ``day``'s week (Monday to Sunday) inside the period."""
    monday = day - timedelta(days=day.weekday())
    first, last = max(monday, period.start), min(monday + timedelta(days=6), period.end)
    return calendar.working_days_in(Period(first, last)) if first <= last else 0


def _counts(
    settings: Settings, objective: ObjectiveView, funnel: Funnel, day: date
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The rep's counts per stage today, this week (from Monday) and in the period so far,
    and a note when there are no events at all."""
    from backplan.metrics import open_events

    try:
        events = open_events(settings)
    except NoData:
        return {"today": {}, "week": {}, "period": {}}, ["no events imported yet: every count is 0"]
    monday = max(day - timedelta(days=day.weekday()), objective.period.start)

    def since(first: date) -> dict[str, float]:
        window = _within(objective, first)
        return owner_counts(settings, window, funnel, day, events=events)

    return {"today": since(day), "week": since(monday), "period": since(objective.period.start)}, []


def _within(objective: ObjectiveView, first: date) -> ObjectiveView:
    """The objective seen from ``first`` (owner_counts counts from its period's start)."""
    if first <= objective.period.start:
        return objective
    return replace(objective, period=Period(first, objective.period.end))


def today_to_dict(t: RepToday) -> dict[str, Any]:
    """The rep's day as JSON-ready data: ``daily`` (the number they control) first."""

    def stage(s: StageDay | None) -> dict[str, Any] | None:
        return None if s is None else {
            "stage": s.stage, "label": s.label, "unit": s.unit, "plural": s.plural,
            "per_working_day": s.per_working_day,
            "per_period": s.per_period, "today": s.today, "this_week": s.this_week,
            "week_target": s.week_target, "to_date": s.to_date,
            "expected_to_date": s.expected_to_date, "pace": s.pace,
        }  # fmt: skip

    o = t.objective
    return {
        "rep": t.rep,
        "as_of": t.as_of.isoformat(),
        "objective": None
        if o is None
        else {
            "id": o.id,
            "text": o.text,
            "period": o.period.label,
            "since": o.period.start.isoformat(),
            "funnel": o.funnel,
        },
        "plan": None if t.plan is None else {"id": t.plan.id, "status": t.plan.status},
        "daily": stage(t.daily),
        "volume": stage(t.volume),
        "waiting": None if t.waiting is None else {"id": t.waiting.id, "objective_id": o and o.id},
        "elapsed_days": round(t.elapsed_days, 2),
        "working_days": t.working_days,
        "notes": t.notes,
        "coaching": t.coaching,
    }
