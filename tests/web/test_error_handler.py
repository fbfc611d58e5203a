"""One handler turns any BackplanError into its class's status: routes do not pick statuses."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.core.errors import Conflict, NotFound
from backplan.services import roster

from .conftest import ADMIN

JSON = {"Accept": "application/json"}


@pytest.fixture
def admin(signed_in) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(ADMIN)
    return client, csrf


def test_a_rep_the_roster_service_does_not_know_is_a_404(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    response = client.patch("/api/roster/reps/nobody", json={}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 404
    assert response.json() == {
        "error": "rep 'nobody': no rep with that key in the roster",
        "status": 404,
    }


def test_a_refusal_that_clashes_with_the_roster_is_a_409(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    response = client.delete("/api/roster/teams/West", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 409
    assert response.json()["status"] == 409
    assert response.json()["error"].startswith("team 'West' has 1 rep (Cy)")


@pytest.mark.parametrize(("error", "status"), [(NotFound, 404), (Conflict, 409)])
def test_the_handler_answers_with_the_status_of_the_error_a_service_raises(
    app: FastAPI, admin, monkeypatch: pytest.MonkeyPatch, error: type[Exception], status: int
) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin

    def refuses(*args: object, **kwargs: object) -> None:
        raise error("what to change")

    monkeypatch.setattr(roster, "roster", refuses)
    twin = client.get("/api/roster")
    assert (twin.status_code, twin.json()) == (
        status,
        {"error": "what to change", "status": status},
    )
    html = client.get("/admin/roster")
    assert html.status_code == status
    assert "what to change" in html.text and "Traceback" not in html.text
