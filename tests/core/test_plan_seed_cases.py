"""The seed cases of the planner (S1, S2, S4, S8), in the core and through the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from backplan import Objective, Period, Rate, funnel, marginal_gains, plan_backwards, run_forward
from backplan.cli import app
from backplan.core.period import FixedWorkingDays

runner = CliRunner()

S1_RATES = {
    "conversations/dials": Rate.parse("0.07"),
    "meetings/conversations": Rate.parse("1/7"),
    "sqls/meetings": Rate.parse("1/3"),
}
NOVEMBER = Period.month(2026, 11)

S1_COMMAND = [
    "plan", "--objective", "4 sqls", "--period", "month", "--working-days", "20",
    "--rate", "conversations/dials=0.07", "--rate", "meetings/conversations=1/7",
    "--rate", "sqls/meetings=1/3", "--as-of", "2026-11-02",
]  # fmt: skip


def s1_plan(rates: dict[str, Rate] = S1_RATES):
    return plan_backwards(
        Objective("sqls", 4, NOVEMBER), funnel("outbound"), rates, FixedWorkingDays(20)
    )


def test_plan_for_four_sqls_needs_1200_dials_not_1201():
    plan = s1_plan()
    assert [(t.key, t.per_period) for t in plan.stages] == [
        ("dials", 1200),
        ("conversations", 84),
        ("meetings", 12),
        ("sqls", 4),
    ]


def test_plan_for_four_sqls_is_60_dials_and_about_4_conversations_a_day():
    plan = s1_plan()
    assert plan.stage("dials").per_week == 300
    assert plan.stage("dials").per_working_day == 60
    assert plan.focus is not None and plan.focus.key == "conversations"
    assert plan.focus.per_working_day == 4.2


def test_plan_shows_each_step_of_the_reasoning():
    assert s1_plan().reasoning == [
        "4 SQLs × 3 meetings per SQL = 12 meetings",
        "12 meetings × 7 conversations per meeting = 84 conversations",
        "84 conversations ÷ 0.07 conversations per dial = 1,200 dials",
        "1,200 dials over 20 working days = 60 a working day, 300 a week",
        "your daily number: 4.2 conversations a working day (84 over the period)",
    ]


def test_s1_command_prints_the_chain_as_json():
    result = runner.invoke(app, [*S1_COMMAND, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    stages = {s["key"]: s for s in data["stages"]}
    assert (stages["dials"]["per_period"], stages["dials"]["per_week"]) == (1200, 300)
    assert stages["dials"]["per_working_day"] == 60
    assert (stages["conversations"]["per_period"], stages["conversations"]["per_working_day"]) == (
        84,
        4.2,
    )
    assert stages["meetings"]["per_period"] == 12
    assert stages["sqls"]["per_period"] == 4
    assert data["focus"] == "conversations"
    assert data["period"] == {
        "label": "2026-11",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "working_days": 20,
        "weeks": 4.0,
    }


def test_s1_command_prints_a_readable_chain_with_the_focus_highlighted():
    result = runner.invoke(app, S1_COMMAND, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1,200" in out and "300" in out and "4.2" in out
    assert "◀ your daily number" in out
    assert "84 conversations ÷ 0.07 conversations per dial = 1,200 dials" in out


def test_same_objective_gives_each_rep_their_own_plan():
    """S2: rep A turns 5 meetings into 4 SQLs, rep B needs 12."""
    rep_a = s1_plan({**S1_RATES, "sqls/meetings": Rate.parse("4/5")})
    rep_b = s1_plan()
    assert rep_a.stage("meetings").per_period == 5
    assert rep_b.stage("meetings").per_period == 12
    assert rep_a.top.per_period == 500
    assert rep_a.top.per_period < rep_b.top.per_period / 2
    assert rep_a.focus.per_working_day == 1.8 and rep_b.focus.per_working_day == 4.2


def test_revenue_objective_turns_into_deals_through_average_deal_value():
    """S4: the sales director's five-stage funnel, with revenue through AOV."""
    rates = {
        "pitches/calls": Rate.parse("20%"),
        "demos/pitches": Rate.parse("1/4"),
        "opps/demos": Rate.parse("0.5"),
        "deals/opps": Rate.parse("0.3"),
    }
    director = funnel("sales-director")
    objective = Objective.parse("$120k", director, Period.quarter(2026, 4), deal_value=10_000)
    plan = plan_backwards(objective, director, rates, FixedWorkingDays(60))
    assert [(t.key, t.per_period) for t in plan.stages] == [
        ("calls", 1600),
        ("pitches", 320),
        ("demos", 80),
        ("opps", 40),
        ("deals", 12),
    ]
    assert plan.focus.key == "pitches" and plan.focus.per_working_day == 5.3
    assert plan.reasoning[0] == "120,000 revenue ÷ 10,000 average deal value = 12 deals"


def test_revenue_objective_from_the_command_line():
    result = runner.invoke(
        app,
        [
            "plan", "--funnel", "sales-director", "--objective", "120000 revenue",
            "--deal-value", "10000", "--period", "2026-Q4", "--working-days", "60",
            "--rate", "pitches/calls=0.2", "--rate", "demos/pitches=1/4",
            "--rate", "opps/demos=0.5", "--rate", "deals/opps=0.3",
            "--as-of", "2026-10-01", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["objective"]["target"] == 12 and data["objective"]["revenue"] == 120_000
    assert data["stages"][0] == {
        "key": "calls",
        "label": "Calls",
        "per_period": 1600,
        "per_week": 133.3,
        "per_working_day": 26.7,
        "low": None,
        "high": None,
        "focus": False,
    }


def test_marginal_gains_rank_the_conversion_closest_to_the_objective_first():
    """S8: +10% on meeting→SQL saves work at every stage above it."""
    gains = marginal_gains(
        Objective("sqls", 4, NOVEMBER), funnel("outbound"), S1_RATES, FixedWorkingDays(20)
    )
    assert [g.conversion.key for g in gains] == [
        "sqls/meetings",
        "meetings/conversations",
        "conversations/dials",
    ]
    best = gains[0]
    assert best.saved == {"dials": 100, "conversations": 7, "meetings": 1, "sqls": 0}
    assert best.minutes_saved == 100 * 1.5 + 7 * 8 + 45
    assert gains[2].saved == {"dials": 109, "conversations": 0, "meetings": 0, "sqls": 0}


def test_marginal_gains_in_json_are_ranked():
    data = json.loads(runner.invoke(app, [*S1_COMMAND, "--json"]).stdout)
    ranking = data["marginal_gains"]["ranking"]
    assert [r["conversion"] for r in ranking] == [
        "sqls/meetings",
        "meetings/conversations",
        "conversations/dials",
    ]
    assert ranking[0]["hours_saved"] == 4.2 and ranking[0]["rank"] == 1


def test_a_rate_already_at_one_cannot_improve():
    rates = {**S1_RATES, "sqls/meetings": Rate.parse("1")}
    gains = marginal_gains(
        Objective("sqls", 4, NOVEMBER), funnel("outbound"), rates, FixedWorkingDays(20)
    )
    capped = next(g for g in gains if g.conversion.key == "sqls/meetings")
    assert capped.improved.value == 1 and sum(capped.saved.values()) == 0
    assert gains[-1] is capped


def test_running_the_s1_plan_forward_meets_the_objective_exactly():
    assert run_forward(1200, funnel("outbound"), S1_RATES) == {
        "dials": 1200.0,
        "conversations": 84.0,
        "meetings": 12.0,
        "sqls": 4.0,
    }


def test_rates_with_intervals_give_the_plan_a_range():
    rates = {
        "conversations/dials": Rate(Rate.parse("0.07").value, low=0.06, high=0.08),
        "meetings/conversations": Rate.parse("1/7"),
        "sqls/meetings": Rate.parse("1/3"),
    }
    plan = s1_plan(rates)
    dials = plan.stage("dials")
    assert dials.per_period == 1200
    # With one uncertain rate the range is the objective through its ends: 84/0.08 .. 84/0.06.
    assert (dials.low, dials.high) == (1050, 1400)
    assert plan.stage("conversations").low == plan.stage("conversations").high == 84


@pytest.mark.parametrize("as_of", [date(2026, 11, 2), date(2026, 11, 30)])
def test_current_month_is_planned_whole(as_of):
    result = runner.invoke(app, [*S1_COMMAND[:-2], "--as-of", as_of.isoformat(), "--json"])
    assert json.loads(result.stdout)["period"]["label"] == "2026-11"


def test_a_rate_read_off_data_as_a_float_still_plans_whole_units():
    """1/3 as the float 0.333… must not turn 4 SQLs into 13 meetings."""
    plan = s1_plan({**S1_RATES, "sqls/meetings": Rate(1 / 3)})
    assert plan.stage("meetings").per_period == 12


def test_the_reasoning_says_when_a_stage_was_rounded_up():
    plan = s1_plan({**S1_RATES, "sqls/meetings": Rate.parse("0.3")})
    assert plan.reasoning[0] == "4 SQLs ÷ 0.3 SQLs per meeting = 14 meetings (13.33 rounded up)"
    nearly = s1_plan({**S1_RATES, "sqls/meetings": Rate(4 / 11.99999)})
    assert nearly.reasoning[0].endswith("= 12 meetings")
