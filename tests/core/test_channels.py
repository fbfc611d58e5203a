"""Channel mix (case S3): conversion to meetings by channel, and where to move effort."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import beta

from backplan.core.channels import ChannelCounts, channel_mix
from backplan.core.errors import InvalidCounts, InvalidRate, NoData
from backplan.core.proportions import jeffreys_interval, probability_greater

# Company X, a month for the team of four: outbound leaned on emails, which converted to
# meetings below the standard; calls converted better.
COMPANY_X = {"calls": (1_000, 30), "emails": (3_000, 30), "social": (200, 2)}


def test_company_x_should_move_from_email_to_calls():
    mix = channel_mix(COMPANY_X)
    assert [r.channel for r in mix.rates] == ["calls", "emails", "social"]
    assert [r.rate for r in mix.rates] == [0.03, 0.01, 0.01]
    assert mix.shift is not None
    assert mix.shift.text == "move from emails to calls"
    assert mix.shift.ratio == pytest.approx(3.0)
    assert mix.shift.probability == pytest.approx(probability_greater(30, 1_000, 30, 3_000))
    assert mix.shift.probability > 0.999


def test_channel_rates_carry_jeffreys_intervals():
    calls = channel_mix(COMPANY_X, level=0.8).rates[0]
    assert calls.low == pytest.approx(beta.ppf(0.1, 30.5, 970.5))
    assert calls.high == pytest.approx(beta.ppf(0.9, 30.5, 970.5))


def test_one_rep_with_few_touches_gets_rates_but_no_recommendation():
    mix = channel_mix({"calls": (20, 1), "emails": (30, 0)})
    assert mix.shift is None
    assert [r.rate for r in mix.rates] == [0.05, 0.0]


def test_the_shift_comes_from_the_busiest_channel_that_is_clearly_worse():
    mix = channel_mix({"calls": (500, 25), "emails": (2_000, 20), "social": (600, 6)})
    assert mix.shift is not None and mix.shift.source == "emails"


def test_a_channel_without_touches_has_no_rate_and_sorts_last():
    mix = channel_mix([ChannelCounts("social", 0, 0), ChannelCounts("calls", 100, 5)])
    assert [(r.channel, r.rate, r.low, r.high) for r in mix.rates] == [
        ("calls", 0.05, mix.rates[0].low, mix.rates[0].high),
        ("social", None, 0.0, 1.0),
    ]
    assert mix.shift is None


def test_to_dict_is_strict_json_with_the_shift_in_words():
    out = channel_mix(COMPANY_X).to_dict()
    assert out["shift"]["text"] == "move from emails to calls"
    assert out["channels"][0]["channel"] == "calls"
    json.dumps(out, allow_nan=False)


def test_bad_channel_counts_name_the_channel():
    with pytest.raises(InvalidCounts, match=r"channel 'emails'.*cannot exceed"):
        channel_mix({"emails": (10, 12)})
    with pytest.raises(InvalidCounts, match="given twice"):
        channel_mix([ChannelCounts("calls", 1, 0), ChannelCounts("calls", 2, 0)])
    with pytest.raises(NoData):
        channel_mix({})
    with pytest.raises(InvalidRate, match="confidence"):
        channel_mix(COMPANY_X, confidence=0.3)


def test_probability_greater_agrees_with_simulation():
    rng = np.random.default_rng(11)
    draws = 400_000
    a = rng.beta(1.5, 2.5, draws)  # 1 of 3
    b = rng.beta(100.5, 900.5, draws)  # 100 of 1,000
    assert probability_greater(1, 3, 100, 1_000) == pytest.approx((a > b).mean(), abs=0.003)


counts = st.integers(min_value=0, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, counts)
def test_one_channel_is_better_or_worse_never_both(a, b):
    ab = probability_greater(a[0], a[1], b[0], b[1])
    ba = probability_greater(b[0], b[1], a[0], a[1])
    assert ab + ba == pytest.approx(1.0, abs=1e-6)
    assert 0 <= ab <= 1


@given(counts, st.sampled_from([0.5, 0.8, 0.95]))
def test_jeffreys_interval_contains_the_observed_rate(count, level):
    successes, trials = count
    low, high = jeffreys_interval(successes, trials, level)
    observed = successes / trials if trials else 0.5
    assert 0 <= low <= observed <= high <= 1
