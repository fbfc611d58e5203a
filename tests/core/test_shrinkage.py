"""Rates with honest uncertainty: empirical-Bayes shrinkage toward the team (case S7)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backplan.core.errors import InvalidCounts, InvalidLevel, NoData
from backplan.core.posterior import Posterior
from backplan.core.shrinkage import BetaBinomialShrinkage, GammaPoissonShrinkage, Prior
from backplan.core.warnings import SmallSampleWarning, StatisticalWarning

MODELS = [BetaBinomialShrinkage, GammaPoissonShrinkage]

# Case S7: a team whose reps qualify about 1 meeting in 3; one rep has 3 meetings
# and no SQL, another 40 meetings and 2 SQLs.
MEETINGS = [3, 40, 30, 36, 24, 33, 27, 45]
SQLS = [0, 2, 10, 12, 8, 11, 9, 15]
SMALL, LOW = 0, 1


@pytest.mark.parametrize("model", MODELS)
def test_three_meetings_and_no_sql_is_not_a_qualification_problem_yet(model):
    fit = model().fit(SQLS, MEETINGS, teams=["north"] * 8)
    team = fit.team_rate_[SMALL]
    assert team == pytest.approx(67 / 238)  # the team's pooled rate, 28%
    assert abs(fit.estimate_[SMALL] - team) < 0.06  # near the team's, not 0%
    assert fit.high_[SMALL] - fit.low_[SMALL] > 0.2  # and honestly unsure
    assert fit.p_below_team_[SMALL] < 0.9  # so no flag


@pytest.mark.parametrize("model", MODELS)
def test_forty_meetings_and_two_sqls_is_a_qualification_problem(model):
    fit = model().fit(SQLS, MEETINGS, teams=["north"] * 8)
    small_width = fit.high_[SMALL] - fit.low_[SMALL]
    low_width = fit.high_[LOW] - fit.low_[LOW]
    assert fit.estimate_[LOW] < 0.16  # well below the team's 28%
    assert fit.high_[LOW] < fit.team_rate_[LOW]  # the whole interval is below it
    # and narrow: 0.61 of it with the mixture's own quantiles (0.58 with the Beta matched
    # to its moments, whose interval is too narrow in the tail toward the team)
    assert low_width < 0.65 * small_width
    assert fit.p_below_team_[LOW] > 0.98


def test_the_s7_figures_are_stable():
    # The hierarchical model (team mean and strength integrated, docs/rates.md). Under the
    # clamped type-II ML fit these were: team 0.2815, κ 22.71, 0.249/0.134, 0.662/0.996.
    fit = BetaBinomialShrinkage().fit(SQLS, MEETINGS, teams=["north"] * 8)
    assert fit.team_rate_[0] == pytest.approx(67 / 238)
    assert fit.priors_["north"].hyper.mean == pytest.approx(0.289, abs=0.001)
    assert fit.strength_[0] == pytest.approx(18.6, abs=0.1)
    assert np.round(fit.estimate_[:2], 3).tolist() == [0.234, 0.129]
    assert np.round(fit.p_below_team_[:2], 3).tolist() == [0.706, 0.984]


def test_per_period_ratios_above_one_are_estimated_not_refused():
    # More SQLs than meetings in a month: earlier meetings qualified late.
    fit = GammaPoissonShrinkage().fit([5, 3, 12, 30], [4, 10, 11, 25])
    assert fit.raw_[0] == 1.25
    assert fit.estimate_[0] > 1 and fit.high_[0] > fit.estimate_[0] > fit.low_[0]
    with pytest.raises(InvalidCounts, match="rep 0 has 5 successes in 4 trials"):
        BetaBinomialShrinkage().fit([5, 3, 12, 30], [4, 10, 11, 25])


def simulated_coverage(model, seed: int, sims: int = 40, reps: int = 25):
    """Share of 80% intervals that contain the true rate, for teams with known rates."""
    rng = np.random.default_rng(seed)
    if model is BetaBinomialShrinkage:
        teams = [(0.1, 20), (0.3, 10), (0.5, 40), (0.7, 15), (0.3, 100)]
    else:
        teams = [(0.07, 300), (0.3, 20), (1.2, 10), (0.5, 50), (0.3, 100)]
    hits, total = 0, 0
    for _ in range(sims):
        successes, trials, team_of, truth = [], [], [], []
        for team, (mean, strength) in enumerate(teams):
            n = rng.integers(5, 150 if model is BetaBinomialShrinkage else 300, reps)
            if model is BetaBinomialShrinkage:
                true = rng.beta(mean * strength, (1 - mean) * strength, reps)
                y = rng.binomial(n, true)
            else:
                true = rng.gamma(mean * strength, 1 / strength, reps)
                y = rng.poisson(true * n)
            successes += y.tolist()
            trials += n.tolist()
            team_of += [team] * reps
            truth += true.tolist()
        fit = model(level=0.8).fit(successes, trials, teams=team_of)
        inside = (fit.low_ <= np.array(truth)) & (np.array(truth) <= fit.high_)
        hits += int(inside.sum())
        total += len(truth)
    return hits / total


@pytest.mark.parametrize("model", MODELS)
def test_80_percent_intervals_contain_the_true_rate_about_80_percent_of_the_time(model):
    coverage = simulated_coverage(model, seed=20261123)
    assert 0.77 <= coverage <= 0.83, coverage


@pytest.mark.parametrize("model", MODELS)
def test_reps_without_trials_get_no_data_not_an_estimate(model):
    fit = model().fit([0, 10, 12, 8], [0, 30, 36, 24])
    for fitted in (fit.raw_, fit.estimate_, fit.low_, fit.high_, fit.p_below_team_):
        assert np.isnan(fitted[0])  # no data, no rate
    assert fit.rates()[0] is None
    assert fit.weight_[0] == 1.0
    assert not np.isnan(fit.estimate_[1:]).any()


def test_a_team_too_small_to_fit_is_shrunk_toward_the_organisation_with_a_warning():
    successes = [10, 12, 8, 11, 2, 3]
    trials = [30, 36, 24, 33, 10, 10]
    teams = ["north", "north", "north", "north", "tiny", "tiny"]
    with pytest.warns(SmallSampleWarning, match=r"tiny \(2\)"):
        fit = BetaBinomialShrinkage().fit(successes, trials, teams=teams)
    assert fit.priors_["tiny"] is fit.organisation_prior_
    assert fit.priors_["tiny"].basis == "organisation"
    assert fit.priors_["north"].basis == "team"
    assert fit.team_rate_[4] == pytest.approx(46 / 143)


def test_an_organisation_of_two_reps_gets_a_weak_prior_and_a_warning():
    with pytest.warns(SmallSampleWarning, match="only 2 rep"):
        fit = GammaPoissonShrinkage().fit([1, 3], [10, 10])
    assert fit.organisation_prior_.basis == "default"
    assert fit.strength_[0] == pytest.approx(1 / 0.2)  # a prior worth one success
    assert issubclass(SmallSampleWarning, StatisticalWarning)


def test_a_team_that_never_converted_still_gets_a_proper_prior():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = BetaBinomialShrinkage().fit([0, 0, 0, 0], [20, 30, 10, 40])
    assert fit.team_rate_[0] == pytest.approx(0.5 / 101)
    assert (fit.low_ > 0).all() and (fit.estimate_ > 0).all()
    assert (fit.estimate_ < 0.01).all() and (fit.high_ < 0.01).all()


@pytest.mark.parametrize(
    ("successes", "trials", "error", "message"),
    [
        ([1, -2], [3, 4], InvalidCounts, "rep 1 has counts -2 of 4"),
        ([1, 2], [3], ValueError, "2 success counts for 1 trial counts"),
        ([], [], NoData, "no reps"),
        ([0, 0, 0], [0, 0, 0], NoData, "no trials at all"),
    ],
)
def test_bad_counts_are_refused_with_what_is_wrong(successes, trials, error, message):
    with pytest.raises(error, match=message):
        BetaBinomialShrinkage().fit(successes, trials)


def test_a_level_below_one_half_is_refused():
    with pytest.raises(InvalidLevel, match=r"at least 0\.5"):
        BetaBinomialShrinkage(level=0.3)


def test_estimates_become_rates_that_carry_their_interval_counts_and_posterior():
    fit = BetaBinomialShrinkage(level=0.9).fit(SQLS, MEETINGS, teams=["north"] * 8)
    rate = fit.rates()[LOW]
    assert float(rate.value) == pytest.approx(fit.estimate_[LOW])
    assert (rate.low, rate.high, rate.level) == (fit.low_[LOW], fit.high_[LOW], 0.9)
    assert (rate.successes, rate.trials) == (2, 40)
    assert rate.distribution is not None and rate.distribution.family == "beta"
    assert rate.distribution.mean == pytest.approx(fit.estimate_[LOW])


def test_a_fixed_prior_strength_is_used_as_given():
    fit = BetaBinomialShrinkage(strength=50).fit(SQLS, MEETINGS)
    assert (fit.strength_ == 50).all()
    assert fit.estimate_[SMALL] == pytest.approx((50 * 67 / 238 + 0) / (50 + 3))


# -- properties ----------------------------------------------------------------------------------

means = st.floats(min_value=0.01, max_value=0.99)
families = st.sampled_from(["beta", "gamma"])
levels = st.floats(min_value=0.5, max_value=0.99)
counts = st.integers(min_value=0, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


def prior(family: str, mean: float, extra: float, mean_variance: float = 0.0) -> Prior:
    floor = max(1 / mean, 1 / (1 - mean)) if family == "beta" else 1 / mean
    return Prior(family, mean, floor + extra, reps=10, basis="team", mean_variance=mean_variance)  # type: ignore[arg-type]


@given(families, means, st.floats(0, 500), st.floats(0, 0.01), counts, levels)
def test_an_interval_always_contains_its_estimate(family, mean, extra, mean_var, yn, level):
    successes, trials = yn
    posterior = prior(family, mean, extra, mean_var).posterior(successes, trials)
    low, high = posterior.interval(level)
    assert 0 < low <= posterior.mean <= high


@given(families, means, st.floats(0, 200), counts, st.integers(2, 10))
def test_more_trials_at_the_same_raw_rate_narrow_the_interval(family, mean, extra, yn, k):
    # Once a rep's own trials outweigh the prior. (Before, data that pull the estimate
    # from a team rate near 0 toward 50% can widen it: Beta(1, 7) then 1 of 1, then 2 of 2.)
    successes, trials = yn
    p = prior(family, mean, extra)
    assume(trials >= p.strength)
    low, high = p.posterior(successes, trials).interval(0.8)
    more_low, more_high = p.posterior(k * successes, k * trials).interval(0.8)
    assert more_high - more_low < high - low


@settings(max_examples=50, deadline=None)
@given(
    st.lists(counts.filter(lambda yn: yn[1] > 0), min_size=3, max_size=12),
    st.sampled_from(MODELS),
)
def test_an_estimate_lies_between_the_raw_rate_and_the_teams(reps, model):
    successes, trials = zip(*reps, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        fit = model().fit(successes, trials)
    # The hierarchical beta-binomial averages over the team's mean as well, so its estimate
    # can sit a little outside when the raw rate and the team's are close: by no more than a
    # fraction of what is still unknown about the team's mean (its posterior sd).
    if model is GammaPoissonShrinkage:
        slack = np.full(len(trials), 1e-12)
    else:
        slack = np.array([0.5 * p.mean_variance**0.5 for p in fit.rep_priors_])
    lower = np.minimum(fit.raw_, fit.team_rate_) - slack
    upper = np.maximum(fit.raw_, fit.team_rate_) + slack
    assert ((lower <= fit.estimate_) & (fit.estimate_ <= upper)).all()


def test_moment_matching_keeps_mean_and_variance():
    p = Posterior.matching("gamma", 0.3, 0.01)
    assert (p.mean, p.variance) == (pytest.approx(0.3), pytest.approx(0.01))
    q = Posterior.matching("beta", 0.3, 0.01)
    assert (q.mean, q.variance) == (pytest.approx(0.3), pytest.approx(0.01))
