"""Cadence (case S6): response by attempt number, the cumulative curve, when to move on."""

from __future__ import annotations

import csv
import json
import warnings
from fractions import Fraction
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backplan.core.cadence import Cadence, fit_cadence
from backplan.core.errors import InvalidCounts, InvalidRate, NoData
from backplan.core.warnings import SmallSampleWarning


@cache
def bank_clients(path: Path) -> tuple[list[int], list[bool]]:
    """One row per client: attempts in the campaign, and whether they converted."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    return [int(r["campaign"]) for r in rows], [r["y"] == "yes" for r in rows]


@pytest.fixture
def bank(shared_data: Path) -> tuple[list[int], list[bool]]:
    return bank_clients(shared_data / "uci-bank-marketing" / "bank-full.csv")


# --- The real campaign data -----------------------------------------------------------


def test_bank_campaign_counts_match_an_independent_count(bank):
    attempts, converted = bank
    cadence = Cadence().fit(attempts, converted)
    for k in (1, 2, 3, 5, 6, 10, 17, 32):
        still_in = sum(1 for a in attempts if a >= k)
        responses = sum(1 for a, y in zip(attempts, converted, strict=True) if a == k and y)
        row = cadence.by_attempt_[k - 1]
        assert (row.attempt, row.prospects, row.responses) == (k, still_in, responses)
        assert row.rate == responses / still_in
    assert cadence.prospects_ == 45_211
    assert cadence.responses_ == 5_289


def test_bank_campaign_figures(bank):
    cadence = Cadence().fit(*bank)
    first = [(r.prospects, r.responses, r.moved_on) for r in cadence.by_attempt_[:6]]
    assert first == [
        (45_211, 2_561, 14_983),
        (27_667, 1_401, 11_104),
        (15_162, 618, 4_903),
        (9_641, 317, 3_205),
        (6_119, 139, 1_625),
        (4_355, 92, 1_199),
    ]
    assert len(cadence.by_attempt_) == 63


def test_bank_cumulative_curve_is_kaplan_meier(bank):
    cadence = Cadence().fit(*bank)
    survival = Fraction(1)
    for row, point in zip(cadence.by_attempt_, cadence.cumulative_, strict=True):
        survival *= Fraction(row.prospects - row.responses, row.prospects)
        assert point.responded == pytest.approx(float(1 - survival), abs=1e-12)
        assert point.low <= point.responded <= point.high
    # Six attempts reach 20.5% of clients; the naive share of converted clients is 11.7%.
    assert round(cadence.cumulative_[5].responded, 4) == 0.2052
    assert round(cadence.cumulative_[-1].responded, 4) == 0.3173


def test_bank_campaign_shows_diminishing_returns(bank):
    cadence = Cadence().fit(*bank)
    rates = [row.rate for row in cadence.by_attempt_[:10]]
    assert rates == sorted(rates, reverse=True) and len(set(rates)) == 10
    steps = [first.probability for first in cadence.first_response_[:10]]
    assert steps == sorted(steps, reverse=True)
    assert round(rates[0], 4) == 0.0566 and round(rates[9], 4) == 0.0096


def test_bank_campaign_recommends_six_attempts_at_two_per_hundred(bank):
    cadence = Cadence(threshold=0.02).fit(*bank)
    assert cadence.recommended_attempts_ == 6
    # Attempt 6 still yields 2.1 per 100 clients not yet converted; attempt 7 yields 1.5.
    assert cadence.by_attempt_[5].rate > 0.02 > cadence.by_attempt_[6].rate
    assert cadence.recommendation_.horizon == 34  # 32 clients still called at 34, 27 at 35
    assert "attempt 7 yields 1.5 per 100" in cadence.recommendation_.reason


def test_bank_recommendation_at_other_thresholds(bank):
    cadence = Cadence().fit(*bank)
    assert {t: cadence.recommend(t).attempts for t in (0.05, 0.03, 0.015, 0.01)} == {
        0.05: 2,
        0.03: 4,
        0.015: 7,
        0.01: 11,  # attempt 10 dips to 0.96 per 100, attempt 11 makes up for it (1.34)
    }


# --- Responses on the fifth or sixth attempt (seed text) -------------------------------

# 100 prospects, called up to 8 times: "they typically received responses on the fifth
# or sixth cold call attempt". Responses by attempt; everyone else had all 8 attempts.
LATE_RESPONSES = {1: 2, 2: 1, 3: 1, 4: 1, 5: 20, 6: 15, 7: 1}


def late_responders() -> tuple[list[int], list[bool]]:
    attempts = [k for k, d in LATE_RESPONSES.items() for _ in range(d)]
    silent = 100 - len(attempts)
    return attempts + [8] * silent, [True] * len(attempts) + [False] * silent


def test_responses_on_fifth_or_sixth_attempt_recommend_six_attempts():
    cadence = Cadence(threshold=0.02).fit(*late_responders())
    assert [(r.prospects, r.responses) for r in cadence.by_attempt_] == [
        (100, 2),
        (98, 1),
        (97, 1),
        (96, 1),
        (95, 20),
        (75, 15),
        (60, 1),
        (59, 0),
    ]
    # Everyone got every attempt until they responded, so per 100 prospects the net gain
    # is responses so far less 0.02 × attempts made so far:
    # attempts made 100, 198, 295, 391, 486, 561, 621, 680; responses 2, 3, 4, 5, 25, 40, 41, 41.
    net_per_100 = [g * 100 for g in cadence.recommendation_.net_gain]
    assert net_per_100 == pytest.approx([0.0, -0.96, -1.90, -2.82, 15.28, 28.78, 28.58, 27.40])
    assert cadence.recommended_attempts_ == 6


def test_a_quiet_third_and_fourth_attempt_do_not_stop_the_cadence():
    cadence = Cadence(threshold=0.02).fit(*late_responders())
    # Attempts 2 to 4 yield about 1 per 100 each, below the threshold on their own ...
    assert all(row.rate < 0.02 for row in cadence.by_attempt_[1:4])
    # ... but they lead to attempts 5 and 6, so the rule keeps calling through them.
    assert cadence.recommended_attempts_ == 6


def test_a_lower_threshold_adds_the_seventh_attempt():
    # Attempt 7: 1 response of 60 (1.67 per 100) pays at 1.5 per 100, not at 2.
    cadence = Cadence(threshold=0.015).fit(*late_responders())
    assert cadence.recommended_attempts_ == 7
    assert cadence.recommend(0.02).attempts == 6


def test_when_nothing_pays_the_recommendation_is_one_attempt():
    cadence = Cadence(threshold=0.5).fit(*late_responders())
    assert cadence.recommended_attempts_ == 1


# --- Censoring ----------------------------------------------------------------------------


def test_prospects_dropped_early_do_not_count_as_failures_later():
    # 100 prospects: 10 respond on attempt 1, 40 are dropped after it; of the 50 called
    # again, 10 respond on attempt 2. Half the second-attempt prospects never got it.
    attempts = [1] * 10 + [1] * 40 + [2] * 10 + [2] * 40
    responded = [True] * 10 + [False] * 40 + [True] * 10 + [False] * 40
    cadence = Cadence(min_prospects=10).fit(attempts, responded)
    assert [r.rate for r in cadence.by_attempt_] == [0.1, 0.2]
    # Kaplan–Meier: 1 − 0.9 × 0.8 = 0.28, not the naive 20 of 100.
    assert cadence.cumulative_[1].responded == pytest.approx(0.28)
    assert [f.probability for f in cadence.first_response_] == pytest.approx([0.1, 0.18])
    assert [f.share for f in cadence.first_response_] == [0.5, 0.5]


def test_weights_give_the_same_fit_as_one_row_per_prospect():
    attempts, responded = late_responders()
    expanded = Cadence().fit(attempts, responded)
    pairs = sorted({(a, r) for a, r in zip(attempts, responded, strict=True)})
    counts = [sum(1 for x in zip(attempts, responded, strict=True) if x == p) for p in pairs]
    grouped = Cadence().fit([a for a, _ in pairs], [r for _, r in pairs], counts)
    assert grouped.by_attempt_ == expanded.by_attempt_
    assert grouped.cumulative_ == expanded.cumulative_
    assert grouped.recommended_attempts_ == expanded.recommended_attempts_


# --- Intervals, output, warnings and errors -----------------------------------------------


def test_attempt_rates_carry_jeffreys_intervals():
    cadence = Cadence(level=0.8).fit(*late_responders())
    fifth = cadence.by_attempt_[4]
    from scipy.stats import beta

    assert fifth.low == pytest.approx(beta.ppf(0.1, 20.5, 75.5))
    assert fifth.high == pytest.approx(beta.ppf(0.9, 20.5, 75.5))
    eighth = cadence.by_attempt_[7]
    assert eighth.low == 0.0 and eighth.high == pytest.approx(beta.ppf(0.9, 0.5, 59.5))


def test_to_dict_has_the_cli_contract_keys_and_is_strict_json():
    cadence = fit_cadence(*late_responders(), threshold=0.02)
    out = cadence.to_dict()
    assert out["recommended_attempts"] == 6
    assert out["by_attempt"][4] == {
        "attempt": 5,
        "prospects": 95,
        "responses": 20,
        "moved_on": 0,
        "rate": 20 / 95,
        "low": cadence.by_attempt_[4].low,
        "high": cadence.by_attempt_[4].high,
    }
    assert {"cumulative", "first_response", "threshold", "level", "reason"} <= out.keys()
    json.dumps(out, allow_nan=False)


def test_few_prospects_warn_and_give_no_recommendation():
    with pytest.warns(SmallSampleWarning, match="only 12 prospects"):
        cadence = Cadence().fit([1, 2, 3, 4] * 3, [True, False, False, True] * 3)
    assert cadence.recommended_attempts_ is None
    assert cadence.by_attempt_[0].prospects == 12  # the curves are still there
    assert "no recommendation" in cadence.recommendation_.reason


def test_data_that_thin_out_while_attempts_still_pay_warn():
    # 40 prospects; 30 reach attempt 3, only 20 reach attempt 4, and attempt 3 still pays.
    attempts = [1] * 10 + [3] * 10 + [4] * 20
    responded = [False] * 10 + [True] * 10 + [False] * 20
    with pytest.warns(SmallSampleWarning, match="may be too low"):
        cadence = Cadence(threshold=0.02, min_prospects=30).fit(attempts, responded)
    assert cadence.recommendation_.horizon == 3
    assert cadence.recommended_attempts_ == 3


def test_plenty_of_data_fits_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Cadence().fit(*late_responders())


@pytest.mark.parametrize(
    ("attempts", "responded", "message"),
    [
        ([1, 0, 2], [1, 0, 0], r"attempts\[1\] is 0; expected a whole number of at least 1"),
        ([1, 2.5], [1, 0], r"attempts\[1\] is 2.5"),
        ([1, 2], [1, 2], r"responded\[1\] is 2; use true/false"),
        ([1, 2, 3], [1, 0], r"attempts \(3\), responded \(2\)"),
        ([1, 20_000], [0, 0], r"attempts\[1\] is 20000; more than 10,000 attempts"),
        (["a"], [1], r"attempts must be numbers"),
    ],
)
def test_bad_attempt_data_is_named_by_position(attempts, responded, message):
    with pytest.raises(InvalidCounts, match=message):
        Cadence().fit(attempts, responded)


def test_no_prospects_is_no_data():
    with pytest.raises(NoData, match="no prospects"):
        Cadence().fit([], [])
    with pytest.raises(NoData, match="not fitted"):
        Cadence().recommend()


@pytest.mark.parametrize("threshold", [0, -0.1, 1.5])
def test_threshold_must_be_a_yield_per_attempt(threshold):
    with pytest.raises(InvalidRate, match=r"e\.g\. 0\.02"):
        Cadence(threshold=threshold)


# --- Properties ---------------------------------------------------------------------------

prospects = st.lists(
    st.tuples(st.integers(min_value=1, max_value=12), st.booleans()), min_size=1, max_size=300
)


def fit_quietly(data: list[tuple[int, bool]], **options: float) -> Cadence:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        return Cadence(min_prospects=5, **options).fit([a for a, _ in data], [r for _, r in data])


@given(prospects)
def test_cumulative_curve_never_falls_and_stays_a_share(data):
    cadence = fit_quietly(data)
    shares = [p.responded for p in cadence.cumulative_]
    assert all(0 <= s <= 1 for s in shares)
    assert all(b >= a - 1e-12 for a, b in pairwise(shares))
    for point in cadence.cumulative_:
        assert 0 <= point.low <= point.responded + 1e-12 and point.responded <= point.high <= 1


@given(prospects)
def test_counts_add_up(data):
    cadence = fit_quietly(data)
    assert cadence.by_attempt_[0].prospects == len(data)
    assert sum(r.responses for r in cadence.by_attempt_) == sum(r for _, r in data)
    assert sum(r.responses + r.moved_on for r in cadence.by_attempt_) == len(data)
    for row in cadence.by_attempt_:
        assert row.low <= row.rate <= row.high


@settings(max_examples=60)
@given(prospects, st.lists(st.floats(min_value=0.001, max_value=1.0), min_size=2, max_size=6))
def test_recommended_attempts_never_rise_with_the_threshold(data, thresholds):
    cadence = fit_quietly(data)
    picks = [cadence.recommend(t).attempts for t in sorted(thresholds)]
    if picks[0] is not None:
        assert all(b <= a for a, b in pairwise(picks))


@given(prospects, st.floats(min_value=0.001, max_value=1.0))
def test_recommendation_maximises_the_net_gain(data, threshold):
    cadence = fit_quietly(data, threshold=threshold)
    rec = cadence.recommendation_
    if rec.attempts is None:
        return
    rates = np.array([r.rate for r in cadence.by_attempt_[: rec.horizon]])
    before = np.concatenate(([1.0], np.cumprod(1 - rates)[:-1]))
    gains = np.cumsum(before * (rates - threshold))
    assert gains[rec.attempts - 1] == pytest.approx(gains.max(), abs=1e-9)
    assert gains[: rec.attempts - 1].max(initial=-np.inf) < gains.max() + 1e-9
