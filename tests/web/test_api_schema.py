"""Property-based requests against the OpenAPI schema: no input makes the server fail."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from backplan.web import create_app

from .conftest import ANA, PASSWORD, S1_RATES, add_people, fast_settings

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
