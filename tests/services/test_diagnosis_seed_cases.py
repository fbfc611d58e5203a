"""Cases S3, S5, S6 and S7 end to end: events in the store, `backplan diagnose/team/cadence`."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from backplan.cli import app
from backplan.defaults import playbook
from backplan.metrics.sample import EventRow
from diagnosis_support import (
    COMPANY_X,
    MINUTE,
    START,
    company_x_events,
    moments,
    run,
    runner,
    store,
)

MARCH = ["--since", "2026-03-01", "--until", "2026-03-31", "--as-of", "2026-04-02"]
COMPANY_X_PLAN = [
    "--objective", "4 sqls", "--rate", "conversations/dials=0.07",
    "--rate", "meetings/conversations=1/7", "--rate", "sqls/meetings=1/3", *MARCH,
]  # fmt: skip


@pytest.fixture
def company_x(backplan_home, tmp_path):
    roster = pd.DataFrame({
        "rep": list(COMPANY_X), "name": ["Ann Lee", "Bob Ng", "Cat Roy", "Dan Poe"],
        "team": ["company-x"] * 4, "manager": ["Mo"] * 4,
    })  # fmt: skip
    store(backplan_home, company_x_events(), roster, tmp_path)


def test_company_x_meetings_are_above_plan_so_volume_is_not_the_problem(company_x):
    team = run("team", "company-x", *COMPANY_X_PLAN)
    assert team["actual"]["meetings"] == 60 and team["actual"]["sqls"] == 14
    assert team["expected_to_date"]["meetings"] == 48 and team["expected_to_date"]["sqls"] == 16
    assert [(c["stage"], c["on_track"]) for c in team["checks"]] == [
        ("sqls", False),
        ("meetings", True),
    ]
    assert team["problem"] == "conversion" and team["layer"] == "results"
    assert "meetings are on track, so volume is not the problem" in team["explanation"][2]


def test_company_x_meeting_to_sql_is_the_bottleneck_and_calls_for_qualification(company_x):
    team = run("team", "company-x", *COMPANY_X_PLAN)
    bottleneck = team["bottleneck"]
    assert (bottleneck["from"], bottleneck["to"], bottleneck["reference"]) == (
        "meetings",
        "sqls",
        "plan",
    )
    # 14 SQLs of 60 meetings against 1 in 3 planned: 20 SQLs expected, 6 short (1.5 a rep).
    assert bottleneck["output_at_stake"] == pytest.approx(6.0)
    assert bottleneck["probability_lower"] > 0.9
    assert team["coaching"] == playbook().coaching_for("sqls/meetings").to_dict()
    assert team["coaching"]["area"] == "qualification"


def test_company_x_channel_mix_says_move_from_email_to_calls_not_make_more_calls(company_x):
    team = run("team", "company-x", *COMPANY_X_PLAN)
    mix = team["channel_mix"]
    channels = {c["channel"]: (c["touches"], c["meetings"]) for c in mix["channels"]}
    assert channels == {"calls": (4000, 44), "emails": (6000, 16), "social": (0, 0)}
    assert mix["shift"]["text"] == "move from emails to calls"
    assert mix["coaching"]["area"] == "messaging and channel mix"
    assert team["coaching"]["key"] != "dials" and "dial" not in team["coaching"]["area"]


def test_company_x_findings_in_one_sentence_each(company_x):
    team = run("team", "company-x", *COMPANY_X_PLAN)
    found = [
        "meetings above plan" if team["checks"][-1]["on_track"] else "meetings behind",
        f"{team['bottleneck']['from']}→{team['bottleneck']['to']} is the bottleneck",
        f"coaching: {team['coaching']['area']}",
        f"channel mix: {team['channel_mix']['shift']['text']}",
    ]
    assert found == [
        "meetings above plan",
        "meetings→sqls is the bottleneck",
        "coaching: qualification",
        "channel mix: move from emails to calls",
    ]


def test_a_company_x_rep_has_meetings_above_plan_and_a_gap_in_qualification(company_x):
    ann = run("diagnose", "--rep", "Ann Lee", *COMPANY_X_PLAN)
    assert ann["rep"] == "ann" and ann["team"] == "company-x"
    assert ann["actual"]["meetings"] == 14 and ann["actual"]["sqls"] == 3
    assert ann["problem"] == "conversion" and ann["layer"] == "results"
    finding = ann["findings"][0]
    assert (finding["from"], finding["to"], finding["reference"]) == ("meetings", "sqls", "plan")
    assert {"layer", "bottleneck", "coaching"} <= set(ann)


def test_the_team_view_lists_every_rep_with_the_same_keys(company_x):
    team = run("team", "company-x", *COMPANY_X_PLAN)
    assert sorted(r["rep"] for r in team["reps"]) == ["ann", "bob", "cat", "dan"]
    for rep in team["reps"]:
        assert {"layer", "bottleneck", "coaching"} <= set(rep)
    assert [e["rep"] for e in team["exceptions"]] == [r["rep"] for r in team["reps"]]
    stakes = [e["output_at_stake"] for e in team["exceptions"]]
    assert stakes == sorted(stakes, reverse=True)


def test_planned_rates_missing_are_the_teams_and_the_output_says_so(company_x):
    ann = run("diagnose", "--rep", "ann", "--objective", "4 sqls", *MARCH)
    sources = {p["conversion"]: p["source"] for p in ann["planned_rates"]}
    assert set(sources.values()) == {"team"}
    assert any("the team's rate is the plan's assumption" in n for n in ann["notes"])
    rate = {p["conversion"]: p["rate"] for p in ann["planned_rates"]}
    assert rate["sqls/meetings"] == pytest.approx(14 / 60, abs=1e-6)


def test_unknown_rep_and_team_are_named_errors_with_close_matches(company_x):
    result = runner.invoke(app, ["diagnose", "--rep", "Ann Le", *COMPANY_X_PLAN])
    assert result.exit_code == 2
    assert "no rep 'Ann Le'" in result.stderr and "did you mean 'Ann Lee'" in result.stderr
    result = runner.invoke(app, ["team", "company-y", *COMPANY_X_PLAN])
    assert result.exit_code == 2
    assert "did you mean 'company-x'" in result.stderr


def test_the_rich_output_walks_the_onion_and_names_the_coaching(company_x):
    result = runner.invoke(app, ["team", "company-x", *COMPANY_X_PLAN])
    assert result.exit_code == 0, result.output
    assert "bottleneck: meeting → SQL" in result.stdout
    assert "Coaching: qualification" in result.stdout
    assert "move from emails to calls" in result.stdout


# S5: peel back the onion on the sales-director funnel. Per rep: calls, pitches, demos, opps, deals.
DIRECTOR = {
    "ava": (1700, 340, 85, 42, 13),  # results on track: stop there
    "ben": (1700, 330, 85, 17, 5),  # deals and opps behind, demos on track: demo → opp leaks
    "cy": (800, 160, 40, 20, 6),  # behind at every layer: too little activity
    "di": (1600, 320, 80, 40, 12),
}
DIRECTOR_KINDS = ("dial", "connect", "meeting_held", "opp", "won")
DIRECTOR_PLAN = [
    "--funnel", "sales-director", "--objective", "12 deals",
    "--rate", "pitches/calls=0.2", "--rate", "demos/pitches=0.25",
    "--rate", "opps/demos=0.5", "--rate", "deals/opps=0.3", *MARCH,
]  # fmt: skip


@pytest.fixture
def directors(backplan_home, tmp_path):
    rows: list[EventRow] = []
    for rep, counts in DIRECTOR.items():
        for kind, n in zip(DIRECTOR_KINDS, counts, strict=True):
            rows += [(rep, at, kind) for at in moments(START, n)]
    roster = pd.DataFrame({
        "rep": list(DIRECTOR), "name": list(DIRECTOR), "team": ["west"] * 4,
        "manager": ["Sam"] * 4,
    })  # fmt: skip
    store(backplan_home, rows, roster, tmp_path)


def test_s5_results_on_track_stop_the_walk(directors):
    ava = run("diagnose", "--rep", "ava", *DIRECTOR_PLAN)
    assert ava["layer"] is None and ava["on_track"] and ava["bottleneck"] is None
    assert [c["stage"] for c in ava["checks"]] == ["deals"]
    assert ava["coaching"] is None


def test_s5_pipeline_behind_with_demos_on_track_is_a_demo_to_opp_leak(directors):
    ben = run("diagnose", "--rep", "ben", *DIRECTOR_PLAN)
    assert [(c["stage"], c["on_track"]) for c in ben["checks"]] == [
        ("deals", False),
        ("opps", False),
        ("demos", True),
    ]
    assert ben["layer"] == "pipeline" and ben["problem"] == "conversion"
    assert (ben["bottleneck"]["from"], ben["bottleneck"]["to"]) == ("demos", "opps")
    assert ben["coaching"]["area"] == "discovery and qualification"


def test_s5_behind_everywhere_goes_down_to_activity_and_coaches_volume(directors):
    cy = run("diagnose", "--rep", "cy", *DIRECTOR_PLAN)
    assert [c["stage"] for c in cy["checks"]] == ["deals", "opps", "demos", "pitches", "calls"]
    assert cy["layer"] == "activity" and cy["problem"] == "volume"
    assert cy["bottleneck"] is None
    assert cy["coaching"] == playbook().coaching_for("calls").to_dict()


def test_s5_the_coverage_bar_applies_to_reps_who_are_performing(directors):
    ava = run("diagnose", "--rep", "ava", *DIRECTOR_PLAN, "--coverage-bar", "4")
    assert ava["on_track"]
    assert ava["coverage"] == pytest.approx(42 / 12)
    assert ava["explanation"][-1] == "pipeline coverage 3.5× is below the 4× bar"
    assert ava["coaching"]["key"] == "opps"


def test_s4_playbook_maps_call_to_pitch_and_opp_to_deal():
    book = playbook()
    assert book.coaching_for("pitches/calls").area == "list quality and calling times"
    assert book.coaching_for("deals/opps").area == "closing"


# S7: small samples. A team of five on meetings and SQLs; two reps stand out on raw ratios.
SMALL = {"eve": (3, 0), "fay": (40, 2), "gus": (30, 10), "hal": (36, 12), "ivy": (25, 8)}


@pytest.fixture
def small_samples(backplan_home, tmp_path):
    rows: list[EventRow] = []
    for rep, (meetings, sqls) in SMALL.items():
        rows += [(rep, at, "meeting_booked") for at in moments(START, meetings)]
        rows += [(rep, at + MINUTE, "sql") for at in moments(START, sqls)]
    roster = pd.DataFrame({
        "rep": list(SMALL), "name": list(SMALL), "team": ["east"] * 5, "manager": ["Lu"] * 5,
    })  # fmt: skip
    store(backplan_home, rows, roster, tmp_path)


S7_PLAN = ["--objective", "4 sqls", "--rate", "sqls/meetings=1/3", *MARCH]


def test_s7_three_meetings_and_no_sql_is_not_flagged(small_samples):
    eve = run("diagnose", "--rep", "eve", *S7_PLAN)
    assert eve["bottleneck"] is None and not eve["flagged"]
    finding = next(f for f in eve["findings"] if f["conversion"] == "sqls/meetings")
    assert finding["probability_lower"] < 0.9


def test_s7_forty_meetings_and_two_sqls_is_flagged(small_samples):
    fay = run("diagnose", "--rep", "fay", *S7_PLAN)
    assert fay["flagged"] and fay["bottleneck"]["conversion"] == "sqls/meetings"
    assert fay["bottleneck"]["probability_lower"] > 0.99
    assert fay["coaching"]["area"] == "qualification"


def test_s7_the_exception_list_flags_only_strong_evidence_with_control_limits(small_samples):
    team = run("team", "east", *S7_PLAN)
    flags = {e["rep"]: e["flagged"] for e in team["exceptions"]}
    assert flags == {"eve": False, "fay": True, "gus": False, "hal": False, "ivy": False}
    assert team["exceptions"][0]["rep"] == "fay"
    control = {e["rep"]: e["control"]["sqls/meetings"] for e in team["exceptions"]}
    # The team converts 32 of 134 (23.9%): 2 of 40 is outside the inner (95%) funnel limits,
    # inside the outer (99.8%) ones; 0 of 3 is inside both.
    assert control["fay"]["low"] < 2 / 40 < control["fay"]["warning_low"]
    assert control["fay"]["warning_position"] == "below" and control["fay"]["position"] == "within"
    assert control["eve"]["warning_position"] == control["eve"]["position"] == "within"


# S6: responses bunch on attempts 5 and 6. Prospects responding on each attempt (of 100);
# the other 57 get 8 attempts and no response.
RESPONSES = {1: 5, 3: 2, 5: 20, 6: 15, 7: 1}
SILENT, SILENT_ATTEMPTS = 57, 8


@pytest.fixture
def cadence_data(backplan_home, tmp_path):
    rows: list[EventRow] = []
    plan = [k for k, n in RESPONSES.items() for _ in range(n)] + [None] * SILENT
    for i, responded_on in enumerate(plan):
        p = f"p{i}"
        first = START + timedelta(hours=i)
        made = responded_on or SILENT_ATTEMPTS
        for attempt in range(made):
            rows.append(("jo", first + timedelta(days=attempt), "dial", p))
        if responded_on:
            rows.append(("jo", first + timedelta(days=made - 1) + MINUTE, "connect", p))
    roster = pd.DataFrame({"rep": ["jo"], "name": ["Jo Park"], "team": ["north"], "manager": ["M"]})
    store(backplan_home, rows, roster, tmp_path)


def test_s6_responses_on_attempts_5_and_6_recommend_six_attempts(cadence_data):
    cadence = run("cadence", "--rep", "Jo Park", *MARCH)
    rows = [(r["attempt"], r["prospects"], r["responses"]) for r in cadence["by_attempt"]]
    assert rows == [
        (1, 100, 5), (2, 95, 0), (3, 95, 2), (4, 93, 0),
        (5, 93, 20), (6, 73, 15), (7, 58, 1), (8, 57, 0),
    ]  # fmt: skip
    assert cadence["recommended_attempts"] == 6
    team = run("cadence", "--team", "north", *MARCH)
    assert team["recommended_attempts"] == 6
    assert run("cadence", *MARCH)["recommended_attempts"] == 6


def test_s6_a_stricter_threshold_stops_earlier_only_when_attempts_5_and_6_do_not_pay(
    cadence_data,
):
    # At 0.25 responses per attempt not even attempts 5 and 6 (20/93, 15/73) pay for themselves.
    strict = run("cadence", "--rep", "jo", "--threshold", "0.25", *MARCH)
    assert strict["recommended_attempts"] == 1


def test_s8_marginal_gains_rank_conversions_on_the_reps_own_rates(company_x):
    ann = run("diagnose", "--rep", "ann", *COMPANY_X_PLAN)
    estimates = {e["conversion"]: e["estimate"] for e in ann["evidence"]}
    gains = ann["marginal_gains"]
    assert [g["rank"] for g in gains] == [1, 2, 3]
    assert {g["conversion"] for g in gains} == {
        "conversations/dials",
        "meetings/conversations",
        "sqls/meetings",
    }
    for g in gains:
        assert g["rate"] == pytest.approx(estimates[g["conversion"]], abs=1e-6)
    hours = [g["hours_saved"] for g in gains]
    assert hours == sorted(hours, reverse=True) and hours[0] > 0


def test_a_single_month_of_data_has_no_trend_to_report(company_x):
    ann = run("diagnose", "--rep", "ann", *COMPANY_X_PLAN)
    assert {t["verdict"] for t in ann["trends"]} == {None}
    assert all("at least two periods" in t["reason"] for t in ann["trends"])
