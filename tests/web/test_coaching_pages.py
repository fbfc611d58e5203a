"""The Coaching page: each team's focuses reviewed in words, a form to start one, a button to
end it; the focus on the rep's Today card and beside each rep on the team page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.services import coaching

from .conftest import ANA_SILVA, MAYA, NS_ADMIN, Person

JSON = {"Accept": "application/json"}
SignIn = Callable[[Person], tuple[TestClient, str]]
BEN = Person("ben.novak@example.com", "rep", rep="ben")


@pytest.fixture
def coached(north_south: FastAPI) -> FastAPI:
    """North/South with Ana coached on meeting → SQL since September, Cy on dial →
    conversation, and an account for Ben."""
    settings = north_south.state.web.settings
    coaching.start_focus(
        settings,
        coaching.FocusRequest(
            rep="ana", focus="sqls/meetings", since=date(2026, 9, 1), playbook=["1"],
            commitments=["Ask about budget in every meeting"], by="maya@example.com",
        ),
    )  # fmt: skip
    coaching.start_focus(
        settings,
        coaching.FocusRequest(rep="cy", focus="conversations/dials", since=date(2026, 9, 1)),
    )
    north_south.state.web.accounts.add_user(
        BEN.email, "a long pass phrase for tests", "rep", rep="ben"
    )
    return north_south


def _focus_id(app: FastAPI, rep: str) -> int:
    return next(f.id for f in coaching.list_focuses(app.state.web.settings, rep=rep) if f.current)


def test_a_manager_sees_their_teams_focuses_reviewed_in_words(
    coached: FastAPI, ns_signed_in: SignIn
) -> None:
    maya, _ = ns_signed_in(MAYA)
    data = maya.get("/api/coaching").json()
    [north] = data["groups"]
    assert north["team"] == "North" and north["ended"] == []
    [focus] = north["current"]
    assert (focus["rep"], focus["focus"], focus["label"]) == (
        "ana",
        "sqls/meetings",
        "Meeting → SQL",
    )
    review = focus["review"]
    assert review["verdict"] in {"improved", "unclear", "worse"}
    assert review["before"]["trials"] > 0 and review["after"]["trials"] > 0
    words = review["words"]
    assert (
        "% (" in words["before"]
        and "80% range" in words["before"]
        and "meetings" in words["before"]
    )
    assert "points" in words["effect"] and words["p_improved"].endswith(
        "likely that the coaching helped"
    )
    # The rep picker offers the team's reps only; the playbook's items for each conversion.
    assert {r["rep"] for r in data["reps"]} == {"ana", "ben"}
    sqls = next(c for c in data["conversions"] if c["key"] == "sqls/meetings")
    assert sqls["suggestions"]
    # What works, across the team's focuses: Ana's focus, for the conversion and its item.
    every, item = data["what_works"]["items"]
    assert (every["item"], every["focuses"], item["item"]) == (None, 1, focus["playbook"][0])
    assert every["pooled"]["focuses"] == 1 and "likely that it helps" in every["words"]
    html = maya.get("/coaching").text
    assert 'id="what-works-table"' in html
    assert "Team North" in html and "Meeting → SQL" in html and "Cy" not in html
    assert 'name="playbook:sqls/meetings"' in html and 'value="2026-11-16"' in html
    assert "backplan " not in html.replace("backplan —", "").replace("· backplan", "")
    assert "Coaching" in {link["label"] for link in maya.get("/api/home").json()["links"]}


def test_a_manager_starts_a_focus_with_playbook_items_and_commitments(
    coached: FastAPI, ns_signed_in: SignIn
) -> None:
    maya, csrf = ns_signed_in(MAYA)
    form = {
        "csrf_token": csrf, "rep": "ben", "focus": "sqls/meetings",
        "playbook:sqls/meetings": ["1", "2"], "playbook:meetings/conversations": "1",
        "commitments": "Qualify budget first\n\nSend a recap the same day", "note": "From the 1:1",
        "since": "",
    }  # fmt: skip
    response = maya.post("/coaching/focuses", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith(
        "/coaching#focus-"
    )
    [focus] = coaching.list_focuses(coached.state.web.settings, rep="ben")
    suggestions = next(
        c for c in maya.get("/api/coaching").json()["conversions"] if c["key"] == "sqls/meetings"
    )["suggestions"]
    assert focus.playbook == tuple(suggestions[:2])
    assert focus.commitments == ("Qualify budget first", "Send a recap the same day")
    assert focus.since == date(2026, 11, 16)  # today, by the pinned clock
    assert focus.started_by == MAYA.email and focus.note == "From the 1:1"


def test_the_end_button_ends_a_focus_and_keeps_it(coached: FastAPI, ns_signed_in: SignIn) -> None:
    maya, csrf = ns_signed_in(MAYA)
    focus_id = _focus_id(coached, "ana")
    response = maya.post(
        f"/coaching/focuses/{focus_id}/end", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    [north] = maya.get("/api/coaching").json()["groups"]
    assert north["current"] == [] and [f["id"] for f in north["ended"]] == [focus_id]
    assert north["ended"][0]["ended_by"] == MAYA.email
    again = maya.post(f"/api/coaching/focuses/{focus_id}/end", headers={"X-CSRF-Token": csrf})
    assert again.status_code == 422 and "already ended" in again.json()["error"]


def test_a_form_without_the_csrf_token_is_refused(coached: FastAPI, ns_signed_in: SignIn) -> None:
    maya, _ = ns_signed_in(MAYA)
    response = maya.post("/coaching/focuses", data={"rep": "ben", "focus": "sqls/meetings"})
    assert response.status_code == 403
    assert coaching.list_focuses(coached.state.web.settings, rep="ben") == []


def test_a_rep_sees_and_starts_their_own_focus_only(coached: FastAPI, ns_signed_in: SignIn) -> None:
    ana, csrf = ns_signed_in(ANA_SILVA)
    data = ana.get("/api/coaching").json()
    [mine] = data["groups"]
    assert [f["rep"] for f in mine["current"]] == ["ana"]
    assert [r["rep"] for r in data["reps"]] == ["ana"]
    headers = {"X-CSRF-Token": csrf}
    own = ana.post("/api/coaching/focuses", json={"rep": "ana", "focus": "meetings/conversations"},
                   headers=headers)  # fmt: skip
    assert own.status_code == 201 and own.json()["started_by"] == ANA_SILVA.email
    body = {"rep": "ben", "focus": "sqls/meetings"}
    other = ana.post("/api/coaching/focuses", json=body, headers=headers)
    nobody = ana.post("/api/coaching/focuses", json=body | {"rep": "zed"}, headers=headers)
    assert other.status_code == nobody.status_code == 404
    assert other.json()["error"].replace("ben", "zed") == nobody.json()["error"]


def test_a_rep_cannot_end_or_see_another_reps_focus(coached: FastAPI, ns_signed_in: SignIn) -> None:
    maya, maya_csrf = ns_signed_in(MAYA)
    assert maya.post("/api/coaching/focuses", json={"rep": "ben", "focus": "sqls/meetings"},
                     headers={"X-CSRF-Token": maya_csrf}).status_code == 201  # fmt: skip
    ana, csrf = ns_signed_in(ANA_SILVA)
    ben_focus = _focus_id(coached, "ben")
    hidden = ana.post(f"/api/coaching/focuses/{ben_focus}/end", headers={"X-CSRF-Token": csrf})
    missing = ana.post("/api/coaching/focuses/9999/end", headers={"X-CSRF-Token": csrf})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert _focus_id(coached, "ben") == ben_focus  # still current
    seen = [f["rep"] for g in ana.get("/api/coaching").json()["groups"] for f in g["current"]]
    assert "ben" not in seen


def test_a_manager_cannot_coach_another_teams_rep(coached: FastAPI, ns_signed_in: SignIn) -> None:
    maya, csrf = ns_signed_in(MAYA)
    headers = {"X-CSRF-Token": csrf}
    cy_focus = _focus_id(coached, "cy")
    start = maya.post("/api/coaching/focuses", json={"rep": "cy", "focus": "sqls/meetings"},
                      headers=headers)  # fmt: skip
    end = maya.post(f"/api/coaching/focuses/{cy_focus}/end", headers=headers)
    missing = maya.post("/api/coaching/focuses/9999/end", headers=headers)
    assert start.status_code == end.status_code == missing.status_code == 404
    assert end.json() == missing.json()
    admin, _ = ns_signed_in(NS_ADMIN)
    teams = [g["team"] for g in admin.get("/api/coaching").json()["groups"]]
    assert teams == ["North", "South"]


def test_the_focus_shows_on_the_reps_today_card_and_the_team_page(
    coached: FastAPI, ns_signed_in: SignIn
) -> None:
    ana, _ = ns_signed_in(ANA_SILVA)
    [focus] = ana.get("/api/home").json()["today"]["coaching"]
    assert focus["focus"] == "sqls/meetings" and focus["playbook"]
    assert focus["commitments"] == ["Ask about budget in every meeting"]
    assert focus["review"]["verdict"] in {"improved", "unclear", "worse"}
    html = ana.get("/").text
    assert "Your coaching focus: Meeting → SQL" in html and "Ask about budget" in html
    maya, _ = ns_signed_in(MAYA)
    team = maya.get("/api/teams/North").json()
    assert [f["focus"] for f in team["focuses"]["ana"]] == ["sqls/meetings"]
    assert "coached on Meeting → SQL" in maya.get("/teams/North").text
    assert ana.get("/api/teams/North").json()["focuses"] == {}  # a rep: aggregates only
