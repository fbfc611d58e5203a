"""A CRM's users export as the roster: names in two columns, ids, managers by id, warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import get_settings
from backplan.services.roster import import_roster, rep_aliases, roster_listing

EXPORTS = Path(__file__).resolve().parent.parent / "crm_exports"
runner = CliRunner()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot", "pipedrive", "zoho"])
def test_a_users_export_of_each_crm_names_reps_by_their_full_name(crm: str) -> None:
    settings = get_settings()
    summary = import_roster(settings, EXPORTS / f"{crm}-users.csv")
    names = {r["name"] for r in roster_listing(settings)}
    assert {"Ana Silva", "Ben Okafor", "Chloé Martin"} <= names
    assert summary.warnings == ()
    assert summary.columns["email"] == "Email"
    aliases = rep_aliases(settings)
    ana = aliases["ana silva"]
    assert aliases["ana.silva@example.com"] == ana


def test_the_summary_says_which_column_became_what() -> None:
    summary = import_roster(get_settings(), EXPORTS / "salesforce-users.csv")
    assert summary.columns["key"] == "User ID"
    assert summary.columns["name"] == "First Name + Last Name"
    assert summary.columns["manager"] == "Manager ID"
    assert summary.columns["role"].startswith("Role (read, not stored")


def test_a_manager_given_by_user_id_is_named_as_that_user() -> None:
    settings = get_settings()
    summary = import_roster(settings, EXPORTS / "salesforce-users.csv")
    ana = next(r for r in roster_listing(settings) if r["name"] == "Ana Silva")
    assert ana == {
        "key": "0055e000001AaaA",
        "name": "Ana Silva",
        "email": "ana.silva@example.com",
        "team": "Maria Keller's team",
        "manager": "Maria Keller",
    }
    assert summary.managers == 1


def test_a_zoho_export_makes_a_team_per_reports_to() -> None:
    settings = get_settings()
    import_roster(settings, EXPORTS / "zoho-users.csv")
    ben = next(r for r in roster_listing(settings) if r["name"] == "Ben Okafor")
    assert ben["key"] == "ben.okafor@example.com" and ben["team"] == "Maria Keller's team"


def test_a_name_that_is_an_email_is_warned_about() -> None:
    summary = import_roster(get_settings(), EXPORTS / "emails-only-users.csv")
    assert len(summary.warnings) == 1
    assert "2 of 2 reps have an email as their name" in summary.warnings[0]
    assert "First Name and Last Name" in summary.warnings[0]


def test_roster_list_json_prints_every_rep() -> None:
    result = runner.invoke(app, ["roster", str(EXPORTS / "hubspot-users.csv")])
    assert result.exit_code == 0, result.output
    assert "name" in result.stdout and "First Name + Last Name" in result.stdout
    result = runner.invoke(app, ["roster", "--list", "--json"])
    listing = json.loads(result.stdout)
    assert [r["key"] for r in listing] == ["41872231", "41872232", "41872233"]
    assert listing[0] == {
        "key": "41872231",
        "name": "Ana Silva",
        "email": "ana.silva@example.com",
        "team": "East",
        "manager": None,
    }
    result = runner.invoke(app, ["roster", "--list"])
    assert result.exit_code == 0 and "Chloé Martin" in result.stdout


def test_roster_without_a_file_or_list_says_what_to_give() -> None:
    result = runner.invoke(app, ["roster"])
    assert result.exit_code == 2
    assert "--list" in result.stderr


def test_the_emails_only_warning_is_shown_on_the_command_line() -> None:
    result = runner.invoke(app, ["roster", str(EXPORTS / "emails-only-users.csv")])
    assert result.exit_code == 0
    assert "warning" in result.stderr and "email as their name" in result.stderr
