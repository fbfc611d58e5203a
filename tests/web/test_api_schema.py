"""Property-based requests against the OpenAPI schema: no input makes the server fail."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from backplan.web import create_app

from .conftest import ANA, PASSWORD, S1_RATES, add_people, fast_settings

FAR_DATES = ("0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31")
"""Years 1 and 9999 (and just outside 1900..2200): once answered 500 (issue 14)."""
HUGE_IDS = (2**63, 2**63 - 1, 10**30, -(2**63) - 1)
"""Ids beyond SQLite's integers overflowed the database driver (issue 14)."""

# Dates the fuzzer draws: the far ones above half the time, else any date at all.
schemathesis.openapi.format(
    "date", st.one_of(st.sampled_from(FAR_DATES), st.dates().map(lambda d: d.isoformat()))
)

HOME = tempfile.TemporaryDirectory(prefix="backplan-schema-")
APP = create_app(fast_settings(Path(HOME.name)))
add_people(APP)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


def session_headers(email: str) -> dict[str, str]:
    """A fresh session per case: a case may sign out (DELETE /api/session)."""
    session = APP.state.web.accounts.sign_in(email, PASSWORD)
    return {"Cookie": f"backplan_session={session.token}", "X-CSRF-Token": session.csrf_token}


@pytest.fixture(scope="module", autouse=True)
def an_agreed_plan() -> None:
    from backplan.services.okr import Actor, agree_built_plan
    from backplan.web.planning import PlanInput, plan_for

    body = PlanInput(objective="4 sqls", working_days=20, rates=S1_RATES)
    planned = plan_for(body, APP.state.web.settings)
    agree_built_plan(APP.state.web.settings, Actor(ANA.email, "Ana"), body.to_request(), planned)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_a_server_error(case) -> None:  # type: ignore[no-untyped-def]
    for email in ("admin@example.com", ANA.email):
        case.call_and_validate(headers=session_headers(email), checks=[not_a_server_error])


def _date_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The body fields of an operation's JSON schema that hold a date."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    found = []
    for name, field in schema.get("properties", {}).items():
        options = field.get("anyOf", [field])
        if any(o.get("format") == "date" for o in options):
            found.append(name)
    return found


def far_requests() -> list[tuple[str, str, dict[str, Any]]]:
    """Every API operation with a far date in each date parameter or body field, and a huge
    id in each integer path parameter: (method, path, request keywords)."""
    spec = APP.openapi()
    components = spec["components"]["schemas"]
    requests: list[tuple[str, str, dict[str, Any]]] = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            concrete = path
            for p in params:  # a path known to exist, so the far value is what is tested
                if p["in"] == "path" and p["schema"].get("type") != "integer":
                    concrete = concrete.replace(f"{{{p['name']}}}", "Ana")
            for p in params:
                if p["in"] == "path" and p["schema"].get("type") == "integer":
                    others = [q for q in params if q["in"] == "path" and q is not p]
                    target = concrete
                    for q in others:
                        target = target.replace(f"{{{q['name']}}}", "1")
                    for huge in HUGE_IDS:
                        url = target.replace(f"{{{p['name']}}}", str(huge))
                        requests.append((method, url, {}))
                options = p["schema"].get("anyOf", [p["schema"]])
                if p["in"] == "query" and any(o.get("format") == "date" for o in options):
                    for far in FAR_DATES:
                        requests.append((method, concrete, {"params": {p["name"]: far}}))
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body and "{" not in concrete:
                for name in _date_fields(body["schema"], components):
                    for far in FAR_DATES:
                        json = {"objective": "4 sqls", "working_days": 20, name: far}
                        requests.append((method, concrete, {"json": json}))
    return requests


FAR = far_requests()


def test_the_far_requests_cover_dates_and_ids() -> None:
    paths = {path for _, path, _ in FAR}
    assert any(str(2**63) in p for p in paths)
    assert any("json" in kw and "as_of" in kw["json"] for _, _, kw in FAR)
    assert any("/api/reps/" in p for p in paths)


@pytest.mark.parametrize("email", ["admin@example.com", ANA.email])
def test_far_dates_and_huge_ids_answer_4xx_with_a_reason(email: str) -> None:
    client = TestClient(APP)
    failures = []
    for method, path, keywords in FAR:
        response = client.request(method, path, headers=session_headers(email), **keywords)
        if not 400 <= response.status_code < 500 or not response.json().get("error"):
            failures.append((method, path, keywords, response.status_code))
    assert failures == []
