"""Funnel and plan files: shipped defaults load, and mistakes point at file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.core.errors import DefinitionError
from backplan.defaults import funnel, funnel_names
from backplan.defaults.definitions import load_funnel

runner = CliRunner()


def test_shipped_funnels_load_with_their_stage_keys():
    assert funnel_names() == ["outbound", "sales-director"]
    assert funnel("outbound").keys == ("dials", "conversations", "meetings", "sqls", "deals")
    assert funnel("sales-director").keys == ("calls", "pitches", "demos", "opps", "deals")


def test_outbound_funnel_counts_the_design_event_kinds():
    outbound = funnel("outbound")
    assert {s.key: s.kinds for s in outbound} == {
        "dials": ("dial",),
        "conversations": ("connect",),
        "meetings": ("meeting_booked",),
        "sqls": ("sql",),
        "deals": ("won",),
    }
    assert outbound.stage("meetings").tracks == ("meeting_held", "no_show")
    assert outbound.focus.key == "conversations"
    assert outbound.value_stage is not None and outbound.value_stage.key == "deals"
    emails = next(c for c in outbound.channels if c.key == "emails")
    assert emails.kinds == ("email",) and emails.feeds == ("conversations", "meetings")


FUNNEL = """\
key = "mine"
label = "My funnel"

[[stages]]
key = "calls"
kinds = ["dial"]

[[stages]]
key = "demos"
kinds = ["meeting_held"]
focus = true

[[stages]]
key = "deals"
kinds = "won"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "funnel.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_field_of_the_wrong_type_names_file_line_and_field(tmp_path):
    path = write(tmp_path, FUNNEL)
    with pytest.raises(DefinitionError) as caught:
        load_funnel(path)
    e = caught.value
    assert (e.line, e.field) == (15, "stages[2].kinds")
    assert str(e).startswith(f"{path}:15: stages[2].kinds: ")
    assert "'won'" in str(e)


def test_a_missing_field_points_at_its_table(tmp_path):
    path = write(tmp_path, FUNNEL.replace('kinds = ["meeting_held"]\n', ""))
    with pytest.raises(DefinitionError) as caught:
        load_funnel(path)
    assert (caught.value.line, caught.value.field) == (8, "stages[1].kinds")
    assert "missing" in str(caught.value)


def test_an_unknown_field_is_refused_so_typos_are_caught(tmp_path):
    path = write(tmp_path, FUNNEL.replace("focus = true", "focsu = true"))
    with pytest.raises(DefinitionError) as caught:
        load_funnel(path)
    assert (caught.value.line, caught.value.field) == (11, "stages[1].focsu")


def test_invalid_toml_names_the_line(tmp_path):
    path = write(tmp_path, FUNNEL.replace('label = "My funnel"', "label = My funnel"))
    with pytest.raises(DefinitionError) as caught:
        load_funnel(path)
    assert caught.value.line == 2


def test_a_funnel_without_focus_says_to_mark_one(tmp_path):
    path = write(tmp_path, FUNNEL.replace("focus = true\n", "").replace('"won"', '["won"]'))
    with pytest.raises(DefinitionError, match="exactly one stage as focus"):
        load_funnel(path)


def test_a_users_own_funnel_plans_from_the_command_line(tmp_path):
    path = write(tmp_path, FUNNEL.replace('"won"', '["won"]'))
    result = runner.invoke(
        app,
        ["plan", "--funnel", str(path), "--objective", "3 deals", "--rate", "demos/calls=0.1",
         "--rate", "deals/demos=0.25", "--period", "2026-12", "--as-of", "2026-11-23",
         "--working-days", "20", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(s["key"], s["per_period"]) for s in data["stages"]] == [
        ("calls", 120),
        ("demos", 12),
        ("deals", 3),
    ]


def test_a_plan_file_gives_the_same_plan_as_the_command_line(tmp_path):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(
        'objective = "4 sqls"\nperiod = "2026-12"\nworking_days = 20\n\n[rates]\n'
        '"conversations/dials" = 0.07\n"meetings/conversations" = "1/7"\n"sqls/meetings" = "1/3"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["plan", "--file", str(plan_file), "--as-of", "2026-11-23", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stages"][0]["per_period"] == 1200


def test_a_plan_file_with_a_bad_field_names_its_line(tmp_path):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text('objective = "4 sqls"\nworking_days = -3\n', encoding="utf-8")
    result = runner.invoke(app, ["plan", "--file", str(plan_file)])
    assert result.exit_code == 2
    assert f"{plan_file}:2: working_days:" in result.stderr


def test_funnels_command_lists_stages_and_how_to_write_rates():
    result = runner.invoke(app, ["funnels", "outbound", "--json"])
    assert result.exit_code == 0
    (outbound,) = json.loads(result.stdout)
    assert outbound["conversions"] == [
        "conversations/dials",
        "meetings/conversations",
        "sqls/meetings",
        "deals/sqls",
    ]
