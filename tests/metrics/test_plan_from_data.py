"""`backplan plan --rep`: a rep's own estimated rates, with ranges from their uncertainty."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.events.store import EventStore
from backplan.metrics.sample import event_rows

runner = CliRunner()

# Q3 2026 for a team of four: (dials, conversations, meetings, SQLs).
TEAM = {
    "ann": (1200, 84, 12, 4),
    "bob": (1500, 120, 20, 7),
    "cat": (900, 54, 10, 3),
    "dan": (1100, 88, 9, 3),
}
KINDS = ("dial", "connect", "meeting_booked", "sql")
ROSTER = pd.DataFrame({
    "rep": list(TEAM), "name": ["Ann Lee", "Bob Ng", "Cat Roy", "Dan Poe"],
    "team": ["north"] * 4, "manager": ["Mo"] * 4,
})  # fmt: skip
PLAN = [
    "plan", "--rep", "Ann Lee", "--objective", "4 sqls", "--period", "2026-12",
    "--working-days", "20", "--as-of", "2026-11-02",
]  # fmt: skip


def spread(i: int, n: int) -> int:
    """The day (0..91 of the quarter) of the i-th of n events spread evenly over it."""
    return i * 92 // n


@pytest.fixture
def team_home(backplan_home, tmp_path):
    rows = []
    first = date(2026, 7, 1)
    for rep, counts in TEAM.items():
        for kind, n in zip(KINDS, counts, strict=True):
            rows += [(rep, first + timedelta(days=spread(i, n)), kind) for i in range(n)]
    EventStore(backplan_home).append(event_rows(rows))
    roster = tmp_path / "team.csv"
    ROSTER.to_csv(roster, index=False)
    result = runner.invoke(app, ["roster", str(roster)])
    assert result.exit_code == 0, result.output
    return backplan_home


def test_a_plan_from_a_reps_data_uses_their_counts_over_the_last_full_quarter(team_home):
    result = runner.invoke(app, [*PLAN, "--json"])
    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)
    source = planned["rates_from"]
    assert (source["rep"], source["name"], source["team"]) == ("ann", "Ann Lee", "north")
    assert (source["since"], source["until"]) == ("2026-07-01", "2026-09-30")
    evidence = {r["conversion"]: (r["successes"], r["trials"]) for r in source["rates"]}
    assert evidence == {
        "conversations/dials": (84, 1200),
        "meetings/conversations": (12, 84),
        "sqls/meetings": (4, 12),
        "deals/sqls": (0, 4),
    }
    stages = {s["key"]: s for s in planned["stages"]}
    assert planned["level"] == 0.8
    for key in ("dials", "conversations", "meetings"):
        assert stages[key]["low"] < stages[key]["per_period"] < stages[key]["high"]
    # Shrunk toward the team: ann's raw 1 SQL in 3 meetings moves toward the team's 17 in 51.
    step = next(s for s in planned["steps"] if s["conversion"] == "sqls/meetings")
    assert step["rate"] == pytest.approx(1 / 3, abs=0.01)


def test_the_plan_prints_each_stages_range_at_its_level(team_home):
    result = runner.invoke(app, PLAN)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert re.search(r"\d[\d,]*–\d[\d,]* dials \(80%\)", text), text
    assert re.search(r"\d[\d,]*–\d[\d,]* conversations \(80%\)", text)
    assert "Ann Lee's rates, 2026-Q3, team north" in text
    assert "84 / 1,200" in text


def test_an_explicit_rate_still_wins_over_the_data(team_home):
    result = runner.invoke(app, [*PLAN, "--rate", "sqls/meetings=1/2", "--json"])
    planned = json.loads(result.stdout)
    step = next(s for s in planned["steps"] if s["conversion"] == "sqls/meetings")
    assert step["rate"] == 0.5 and step["result"] == 8
    overridden = {r["conversion"]: r["overridden"] for r in planned["rates_from"]["rates"]}
    assert overridden["sqls/meetings"] is True and overridden["conversations/dials"] is False


def test_rates_from_another_window(team_home):
    result = runner.invoke(
        app, [*PLAN, "--rates-since", "2026-08-01", "--rates-until", "2026-08-31", "--json"]
    )
    source = json.loads(result.stdout)["rates_from"]
    assert (source["since"], source["until"]) == ("2026-08-01", "2026-08-31")
    dials = next(r for r in source["rates"] if r["conversion"] == "conversations/dials")
    august = [i for i in range(1200) if 31 <= spread(i, 1200) <= 61]
    assert dials["trials"] == len(august) == 404


def test_a_conversion_without_data_in_the_window_asks_for_a_rate(team_home):
    result = runner.invoke(
        app, [*PLAN, "--rates-since", "2026-10-01", "--rates-until", "2026-10-31"]
    )
    assert result.exit_code == 2
    assert "no events of funnel 'outbound' in 2026-10-01..2026-10-31" in result.stderr


def test_planning_for_a_rep_nobody_knows_is_one_line(team_home):
    result = runner.invoke(
        app, ["plan", "--rep", "Zed", "--objective", "4 sqls", "--as-of", "2026-11-02"]
    )
    assert result.exit_code == 2
    assert "no rep 'Zed'" in result.stderr
