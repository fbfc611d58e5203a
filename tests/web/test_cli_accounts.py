"""``backplan user``, ``backplan demo`` and ``backplan example`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.web import create_app

from .conftest import PASSWORD, fast_settings

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days

runner = CliRunner()


def test_user_add_reads_the_password_from_standard_input(backplan_home: Path) -> None:
    result = runner.invoke(
        cli,
        ["user", "add", "Ana@Example.com", "--role", "rep", "--rep", "Ana", "--json"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = json.loads(result.stdout)
    assert (user["email"], user["role"], user["rep"]) == ("ana@example.com", "rep", "Ana")
    app = create_app(fast_settings(backplan_home))
    response = TestClient(app).post(
        "/api/session", json={"email": "ana@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200


def test_user_add_for_a_manager_takes_teams(backplan_home: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "user",
            "add",
            "m@example.com",
            "--role",
            "manager",
            "--team",
            "East",
            "--team",
            "West",
            "--json",
        ],
        input=PASSWORD + "\n",
    )
    assert json.loads(result.stdout)["teams"] == ["East", "West"]
    listed = json.loads(runner.invoke(cli, ["user", "list", "--json"]).stdout)
    assert [u["email"] for u in listed] == ["m@example.com"]


def test_a_weak_password_is_one_line_on_stderr_and_exit_2(backplan_home: Path) -> None:
    result = runner.invoke(
        cli, ["user", "add", "a@example.com", "--role", "admin"], input="password1234\n"
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: that password is one of the most common ones; choose another"
    )


def test_a_rep_account_needs_its_rep(backplan_home: Path) -> None:
    result = runner.invoke(cli, ["user", "add", "a@example.com", "--role", "rep"], input=PASSWORD)
    assert result.exit_code == 2 and "--rep NAME" in result.stderr


def test_an_unknown_role_is_refused(backplan_home: Path) -> None:
    result = runner.invoke(cli, ["user", "add", "a@example.com", "--role", "boss"], input=PASSWORD)
    assert result.exit_code == 2 and "choose one of admin, manager, rep" in result.stderr


def test_demo_prints_random_credentials_that_sign_in(backplan_home: Path) -> None:
    args = ["demo", "--no-serve", "--json", "--events", "3000"]
    # One moment for both runs: a second run in a new month rightly adds that month's objectives.
    day = {"BACKPLAN_TODAY": "2026-11-16T10:00"}
    first = json.loads(runner.invoke(cli, args, env=day).stdout)
    second = json.loads(runner.invoke(cli, args, env=day).stdout)
    assert first["home"] == str(backplan_home / "demo")
    assert first["organisation"]["reps"] == 24 and first["organisation"]["events"] == 3000
    assert second["organisation"]["events"] == 0  # generated again: nothing added twice
    assert first["objectives"] == 4 + 24  # each team's, and each rep's share
    assert second["objectives"] == 0
    roles = [a["role"] for a in second["accounts"]]
    assert roles[:2] == ["admin", "manager"] and set(roles[2:]) == {"rep"}
    passwords = [a["password"] for a in first["accounts"] + second["accounts"]]
    assert len(set(passwords)) == len(passwords)  # fresh and random on every run
    app = create_app(fast_settings(backplan_home / "demo"))
    client = TestClient(app)
    for account in second["accounts"]:
        body = {"email": account["email"], "password": account["password"]}
        assert client.post("/api/session", json=body).status_code == 200
    old = first["accounts"][0]
    body = {"email": old["email"], "password": old["password"]}
    assert client.post("/api/session", json=body).status_code == 401


def test_a_demo_run_again_in_a_new_month_adds_that_months_objectives(backplan_home: Path) -> None:
    args = ["demo", "--no-serve", "--json", "--events", "3000"]
    november = runner.invoke(cli, args, env={"BACKPLAN_TODAY": "2026-11-30T23:59"})
    december = runner.invoke(cli, args, env={"BACKPLAN_TODAY": "2026-12-01T00:01"})
    assert json.loads(november.stdout)["objectives"] == 4 + 24
    assert json.loads(december.stdout)["objectives"] == 4 + 24  # December's own


def test_example_still_walks_through_the_seed_case() -> None:
    result = runner.invoke(cli, ["example"])
    assert result.exit_code == 0
    assert "1,200" in result.stdout and "4.2" in result.stdout


def test_serve_listens_on_loopback_unless_told(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import backplan.cli.serve as serve

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        serve, "run_server", lambda settings, host, port: calls.append((host, port))
    )
    assert runner.invoke(cli, ["serve", "--port", "8123"]).exit_code == 0
    assert runner.invoke(cli, ["serve", "--host", "0.0.0.0"]).exit_code == 0
    assert calls == [("127.0.0.1", 8123), ("0.0.0.0", 8000)]


def test_user_password_sets_a_new_one_from_standard_input(backplan_home: Path) -> None:
    runner.invoke(cli, ["user", "add", "a@example.com", "--role", "admin"], input=PASSWORD + "\n")
    result = runner.invoke(
        cli, ["user", "password", "A@example.com"], input="another long pass phrase\n"
    )
    assert result.exit_code == 0, result.output
    client = TestClient(create_app(fast_settings(backplan_home)))
    new = {"email": "a@example.com", "password": "another long pass phrase"}
    assert client.post("/api/session", json=new).status_code == 200
    missing = runner.invoke(cli, ["user", "password", "b@example.com"], input=PASSWORD + "\n")
    assert missing.exit_code == 2 and "no account for 'b@example.com'" in missing.stderr


def test_with_a_roster_a_reps_account_must_name_a_rep_of_it(backplan_home: Path) -> None:
    from .conftest import add_roster

    add_roster(fast_settings(backplan_home))
    ok = runner.invoke(
        cli,
        ["user", "add", "a@example.com", "--role", "rep", "--rep", "ana", "--json"],
        input=PASSWORD + "\n",
    )
    assert json.loads(ok.stdout)["rep"] == "Ana"  # the roster's own spelling
    bad = runner.invoke(
        cli,
        ["user", "add", "z@example.com", "--role", "rep", "--rep", "Zed"],
        input=PASSWORD + "\n",
    )
    assert bad.exit_code == 2 and "no rep 'Zed' in the roster" in bad.stderr
    team = runner.invoke(
        cli,
        ["user", "add", "m@example.com", "--role", "manager", "--team", "North"],
        input=PASSWORD + "\n",
    )
    assert team.exit_code == 2 and "teams are East, West" in team.stderr


def test_the_demo_has_this_months_objectives_with_a_plan_agreed_and_one_proposed(
    backplan_home: Path,
) -> None:
    from datetime import timedelta

    from backplan.core.period import Period
    from backplan.services import okr
    from backplan.services.demo.site import set_up_demo

    settings = fast_settings(backplan_home)
    site = set_up_demo(settings, events=40_000)
    today = site.organisation.last_day + timedelta(days=1)
    month = Period.parse("month", today)
    reps = [a.email for a in site.accounts if a.role == "rep"]
    assert len(reps) == 2
    teams = [o for o in okr.list_objectives(settings, period=month) if o.owner_kind == "team"]
    assert len(teams) == 4 and all(len(t.children) == 6 for t in teams)
    for team in teams:  # the split adds up to the team's target
        assert sum(c.main.target for c in team.children) == team.main.target
    statuses = {c.owner: c.current_plan.status for t in teams for c in t.children if c.current_plan}
    assert sorted(statuses.values()) == ["agreed", "proposed"]


def test_demo_prints_whole_sign_ins_on_a_narrow_terminal(backplan_home: Path) -> None:
    args = ["demo", "--no-serve", "--events", "3000"]
    # One moment for both runs: at 23:59:30 on New Year's Eve the second would be in January.
    day = {"BACKPLAN_TODAY": "2026-11-16T10:00"}
    accounts = json.loads(runner.invoke(cli, [*args, "--json"], env=day).stdout)["accounts"]
    shown = runner.invoke(cli, args, env={"COLUMNS": "80", **day}).stdout
    for account in accounts:
        assert account["email"] in shown  # not cut with an ellipsis, nor folded
    assert "objectives for this month" not in shown  # added by the first run, not again
