"""Where each role lands: a rep's day (the daily number they control, done so far from events,
pace, a plan waiting), and a manager's reps who need attention first, with the reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.services import okr
from backplan.web import create_app
from okr_support import add_roster, simulate, store_events

from .conftest import ANA_SILVA, MAYA, PASSWORD, Person, count_calls, fast_settings, sign_in

MONDAY = date(2026, 11, 16)  # the web tests' pinned day, 10:00
RATES = {"conversations/dials": "0.08", "meetings/conversations": "1/6", "sqls/meetings": "1/3"}


@pytest.fixture
def org(backplan_home: Path) -> tuple[FastAPI, pa.Table]:
    """North (ana, ben) with events up to the pinned Monday, Ana's November objective proposed
    and agreed at typed rates, Ben's set but not yet planned."""
    settings = fast_settings(backplan_home)
    app = create_app(settings)
    add_roster(settings)
    events = simulate(date(2026, 8, 1), MONDAY)
    store_events(backplan_home, events)
    first = date(2026, 11, 1)
    for rep, result in (("ana", "6 sqls"), ("ben", "5 sqls")):
        okr.create_objective(settings, okr.ObjectiveRequest(rep, "rep", "2026-11", [result]), first)
    ana = okr.find_objective(settings, "rep", "ana", period=None, day=MONDAY)
    assert ana is not None
    okr.propose_plan(settings, ana.id, first, rates=RATES)
    okr.agree_plan(settings, ana.id, okr.Actor("ana", rep="ana"))
    for p in (MAYA, ANA_SILVA, Person("ben@example.com", "rep", rep="ben")):
        app.state.web.accounts.add_user(
            p.email, PASSWORD, p.role, rep=p.rep, teams=[p.team] if p.team else []
        )
    return app, events


def _count(events: pa.Table, rep: str, kind: str, first: date, last: date) -> int:
    frame = events.to_pandas()
    day = frame["at"].dt.date
    return int(((frame["rep"] == rep) & (frame["kind"] == kind) & day.between(first, last)).sum())


def _client(app: FastAPI, person: Person) -> TestClient:
    c = TestClient(app)
    sign_in(c, person)
    return c


def test_a_rep_lands_on_their_daily_number_and_what_is_done(org) -> None:  # type: ignore[no-untyped-def]
    app, events = org
    today = _client(app, ANA_SILVA).get("/api/home").json()["today"]
    daily, volume = today["daily"], today["volume"]
    # The controllable number first (conversations, the outbound funnel's focus), dials second.
    assert (daily["stage"], daily["plural"], volume["stage"]) == (
        "conversations",
        "conversations",
        "dials",
    )
    plan = okr.find_objective(app.state.web.settings, "rep", "ana", period=None, day=MONDAY)
    stages = {s["key"]: s for s in plan.agreed_plan.figures["stages"]}  # type: ignore[union-attr]
    assert daily["per_working_day"] == stages["conversations"]["per_working_day"]
    assert daily["per_period"] == stages["conversations"]["per_period"]
    # Done so far, counted straight from the events: today, this week (from Monday), the month.
    assert daily["today"] == _count(events, "ana", "connect", MONDAY, MONDAY) > 0
    assert daily["this_week"] == daily["today"]  # Monday: the week is today so far
    assert (
        daily["to_date"]
        == _count(events, "ana", "connect", date(2026, 11, 1), MONDAY)
        > daily["today"]
    )
    assert volume["to_date"] == _count(events, "ana", "dial", date(2026, 11, 1), MONDAY)
    assert daily["pace"] in {"ahead", "on_pace", "behind"}
    assert today["waiting"] is None and today["plan"]["status"] == "agreed"
    html = _client(app, ANA_SILVA).get("/").text
    assert "conversations a working day — your daily number" in html
    assert 'class="pace-bar"' in html
    drill = "/reps/ana/events?funnel=outbound&amp;since=2026-11-01&amp;until=2026-11-16"
    assert f"{drill}&amp;stage=conversations" in html  # so far: the events behind it


def test_a_plan_waiting_for_the_rep_is_the_first_thing_they_are_asked(org) -> None:  # type: ignore[no-untyped-def]
    app, _ = org
    settings = app.state.web.settings
    ben = okr.find_objective(settings, "rep", "ben", period=None, day=MONDAY)
    ben_client = _client(app, Person("ben@example.com", "rep", rep="ben"))
    before = ben_client.get("/api/home").json()["today"]
    assert before["daily"] is None and "no plan yet" in before["notes"][0]
    okr.propose_plan(settings, ben.id, MONDAY, rates=RATES)  # type: ignore[union-attr]
    app.state.web.rates.fresh_seconds = 0  # proposed outside this app: shows within 2 s
    after = ben_client.get("/api/home").json()["today"]
    assert after["waiting"] is not None and after["plan"]["status"] == "proposed"
    assert "A plan is waiting for you." in ben_client.get("/").text


def test_a_manager_lands_on_who_needs_attention_first_and_why(org) -> None:  # type: ignore[no-untyped-def]
    app, _ = org
    data = _client(app, MAYA).get("/api/home").json()
    assert "today" not in data
    (north,) = data["attention"]
    assert north["team"] == "North"
    for r in north["reps"]:
        assert r["rep"] in {"ana", "ben"} and " against " in r["reason"]
    html = _client(app, MAYA).get("/").text
    assert "Who needs attention first" in html
    # ... and where the month will land for their teams: the reps' objectives, 6 + 5 SQLs.
    (north_row,) = data["landing"]["rows"]
    assert (north_row["team"], north_row["target"], north_row["target_text"]) == (
        "North", 11, "11 SQLs",
    )  # fmt: skip
    assert 0 <= north_row["p_hit"] <= 1 and "Where 2026-11 will land" in html


def test_a_reps_day_is_counted_once_per_state_of_the_data_then_shows_an_import(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from backplan.services import today

    app, _ = org
    calls = count_calls(monkeypatch, today, "_counts")
    ana = _client(app, ANA_SILVA)
    first = ana.get("/api/home").json()["today"]
    assert ana.get("/api/home").json()["today"] == first
    assert len(calls) == 1  # kept while the data stay the same
    store_events(app.state.web.settings.home, simulate(MONDAY, MONDAY, seed=5))  # an import
    app.state.web.rates.fresh_seconds = 0
    again = ana.get("/api/home").json()["today"]
    assert len(calls) == 2
    assert again["daily"]["today"] > first["daily"]["today"]
