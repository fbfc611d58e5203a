"""Two-factor sign-in with an authenticator app (TOTP), required of admins (ASVS 4.3.1).

Time is the settings' clock, pinned per app: a later moment is another app over the same
home (the same database and secret key), as another request would see it later.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.web import create_app
from backplan.web.pending import LIFETIME, Pending, pending_state, read_pending

from .conftest import (
    ADMIN,
    ANA,
    MANAGER,
    PASSWORD,
    S1_RATES,
    Person,
    add_people,
    fast_settings,
    form_token,
    sign_in,
)
from .test_permissions import EXPECTED_RULES, _request

START = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
"""The moment the apps here are pinned at, unless a test moves on."""
REASON = "Set up two-factor sign-in first"
JSON = {"Accept": "application/json"}
SECRET = re.compile(r'id="two-factor-secret">([A-Z2-7 ]+)<')
RECOVERY = re.compile(r"<code class=\"recovery-code\">([a-z2-7-]+)</code>")
BEFORE_TWO_FACTOR = {
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("POST", "/api/me/password"),
    ("GET", "/account/two-factor"),
    ("POST", "/account/two-factor"),
    ("POST", "/account/two-factor/recovery-codes"),
    ("POST", "/account/two-factor/disable"),
    ("GET", "/api/me"),
    ("POST", "/logout"),
    ("DELETE", "/api/session"),
}
"""What an admin who has yet to set up two-factor sign-in may still do, when it is required."""


def app_at(home: Path, moment: datetime = START, mode: str = "required", **more: Any) -> FastAPI:
    """The web app as it answers at ``moment`` (the clock pinned, in UTC)."""
    today = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return create_app(
        fast_settings(home, today=today, timezone="UTC", admin_two_factor=mode, **more)
    )


@pytest.fixture
def home(backplan_home: Path) -> Path:
    add_people(app_at(backplan_home))
    return backplan_home


def code(secret: str, moment: datetime = START, steps: int = 0) -> str:
    """What an authenticator app shows at ``moment`` (``steps`` of 30 s later or earlier)."""
    return pyotp.TOTP(secret).at(moment, counter_offset=steps)


def password_step(client: TestClient, person: Person, next_path: str = "/") -> Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": person.email,
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


def code_step(client: TestClient, typed: str) -> Response:
    page = client.get("/login/two-factor")
    assert page.status_code == 200, page.text
    data = {"code": typed, "csrf_token": form_token(page.text, "two-factor-form")}
    return client.post("/login/two-factor", data=data, follow_redirects=False)


def enrol(client: TestClient, moment: datetime = START) -> tuple[str, list[str]]:
    """Set up two-factor sign-in as a signed-in person would: read the key off the page,
    type the code their app shows; returns the key and the recovery codes shown once."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and "<svg" in page.text  # the QR code, drawn inline
    found = SECRET.search(page.text)
    assert found, "the key is shown as text too"
    secret = found.group(1).replace(" ", "")
    data = {
        "password": PASSWORD,
        "code": code(secret, moment),
        "csrf_token": form_token(page.text, "enrol-form"),
    }
    done = client.post("/account/two-factor", data=data)
    assert done.status_code == 200, done.text
    return secret, RECOVERY.findall(done.text)


def enrolled_admin(home: Path) -> tuple[str, list[str]]:
    client = TestClient(app_at(home))
    assert password_step(client, ADMIN).headers["location"] == "/account/two-factor"
    return enrol(client)


def signed_in_at(
    home: Path, moment: datetime, typed: str, mode: str = "required"
) -> tuple[TestClient, Response]:
    """A new browser at ``moment``: the admin's password, then ``typed`` as the code."""
    client = TestClient(app_at(home, moment, mode))
    assert password_step(client, ADMIN).headers["location"] == "/login/two-factor"
    return client, code_step(client, typed)


# -- required: an admin without two-factor sign-in is sent to set it up ----------


def test_an_admin_without_two_factor_is_sent_to_set_it_up_and_refused_admin_pages(
    home: Path,
) -> None:
    client = TestClient(app_at(home))
    response = password_step(client, ADMIN, next_path="/admin/users")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/two-factor"
    page = client.get("/admin/users")
    assert page.status_code == 403 and REASON in page.text
    assert 'href="/account/two-factor"' in page.text  # the way forward, one click away
    api = client.get("/api/users")
    assert api.status_code == 403 and api.json()["error"].startswith(REASON)
    assert client.get("/account/two-factor").status_code == 200
    assert client.get("/api/me").json()["user"]["email"] == ADMIN.email


def test_managers_and_reps_need_no_second_factor(home: Path) -> None:
    for person in (MANAGER, ANA):
        client = TestClient(app_at(home))
        assert password_step(client, person).headers["location"] == "/"
        assert client.get("/").status_code == 200


def test_every_route_but_the_account_answers_403_until_the_admin_sets_it_up(
    home: Path,
) -> None:
    app = app_at(home)
    rep = TestClient(app)
    csrf = sign_in(rep, ANA)
    body = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES}
    assert rep.post("/api/plans", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    wrong = []
    for (method, path), rule in EXPECTED_RULES.items():
        if "admin" not in rule.split("+"):
            continue
        response = _request(app, ADMIN, method, path)
        refused = response.status_code == 403 and REASON in response.text
        if refused == ((method, path) in BEFORE_TWO_FACTOR):
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []


def test_optional_lets_an_admin_without_two_factor_in(backplan_home: Path) -> None:
    app = app_at(backplan_home, mode="optional")
    add_people(app)
    client = TestClient(app)
    assert password_step(client, ADMIN, "/admin/users").headers["location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200


# -- enrolment --------------------------------------------------------------------


def test_enrolment_with_the_apps_code_unlocks_admin_pages_and_shows_ten_recovery_codes(
    home: Path,
) -> None:
    client = TestClient(app_at(home))
    password_step(client, ADMIN)
    secret, recovery = enrol(client)
    assert len(secret) >= 32  # 160 bits
    assert len(recovery) == 10 and len(set(recovery)) == 10
    assert client.get("/admin/users").status_code == 200
    status = client.get("/account/two-factor", headers=JSON).json()
    assert status["enrolled"] is True and status["recovery_codes_left"] == 10
    assert "secret" not in status and "recovery_codes" not in status  # shown once, then never
    assert "Two-factor sign-in is on" in client.get("/account").text


def test_a_wrong_code_or_password_does_not_enrol(home: Path) -> None:
    client = TestClient(app_at(home))
    password_step(client, ADMIN)
    page = client.get("/account/two-factor")
    secret = SECRET.search(page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    token = form_token(page.text, "enrol-form")
    wrong_code = client.post(
        "/account/two-factor",
        data={"password": PASSWORD, "code": code(secret, steps=5), "csrf_token": token},
    )
    assert wrong_code.status_code == 422 and "code" in wrong_code.text
    wrong_password = client.post(
        "/account/two-factor",
        data={"password": "not my password", "code": code(secret), "csrf_token": token},
    )
    assert wrong_password.status_code == 422 and "password" in wrong_password.text
    assert client.get("/admin/users").status_code == 403
    again = client.get("/account/two-factor")
    assert secret in again.text.replace(" ", "")  # the same key until it is confirmed


def test_enrolment_forms_need_the_csrf_token(home: Path) -> None:
    client = TestClient(app_at(home))
    password_step(client, ADMIN)
    response = client.post("/account/two-factor", data={"password": PASSWORD, "code": "123456"})
    assert response.status_code == 403


def test_a_rep_may_set_up_two_factor_too(home: Path) -> None:
    client = TestClient(app_at(home))
    password_step(client, ANA)
    secret, _ = enrol(client)
    later = TestClient(app_at(home, START + timedelta(minutes=1)))
    assert password_step(later, ANA).headers["location"] == "/login/two-factor"
    assert code_step(later, code(secret, START + timedelta(minutes=1))).status_code == 303


# -- signing in with the second step ----------------------------------------------


def test_sign_in_asks_for_the_code_before_any_session_starts(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    client = TestClient(app_at(home, moment))
    response = password_step(client, ADMIN, next_path="/admin/users")
    assert response.headers["location"] == "/login/two-factor"
    assert not any(
        c.startswith("backplan_session=") for c in response.headers.get_list("set-cookie")
    )
    assert client.get("/api/me").status_code == 401  # half signed in is not signed in
    done = code_step(client, code(secret, moment))
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert client.get("/api/me").json()["user"]["email"] == ADMIN.email
    assert client.get("/login/two-factor", follow_redirects=False).status_code == 303  # used up


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    client = TestClient(app_at(home, moment, max_failed_sign_ins=3))
    password_step(client, ADMIN)
    answers = [code_step(client, "000000").status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    refused = code_step(client, code(secret, moment))  # even the right code must wait now
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert client.get("/api/me").status_code == 401


def test_a_code_cannot_be_used_twice(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    _, response = signed_in_at(home, moment, code(secret, moment))
    assert response.status_code == 303
    second, replayed = signed_in_at(home, moment, code(secret, moment))
    assert replayed.status_code == 401 and "used" in replayed.text
    assert second.get("/api/me").status_code == 401


def test_the_code_that_confirmed_enrolment_cannot_sign_in(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    _, replayed = signed_in_at(home, START, code(secret, START))
    assert replayed.status_code == 401


def test_one_step_of_clock_drift_is_allowed_two_are_not(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    for steps in (-2, 2):
        _, response = signed_in_at(home, moment, code(secret, moment, steps))
        assert response.status_code == 401, steps
    for steps in (-1, 1):  # a phone 30 s slow, then one 30 s fast
        _, response = signed_in_at(home, moment, code(secret, moment, steps))
        assert response.status_code == 303, steps
    _, older = signed_in_at(home, moment, code(secret, moment))
    assert older.status_code == 401  # older than the last code used: a replay


def test_a_recovery_code_signs_in_once(home: Path) -> None:
    _, recovery = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    client, response = signed_in_at(home, moment, recovery[0].upper().replace("-", " "))
    assert response.status_code == 303
    assert client.get("/account/two-factor", headers=JSON).json()["recovery_codes_left"] == 9
    _, again = signed_in_at(home, moment, recovery[0])
    assert again.status_code == 401


def test_the_second_step_expires(home: Path) -> None:
    enrolled_admin(home)
    client = TestClient(app_at(home, START + timedelta(minutes=5)))
    password_step(client, ADMIN)
    late = TestClient(app_at(home, START + timedelta(minutes=16)), cookies=client.cookies)
    response = late.get("/login/two-factor", follow_redirects=False)  # eleven minutes on
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_pending_state_cannot_be_forged_altered_or_stretched() -> None:
    key = b"k" * 32
    state = pending_state(key, Pending("u1", "/plan"), START)
    assert read_pending(key, state, START) == Pending("u1", "/plan")
    assert read_pending(b"another key, another server......", state, START) is None
    mine = pending_state(key, Pending("u2", "/"), START)
    swapped = mine.rsplit(".", 1)[0] + "." + state.rsplit(".", 1)[1]  # u2's, with u1's HMAC
    assert read_pending(key, swapped, START) is None
    assert read_pending(key, state, START + LIFETIME) is None
    assert read_pending(key, "", START) is None


def test_the_second_step_form_needs_its_token(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    client = TestClient(app_at(home, moment))
    password_step(client, ADMIN)
    forged = client.post("/login/two-factor", data={"code": code(secret, moment)})
    assert forged.status_code == 403
    assert client.get("/api/me").status_code == 401


def test_the_api_sign_in_takes_the_code_in_the_body(home: Path) -> None:
    secret, _ = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    client = TestClient(app_at(home, moment))
    body = {"email": ADMIN.email, "password": PASSWORD}
    missing = client.post("/api/session", json=body)
    assert missing.status_code == 401 and "code" in missing.json()["error"]
    assert client.post("/api/session", json=body | {"code": "000000"}).status_code == 401
    signed = client.post("/api/session", json=body | {"code": code(secret, moment)})
    assert signed.status_code == 200 and signed.json()["user"]["role"] == "admin"


# -- recovery codes and turning it off --------------------------------------------


def _signed_in_enrolled_admin(home: Path) -> tuple[TestClient, str, list[str], datetime]:
    secret, recovery = enrolled_admin(home)
    moment = START + timedelta(minutes=5)
    client, response = signed_in_at(home, moment, code(secret, moment))
    assert response.status_code == 303
    return client, secret, recovery, moment


def _account_form(client: TestClient, path: str, form_id: str, confirm: str) -> Response:
    page = client.get("/account/two-factor")
    token = form_token(page.text, form_id)
    return client.post(path, data={"confirm": confirm, "csrf_token": token})


def test_new_recovery_codes_need_the_password_or_a_code_and_replace_the_old(home: Path) -> None:
    client, secret, old, moment = _signed_in_enrolled_admin(home)
    path = "/account/two-factor/recovery-codes"
    refused = _account_form(client, path, "recovery-form", "not my password")
    assert refused.status_code == 422
    fresh = _account_form(client, path, "recovery-form", PASSWORD)
    assert fresh.status_code == 200
    new = RECOVERY.findall(fresh.text)
    assert len(new) == 10 and not set(new) & set(old)
    by_code = _account_form(client, path, "recovery-form", code(secret, moment, 1))
    assert by_code.status_code == 200
    _, with_old = signed_in_at(home, moment, old[1])
    assert with_old.status_code == 401


def test_turning_it_off_needs_the_password_or_a_code(home: Path) -> None:
    client, secret, _, moment = _signed_in_enrolled_admin(home)
    path = "/account/two-factor/disable"
    assert _account_form(client, path, "disable-form", "000000").status_code == 422
    off = _account_form(client, path, "disable-form", code(secret, moment, 1))
    assert off.status_code == 200 and "off" in off.text
    assert client.get("/admin/users").status_code == 403  # required: admin pages wait again
    optional = TestClient(app_at(home, moment, "optional"))
    assert password_step(optional, ADMIN).headers["location"] == "/"  # no code asked


# -- an admin who lost the phone ---------------------------------------------------


def test_the_cli_resets_an_accounts_two_factor_and_ends_its_sessions(home: Path) -> None:
    client, _, _, moment = _signed_in_enrolled_admin(home)
    result = CliRunner().invoke(cli, ["user", "two-factor", "reset", "Admin@Example.com"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com" in result.stdout
    assert client.get("/api/me").status_code == 401  # signed out everywhere
    again = TestClient(app_at(home, moment))
    assert password_step(again, ADMIN).headers["location"] == "/account/two-factor"
    enrol(again, moment)  # the new phone's first code


def test_the_cli_reset_names_an_unknown_account(home: Path) -> None:
    result = CliRunner().invoke(cli, ["user", "two-factor", "reset", "nobody@example.com"])
    assert result.exit_code == 2 and "nobody@example.com" in result.output
