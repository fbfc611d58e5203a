"""The 1:1 agenda: where the rep stands, the diagnosis, the coaching focus and its evidence,
the commitments from last time; a printable page and Markdown, for those who may see the rep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.services import coaching

from .conftest import ANA_SILVA, MAYA, Person

SignIn = Callable[[Person], tuple[TestClient, str]]
BEN = Person("ben.novak@example.com", "rep", rep="ben")
OCTOBER = "as_of=2026-10-15"  # the North/South events end that day; the objectives are October's


@pytest.fixture
def coached(north_south: FastAPI) -> FastAPI:
    settings = north_south.state.web.settings
    request = coaching.FocusRequest(
        rep="ana", focus="sqls/meetings", since=date(2026, 9, 1), playbook=["1"],
        commitments=["Ask about budget in every meeting"], note="Qualify first",
    )  # fmt: skip
    coaching.start_focus(settings, request)
    north_south.state.web.accounts.add_user(
        BEN.email, "a long pass phrase for tests", "rep", rep="ben"
    )
    return north_south


def test_the_agenda_holds_the_plan_the_diagnosis_the_focus_and_the_commitments(
    coached: FastAPI, ns_signed_in: SignIn
) -> None:
    maya, _ = ns_signed_in(MAYA)
    data = maya.get(f"/api/reps/ana/one-to-one?{OCTOBER}").json()
    assert (data["rep"], data["name"], data["as_of"]) == ("ana", "Ana Silva", "2026-10-15")
    assert data["today"]["objective"]["text"]
    assert data["diagnosis"]["error"] is None and data["diagnosis"]["explanation"]
    [focus] = data["focuses"]
    assert focus["label"] == "Meeting → SQL" and focus["review"]["words"]["verdict"]
    assert data["commitments"] == [
        {"text": "Ask about budget in every meeting", "focus": "Meeting → SQL"}
    ]
    html = maya.get(f"/reps/ana/one-to-one?{OCTOBER}").text
    assert "1:1 with Ana Silva" in html and "Commitments from last time" in html
    assert "Ask about budget in every meeting" in html and "80% range" in html


def test_the_agenda_as_markdown(coached: FastAPI, ns_signed_in: SignIn) -> None:
    ana, _ = ns_signed_in(ANA_SILVA)
    response = ana.get(f"/api/reps/ana/one-to-one.md?{OCTOBER}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# 1:1 with Ana Silva, Thursday 15 October 2026")
    for heading in ("## Where you stand against your plan", "## What the diagnosis says",
                    "## Coaching focus", "## Commitments from last time"):  # fmt: skip
        assert heading in text
    assert "### Meeting → SQL, since 2026-09-01" in text
    assert "- [ ] Ask about budget in every meeting (Meeting → SQL)" in text
    assert "- Before: " in text and "80% range" in text


def test_the_printed_page_leaves_out_the_navigation(coached: FastAPI, ns_signed_in: SignIn) -> None:
    maya, _ = ns_signed_in(MAYA)
    html = maya.get("/reps/ana/one-to-one").text
    css = maya.get("/static/app.css").text
    assert "@media print" in css and 'class="no-print"' in html


def test_nobody_opens_the_agenda_of_a_rep_they_cannot_see(
    coached: FastAPI, ns_signed_in: SignIn
) -> None:
    ben, _ = ns_signed_in(BEN)
    maya, _ = ns_signed_in(MAYA)
    for client, hidden in ((ben, "ana"), (maya, "cy")):
        for path in (
            "/reps/{}/one-to-one",
            "/api/reps/{}/one-to-one",
            "/api/reps/{}/one-to-one.md",
        ):
            seen, missing = client.get(path.format(hidden)), client.get(path.format("nobody"))
            assert seen.status_code == missing.status_code == 404
    assert ben.get("/api/reps/ben/one-to-one").status_code == 200


def test_the_agenda_command_prints_markdown(
    coached: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = coached.state.web.settings
    monkeypatch.setenv("BACKPLAN_HOME", str(settings.home))
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-10-15")
    result = CliRunner().invoke(cli, ["coaching", "agenda", "--rep", "ana", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# 1:1 with Ana Silva")
    assert "- [ ] Ask about budget in every meeting" in result.stdout
