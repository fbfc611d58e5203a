"""Where a rep's or a team's period will land: the forecast behind ``backplan forecast``.

For a rep: the counts to date, the working days left (their time off
counts), the rates of their agreed plan (else their proposed plan, else
estimated from their data over the last full quarter), the plan's pace as
the prior pace, and their open pipeline feed :func:`backplan.core.forecast.forecast`.
A team's forecast is the sum of its reps', draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from backplan.config import Settings
from backplan.core.errors import InvalidObjective, UnknownObjective
from backplan.core.forecast import (
    DEFAULT_COVERAGE_BAR,
    Forecast,
    OpenUnits,
    combine,
    forecast,
    histogram,
    shock_draws,
)
from backplan.core.funnel import Funnel
from backplan.core.objective import Objective
from backplan.core.period import Period
from backplan.core.rate import Rate
from backplan.services import okr
from backplan.services.forecast_inputs import PipelineInputs, activity_inputs, pipeline_inputs
from backplan.services.okr import ObjectiveView, OwnerKind
from backplan.services.planning import resolve_funnel

FORECAST_DRAWS = 20_000
TEAM_SHOCK_SEED = 10_007


@dataclass
class ForecastRequest:
    """What to forecast: one owner and, optionally, an objective as ``plan`` takes it.

    Without ``objective`` the owner's stored objective for ``period`` (or,
    without a period, the one running on the day asked about) is used.
    """

    rep: str | None = None
    team: str | None = None
    objective: str | None = None
    period: str | None = None
    funnel: str | None = None
    deal_value: float | None = None
    objective_id: int | None = None
    level: float = 0.8
    coverage_bar: float = DEFAULT_COVERAGE_BAR
    draws: int = FORECAST_DRAWS
    seed: int = 0


@dataclass(frozen=True)
class RepForecast:
    rep: str
    name: str
    target: int | None
    forecast: Forecast
    rates_from: str
    planned_pace: float | None


@dataclass(frozen=True)
class PeriodForecast:
    """The forecast with what it was made from."""

    owner_kind: OwnerKind
    owner: str
    owner_name: str
    objective: Objective
    objective_text: str
    objective_id: int | None
    as_of: date
    elapsed_days: float
    funnel: Funnel
    forecast: Forecast
    reps: list[RepForecast] = field(default_factory=list)

    @property
    def rates_from(self) -> str:
        sources = sorted({r.rates_from for r in self.reps})
        return "; ".join(sources)


def forecast_period(
    settings: Settings,
    request: ForecastRequest,
    as_of: date | None = None,
    *,
    events: ir.Table | None = None,
) -> PeriodForecast:
    """Forecast the period of a rep's or team's objective as seen at the end of ``as_of``
    (none: now, by the organisation's clock, with the part of today's office hours passed)."""
    from backplan.metrics import open_events

    as_of, day_done = settings.clock.as_of(as_of)
    kind, owner = _owner(request)
    stored = _stored_objective(settings, request, kind, owner, as_of)
    funnel = resolve_funnel(settings, request.funnel or (stored.funnel if stored else None))
    if request.objective:
        period = (
            Period.parse(request.period, as_of)
            if request.period
            else (stored.period if stored else Period.parse("month", as_of))
        )
        objective = Objective.parse(request.objective, funnel, period, request.deal_value)
        text = objective.describe()
    else:
        assert stored is not None
        main = stored.main
        objective = Objective(
            main.stage, main.target, stored.period, revenue=main.revenue, deal_value=main.deal_value
        )
        text = stored.text
    table = open_events(settings) if events is None else events
    if stored is None:
        stored = _ad_hoc_view(settings, kind, owner, objective, funnel)
    reps = _members(settings, stored)
    context = _Context(settings, funnel, objective, (as_of, day_done), table, request)
    if kind == "team":  # one shock the whole team shares, draw by draw
        rng = np.random.default_rng(request.seed + TEAM_SHOCK_SEED)
        context.shock = shock_draws(context.activity.team_shock, request.draws, rng)
    parts = [context.rep_forecast(member, seed=request.seed + i) for i, member in enumerate(reps)]
    if kind == "rep":
        result = parts[0].forecast
        result = _retarget(result, objective.target, request.coverage_bar)
    else:
        result = combine(
            [p.forecast for p in parts], objective.target, coverage_bar=request.coverage_bar
        )
    calendar = okr.owner_calendar(settings, stored)
    elapsed = calendar.elapsed(objective.period, as_of, day_done)
    return PeriodForecast(
        owner_kind=kind,
        owner=stored.owner,
        owner_name=stored.owner_name,
        objective=objective,
        objective_text=text,
        objective_id=stored.id if stored.id > 0 else None,
        as_of=as_of,
        elapsed_days=elapsed,
        funnel=funnel,
        forecast=result,
        reps=parts if kind == "team" else parts[:1],
    )


class _Context:
    """What every rep's forecast in one request shares: counts, pipeline and rates, fetched once."""

    def __init__(
        self,
        settings: Settings,
        funnel: Funnel,
        objective: Objective,
        seen: tuple[date, float],
        events: ir.Table,
        request: ForecastRequest,
    ) -> None:
        from backplan.metrics import stage_counts
        from backplan.services.calendars import working_calendar
        from backplan.services.rates import load_roster

        self.settings, self.funnel, self.objective = settings, funnel, objective
        (as_of, self.day_done), self.events, self.request = seen, events, request
        self.as_of = as_of
        period = objective.period
        self.roster = load_roster(settings)
        self.counts: dict[str, dict[str, int]] = {}
        if as_of >= period.start:
            window = Period(period.start, min(as_of, period.end))
            frame = stage_counts(events, funnel, window, roster=self.roster).to_pandas()
            for row in frame.to_dict("records"):
                self.counts[str(row["rep"])] = {s.key: int(row[s.key]) for s in funnel.stages}
        self.pipeline = PipelineInputs()
        if funnel.conversions(down_to=objective.stage) and as_of < period.end:
            # Every open unit with its age: the lag curve says what each is still worth.
            self.pipeline = pipeline_inputs(events, funnel, objective.stage, period, as_of)
        self.horizon_days = float(max((period.end - as_of).days, 0))
        calendar = working_calendar(
            settings.country,
            settings.subdivision,
            range(period.start.year - 1, period.end.year + 1),
        )
        self.activity = activity_inputs(events, funnel, period, calendar, self.roster)
        self.shock: float | NDArray[np.float64] = self.activity.team_shock
        self._report: Any = None
        self._paces: dict[str, float] | None = None

    def data_rates(self, rep: str) -> tuple[dict[str, Rate], str]:
        from backplan.services.rates import (
            RatesRequest,
            last_full_quarter,
            planning_rates,
            rates_report,
        )

        window = last_full_quarter(self.as_of)
        if self._report is None:
            ask = RatesRequest(self.funnel.key, window.start, window.end)
            self._report = rates_report(
                self.settings, ask, self.as_of, events=self.events, roster=self.roster
            )
        rates = planning_rates(self._report, rep, priors=True)
        return rates, f"data {window.label}"

    def history_pace(self, rep: str) -> float | None:
        """The rep's units a working day at the top of the funnel over the last full quarter:
        the pace a forecast starts from when no plan sets one (on day 1 nothing else does)."""
        if self._paces is None:
            from backplan.metrics import stage_counts
            from backplan.services.calendars import working_calendar
            from backplan.services.rates import last_full_quarter

            window = last_full_quarter(self.as_of)
            years = range(window.start.year, window.end.year + 1)
            days = working_calendar(
                self.settings.country, self.settings.subdivision, years
            ).working_days_in(window)
            frame = stage_counts(self.events, self.funnel, window, roster=self.roster).to_pandas()
            top = self.funnel.stages[0].key
            self._paces = {
                str(r): int(n) / days for r, n in zip(frame["rep"], frame[top], strict=True)
            }
        pace = self._paces.get(rep)
        return pace if pace else None

    def rep_forecast(self, member: ObjectiveView, *, seed: int) -> RepForecast:
        plan = member.current_plan if member.id > 0 else None
        if plan is not None:
            rates, source = okr.rates_from_evidence(plan.rates), f"{plan.status} plan {plan.id}"
        else:
            rates, source = self.data_rates(member.owner)
        calendar = okr.owner_calendar(self.settings, member)
        period = self.objective.period
        elapsed = calendar.elapsed(period, self.as_of, self.day_done)
        remaining = calendar.working_days_in(period) - elapsed
        feeder = self.funnel.conversions(down_to=self.objective.stage)
        ages = self.pipeline.open_ages.get(member.owner, [])
        pipeline: dict[str, OpenUnits] = {feeder[-1].source.key: ages} if feeder else {}
        lags = {feeder[-1].key: self.pipeline.lag} if feeder and self.pipeline.lag else None
        # A stored objective's, or a rolled-up one's; the roster's reps of a team have none.
        target = member.main.target if member.id > 0 or member.main.target > 0 else None
        result = forecast(
            self.objective.stage,
            target if target is not None else self.objective.target,
            self.funnel,
            rates,
            self.counts.get(member.owner, {}),
            elapsed_days=elapsed,
            remaining_days=max(remaining, 0),
            planned_pace=plan.planned_pace if plan else self.history_pace(member.owner),
            open_pipeline=pipeline,
            lags=lags,
            horizon_days=self.horizon_days,
            daily_dispersion=self.activity.daily_dispersion,
            team_shock=self.shock,
            coverage_bar=self.request.coverage_bar,
            level=self.request.level,
            draws=self.request.draws,
            seed=seed,
        )
        return RepForecast(
            member.owner,
            member.owner_name,
            target,
            result,
            source,
            plan.planned_pace if plan else None,
        )


def _owner(request: ForecastRequest) -> tuple[OwnerKind, str]:
    if bool(request.rep) == bool(request.team) and request.objective_id is None:
        raise InvalidObjective("forecast one owner: give --rep NAME or --team NAME")
    if request.rep:
        return "rep", request.rep
    if request.team:
        return "team", request.team
    return "rep", ""


def _stored_objective(
    settings: Settings, request: ForecastRequest, kind: OwnerKind, owner: str, as_of: date
) -> ObjectiveView | None:
    if request.objective_id is not None:
        return okr.get_objective(settings, request.objective_id)
    period = Period.parse(request.period, as_of) if request.period else None
    found = okr.find_objective(settings, kind, owner, period=period, day=as_of)
    if found is None and period is not None:  # a quarter of monthly objectives, say
        found = okr.rolled_up(settings, kind, owner, period)
    if found is None and not request.objective:
        when = period.label if period else f"the period holding {as_of}"
        raise UnknownObjective(
            f"{owner} has no objective for {when}: set one on the OKRs page, or give the "
            "objective to forecast",
            command=f"--objective '4 sqls', or backplan okr create --{kind} {owner!r} ...",
        )
    # With an objective typed in, a stored one still lends its plan (pace and rates).
    return found


def _ad_hoc_view(
    settings: Settings, kind: OwnerKind, owner: str, objective: Objective, funnel: Funnel
) -> ObjectiveView:
    """An unsaved objective for an owner (id 0), so typed-in objectives forecast the same way."""
    from backplan.services.lookup import find_rep, find_team
    from backplan.services.rates import load_roster

    roster = load_roster(settings)
    if roster.empty:
        roster = pd.DataFrame({"rep": [owner], "name": [owner], "team": [None], "manager": [None]})
    if kind == "rep":
        key = find_rep(owner, roster)
        row = roster[roster["rep"] == key].iloc[0]
        name, team = str(row["name"] or key), row["team"]
    else:
        key = find_team(owner, roster)
        name, team = key, key
    return ObjectiveView(
        id=0,
        text=objective.describe(),
        owner_kind=kind,
        owner=key,
        owner_name=name,
        team=None if pd.isna(team) else str(team),
        period=objective.period,
        funnel=funnel.key,
        key_results=[okr.KeyResultView(objective.stage, objective.target)],
    )


def _members(settings: Settings, view: ObjectiveView) -> list[ObjectiveView]:
    """The reps whose forecasts make up the owner's: the rep, or every rep of the team."""
    if view.owner_kind == "rep":
        return [view]
    if view.children:
        return view.children
    from backplan.services.rates import load_roster

    roster = load_roster(settings)
    members = roster[roster["team"] == view.owner]
    if members.empty:
        raise InvalidObjective(f"team {view.owner} has no reps in the roster to forecast")
    return [
        ObjectiveView(
            id=0,
            text=view.text,
            owner_kind="rep",
            owner=str(row["rep"]),
            owner_name=str(row["name"] or row["rep"]),
            team=view.owner,
            period=view.period,
            funnel=view.funnel,
            key_results=[okr.KeyResultView(view.main.stage, 0)],
        )
        for row in members.to_dict("records")
    ]


def _retarget(result: Forecast, target: int, coverage_bar: float) -> Forecast:
    """A rep's forecast against ``target`` (the objective asked about), from the same draws."""
    return combine([result], target, coverage_bar=coverage_bar)


def forecast_to_dict(p: PeriodForecast) -> dict[str, Any]:
    """The forecast as JSON: ``objective``, ``actual_to_date``, ``expected``, ``low``, ``high``,
    ``p_hit``, ``coverage``, ``coverage_bar`` and what they came from."""
    f = p.forecast
    o = p.objective
    return {
        "objective": {
            "id": p.objective_id,
            "text": p.objective_text,
            "stage": o.stage,
            "target": o.target,
            "revenue": o.revenue,
            "deal_value": o.deal_value,
        },
        "owner": {"kind": p.owner_kind, "key": p.owner, "name": p.owner_name},
        "period": okr.period_to_dict(o.period),
        "as_of": p.as_of.isoformat(),
        "elapsed_days": round(p.elapsed_days, 2),
        "remaining_days": round(f.remaining_days, 2),
        "actual_to_date": f.actual_to_date,
        "expected": f.expected,
        "mean": round(f.mean, 3),
        "low": f.low,
        "high": f.high,
        "level": f.level,
        "range_mass": round(f.range_mass, 4),
        "p_hit": round(f.p_hit, 4),
        "coverage": None if f.coverage is None else round(f.coverage, 3),
        "coverage_bar": f.coverage_bar,
        "below_coverage_bar": f.below_coverage_bar,
        "open_pipeline": f.pipeline,
        "rates_from": p.rates_from,
        "histogram": [
            {"from": lo, "to": hi, "share": round(share, 4)} for lo, hi, share in histogram(f.draws)
        ],
        "reps": [
            {
                "rep": r.rep,
                "name": r.name,
                "target": r.target,
                "actual_to_date": r.forecast.actual_to_date,
                "expected": r.forecast.expected,
                "low": r.forecast.low,
                "high": r.forecast.high,
                "range_mass": round(r.forecast.range_mass, 4),
                "p_hit": round(r.forecast.p_hit, 4) if r.target is not None else None,
                "open_pipeline": r.forecast.pipeline,
                "rates_from": r.rates_from,
                "planned_pace": r.planned_pace,
            }
            for r in p.reps
        ],
    }
