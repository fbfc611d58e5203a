"""Access is decided on the server, deny by default: every route × every role."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan import defaults
from backplan.config import Settings
from backplan.services.okr import agreed_plans_of
from backplan.web.permissions import ADMIN as ADMIN_RULE
from backplan.web.permissions import PUBLIC, check_routes, route_rule
from backplan.web.render import PLOTLY_VERSION

from .conftest import ADMIN, ANA, BEN, MANAGER, PASSWORD, S1_RATES, Person, form_token, sign_in

EVERYONE = "admin+manager+rep"
OUTBOUND_TOML = defaults.funnel_path("outbound").read_text()


def agreed_plan_ids(settings: Settings, rep: str) -> list[int]:
    return [plan.id for _, plan in agreed_plans_of(settings, rep)]


# Every route and who may call it. A new route must be added here, with its rule.
EXPECTED_RULES = {
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/api/session"): "public",
    ("GET", "/api/openapi.json"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/static/vendor/plotly-{version}.min.js"): "public",
    ("GET", "/static"): "public",
    ("POST", "/logout"): EVERYONE,
    ("DELETE", "/api/session"): EVERYONE,
    ("GET", "/api/me"): EVERYONE,
    ("GET", "/account"): EVERYONE,
    ("GET", "/account/two-factor"): EVERYONE,
    ("POST", "/account/two-factor"): EVERYONE,
    ("POST", "/account/two-factor/recovery-codes"): EVERYONE,
    ("POST", "/account/two-factor/disable"): EVERYONE,
    ("GET", "/login/two-factor"): "public",
    ("POST", "/login/two-factor"): "public",
    ("POST", "/account/password"): EVERYONE,
    ("POST", "/api/me/password"): EVERYONE,
    ("GET", "/"): EVERYONE,
    ("GET", "/api/home"): EVERYONE,
    ("GET", "/plan"): EVERYONE,
    ("POST", "/plan/agree"): "rep",
    ("GET", "/plans/{plan_id}"): EVERYONE,
    ("POST", "/api/plan"): EVERYONE,
    ("POST", "/api/plans"): "rep",
    ("GET", "/api/plans/{plan_id}"): EVERYONE,
    ("GET", "/api/funnels"): EVERYONE,
    ("GET", "/funnels"): EVERYONE,
    ("GET", "/api/playbook"): EVERYONE,
    ("GET", "/reps/{rep}"): EVERYONE,
    ("GET", "/reps/{rep}/events"): EVERYONE,
    ("GET", "/api/reps/{rep}/events"): EVERYONE,
    ("GET", "/teams/{team}/events"): "admin+manager",
    ("GET", "/api/teams/{team}/events"): "admin+manager",
    ("GET", "/teams/{team}"): EVERYONE,
    ("GET", "/api/teams/{team}"): EVERYONE,
    ("GET", "/api/reps/{rep}"): EVERYONE,
    ("GET", "/okrs"): EVERYONE,
    ("GET", "/okrs/{objective_id}"): EVERYONE,
    ("POST", "/okrs"): "admin+manager",
    ("POST", "/okrs/{objective_id}/propose"): "rep",
    ("POST", "/okrs/{objective_id}/agree"): "rep",
    ("GET", "/forecast"): "admin+manager",
    ("GET", "/calibration"): "admin+manager",
    ("GET", "/admin/users"): "admin",
    ("GET", "/admin/imports"): "admin",
    ("POST", "/admin/imports"): "admin",
    ("GET", "/admin/imports/jobs/{job_id}"): "admin",
    ("GET", "/api/imports/jobs/{job_id}"): "admin",
    ("POST", "/admin/imports/jobs/{job_id}/good-rows"): "admin",
    ("POST", "/api/imports/jobs/{job_id}/good-rows"): "admin",
    ("POST", "/admin/imports/jobs/{job_id}/discard"): "admin",
    ("DELETE", "/api/imports/jobs/{job_id}/upload"): "admin",
    ("GET", "/admin/imports/jobs/{job_id}/rejects.csv"): "admin",
    ("GET", "/api/imports"): "admin",
    ("GET", "/admin/imports/syncs"): "admin",
    ("GET", "/api/syncs"): "admin",
    ("POST", "/admin/imports/syncs/{source}"): "admin",
    ("POST", "/admin/imports/syncs/{source}/token"): "admin",
    ("POST", "/admin/users"): "admin",
    ("POST", "/admin/users/{user_id}/delete"): "admin",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("DELETE", "/api/users/{user_id}"): "admin",
    ("GET", "/admin/users/{user_id}"): "admin",
    ("POST", "/admin/users/{user_id}"): "admin",
    ("POST", "/admin/users/{user_id}/password"): "admin",
    ("PATCH", "/api/users/{user_id}"): "admin",
    ("PUT", "/api/users/{user_id}/password"): "admin",
    ("GET", "/admin/roster"): "admin",
    ("POST", "/admin/roster/teams"): "admin",
    ("POST", "/admin/roster/reps"): "admin",
    ("POST", "/admin/roster/file"): "admin",
    ("GET", "/admin/roster/teams/{team}"): "admin",
    ("POST", "/admin/roster/teams/{team}"): "admin",
    ("POST", "/admin/roster/teams/{team}/delete"): "admin",
    ("GET", "/admin/roster/reps/{rep}"): "admin",
    ("POST", "/admin/roster/reps/{rep}"): "admin",
    ("POST", "/admin/roster/reps/{rep}/delete"): "admin",
    ("POST", "/admin/roster/reps/{rep}/time-off"): "admin",
    ("POST", "/admin/roster/reps/{rep}/time-off/{time_off_id}/delete"): "admin",
    ("GET", "/api/roster"): "admin",
    ("POST", "/api/roster/teams"): "admin",
    ("PATCH", "/api/roster/teams/{team}"): "admin",
    ("DELETE", "/api/roster/teams/{team}"): "admin",
    ("POST", "/api/roster/reps"): "admin",
    ("PATCH", "/api/roster/reps/{rep}"): "admin",
    ("DELETE", "/api/roster/reps/{rep}"): "admin",
    ("POST", "/api/roster/reps/{rep}/time-off"): "admin",
    ("DELETE", "/api/roster/reps/{rep}/time-off/{time_off_id}"): "admin",
    ("GET", "/api/funnels/{name}"): EVERYONE,
    ("GET", "/admin/funnels"): "admin",
    ("GET", "/admin/funnels/new"): "admin",
    ("GET", "/admin/funnels/{name}"): "admin",
    ("POST", "/admin/funnels/{name}"): "admin",
    ("POST", "/admin/funnels/{name}/revert"): "admin",
    ("POST", "/admin/funnels/{name}/delete"): "admin",
    ("PUT", "/api/funnels/{name}"): "admin",
    ("DELETE", "/api/funnels/{name}"): "admin",
    ("GET", "/admin/playbook"): "admin",
    ("POST", "/admin/playbook"): "admin",
    ("POST", "/admin/playbook/revert"): "admin",
    ("PUT", "/api/playbook"): "admin",
    ("DELETE", "/api/playbook"): "admin",
    ("GET", "/admin/audit"): "admin",
    ("GET", "/api/audit"): "admin",
    ("GET", "/admin/audit.csv"): "admin",
    ("GET", "/coaching"): EVERYONE,
    ("GET", "/api/coaching"): EVERYONE,
    ("POST", "/coaching/focuses"): EVERYONE,
    ("POST", "/api/coaching/focuses"): EVERYONE,
    ("POST", "/coaching/focuses/{focus_id}/end"): EVERYONE,
    ("POST", "/api/coaching/focuses/{focus_id}/end"): EVERYONE,
    ("GET", "/reps/{rep}/one-to-one"): EVERYONE,
    ("GET", "/api/reps/{rep}/one-to-one"): EVERYONE,
    ("GET", "/api/reps/{rep}/one-to-one.md"): EVERYONE,
    ("GET", "/digest/preview"): EVERYONE,
    ("GET", "/api/digest/preview"): EVERYONE,
    ("POST", "/account/digest"): EVERYONE,
    ("PUT", "/api/me/digest"): EVERYONE,
}

# A valid request body for each route that takes one (form fields, files or JSON).
ROSTER_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/admin/roster/teams"): {"data": {"name": "North", "manager": "Maya"}},
    ("POST", "/admin/roster/reps"): {"data": {"key": "dee", "name": "Dee", "team": "East"}},
    ("POST", "/admin/roster/file"): {
        "files": {"file": ("roster.csv", b"rep,team\nEd,West\n", "text/csv")}
    },
    ("POST", "/admin/roster/teams/{team}"): {"data": {"name": "East", "manager": "Mo"}},
    ("POST", "/admin/roster/reps/{rep}"): {"data": {"name": "Ana", "team": "East"}},
    ("POST", "/admin/roster/reps/{rep}/time-off"): {
        "data": {"first_day": "2026-12-21", "last_day": "2026-12-24", "reason": "holiday"}
    },
    ("POST", "/api/roster/teams"): {"json": {"name": "South"}},
    ("PATCH", "/api/roster/teams/{team}"): {"json": {"region": "EMEA"}},
    ("POST", "/api/roster/reps"): {"json": {"key": "eve", "name": "Eve", "team": "West"}},
    ("PATCH", "/api/roster/reps/{rep}"): {"json": {"email": "ana@example.com"}},
    ("POST", "/api/roster/reps/{rep}/time-off"): {"json": {"first_day": "2027-01-04"}},
}

# The coaching forms: Ana's own focus, which every role may start (a rep for themselves).
COACHING_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/coaching/focuses"): {"data": {"rep": "Ana", "focus": "sqls/meetings"}},
    ("POST", "/api/coaching/focuses"): {"json": {"rep": "Ana", "focus": "sqls/meetings"}},
    ("POST", "/account/digest"): {"data": {"weekly_digest": "on"}},
    ("PUT", "/api/me/digest"): {"json": {"weekly_digest": True}},
}


def declared(app: FastAPI) -> dict[tuple[str, str], str]:
    rules = {}
    for route in app.routes:
        rule = route_rule(route)
        assert rule is not None, f"{getattr(route, 'path', route)} declares no access rule"
        path = getattr(route, "path", "")
        if "/static/vendor/plotly-" in path:
            path = "/static/vendor/plotly-{version}.min.js"
        methods = getattr(route, "methods", None) or {"GET"}
        for method in methods - {"HEAD"}:
            rules[(method, path)] = rule.describe()
    return rules


def test_every_route_declares_exactly_the_expected_rule(app: FastAPI) -> None:
    assert declared(app) == EXPECTED_RULES


def test_an_app_with_a_route_without_a_rule_is_refused() -> None:
    app = FastAPI()

    @app.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/open"):
        check_routes(app.routes)


def test_a_route_with_two_rules_is_refused() -> None:
    from typing import Annotated

    from fastapi import Depends

    app = FastAPI()

    @app.get("/twice")
    def twice(a: Annotated[Any, Depends(PUBLIC)], b: Annotated[Any, Depends(ADMIN_RULE)]) -> None:
        return None

    with pytest.raises(RuntimeError, match="/twice"):
        check_routes(app.routes)


# -- the matrix: every route, every role, a valid request ----------------------

ROLES = {"anonymous": None, "admin": ADMIN, "manager": MANAGER, "rep": ANA}


def _request(app: FastAPI, who: Person | None, method: str, path: str):
    client = TestClient(app)
    csrf = sign_in(client, who) if who else ""
    web = app.state.web
    throwaway = web.accounts.add_user(
        f"gone-{len(web.accounts.users())}@example.com", PASSWORD, "admin"
    )
    plan_id = agreed_plan_ids(web.settings, "Ana")[0]
    url = (
        path.replace("{rep}", "Ana")
        .replace("{plan_id}", str(plan_id))
        .replace("{user_id}", throwaway.id)
        .replace("{job_id}", "0" * 32)
        .replace("{team}", "East")
        .replace("{objective_id}", "1")
        .replace("{focus_id}", "1")
        .replace("{time_off_id}", "1")
        .replace("{version}", PLOTLY_VERSION)
        .replace("{name}", "outbound")
    )
    if path == "/admin/funnels/new":
        url = "/admin/funnels/new?name=inbound"
    if path == "/static":
        url = "/static/app.css"
    if path.endswith("/events"):
        url += "?stage=sqls"
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf}
    kwargs: dict[str, Any] = {}
    if (method, path) == ("POST", "/login"):
        page = client.get("/login")
        person = who or ANA
        kwargs["data"] = {
            "email": person.email,
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
        }
    elif path == "/api/session" and method == "POST":
        kwargs["json"] = {"email": (who or ANA).email, "password": PASSWORD}
    elif path in ("/api/plan", "/api/plans"):
        kwargs["json"] = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES}
    elif path == "/plan/agree":
        kwargs["data"] = {"objective": "4 sqls", "working_days": "20", **S1_RATES}
    elif path == "/account/password":
        kwargs["data"] = {"current_password": PASSWORD, "new_password": PASSWORD}
    elif (method, path) == ("POST", "/account/two-factor"):
        kwargs["data"] = {"password": PASSWORD, "code": "123456"}  # no app: a wrong code, 422
    elif path.startswith("/account/two-factor/"):
        kwargs["data"] = {"confirm": PASSWORD}  # not set up: nothing to change, 422
    elif (method, path) == ("POST", "/login/two-factor"):
        kwargs["data"] = {"code": "123456"}  # no password step first: back to /login
    elif path == "/api/me/password":
        kwargs["json"] = {"current_password": PASSWORD, "new_password": PASSWORD}
    elif (method, path) == ("POST", "/admin/users"):
        kwargs["data"] = {"email": "new1@example.com", "password": PASSWORD, "role": "admin"}
    elif (method, path) == ("POST", "/admin/users/{user_id}"):
        kwargs["data"] = {"role": "admin"}
    elif path == "/admin/users/{user_id}/password":
        kwargs["data"] = {"password": PASSWORD}
    elif (method, path) == ("PATCH", "/api/users/{user_id}"):
        kwargs["json"] = {"role": "admin"}
    elif path == "/api/users/{user_id}/password":
        kwargs["json"] = {"password": PASSWORD}
    elif (method, path) == ("POST", "/api/users"):
        kwargs["json"] = {"email": "new2@example.com", "password": PASSWORD, "role": "admin"}
    elif (method, path) in ROSTER_BODIES:
        kwargs.update(ROSTER_BODIES[(method, path)])
    elif (method, path) in COACHING_BODIES:
        kwargs.update(COACHING_BODIES[(method, path)])
    elif (method, path) == ("PUT", "/api/funnels/{name}"):
        kwargs["json"] = {"toml": OUTBOUND_TOML}
    elif (method, path) == ("POST", "/admin/funnels/{name}"):
        kwargs["data"] = {"toml": OUTBOUND_TOML, "action": "check"}
    elif path in ("/api/playbook", "/admin/playbook") and method in ("PUT", "POST"):
        toml = '[conversions."sqls/meetings"]\narea = "Qualifying"\n'
        kwargs["json" if method == "PUT" else "data"] = {"toml": toml}
    return client.request(method, url, headers=headers, follow_redirects=False, **kwargs)


@pytest.fixture
def app_with_plan(app: FastAPI) -> FastAPI:
    client = TestClient(app)
    csrf = sign_in(client, ANA)
    body = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES}
    assert client.post("/api/plans", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    return app


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_answers_each_role_as_its_rule_says(app_with_plan: FastAPI, role: str) -> None:
    who = ROLES[role]
    wrong = []
    for (method, path), rule in EXPECTED_RULES.items():
        status = _request(app_with_plan, who, method, path).status_code
        if rule == "public":
            ok = status < 400 or status == 422
        elif who is None:
            ok = status == 401
        elif role in rule.split("+"):
            ok = status < 500 and status not in (401, 403)  # 404: object-level, see below
        else:
            ok = status == 403
        if not ok:
            wrong.append(f"{method} {path} as {role}: {status} (rule {rule})")
    assert wrong == []


# -- objects: nothing reachable by guessing its id or name ---------------------


def test_a_rep_cannot_open_another_reps_page(app_with_plan: FastAPI, signed_in) -> None:
    ben, _ = signed_in(BEN)
    for path in ("/reps/Ana", "/api/reps/Ana"):
        response = ben.get(path)
        assert response.status_code == 404
        assert "No rep named &#39;Ana&#39; among the reps you can see" in response.text or (
            response.json()["error"] == "No rep named 'Ana' among the reps you can see."
        )
    own = ben.get("/api/reps/Ben")
    assert own.status_code == 200 and own.json()["rep"] == "Ben"


def test_a_reps_page_opens_for_the_rep_and_for_admins(app_with_plan: FastAPI, signed_in) -> None:
    for person in (ANA, ADMIN):
        client, _ = signed_in(person)
        data = client.get("/reps/Ana", headers={"Accept": "application/json"}).json()
        assert data["rep"] == "Ana" and len(data["agreements"]) == 1


def test_an_unknown_rep_and_a_hidden_rep_look_the_same(app_with_plan: FastAPI, signed_in) -> None:
    ben, _ = signed_in(BEN)
    admin, _ = signed_in(ADMIN)
    assert ben.get("/api/reps/Nobody").status_code == ben.get("/api/reps/Ana").status_code == 404
    assert admin.get("/api/reps/Nobody").status_code == 404


def test_an_agreed_plan_is_hidden_from_other_reps(app_with_plan: FastAPI, signed_in) -> None:
    [plan_id] = agreed_plan_ids(app_with_plan.state.web.settings, "Ana")
    ben, _ = signed_in(BEN)
    ana, _ = signed_in(ANA)
    admin, _ = signed_in(ADMIN)
    hidden, missing = ben.get(f"/api/plans/{plan_id}"), ben.get(f"/api/plans/{plan_id + 1}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()  # guessing ids tells nothing
    assert ben.get(f"/plans/{plan_id}").status_code == 404
    assert ana.get(f"/api/plans/{plan_id}").json()["rep"] == "Ana"
    assert admin.get(f"/api/plans/{plan_id}").status_code == 200


def test_a_manager_sees_the_reps_of_their_teams_only(app_with_plan: FastAPI, signed_in) -> None:
    manager, _ = signed_in(MANAGER)  # manages East: Ana and Ben, not Cy of West
    [plan_id] = agreed_plan_ids(app_with_plan.state.web.settings, "Ana")
    assert manager.get("/api/reps/Ana").json()["roster"]["team"] == "East"
    assert manager.get(f"/api/plans/{plan_id}").json()["rep"] == "Ana"
    assert manager.get("/api/reps/Ben").status_code == 200
    assert manager.get("/api/reps/Cy").status_code == 404


def test_an_admin_cannot_remove_their_own_account(app: FastAPI, signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    me = admin.get("/api/me").json()["user"]
    response = admin.delete(f"/api/users/{me['id']}", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422 and "your own account" in response.json()["error"]
