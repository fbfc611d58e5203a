"""The leadership view (case S10): where each team and the organisation stand, where the
period will land, whether the funnel is trending the right way, and which lead sources or
campaigns the activity went into.

Targets come from the period's objectives: a team's own objective, or the
sum of its reps' (``core.okr.roll_up``). Trends are the Cochran–Armitage
test (``core.control.trend``) on each conversion, month by month.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd

from backplan.config import Settings
from backplan.core import okr as okr_core
from backplan.core.control import Trend, trend
from backplan.core.errors import BackplanError, InvalidCounts, NoData
from backplan.core.forecast import Forecast, combine
from backplan.core.funnel import Conversion, Funnel
from backplan.core.period import Period
from backplan.core.warnings import StatisticalWarning
from backplan.services import okr
from backplan.services.forecasting import ForecastRequest, forecast_period
from backplan.services.planning import resolve_funnel

DEFAULT_TREND_MONTHS = 6


@dataclass
class LeadershipRequest:
    period: str | None = None
    """``2026-10``, ``2026-Q4``; default: the current month."""
    funnel: str | None = None
    trend_months: int = DEFAULT_TREND_MONTHS
    forecast: bool = True
    seed: int = 0


@dataclass(frozen=True)
class Rollup:
    """One team's (or, with ``team`` None, the organisation's) standing in the period."""

    team: str | None
    reps: int
    target: int | None
    actual: dict[str, int]
    expected_to_date: float | None
    pace: str | None
    forecast: Forecast | None = None


@dataclass(frozen=True)
class ConversionTrend:
    """One conversion month by month, and whether it is really moving."""

    team: str | None
    conversion: str
    months: list[str]
    successes: list[int]
    trials: list[int]
    trend: Trend | None
    note: str | None = None
    rep: str | None = None


@dataclass(frozen=True)
class SourceResult:
    """What the activity of one lead source or campaign became in the period."""

    source: str
    counts: dict[str, int]
    yield_rate: float | None
    """Units at the objective's stage per unit at the top of the funnel."""


@dataclass(frozen=True)
class LeadershipView:
    period: Period
    as_of: date
    funnel: Funnel
    stage: str
    elapsed_days: float
    working_days: int
    teams: list[Rollup]
    organisation: Rollup
    trends: list[ConversionTrend] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)
    sources_window: Period | None = None
    notes: list[str] = field(default_factory=list)


def leadership_view(
    settings: Settings, request: LeadershipRequest, as_of: date | None = None
) -> LeadershipView:
    """Roll-ups, forecasts, trends and results by source for the period, seen at ``as_of``
    (none: now, by the organisation's clock)."""
    from backplan.metrics import open_events, stage_counts
    from backplan.services.calendars import working_calendar
    from backplan.services.rates import load_roster

    given = as_of
    as_of, day_done = settings.clock.as_of(given)
    period = Period.parse(request.period or "month", as_of)
    funnel = resolve_funnel(settings, request.funnel)
    objectives = okr.list_objectives(settings, period=period)
    objectives = [o for o in objectives if o.period == period and o.funnel == funnel.key]
    roster = load_roster(settings)
    teams = sorted(str(t) for t in roster["team"].dropna().unique())
    objectives += _nested(settings, teams, objectives, period, funnel)
    stage = _objective_stage(objectives, funnel)
    events = open_events(settings)
    calendar = working_calendar(
        settings.country, settings.subdivision, range(period.start.year, period.end.year + 1)
    )
    working_days = calendar.working_days_in(period)
    elapsed = calendar.elapsed(period, as_of, day_done)
    counts = pd.DataFrame()
    if as_of >= period.start:
        window = Period(period.start, min(as_of, period.end))
        counts = stage_counts(events, funnel, window, roster=roster).to_pandas()
    targets = _team_targets(objectives, stage)
    share = elapsed / working_days
    rows = []
    for i, team in enumerate(teams):
        members = counts[counts["team"] == team] if not counts.empty else counts
        target = targets.get(team)
        forecast = None
        if request.forecast and target:
            forecast = _team_forecast(
                settings, team, stage, target, period, given, request.seed + i
            )
        rows.append(_rollup(team, members, funnel, stage, target, share, forecast, roster))
    organisation = _organisation(rows, counts, funnel, stage, share, len(roster))
    sources_window, notes = Period(period.start, min(as_of, period.end)), []
    if elapsed <= 0:
        sources_window = period.previous()
        notes.append(
            f"{period.label} has just begun, with no working time yet: results by source "
            f"are for {sources_window.label}, the last full period"
        )
    return LeadershipView(
        period=period,
        as_of=as_of,
        funnel=funnel,
        stage=stage,
        elapsed_days=elapsed,
        working_days=working_days,
        teams=rows,
        organisation=organisation,
        trends=conversion_trends(settings, funnel, stage, period, as_of, request.trend_months),
        sources=source_results(settings, funnel, stage, sources_window, sources_window.end),
        sources_window=sources_window,
        notes=notes,
    )


def _nested(
    settings: Settings,
    teams: list[str],
    objectives: list[okr.ObjectiveView],
    period: Period,
    funnel: Funnel,
) -> list[okr.ObjectiveView]:
    """Each team without an objective for the period itself: its objectives inside it
    rolled up (a quarter's months), else its reps' rolled up."""
    owned = {o.owner for o in objectives if o.owner_kind == "team"}
    owned |= {o.team for o in objectives if o.owner_kind == "rep" and o.team}
    out: list[okr.ObjectiveView] = []
    for team in teams:
        if team in owned:
            continue
        rolled = okr.rolled_up(settings, "team", team, period)
        parts = [rolled] if rolled else []
        if not parts:
            reps = {o.owner for o in okr.list_objectives(settings, team=team, period=period)}
            parts = [
                r for rep in sorted(reps) if (r := okr.rolled_up(settings, "rep", rep, period))
            ]
        out.extend(p for p in parts if p.funnel == funnel.key)
    return out


def _objective_stage(objectives: list[okr.ObjectiveView], funnel: Funnel) -> str:
    """The stage most of the period's objectives aim at (default: the funnel's last)."""
    stages = Counter(o.main.stage for o in objectives)
    return stages.most_common(1)[0][0] if stages else funnel.stages[-1].key


def _team_targets(objectives: list[okr.ObjectiveView], stage: str) -> dict[str, int]:
    """Each team's target at ``stage``: its own objective, else the sum of its reps'."""
    own = {
        o.owner: o.main.target
        for o in objectives
        if o.owner_kind == "team" and o.main.stage == stage
    }
    by_rep: dict[str, dict[str, dict[str, int]]] = {}
    for o in objectives:
        if o.owner_kind == "rep" and o.team and o.main.stage == stage and o.parent_id is None:
            by_rep.setdefault(o.team, {})[o.owner] = {stage: o.main.target}
    rolled = {team: okr_core.roll_up(reps)[stage] for team, reps in by_rep.items()}
    return {**rolled, **own}


def _team_forecast(
    settings: Settings,
    team: str,
    stage: str,
    target: int,
    period: Period,
    as_of: date | None,
    seed: int,
) -> Forecast | None:
    request = ForecastRequest(
        team=team, objective=f"{target} {stage}", period=period.label, seed=seed
    )
    try:
        return forecast_period(settings, request, as_of).forecast
    except BackplanError:
        return None  # no rates for this team yet: the roll-up still stands


def _rollup(
    team: str | None,
    members: pd.DataFrame,
    funnel: Funnel,
    stage: str,
    target: int | None,
    share: float,
    forecast: Forecast | None,
    roster: pd.DataFrame,
) -> Rollup:
    actual = {s.key: int(members[s.key].sum()) if not members.empty else 0 for s in funnel.stages}
    expected = round(target * share, 1) if target else None
    pace = None
    if target:
        status = okr_core.KeyResultProgress(
            stage, target, actual[stage], expected or 0.0, False, share_elapsed=share
        )
        pace = status.pace.value
    reps = int((roster["team"] == team).sum()) if team else len(roster)
    return Rollup(team, reps, target, actual, expected, pace, forecast)


def _organisation(
    rows: list[Rollup], counts: pd.DataFrame, funnel: Funnel, stage: str, share: float, reps: int
) -> Rollup:
    targets = [r.target for r in rows if r.target]
    target = sum(targets) if targets else None
    forecasts = [r.forecast for r in rows if r.forecast is not None]
    combined = None
    if forecasts and len(forecasts) == len(targets) and target:
        combined = combine(forecasts, target)
    actual = {s.key: int(counts[s.key].sum()) if not counts.empty else 0 for s in funnel.stages}
    expected = round(target * share, 1) if target else None
    pace = None
    if target:
        pace = okr_core.KeyResultProgress(
            stage, target, actual[stage], expected or 0.0, False, share_elapsed=share
        ).pace.value
    return Rollup(None, reps, target, actual, expected, pace, combined)


def conversion_trends(
    settings: Settings, funnel: Funnel, stage: str, period: Period, as_of: date, months: int
) -> list[ConversionTrend]:
    """Each conversion down to ``stage`` over the last ``months`` months, for the organisation
    and for each team: the monthly counts and the trend test on them."""
    frame, labels = _monthly_counts(settings, funnel, min(as_of, period.end), months, "team")
    if frame.empty:
        return []
    groups: list[tuple[str | None, pd.DataFrame]] = [(None, frame)]
    groups += [(str(t), part) for t, part in frame.dropna(subset=["team"]).groupby("team")]
    conversions = funnel.conversions(down_to=stage)
    return [t for team, part in groups for t in _trends_of(part, funnel, conversions, labels, team)]


def rep_conversion_trends(
    settings: Settings, funnel: Funnel, rep: str, as_of: date, months: int = 6
) -> list[ConversionTrend]:
    """Each conversion of ``rep``'s funnel over the last ``months`` months (this one so far
    included): the monthly counts and whether the rate is really moving."""
    frame, labels = _monthly_counts(settings, funnel, as_of, months, "rep")
    mine = frame[frame["rep"] == rep] if not frame.empty else frame
    if mine.empty:
        return []
    return _trends_of(mine, funnel, funnel.conversions(), labels, None, rep)


def _monthly_counts(
    settings: Settings, funnel: Funnel, last: date, months: int, level: Literal["rep", "team"]
) -> tuple[pd.DataFrame, list[str]]:
    """Counts per stage per month over the ``months`` months ending with ``last``'s."""
    from backplan.metrics import open_events, stage_counts
    from backplan.services.rates import load_roster

    index = last.year * 12 + last.month - 1 - (months - 1)
    start = date(index // 12, index % 12 + 1, 1)
    frame = stage_counts(
        open_events(settings),
        funnel,
        Period(start, last),
        level=level,
        grain="month",
        roster=load_roster(settings),
    ).to_pandas()
    labels = [p.strftime("%Y-%m") for p in pd.period_range(start, last, freq="M").to_timestamp()]
    if not frame.empty:
        frame["month"] = pd.to_datetime(frame["period"]).dt.strftime("%Y-%m")
    return frame, labels


def _trends_of(
    part: pd.DataFrame,
    funnel: Funnel,
    conversions: Sequence[Conversion],
    labels: list[str],
    team: str | None,
    rep: str | None = None,
) -> list[ConversionTrend]:
    monthly = (
        part.groupby("month")[[s.key for s in funnel.stages]].sum().reindex(labels, fill_value=0)
    )
    trends = []
    for conversion in conversions:
        hits = [int(x) for x in monthly[conversion.target.key]]
        tries = [int(x) for x in monthly[conversion.source.key]]
        trends.append(_trend(team, conversion.key, labels, hits, tries, rep))
    return trends


def _trend(
    team: str | None,
    key: str,
    months: list[str],
    hits: list[int],
    tries: list[int],
    rep: str | None = None,
) -> ConversionTrend:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            found = trend(hits, tries)
    except InvalidCounts:
        note = "more successes than trials in a month: counted per period, no trend test"
        return ConversionTrend(team, key, months, hits, tries, None, note, rep)
    except NoData as e:
        return ConversionTrend(team, key, months, hits, tries, None, str(e), rep)
    return ConversionTrend(team, key, months, hits, tries, found, rep=rep)


def source_results(
    settings: Settings, funnel: Funnel, stage: str, period: Period, as_of: date
) -> list[SourceResult]:
    """Counts per lead source or campaign in the period to date, most active first."""
    from backplan.metrics import open_events, stage_counts

    if as_of < period.start:
        return []
    window = Period(period.start, min(as_of, period.end))
    frame = stage_counts(
        open_events(settings), funnel, window, level="organisation", by_source=True
    ).to_pandas()
    top = funnel.stages[0].key
    frame = frame.sort_values([top, "source"], ascending=[False, True])
    results = []
    for row in frame.to_dict("records"):
        counts = {s.key: int(row[s.key]) for s in funnel.stages}
        rate = counts[stage] / counts[top] if counts[top] else None
        results.append(SourceResult(str(row["source"]), counts, rate))
    return results


# -- JSON ----------------------------------------------------------------------------------------


def trend_to_dict(t: ConversionTrend) -> dict[str, Any]:
    return {
        "team": t.team,
        "conversion": t.conversion,
        "months": t.months,
        "successes": t.successes,
        "trials": t.trials,
        "slope": None if t.trend is None else round(t.trend.slope, 5),
        "p_value": None if t.trend is None else round(t.trend.p_value, 5),
        "direction": None if t.trend is None else t.trend.direction,
        "verdict": t.note if t.trend is None else t.trend.verdict,
    }


def leadership_to_dict(view: LeadershipView) -> dict[str, Any]:
    return {
        "period": okr.period_to_dict(view.period),
        "as_of": view.as_of.isoformat(),
        "funnel": view.funnel.key,
        "stage": view.stage,
        "elapsed_days": round(view.elapsed_days, 2),
        "working_days": view.working_days,
        "notes": view.notes,
        "sources_window": None
        if view.sources_window is None
        else okr.period_to_dict(view.sources_window),
        "organisation": rollup_to_dict(view.organisation),
        "teams": [rollup_to_dict(r) for r in view.teams],
        "trends": [trend_to_dict(t) for t in view.trends],
        "sources": [
            {
                "source": s.source,
                "counts": s.counts,
                "yield": None if s.yield_rate is None else round(s.yield_rate, 6),
            }
            for s in view.sources
        ],
    }


def rollup_to_dict(r: Rollup) -> dict[str, Any]:
    f = r.forecast
    return {
        "team": r.team,
        "reps": r.reps,
        "target": r.target,
        "actual": r.actual,
        "expected_to_date": r.expected_to_date,
        "pace": r.pace,
        "forecast": None
        if f is None
        else {
            "expected": f.expected,
            "low": f.low,
            "high": f.high,
            "p_hit": round(f.p_hit, 4),
            "coverage": None if f.coverage is None else round(f.coverage, 3),
            "coverage_bar": f.coverage_bar,
        },
    }
