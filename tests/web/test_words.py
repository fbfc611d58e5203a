"""Pages speak to people: an error or a note that a command would follow with an option
shows no command-line syntax on a page; the command line still gets its hint."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from backplan.cli import app as cli

from .conftest import MAYA

COMMAND_LINE = re.compile(r"(?<![\w-])--[a-z]|backplan [a-z]")


def test_a_bad_period_on_the_forecast_page_reads_without_options(ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    data = maya.get("/forecast", params={"period": "soon"}, headers={"Accept": "application/json"})
    error = data.json()["error"]
    assert error.startswith("Please check the request: period: cannot read period 'soon'; use")
    assert not COMMAND_LINE.search(error)
    assert not COMMAND_LINE.search(maya.get("/forecast", params={"period": "soon"}).text)


def test_a_team_without_an_objective_is_told_where_to_set_one(ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    window = {"since": "2026-10-01", "until": "2026-10-31", "objective": "4 sqls",
              "sqls/meetings": "1/3"}  # fmt: skip
    d = maya.get("/api/teams/North", params=window).json()["diagnosis"]
    notes = " ".join(d["notes"] + [r for m in d["reps"] for r in m["notes"]])
    assert "the team's rate is the plan's assumption" in notes
    assert not COMMAND_LINE.search(notes)


def test_the_command_line_gets_the_option_to_use(backplan_home, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-11-16")
    result = CliRunner().invoke(cli, ["forecast", "--rep", "x", "--period", "soon"])
    assert result.exit_code == 2
    assert "cannot read period 'soon'" in result.stderr
    assert "(or give --since and --until)" in result.stderr
