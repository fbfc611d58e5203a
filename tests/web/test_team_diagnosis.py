"""Case S3 on the Team page: meetings above plan, meeting → SQL is the bottleneck, qualification."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.web import create_app
from diagnosis_support import COMPANY_X, company_x_events, store

from .conftest import PASSWORD, fast_settings

S3_QUERY = {
    "since": "2026-03-01",
    "until": "2026-03-31",
    "as_of": "2026-04-02",
    "objective": "4 sqls",
    "conversations/dials": "0.07",
    "meetings/conversations": "1/7",
    "sqls/meetings": "1/3",
}


def company_x_app(home: Path, tmp: Path) -> FastAPI:
    """Company X's four reps and their March, with an account for their manager."""
    roster = pd.DataFrame({
        "rep": list(COMPANY_X), "name": ["Ann Lee", "Bob Ng", "Cat Roy", "Dan Poe"],
        "team": ["company-x"] * 4, "manager": ["Mo"] * 4,
    })  # fmt: skip
    store(home, company_x_events(), roster, tmp)
    app = create_app(fast_settings(home))
    app.state.web.accounts.add_user("mo@example.com", PASSWORD, "manager", teams=["company-x"])
    app.state.web.accounts.add_user("ann@example.com", PASSWORD, "rep", rep="ann")
    return app


@pytest.fixture
def company_x(backplan_home: Path, tmp_path: Path) -> FastAPI:
    return company_x_app(backplan_home, tmp_path)


def signed_in(app: FastAPI, email: str) -> TestClient:
    client = TestClient(app)
    assert (
        client.post("/api/session", json={"email": email, "password": PASSWORD}).status_code == 200
    )
    return client


def test_the_manager_sees_the_s3_diagnosis(company_x: FastAPI) -> None:
    mo = signed_in(company_x, "mo@example.com")
    data = mo.get("/api/teams/company-x", params=S3_QUERY).json()
    d = data["diagnosis"]
    assert (d["actual"]["meetings"], d["actual"]["sqls"]) == (60, 14)
    assert d["problem"] == "conversion"
    assert "meetings are on track, so volume is not the problem" in d["explanation"][2]
    assert (d["bottleneck"]["from"], d["bottleneck"]["to"]) == ("meetings", "sqls")
    assert d["bottleneck"]["output_at_stake"] == pytest.approx(6.0)
    assert d["coaching"]["area"] == "qualification"
    assert d["channel_mix"]["shift"]["text"] == "move from emails to calls"
    assert {e["rep"] for e in d["exceptions"]} == {"ann", "bob", "cat", "dan"}
    stakes = [e["output_at_stake"] for e in d["exceptions"]]
    assert stakes == sorted(stakes, reverse=True)  # the exception list: most at stake first
    html = mo.get("/teams/company-x", params=S3_QUERY).text
    assert "Coach: qualification." in html and "move from emails to calls" in html


def test_without_an_objective_the_page_asks_for_the_plan(company_x: FastAPI) -> None:
    mo = signed_in(company_x, "mo@example.com")
    data = mo.get("/api/teams/company-x", params={"since": "2026-03-01", "until": "2026-03-31"})
    assert data.json()["diagnosis"] is None
    bad = mo.get("/api/teams/company-x", params={**S3_QUERY, "objective": "many sqls"}).json()
    assert "objective" in bad["diagnosis"]["error"]


def test_without_an_objective_typed_the_page_uses_the_objectives_set_for_the_period(
    company_x: FastAPI,
) -> None:
    from datetime import date

    from backplan.services import okr

    settings = company_x.state.web.settings
    march = date(2026, 3, 1)
    team = okr.create_objective(
        settings, okr.ObjectiveRequest("company-x", "team", "2026-03", ["16 sqls"]), march
    ).objective
    for rep in COMPANY_X:
        okr.create_objective(
            settings, okr.ObjectiveRequest(rep, "rep", "2026-03", ["4 sqls"]), march
        )
    mo = signed_in(company_x, "mo@example.com")
    window = {"since": "2026-03-01", "until": "2026-03-31", "as_of": "2026-04-02"}
    d = mo.get("/api/teams/company-x", params=window).json()["diagnosis"]
    assert d["objective"] == {
        "stage": "sqls", "target": 16, "text": "16 SQLs", "source": "okr", "objective_id": team.id,
    }  # fmt: skip
    assert {r["objective"]["source"] for r in d["reps"]} == {"okr"}
    assert {p["source"] for r in d["reps"] for p in r["planned_rates"]} == {"own"}
    html = mo.get("/teams/company-x", params=window).text
    assert "objective for this period, 16 SQLs, and the plans its reps agreed" in html


def test_a_rep_gets_no_diagnosis_of_their_colleagues(company_x: FastAPI) -> None:
    ann = signed_in(company_x, "ann@example.com")
    data = ann.get("/api/teams/company-x", params=S3_QUERY).json()
    assert data["diagnosis"] is None and data["rates"] == []
