"""Plan ranges simulated from the rates' posteriors (Monte Carlo, seeded)."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from backplan import Objective, Period, Rate, funnel, plan_backwards
from backplan.core.period import FixedWorkingDays
from backplan.core.posterior import Posterior

OUTBOUND = funnel("outbound")
DECEMBER = Period.month(2026, 12)
EXACT = {
    "meetings/conversations": Rate.parse("1/7"),
    "sqls/meetings": Rate.parse("1/3"),
}


def estimated(posterior: Posterior, level: float = 0.8) -> Rate:
    low, high = posterior.interval(level)
    return Rate(posterior.mean, low=low, high=high, level=level, distribution=posterior)


def plan(rates, **options):
    return plan_backwards(
        Objective("sqls", 4, DECEMBER), OUTBOUND, rates, FixedWorkingDays(20), **options
    )


def test_one_uncertain_rate_gives_the_objective_through_its_posterior_quantiles():
    dials_rate = Posterior("beta", 84.0, 1116.0)  # 84 conversations in 1,200 dials
    result = plan({**EXACT, "conversations/dials": estimated(dials_rate)})
    q10, q90 = stats.beta(84, 1116).ppf([0.1, 0.9])
    dials = result.stage("dials")
    assert dials.per_period == 1200
    assert dials.low == pytest.approx(math.ceil(84 / q90), rel=0.01)
    assert dials.high == pytest.approx(math.ceil(84 / q10), rel=0.01)
    assert result.stage("conversations").low == result.stage("conversations").high == 84


def test_uncertainty_adds_up_the_funnel():
    rates = {
        "conversations/dials": estimated(Posterior("beta", 84.0, 1116.0)),
        "meetings/conversations": estimated(Posterior("beta", 12.0, 72.0)),
        "sqls/meetings": estimated(Posterior("beta", 4.0, 8.0)),
    }
    result = plan(rates)
    widths = [(t.high - t.low) / t.per_period for t in result.stages[:-1]]
    assert widths[0] > widths[1] > widths[2] > 0  # dials carry all three uncertainties


def test_the_same_plan_always_shows_the_same_range():
    rates = {**EXACT, "conversations/dials": estimated(Posterior("beta", 84.0, 1116.0))}
    first, again = plan(rates), plan(rates)
    assert [(t.low, t.high) for t in first.stages] == [(t.low, t.high) for t in again.stages]
    other = plan(rates, seed=1).stage("dials")
    assert other.low == pytest.approx(first.stage("dials").low, rel=0.01)


def test_a_bounded_conversion_never_needs_fewer_units_above_than_below():
    # A per-period estimate near 1 whose posterior reaches above 1.
    near_one = Posterior("gamma", 36.0, 40.0)
    rates = {
        **EXACT,
        "sqls/meetings": estimated(near_one),
        "conversations/dials": Rate.parse("0.07"),
    }
    assert plan(rates).stage("meetings").low >= 4


def test_rates_given_as_intervals_mix_with_posteriors():
    rates = {
        "conversations/dials": Rate(Rate.parse("0.07").value, low=0.06, high=0.08),
        "meetings/conversations": estimated(Posterior("beta", 12.0, 72.0)),
        "sqls/meetings": Rate.parse("1/3"),
    }
    result = plan(rates)
    for target in result.stages:
        assert target.low is not None and target.high is not None
        assert target.low <= target.per_period <= target.high
    assert result.stage("dials").high > 1400  # wider than the dial rate's interval alone
