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


def planned_for(settings: Settings, rep: str, period: Period) -> Mapping[str, Any] | None:
    """The plan ``rep`` agreed for ``period`` through their objective (``services/okr``), if any.

    When there is one (``{"objective": "4 sqls", "rates": {"sqls/meetings": "1/3"}}``) the
    diagnosis uses it instead of the objective and rates given on the command line.
    """
    from backplan.services.okr import agreed_plan_for

    return agreed_plan_for(settings, rep, period)


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
