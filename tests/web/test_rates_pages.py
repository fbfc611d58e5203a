"""A rep's own funnel from data: rates with intervals on their page, and plans from them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from backplan import appdb
from backplan.appdb.models import Rep, Team
from backplan.cli import app as cli
from backplan.services.demo.generator import generate_demo
from backplan.web import create_app

from .conftest import PASSWORD, fast_settings

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days

END = date(2026, 9, 30)
WINDOW = {"since": "2026-07-01", "until": "2026-09-30"}


@pytest.fixture
def demo(backplan_home: Path) -> tuple[FastAPI, str, str]:
    """The demo organisation (events up to 2026-09-30), a rep of it and another team's rep."""
    settings = fast_settings(backplan_home)
    generate_demo(settings, reps=8, events=30_000, end=END, days=180)
    app = create_app(settings)
    with appdb.session(settings) as s:
        reps = s.execute(select(Rep.key, Team.name).join(Team).order_by(Team.name, Rep.key)).all()
    (rep, team), other = reps[0], next(r for r, t in reps if t != reps[0][1])
    accounts = app.state.web.accounts
    accounts.add_user("rep@example.com", PASSWORD, "rep", rep=rep)
    accounts.add_user("boss@example.com", PASSWORD, "manager", teams=[team])
    return app, rep, other


def client_for(app: FastAPI, email: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    response = client.post("/api/session", json={"email": email, "password": PASSWORD})
    return client, response.json()["csrf_token"]


def test_my_funnel_shows_the_rates_service_figures_for_my_window(demo, backplan_home) -> None:
    app, rep, _ = demo
    client, _ = client_for(app, "rep@example.com")
    page = client.get(f"/api/reps/{rep}", params=WINDOW).json()
    expected = json.loads(
        CliRunner(env={"BACKPLAN_HOME": str(backplan_home)})
        .invoke(cli, ["rates", "--rep", rep, "--since", WINDOW["since"], "--until", WINDOW["until"], "--json"])
        .stdout
    )  # fmt: skip
    assert page["funnel"]["rates"] == expected["rates"]
    first = page["funnel"]["rates"][0]
    assert (
        first["from"] == "dials"
        and first["trials"] > 0
        and first["low"] < first["estimate"] < first["high"]
    )
    html = client.get(f"/reps/{rep}", params=WINDOW).text
    assert 'id="rates"' in html and 'id="rates-chart"' in html


def test_my_funnel_shows_each_rate_month_by_month_and_my_cadence(demo, backplan_home) -> None:
    import backplan

    app, rep, _ = demo
    client, _ = client_for(app, "rep@example.com")
    page = client.get(f"/api/reps/{rep}", params=WINDOW).json()
    months = backplan.open(backplan_home).counts(
        "2026-04-01", WINDOW["until"], level="rep", grain="month"
    )  # the six months up to the window's end
    mine = months[months["rep"] == rep]
    [dials] = [t for t in page["trend"]["trends"] if t["conversion"] == "conversations/dials"]
    assert dials["months"] == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    by_month = dict(zip(mine["period"].astype(str).str[:7], mine["dials"], strict=True))
    assert dials["trials"] == [int(by_month.get(m, 0)) for m in dials["months"]]
    assert sum(dials["trials"]) > 0 and dials["verdict"]
    cadence = json.loads(
        CliRunner(env={"BACKPLAN_HOME": str(backplan_home)})
        .invoke(cli, ["cadence", "--rep", rep, "--since", WINDOW["since"], "--until", WINDOW["until"], "--json"])
        .stdout
    )  # fmt: skip
    assert page["cadence"]["by_attempt"] == cadence["by_attempt"]
    assert page["cadence"]["by_attempt"][0]["prospects"] > 0
    html = client.get(f"/reps/{rep}", params=WINDOW).text
    assert 'id="trend-chart"' in html and 'id="attempts"' in html and "cadence-advice" in html


def test_a_manager_sees_the_funnel_of_their_reps_not_of_other_teams(demo) -> None:
    app, rep, other = demo
    client, _ = client_for(app, "boss@example.com")
    assert client.get(f"/api/reps/{rep}", params=WINDOW).json()["funnel"]["rates"]
    assert client.get(f"/api/reps/{other}", params=WINDOW).status_code == 404


def test_a_rep_plans_from_their_own_data_with_ranges(demo) -> None:
    app, rep, _ = demo
    client, csrf = client_for(app, "rep@example.com")
    body = {
        "objective": "4 sqls",
        "working_days": 20,
        "use_my_data": True,
        "rates_since": WINDOW["since"],
        "rates_until": WINDOW["until"],
        "as_of": "2026-10-01",
        "period": "2026-10",
    }
    plan = client.post("/api/plan", json=body, headers={"X-CSRF-Token": csrf}).json()
    assert plan["rates_from"]["rep"] == rep
    assert plan["rates_from"]["since"] == WINDOW["since"]
    dials = plan["stages"][0]
    assert dials["key"] == "dials" and dials["low"] < dials["per_period"] < dials["high"]
    typed = {**body, "rates": {"sqls/meetings": "1/2"}}
    mixed = client.post("/api/plan", json=typed, headers={"X-CSRF-Token": csrf}).json()
    overridden = {r["conversion"]: r["overridden"] for r in mixed["rates_from"]["rates"]}
    assert overridden["sqls/meetings"] is True and overridden["conversations/dials"] is False


def test_only_a_reps_own_account_plans_from_data(demo) -> None:
    app, _, _ = demo
    client, csrf = client_for(app, "boss@example.com")
    body = {"objective": "4 sqls", "working_days": 20, "use_my_data": True}
    response = client.post("/api/plan", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422 and "only a rep's own account" in response.json()["error"]


def test_without_events_the_page_says_where_they_come_from(signed_in) -> None:
    from .conftest import ANA

    client, _ = signed_in(ANA)
    data = client.get("/api/reps/Ana").json()
    assert data["funnel"] == {"error": "No events yet: an admin imports them on the Imports page."}


def test_a_manager_sees_each_rep_of_their_team_shaded_by_evidence(demo) -> None:
    app, rep, other = demo
    client, _ = client_for(app, "boss@example.com")
    team = app.state.web.team_of(rep)
    data = client.get(f"/api/teams/{team}", params=WINDOW).json()
    reps = {r["rep"] for r in data["rates"]}
    assert rep in reps and other not in reps
    assert {r["team"] for r in data["rates"]} == {team}
    assert all(f["p_below_team"] > 0.9 for f in data["flags"])
    html = client.get(f"/teams/{team}", params=WINDOW).text
    assert 'id="team-heatmap"' in html and 'id="team-pooled"' in html
    other_team = app.state.web.team_of(other)
    assert client.get(f"/api/teams/{other_team}").status_code == 404


def test_a_rep_sees_their_team_only_as_aggregates(demo) -> None:
    app, rep, other = demo
    client, _ = client_for(app, "rep@example.com")
    team = app.state.web.team_of(rep)
    data = client.get(f"/api/teams/{team}", params=WINDOW).json()
    assert data["aggregates_only"] is True
    assert data["rates"] == [] and data["flags"] == [] and data["reps"] == []
    assert data["teams"] and all(t["team"] == team for t in data["teams"])
    assert client.get(f"/api/teams/{app.state.web.team_of(other)}").status_code == 404


def test_rates_are_fitted_once_per_state_of_the_data(demo, backplan_home) -> None:
    app, _, _ = demo
    rates, since, until = app.state.web.rates, date(2026, 7, 1), date(2026, 9, 30)
    first = rates.organisation("outbound", since, until, END)
    assert rates.organisation("outbound", since, until, END) is first
    generate_demo(
        fast_settings(backplan_home), reps=8, events=500, seed=8, end=END, days=180
    )  # an import
    assert rates.organisation("outbound", since, until, END) is first  # seen within 2 s
    rates.fresh_seconds = 0
    again = rates.organisation("outbound", since, until, END)
    assert again is not first
    assert again.table["trials"].sum() > first.table["trials"].sum()
