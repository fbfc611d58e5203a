"""Rows without an id that are exactly alike become one event: the import says so."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backplan.cli import app

runner = CliRunner()


def test_rows_without_ids_that_collapse_are_reported_with_examples(tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "Owner,When,Contact\nAna,2025-03-03 10:00,p1\nAna,2025-03-03 10:00,p1\n"
        "Ben,2025-03-03 11:00,p2\nAna,2025-03-03 10:00,p1\nBen,2025-03-04 09:00,p3\n"
    )
    mapping = tmp_path / "calls.toml"
    mapping.write_text(
        '[columns]\nrep = "Owner"\nkind = { value = "dial" }\nprospect = "Contact"\n'
        '[dates]\nat = "When"\n'
    )
    result = runner.invoke(app, ["import", str(calls), "-m", str(mapping), "--json"])
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["collapsed"], summary["duplicates"]) == (3, 2, 2)
    assert summary["collapsed_rows"] == [[2, 3, 5]]
    again = runner.invoke(app, ["import", str(calls), "-m", str(mapping)])
    shown = " ".join(again.stderr.split())
    assert "exactly alike with no id" in shown and "rows 2, 3, 5" in shown


def test_a_file_with_ids_reports_no_collapse(tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text("event_id,rep,at,kind\nc1,ana,2025-03-03,dial\nc1,ana,2025-03-03,dial\n")
    summary = json.loads(
        runner.invoke(app, ["import", str(calls), "-m", "events", "--json"]).stdout
    )
    assert summary["collapsed"] == 0 and summary["duplicates"] == 1
