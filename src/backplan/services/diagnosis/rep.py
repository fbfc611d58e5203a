"""One rep's diagnosis: their counts against their plan to date, their evidence, what to coach.

The plan is the one the rep agreed through their objective when there is one, else the
objective and rates asked for; each conversion's evidence is the rep's shrunk estimate
(``services.rates``) with the probability it is below the team's rate and below the
planned rate. Beside it: the channel mix, marginal gains on the rep's own rates (case S8)
and each rate's trend.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from backplan.core.diagnose import ConversionEvidence
from backplan.core.errors import BackplanError, NoObjective
from backplan.core.funnel import Funnel
from backplan.core.objective import Objective
from backplan.core.plan import marginal_gains
from backplan.core.rate import Rate, as_fraction
from backplan.services.diagnosis.channels import channel_mix_for
from backplan.services.diagnosis.context import Context
from backplan.services.diagnosis.plan import (
    actual_counts,
    planned_rates,
    planned_units,
    rep_objective,
)
from backplan.services.diagnosis.result import Result, diagnosed
from backplan.services.diagnosis.trends import rate_trends
from backplan.services.lookup import find_rep
from backplan.services.planning import gain_to_dict


def diagnose_rep(context: Context, wanted: str) -> Result:
    """One rep's diagnosis: their counts against their plan to date, and their evidence."""
    table = context.report.table
    rep = find_rep(wanted, table)
    rows = table[table["rep"] == rep]
    first = rows.iloc[0]
    team = None if pd.isna(first["team"]) else str(first["team"])
    name = rep if pd.isna(first["name"]) else str(first["name"])
    return rep_result(context, rep, name, team)


def rep_result(context: Context, rep: str, name: str, team: str | None) -> Result:
    """The diagnosis of ``rep`` (a key the report knows), named and placed in ``team``."""
    funnel, report = context.funnel, context.report
    rows = report.table[report.table["rep"] == rep].set_index("conversion")
    period = context.window.period
    named = period.named()
    found = rep_objective(context.settings, funnel, period, rep, context.objective, context.given)
    if found is None:
        raise NoObjective(
            f"{name} has no objective for {named.label}: set one on the OKRs page, or give "
            "the objective the plan is for",
            command=f"backplan okr create --rep {rep!r} ..., or --objective '4 sqls'",
        )
    objective = found.objective
    # Planned at the team's rates where nothing was given; an objective set but not yet
    # agreed is planned at the rep's own rates, as its proposal would be.
    column = "estimate" if found.source == "okr" else "team_rate"
    fallback = {str(key): float(value) for key, value in rows[column].dropna().items()}
    planned, notes = planned_rates(
        funnel, objective, found.given, fallback,
        "given" if found.source == "given" else "agreed",
        "own" if found.source == "okr" else "team",
    )  # fmt: skip
    expected = planned_units(funnel, objective, planned)
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
    actual = actual_counts(context.counts[context.counts["rep"] == rep], funnel)
    result = diagnosed(
        context, "rep", rep, name, team, 1, objective, planned, expected, actual, evidence,
        notes, "the team",
    )  # fmt: skip
    result.objective_source, result.objective_id = found.source, found.objective_id
    result.gains = _gains(context, objective, rows)
    result.channel_mix = channel_mix_for(context, [rep])
    result.trends = rate_trends(context, [rep], objective.stage)
    notes.extend(report.notes_for([k for k in evidence if k in _span_keys(funnel, objective)]))
    return result


def _span_keys(funnel: Funnel, objective: Objective) -> list[str]:
    return [c.key for c in funnel.conversions(down_to=objective.stage)]


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
