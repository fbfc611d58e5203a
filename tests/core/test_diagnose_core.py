"""The onion walk and the bottleneck, on hand-made evidence (cases S3 and S5)."""

from __future__ import annotations

import pytest
from scipy import stats

from backplan import funnel
from backplan.core.diagnose import ConversionEvidence, Problem, diagnose
from backplan.core.funnel import Layer

OUTBOUND = funnel("outbound")
DIRECTOR = funnel("sales-director")


def evidence(key: str, successes: float, trials: float, planned: float, team: float | None = None):
    """Jeffreys posterior evidence, as a stand-in for the shrinkage estimator."""
    post = stats.beta(successes + 0.5, trials - successes + 0.5)
    return ConversionEvidence(
        conversion=key,
        successes=successes,
        trials=trials,
        estimate=successes / trials,
        low=float(post.ppf(0.1)),
        high=float(post.ppf(0.9)),
        planned=planned,
        team=team,
        p_below_plan=float(post.cdf(planned)),
        p_below_team=None if team is None else float(post.cdf(team)),
    )


def company_x():
    """Four reps together: 60 meetings and 14 SQLs against 48 and 16 planned."""
    return diagnose(
        OUTBOUND,
        "sqls",
        expected={"dials": 4800, "conversations": 336, "meetings": 48, "sqls": 16},
        actual={"dials": 5000, "conversations": 420, "meetings": 60, "sqls": 14},
        evidence={
            "conversations/dials": evidence("conversations/dials", 420, 5000, 0.07),
            "meetings/conversations": evidence("meetings/conversations", 60, 420, 1 / 7),
            "sqls/meetings": evidence("sqls/meetings", 14, 60, 1 / 3),
        },
    )


def test_company_x_meetings_above_plan_so_volume_is_not_the_problem():
    d = company_x()
    assert d.problem is Problem.CONVERSION
    assert d.layer is Layer.RESULTS
    assert [(c.stage.key, c.on_track) for c in d.checks] == [("sqls", False), ("meetings", True)]


def test_company_x_bottleneck_is_meeting_to_sql():
    d = company_x()
    assert d.bottleneck is not None
    assert d.bottleneck.conversion.key == "sqls/meetings"
    assert d.bottleneck.reference == "plan"
    assert d.bottleneck.probability_lower == pytest.approx(0.953, abs=0.001)
    # At the planned 1 in 3, 60 meetings give 20 SQLs, not 14: 6 for the team, 1.5 a rep.
    assert d.bottleneck.output_at_stake == pytest.approx(6.0)
    assert "bottleneck: meeting → SQL" in d.explanation


def test_results_on_track_stop_the_walk():
    d = diagnose(
        OUTBOUND, "sqls",
        expected={"meetings": 12, "sqls": 4}, actual={"meetings": 8, "sqls": 5},
        evidence={"sqls/meetings": evidence("sqls/meetings", 5, 8, 1 / 3)},
    )  # fmt: skip
    assert d.on_track and d.layer is None and d.problem is None and d.bottleneck is None
    assert len(d.checks) == 1


def test_everything_behind_is_a_volume_problem():
    d = diagnose(
        DIRECTOR, "deals",
        expected={"calls": 1600, "pitches": 320, "demos": 80, "opps": 40, "deals": 12},
        actual={"calls": 800, "pitches": 160, "demos": 40, "opps": 20, "deals": 6},
        evidence={k: evidence(k, s, n, p) for k, s, n, p in [
            ("pitches/calls", 160, 800, 0.2), ("demos/pitches", 40, 160, 0.25),
            ("opps/demos", 20, 40, 0.5), ("deals/opps", 6, 20, 0.3)]},
    )  # fmt: skip
    assert d.problem is Problem.VOLUME and d.layer is Layer.ACTIVITY
    assert d.bottleneck is None  # every rate is at plan: only volume is short


def test_pipeline_gap_with_meetings_on_track_points_at_demo_to_opp():
    """S5: results low, pipeline low, meetings fine → the leak is between meetings and pipeline."""
    d = diagnose(
        DIRECTOR, "deals",
        expected={"calls": 1600, "pitches": 320, "demos": 80, "opps": 40, "deals": 12},
        actual={"calls": 1700, "pitches": 330, "demos": 85, "opps": 17, "deals": 5},
        evidence={k: evidence(k, s, n, p) for k, s, n, p in [
            ("pitches/calls", 330, 1700, 0.2), ("demos/pitches", 85, 330, 0.25),
            ("opps/demos", 17, 85, 0.5), ("deals/opps", 5, 17, 0.3)]},
    )  # fmt: skip
    assert d.layer is Layer.PIPELINE and d.problem is Problem.CONVERSION
    assert d.bottleneck is not None and d.bottleneck.conversion.key == "opps/demos"


def test_a_weak_rate_on_few_meetings_is_not_a_bottleneck():
    """S7: 3 meetings and 0 SQLs is not strong evidence of a qualification problem."""
    d = diagnose(
        OUTBOUND, "sqls",
        expected={"meetings": 3, "sqls": 1}, actual={"meetings": 3, "sqls": 0},
        evidence={"sqls/meetings": evidence("sqls/meetings", 0, 3, 1 / 3)},
    )  # fmt: skip
    assert d.problem is Problem.CONVERSION
    assert d.bottleneck is None
    assert "the gap may be noise on small numbers" in d.explanation[-1]


def test_a_weak_rate_on_many_meetings_is_a_bottleneck():
    """S7: 40 meetings and 2 SQLs is."""
    d = diagnose(
        OUTBOUND, "sqls",
        expected={"meetings": 12, "sqls": 4}, actual={"meetings": 40, "sqls": 2},
        evidence={"sqls/meetings": evidence("sqls/meetings", 2, 40, 1 / 3)},
    )  # fmt: skip
    assert d.bottleneck is not None and d.bottleneck.probability_lower > 0.999


def test_coverage_below_the_bar_is_reported_even_when_on_track():
    d = diagnose(
        OUTBOUND, "sqls", expected={"sqls": 4}, actual={"sqls": 4}, evidence={},
        coverage=1.5, coverage_bar=3.0,
    )  # fmt: skip
    assert d.on_track and d.below_coverage_bar
    assert d.explanation[-1] == "pipeline coverage 1.5× is below the 3× bar"
