"""A page and its /api/ twin are one handler: the same data, answered as a page or as JSON."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from backplan.services.accounts import Accounts

from .conftest import ADMIN, BEN, S1_RATES

JSON = {"Accept": "application/json"}
TWINS = {  # page (method, path) → its /api/ twin (method, path)
    ("GET", "/reps/{rep}"): ("GET", "/api/reps/{rep}"),
    ("GET", "/teams/{team}"): ("GET", "/api/teams/{team}"),
    ("GET", "/plans/{plan_id}"): ("GET", "/api/plans/{plan_id}"),
    ("POST", "/plan/agree"): ("POST", "/api/plans"),
    ("GET", "/admin/users"): ("GET", "/api/users"),
    ("POST", "/admin/users/{user_id}/delete"): ("DELETE", "/api/users/{user_id}"),
    ("GET", "/admin/imports"): ("GET", "/api/imports"),
    ("GET", "/admin/imports/jobs/{job_id}"): ("GET", "/api/imports/jobs/{job_id}"),
    ("POST", "/admin/playbook/revert"): ("DELETE", "/api/playbook"),
    ("POST", "/admin/roster/reps/{rep}/time-off/{time_off_id}/delete"): (
        "DELETE",
        "/api/roster/reps/{rep}/time-off/{time_off_id}",
    ),
}


def _routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    return {
        (method, r.path): r for r in app.routes if isinstance(r, APIRoute) for method in r.methods
    }


def test_each_twin_is_one_handler_and_only_the_api_is_in_the_schema(app: FastAPI) -> None:
    routes = _routes(app)
    schema = app.openapi()["paths"]
    for page_key, api_key in TWINS.items():
        page, api = routes[page_key], routes[api_key]
        assert page.endpoint.__qualname__ == api.endpoint.__qualname__, page_key
        assert api.name == f"api_{page.name}"
        assert not page.include_in_schema and page.path not in schema
        assert api_key[0].lower() in schema[api.path]


def test_the_schema_lists_every_api_route_and_no_page(app: FastAPI) -> None:
    schema = app.openapi()["paths"]
    api = {r.path for r in app.routes if isinstance(r, APIRoute) and r.path.startswith("/api/")}
    assert set(schema) == api - {"/api/openapi.json"}


def test_a_user_removed_from_the_page_goes_back_to_the_list(app: FastAPI, signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    accounts: Accounts = app.state.web.accounts
    ben = next(u.id for u in accounts.users() if u.email == BEN.email)
    response = admin.post(
        f"/admin/users/{ben}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    assert BEN.email not in {u["email"] for u in admin.get("/api/users").json()}
    again = admin.delete(f"/api/users/{ben}", headers={"X-CSRF-Token": csrf})
    assert again.status_code == 404
    listed = admin.get("/admin/users", headers=JSON).json()
    assert set(listed) == {"users", "error"} and listed["error"] is None


def test_time_off_removed_from_the_page_goes_back_to_the_rep(signed_in) -> None:  # type: ignore[no-untyped-def]
    admin, csrf = signed_in(ADMIN)
    off = {"first_day": "2026-12-21", "last_day": "2026-12-31", "reason": "holiday"}
    entry = admin.post(
        "/api/roster/reps/Ben/time-off", json=off, headers={"X-CSRF-Token": csrf}
    ).json()
    response = admin.post(
        f"/admin/roster/reps/Ben/time-off/{entry['id']}/delete",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/roster/reps/Ben"
    assert "2026-12-21" not in admin.get("/admin/roster/reps/Ben").text


def test_agreeing_from_the_form_needs_an_objective_and_the_api_a_body(signed_in) -> None:  # type: ignore[no-untyped-def]
    ben, csrf = signed_in(BEN)
    form = {"csrf_token": csrf, "working_days": "20", **S1_RATES}
    refused = ben.post("/plan/agree", data=form, headers=JSON)
    assert refused.status_code == 422
    assert refused.json()["error"] == "give an objective to agree, e.g. 4 sqls"
    empty = ben.post("/api/plans", json={}, headers={"X-CSRF-Token": csrf})
    assert empty.status_code == 422 and "objective" in empty.json()["error"]
    body = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES}
    agreed = ben.post("/api/plans", json=body, headers={"X-CSRF-Token": csrf})
    assert agreed.status_code == 201
    assert ben.get(f"/plans/{agreed.json()['id']}", headers=JSON).json() == agreed.json()
