"""The OKRs page: objectives each role may see, with progress; creating, proposing, agreeing."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import FastAPI

from backplan.services import okr
from backplan.services.formatting import number

from .conftest import ADMIN, ANA, ANA_SILVA, BEN, MANAGER, S1_RATES, form_token

JSON = {"Accept": "application/json"}
TODAY = date(2026, 11, 16)
"""The day these tests are seen on: the organisations' events run up to mid-October 2026."""


@pytest.fixture(autouse=True)
def pinned_today(backplan_home: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", TODAY.isoformat())


@pytest.fixture
def objectives(app: FastAPI) -> dict[str, int]:
    """Ana's own objective, team East's and team West's (split over Cy)."""
    settings = app.state.web.settings

    def create(owner: str, kind: okr.OwnerKind, result: str, split: bool = False) -> int:
        request = okr.ObjectiveRequest(owner, kind, "month", [result], split=split)
        return okr.create_objective(settings, request, TODAY).objective.id

    west = create("West", "team", "6 sqls", split=True)
    return {
        "ana": create("Ana", "rep", "4 sqls"),
        "east": create("East", "team", "9 sqls"),
        "west": west,
        "cy": okr.get_objective(settings, west).children[0].id,
    }


def _ids(client, path: str = "/okrs") -> set[int]:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=JSON)
    assert response.status_code == 200
    return {o["id"] for o in response.json()["objectives"]}


def test_each_role_lists_exactly_the_objectives_it_may_see(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    o = objectives
    seen = {p.email: _ids(signed_in(p)[0]) for p in (ADMIN, MANAGER, ANA, BEN)}
    assert seen[ADMIN.email] == {o["ana"], o["east"], o["west"], o["cy"]}
    assert seen[MANAGER.email] == {o["ana"], o["east"]}  # manages East
    assert seen[ANA.email] == {o["ana"], o["east"]}  # her own and her team's
    assert seen[BEN.email] == {o["east"]}  # his team's, not Ana's


def test_progress_without_events_says_why_instead_of_failing(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = signed_in(ANA)
    data = ana.get(f"/okrs/{objectives['ana']}", headers=JSON).json()
    assert data["key_results"][0]["text"] == "4 sqls"
    assert data["progress"] == {
        "error": "No events yet: progress shows once an admin imports them."
    }
    assert data["can_plan"] is True


def test_an_unseen_objective_is_the_same_404_as_a_missing_one(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    ben, _ = signed_in(BEN)
    hidden = ben.get(f"/okrs/{objectives['ana']}", headers=JSON)
    missing = ben.get("/okrs/9999", headers=JSON)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"] == missing.json()["error"]
    manager, _ = signed_in(MANAGER)
    assert manager.get(f"/okrs/{objectives['west']}").status_code == 404
    assert manager.get(f"/okrs/{objectives['east']}").status_code == 200


def test_a_rep_proposes_and_agrees_their_own_plan_through_the_forms(
    north_south, ns_signed_in
) -> None:  # type: ignore[no-untyped-def]
    ana, _ = ns_signed_in(ANA_SILVA)
    request = okr.ObjectiveRequest("ana", "rep", "month", ["6 sqls"])  # plans look forward
    oid = okr.create_objective(north_south.state.web.settings, request, TODAY).objective.id
    page = ana.get(f"/okrs/{oid}")
    assert 'id="propose-form"' in page.text and 'id="agree-form"' not in page.text
    token = form_token(page.text, "propose-form")
    proposed = ana.post(
        f"/okrs/{oid}/propose",
        data={"csrf_token": token, "sqls/meetings": "1/2"},
        follow_redirects=False,
    )
    assert proposed.status_code == 303, proposed.text
    assert proposed.headers["location"] == f"/okrs/{oid}"
    page = ana.get(f"/okrs/{oid}")
    agreed = ana.post(
        f"/okrs/{oid}/agree",
        data={"csrf_token": form_token(page.text, "agree-form")},
        follow_redirects=False,
    )
    assert agreed.status_code == 303
    data = ana.get(f"/okrs/{oid}", headers=JSON).json()
    assert [p["status"] for p in data["plans"]] == ["agreed"]
    plan = data["plans"][0]
    assert plan["agreement"]["agreed_by"] == "ana"
    overridden = [r for r in plan["agreement"]["rates"] if r["conversion"] == "sqls/meetings"]
    assert overridden[0]["value"] == "1/2"
    progress = data["progress"]
    sqls = next(k for k in progress["key_results"] if k["stage"] == "sqls")
    assert (sqls["target"], sqls["actual"], sqls["leading"]) == (6, 0, False)  # events end in Oct
    assert any(k["leading"] and k["from_plan"] for k in progress["key_results"])
    # The plan is summed up as the daily number Ana controls, the raw volume second.
    daily = plan["daily_number"]
    stages = {s["key"]: s for s in plan["figures"]["stages"]}
    assert (daily["stage"], daily["volume"]["stage"]) == ("conversations", "dials")
    assert daily["per_working_day"] == stages["conversations"]["per_working_day"]
    html = ana.get(f"/okrs/{oid}").text
    assert (
        f"{number(daily['per_working_day'])} conversations a working day</strong> (the daily"
        in html
    )


def test_another_rep_cannot_propose_or_agree_a_plan_they_cannot_see(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    ben, csrf = signed_in(BEN)
    oid = objectives["ana"]
    headers = {**JSON, "X-CSRF-Token": csrf}
    assert ben.post(f"/okrs/{oid}/propose", data=S1_RATES, headers=headers).status_code == 404
    assert ben.post(f"/okrs/{oid}/agree", headers=headers).status_code == 404


def test_a_rep_cannot_plan_their_teams_objective(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, csrf = signed_in(ANA)
    headers = {**JSON, "X-CSRF-Token": csrf}
    response = ana.post(f"/okrs/{objectives['east']}/propose", data=S1_RATES, headers=headers)
    assert response.status_code == 404


def test_the_forms_refuse_a_request_without_the_csrf_token(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = signed_in(ANA)
    manager, _ = signed_in(MANAGER)
    oid = objectives["ana"]
    assert ana.post(f"/okrs/{oid}/propose", data=S1_RATES).status_code == 403
    assert ana.post(f"/okrs/{oid}/agree", data={"csrf_token": "forged"}).status_code == 403
    form = {"team": "East", "key_results": "8 sqls"}
    assert manager.post("/okrs", data=form).status_code == 403
    assert _ids(manager) == {objectives["ana"], objectives["east"]}


def test_a_manager_creates_a_team_objective_split_across_its_reps(app: FastAPI, signed_in) -> None:  # type: ignore[no-untyped-def]
    manager, _ = signed_in(MANAGER)
    page = manager.get("/okrs")
    token = form_token(page.text, "create-okr-form")
    form = {"csrf_token": token, "team": "East", "period": "month", "key_results": "8 sqls"}
    response = manager.post("/okrs", data=form, follow_redirects=False)
    assert response.status_code == 303
    data = manager.get(response.headers["location"], headers=JSON).json()
    assert data["owner"] == {"kind": "team", "key": "East", "name": "East"}
    shares = {c["owner"]["key"]: c["key_results"][0]["target"] for c in data["children"]}
    assert shares == {"Ana": 4, "Ben": 4}  # no history: equal pace, equal working days


def test_a_manager_cannot_create_an_objective_for_a_team_they_do_not_manage(app, signed_in) -> None:  # type: ignore[no-untyped-def]
    manager, csrf = signed_in(MANAGER)
    form = {"team": "West", "key_results": "8 sqls"}
    response = manager.post("/okrs", data=form, headers={**JSON, "X-CSRF-Token": csrf})
    assert response.status_code == 404
    assert okr.list_objectives(app.state.web.settings) == []


def test_reps_see_no_creation_form(objectives, signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = signed_in(ANA)
    assert 'id="create-okr-form"' not in ana.get("/okrs").text
    assert ana.get("/okrs", headers=JSON).json()["can_create"] is False
