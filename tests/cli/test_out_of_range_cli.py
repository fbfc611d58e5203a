"""Dates far outside 1900..2200 and ids beyond the database: one line and exit 2 from every
command, never a traceback (issue 14, item 1)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from backplan.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-11-23")


PLAN = [
    "plan", "--objective", "4 sqls", "--working-days", "20",
    "--rate", "conversations/dials=0.07", "--rate", "meetings/conversations=1/7",
    "--rate", "sqls/meetings=1/3",
]  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        [*PLAN, "--period", "9999-12", "--as-of", "2026-11-23"],
        [*PLAN, "--period", "2026-12", "--as-of", "9999-12-31"],
        [*PLAN, "--period", "2026-12", "--as-of", "0001-01-01"],
        [*PLAN, "--since", "0001-01-01", "--until", "2026-12-31", "--as-of", "2026-11-23"],
        [*PLAN, "--period", "2026-12", "--as-of", "2026-11-23", "--rates-since", "0001-01-01",
         "--rates-until", "2026-10-31"],
        ["rates", "--since", "0001-01-01", "--until", "2026-10-31"],
        ["demo-data", "--end", "0001-01-01", "--reps", "2", "--events", "10"],
        ["okr", "create", "--objective", "4 sqls", "--rep", "Ana", "--period", "0001-01",
         "--as-of", "2026-11-23"],
    ],
)  # fmt: skip
def test_a_date_out_of_range_is_one_line_and_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "out of range" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("objective_id", ["9223372036854775808", "99999999999999999999999"])
def test_an_id_beyond_the_database_is_not_found(objective_id: str) -> None:
    result = runner.invoke(app, ["okr", "show", objective_id, "--as-of", "2026-11-23"])
    assert result.exit_code == 2, result.output
    assert f"no objective {objective_id}" in result.output
