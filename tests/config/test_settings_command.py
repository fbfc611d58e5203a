"""``backplan settings``: the settings in force and where each came from; the demo's own stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.config import Settings

runner = CliRunner()


def _shown(args: list[str] | None = None) -> dict[str, dict[str, str]]:
    result = runner.invoke(cli, ["settings", "--json", *(args or [])])
    assert result.exit_code == 0, result.output
    return {s["name"]: s for s in json.loads(result.stdout)}


def test_each_setting_says_whether_it_came_from_the_environment_a_file_or_the_default(
    backplan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (backplan_home / "backplan.toml").write_text('country = "GB"\nfunnel = "sales-director"\n')
    monkeypatch.setenv("BACKPLAN_FUNNEL", "outbound")
    shown = _shown()
    assert shown["home"]["source"] == "environment (BACKPLAN_HOME)"
    assert (shown["country"]["value"], shown["country"]["source"]) == (
        "GB",
        f"file {backplan_home / 'backplan.toml'}",
    )
    assert (shown["funnel"]["value"], shown["funnel"]["source"]) == (
        "outbound",
        "environment (BACKPLAN_FUNNEL)",
    )  # the environment wins over the file
    assert (shown["office_hours"]["value"], shown["office_hours"]["source"]) == (
        "09:00-17:00",
        "default",
    )
    assert shown["today"]["meaning"].startswith("Pin the clock")


def test_secrets_and_database_passwords_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPLAN_SECRET_KEY", "a-secret-key-nobody-should-see-ever-0123")
    monkeypatch.setenv("BACKPLAN_DATABASE_URL", "postgresql+psycopg://ana:hunter2@db:5432/bp")
    result = runner.invoke(cli, ["settings"])
    assert result.exit_code == 0, result.output
    assert "a-secret-key" not in result.stdout and "hunter2" not in result.stdout
    shown = _shown()
    assert shown["secret_key"]["value"] == "(set, hidden)"
    assert shown["database_url"]["value"] == "postgresql+psycopg://ana:***@db:5432/bp"


def test_the_demo_keeps_every_store_in_its_own_folder(backplan_home: Path) -> None:
    real = Settings(
        database_url="postgresql+psycopg://ana@db/bp",
        events_url="pyspark://",
        country="DE",
        today="2027-02-01T07:40",
    )
    demo = real.for_demo()
    assert demo.home == backplan_home / "demo"
    assert demo.app_database_url == f"sqlite:///{backplan_home / 'demo' / 'backplan.db'}"
    assert demo.events_url is None
    assert (demo.country, demo.clock.today()) == ("DE", real.clock.today())


def test_the_demo_makes_two_factor_sign_in_optional_unless_it_is_set(
    backplan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().admin_two_factor == "required"  # safe by default
    assert Settings().for_demo().admin_two_factor == "optional"  # no phone needed to try it
    monkeypatch.setenv("BACKPLAN_ADMIN_TWO_FACTOR", "required")
    assert Settings().for_demo().admin_two_factor == "required"  # asked for: kept
