"""Funnel-plot control limits and trends: flags on strong evidence only (case S7)."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backplan.core.control import (
    _exact_trend_p,
    classify,
    control_limits,
    funnel_limits,
    level_for_z,
    trend,
)
from backplan.core.errors import InvalidCounts, InvalidRate, NoData
from backplan.core.warnings import SmallSampleWarning


def binomial_cdf(x: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x + 1))


# --- Case S7: small samples are not flagged -------------------------------------------


def test_three_meetings_without_an_sql_is_within_the_limits():
    check = classify(0, 3, team_rate=0.33)
    assert check.position == "within" and not check.outside
    assert check.tail == pytest.approx(0.67**3)  # 30% of reps at the team's rate do this


def test_forty_meetings_and_two_sqls_is_below_the_limits():
    check = classify(2, 40, team_rate=0.33)
    assert check.position == "below" and check.outside
    assert check.tail == pytest.approx(binomial_cdf(2, 40, 0.33))
    assert check.tail < 0.001
    assert check.observed == 0.05 < check.limits.low


def test_a_strong_rep_is_above_the_limits():
    assert classify(30, 40, team_rate=0.33).position == "above"


def test_no_trials_is_never_flagged():
    check = classify(0, 0, team_rate=0.33)
    assert check.position == "within" and check.observed is None
    assert (check.limits.low, check.limits.high) == (0.0, 1.0)


# --- The limits ---------------------------------------------------------------------------


def test_exact_limits_interpolate_the_binomial_quantile():
    # Binomial(10, 1/2): P(X ≤ 1) = 11/1024, P(X ≤ 2) = 56/1024; the 2.5% quantile is 2 and
    # a = (56/1024 − 0.025) / (45/1024) = 30.4/45, so the lower limit is (2 − 30.4/45) / 10.
    limits = control_limits(0.5, 10, level=0.95)
    assert limits.low == pytest.approx((2 - 30.4 / 45) / 10)
    assert limits.high == pytest.approx(1 - (2 - 30.4 / 45) / 10)
    assert limits.method == "exact"


def test_z_gives_the_matching_two_sided_level():
    assert level_for_z(2) == pytest.approx(0.9545, abs=1e-4)
    assert level_for_z(3) == pytest.approx(0.9973, abs=1e-4)
    assert control_limits(0.2, 50, z=3).level == pytest.approx(level_for_z(3))


def test_the_normal_approximation_flags_noise_that_exact_limits_do_not():
    # 3 of 20 at a team rate of 5%: P(X ≥ 3) = 7.5%, not unusual at 95%.
    tail = 1 - binomial_cdf(2, 20, 0.05)
    assert tail == pytest.approx(0.0755, abs=1e-4)
    assert classify(3, 20, 0.05, level=0.95).position == "within"
    assert classify(3, 20, 0.05, level=0.95, method="normal").position == "above"


def test_funnel_limits_for_a_plot_narrow_as_trials_grow():
    low, high = funnel_limits(0.33, [10, 40, 160, 640], level=0.998)
    assert list(low) == sorted(low) and list(high) == sorted(high, reverse=True)
    assert high[-1] - low[-1] < 0.12 < high[0] - low[0]


@pytest.mark.parametrize("rate", [0, 1, 1.2, -0.1])
def test_limits_need_a_team_rate_strictly_between_0_and_1(rate):
    with pytest.raises(InvalidRate, match="strictly between 0 and 1"):
        control_limits(rate, 10)


def test_bad_counts_and_options_are_refused():
    with pytest.raises(InvalidCounts, match="cannot exceed trials"):
        classify(5, 3, 0.3)
    with pytest.raises(InvalidRate, match="not both"):
        control_limits(0.3, 10, level=0.95, z=2)
    with pytest.raises(InvalidRate, match="'exact' or 'normal'"):
        funnel_limits(0.3, [10], method="wilson")  # type: ignore[arg-type]


rates = st.floats(min_value=0.01, max_value=0.99)
levels = st.sampled_from([0.8, 0.9, 0.95, 0.998])


@given(rates, st.integers(min_value=1, max_value=400), levels, st.data())
def test_the_verdict_is_the_exact_binomial_tail_test(rate, trials, level, data):
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    q = (1 - level) / 2
    below = binomial_cdf(successes, trials, rate)
    above = 1 - binomial_cdf(successes - 1, trials, rate) if successes else 1.0
    # Away from exact ties, outside the limits is exactly "tail probability below q".
    assume(abs(below - q) > 1e-9 and abs(above - q) > 1e-9)
    position = classify(successes, trials, rate, level=level).position
    expected = "below" if below < q else "above" if above < q else "within"
    assert position == expected


@given(rates, st.integers(min_value=1, max_value=2000), levels)
def test_limits_widen_as_trials_shrink(rate, trials, level):
    low, high = funnel_limits(rate, [trials, trials + 1], level=level)
    assert low[0] <= low[1] + 1e-12
    assert high[0] >= high[1] - 1e-12
    assert 0 <= low[0] <= rate <= high[0] <= 1


# --- Trends -------------------------------------------------------------------------------


def test_a_rate_rising_every_month_is_moving_up():
    result = trend([2, 4, 6, 8], [20, 20, 20, 20])
    assert result.verdict == "moving up" and result.moving
    assert result.slope == pytest.approx(0.1)  # ten points a month
    assert result.method == "exact"
    assert result.p_value < 0.05


def test_a_rate_falling_every_month_is_moving_down():
    assert trend([8, 6, 4, 2], [20, 20, 20, 20]).verdict == "moving down"


def test_noise_around_a_flat_rate_is_not_really_moving():
    result = trend([5, 3, 6, 4], [20, 20, 20, 20])
    assert result.verdict == "not really moving" and not result.moving
    assert result.direction is None


def test_the_exact_p_value_equals_enumerating_every_split():
    successes, trials = [0, 1, 2, 3], [4, 4, 5, 3]
    total = sum(successes)
    weights: dict[int, int] = {}
    for split in itertools.product(*(range(n + 1) for n in trials)):
        if sum(split) == total:
            score = sum(t * x for t, x in enumerate(split))
            ways = math.prod(math.comb(n, x) for n, x in zip(trials, split, strict=True))
            weights[score] = weights.get(score, 0) + ways
    everything = sum(weights.values())
    mean = sum(s * w for s, w in weights.items()) / everything
    observed = sum(t * x for t, x in enumerate(successes))
    expected = sum(w for s, w in weights.items() if abs(s - mean) >= abs(observed - mean) - 1e-9)
    assert trend(successes, trials).p_value == pytest.approx(expected / everything)


def test_large_counts_use_the_chi_square_statistic():
    successes, trials = [100, 120, 140, 160], [1000, 1000, 1000, 1000]
    result = trend(successes, trials)
    assert result.method == "chi-square"
    # By hand: p̄ = 0.13, t̄ = 1.5, S = 1000 × (2.25 + 0.25 + 0.25 + 2.25) = 5000,
    # slope = (100 × −1.5 + 120 × −0.5 + 140 × 0.5 + 160 × 1.5) / 5000 = 0.02.
    assert result.slope == pytest.approx(0.02)
    z = 0.02 * math.sqrt(5000 / (0.13 * 0.87))
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert result.verdict == "moving up"
    assert "+2.0 points a period" in result.explanation


def test_a_period_without_trials_is_skipped_not_counted_as_zero():
    with_gap = trend([2, 0, 6, 8], [20, 0, 20, 20])
    assert with_gap.trials == 60 and with_gap.periods == 4
    assert with_gap.slope > 0


def test_two_periods_warn_and_one_is_not_a_trend():
    with pytest.warns(SmallSampleWarning, match="two periods"):
        trend([2, 8], [20, 20])
    with pytest.raises(NoData, match="at least two periods"):
        trend([2, 0], [20, 0])
    with pytest.raises(InvalidCounts, match="period 2"):
        trend([2, 30], [20, 20])


def test_all_successes_or_none_cannot_move():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trend([0, 0, 0], [10, 10, 10]).p_value == 1.0
        assert trend([10, 10, 10], [10, 10, 10]).verdict == "not really moving"


@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=3, max_size=8).map(
        lambda pairs: [(min(a, b), max(a, b)) for a, b in pairs]
    )
)
def test_reversing_the_periods_reverses_the_slope_with_the_same_p_value(pairs):
    successes, trials = [x for x, _ in pairs], [n for _, n in pairs]
    assume(sum(1 for n in trials if n) >= 3)
    forward = trend(successes, trials)
    backward = trend(successes[::-1], trials[::-1])
    assert backward.slope == pytest.approx(-forward.slope, abs=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, abs=1e-9)
    assert 0 <= forward.p_value <= 1
    assert np.isfinite(forward.low) and forward.low <= forward.slope <= forward.high


def test_a_rate_that_swings_month_to_month_is_not_called_a_trend():
    # Months alternate between 15% and 85%, drifting up 10 points a month: binomial chance
    # alone would call that a trend (p < 0.001); the months' own scatter says otherwise.
    swings = [3, 15, 5, 17, 7, 19]
    result = trend(swings, [20] * 6)
    assert result.method == "quasi-binomial" and result.dispersion > 8
    assert result.verdict == "not really moving" and result.p_value > 0.2
    binomial_only = _exact_trend_p(np.array(swings), np.array([20] * 6), sum(swings))
    assert binomial_only < 0.001
    assert result.low < 0 < result.high


def test_a_steady_trend_keeps_its_verdict_when_months_scatter_no_more_than_chance():
    result = trend([2, 4, 6, 8], [20, 20, 20, 20])
    assert result.dispersion <= 1 and result.method == "exact"
    assert result.verdict == "moving up"
