"""Rates and flags measured against truth: simulated teams with known true rates.

Each check fits the rates model to seeded simulated teams (``rates_calibration_support``)
and compares with the goals of docs/rates.md, within about two standard errors:
80% intervals hold the true rate 80% of the time in every sample-size bucket,
and the diagnosis flags at most 2% of reps who are on plan. The test of the
tests at the end breaks the model on purpose and checks the same assertions
catch it. Full tables: ``python bench/calibration_rates.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from backplan.core.hierarchy import HyperPosterior
from backplan.core.shrinkage import BetaBinomialShrinkage
from rates_calibration_support import (
    SCENARIOS,
    Coverage,
    Model,
    OnPlanTeam,
    diagnosis_flag_share,
    rate_coverage,
)

GOAL = 0.80
FLAG_GOAL = 0.02
TEAMS = 40
SMALL_TEAMS = 300
"""Teams of 6 simulated for the 'small teams' scenario: about as many reps as 40 teams of 20,
and enough to resolve the 4–5 points the team's own uncertainty is worth there."""
SEED = 20261201


def teams_for(scenario: str) -> int:
    return SMALL_TEAMS if scenario == "small teams" else TEAMS


def off_goal(coverage: list[Coverage]) -> list[str]:
    """The buckets whose coverage is more than two standard errors from 80%."""
    return [
        f"{c.bucket[0]}–{c.bucket[1] - 1} trials: {c.share:.1%} ± {c.se:.1%} ({c.intervals})"
        for c in coverage
        if not c.within(GOAL, 2 * c.se)
    ]


@pytest.mark.parametrize(
    "scenario",
    [
        "typical",
        "heterogeneous low rates",
        "high rates",
        "large samples",
        "small samples",
        "small teams",
    ],
)
def test_80_percent_intervals_hold_the_true_rate_80_percent_of_the_time_in_every_bucket(
    scenario: str,
) -> None:
    coverage = rate_coverage(SCENARIOS[scenario], teams=teams_for(scenario), seed=SEED)
    assert not off_goal(coverage), off_goal(coverage)


@pytest.mark.xfail(
    strict=True,
    reason="known shortfall (docs/rates.md): when reps are near-identical the likelihood is "
    "flat from κ ≈ 100 to κ = ∞ (20 reps cannot tell them apart), the hyperprior keeps that "
    "range, and 80% intervals hold the truth about 88–98% of the time; a prior that fixes it "
    "under-covers typical teams and small samples (measured)",
)
def test_near_identical_reps_get_80_percent_intervals_too() -> None:
    coverage = rate_coverage(SCENARIOS["near-identical reps"], teams=TEAMS, seed=SEED)
    assert not off_goal(coverage), off_goal(coverage)


def test_the_diagnosis_flags_at_most_2_percent_of_reps_who_are_on_plan() -> None:
    share, se, one_bar_each = diagnosis_flag_share(OnPlanTeam(), periods=40, seed=SEED)
    assert share - 2 * se <= FLAG_GOAL, (share, se)
    # The old rule, P(below) > 0.9 on any comparison, flags several times as many.
    assert one_bar_each > 3 * FLAG_GOAL


# -- the test of the tests: broken models must fail the same assertions ----------------------


class NoUncertainty(BetaBinomialShrinkage):
    """Intervals collapsed onto the estimate."""

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        estimate = self._no_data_as_nan(np.array([p.mean for p in self.posteriors_]))
        return estimate, estimate


def strength_times(factor: float) -> Model:
    class Scaled(BetaBinomialShrinkage):
        """Every prior strength multiplied by ``factor`` after fitting."""

        def _hyper_posterior(self, y: np.ndarray, n: np.ndarray) -> HyperPosterior:
            return super()._hyper_posterior(y, n).scaled(factor)

    return Scaled


class TeamRateKnown(BetaBinomialShrinkage):
    """The team's mean taken as known: its uncertainty no longer widens the posteriors."""

    def _hyper_posterior(self, y: np.ndarray, n: np.ndarray) -> HyperPosterior:
        return super()._hyper_posterior(y, n).at_mean()


@pytest.mark.parametrize(
    ("broken", "scenario"),
    [
        pytest.param(NoUncertainty, "typical", id="uncertainty removed"),
        pytest.param(strength_times(3), "typical", id="prior strength x3"),
        pytest.param(strength_times(0.3), "typical", id="prior strength x0.3"),
        # The team's mean is most uncertain in a small team: in teams of 20 taking it as
        # known moves coverage by only 2–3 points, in teams of 6 by 4–5 (docs/rates.md).
        pytest.param(TeamRateKnown, "small teams", id="team-rate widening removed"),
    ],
)
def test_the_calibration_check_catches_a_broken_model(broken: Model, scenario: str) -> None:
    coverage = rate_coverage(
        SCENARIOS[scenario], teams=teams_for(scenario), seed=SEED, model=broken
    )
    assert off_goal(coverage), [f"{c.share:.1%} ± {c.se:.1%}" for c in coverage]
