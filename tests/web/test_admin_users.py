"""Admins change what an account may see and set a password; the change holds at once."""

from __future__ import annotations

from fastapi import FastAPI

from backplan.services.accounts import Accounts

from .conftest import ADMIN, BEN, MANAGER, PASSWORD, form_token, sign_in

JSON = {"Accept": "application/json"}
NEW_PASSWORD = "another long pass phrase"


def _id(app: FastAPI, email: str) -> str:
    accounts: Accounts = app.state.web.accounts
    return next(u.id for u in accounts.users() if u.email == email)


def test_a_manager_given_a_second_team_sees_it_on_the_next_request(app: FastAPI, signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    manager, _ = signed_in(MANAGER)
    assert manager.get("/api/teams/West").status_code == 404
    body = {"role": "manager", "teams": ["East", "West"]}
    response = admin.patch(
        f"/api/users/{_id(app, MANAGER.email)}", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200 and response.json()["teams"] == ["East", "West"]
    assert manager.get("/api/teams/West").status_code == 200


def test_the_edit_form_turns_a_rep_into_a_manager(app: FastAPI, signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    ben, _ = signed_in(BEN)
    user_id = _id(app, BEN.email)
    page = admin.get(f"/admin/users/{user_id}").text
    form = {"csrf_token": form_token(page, "edit-user"), "role": "manager", "team": ["West"]}
    response = admin.post(f"/admin/users/{user_id}", data=form)
    assert response.status_code == 200 and "Saved." in response.text
    assert ben.get("/api/me").json()["user"]["role"] == "manager"
    assert ben.get("/api/teams/West").status_code == 200


def test_a_role_without_what_it_needs_is_explained_and_nothing_changes(
    app: FastAPI, signed_in
) -> None:
    admin, _ = signed_in(ADMIN)
    user_id = _id(app, BEN.email)
    page = admin.get(f"/admin/users/{user_id}").text
    form = {"csrf_token": form_token(page, "edit-user"), "role": "manager"}
    response = admin.post(f"/admin/users/{user_id}", data=form)
    assert response.status_code == 422
    assert "account needs a team they manage" in response.text
    assert app.state.web.accounts.user(user_id).rep == "Ben"


def test_an_admin_cannot_take_away_their_own_admin_role(app: FastAPI, signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    me = _id(app, ADMIN.email)
    body = {"role": "rep", "rep": "Cy"}
    response = admin.patch(f"/api/users/{me}", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422 and "your own admin role" in response.json()["error"]
    assert admin.get("/api/users").status_code == 200


def test_a_rep_already_linked_to_an_account_cannot_get_a_second(app: FastAPI, signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    body = {"role": "rep", "rep": "Ana"}
    response = admin.patch(
        f"/api/users/{_id(app, BEN.email)}", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert (
        response.status_code == 422 and "'Ana' already has an account" in response.json()["error"]
    )


def test_an_unknown_user_is_a_404(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    headers = {"X-CSRF-Token": csrf}
    assert admin.get("/admin/users/nobody").status_code == 404
    assert (
        admin.patch("/api/users/nobody", json={"role": "admin"}, headers=headers).status_code == 404
    )
    put = admin.put("/api/users/nobody/password", json={"password": NEW_PASSWORD}, headers=headers)
    assert put.status_code == 404


def test_a_password_set_by_an_admin_ends_the_users_sessions(app: FastAPI, signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    ben, _ = signed_in(BEN)
    user_id = _id(app, BEN.email)
    page = admin.get(f"/admin/users/{user_id}").text
    form = {"csrf_token": form_token(page, "reset-password"), "password": NEW_PASSWORD}
    response = admin.post(f"/admin/users/{user_id}/password", data=form)
    assert response.status_code == 200 and "sessions have ended" in response.text
    assert ben.get("/api/me").status_code == 401
    sign_in(ben, BEN, NEW_PASSWORD)


def test_a_weak_password_set_by_an_admin_is_refused_and_the_old_one_still_works(
    app: FastAPI, signed_in
) -> None:
    admin, csrf = signed_in(ADMIN)
    user_id = _id(app, BEN.email)
    response = admin.put(
        f"/api/users/{user_id}/password",
        json={"password": "password1234"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert app.state.web.accounts.sign_in(BEN.email, PASSWORD)
