"""Build a rep's plan from what a user typed or wrote in a plan file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field

from backplan.config import Settings
from backplan.core.errors import InvalidPeriod, InvalidRate, MissingRate, NoData, ObjectiveInPast
from backplan.core.funnel import Funnel
from backplan.core.objective import Objective
from backplan.core.period import Calendar, FixedWorkingDays, Period
from backplan.core.plan import (
    DEFAULT_IMPROVEMENT,
    DEFAULT_LEVEL,
    Gain,
    Plan,
    Rates,
    marginal_gains,
    plan_backwards,
)
from backplan.core.rate import Rate
from backplan.defaults.definitions import StrictSpec, load_funnel, read_toml, validate
from backplan.services.calendars import working_calendar
from backplan.services.deal_value import stored_deal_value
from backplan.services.definitions import organisation_funnel


@dataclass
class PlanRequest:
    """Everything a plan is built from, as a person gives it (text, not objects)."""

    objective: str
    rates: dict[str, str] = field(default_factory=dict)
    funnel: str = "outbound"
    period: str | None = None
    since: date | None = None
    until: date | None = None
    working_days: int | None = None
    deal_value: float | None = None
    time_off: list[date] = field(default_factory=list)
    improvement: float = DEFAULT_IMPROVEMENT
    level: float = DEFAULT_LEVEL
    rep: str | None = None
    rates_since: date | None = None
    rates_until: date | None = None


@dataclass(frozen=True)
class RatesFromData:
    """Where a plan's estimated rates came from: whose data, over which window."""

    rep: str
    name: str
    team: str | None
    window: Period
    rates: dict[str, Rate]
    overridden: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedObjective:
    """A plan with its marginal-gains ranking and the calendar it was spread over."""

    plan: Plan
    gains: list[Gain]
    calendar: Calendar
    improvement: float
    rates_from: RatesFromData | None = None
    deal_value_note: str | None = None
    """Where the average deal value came from when it was not given (the stored won deals)."""


class PlanFileSpec(StrictSpec):
    """A plan file: the same fields as the command line, in TOML."""

    objective: str | None = None
    funnel: str | None = None
    period: str | None = None
    since: date | None = None
    until: date | None = None
    working_days: int | None = Field(default=None, ge=1)
    deal_value: float | None = Field(default=None, gt=0)
    time_off: list[date] = []
    improvement: float | None = Field(default=None, gt=0)
    rates: dict[str, float | str] = {}


def read_plan_file(path: Path) -> PlanFileSpec:
    data, text = read_toml(path)
    return validate(PlanFileSpec, data, text, str(path))


def resolve_funnel(settings: Settings, name: str | None = None) -> Funnel:
    """A funnel by name (the organisation's version, else the shipped one), or from a TOML path;
    none: the settings' funnel (``BACKPLAN_FUNNEL``), the one default for every use case.

    Only the command line and the Python API pass paths; the web passes names it checked.
    """
    name = name or settings.funnel
    if name.endswith(".toml") or "/" in name:
        return load_funnel(Path(name))
    return organisation_funnel(settings, name)


def resolve_period(request: PlanRequest, today: date) -> Period:
    if request.since or request.until:
        if not (request.since and request.until):
            raise InvalidPeriod(
                "give both the first and the last day, or a period",
                command="--since and --until, or --period",
            )
        return Period(request.since, request.until)
    return Period.parse(request.period or "month", today)


def parse_rates(rates: dict[str, str], funnel: Funnel) -> dict[str, Rate]:
    """``{"conversations/dials": "0.07"}`` as rates, each checked against the funnel."""
    parsed = {}
    for key, value in rates.items():
        conversion = funnel.conversion(key.strip())
        parsed[conversion.key] = Rate.parse(str(value))
    return parsed


def parse_rate_option(text: str) -> tuple[str, str]:
    """``conversations/dials=0.07`` as a (conversion, value) pair."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise InvalidRate(
            f"cannot read --rate {text!r}; write TO/FROM=VALUE, e.g. conversations/dials=0.07"
        )
    return key.strip(), value.strip()


def calendar_for(request: PlanRequest, period: Period, settings: Settings) -> Calendar:
    if request.working_days is not None:
        return FixedWorkingDays(request.working_days)
    years = range(period.start.year, period.end.year + 1)
    return working_calendar(settings.country, settings.subdivision, years, request.time_off)


def build_plan(
    request: PlanRequest, settings: Settings, today: date, rates: Rates | None = None
) -> PlannedObjective:
    """The plan for ``request``; ``rates`` (e.g. estimated from data) fill in what it lacks."""
    funnel = resolve_funnel(settings, request.funnel)
    period = resolve_period(request, today)
    if period.end < today:
        raise ObjectiveInPast(
            f"period {period.label} ended on {period.end}; plan for a current or future period "
            "(e.g. --period month or --period quarter)"
        )
    deal_value, deal_value_note = request.deal_value, None
    if deal_value is None and Objective.is_revenue(request.objective):
        stored = stored_deal_value(settings, today, request.rep)
        if stored is not None:
            deal_value, deal_value_note = stored.value, stored.note()
    objective = Objective.parse(request.objective, funnel, period, deal_value)
    given = parse_rates(request.rates, funnel)
    needed = [c.key for c in funnel.conversions(down_to=objective.stage)]
    typed = all(key in given for key in needed)  # typed rates need no history
    source = (
        _rates_from_data(request, settings, today, given) if request.rep and not typed else None
    )
    estimated = source.rates if source else {}
    all_rates = {**(rates or {}), **estimated, **given}
    if source is not None:
        _check_estimated(source, funnel, objective, all_rates)
    calendar = calendar_for(request, period, settings)
    plan = plan_backwards(objective, funnel, all_rates, calendar, level=request.level)
    gains = marginal_gains(objective, funnel, all_rates, calendar, improvement=request.improvement)
    return PlannedObjective(plan, gains, calendar, request.improvement, source, deal_value_note)


def _check_estimated(
    source: RatesFromData, funnel: Funnel, objective: Objective, rates: dict[str, Rate]
) -> None:
    """A conversion the data could not estimate is named with why, before planning fails."""
    for conversion in funnel.conversions(down_to=objective.stage):
        if conversion.key not in rates:
            raise MissingRate(
                f"no rate for {conversion.key} from {source.name}'s data: no "
                f"{conversion.source.plural} anywhere in {source.window.label}; give a rate "
                "for it (e.g. 0.25) or measure the rates over another window",
                command=f"--rate {conversion.key}=0.25, or --rates-since and --rates-until",
            )


def _rates_from_data(
    request: PlanRequest, settings: Settings, today: date, given: dict[str, Rate]
) -> RatesFromData:
    """The rep's rates estimated over the window asked for (default: the last full quarter)."""
    from backplan.services.rates import rates_window, rep_rates  # loads Ibis: only when needed

    assert request.rep is not None
    window = rates_window(request.rates_since, request.rates_until, today)
    notes: list[str] = []
    try:
        found = rep_rates(settings, request.rep, request.funnel, window, level=request.level)
    except NoData:
        if request.rates_since or request.rates_until:
            raise
        # A new organisation: plan on the history there is, and say so.
        window = Period(window.start, today)
        found = rep_rates(settings, request.rep, request.funnel, window, level=request.level)
        notes.append(
            f"no events in the last full quarter: rates from {window.start} to {today}, the "
            "history there is; on so few events their ranges are wide"
        )
    overridden = tuple(k for k in found.rates if k in given)
    estimated = [k for k in found.rates if k not in given]
    notes.extend(found.report.notes_for(estimated))
    return RatesFromData(
        found.rep, found.name, found.team, window, found.rates, overridden, tuple(notes)
    )


def plan_to_dict(planned: PlannedObjective) -> dict[str, Any]:
    """The plan as JSON-ready data: the same figures the table shows."""
    plan = planned.plan
    o = plan.objective
    return {
        "objective": {
            "stage": o.stage,
            "target": o.target,
            "revenue": o.revenue,
            "deal_value": o.deal_value,
            "deal_value_from": planned.deal_value_note or ("given" if o.deal_value else None),
            "text": o.describe(),
        },
        "funnel": plan.funnel.key,
        "period": {
            "label": o.period.label,
            "start": o.period.start.isoformat(),
            "end": o.period.end.isoformat(),
            "working_days": plan.working_days,
            "weeks": round(plan.weeks, 2),
        },
        "focus": plan.focus.key if plan.focus else None,
        "level": plan.level if plan.has_intervals else None,
        "stages": [
            {
                "key": t.key,
                "label": t.stage.label,
                "per_period": t.per_period,
                "per_week": t.per_week,
                "per_working_day": t.per_working_day,
                "low": t.low,
                "high": t.high,
                "focus": t.stage.focus,
            }
            for t in plan.stages
        ],
        "steps": [
            {
                "conversion": s.conversion.key,
                "rate": float(s.rate.value),
                "needed": s.needed,
                "needed_at": s.conversion.target.key,
                "result": s.result,
                "result_at": s.conversion.source.key,
                "text": s.text,
            }
            for s in plan.steps
        ],
        "reasoning": plan.reasoning,
        "rates_from": _rates_from_dict(planned.rates_from),
        "marginal_gains": {
            "improvement": planned.improvement,
            "ranking": [gain_to_dict(g, rank) for rank, g in enumerate(planned.gains, 1)],
        },
    }


def _rates_from_dict(source: RatesFromData | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "rep": source.rep,
        "name": source.name,
        "team": source.team,
        "since": source.window.start.isoformat(),
        "until": source.window.end.isoformat(),
        "rates": [
            {
                "conversion": key,
                "successes": rate.successes,
                "trials": rate.trials,
                "estimate": round(float(rate.value), 6),
                "low": rate.low,
                "high": rate.high,
                "level": rate.level,
                "overridden": key in source.overridden,
            }
            for key, rate in source.rates.items()
        ],
        "notes": list(source.notes),
    }


def gain_to_dict(gain: Gain, rank: int) -> dict[str, Any]:
    return {
        "rank": rank,
        "conversion": gain.conversion.key,
        "from": gain.conversion.source.key,
        "to": gain.conversion.target.key,
        "rate": float(gain.rate.value),
        "improved_rate": float(gain.improved.value),
        "saved": gain.saved,
        "saved_per_working_day": gain.saved_per_working_day,
        "hours_saved": round(gain.hours_saved, 1),
    }
