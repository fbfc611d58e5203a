"""What a diagnosis asks (``DiagnosisRequest``) and what it reads once to answer (``Context``).

``build_context`` reads the events once for every rep's and team's diagnosis: the window
and the plan's objective, each conversion's counts and shrunk rates (``services.rates``),
touches and attributed meetings per channel, and monthly counts for the trends.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date

import ibis.expr.types as ir
import pandas as pd

from backplan.config import Settings
from backplan.core.errors import NoData
from backplan.core.funnel import Funnel
from backplan.core.objective import Objective
from backplan.core.period import Period, WorkingCalendar
from backplan.core.plan import DEFAULT_IMPROVEMENT
from backplan.core.playbook import Playbook
from backplan.core.rate import Rate
from backplan.core.shrinkage import DEFAULT_LEVEL
from backplan.core.warnings import StatisticalWarning
from backplan.metrics import open_events, stage_counts
from backplan.metrics.channels import meeting_stage, meetings_by_channel
from backplan.metrics.counts import channel_counts
from backplan.services.calendars import working_calendar
from backplan.services.definitions import organisation_playbook
from backplan.services.diagnosis.window import Window, diagnosis_window
from backplan.services.planning import parse_rates, resolve_funnel
from backplan.services.rates import RatesReport, conversion_counts, estimate_rates, load_roster

TREND_MONTHS = 6
"""Months of history behind each rate's trend."""


@dataclass
class DiagnosisRequest:
    """What a user asks: the objective and planned rates as ``plan`` takes them, and a window."""

    objective: str | None = None
    rates: dict[str, str] = field(default_factory=dict)
    funnel: str = ""
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    deal_value: float | None = None
    level: float = DEFAULT_LEVEL
    improvement: float = DEFAULT_IMPROVEMENT
    coverage_bar: float | None = None


def _any(counts: pd.DataFrame) -> bool:
    return bool(counts["trials"].any() or counts["successes"].any())


@dataclass
class Context:
    """Everything fetched once and shared by every rep's and team's diagnosis."""

    settings: Settings
    request: DiagnosisRequest
    funnel: Funnel
    window: Window
    calendar: WorkingCalendar
    objective: Objective | None
    """The objective typed for every rep; None: each one's objective in force."""
    given: dict[str, Rate]
    counts: pd.DataFrame
    report: RatesReport
    playbook: Playbook
    channels: pd.DataFrame | None
    monthly: pd.DataFrame
    months: list[date]


def build_context(
    settings: Settings,
    request: DiagnosisRequest,
    *,
    events: ir.Table | None = None,
    roster: pd.DataFrame | None = None,
) -> Context:
    """Read the events once: counts, rates, channel touches and meetings, monthly history."""
    funnel = resolve_funnel(settings, request.funnel or settings.funnel)
    as_of, day_done = settings.clock.as_of(request.as_of)
    since, until = request.since, request.until
    years = {as_of.year, *(d.year for d in (since, until) if d)}
    calendar = working_calendar(
        settings.country, settings.subdivision, range(min(years) - 1, max(years) + 1)
    )
    window = diagnosis_window(since, until, as_of, calendar, day_done)
    objective = (
        Objective.parse(request.objective, funnel, window.period, request.deal_value)
        if request.objective
        else None  # each rep's and team's objective in force for the period (plan.py)
    )
    given = parse_rates(request.rates, funnel)
    table = open_events(settings) if events is None else events
    people = load_roster(settings) if roster is None else roster
    counts = conversion_counts(table, funnel, window.counted, roster=people)
    if not _any(counts) and window.chosen and window.period.end >= as_of:
        window = diagnosis_window(since, until, as_of, calendar, day_done, fall_back=True)
        counts = conversion_counts(table, funnel, window.counted, roster=people)
    if not _any(counts):
        raise NoData(
            f"no events of funnel {funnel.key!r} from {window.counted.start} to "
            f"{window.counted.end}; choose another window"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # reported as the report's caveats
        report = estimate_rates(counts, funnel, window.counted, level=request.level)
    first = _months_back(window.counted.end, TREND_MONTHS)
    history = Period(first, window.counted.end)
    monthly = stage_counts(table, funnel, history, grain="month", roster=people).to_pandas()
    months = [_months_back(window.counted.end, TREND_MONTHS - i) for i in range(TREND_MONTHS)]
    return Context(
        settings,
        request,
        funnel,
        window,
        calendar,
        objective,
        given,
        counts,
        report,
        organisation_playbook(settings),
        _channel_table(table, funnel, window.counted, people),
        monthly,
        months,
    )


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _channel_table(
    events: ir.Table, funnel: Funnel, window: Period, roster: pd.DataFrame
) -> pd.DataFrame | None:
    """Touches and attributed meetings per rep and channel (long form), or None without channels."""
    if not funnel.channels or meeting_stage(funnel) is None:
        return None
    touches = channel_counts(events, funnel, window, roster=roster).to_pandas()
    long = touches.melt(
        id_vars=["rep"],
        value_vars=[c.key for c in funnel.channels],
        var_name="channel",
        value_name="touches",
    )
    meetings = meetings_by_channel(events, funnel, window).to_pandas()
    merged = long.merge(meetings, on=["rep", "channel"], how="outer")
    merged[["touches", "meetings"]] = merged[["touches", "meetings"]].fillna(0).astype("int64")
    return pd.DataFrame(merged)
