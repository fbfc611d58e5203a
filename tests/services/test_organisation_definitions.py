"""The organisation's funnels and playbook: saved versions in the app database over the shipped TOML."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan import defaults
from backplan.cli import app as cli
from backplan.config import Settings
from backplan.core.errors import (
    DefinitionError,
    FunnelInUse,
    InvalidFunnelName,
    NotShipped,
    UnknownFunnel,
)
from backplan.services import definitions, okr
from backplan.services.audit import Actor
from backplan.services.planning import PlanRequest, build_plan, resolve_funnel
from okr_support import add_roster

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days

INBOUND = """\
key = "inbound"
label = "Inbound"

[[stages]]
key = "leads"
kinds = ["lead"]
focus = true

[[stages]]
key = "meetings"
kinds = ["meeting_booked"]

[[stages]]
key = "deals"
kinds = ["won"]
"""

OUTBOUND = defaults.funnel_path("outbound").read_text()
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_saved_funnel_is_the_one_in_force_and_listed(app_database: str) -> None:
    settings = Settings()
    assert "inbound" not in definitions.funnel_names(settings)
    version = definitions.save_funnel(settings, "inbound", INBOUND, Actor.user("admin@example.com"))
    assert definitions.funnel_names(settings) == ["inbound", "outbound", "sales-director"]
    funnel = definitions.organisation_funnel(settings, "inbound")
    assert [s.key for s in funnel.stages] == ["leads", "meetings", "deals"]
    assert [c.key for c in funnel.conversions()] == ["meetings/leads", "deals/meetings"]
    assert resolve_funnel(settings, "inbound") == funnel
    entry = next(e for e in definitions.funnel_entries(settings) if e.name == "inbound")
    assert (entry.source, entry.shipped, entry.edited) == ("organisation", False, version)
    assert version.created_by == "admin@example.com" and version.created_at.tzinfo is not None


def test_an_edited_shipped_funnel_wins_until_reverted_and_the_history_stays(
    app_database: str,
) -> None:
    settings = Settings()
    renamed = OUTBOUND.replace('label = "SQLs"', 'label = "Qualified leads"', 1)
    assert renamed != OUTBOUND
    definitions.save_funnel(settings, "outbound", renamed, Actor.user("ada@example.com"))
    assert definitions.organisation_funnel(settings, "outbound").stage("sqls").label == (
        "Qualified leads"
    )
    assert definitions.funnel_text(settings, "outbound") == renamed
    definitions.revert_funnel(settings, "outbound", Actor.user("bo@example.com"))
    assert definitions.organisation_funnel(settings, "outbound") == defaults.funnel("outbound")
    assert definitions.funnel_text(settings, "outbound") == OUTBOUND
    history = definitions.history(settings, "funnel", "outbound")
    assert [(v.created_by, v.reverted) for v in history] == [
        ("bo@example.com", True),
        ("ada@example.com", False),
    ]
    assert history[1].text == renamed


def test_an_invalid_funnel_names_the_line_and_field_and_stores_nothing(app_database: str) -> None:
    settings = Settings()
    bad = INBOUND.replace('kinds = ["meeting_booked"]', "kinds = []")
    with pytest.raises(DefinitionError) as caught:
        definitions.save_funnel(settings, "inbound", bad, Actor.user("admin@example.com"))
    assert str(caught.value) == (
        "funnel 'inbound' (edited):11: stages[1].kinds: "
        "List should have at least 1 item after validation, not 0"
    )
    assert (caught.value.line, caught.value.field) == (11, "stages[1].kinds")
    assert definitions.history(settings, "funnel", "inbound") == []
    assert "inbound" not in definitions.funnel_names(settings)


def test_a_funnel_whose_key_is_not_its_name_is_refused(app_database: str) -> None:
    with pytest.raises(DefinitionError, match=r"\(edited\):1: key: the funnel's key must be"):
        definitions.save_funnel(Settings(), "leads", INBOUND, None)


def test_a_funnel_without_a_key_takes_its_name(app_database: str) -> None:
    settings = Settings()
    definitions.save_funnel(settings, "leads", INBOUND.replace('key = "inbound"\n', ""), None)
    assert definitions.organisation_funnel(settings, "leads").key == "leads"


@pytest.mark.parametrize("name", ["Inbound", "in bound", "../outbound", "-x", "new", ""])
def test_a_funnel_name_must_be_a_safe_slug(name: str) -> None:
    with pytest.raises(InvalidFunnelName, match="lowercase letters, digits and '-'"):
        definitions.save_funnel(Settings(), name, INBOUND, None)


def test_a_shipped_funnel_cannot_be_removed_nor_an_own_one_reverted(app_database: str) -> None:
    settings = Settings()
    definitions.save_funnel(settings, "inbound", INBOUND, None)
    with pytest.raises(NotShipped, match="revert it"):
        definitions.remove_funnel(settings, "outbound", None)
    with pytest.raises(NotShipped, match="remove it instead"):
        definitions.revert_funnel(settings, "inbound", None)
    definitions.remove_funnel(settings, "inbound", None)
    with pytest.raises(UnknownFunnel, match="choose one of outbound, sales-director"):
        definitions.organisation_funnel(settings, "inbound")
    assert len(definitions.history(settings, "funnel", "inbound")) == 2


def test_a_funnel_objectives_use_cannot_be_removed(app_database: str) -> None:
    settings = Settings()
    add_roster(settings)
    definitions.save_funnel(settings, "inbound", INBOUND, None)
    request = okr.ObjectiveRequest("ana", "rep", "2026-10", ["3 deals"], funnel="inbound")
    created = okr.create_objective(settings, request, date(2026, 10, 1))
    with pytest.raises(FunnelInUse) as caught:
        definitions.remove_funnel(settings, "inbound", None)
    assert str(caught.value) == (
        f"funnel 'inbound' is used by 1 objective(s): #{created.objective.id} "
        f"{created.objective.text!r}; delete them or move them to another funnel first"
    )
    assert "inbound" in definitions.funnel_names(settings)


PLAYBOOK_FILE = """\
[conversions."sqls/meetings"]
more_suggestions = ["Agree the next step before the meeting ends"]
"""

EDITED_PLAYBOOK = """\
[conversions."sqls/meetings"]
area = "discovery calls"

[conversions."meetings/leads"]
area = "lead routing"
suggestions = ["Call every inbound lead within five minutes"]
"""


def test_the_playbook_is_shipped_then_the_file_then_the_organisations_edits(
    app_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "playbook.toml"
    file.write_text(PLAYBOOK_FILE)
    monkeypatch.setenv("BACKPLAN_PLAYBOOK", str(file))
    settings = Settings()
    shipped = defaults.default_playbook().conversions["sqls/meetings"]
    before = definitions.organisation_playbook(settings).conversions["sqls/meetings"]
    assert before.area == shipped.area == "qualification"
    assert before.suggestions[-1] == "Agree the next step before the meeting ends"

    definitions.save_playbook(settings, EDITED_PLAYBOOK, Actor.user("admin@example.com"))
    book = definitions.organisation_playbook(settings)
    edited = book.conversions["sqls/meetings"]
    assert edited.area == "discovery calls"  # the organisation's edit wins
    assert edited.suggestions == before.suggestions  # inherited, with the file's addition
    assert book.conversions["meetings/leads"].area == "lead routing"  # a new entry
    assert book.conversions["deals/sqls"] == defaults.default_playbook().conversions["deals/sqls"]
    assert definitions.playbook_text(settings) == EDITED_PLAYBOOK
    assert definitions.playbook_source(settings).startswith(f"shipped default ← {file} ← edited")

    definitions.revert_playbook(settings, Actor.user("admin@example.com"))
    assert definitions.organisation_playbook(settings).conversions["sqls/meetings"] == before
    text = definitions.playbook_text(settings)
    assert text.endswith(
        '# [conversions."sqls/meetings"]\n# more_suggestions = ["Agree the next step before the meeting ends"]\n'
    )
    assert definitions.check_playbook(settings, text) == definitions.organisation_playbook(settings)
    assert [v.reverted for v in definitions.history(settings, "playbook")] == [True, False]


def test_an_invalid_playbook_names_the_line_and_field_and_stores_nothing(
    app_database: str,
) -> None:
    settings = Settings()
    bad = '[conversions."sqls/meetings"]\nwhy = "x"\n\n[conversions."deals/sqls"]\narea = ""\n'
    with pytest.raises(DefinitionError) as caught:
        definitions.save_playbook(settings, bad, Actor.user("admin@example.com"))
    assert str(caught.value) == (
        "playbook (edited):5: conversions.deals/sqls.area: "
        "String should have at least 1 character (got '')"
    )
    missing = '[conversions."meetings/leads"]\nwhy = "new"\n'
    with pytest.raises(DefinitionError, match=r"^playbook \(edited\):1: .*leads\.area: this field"):
        definitions.save_playbook(settings, missing, None)
    assert definitions.history(settings, "playbook") == []
    assert definitions.organisation_playbook(settings) == defaults.default_playbook()


def test_looking_up_definitions_creates_no_database_file(backplan_home: Path) -> None:
    settings = Settings()
    assert definitions.funnel_names(settings) == ["outbound", "sales-director"]
    assert definitions.organisation_funnel(settings, "outbound") == defaults.funnel("outbound")
    assert definitions.organisation_playbook(settings) == defaults.default_playbook()
    request = PlanRequest("4 sqls", {"conversations/dials": "0.07", "meetings/conversations":
                          "1/7", "sqls/meetings": "1/3"}, working_days=20)  # fmt: skip
    plan = build_plan(request, settings, date(2026, 10, 1)).plan
    assert plan.stage("dials").per_period == 1200
    assert list(backplan_home.iterdir()) == []


def test_a_plan_on_the_command_line_creates_no_database_file(backplan_home: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["plan", "--objective", "4 sqls", "--working-days", "20", "--json",
         "--rate", "conversations/dials=0.07", "--rate", "meetings/conversations=1/7",
         "--rate", "sqls/meetings=1/3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (backplan_home / "backplan.db").exists()


def test_the_funnels_command_lists_the_organisations_funnels(app_database: str) -> None:
    definitions.save_funnel(Settings(), "inbound", INBOUND, None)
    result = CliRunner().invoke(cli, ["funnels", "--json"])
    assert result.exit_code == 0, result.output

    listed = json.loads(result.output)
    assert [f["key"] for f in listed] == ["inbound", "outbound", "sales-director"]
    assert listed[0]["conversions"] == ["meetings/leads", "deals/meetings"]


def test_the_funnels_command_saves_a_file_as_the_organisations_funnel(
    app_database: str, tmp_path: Path
) -> None:
    file = tmp_path / "inbound.toml"
    file.write_text(INBOUND.replace('kinds = ["won"]', "kinds = []"))
    refused = CliRunner().invoke(cli, ["funnels", "--save", "inbound", str(file)])
    assert refused.exit_code == 2
    assert f"{file}:15: stages[2].kinds: List should have at least 1 item" in refused.output
    assert definitions.history(Settings(), "funnel", "inbound") == []
    file.write_text(INBOUND)
    saved = CliRunner().invoke(cli, ["funnels", "--save", "inbound", str(file), "--json"])
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.output)[0]["conversions"] == ["meetings/leads", "deals/meetings"]
    (version,) = definitions.history(Settings(), "funnel", "inbound")
    assert version.text == INBOUND and (version.created_by or "").endswith("(command line)")


def test_a_funnel_saved_by_another_process_is_in_force_once_the_kept_one_is_stale(
    app_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backplan import appdb
    from backplan.appdb.models import DefinitionVersion
    from backplan.services import kept

    settings = Settings()
    appdb.engine(settings)  # the database exists (else there is nothing to keep)
    assert "inbound" not in definitions.funnel_names(settings)  # read and kept
    with appdb.session(settings) as db:  # a save by another process: no word to this one
        db.add(DefinitionVersion(kind="funnel", name="inbound", text=INBOUND, created_at=NOW))
    assert "inbound" not in definitions.funnel_names(settings)
    later = kept.time.monotonic() + definitions.FRESH_SECONDS + 0.1
    monkeypatch.setattr(kept.time, "monotonic", lambda: later)
    assert "inbound" in definitions.funnel_names(settings)
