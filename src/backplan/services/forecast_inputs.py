"""What a forecast learns from the organisation's history besides rates: lags, ages, dispersion, shocks.

Everything here reads only events up to the as-of date (the lag curve and
the open units) or before the period starts (the day-to-day dispersion and
the team shocks), so a backtest at a past date sees no future.

- **Lag** from the stage feeding the objective to the objective's stage: a
  Kaplan–Meier curve (:class:`backplan.core.lag.LagModel`) over the prospects
  that entered the feeding stage in the last year, censored at the as-of date.
- **Open units** with their ages: prospects at the feeding stage, not yet at
  the objective's stage nor at an outcome it tracks, entered within two
  period lengths.
- **Daily dispersion** and **team shock**: :mod:`backplan.core.pace` fitted
  on the top stage's daily counts of the six months before the period.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from backplan.core.funnel import Funnel
from backplan.core.lag import LagModel
from backplan.core.pace import fit_daily_dispersion, fit_team_shock
from backplan.core.period import Period, WorkingCalendar
from backplan.core.warnings import SmallSampleWarning

LAG_HISTORY_DAYS = 365
ACTIVITY_HISTORY_DAYS = 183
MIN_LAG_PROSPECTS = 30
"""Fewer prospects than this through the feeding stage: no lag curve (units convert at once)."""


@dataclass(frozen=True)
class PipelineInputs:
    lag: LagModel | None = None
    open_ages: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityInputs:
    daily_dispersion: float | None = None
    team_shock: float = 0.0


def pipeline_inputs(
    events: ir.Table, funnel: Funnel, stage: str, period: Period, as_of: date
) -> PipelineInputs:
    """The lag curve into ``stage`` and each rep's open units (ages in days) at the end of ``as_of``."""
    from backplan.metrics import conversion_times

    window = Period(as_of - timedelta(days=LAG_HISTORY_DAYS - 1), as_of)
    frame = conversion_times(events, funnel, stage, window).to_pandas()
    if frame.empty:
        return PipelineInputs()
    # Engines return rows in any order (a warehouse differs from DuckDB, and DuckDB from
    # itself across threads); the draws follow the open units in order, so fix one.
    frame = frame.sort_values(["rep", "entered", "prospect"], ignore_index=True)
    end = pd.Timestamp(datetime.combine(as_of + timedelta(days=1), datetime.min.time(), UTC))
    entered = pd.to_datetime(frame["entered"], utc=True)
    reached = pd.to_datetime(frame["reached"], utc=True)
    done = reached.notna().to_numpy()
    days = (reached.where(reached.notna(), end) - entered).dt.total_seconds() / 86_400
    lag = None
    if len(frame) >= MIN_LAG_PROSPECTS and done.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            lag = LagModel().fit(days.clip(lower=0).to_numpy(), done)
    ages = ((end - entered).dt.total_seconds() / 86_400).to_numpy()
    still_open = ~done & frame["closed"].isna().to_numpy()
    still_open &= ages <= 2 * ((period.end - period.start).days + 1)
    open_ages: dict[str, list[float]] = {}
    for rep, age in zip(frame["rep"][still_open], ages[still_open], strict=True):
        open_ages.setdefault(str(rep), []).append(float(age))
    return PipelineInputs(lag, open_ages)


def activity_inputs(
    events: ir.Table,
    funnel: Funnel,
    period: Period,
    calendar: WorkingCalendar,
    roster: pd.DataFrame,
) -> ActivityInputs:
    """Day-to-day dispersion and the team shock from the top stage's days before ``period``."""
    from backplan.metrics import stage_counts

    window = Period(
        period.start - timedelta(days=ACTIVITY_HISTORY_DAYS), period.start - timedelta(1)
    )
    frame = stage_counts(events, funnel, window, grain="day", roster=roster).to_pandas()
    top = funnel.stages[0].key
    if frame.empty or frame[top].sum() == 0:
        return ActivityInputs()
    frame["day"] = pd.to_datetime(frame["period"]).dt.date
    working = calendar.working_days(window)
    per_rep = []
    for _, rows in frame.groupby("rep"):
        active = [d for d in working if rows["day"].min() <= d <= rows["day"].max()]
        counts = rows.groupby("day")[top].sum()
        per_rep.append(np.array([int(counts.get(d, 0)) for d in active]))
    dispersion = fit_daily_dispersion(per_rep)
    halves: list[tuple[float, float, float, float, int]] = []
    frame["month"] = [(d.year, d.month) for d in frame["day"]]
    for (_, (year, month)), rows in frame.groupby([frame["team"].fillna(""), "month"]):
        month_period = Period.month(year, month)
        days = calendar.working_days(month_period)
        if not days or month_period.start < window.start or month_period.end > window.end:
            continue
        cut = days[len(days) // 2]
        first = rows[rows["day"] < cut][top].sum()
        second = rows[rows["day"] >= cut][top].sum()
        halves.append(
            (float(first), len(days) // 2, float(second), len(days) - len(days) // 2,
             int(rows["rep"].nunique()))
        )  # fmt: skip
    return ActivityInputs(dispersion, fit_team_shock(halves, dispersion))
