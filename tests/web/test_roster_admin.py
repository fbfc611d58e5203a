"""Admin roster pages and /api/roster: forms, JSON, refusals with reasons, CSRF, fresh views."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.events.store import EventStore
from backplan.metrics.sample import event_rows

from .conftest import ADMIN, ANA, MANAGER, form_token

JSON = {"Accept": "application/json"}


@pytest.fixture
def admin(signed_in) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(ADMIN)
    return client, csrf


def roster_of(client: TestClient) -> dict[str, list[tuple[str, ...]]]:
    data = client.get("/api/roster").json()
    return {
        "teams": [(t["name"], t["reps"]) for t in data["teams"]],
        "reps": [(r["key"], r["team"]) for r in data["reps"]],
    }


def test_the_roster_page_lists_teams_and_reps_and_has_a_json_twin(admin) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin
    html = client.get("/admin/roster")
    assert html.status_code == 200
    for form in ("add-team", "add-rep", "roster-file"):
        assert f'id="{form}"' in html.text
    assert '<a href="/admin/roster">Roster</a>' in html.text or 'href="/admin/roster"' in html.text
    twin = client.get("/admin/roster", headers=JSON).json()
    assert (
        twin["teams"]
        == client.get("/api/roster").json()["teams"]
        == [
            {"name": "East", "manager": "Mo", "region": None, "reps": 2},
            {"name": "West", "manager": "Wu", "region": None, "reps": 1},
        ]
    )
    assert roster_of(client)["reps"] == [("Ana", "East"), ("Ben", "East"), ("Cy", "West")]
    west = client.get("/admin/roster?team=West", headers=JSON).json()
    assert [r["key"] for r in west["reps"]] == ["Cy"]
    assert client.get("/api/roster?team=North").status_code == 404


def test_only_admins_get_the_roster_link(signed_in) -> None:  # type: ignore[no-untyped-def]
    manager, _ = signed_in(MANAGER)
    assert 'href="/admin/roster"' not in manager.get("/").text
    assert manager.get("/admin/roster").status_code == 403


def test_adding_a_team_by_form_redirects_and_a_duplicate_keeps_what_was_typed(admin) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin
    token = form_token(client.get("/admin/roster").text, "add-team")
    form = {"name": "North", "manager": "Maya", "region": "EMEA", "csrf_token": token}
    added = client.post("/admin/roster/teams", data=form, follow_redirects=False)
    assert (added.status_code, added.headers["location"]) == (303, "/admin/roster")
    again = client.post(
        "/admin/roster/teams", data=form | {"name": "north", "manager": "Maya Berg"}
    )
    assert again.status_code == 422
    assert "name &#39;north&#39;: there is already a team &#39;North&#39;" in again.text
    assert 'value="Maya Berg"' in again.text and 'value="north"' in again.text
    assert roster_of(client)["teams"] == [("East", 2), ("North", 0), ("West", 1)]


def test_adding_a_rep_by_form_with_a_bad_date_shows_the_error_and_keeps_the_fields(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    form = {"key": "dee", "name": "Dee", "team": "West", "start_date": "next week"}
    bad = client.post("/admin/roster/reps", data=form | {"csrf_token": csrf})
    assert bad.status_code == 422
    assert "start_date &#39;next week&#39; is not a date like 2026-10-05" in bad.text
    assert 'value="dee"' in bad.text and 'value="next week"' in bad.text
    good = client.post(
        "/admin/roster/reps",
        data=form | {"start_date": "2026-09-01", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert (good.status_code, good.headers["location"]) == (303, "/admin/roster?team=West")
    assert ("dee", "West") in roster_of(client)["reps"]


def test_the_json_api_adds_renames_and_refuses_to_remove_a_team_with_reps(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    headers = {"X-CSRF-Token": csrf}
    added = client.post("/api/roster/teams", json={"name": "North"}, headers=headers)
    assert (added.status_code, added.json()["name"]) == (201, "North")
    patched = client.patch("/api/roster/teams/North", json={"region": "EMEA"}, headers=headers)
    assert patched.json() == {"name": "North", "manager": None, "region": "EMEA", "reps": 0}
    refused = client.delete("/api/roster/teams/West", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"] == (
        "team 'West' has 1 rep (Cy); move its reps first (to another team or to no team)"
    )
    assert client.delete("/api/roster/teams/North", headers=headers).status_code == 204
    assert client.delete("/api/roster/teams/North", headers=headers).status_code == 404
    too_long = client.post("/api/roster/teams", json={"name": "x" * 201}, headers=headers)
    assert too_long.status_code == 422


def test_the_json_api_edits_moves_and_removes_reps(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    headers = {"X-CSRF-Token": csrf}
    body = {"key": "dee", "name": "Dee", "email": "dee@example.com", "team": "East"}
    created = client.post("/api/roster/reps", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["origin"] == "admin"
    rekeyed = client.patch("/api/roster/reps/dee", json={"key": "dee2"}, headers=headers)
    assert rekeyed.status_code == 409
    assert "a rep's key cannot change once created" in rekeyed.json()["error"]
    moved = client.patch("/api/roster/reps/dee", json={"team": None}, headers=headers).json()
    assert (moved["team"], moved["email"], moved["name"]) == (None, "dee@example.com", "Dee")
    refused = client.delete("/api/roster/reps/Ana", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"].startswith("rep 'Ana' has an account (ana@example.com)")
    assert client.delete("/api/roster/reps/dee", headers=headers).status_code == 204
    assert client.patch("/api/roster/reps/dee", json={}, headers=headers).status_code == 404


def test_a_team_that_does_not_exist_in_a_reps_fields_is_a_mistake_in_what_was_sent(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    headers = {"X-CSRF-Token": csrf}
    body = {"key": "dee", "name": "Dee", "team": "Nowhere"}
    refused = client.post("/api/roster/reps", json=body, headers=headers)
    assert refused.status_code == 422  # the page exists; the field is wrong
    assert "no such team in the roster; teams are East, West" in refused.json()["error"]
    moved = client.patch("/api/roster/reps/Ana", json={"team": "Nowhere"}, headers=headers)
    assert moved.status_code == 422


def test_time_off_is_added_and_removed_through_the_api_and_the_reps_page(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    headers = {"X-CSRF-Token": csrf}
    off = {"first_day": "2026-12-21", "last_day": "2026-12-31", "reason": "holiday"}
    added = client.post("/api/roster/reps/Ben/time-off", json=off, headers=headers)
    assert added.status_code == 201
    entry = added.json()
    assert {k: entry[k] for k in off} == off
    backwards = client.post(
        "/admin/roster/reps/Ben/time-off",
        data={"first_day": "2027-01-10", "last_day": "2027-01-08", "csrf_token": csrf},
    )
    assert backwards.status_code == 422
    assert "last_day 2027-01-08 comes before first_day 2027-01-10" in backwards.text
    assert 'value="2027-01-10"' in backwards.text
    assert "2026-12-21" in client.get("/admin/roster/reps/Ben").text
    path = f"/api/roster/reps/Ben/time-off/{entry['id']}"
    assert client.delete(path, headers=headers).status_code == 204
    assert client.delete(path, headers=headers).status_code == 404
    assert client.get("/api/roster?team=East").json()["reps"][1]["time_off"] == []


def test_changes_without_the_csrf_token_are_refused_and_change_nothing(admin) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin
    form = client.post("/admin/roster/teams", data={"name": "North"})
    api = client.patch("/api/roster/reps/Ben", json={"team": "West"})
    forged = client.delete("/api/roster/teams/West", headers={"X-CSRF-Token": "forged"})
    assert form.status_code == api.status_code == forged.status_code == 403
    assert roster_of(client) == {
        "teams": [("East", 2), ("West", 1)],
        "reps": [("Ana", "East"), ("Ben", "East"), ("Cy", "West")],
    }


def test_a_renamed_team_stays_its_managers_team(signed_in, admin) -> None:  # type: ignore[no-untyped-def]
    manager, _ = signed_in(MANAGER)
    assert manager.get("/api/teams/East").status_code == 200
    client, csrf = admin
    renamed = client.post(
        "/admin/roster/teams/East",
        data={"name": "East Coast", "manager": "Mo", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert renamed.headers["location"] == "/admin/roster/teams/East%20Coast"
    page = manager.get("/teams/East Coast")
    assert page.status_code == 200 and "<h1>Team East Coast</h1>" in page.text
    assert 'href="/teams/East%20Coast"' in page.text  # the navigation follows too
    assert manager.get("/api/teams/East").status_code == 404
    assert manager.get("/api/reps/Ana").json()["roster"]["team"] == "East Coast"


def test_a_moved_rep_leaves_their_managers_view_on_the_next_request(signed_in, admin) -> None:  # type: ignore[no-untyped-def]
    manager, _ = signed_in(MANAGER)
    assert manager.get("/api/reps/Ben").status_code == 200
    client, _ = admin
    token = form_token(client.get("/admin/roster/reps/Ben").text, "edit-rep")
    moved = client.post(
        "/admin/roster/reps/Ben", data={"name": "Ben", "team": "West", "csrf_token": token}
    )
    assert moved.status_code == 200  # followed the redirect back to the rep's page
    assert manager.get("/api/reps/Ben").status_code == 404
    west = client.get("/api/teams/West").json()
    assert [r["rep"] for r in west["reps"]] == ["Ben", "Cy"]


def test_team_rates_follow_a_move_at_once(app: FastAPI, admin) -> None:  # type: ignore[no-untyped-def]
    """The rates of a team are cached; an edit on the roster page must not wait for it."""
    last_quarter = date.today().replace(day=1) - timedelta(days=100)
    rows = [
        (rep, last_quarter + timedelta(days=d), kind)
        for rep in ("Ana", "Ben", "Cy")
        for d in range(20)
        for kind in ("dial", "dial", "connect")
    ]
    EventStore(app.state.web.settings.home).append(event_rows(rows))
    app.state.web.rates.fresh_seconds = 3600.0  # only an explicit invalidation refreshes
    client, csrf = admin
    before = client.get("/api/teams/West").json()
    assert {r["rep"] for r in before["rates"]} == {"Cy"}
    client.patch("/api/roster/reps/Ben", json={"team": "West"}, headers={"X-CSRF-Token": csrf})
    after = client.get("/api/teams/West").json()
    assert {r["rep"] for r in after["rates"]} == {"Ben", "Cy"}


ROSTER_FILE = (
    "rep,name,email,team,start_date\nBen,Ben Ode,ben@x.io,West,2025-02-03\nDee,Dee Park,,North,\n"
)
BAD_ROSTER = "rep,name,team,start_date\nDee,Dee Park,North,2025-02-03\nEd,Ed Roy,West,soon\n"


def test_a_roster_file_is_loaded_from_the_page(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    files = {"file": ("team changes.csv", ROSTER_FILE.encode(), "text/csv")}
    loaded = client.post(
        "/admin/roster/file", data={"csrf_token": csrf}, files=files, follow_redirects=False
    )
    assert (loaded.status_code, loaded.headers["location"]) == (
        303,
        "/admin/roster?added=1&updated=1",
    )
    page = client.get(loaded.headers["location"])
    assert "Roster file loaded: 1 reps added, 1 updated." in page.text
    assert roster_of(client) == {
        "teams": [("East", 1), ("North", 1), ("West", 2)],
        "reps": [("Ana", "East"), ("Dee", "North"), ("Ben", "West"), ("Cy", "West")],
    }


def test_a_roster_file_with_a_bad_row_shows_the_row_and_changes_nothing(admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    before = roster_of(client)
    files = {"file": ("roster.csv", BAD_ROSTER.encode(), "text/csv")}
    refused = client.post("/admin/roster/file", data={"csrf_token": csrf}, files=files)
    assert refused.status_code == 422
    assert (
        "roster.csv: row 3, column &#39;start_date&#39;: &#39;soon&#39; is not valid; "
        "expected a date like 2024-03-15" in refused.text
    )
    assert "uploads" not in refused.text  # the server's copy of the file is not named
    assert roster_of(client) == before
    assert not list((client.app.state.web.settings.home / "uploads").iterdir())  # type: ignore[attr-defined]
    empty = client.post("/admin/roster/file", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "choose a roster file" in empty.text


def test_a_rep_cannot_reach_the_roster_api(signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, csrf = signed_in(ANA)
    assert ana.get("/api/roster").status_code == 403
    moved = ana.patch("/api/roster/reps/Ana", json={"team": "West"}, headers={"X-CSRF-Token": csrf})
    assert moved.status_code == 403


def test_a_move_made_by_another_process_shows_once_the_roster_view_is_stale(  # type: ignore[no-untyped-def]
    app: FastAPI, signed_in, monkeypatch
) -> None:
    import backplan.web.context as context
    from backplan.services import kept, roster

    manager, _ = signed_in(MANAGER)
    assert manager.get("/api/reps/Ben").status_code == 200  # the view is read and kept
    roster.move_rep(app.state.web.settings, "Ben", "West")  # as `backplan` elsewhere would
    assert manager.get("/api/reps/Ben").status_code == 200  # still the kept view
    later = kept.time.monotonic() + context.ROSTER_FRESH_SECONDS + 0.1
    monkeypatch.setattr(kept.time, "monotonic", lambda: later)
    assert manager.get("/api/reps/Ben").status_code == 404
