"""The forecast on simulated organisations with known truth, and a test of that test.

Lags from meeting to SQL, open pipeline of every age, overdispersed days and
a shock each team shares; rates shrunk toward the team's as the service
estimates them, targets set from them: the model's P(hit) must match the share that hit,
and its 80% ranges must hold 80% of outcomes, for reps and for teams. Each
deliberately broken model must fail the same check: a check that passes
everything catches nothing.
"""

from __future__ import annotations

import warnings

import pytest

from calibration_support import BROKEN, MODEL, Org, Truth, forecasts, misses, simulate

FAST = Truth(teams=80, reps_per_team=8)
DRAWS = 1000


@pytest.fixture(scope="module")
def org() -> Org:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(FAST, seed=2026)


def test_the_simulated_history_gives_back_its_truth(org: Org):
    # The lag curve, the days' dispersion and the team shock are fitted from the history alone.
    assert org.lag.eventual == pytest.approx(1 / 3, abs=0.05)
    assert float(org.lag.reached_by(FAST.lag_mean)) == pytest.approx(0.59, abs=0.06)
    assert org.dispersion is not None and 1.5 < org.dispersion < 5
    assert org.shock_sd == pytest.approx(FAST.shock_sd, abs=0.12)


def test_forecasts_at_day_10_are_calibrated_for_reps_and_teams(org: Org):
    scores = forecasts(org, MODEL, draws=DRAWS)
    assert misses(scores) == []
    # The reliability bins follow the diagonal within two standard errors.
    for row in scores.rep.reliability:
        p, n = row["predicted"], row["n"]
        assert abs(row["observed"] - p) <= 2 * (p * (1 - p) / n) ** 0.5, row


def test_p_hit_and_team_ranges_are_calibrated_at_day_10(org: Org):
    scores = forecasts(org, MODEL, draws=DRAWS)
    assert abs(scores.rep.mean_p - scores.rep.hit_share) <= 0.03
    assert scores.rep.range_coverage["mass"] == pytest.approx(0.8, abs=0.03)
    team = scores.team.range_coverage
    assert abs(team["observed"] - 0.8) <= 2 * team["standard_error"]


@pytest.mark.parametrize("broken", BROKEN, ids=lambda v: v.name)
def test_a_broken_model_fails_the_calibration_check(org: Org, broken):
    assert misses(forecasts(org, broken, draws=DRAWS)) != []
