"""Unknown reps in an import: the most frequent values, and the roster names nearest them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import get_settings
from backplan.services.importing import ImportRequest, import_file
from backplan.services.roster import import_roster
from backplan.services.roster.nearest import nearest_reps, unknown_rep_lines

EXPORTS = Path(__file__).resolve().parent.parent / "crm_exports"
runner = CliRunner()


def calls(tmp_path: Path, reps: dict[str, int]) -> Path:
    lines = ["event_id,rep,at,kind"]
    n = 0
    for rep, count in reps.items():
        for _ in range(count):
            n += 1
            lines.append(f"c{n},{rep},2025-03-{1 + n % 27:02d}T10:00:00,dial")
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_email_roster_suggests_the_email_for_a_name() -> None:
    reps = [
        {"key": "ana.silva@example.com", "name": "ana.silva@example.com", "email": None},
        {"key": "ben.okafor@example.com", "name": "ben.okafor@example.com", "email": None},
    ]
    assert nearest_reps("Ana Silva", reps) == ["ana.silva@example.com"]
    assert nearest_reps("Ben  Okafor", reps) == ["ben.okafor@example.com"]
    assert nearest_reps("Zed Quinn", reps) == []


def test_unknown_reps_are_summarised_most_rows_first_with_the_nearest_roster_reps(
    tmp_path: Path,
) -> None:
    settings = get_settings()
    import_roster(settings, EXPORTS / "emails-only-users.csv")
    path = calls(tmp_path, {"Ana Silva": 16, "Zed Quinn": 3, "ben.okafor@example.com": 5})
    summary = import_file(settings, ImportRequest(path, "events"))
    assert summary.status == "rejected" and summary.reasons == {"unknown_rep": 19}
    assert summary.unknown_reps == [
        {"value": "Ana Silva", "rows": 16, "did_you_mean": ["ana.silva@example.com"]},
        {"value": "Zed Quinn", "rows": 3, "did_you_mean": []},
    ]
    assert unknown_rep_lines(summary.unknown_reps)[0] == (
        "`Ana Silva` × 16 — not in the roster; did you mean `ana.silva@example.com`?"
    )


def test_the_command_line_shows_the_unknown_reps_and_the_json_lists_them(tmp_path: Path) -> None:
    runner.invoke(app, ["roster", str(EXPORTS / "emails-only-users.csv")])
    path = calls(tmp_path, {"Ana Silva": 4})
    result = runner.invoke(app, ["import", str(path), "-m", "events"])
    assert result.exit_code == 1
    assert "`Ana Silva` × 4 — not in the roster; did you mean `ana.silva@example.com`?" in (
        " ".join(result.stdout.split())
    )
    result = runner.invoke(app, ["import", str(path), "-m", "events", "--json"])
    assert json.loads(result.stdout)["unknown_reps"][0]["did_you_mean"] == ["ana.silva@example.com"]


def test_reps_named_by_name_or_email_are_stored_under_their_key(tmp_path: Path) -> None:
    settings = get_settings()
    import_roster(settings, EXPORTS / "hubspot-users.csv")  # keys are user ids
    path = calls(tmp_path, {"Ana Silva": 2, "ben.okafor@example.com": 3, "41872233": 1})
    summary = import_file(settings, ImportRequest(path, "events"))
    assert (summary.status, summary.added, summary.unknown_reps) == ("done", 6, [])


def test_a_mapping_may_say_reps_are_named_by_email_only(tmp_path: Path) -> None:
    settings = get_settings()
    import_roster(settings, EXPORTS / "hubspot-users.csv")
    mapping = tmp_path / "by-email.toml"
    mapping.write_text(
        'rep_match = "email"\n[columns]\nid = "event_id"\nrep = "rep"\nkind = "kind"\n'
        '[dates]\nat = "at"\n'
    )
    path = calls(tmp_path, {"Ana Silva": 2, "ben.okafor@example.com": 3})
    summary = import_file(settings, ImportRequest(path, str(mapping)))
    assert summary.reasons == {"unknown_rep": 2}
    assert summary.unknown_reps[0]["value"] == "Ana Silva"
