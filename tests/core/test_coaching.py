"""The coaching effect: a difference in differences that never calls thin evidence an improvement."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backplan.core.coaching import MIN_TRIALS, CoachingEffect, Counts, verdict
from backplan.core.errors import InvalidCounts
from coaching_calibration_support import (
    World,
    calibrated,
    calibration,
    false_improvements,
    simulate,
)

TEAM_BEFORE = [Counts(18, 72)] * 6
TEAM_AFTER = [Counts(15, 60)] * 6


def test_a_rep_who_rose_from_13_to_50_percent_while_the_team_stayed_at_25_improved() -> None:
    review = CoachingEffect().fit(Counts(9, 71), Counts(29, 58), TEAM_BEFORE, TEAM_AFTER)
    assert review.verdict_ == "improved" and review.p_improved_ >= 0.9
    assert 0 < review.effect_.low < review.effect_.estimate < review.effect_.high
    assert review.control_.successes == 90 and review.control_.trials == 360


def test_a_low_before_on_few_trials_is_read_nearer_the_team() -> None:
    review = CoachingEffect().fit(Counts(1, 12), Counts(4, 12), TEAM_BEFORE, TEAM_AFTER)
    assert review.before_.estimate > 2 / 12  # shrunk from 8% toward the team's 25%
    assert review.verdict_ != "improved"


def test_a_rise_the_whole_team_shared_is_not_the_coaching() -> None:
    risen = [Counts(27, 60)] * 6  # the team went from 25% to 45% too
    review = CoachingEffect().fit(Counts(18, 72), Counts(27, 60), TEAM_BEFORE, risen)
    assert review.verdict_ == "unclear"
    assert abs(review.effect_.estimate) < 0.05
    alone = CoachingEffect(use_control=False).fit(
        Counts(18, 72), Counts(27, 60), TEAM_BEFORE, risen
    )
    assert alone.verdict_ == "improved"  # what ignoring the control would have claimed


def test_thin_evidence_is_never_a_verdict() -> None:
    review = CoachingEffect().fit(Counts(0, 5), Counts(5, 5), TEAM_BEFORE, TEAM_AFTER)
    assert review.thin_ and review.verdict_ == "unclear"
    assert any(str(MIN_TRIALS) in c for c in review.caveats_)


def test_no_control_and_no_data_still_give_an_unclear_answer() -> None:
    review = CoachingEffect().fit(Counts(0, 0), Counts(0, 0), [], [])
    assert review.verdict_ == "unclear" and review.p_improved_ == pytest.approx(0.5, abs=0.01)


def test_the_verdict_rule() -> None:
    assert verdict(0.9, thin=False) == "improved"
    assert verdict(0.89, thin=False) == "unclear"
    assert verdict(0.1, thin=False) == "worse"
    assert verdict(0.99, thin=True) == verdict(0.01, thin=True) == "unclear"


def test_counts_must_be_possible() -> None:
    with pytest.raises(InvalidCounts):
        Counts(5, 4)


# -- properties ---------------------------------------------------------------------------


@st.composite
def focus_counts(draw: st.DrawFn) -> tuple[Counts, int, int, list[Counts], list[Counts]]:
    n_before = draw(st.integers(0, 80))
    before = Counts(draw(st.integers(0, n_before)), n_before)
    n_after = draw(st.integers(1, 80))
    successes = draw(st.integers(0, n_after - 1))
    reps = draw(st.integers(0, 5))
    control = []
    for _ in range(2 * reps):
        n = draw(st.integers(0, 80))
        control.append(Counts(draw(st.integers(0, n)), n))
    return before, successes, n_after, control[:reps], control[reps:]


@settings(max_examples=30, deadline=None)
@given(focus_counts())
def test_more_successes_after_the_start_never_lower_p_improved(case) -> None:
    before, successes, trials, control_before, control_after = case
    fewer = CoachingEffect().fit(before, Counts(successes, trials), control_before, control_after)
    more = CoachingEffect().fit(
        before, Counts(successes + 1, trials), control_before, control_after
    )
    assert more.p_improved_ >= fewer.p_improved_ - 1e-9
    assert more.effect_.estimate >= fewer.effect_.estimate - 1e-9


@settings(max_examples=20, deadline=None)
@given(
    st.integers(10, 120).flatmap(
        lambda n: st.tuples(
            st.integers(n // 10 + 1, n - n // 10 - 1), st.just(n), st.integers(1, 6)
        )
    )
)
def test_a_rep_like_the_team_who_stayed_like_it_is_a_coin_flip(case) -> None:
    """Away from 0% and 100%: near them a rate can rise further than it can fall, and the
    additive effect is rightly lopsided."""
    successes, trials, reps = case
    same = Counts(successes, trials)
    review = CoachingEffect().fit(same, same, [same] * reps, [same] * reps)
    assert review.p_improved_ == pytest.approx(0.5, abs=0.05)
    assert review.verdict_ == "unclear"


# -- calibration on simulated truth --------------------------------------------------------

FOCUSES = 250
SEED = 2


def test_p_improved_is_calibrated_on_coached_reps_with_known_effects() -> None:
    """Reps coached because their before rate was the team's lowest, true effects a third
    zero and the rest around +3 points: in every bin of P(improved) the share truly improved
    is within two standard errors of the mean P, and few `improved` verdicts are wrong."""
    outcomes = simulate(World(), FOCUSES, SEED)
    bins = calibration(outcomes)
    assert calibrated(bins), bins
    wrong, improved = false_improvements(outcomes)
    assert improved >= 15
    assert wrong <= 0.10


def test_the_calibration_check_catches_a_model_that_forgets_regression_to_the_mean() -> None:
    """The test of the test: the low before rate taken at face value (no shrinkage)."""
    outcomes = simulate(World(), FOCUSES, SEED, CoachingEffect(shrink_before=False))
    assert not calibrated(calibration(outcomes))
