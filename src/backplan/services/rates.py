"""Rates from data: each rep's funnel over a window, shrunk toward their team's.

One query counts every rep's stages (per period) or cohorts (per prospect);
the core's empirical-Bayes estimators turn the counts into estimates with
intervals. The same report feeds ``backplan rates``, plans built from a rep's
data, and the Python API.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Literal

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from backplan.config import Settings
from backplan.core.errors import InvalidPeriod, NoData
from backplan.core.flags import FLAG_RULE
from backplan.core.funnel import Conversion, Funnel
from backplan.core.period import Period
from backplan.core.rate import Rate
from backplan.core.shrinkage import (
    DEFAULT_LEVEL,
    BetaBinomialShrinkage,
    GammaPoissonShrinkage,
)
from backplan.core.warnings import StatisticalWarning, UnlinkedStages
from backplan.events.schema import ROSTER_COLUMNS
from backplan.metrics import cohort_conversions, open_events, stage_counts
from backplan.services.lookup import find_rep, find_team
from backplan.services.roster import roster_frame

Counting = Literal["period", "cohort"]
COUNTINGS: tuple[str, ...] = ("period", "cohort")

RATE_COLUMNS = [
    "rep", "name", "team", "conversion", "from", "to", "successes", "trials", "raw",
    "estimate", "low", "high", "team_rate", "p_below_team", "prior", "prior_strength",
    "flagged",
]  # fmt: skip


def last_full_quarter(today: date) -> Period:
    """The last calendar quarter that ended before ``today``."""
    quarter = (today.month - 1) // 3 + 1
    if quarter == 1:
        return Period.quarter(today.year - 1, 4)
    return Period.quarter(today.year, quarter - 1)


def rates_window(since: date | None, until: date | None, today: date) -> Period:
    """The window rates are measured over: ``since``..``until``, or the last full quarter."""
    if since is None and until is None:
        return last_full_quarter(today)
    if since is None or until is None:
        raise InvalidPeriod(
            "give both the start and the end of the window, or neither for the last full quarter"
        )
    return Period(since, until)


def empty_roster() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in ROSTER_COLUMNS})


def load_roster(settings: Settings) -> pd.DataFrame:
    """The roster from the app database (rep, name, team, manager); empty when there is none."""
    return roster_frame(settings)


@dataclass
class RatesRequest:
    """What a user asks for: a funnel over a window, optionally one rep or team."""

    funnel: str
    since: date | None = None
    until: date | None = None
    rep: str | None = None
    team: str | None = None
    counting: Counting = "period"
    level: float = DEFAULT_LEVEL


@dataclass
class RatesReport:
    """Every rep's rate for every conversion of a funnel over a window.

    ``table`` has one row per rep and conversion (columns ``RATE_COLUMNS``);
    ``teams`` one row per team and conversion with the pooled counts and the
    prior; ``rates`` the same estimates as :class:`Rate` objects keyed by
    (rep, conversion key); ``caveats`` the statistical caveats met on the way,
    as (conversion key, message).
    """

    funnel: Funnel
    window: Period
    counting: Counting
    level: float
    table: pd.DataFrame
    teams: pd.DataFrame
    rates: dict[tuple[str, str], Rate] = field(default_factory=dict)
    caveats: list[tuple[str, str]] = field(default_factory=list)
    priors: dict[tuple[str, str], Rate] = field(default_factory=dict)
    """For a rep without trials at a conversion: their team's prior, never shown as their
    estimate, but what a forecast draws from when it has nothing better."""

    @property
    def notes(self) -> list[str]:
        return self.notes_for([c.key for c in self.funnel.conversions()])

    def notes_for(self, conversions: list[str]) -> list[str]:
        """The caveats about these conversions, as sentences."""
        return [
            f"{self.funnel.conversion(key).short}: {message}"
            for key, message in self.caveats
            if key in conversions
        ]

    def for_rep(self, rep: str) -> dict[str, Rate]:
        """One rep's rates keyed by conversion (``"sqls/meetings"``)."""
        return {key: rate for (who, key), rate in self.rates.items() if who == rep}


def conversion_counts(
    events: ir.Table,
    funnel: Funnel,
    window: Period,
    *,
    counting: Counting = "period",
    roster: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Successes and trials per rep and conversion, from one query.

    Every rep with events in the window or on the roster gets a row for every
    conversion (zero when they have no data). Columns: rep, name, team,
    conversion, from, to, successes, trials.
    """
    if counting not in COUNTINGS:
        raise ValueError(f"counting {counting!r} is not one of {', '.join(COUNTINGS)}")
    people = empty_roster() if roster is None else roster.loc[:, list(ROSTER_COLUMNS)]
    conversions = funnel.conversions()
    if counting == "period":
        wide = stage_counts(events, funnel, window, roster=people).to_pandas()
        long = pd.concat(
            [
                pd.DataFrame({
                    "rep": wide["rep"], "from": c.source.key, "to": c.target.key,
                    "successes": wide[c.target.key], "trials": wide[c.source.key],
                })
                for c in conversions
            ],
            ignore_index=True,
        )  # fmt: skip
    else:
        long = cohort_conversions(events, funnel, window, roster=people).to_pandas()
        if long.empty:
            raise NoData(
                f"no prospect entered a stage of {funnel.key!r} in {window.label}; cohort "
                "counting needs prospect ids on the events (or count per period)",
                command="--count period",
            )
        long = long.loc[:, ["rep", "from", "to", "successes", "trials"]]
    reps = pd.Index(pd.concat([long["rep"], people["rep"]]).dropna().unique(), name="rep")
    grid = pd.MultiIndex.from_product(
        [reps, [c.source.key for c in conversions]], names=["rep", "from"]
    ).to_frame(index=False)
    grid["to"] = grid["from"].map({c.source.key: c.target.key for c in conversions})
    grid["conversion"] = grid["to"] + "/" + grid["from"]
    counts = grid.merge(long, on=["rep", "from", "to"], how="left")
    counts[["successes", "trials"]] = counts[["successes", "trials"]].fillna(0).astype("int64")
    counts = counts.merge(people.loc[:, ["rep", "name", "team"]], on="rep", how="left")
    counts["name"] = counts["name"].fillna(counts["rep"])
    counts["step"] = counts["from"].map({c.source.key: i for i, c in enumerate(conversions)})
    counts = counts.sort_values(["rep", "step"])
    return counts.loc[
        :, ["rep", "name", "team", "conversion", "from", "to", "successes", "trials"]
    ].reset_index(drop=True)


def estimate_rates(
    counts: pd.DataFrame,
    funnel: Funnel,
    window: Period,
    *,
    counting: Counting = "period",
    level: float = DEFAULT_LEVEL,
) -> RatesReport:
    """Shrink every rep's counts toward their team's, conversion by conversion."""
    rows, teams = [], []
    caveats: list[tuple[str, str]] = []
    rates: dict[tuple[str, str], Rate] = {}
    priors: dict[tuple[str, str], Rate] = {}
    for conversion in funnel.conversions():
        part = counts[counts["conversion"] == conversion.key].reset_index(drop=True)
        if part.empty:
            continue
        # Successes that cannot exceed trials are a proportion: beta-binomial. A bounded
        # stage counted per period can still show more successes than trials when its
        # events come from files that are not linked (deals owned by another team):
        # those reps get no rate, and a warning says why.
        bounded = counting == "cohort" or conversion.target.bounded
        model: BetaBinomialShrinkage | GammaPoissonShrinkage = (
            BetaBinomialShrinkage(level=level) if bounded else GammaPoissonShrinkage(level=level)
        )
        team_of = [None if pd.isna(t) else str(t) for t in part["team"]]
        unlinked = (part["successes"] > part["trials"]).to_numpy() if bounded else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatisticalWarning)
            if unlinked is not None and unlinked.any():
                warnings.warn(
                    UnlinkedStages.about(
                        conversion.target.plural,
                        conversion.source.plural,
                        [str(r) for r in part.loc[unlinked, "rep"]],
                    ),
                    UnlinkedStages,
                    stacklevel=2,
                )
            successes = part["successes"].to_numpy(dtype=float)
            trials = part["trials"].to_numpy(dtype=float)
            if unlinked is not None:
                # Not linked, not counted: such a rep is left out of the fit, like no data.
                successes = np.where(unlinked, 0.0, successes)
                trials = np.where(unlinked, 0.0, trials)
            try:
                model.fit(successes, trials, teams=team_of)
            except NoData:
                caveats.append(
                    (conversion.key, f"no {conversion.source.plural} in {window.label}, so no rate")
                )
                rows.append(part.reindex(columns=RATE_COLUMNS))  # counts, no estimate
                continue
        caveats.extend(
            (conversion.key, str(w.message))
            for w in caught
            if issubclass(w.category, StatisticalWarning)
        )
        fitted = model.to_frame().drop(columns=["team", "successes", "trials"])
        rows.append(pd.concat([part, fitted], axis=1))
        teams.append(_team_rows(part, model, conversion))
        found = zip(part["rep"], model.rates(), model.prior_rates(), strict=True)
        for i, (rep, rate, prior) in enumerate(found):
            if rate is not None:
                rates[(str(rep), conversion.key)] = rate
            elif prior is not None and not (unlinked is not None and unlinked[i]):
                priors[(str(rep), conversion.key)] = prior  # no data: the team's prior
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=RATE_COLUMNS)
    table["flagged"] = _flagged(table)
    table = table.sort_values("rep", kind="stable").reset_index(drop=True)
    team_table = pd.concat(teams, ignore_index=True) if teams else pd.DataFrame()
    return RatesReport(
        funnel, window, counting, level, table.loc[:, RATE_COLUMNS], team_table, rates, caveats,
        priors,
    )  # fmt: skip


def _flagged(table: pd.DataFrame) -> pd.Series:
    """Whether each rate is strong evidence of being below the team's, among all the
    comparisons with the team made for the same rep (``core.flags``)."""
    if table.empty:
        return pd.Series(dtype=bool)
    p = pd.to_numeric(table["p_below_team"], errors="coerce")
    made = p.notna().groupby(table["rep"]).transform("sum")
    bar = made.map(FLAG_RULE.threshold)
    return (p > bar).fillna(False).astype(bool)


def _team_rows(
    part: pd.DataFrame, model: BetaBinomialShrinkage | GammaPoissonShrinkage, conversion: Conversion
) -> pd.DataFrame:
    team = part["team"].astype("object").where(part["team"].notna(), None)
    grouped = part.assign(team=team).groupby("team", dropna=False, sort=True)
    summary = grouped.agg(
        reps=("rep", "size"), successes=("successes", "sum"), trials=("trials", "sum")
    ).reset_index()
    priors = [
        model.organisation_prior_ if pd.isna(t) or t is None else model.priors_[str(t)]
        for t in summary["team"]
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(summary["trials"] > 0, summary["successes"] / summary["trials"], np.nan)
    return summary.assign(
        conversion=conversion.key,
        **{"from": conversion.source.key, "to": conversion.target.key},
        raw=raw,
        team_rate=[p.mean for p in priors],
        prior_strength=[p.strength for p in priors],
        prior=[p.basis for p in priors],
    ).loc[
        :,
        ["team", "conversion", "from", "to", "reps", "successes", "trials", "raw",
         "team_rate", "prior_strength", "prior"],
    ]  # fmt: skip


def rates_report(
    settings: Settings,
    request: RatesRequest,
    today: date,
    *,
    events: ir.Table | None = None,
    roster: pd.DataFrame | None = None,
) -> RatesReport:
    """The report ``backplan rates`` prints: fitted on every rep, filtered to the one asked for.

    The whole organisation is always fitted, since a rep's estimate depends on
    their team's; ``request.rep`` and ``request.team`` only choose the rows shown.
    """
    from backplan.services.planning import resolve_funnel

    funnel = resolve_funnel(settings, request.funnel or settings.funnel)
    window = rates_window(request.since, request.until, today)
    table = open_events(settings) if events is None else events
    people = load_roster(settings) if roster is None else roster
    counts = conversion_counts(table, funnel, window, counting=request.counting, roster=people)
    if not (counts["trials"].any() or counts["successes"].any()):
        raise NoData(
            f"no events of funnel {funnel.key!r} in {window.label}; {_span(table)} "
            "(choose a window that has them)"
        )
    report = estimate_rates(counts, funnel, window, counting=request.counting, level=request.level)
    if request.rep:
        rep = find_rep(request.rep, report.table)
        report.table = report.table[report.table["rep"] == rep].reset_index(drop=True)
        team = report.table["team"].iloc[0]
        if not report.teams.empty:
            same = report.teams["team"].isna() if pd.isna(team) else report.teams["team"] == team
            report.teams = report.teams[same].reset_index(drop=True)
    if request.team:
        team = find_team(request.team, report.table)
        report.table = report.table[report.table["team"] == team].reset_index(drop=True)
        if not report.teams.empty:
            report.teams = report.teams[report.teams["team"] == team].reset_index(drop=True)
    return report


def _span(events: ir.Table) -> str:
    """Where the data is, for an error message: the first and last day with events."""
    first, last = events.at.min().to_pandas(), events.at.max().to_pandas()
    if pd.isna(first):
        return "the event table is empty"
    return f"events run from {first.date()} to {last.date()}"


@dataclass(frozen=True)
class RepRates:
    """One rep's estimated rates, by conversion, and the report they came from."""

    rep: str
    name: str
    team: str | None
    rates: dict[str, Rate]
    report: RatesReport


def rep_rates(
    settings: Settings,
    rep: str,
    funnel: str,
    window: Period,
    *,
    level: float = DEFAULT_LEVEL,
    events: ir.Table | None = None,
    roster: pd.DataFrame | None = None,
) -> RepRates:
    """A rep's estimated rates for planning, from the window's data.

    A per-period ratio above 1 cannot be planned through a bounded stage (each
    SQL comes from one meeting), so such estimates are capped at 1 there.
    """
    request = RatesRequest(funnel, window.start, window.end, level=level)
    report = rates_report(settings, request, window.end, events=events, roster=roster)
    key = find_rep(rep, report.table)
    rates = planning_rates(report, key)
    row = report.table[report.table["rep"] == key].iloc[0]
    name = key if pd.isna(row["name"]) else str(row["name"])
    team = None if pd.isna(row["team"]) else str(row["team"])
    return RepRates(key, name, team, rates, report)


def planning_rates(report: RatesReport, rep: str, *, priors: bool = False) -> dict[str, Rate]:
    """One rep's rates from ``report``, fit to plan or forecast through: a per-period ratio
    above 1 into a bounded stage (each SQL comes from one meeting) is capped at 1. With
    ``priors``, a conversion the rep has no trials at takes their team's prior (wide)."""
    rates = {}
    found = report.for_rep(rep)
    if priors:
        found = {**{k: r for (who, k), r in report.priors.items() if who == rep}, **found}
    for conversion_key, rate in found.items():
        bounded = report.funnel.conversion(conversion_key).target.bounded
        rates[conversion_key] = _capped(rate) if bounded else rate
    return rates


def _capped(rate: Rate) -> Rate:
    if rate.value <= 1:
        return rate
    low = min(rate.low or 1.0, 1.0)
    return Rate(
        Fraction(1),
        low=low,
        high=1.0,
        level=rate.level,
        successes=rate.successes,
        trials=rate.trials,
        distribution=rate.distribution,
    )


def report_to_dict(report: RatesReport) -> dict[str, Any]:
    """The report as JSON-ready data: ``rates`` holds one record per rep and conversion."""
    return {
        "funnel": report.funnel.key,
        "window": {
            "since": report.window.start.isoformat(),
            "until": report.window.end.isoformat(),
            "label": report.window.label,
        },
        "counting": report.counting,
        "level": report.level,
        "rates": [_record(row) for row in report.table.to_dict("records")],
        "teams": [_record(row) for row in report.teams.to_dict("records")],
        "notes": report.notes,
    }


def _record(row: Mapping[Hashable, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, value in row.items():
        key = str(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            out[key] = None
        elif isinstance(value, float | np.floating):
            out[key] = round(float(value), 6)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        else:
            out[key] = value
    return out
