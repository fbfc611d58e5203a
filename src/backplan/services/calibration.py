"""How good are our forecasts? A backtest of ``backplan forecast`` on the organisation's own history.

For each of the last ``months`` full months, the forecast is made as it
would have been on that month's ``working_day``-th working day: counts,
pace, open pipeline and lag curve from events up to that day, rates from
the last full quarter before it, dispersion and team shocks from the months
before (no look-ahead). Each rep gets a target they could have been given
then without knowing the future: their own count at the stage in the month
before (at least 1). Then the month's real outcome scores the forecast:

- ``reliability``: forecasts binned by P(hit), each bin's mean P against the
  share that hit;
- ``range_coverage``: how often the 80% range held the outcome, against the
  ranges' mean probability (``mass``);
- ``interval_coverage``: the same at 50%, 80% and 95%;
- ``brier``: the mean squared distance between P(hit) and what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from backplan.config import Settings
from backplan.core.calibration import CalibrationScore, score
from backplan.core.errors import BackplanError, NoData
from backplan.core.forecast import central_range
from backplan.core.funnel import Funnel, Layer
from backplan.core.period import Period, WorkingCalendar
from backplan.services.forecasting import ForecastRequest, forecast_period
from backplan.services.planning import resolve_funnel

LEVELS = (0.5, 0.8, 0.95)
DEFAULT_MONTHS = 6
DEFAULT_WORKING_DAY = 10
BACKTEST_DRAWS = 4000


@dataclass
class CalibrationRequest:
    """Which forecasts to backtest: teams (default all), months back, the day of the month."""

    teams: list[str] | None = None
    months: int = DEFAULT_MONTHS
    working_day: int = DEFAULT_WORKING_DAY
    funnel: str | None = None
    stage: str | None = None
    draws: int = BACKTEST_DRAWS
    seed: int = 0


@dataclass(frozen=True)
class BacktestRow:
    rep: str
    team: str
    period: str
    as_of: date
    target: int
    outcome: int
    p_hit: float
    low: float
    high: float
    range_mass: float
    held: dict[float, tuple[bool, float]]


@dataclass(frozen=True)
class CalibrationReport:
    funnel: Funnel
    stage: str
    as_of: date
    working_day: int
    periods: list[str]
    teams: list[str]
    rows: list[BacktestRow]
    score: CalibrationScore
    interval_coverage: list[dict[str, Any]] = field(default_factory=list)


def calibration(
    settings: Settings,
    request: CalibrationRequest,
    as_of: date | None = None,
    *,
    events: ir.Table | None = None,
) -> CalibrationReport:
    """Backtest the forecasts of ``request.teams`` over the full months before ``as_of``."""
    from backplan.metrics import open_events, stage_counts
    from backplan.services.calendars import working_calendar
    from backplan.services.lookup import find_team
    from backplan.services.rates import load_roster

    today, _ = settings.clock.as_of(as_of)
    funnel = resolve_funnel(settings, request.funnel)
    stage = request.stage or _default_stage(funnel)
    funnel.stage(stage)
    table = open_events(settings) if events is None else events
    roster = load_roster(settings)
    known = sorted({str(t) for t in roster["team"].dropna()})
    teams = [find_team(t, roster) for t in request.teams] if request.teams else known
    if not teams:
        raise NoData("no teams in the roster to backtest: add teams and reps first")
    calendar = working_calendar(
        settings.country, settings.subdivision, range(today.year - 2, today.year + 1)
    )
    rows: list[BacktestRow] = []
    periods: list[str] = []
    months = [Period.month(today.year, today.month)]
    for _ in range(request.months):
        months.insert(0, months[0].previous())
    for month in months[:-1]:  # oldest first, the running month left out
        cut = _working_day(calendar, month, request.working_day)
        if cut is None:
            continue
        periods.append(month.label)
        before = stage_counts(table, funnel, month.previous(), roster=roster).to_pandas()
        after = stage_counts(table, funnel, month, roster=roster).to_pandas()
        targets = {
            str(r): max(1, int(n)) for r, n in zip(before["rep"], before[stage], strict=True)
        }
        active = {
            str(r) for r, n in zip(before["rep"], before[funnel.stages[0].key], strict=True) if n
        }
        outcomes = {str(r): int(n) for r, n in zip(after["rep"], after[stage], strict=True)}
        for team in teams:
            ask = ForecastRequest(
                team=team, objective=f"1 {stage}", period=month.label, funnel=funnel.key,
                draws=request.draws, seed=request.seed,
            )  # fmt: skip
            try:
                result = forecast_period(settings, ask, cut, events=table)
            except BackplanError:
                continue  # no rates or reps for this team then: nothing to score
            for part in result.reps:
                if part.rep not in active:
                    continue
                draws = part.forecast.draws
                target, outcome = targets.get(part.rep, 1), outcomes.get(part.rep, 0)
                held = {}
                for level in LEVELS:
                    low, high, mass = central_range(draws, level)
                    held[level] = (low <= outcome <= high, mass)
                rows.append(
                    BacktestRow(
                        part.rep, team, month.label, cut, target, outcome,
                        float((draws >= target).mean()), part.forecast.low, part.forecast.high,
                        part.forecast.range_mass, held,
                    )
                )  # fmt: skip
    scored = score(
        [r.p_hit for r in rows],
        [r.outcome >= r.target for r in rows],
        [r.low <= r.outcome <= r.high for r in rows],
        [r.range_mass for r in rows],
    )
    coverage = [
        {
            "level": level,
            "mass": round(sum(r.held[level][1] for r in rows) / len(rows), 4) if rows else None,
            "observed": round(sum(r.held[level][0] for r in rows) / len(rows), 4) if rows else None,
            "n": len(rows),
        }
        for level in LEVELS
    ]
    return CalibrationReport(
        funnel, stage, today, request.working_day, periods, teams, rows, scored, coverage
    )


def _default_stage(funnel: Funnel) -> str:
    """The first pipeline stage (SQLs, opps): what sales teams set monthly objectives on."""
    pipeline = [s.key for s in funnel.stages if s.layer is Layer.PIPELINE]
    return pipeline[0] if pipeline else funnel.stages[-1].key


def _working_day(calendar: WorkingCalendar, month: Period, n: int) -> date | None:
    days = calendar.working_days(month)
    return days[min(n, len(days)) - 1] if days else None


def calibration_to_dict(report: CalibrationReport) -> dict[str, Any]:
    """The backtest as JSON: ``reliability``, ``range_coverage``, ``interval_coverage``, ``brier``."""
    s = report.score
    return {
        "funnel": report.funnel.key,
        "stage": report.stage,
        "as_of": report.as_of.isoformat(),
        "working_day": report.working_day,
        "periods": report.periods,
        "teams": report.teams,
        "forecasts": s.n,
        "mean_p_hit": s.mean_p,
        "hit_share": s.hit_share,
        "brier": s.brier,
        "reliability": s.reliability,
        "range_coverage": s.range_coverage,
        "interval_coverage": report.interval_coverage,
        "by_period": _by_period(report.rows),
    }


def _by_period(rows: list[BacktestRow]) -> list[dict[str, Any]]:
    frame = pd.DataFrame(
        [(r.period, r.p_hit, r.outcome >= r.target, r.low <= r.outcome <= r.high) for r in rows],
        columns=["period", "p", "hit", "held"],
    )
    return [
        {
            "period": str(period),
            "n": len(group),
            "mean_p_hit": round(float(group["p"].mean()), 4),
            "hit_share": round(float(group["hit"].mean()), 4),
            "range_coverage": round(float(group["held"].mean()), 4),
        }
        for period, group in frame.groupby("period")
    ]
