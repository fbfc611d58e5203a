"""A team's diagnosis: its pooled counts against the organisation and the sum of its reps'
plans, every rep's own diagnosis, and the exception list's control limits."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import pandas as pd

from backplan.core.control import WARNING_LEVEL, classify
from backplan.core.diagnose import ConversionEvidence
from backplan.core.errors import NoObjective
from backplan.core.objective import Objective
from backplan.core.posterior import Posterior
from backplan.core.shrinkage import GammaPoissonShrinkage
from backplan.core.warnings import StatisticalWarning
from backplan.services.diagnosis.channels import channel_mix_for
from backplan.services.diagnosis.context import Context
from backplan.services.diagnosis.plan import (
    ObjectiveInForce,
    actual_counts,
    owner_objective,
    planned_rates,
)
from backplan.services.diagnosis.rep import rep_result
from backplan.services.diagnosis.result import Result, diagnosed
from backplan.services.diagnosis.trends import rate_trends
from backplan.services.lookup import find_team


def diagnose_team(context: Context, wanted: str) -> Result:
    """A team on its pooled counts against the organisation and the sum of its reps' plans,
    with every rep's own diagnosis and the exception list's control limits."""
    table = context.report.table
    team = find_team(wanted, table)
    people = table[table["team"] == team].drop_duplicates("rep").loc[:, ["rep", "name"]].to_numpy()
    members, without = [], []
    for rep, name in people:
        shown = str(rep) if pd.isna(name) else str(name)
        try:
            members.append(rep_result(context, str(rep), shown, team))
        except NoObjective:
            without.append(shown)  # nothing typed and no objective of their own this period
    funnel = context.funnel
    reps = [m.key for m in members]
    pooled = context.counts[context.counts["rep"].isin(reps)]
    evidence, posteriors = _team_evidence(context, team)
    team_rows = context.report.teams
    own_rates = {
        str(r["conversion"]): float(r["team_rate"])
        for r in team_rows[team_rows["team"] == team].to_dict("records")
    }
    found = _team_objective(context, team, members)
    objective = found.objective
    planned, notes = planned_rates(funnel, objective, context.given, own_rates, "given")
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
    actual = actual_counts(pooled, funnel)
    notes.insert(0, f"{len(members)} reps: the team's plan is the sum of their plans")
    if without:
        notes.insert(1, f"no objective for {', '.join(without)} in {objective.period.label}: "
                     "not in the team's plan")  # fmt: skip
    result = diagnosed(
        context, "team", team, team, team, len(members), objective, planned, expected, actual,
        evidence, notes, "the organisation",
    )  # fmt: skip
    result.objective_source, result.objective_id = found.source, found.objective_id
    result.members = sorted(members, key=lambda m: (-m.output_at_stake, m.name))
    result.channel_mix = channel_mix_for(context, reps)
    result.trends = rate_trends(context, reps, objective.stage)
    result.control = {m.key: _control(context, m) for m in members}
    return result


def _team_objective(context: Context, team: str, members: list[Result]) -> ObjectiveInForce:
    """The team's objective: its objective for the period (from the OKRs) when none was
    typed, else the sum of its reps' objectives, which must be at one stage."""
    period = context.window.period
    named = period.named()
    if context.objective is None:
        found = owner_objective(context.settings, context.funnel, period, "team", team, {})
        if found is not None:
            return found
    stages = {m.objective.stage for m in members}
    if len(stages) != 1:
        raise NoObjective(
            f"team {team} has no objective for {named.label}"
            + (" and its reps' objectives are at different stages" if stages else "")
            + ": set one on the OKRs page, or give the objective each rep's plan is for",
            command=f"backplan okr create --team {team!r} ..., or --objective '4 sqls'",
        )
    first = members[0].objective
    objective = Objective(
        first.stage,
        max(sum(m.objective.target for m in members), 1),
        period,
        None if first.revenue is None else sum(m.objective.revenue or 0 for m in members),
        first.deal_value,
    )
    source = "given" if context.objective is not None else "okr"
    return ObjectiveInForce(objective, {}, source)


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
        # A team that is the whole organisation has no peers to be compared with: making
        # that comparison would only raise the bar for the real ones (core.flags).
        alone = len(part) == 1
        out[key] = ConversionEvidence(
            conversion=key,
            successes=float(part["successes"].iloc[i]),
            trials=float(part["trials"].iloc[i]),
            estimate=float(model.estimate_[i]),
            low=float(model.low_[i]),
            high=float(model.high_[i]),
            team=None if alone else float(model.team_rate_[i]),
            p_below_team=None if alone else float(model.p_below_team_[i]),
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
