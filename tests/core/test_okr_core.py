"""Key-result progress, and team targets split and rolled up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backplan import funnel
from backplan.core.okr import Pace, progress, roll_up, split_target, split_weights

OUTBOUND = funnel("outbound")


def test_halfway_through_the_month_half_the_plan_is_expected():
    (dials, sqls) = progress(
        {"sqls": 4, "dials": 1200}, {"dials": 600, "sqls": 1}, OUTBOUND,
        objective_stage="sqls", elapsed_days=10, working_days=20,
    )  # fmt: skip
    assert (dials.stage, dials.expected_to_date, dials.pace, dials.leading) == (
        "dials", 600, Pace.ON_PACE, True,
    )  # fmt: skip
    assert (sqls.stage, sqls.expected_to_date, sqls.pace, sqls.leading) == (
        "sqls", 2, Pace.BEHIND, False,
    )  # fmt: skip


def test_a_key_result_reached_is_met_whatever_the_date():
    (sqls,) = progress(
        {"sqls": 4}, {"sqls": 4}, OUTBOUND, objective_stage="sqls", elapsed_days=2, working_days=20
    )
    assert sqls.pace is Pace.MET and sqls.share_done == 1


def test_a_team_target_splits_exactly_by_capacity():
    assert split_target(12, {"ana": 20, "ben": 20, "cy": 10}) == {"ana": 5, "ben": 5, "cy": 2}
    assert split_target(7, {"ana": 1, "ben": 1}) == {"ana": 4, "ben": 3}


def test_a_reps_weight_is_working_days_times_own_pace():
    weights = split_weights({"ana": 20, "ben": 15}, {"ana": 0.5, "ben": 2.0})
    assert weights == {"ana": 10.0, "ben": 30.0}


def test_a_rep_with_no_history_is_weighed_at_the_teams_median_pace():
    days = {"ana": 20, "ben": 20, "cy": 20, "dee": 10}
    paces = {"ana": 1.0, "ben": 2.0, "cy": 6.0, "dee": 0.0}
    assert split_weights(days, paces)["dee"] == 10 * 2.0  # median of 1, 2 and 6


def test_with_no_history_at_all_the_split_goes_by_working_days():
    assert split_weights({"ana": 20, "ben": 10}, {"ana": 0.0, "ben": 0.0}) == {
        "ana": 20.0,
        "ben": 10.0,
    }
    assert split_weights({"eve": 18}, {}) == {"eve": 18.0}  # a missing pace is no history


@given(
    st.integers(min_value=0, max_value=10_000),
    st.dictionaries(
        st.text(min_size=1, max_size=5), st.floats(min_value=0.01, max_value=100), min_size=1
    ),
)
def test_split_parts_add_up_to_the_target_and_stay_within_one_of_fair(target, weights):
    parts = split_target(target, weights)
    assert sum(parts.values()) == target
    total = sum(weights.values())
    for rep, part in parts.items():
        assert abs(part - target * weights[rep] / total) < 1 + 1e-9


def test_team_key_results_roll_up_from_reps():
    assert roll_up({"ana": {"sqls": 4, "meetings": 12}, "ben": {"sqls": 3}}) == {
        "sqls": 7,
        "meetings": 12,
    }
