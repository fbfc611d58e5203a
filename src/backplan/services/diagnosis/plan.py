"""The plan a result is measured against: its planned rates, the units it needs, the counts so far.

The objective and planned rates are taken exactly as ``backplan plan`` takes them, or from
the plan a rep agreed through their objective; a conversion without a planned rate is
planned at the team's rate, and a note says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from backplan.config import Settings
from backplan.core.funnel import Conversion, Funnel
from backplan.core.objective import Objective
from backplan.core.period import Period
from backplan.core.plan import rate_for, whole_units
from backplan.core.rate import Rate, as_fraction
from backplan.services.planning import parse_rates


def planned_for(settings: Settings, rep: str, period: Period) -> Mapping[str, Any] | None:
    """The plan ``rep`` agreed for ``period`` through their objective (``services/okr``), if any.

    When there is one (``{"objective": "4 sqls", "rates": {"sqls/meetings": "1/3"}}``) the
    diagnosis uses it instead of the objective and rates given on the command line.
    """
    from backplan.services.okr import agreed_plan_for

    return agreed_plan_for(settings, rep, period)


@dataclass(frozen=True)
class ObjectiveInForce:
    """The objective a diagnosis measures against, the rates given with it, and their source:
    ``given`` (typed), ``agreed`` (the plan the rep agreed) or ``okr`` (the objective set for
    the period, planned at the owner's own rates)."""

    objective: Objective
    given: Mapping[str, Rate]
    source: str
    objective_id: int | None = None


def rep_objective(
    settings: Settings, funnel: Funnel, period: Period, rep: str,
    typed: Objective | None, given: Mapping[str, Rate],
) -> ObjectiveInForce | None:  # fmt: skip
    """What ``rep`` is measured against: the objective typed, else the plan they agreed for
    the period (typed rates still override its rates), else their objective for the period."""
    if typed is not None:
        return ObjectiveInForce(typed, given, "given")
    agreed = planned_for(settings, rep, period)
    if agreed is not None:
        objective = Objective.parse(str(agreed["objective"]), funnel, period)
        rates = {**parse_rates(dict(agreed.get("rates", {})), funnel), **given}
        return ObjectiveInForce(objective, rates, "agreed", int(agreed["objective_id"]))
    return owner_objective(settings, funnel, period, "rep", rep, given)


def owner_objective(
    settings: Settings, funnel: Funnel, period: Period, kind: str, owner: str,
    given: Mapping[str, Rate],
) -> ObjectiveInForce | None:  # fmt: skip
    """The objective a rep or team has for exactly ``period`` (``services/okr``), if any."""
    from backplan.services.okr import objective_in_force

    found = objective_in_force(settings, kind, owner, period)  # type: ignore[arg-type]
    if found is None:
        return None
    objective = Objective.parse(str(found["objective"]), funnel, period, found["deal_value"])
    return ObjectiveInForce(objective, given, "okr", int(found["objective_id"]))


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


def planned_rates(
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
            f"no planned rate given for {', '.join(assumed)}: {_whose(peers)} rate is the "
            "plan's assumption there"
        )
    if missing:
        last = missing[-1]
        notes.append(
            f"no planned rate and no data for {last.short}: the plan stops at "
            f"{last.target.plural} (give a planned rate for {last.short} to go further)"
        )
    return planned, notes


def _whose(peers: str) -> str:
    return "the rep's own" if peers == "own" else f"the {peers}'s"


def planned_units(
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


def actual_counts(counts: pd.DataFrame, funnel: Funnel) -> dict[str, int]:
    """Each stage's count from conversion rows (trials at ``from``, successes at ``to``)."""
    actual = dict.fromkeys(funnel.keys, 0)
    for stage in funnel.keys:
        trials = counts.loc[counts["from"] == stage, "trials"]
        successes = counts.loc[counts["to"] == stage, "successes"]
        actual[stage] = int(trials.sum()) if len(trials) else int(successes.sum())
    return actual
