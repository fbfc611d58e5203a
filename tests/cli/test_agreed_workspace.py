"""One workspace: the team diagnosis and the forecast read the objective in force and the
plans the reps agreed, on an organisation whose events start the day its objectives do."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.config import Settings
from okr_support import add_roster, simulate, store_events

runner = CliRunner()
RATES = ["conversations/dials=0.08", "meetings/conversations=1/6", "sqls/meetings=1/3"]


def _run(*args: str) -> dict:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def agreed_org(app_database: str, backplan_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """North's "16 sqls" for October split across Ana and Ben, each share proposed with typed
    rates on the first day (no history before it) and agreed by its rep."""
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-10-15T12:00")
    add_roster(Settings())
    store_events(backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 15)))
    team = _run("okr", "create", "--team", "North", "--objective", "16 sqls",
                "--period", "2026-10", "--split", "--as-of", "2026-10-01")  # fmt: skip
    rates = [part for rate in RATES for part in ("--rate", rate)]
    for share in team["shares"]:
        oid = str(share["objective_id"])
        _run("okr", "propose", oid, *rates, "--as-of", "2026-10-01")
        _run("okr", "agree", oid, "--rep", share["rep"])
    return team


def test_the_team_diagnosis_defaults_to_the_objective_in_force_and_the_agreed_plans(
    agreed_org: dict,
) -> None:
    data = _run("team", "North", "--since", "2026-10-01", "--until", "2026-10-31")
    assert data["objective"]["source"] == "okr"
    assert data["objective"]["target"] == 16
    assert data["objective"]["objective_id"] == agreed_org["id"]
    members = {m["rep"]: m for m in data["reps"]}
    shares = {s["rep"]: s["target"] for s in agreed_org["shares"]}
    assert {k: m["objective"]["target"] for k, m in members.items()} == shares
    assert {m["objective"]["source"] for m in members.values()} == {"agreed"}
    # The team's plan is the sum of the plans its reps agreed, at the rates they typed.
    planned = {r["conversion"]: r for r in members["ana"]["planned_rates"]}
    assert planned["sqls/meetings"]["source"] == "agreed"
    assert planned["sqls/meetings"]["rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert data["expected"]["sqls"] == sum(m["expected"]["sqls"] for m in members.values())


def test_the_forecast_defaults_to_the_teams_objective(agreed_org: dict) -> None:
    data = _run("forecast", "--team", "North", "--period", "2026-10", "--as-of", "2026-10-15")
    assert data["objective"]["target"] == 16
    assert data["objective"]["stage"] == "sqls"
    assert 0 <= data["p_hit"] <= 1


def test_a_typed_objective_still_overrides_the_one_in_force(agreed_org: dict) -> None:
    data = _run("team", "North", "--since", "2026-10-01", "--until", "2026-10-31",
                "--objective", "3 sqls", "--rate", "sqls/meetings=1/4")  # fmt: skip
    assert data["objective"]["source"] == "given"
