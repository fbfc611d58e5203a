"""Cases S3, S5, S6 and S7 end to end: events in the store, `backplan diagnose/team/cadence`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from backplan.cli import app
from backplan.defaults import playbook
from backplan.metrics.sample import EventRow
from diagnosis_support import moments, run, runner, store

MARCH = ["--since", "2026-03-01", "--until", "2026-03-31", "--as-of", "2026-04-02"]
START = datetime(2026, 3, 2, 8, 0)
MINUTE = timedelta(minutes=1)

# Company X (S3): per rep, meetings booked after a call, after an email, and SQLs.
COMPANY_X = {
    "ann": (11, 3, 3),
    "bob": (12, 4, 4),
    "cat": (11, 4, 3),
    "dan": (10, 5, 4),
}
DIALS, CONVERSATIONS, EMAILS = 1000, 105, 1500
COMPANY_X_PLAN = [
    "--objective", "4 sqls", "--rate", "conversations/dials=0.07",
    "--rate", "meetings/conversations=1/7", "--rate", "sqls/meetings=1/3", *MARCH,
]  # fmt: skip


def company_x_events() -> list[EventRow]:
    rows: list[EventRow] = []
    for rep, (by_call, by_email, sqls) in COMPANY_X.items():
        met = []
        for i, at in enumerate(moments(START, DIALS)):
            p = f"{rep}-d{i}"
            rows.append((rep, at, "dial", p))
            if i < CONVERSATIONS:
                rows.append((rep, at + MINUTE, "connect", p))
            if i < by_call:
                rows.append((rep, at + 2 * MINUTE, "meeting_booked", p))
                met.append((p, at))
        for i, at in enumerate(moments(START + 30 * MINUTE, EMAILS)):
            p = f"{rep}-e{i}"
            rows.append((rep, at, "email", p))
            if i < by_email:
                rows.append((rep, at + 60 * MINUTE, "meeting_booked", p))
                met.append((p, at))
        rows += [(rep, at + 3 * MINUTE, "sql", p) for p, at in met[:sqls]]
    return rows


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
