"""``backplan coaching``: start a focus, review it against the team's uncoached reps (the contract)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.metrics.sample import EventRow
from diagnosis_support import moments, store

runner = CliRunner()

BEFORE = datetime(2026, 8, 1, 9, 0)
AFTER = datetime(2026, 10, 1, 9, 0)
CONTROL = ("bo", "cy", "di", "ed", "fi", "gu")
"""Six reps not coached, at ~25% meeting → SQL in both windows."""

RATE_KEYS = {"successes", "trials", "estimate", "low", "high"}


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-12-01")


def meetings_and_sqls(rep: str, start: datetime, meetings: int, sqls: int) -> list[EventRow]:
    """``meetings`` meetings booked over 8 weeks from ``start``; the first ``sqls`` become SQLs."""
    rows: list[EventRow] = []
    for i, at in enumerate(moments(start, meetings, days=56)):
        rows.append((rep, at, "meeting_booked", f"{rep}-{start:%m}-{i}"))
        if i < sqls:
            rows.append((rep, at.replace(hour=15), "sql", f"{rep}-{start:%m}-{i}"))
    return rows


def organisation(
    home: Path, tmp: Path, ana_before: tuple[int, int], ana_after: tuple[int, int]
) -> None:
    """Team North: ana, whose counts are given (meetings, SQLs), and six reps at ~25%."""
    rows = meetings_and_sqls("ana", BEFORE, *ana_before) + meetings_and_sqls(
        "ana", AFTER, *ana_after
    )
    for rep in CONTROL:
        rows += meetings_and_sqls(rep, BEFORE, 72, 18) + meetings_and_sqls(rep, AFTER, 60, 15)
    reps = ["ana", *CONTROL]
    roster = pd.DataFrame(
        {
            "rep": reps,
            "name": [r.title() for r in reps],
            "team": ["North"] * 7,
            "manager": ["Mo"] * 7,
        }
    )
    store(home, rows, roster, tmp)


def coaching(*args: str) -> dict:
    result = runner.invoke(app, ["coaching", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def start_ana() -> dict:
    return coaching(
        "start", "--rep", "ana", "--focus", "sqls/meetings", "--since", "2026-10-01",
        "--note", "Qualify before booking", "--by", "mo@example.com", "--json",
    )  # fmt: skip


def test_a_rep_who_rose_from_13_to_50_percent_while_the_team_stayed_at_25_improved(
    backplan_home: Path, tmp_path: Path
) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 9), ana_after=(58, 29))
    started = start_ana()
    assert started["focus"] == "sqls/meetings" and started["since"] == "2026-10-01"
    assert started["started_by"] == "mo@example.com"

    data = coaching("review", "--rep", "ana", "--as-of", "2026-11-30", "--json")

    [focus] = data["focuses"]
    assert {"rep", "focus", "since", "before", "after", "control", "effect", "p_improved",
            "verdict"} <= set(focus)  # fmt: skip
    assert (focus["rep"], focus["focus"], focus["since"]) == ("ana", "sqls/meetings", "2026-10-01")
    for window in ("before", "after", "control"):
        assert set(focus[window]) >= RATE_KEYS
    assert {"estimate", "low", "high"} <= set(focus["effect"])
    assert (focus["before"]["successes"], focus["before"]["trials"]) == (9, 71)
    assert (focus["after"]["successes"], focus["after"]["trials"]) == (29, 58)
    assert (focus["control"]["successes"], focus["control"]["trials"]) == (90, 360)
    assert focus["verdict"] == "improved"
    assert focus["p_improved"] >= 0.9
    assert focus["effect"]["low"] > 0


def test_a_coached_rep_who_stayed_at_25_percent_did_not_improve(
    backplan_home: Path, tmp_path: Path
) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 18), ana_after=(58, 15))
    start_ana()

    [focus] = coaching("review", "--team", "North", "--as-of", "2026-11-30", "--json")["focuses"]

    assert focus["verdict"] != "improved"
    assert focus["p_improved"] < 0.9


def test_a_new_focus_on_the_same_conversion_ends_the_old_and_both_are_kept(
    backplan_home: Path, tmp_path: Path
) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 9), ana_after=(58, 29))
    start_ana()
    again = coaching(
        "start", "--rep", "Ana", "--focus", "sqls/meetings", "--since", "2026-11-01",
        "--playbook", "1", "--commit", "Ask about budget in every meeting", "--json",
    )  # fmt: skip
    assert again["playbook"][0].startswith("Agree the qualification criteria")
    assert again["commitments"] == ["Ask about budget in every meeting"]

    focuses = coaching("review", "--rep", "ana", "--as-of", "2026-11-30", "--json")["focuses"]

    assert [f["since"] for f in focuses] == ["2026-11-01", "2026-10-01"]
    assert [f["current"] for f in focuses] == [True, False]
    ended = coaching("end", "--rep", "ana", "--focus", "sqls/meetings", "--by", "mo", "--json")
    assert ended["ended_by"] == "mo" and ended["ended_at"].startswith("2026-12-01")


def test_a_control_rep_coached_on_the_same_conversion_leaves_the_control(
    backplan_home: Path, tmp_path: Path
) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 9), ana_after=(58, 29))
    start_ana()
    coaching("start", "--rep", "bo", "--focus", "sqls/meetings", "--since", "2026-10-15", "--json")

    reviews = coaching("review", "--team", "north", "--as-of", "2026-11-30", "--json")["focuses"]

    ana = next(f for f in reviews if f["rep"] == "ana")
    assert ana["control"]["reps"] == 5 and ana["control"]["trials"] == 300


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--focus", "sqls/dials"], "neighbouring stages"),
        (["--focus", "sqls/meetings", "--playbook", "hope"], "not one of the playbook's"),
        (["--focus", "sqls/meetings", "--rep", "nobody"], "no rep 'nobody'"),
    ],
)
def test_a_focus_that_cannot_be_started_is_one_line_and_exit_2(
    backplan_home: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 9), ana_after=(58, 29))
    rep = [] if "--rep" in args else ["--rep", "ana"]
    result = runner.invoke(app, ["coaching", "start", *rep, "--since", "2026-10-01", *args])
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_ending_a_focus_that_is_not_there_says_so(backplan_home: Path, tmp_path: Path) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 9), ana_after=(58, 29))
    result = runner.invoke(app, ["coaching", "end", "--rep", "ana", "--focus", "sqls/meetings"])
    assert result.exit_code == 2
    assert "no current coaching focus" in result.stderr


def test_what_works_counts_each_playbook_items_focuses_and_pools_their_effects(
    backplan_home: Path, tmp_path: Path
) -> None:
    organisation(backplan_home, tmp_path, ana_before=(71, 9), ana_after=(58, 29))
    coaching("start", "--rep", "ana", "--focus", "sqls/meetings", "--since", "2026-10-01",
             "--playbook", "1", "--playbook", "2", "--json")  # fmt: skip
    coaching("start", "--rep", "bo", "--focus", "sqls/meetings", "--since", "2026-10-01",
             "--playbook", "1", "--json")  # fmt: skip

    data = coaching("playbook", "--team", "North", "--as-of", "2026-11-30", "--json")

    every, first, second = data["items"]
    assert (every["item"], every["focuses"], every["reps"]) == (None, 2, 2)
    assert every["improved"] == 1 and every["improved"] + every["unclear"] + every["worse"] == 2
    assert first["item"].startswith("Agree the qualification criteria") and first["focuses"] == 2
    assert second["focuses"] == 1 and second["improved"] == 1
    pooled = every["pooled"]
    assert pooled["low"] < pooled["estimate"] < pooled["high"] and pooled["focuses"] == 2
    # Ana's clear gain and Bo's none disagree: pooled, the gain is smaller and less sure, and
    # the spread between focuses (tau) is counted rather than averaged away.
    ana = second["pooled"]
    assert pooled["estimate"] < ana["estimate"] and pooled["low"] < 0 < ana["low"]
    assert pooled["tau"] > 0
    assert "points" in every["words"]

    table = runner.invoke(app, ["coaching", "playbook", "--as-of", "2026-11-30"])
    assert table.exit_code == 0 and "What works" in table.stdout
