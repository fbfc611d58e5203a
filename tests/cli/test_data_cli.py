"""``backplan import``, ``roster``, ``demo-data``, ``imports``, ``mappings``, ``compact`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backplan.cli import app

runner = CliRunner()
HEADER = "event_id,rep,at,kind,prospect,amount,source"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_json_prints_one_object_with_the_counts(shared_data: Path) -> None:
    pipeline = shared_data / "maven-crm-sales-opportunities" / "sales_pipeline.csv"
    code, out, _ = invoke("import", str(pipeline), "--mapping", "opportunities", "--json")
    assert code == 0
    summary = json.loads(out)
    assert {k: summary[k] for k in ("read", "added", "duplicates", "rejected", "skipped")} == {
        "read": 8800,
        "added": 15011,
        "duplicates": 0,
        "rejected": 0,
        "skipped": 500,
    }
    assert summary["rejects_file"] is None and summary["status"] == "done"
    code, out, _ = invoke("import", str(pipeline), "-m", "opportunities", "--json")
    assert (json.loads(out)["added"], json.loads(out)["duplicates"]) == (0, 15011)


def test_import_shows_a_summary_table(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(f"{HEADER}\ne1,ana,2025-01-02,dial,,,\n")
    code, out, _ = invoke("import", str(path), "--mapping", "events")
    assert code == 0
    assert "added" in out and "rows read" in out and "events in the store" in out


def test_rejected_rows_exit_with_status_1_and_name_the_rejects_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(f"{HEADER}\ne1,ana,2025-01-02,dial,,,\ne2,ana,someday,dial,,,\n")
    code, out, _ = invoke("import", str(path), "--mapping", "events", "--json")
    summary = json.loads(out)
    assert code == 1
    assert (summary["status"], summary["added"], summary["rejected"]) == ("rejected", 0, 1)
    rejects = Path(summary["rejects_file"])
    assert rejects.parent.name == "imports" and rejects.exists()
    code, out, err = invoke("import", str(path), "--mapping", "events")
    assert code == 1 and "Nothing was added" in err and "bad_date 1" in out
    code, out, _ = invoke("import", str(path), "--mapping", "events", "--json", "--allow-rejects")
    assert code == 0 and json.loads(out)["added"] == 1


def test_missing_columns_give_one_error_line_and_a_mapping_to_start_from(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("Call ID,Agent,Started,Outcome\n1,ana,2025-01-02,Answered\n")
    code, out, err = invoke("import", str(path), "--mapping", "hubspot-calls")
    assert code == 2 and out == ""
    first, *rest = err.strip().splitlines()
    assert first.startswith("error: ") and "Activity assigned to" in first
    hint = "\n".join(rest)
    assert "[columns]" in hint and 'id = "Call ID"' in hint and 'at = "Started"' in hint


def test_an_unknown_mapping_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    code, _, err = invoke("import", str(path), "--mapping", "zoho")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no mapping named 'zoho'" in err


def test_roster_json_counts_reps_teams_and_managers(shared_data: Path) -> None:
    teams = shared_data / "maven-crm-sales-opportunities" / "sales_teams.csv"
    code, out, _ = invoke("roster", str(teams), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["reps"], data["teams"], data["managers"]) == (35, 6, 6)


def test_demo_data_then_the_import_log_and_compaction(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "demo-data",
        "--reps",
        "6",
        "--events",
        "5000",
        "--seed",
        "3",
        "--end",
        "2025-06-30",
        "--json",
    )
    assert code == 0 and json.loads(out)["events"] == 5000
    path = tmp_path / "events.csv"
    path.write_text(f"{HEADER}\ne1,ana,2025-01-02,dial,,,\n")
    assert invoke("import", str(path), "-m", "events", "--add-reps", "--json")[0] == 0
    code, out, _ = invoke("imports", "--json")
    (entry,) = json.loads(out)
    assert (entry["status"], entry["added"], entry["mapping"]) == ("done", 1, "events")
    code, out, _ = invoke("compact", "--json")
    assert json.loads(out) == {"files_before": 2, "files_after": 1, "events": 5001}


def test_mappings_lists_the_shipped_mappings() -> None:
    code, out, _ = invoke("mappings", "--json")
    names = [m["name"] for m in json.loads(out)]
    assert code == 0 and "salesforce-tasks" in names and "pipedrive-deals" in names
