"""Diagnose a rep or a team: where the funnel leaks, how sure we are, what to coach.

A diagnosis puts together what the rest of backplan already knows how to do:

1. the window (default: the current month to date at ``as_of``) and the plan
   for it: the objective and planned rates exactly as ``backplan plan`` takes
   them; a conversion without a planned rate is planned at the team's rate,
   and the output says so. The plan *to date* is the plan for the window
   times the share of its working days elapsed at ``as_of`` (the whole plan
   for a window that is over);
2. each stage's count to date (metrics layer) and, per conversion, the
   evidence: the rep's shrunk estimate (``services.rates``) with the
   probability it is below the team's rate and below the planned rate (the
   posterior's CDF at that rate);
3. the onion walk and bottleneck (``core.diagnose``), the playbook's coaching
   for it, the channel mix (``core.channels`` on meetings attributed to the
   last touch, ``metrics.channels``), marginal gains on the rep's own rates
   (``core.plan``) and each rate's trend over recent months (``core.control``).

A team is diagnosed on its pooled counts, compared with the organisation and
with the sum of its reps' plans, and each of its reps on their own; the
exception list orders reps by output at stake and flags only strong evidence.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from backplan.config import Settings
from backplan.core.cadence import DEFAULT_THRESHOLD, Cadence
from backplan.core.channels import channel_mix
from backplan.core.control import WARNING_LEVEL, classify, trend
from backplan.core.diagnose import ConversionEvidence, Diagnosis, Finding, Problem, diagnose
from backplan.core.errors import BackplanError, InvalidObjective, InvalidPeriod, NoData, UnknownRep
from backplan.core.funnel import Conversion, Funnel, Layer
from backplan.core.objective import Objective
from backplan.core.period import Period, WorkingCalendar
from backplan.core.plan import DEFAULT_IMPROVEMENT, marginal_gains, rate_for, whole_units
from backplan.core.playbook import Coaching, Playbook
from backplan.core.posterior import Posterior
from backplan.core.rate import Rate, as_fraction
from backplan.core.shrinkage import DEFAULT_LEVEL, GammaPoissonShrinkage
from backplan.core.warnings import StatisticalWarning
from backplan.metrics import attempt_counts, open_events, stage_counts
from backplan.metrics.channels import UNATTRIBUTED, meeting_stage, meetings_by_channel
from backplan.metrics.counts import Level, channel_counts
from backplan.services.calendars import working_calendar
from backplan.services.definitions import organisation_playbook
from backplan.services.planning import gain_to_dict, parse_rates, resolve_funnel
from backplan.services.rates import RatesReport, conversion_counts, estimate_rates, load_roster

TREND_MONTHS = 6
"""Months of history behind each rate's trend."""


def planned_for(settings: Settings, rep: str, period: Period) -> Mapping[str, Any] | None:
    """The plan ``rep`` agreed for ``period`` through their objective (``services/okr``), if any.

    When there is one (``{"objective": "4 sqls", "rates": {"sqls/meetings": "1/3"}}``) the
    diagnosis uses it instead of the objective and rates given on the command line.
    """
    from backplan.services.okr import agreed_plan_for

    return agreed_plan_for(settings, rep, period)


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


@dataclass(frozen=True)
class Window:
    """The plan's period, the part of it counted so far, and the share of working days elapsed."""

    period: Period
    counted: Period
    as_of: date
    share: float
    chosen: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.period.start.isoformat(),
            "until": self.period.end.isoformat(),
            "counted_until": self.counted.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "share_elapsed": round(self.share, 4),
            "label": self.period.label,
            "chosen": self.chosen,
        }


def diagnosis_window(
    since: date | None,
    until: date | None,
    as_of: date,
    calendar: WorkingCalendar,
    day_done: float = 1.0,
    *,
    fall_back: bool = False,
) -> Window:
    """``since``..``until`` counted up to ``as_of``; by default the current month to date.

    The default falls back to the last full month while less than one working day of the
    current month has passed (or, with ``fall_back``, when the month to date held no data):
    a diagnosis of nothing helps nobody, and the window says which month it is.
    """
    chosen = None
    if since is None and until is None:
        period = Period.month(as_of.year, as_of.month)
        if fall_back or calendar.elapsed(period, as_of, day_done) < 1:
            last = period.previous()
            why = "had no data yet" if fall_back else "has just begun"
            chosen = f"{period.label} {why}: the last full month, {last.label} ({last.start}..{last.end})"
            return Window(last, last, as_of, 1.0, chosen)
        chosen = f"the current month to date: {period.start}..{as_of} of {period.label}"
    elif since is None or until is None:
        raise InvalidPeriod(
            "give both a start and an end of the window, or neither for the current month"
        )
    else:
        period = Period(since, until)
    if as_of < period.start:
        raise InvalidPeriod(
            f"the window starts on {period.start}, after the day it is seen at ({as_of}); "
            "choose an earlier start or a later day"
        )
    counted = Period(period.start, min(period.end, as_of))
    total = len(calendar.working_days(period))
    share = calendar.elapsed(period, as_of, day_done) / total if total else 1.0
    return Window(period, counted, as_of, min(share, 1.0), chosen)


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
    objective: Objective
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
    if not request.objective:
        raise InvalidObjective(
            "give the objective the plan is for, as for `backplan plan`: --objective '4 sqls'"
        )
    objective = Objective.parse(request.objective, funnel, window.period, request.deal_value)
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


# -- one rep ----------------------------------------------------------------------------------


@dataclass
class PlannedRate:
    """The rate a plan assumed for one conversion, and where it came from."""

    conversion: str
    rate: Rate
    source: str  # "given", "agreed" or "team"

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversion": self.conversion,
            "rate": round(float(self.rate.value), 6),
            "source": self.source,
        }


@dataclass
class Result:
    """A diagnosis with everything shown beside it, for one rep or one team."""

    kind: str  # "rep" or "team"
    key: str
    name: str
    team: str | None
    reps: int
    context: Context
    objective: Objective
    planned: list[PlannedRate]
    expected: dict[str, int]
    expected_to_date: dict[str, float]
    actual: dict[str, int]
    evidence: dict[str, ConversionEvidence]
    diagnosis: Diagnosis
    coaching: Coaching | None
    channel_mix: dict[str, Any] | None
    gains: list[dict[str, Any]] | None
    trends: list[dict[str, Any]]
    notes: list[str]
    members: list[Result] = field(default_factory=list)
    control: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def output_at_stake(self) -> float:
        """The bottleneck's cost, or else the largest any conversion's gap costs; nothing
        when results are on track (where results are there, the walk stops)."""
        d = self.diagnosis
        if d.on_track:
            return 0.0
        if d.bottleneck is not None:
            return d.bottleneck.output_at_stake
        return max((f.output_at_stake for f in d.findings), default=0.0)

    @property
    def flagged(self) -> bool:
        return self.diagnosis.bottleneck is not None


def diagnose_rep(context: Context, wanted: str) -> Result:
    """One rep's diagnosis: their counts against their plan to date, and their evidence."""
    table = context.report.table
    rep = find_rep(wanted, table)
    rows = table[table["rep"] == rep]
    first = rows.iloc[0]
    team = None if pd.isna(first["team"]) else str(first["team"])
    name = rep if pd.isna(first["name"]) else str(first["name"])
    return _rep_result(context, rep, name, team)


def _rep_result(context: Context, rep: str, name: str, team: str | None) -> Result:
    funnel, report = context.funnel, context.report
    rows = report.table[report.table["rep"] == rep].set_index("conversion")
    agreed = planned_for(context.settings, rep, context.window.period)
    objective, given = context.objective, context.given
    if agreed is not None:
        objective = Objective.parse(str(agreed["objective"]), funnel, context.window.period)
        given = {**given, **parse_rates(dict(agreed.get("rates", {})), funnel)}
    team_rates = {str(key): float(value) for key, value in rows["team_rate"].dropna().items()}
    planned, notes = _planned_rates(
        funnel, objective, given, team_rates, "agreed" if agreed else "given"
    )
    expected = _expected(funnel, objective, planned)
    evidence = {}
    for key, row in rows.iterrows():
        if pd.isna(row["estimate"]):
            continue
        posterior = report.rates[(rep, str(key))].distribution
        plan_rate = float(planned[str(key)].rate.value) if str(key) in planned else None
        evidence[str(key)] = ConversionEvidence(
            conversion=str(key),
            successes=float(row["successes"]),
            trials=float(row["trials"]),
            estimate=float(row["estimate"]),
            low=float(row["low"]),
            high=float(row["high"]),
            team=float(row["team_rate"]),
            planned=plan_rate,
            p_below_team=float(row["p_below_team"]),
            p_below_plan=(
                None if plan_rate is None or posterior is None else posterior.cdf(plan_rate)
            ),
        )
    actual = _actual(context.counts[context.counts["rep"] == rep], funnel)
    result = _finish(
        context, "rep", rep, name, team, 1, objective, planned, expected, actual, evidence,
        notes, "the team",
    )  # fmt: skip
    result.gains = _gains(context, objective, rows)
    result.channel_mix = _mix(context, context.channels, [rep])
    result.trends = _trends(context, [rep])
    notes.extend(report.notes_for([k for k in evidence if k in _span_keys(funnel, objective)]))
    return result


def _finish(
    context: Context,
    kind: str,
    key: str,
    name: str,
    team: str | None,
    reps: int,
    objective: Objective,
    planned: dict[str, PlannedRate],
    expected: dict[str, int],
    actual: dict[str, int],
    evidence: dict[str, ConversionEvidence],
    notes: list[str],
    peers: str,
) -> Result:
    share = context.window.share
    to_date = {stage: round(units * share, 1) for stage, units in expected.items()}
    coverage = _coverage(context.funnel, objective, actual, to_date)
    result = diagnose(
        context.funnel,
        objective.stage,
        to_date,
        actual,
        evidence,
        coverage=coverage,
        coverage_bar=context.request.coverage_bar,
        peers=peers,
    )
    return Result(
        kind, key, name, team, reps, context, objective, list(planned.values()), expected,
        to_date, actual, evidence, result, _coaching(context, result), None, None, [], notes,
    )  # fmt: skip


def _span_keys(funnel: Funnel, objective: Objective) -> list[str]:
    return [c.key for c in funnel.conversions(down_to=objective.stage)]


def _planned_rates(
    funnel: Funnel,
    objective: Objective,
    given: Mapping[str, Rate],
    team_rates: Mapping[str, float],
    given_as: str,
    peers: str = "team",
) -> tuple[dict[str, PlannedRate], list[str]]:
    """Each conversion's planned rate: as given, else the team's rate (and a note saying so)."""
    planned: dict[str, PlannedRate] = {}
    notes: list[str] = []
    assumed = []
    missing: list[Conversion] = []
    for conversion in funnel.conversions(down_to=objective.stage):
        key = conversion.key
        if key in given:
            planned[key] = PlannedRate(key, given[key], given_as)
            continue
        team_rate = team_rates.get(key)
        if team_rate is None or not team_rate > 0:
            missing.append(conversion)
            continue
        value = min(team_rate, 1.0) if conversion.target.bounded else team_rate
        planned[key] = PlannedRate(key, Rate(as_fraction(round(value, 6))), peers)
        assumed.append(f"{conversion.short} ({value:.1%})")
    if assumed:
        notes.append(
            f"no planned rate given for {', '.join(assumed)}: the {peers}'s rate is the "
            "plan's assumption there"
        )
    if missing:
        last = missing[-1]
        notes.append(
            f"no planned rate and no data for {last.short}: the plan stops at "
            f"{last.target.plural} (give --rate {last.key}=... to go further)"
        )
    return planned, notes


def _expected(
    funnel: Funnel, objective: Objective, planned: Mapping[str, PlannedRate]
) -> dict[str, int]:
    """The plan per period, from the objective up, as far as there are planned rates."""
    needed = {objective.stage: objective.target}
    for conversion in reversed(funnel.conversions(down_to=objective.stage)):
        if conversion.key not in planned:
            break
        rate = rate_for(conversion, {conversion.key: planned[conversion.key].rate})
        exact = Fraction(needed[conversion.target.key]) / rate.value
        needed[conversion.source.key] = whole_units(exact)
    return needed


def _actual(counts: pd.DataFrame, funnel: Funnel) -> dict[str, int]:
    """Each stage's count from conversion rows (trials at ``from``, successes at ``to``)."""
    actual = dict.fromkeys(funnel.keys, 0)
    for stage in funnel.keys:
        trials = counts.loc[counts["from"] == stage, "trials"]
        successes = counts.loc[counts["to"] == stage, "successes"]
        actual[stage] = int(trials.sum()) if len(trials) else int(successes.sum())
    return actual


def _coverage(
    funnel: Funnel, objective: Objective, actual: Mapping[str, int], to_date: Mapping[str, float]
) -> float | None:
    """Pipeline to date over the results planned to date, when the funnel has a pipeline stage."""
    above = funnel.stages[: funnel.index(objective.stage)]
    pipeline = [s for s in above if s.layer == Layer.PIPELINE]
    results = to_date.get(objective.stage, 0)
    if not pipeline or not results:
        return None
    return actual[pipeline[-1].key] / results


def _coaching(context: Context, d: Diagnosis) -> Coaching | None:
    """The playbook's entry for the bottleneck, or for the volume gap, or for low coverage."""
    book = context.playbook
    if d.bottleneck is not None:
        return book.get(d.bottleneck.conversion.key)
    if d.problem is Problem.VOLUME and d.checks:
        return book.get(d.checks[-1].stage.key)
    if d.below_coverage_bar:
        pipeline = [s for s in context.funnel.stages if s.layer == Layer.PIPELINE]
        return book.get(pipeline[-1].key) if pipeline else None
    return None


def _gains(
    context: Context, objective: Objective, rows: pd.DataFrame
) -> list[dict[str, Any]] | None:
    """Marginal gains (case S8) on the rep's own estimated rates, capped at 1 where bounded."""
    rates = {}
    estimates = {str(k): float(v) for k, v in rows["estimate"].dropna().items()}
    for conversion in context.funnel.conversions(down_to=objective.stage):
        if conversion.key not in estimates:
            return None
        value = estimates[conversion.key]
        if conversion.target.bounded:
            value = min(value, 1.0)
        if not value > 0:
            return None
        rates[conversion.key] = Rate(as_fraction(round(value, 6)))
    try:
        gains = marginal_gains(
            objective,
            context.funnel,
            rates,
            context.calendar,
            improvement=context.request.improvement,
        )
    except BackplanError:
        return None
    return [gain_to_dict(g, rank) for rank, g in enumerate(gains, 1)]


def _mix(context: Context, table: pd.DataFrame | None, reps: list[str]) -> dict[str, Any] | None:
    """Conversion to meetings by channel for these reps together, with the shift it supports."""
    if table is None:
        return None
    part = table[table["rep"].isin(reps)]
    unattributed = int(part.loc[part["channel"] == UNATTRIBUTED, "meetings"].sum())
    part = part[part["channel"] != UNATTRIBUTED].groupby("channel")[["touches", "meetings"]].sum()
    if not part["touches"].any():
        return None
    notes = []
    counts = {}
    for channel, row in part.iterrows():
        touches, meetings = int(row["touches"]), int(row["meetings"])
        if meetings > touches:
            notes.append(
                f"{channel}: {meetings} meetings credited to touches made before the window, "
                f"more than its {touches} touches in it; counted as {meetings} touches"
            )
            touches = meetings
        counts[str(channel)] = (touches, meetings)
    mix = channel_mix(counts, level=context.request.level)
    out = mix.to_dict()
    stage = meeting_stage(context.funnel)
    coaching = None
    if mix.shift is not None and stage is not None:
        found = context.playbook.get(f"{stage.key}/{mix.shift.source}")
        coaching = found.to_dict() if found else None
    out.update(unattributed=unattributed, coaching=coaching, notes=notes)
    return out


def _trends(context: Context, reps: list[str]) -> list[dict[str, Any]]:
    """Each conversion's rate per month over recent months, and whether it is really moving."""
    monthly = context.monthly[context.monthly["rep"].isin(reps)]
    months = pd.to_datetime(pd.Series(context.months))
    periods = (
        pd.to_datetime(monthly["period"]) if len(monthly) else pd.Series(dtype="datetime64[ns]")
    )
    totals = (
        monthly.assign(period=periods.values).groupby("period")[list(context.funnel.keys)].sum()
    )
    totals = totals.reindex(months, fill_value=0)
    out = []
    for conversion in context.funnel.conversions(down_to=context.objective.stage):
        x = [int(v) for v in totals[conversion.target.key]]
        n = [int(v) for v in totals[conversion.source.key]]
        record: dict[str, Any] = {
            "conversion": conversion.key,
            "months": [m.date().isoformat() for m in months],
            "successes": x,
            "trials": n,
        }
        if any(a > b for a, b in zip(x, n, strict=True)):
            record.update(
                verdict=None, reason="more successes than trials in a month: not a proportion"
            )
        else:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", StatisticalWarning)
                    t = trend(x, n)
            except NoData as e:
                record.update(verdict=None, reason=str(e))
            else:
                record.update(
                    verdict=t.verdict,
                    direction=t.direction,
                    slope=round(t.slope, 6),
                    p_value=round(t.p_value, 6),
                    text=t.explanation,
                )
        out.append(record)
    return out


# -- one team ---------------------------------------------------------------------------------


def diagnose_team(context: Context, wanted: str) -> Result:
    """A team on its pooled counts against the organisation and the sum of its reps' plans,
    with every rep's own diagnosis and the exception list's control limits."""
    table = context.report.table
    team = find_team(wanted, table)
    people = table[table["team"] == team].drop_duplicates("rep").loc[:, ["rep", "name"]].to_numpy()
    members = [
        _rep_result(context, str(rep), str(rep) if pd.isna(name) else str(name), team)
        for rep, name in people
    ]
    funnel = context.funnel
    reps = [m.key for m in members]
    pooled = context.counts[context.counts["rep"].isin(reps)]
    evidence, posteriors = _team_evidence(context, team)
    team_rows = context.report.teams
    own_rates = {
        str(r["conversion"]): float(r["team_rate"])
        for r in team_rows[team_rows["team"] == team].to_dict("records")
    }
    target = sum(m.objective.target for m in members)
    objective = Objective(
        context.objective.stage,
        max(target, 1),
        context.window.period,
        None if context.objective.revenue is None else context.objective.revenue * len(members),
        context.objective.deal_value,
    )
    planned, notes = _planned_rates(funnel, objective, context.given, own_rates, "given")
    for key, e in evidence.items():
        if key in planned:
            plan_rate = float(planned[key].rate.value)
            evidence[key] = replace(
                e, planned=plan_rate, p_below_plan=posteriors[key].cdf(plan_rate)
            )
    expected: dict[str, int] = {}
    for member in members:
        for stage, units in member.expected.items():
            expected[stage] = expected.get(stage, 0) + units
    actual = _actual(pooled, funnel)
    notes.insert(0, f"{len(members)} reps: the team's plan is the sum of their plans")
    result = _finish(
        context, "team", team, team, team, len(members), objective, planned, expected, actual,
        evidence, notes, "the organisation",
    )  # fmt: skip
    result.members = sorted(members, key=lambda m: (-m.output_at_stake, m.name))
    result.channel_mix = _mix(context, context.channels, reps)
    result.trends = _trends(context, reps)
    result.control = {m.key: _control(context, m) for m in members}
    return result


def _team_evidence(
    context: Context, team: str
) -> tuple[dict[str, ConversionEvidence], dict[str, Posterior]]:
    """Every team's pooled counts shrunk toward the organisation's; this team's evidence
    and posterior per conversion."""
    counts = context.counts.assign(team=context.counts["team"].fillna("(no team)"))
    pooled = counts.groupby(["team", "conversion"], sort=True)[["successes", "trials"]].sum()
    out, posteriors = {}, {}
    for conversion in context.funnel.conversions():
        key = conversion.key
        part = (
            pooled.xs(key, level="conversion") if key in pooled.index.get_level_values(1) else None
        )
        if part is None or team not in part.index or not part["trials"].sum() > 0:
            continue
        model = GammaPoissonShrinkage(level=context.request.level)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            model.fit(part["successes"], part["trials"])
        i = list(part.index).index(team)
        out[key] = ConversionEvidence(
            conversion=key,
            successes=float(part["successes"].iloc[i]),
            trials=float(part["trials"].iloc[i]),
            estimate=float(model.estimate_[i]),
            low=float(model.low_[i]),
            high=float(model.high_[i]),
            team=float(model.team_rate_[i]),
            p_below_team=float(model.p_below_team_[i]),
        )
        posteriors[key] = model.posteriors_[i]
    return out, posteriors


def _control(context: Context, member: Result) -> dict[str, Any]:
    """Funnel-plot position of each of a rep's conversions against their team's rate:
    ``position`` at the outer limits (0.998, what flags), ``warning_position`` at the inner (0.95)."""
    out: dict[str, Any] = {}
    for key, e in member.evidence.items():
        rate = e.team
        if rate is None or not 0 < rate < 1 or e.successes > e.trials:
            out[key] = None
            continue
        check = classify(int(e.successes), int(e.trials), rate)
        inner = classify(int(e.successes), int(e.trials), rate, level=WARNING_LEVEL)
        out[key] = {
            "position": check.position,
            "low": round(check.limits.low, 6),
            "high": round(check.limits.high, 6),
            "level": check.limits.level,
            "warning_position": inner.position,
            "warning_low": round(inner.limits.low, 6),
            "warning_high": round(inner.limits.high, 6),
            "warning_level": inner.limits.level,
            "tail": round(check.tail, 6),
        }
    return out


# -- names ------------------------------------------------------------------------------------


def find_rep(wanted: str, table: pd.DataFrame) -> str:
    """The rep key for ``wanted`` (a rep key or name, any case), or an error naming close matches."""
    key = wanted.strip().casefold()
    for column in ("rep", "name"):
        hits = table.loc[table[column].astype("string").str.casefold() == key, "rep"].unique()
        if len(hits) == 1:
            return str(hits[0])
    names = sorted({*table["rep"].dropna().astype(str), *table["name"].dropna().astype(str)})
    raise UnknownRep(
        f"no rep {wanted!r} in the roster or the window's events; {_close(wanted, names, 'reps')}"
    )


def find_team(wanted: str, table: pd.DataFrame) -> str:
    """The team called ``wanted`` (any case), or an error naming close matches."""
    teams = sorted(table["team"].dropna().astype(str).unique())
    for team in teams:
        if team.casefold() == wanted.strip().casefold():
            return str(team)
    raise UnknownRep(f"no team {wanted!r} in the roster; {_close(wanted, teams, 'teams')}")


def _close(wanted: str, known: list[str], what: str) -> str:
    if not known:
        return f"there are no {what} yet (import a roster with `backplan roster FILE`)"
    folded = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(wanted.casefold(), list(folded), n=5, cutoff=0.5)
    if close:
        return "did you mean " + ", ".join(repr(folded[c]) for c in close) + "?"
    listing = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
    return f"{what} are {listing}"


# -- cadence ----------------------------------------------------------------------------------


@dataclass
class CadenceRequest:
    rep: str | None = None
    team: str | None = None
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    threshold: float = DEFAULT_THRESHOLD
    level: float = 0.8


def cadence_report(
    settings: Settings,
    request: CadenceRequest,
    *,
    events: ir.Table | None = None,
    roster: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Response by attempt number for a rep, a team or everyone, and when to move on (case S6)."""
    as_of, day_done = settings.clock.as_of(request.as_of)
    calendar = working_calendar(
        settings.country, settings.subdivision, [as_of.year - 1, as_of.year]
    )
    window = diagnosis_window(request.since, request.until, as_of, calendar, day_done)
    table = open_events(settings) if events is None else events
    people = load_roster(settings) if roster is None else roster
    level: Level = "rep" if request.rep else "team" if request.team else "organisation"
    rows = attempt_counts(table, window.counted, level=level, roster=people).to_pandas()
    if rows.empty and window.chosen and window.period.end >= as_of:
        window = diagnosis_window(None, None, as_of, calendar, day_done, fall_back=True)
        rows = attempt_counts(table, window.counted, level=level, roster=people).to_pandas()
    who: dict[str, Any] = {"level": level}
    if request.rep:
        known = (
            people.loc[:, ["rep", "name", "team"]]
            if len(people)
            else pd.DataFrame(
                {"rep": rows["rep"].unique(), "name": rows["rep"].unique(), "team": None}
            )
        )
        extra = pd.DataFrame({"rep": rows["rep"].unique()})
        extra = extra[~extra["rep"].isin(known["rep"])].assign(name=extra["rep"], team=None)
        rep = find_rep(request.rep, pd.concat([known, extra], ignore_index=True))
        rows = rows[rows["rep"] == rep]
        who["rep"] = rep
    elif request.team:
        team = find_team(request.team, people if len(people) else rows.assign(team=rows["team"]))
        rows = rows[rows["team"] == team]
        who["team"] = team
    if rows.empty or not rows["prospects"].sum():
        raise NoData(
            f"no prospects with attempts from {window.counted.start} to {window.counted.end}; "
            "cadence needs dial, email or social events with prospect ids; choose another window"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        fitted = Cadence(threshold=request.threshold, level=request.level).fit(
            rows["attempts"], rows["responded"].astype(bool), rows["prospects"]
        )
    data = fitted.to_dict()
    data.update(
        who=who,
        window=window.to_dict(),
        notes=[str(w.message) for w in caught if issubclass(w.category, StatisticalWarning)],
    )
    return data


# -- JSON -------------------------------------------------------------------------------------


def result_to_dict(result: Result) -> dict[str, Any]:
    """The diagnosis as JSON-ready data (``layer``, ``bottleneck``, ``coaching`` and more)."""
    d = result.diagnosis
    context = result.context
    out: dict[str, Any] = {
        "kind": result.kind,
        "rep": result.key if result.kind == "rep" else None,
        "name": result.name,
        "team": result.team,
        "reps_in_team": result.reps if result.kind == "team" else None,
        "funnel": context.funnel.key,
        "window": context.window.to_dict(),
        "objective": {
            "stage": result.objective.stage,
            "target": result.objective.target,
            "text": result.objective.describe(),
        },
        "planned_rates": [p.to_dict() for p in result.planned],
        "expected": result.expected,
        "expected_to_date": result.expected_to_date,
        "actual": result.actual,
        "layer": None if d.layer is None else str(d.layer),
        "problem": None if d.problem is None else str(d.problem),
        "on_track": d.on_track,
        "checks": [
            {
                "stage": c.stage.key,
                "layer": str(c.stage.layer),
                "actual": c.actual,
                "expected": c.expected,
                "on_track": c.on_track,
                "text": c.text,
            }
            for c in d.checks
        ],
        "evidence": [_evidence(context.funnel, e) for e in result.evidence.values()],
        "findings": [_finding(f) for f in d.findings],
        "bottleneck": None if d.bottleneck is None else _finding(d.bottleneck),
        "coaching": None if result.coaching is None else result.coaching.to_dict(),
        "coverage": None if d.coverage is None else round(d.coverage, 4),
        "coverage_bar": d.coverage_bar,
        "channel_mix": result.channel_mix,
        "marginal_gains": result.gains,
        "trends": result.trends,
        "explanation": d.explanation,
        "notes": result.notes,
        "output_at_stake": round(result.output_at_stake, 4),
        "flagged": result.flagged,
    }
    if result.kind == "team":
        out["reps"] = [result_to_dict(m) for m in result.members]
        out["exceptions"] = [
            {
                "rep": m.key,
                "name": m.name,
                "flagged": m.flagged,
                "output_at_stake": round(m.output_at_stake, 4),
                "bottleneck": None
                if m.diagnosis.bottleneck is None
                else m.diagnosis.bottleneck.conversion.key,
                "probability_lower": None
                if m.diagnosis.bottleneck is None
                else round(m.diagnosis.bottleneck.probability_lower, 4),
                "layer": None if m.diagnosis.layer is None else str(m.diagnosis.layer),
                "control": result.control.get(m.key, {}),
            }
            for m in result.members
        ]
    return out


def _evidence(funnel: Funnel, e: ConversionEvidence) -> dict[str, Any]:
    conversion = funnel.conversion(e.conversion)
    return {
        "conversion": e.conversion,
        "from": conversion.source.key,
        "to": conversion.target.key,
        "successes": e.successes,
        "trials": e.trials,
        **{
            k: _round(v)
            for k, v in (
                ("estimate", e.estimate),
                ("low", e.low),
                ("high", e.high),
                ("team", e.team),
                ("planned", e.planned),
                ("p_below_team", e.p_below_team),
                ("p_below_plan", e.p_below_plan),
            )
        },
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "conversion": f.conversion.key,
        "from": f.conversion.source.key,
        "to": f.conversion.target.key,
        "reference": f.reference,
        "reference_rate": _round(f.reference_rate),
        "estimate": _round(f.evidence.estimate),
        "probability_lower": _round(f.probability_lower),
        "output_at_stake": _round(f.output_at_stake),
        "strong": f.strong,
        "text": f.text,
    }


def _round(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 6)
