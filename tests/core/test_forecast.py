"""The period forecast: exact where nothing is uncertain, calibrated where it is."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from backplan import Rate, funnel
from backplan.core.errors import NoData
from backplan.core.forecast import beta_belief, forecast

OUTBOUND = funnel("outbound")
DIRECTOR = funnel("sales-director")
S1_RATES = {
    "conversations/dials": Rate.parse("0.07"),
    "meetings/conversations": Rate.parse("1/7"),
    "sqls/meetings": Rate.parse("1/3"),
}


def test_with_no_days_left_the_forecast_is_what_was_done():
    f = forecast(
        "sqls", 4, OUTBOUND, S1_RATES, {"dials": 1100, "sqls": 3}, elapsed_days=20, remaining_days=0
    )
    assert (f.expected, f.low, f.high, f.p_hit) == (3, 3, 3, 0.0)
    met = forecast("sqls", 4, OUTBOUND, S1_RATES, {"sqls": 5}, elapsed_days=20, remaining_days=0)
    assert met.p_hit == 1.0 and met.coverage is None


def test_the_mean_follows_pace_to_date_times_the_rates():
    f = forecast(
        "sqls", 4, OUTBOUND, S1_RATES, {"dials": 600, "sqls": 2},
        elapsed_days=10, remaining_days=10, draws=200_000, seed=1,
    )  # fmt: skip
    pace = (600 + 0.5) / 10
    assert f.mean == pytest.approx(2 + pace * 10 * 0.07 / 7 / 3, abs=0.02)


def test_the_plans_pace_steadies_an_early_forecast():
    slow_start = {"dials": 20, "sqls": 0}
    alone = forecast("sqls", 4, OUTBOUND, S1_RATES, slow_start, elapsed_days=1, remaining_days=19)
    planned = forecast(
        "sqls",
        4,
        OUTBOUND,
        S1_RATES,
        slow_start,
        elapsed_days=1,
        remaining_days=19,
        planned_pace=60,
    )
    assert alone.expected < planned.expected


def test_open_pipeline_converts_and_gives_coverage():
    rates = {
        "pitches/calls": Rate.parse("0.2"),
        "demos/pitches": Rate.parse("0.25"),
        "opps/demos": Rate.parse("0.5"),
        "deals/opps": Rate.parse("0.5"),
    }
    f = forecast(
        "deals", 10, DIRECTOR, rates, {"calls": 0, "deals": 8},
        elapsed_days=20, remaining_days=0, open_pipeline={"opps": 6}, draws=100_000,
    )  # fmt: skip
    assert f.coverage == 3.0 and not f.below_coverage_bar
    # 8 won + Binomial(6, 0.5): P(at least 2 more) = 1 - (1 + 6) / 64.
    assert f.p_hit == pytest.approx(1 - 7 / 64, abs=0.005)


def test_coverage_below_the_bar_is_flagged():
    f = forecast(
        "deals", 10, DIRECTOR, {"deals/opps": Rate.parse("0.3"), **_director_rest()},
        {"deals": 4}, elapsed_days=10, remaining_days=10, open_pipeline={"opps": 9},
    )  # fmt: skip
    assert f.coverage == 1.5 and f.below_coverage_bar


def _director_rest():
    return {
        "pitches/calls": Rate.parse("0.2"),
        "demos/pitches": Rate.parse("0.25"),
        "opps/demos": Rate.parse("0.5"),
    }


def test_nothing_done_and_no_plan_cannot_be_forecast():
    with pytest.raises(NoData, match="plan's daily pace"):
        forecast("sqls", 4, OUTBOUND, S1_RATES, {}, elapsed_days=0, remaining_days=20)


def test_the_same_seed_gives_the_same_forecast():
    args = (
        "sqls",
        4,
        OUTBOUND,
        S1_RATES,
        {"dials": 300},
    )
    a = forecast(*args, elapsed_days=5, remaining_days=15, seed=3)
    b = forecast(*args, elapsed_days=5, remaining_days=15, seed=3)
    assert (a.expected, a.low, a.high, a.p_hit) == (b.expected, b.low, b.high, b.p_hit)


def test_a_beta_belief_reproduces_the_rates_interval():
    rate = Rate(Rate.parse("0.2").value, low=0.15, high=0.26, level=0.8)
    a, b = beta_belief(rate)
    dist = stats.beta(a, b)
    assert a / (a + b) == pytest.approx(0.2)
    assert dist.ppf(0.9) - dist.ppf(0.1) == pytest.approx(0.11, abs=1e-6)


def test_forecasts_made_mid_period_are_calibrated():
    """Of rep-periods given P≈0.7, about 70% hit (simulated with known truth)."""
    rng = np.random.default_rng(2026)
    predicted, hit = [], []
    for _ in range(500):
        pace = rng.gamma(30, 2)  # true dials per working day, around 60
        true = {k: rng.beta(a, b) for k, (a, b) in
                {"conversations/dials": (14, 186), "meetings/conversations": (10, 60),
                 "sqls/meetings": (10, 20)}.items()}  # fmt: skip
        # What the rep's history tells us about each rate: counts from past months.
        beliefs = {}
        trials = {"conversations/dials": 2400, "meetings/conversations": 170, "sqls/meetings": 24}
        for key, n in trials.items():
            s = rng.binomial(n, true[key])
            beliefs[key] = Rate(max(s, 1) / n, successes=s, trials=n)
        first, second = _run(rng, pace * 10, true), _run(rng, pace * 10, true)
        f = forecast(
            "sqls", 4, OUTBOUND, beliefs, {"dials": first[0], "sqls": first[-1]},
            elapsed_days=10, remaining_days=10, draws=4000, seed=int(rng.integers(1 << 30)),
        )  # fmt: skip
        predicted.append(f.p_hit)
        hit.append(first[-1] + second[-1] >= 4)
    predicted_arr, hit_arr = np.array(predicted), np.array(hit)
    assert abs(predicted_arr.mean() - hit_arr.mean()) < 0.05
    middle = (predicted_arr > 0.55) & (predicted_arr < 0.85)
    assert middle.sum() > 40
    assert abs(hit_arr[middle].mean() - predicted_arr[middle].mean()) < 0.1


def _run(rng: np.random.Generator, expected_dials: float, true: dict[str, float]) -> list[int]:
    n = [int(rng.poisson(expected_dials))]
    for key in ("conversations/dials", "meetings/conversations", "sqls/meetings"):
        n.append(int(rng.binomial(n[-1], true[key])))
    return n


def test_a_ratio_above_1_at_a_bounded_stage_is_named_not_a_traceback():
    from backplan.core.errors import InvalidRate
    from backplan.core.warnings import UnlinkedStages

    # Shrunk toward the team below 1, but 7 SQLs from 5 meetings: the beta draw got b < 0.
    unlinked = {**S1_RATES, "sqls/meetings": Rate(0.9, successes=7, trials=5)}
    with pytest.warns(
        UnlinkedStages, match="sqls/meetings reads 7 SQLs from 5 meetings.*not linked"
    ):
        f = forecast("sqls", 4, OUTBOUND, unlinked, {"dials": 600, "sqls": 2},
                     elapsed_days=10, remaining_days=10, draws=2000)  # fmt: skip
    assert f.mean > 2
    with pytest.raises(InvalidRate, match="more successes than trials"):
        beta_belief(Rate(0.9, successes=7, trials=5))


def test_the_80_percent_range_is_the_one_whose_mass_is_closest_to_80():
    from backplan.core.forecast import central_range

    # Equal-tailed percentiles of 0..3 would be 0..3 (100%); 1..2 holds exactly 80%.
    draws = np.array([0] * 10 + [1] * 40 + [2] * 40 + [3] * 10)
    assert central_range(draws, 0.8) == (1, 2, 0.8)
    f = forecast("sqls", 4, OUTBOUND, S1_RATES, {"dials": 600, "sqls": 2},
                 elapsed_days=10, remaining_days=10, draws=20_000)  # fmt: skip
    assert abs(f.range_mass - 0.8) < 0.05
    inside = ((f.draws >= f.low) & (f.draws <= f.high)).mean()
    assert inside == pytest.approx(f.range_mass)


def test_open_units_count_by_their_age_on_the_lag_curve():
    from backplan.core.lag import LagModel

    # Half the meetings that convert do so within 5 days, all within 10; a third ever do.
    lag = LagModel().fit([2.0] * 10 + [8.0] * 10 + [40.0] * 40, [True] * 20 + [False] * 40)
    rates = {**S1_RATES, "sqls/meetings": Rate.parse("1/3")}
    common = dict(elapsed_days=20, remaining_days=0, horizon_days=10, lags={"sqls/meetings": lag},
                  draws=50_000)  # fmt: skip
    fresh = forecast(
        "sqls", 1, OUTBOUND, rates, {}, open_pipeline={"meetings": [0.0] * 9}, **common
    )
    stale = forecast(
        "sqls", 1, OUTBOUND, rates, {}, open_pipeline={"meetings": [30.0] * 9}, **common
    )
    assert fresh.mean == pytest.approx(9 / 3, abs=0.05)  # all their conversions still to come
    assert stale.mean == 0 and stale.pipeline == 9  # still counted for coverage
