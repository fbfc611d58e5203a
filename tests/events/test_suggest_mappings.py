"""``backplan mappings suggest``: a mapping for an export never seen, that imports as written.

The exports under tests/crm_exports are small synthetic files with the columns the CRMs
document for their exports (Salesforce reports, HubSpot, Pipedrive and Zoho CRM exports).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.events.export_columns import detect_date_format
from backplan.events.suggest import suggest_mapping

EXPORTS = Path(__file__).resolve().parent.parent / "crm_exports"
runner = CliRunner()

EXPECTED: dict[str, dict[str, int]] = {
    "salesforce-calls": {"dial": 6, "connect": 4},
    "salesforce-meetings": {"meeting_booked": 4, "meeting_held": 2, "no_show": 1},
    "salesforce-deals": {"opp": 5, "won": 2, "lost": 1},
    "hubspot-calls": {"dial": 5, "connect": 3},
    "hubspot-meetings": {"meeting_booked": 5, "meeting_held": 2, "no_show": 1},
    "hubspot-deals": {"opp": 5, "won": 2, "lost": 1},
    "pipedrive-calls": {"dial": 4},
    "pipedrive-meetings": {"meeting_booked": 4, "meeting_held": 2},
    "pipedrive-deals": {"opp": 4, "won": 2, "lost": 1},
    "zoho-calls": {"dial": 4, "connect": 3},
    "zoho-meetings": {"meeting_booked": 3, "meeting_held": 3},
    "zoho-deals": {"opp": 5, "won": 2, "lost": 2},
}


@pytest.mark.parametrize("export", sorted(EXPECTED))
def test_a_suggested_mapping_imports_each_crm_export_as_written(
    export: str, tmp_path: Path
) -> None:
    mapping = tmp_path / f"{export}.toml"
    result = runner.invoke(
        app, ["mappings", "suggest", str(EXPORTS / f"{export}.csv"), "--output", str(mapping)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["import", str(EXPORTS / f"{export}.csv"), "-m", str(mapping), "--json"]
    )
    assert result.exit_code == 0, result.output + mapping.read_text()
    summary = json.loads(result.stdout)
    assert summary["rejected"] == 0
    assert summary["kinds"] == EXPECTED[export], mapping.read_text()


def test_the_kind_of_export_can_be_said_and_every_choice_is_commented() -> None:
    result = runner.invoke(
        app, ["mappings", "suggest", str(EXPORTS / "salesforce-deals.csv"), "--kind", "deals"]
    )
    toml = result.stdout
    assert "(deals: as asked (--kind))" in toml
    for line in toml.splitlines():
        if " = " in line and not line.startswith("#"):
            assert "  # " in line, line
    assert "amount = \"Amount\"  # amounts like '$12,500.00'" in toml
    assert 'date_formats = ["%m/%d/%Y"]' in toml
    assert '"Closed Won" = ["opp@opened", "won@closed"]' in toml


def test_an_unknown_kind_of_export_is_refused() -> None:
    result = runner.invoke(
        app, ["mappings", "suggest", str(EXPORTS / "zoho-deals.csv"), "--kind", "emails"]
    )
    assert result.exit_code == 2 and "calls, meetings, deals or leads" in result.stderr


def test_what_it_could_not_decide_is_said() -> None:
    header = ["When", "Note"]
    rows = [["2024-03-01 10:00", "x"], ["2024-03-02 11:00", "y"]]
    suggestion = suggest_mapping(header, rows, kind="calls", name="dialer.csv")
    assert "the owner (rep) column" in suggestion.undecided
    assert "# Not decided (read these):" in suggestion.toml
    assert 'rep = { value = "team" }' in suggestion.toml
    assert any("no id column" in u for u in suggestion.undecided)


def test_leads_count_as_sqls_when_their_status_says_qualified() -> None:
    header = ["Lead ID", "Lead Owner", "Lead Status", "Created Time", "Lead Source"]
    rows = [
        ["L1", "Ana", "Qualified", "2024-03-01 10:00:00", "Web"],
        ["L2", "Ana", "Not Qualified", "2024-03-02 10:00:00", "Web"],
        ["L3", "Ben", "Contacted", "2024-03-03 10:00:00", "Referral"],
    ]
    toml = suggest_mapping(header, rows, name="leads.csv").toml
    assert '"Qualified" = ["sql"]' in toml and '"Not Qualified"' not in toml
    assert 'source = "Lead Source"' in toml and 'id = "Lead ID"' in toml


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["3 Mar, 2024 09:15:00", "12 Apr, 2024 16:40:00"], "%d %b, %Y %H:%M:%S"),
        (["03/04/2024", "03/13/2024"], "%m/%d/%Y"),
        (["13/03/2024", "04/03/2024"], "%d/%m/%Y"),
        (["15.03.2024 09:15"], "%d.%m.%Y %H:%M"),
        (["Mar 04, 2024 09:15 AM"], "%b %d, %Y %I:%M %p"),
        (["2024-03-04", "2024-03-05T10:00:00Z"], None),
    ],
)
def test_date_formats_are_detected(values: list[str], expected: str | None) -> None:
    assert detect_date_format(values) == (True, expected)


def test_mappings_without_a_subcommand_explains_how_to_write_one() -> None:
    for args in (["mappings"], ["mappings", "help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0
        for crm in ("Salesforce", "HubSpot", "Pipedrive", "Zoho"):
            assert crm in result.stdout
        assert "mappings suggest" in result.stdout
    listed = json.loads(runner.invoke(app, ["mappings", "list", "--json"]).stdout)
    assert "hubspot-calls" in {m["name"] for m in listed}
