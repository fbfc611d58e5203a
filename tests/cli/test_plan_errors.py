"""Impossible input gets one line that says what to change, exit status 2, no traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from backplan.cli import app

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days

runner = CliRunner()

BASE = ["plan", "--period", "2026-12", "--as-of", "2026-11-23", "--working-days", "20"]
RATES = [
    "--rate", "conversations/dials=0.07", "--rate", "meetings/conversations=1/7",
    "--rate", "sqls/meetings=1/3",
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--objective", "4 sqls", "--rate", "conversations/dials=0", *RATES[2:]],
            "converts nothing",
        ),
        (["--objective", "4 sqls", *RATES[:4], "--rate", "sqls/meetings=1.5"], "above 1"),
        (["--objective", "4 sqls", *RATES, "--rate", "sqls/dials=0.1"], "neighbouring stages"),
        (["--objective", "4 widgets", *RATES], "unknown stage 'widgets'"),
        (["--objective", "4 sqls", *RATES[:4]], "no rate for sqls/meetings"),
        (["--objective", "4 sqls", *RATES, "--rate", "0.07"], "TO/FROM=VALUE"),
        (
            ["--objective", "4 sqls", *RATES, "--rate", "conversations/dials=lots"],
            "cannot read rate",
        ),
        (["--objective", "lots of sqls", *RATES], "cannot read objective"),
        (["--objective", "$120k", *RATES], "--deal-value"),
        (["--objective", "0 sqls", *RATES], "at least 1"),
        (["--objective", "4 sqls", *RATES, "--funnel", "nope"], "no funnel named 'nope'"),
    ],
)
def test_impossible_input_is_one_line_and_exit_2(args, says):
    result = runner.invoke(app, [*BASE, *args])
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_objective_in_the_past_is_refused():
    result = runner.invoke(
        app,
        ["plan", "--objective", "4 sqls", *RATES, "--period", "2026-10", "--as-of", "2026-11-23"],
    )
    assert result.exit_code == 2
    assert "period 2026-10 ended on 2026-10-31" in result.stderr


def test_a_period_with_no_working_days_is_refused():
    result = runner.invoke(
        app,
        ["plan", "--objective", "4 sqls", *RATES, "--since", "2026-11-28", "--until", "2026-11-29",
         "--as-of", "2026-11-23"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no working days" in result.stderr


def test_time_off_can_take_every_working_day():
    result = runner.invoke(
        app,
        ["plan", "--objective", "4 sqls", *RATES, "--since", "2026-11-30", "--until", "2026-12-04",
         "--time-off", "2026-11-30..2026-12-04", "--as-of", "2026-11-23"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no working days" in result.stderr


def test_a_bad_period_is_refused():
    result = runner.invoke(
        app, ["plan", "--objective", "4 sqls", *RATES, "--period", "next decade"]
    )
    assert result.exit_code == 2
    assert "cannot read period 'next decade'" in result.stderr


def test_a_bad_date_is_refused_with_the_format_to_use():
    result = runner.invoke(app, ["plan", "--objective", "4 sqls", *RATES, "--as-of", "23/11/2026"])
    assert result.exit_code == 2
    assert "write it as YYYY-MM-DD" in result.stderr


def test_a_missing_objective_says_how_to_give_one():
    result = runner.invoke(app, ["plan", *RATES])
    assert result.exit_code == 2
    assert "give --objective" in result.stderr
