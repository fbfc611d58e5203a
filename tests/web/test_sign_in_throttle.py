"""Failed sign-ins slow an account down, never close it to its owner (issue 14, item 2).

After ``max_failed_sign_ins`` failures each further try for the account waits
longer (1 s, 2 s, 4 s ... up to ``sign_in_max_delay_seconds``; ASVS 2.2.1): a
try too early is answered 429 with ``Retry-After`` and its password is not
even checked; once the wait is over, the owner's right password signs in. An
admin (page, API or ``backplan user password``) setting a new password clears
the failures at once. Counting a try and recording it is one atomic step, so
concurrent tries check no more passwords than the limit allows. Time is moved
with time-machine: no test sleeps through a delay.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backplan.accounts.passwords import PasswordHasher
from backplan.cli import app as cli
from backplan.services.accounts import Accounts, SignInFailed, TooManySignIns
from backplan.web import create_app

from .conftest import ADMIN, ANA, BEN, PASSWORD, add_people, fast_settings, form_token, sign_in

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "a brand new pass phrase"


def attempt(client: TestClient, password: str, email: str = ANA.email):
    return client.post("/api/session", json={"email": email, "password": password})


@pytest.fixture
def throttled(backplan_home: Path):  # type: ignore[no-untyped-def]
    """An app whose accounts are slowed down after 5 failures; the clock stands still."""
    with time_machine.travel(START, tick=False) as traveller:
        app = create_app(fast_settings(backplan_home, max_failed_sign_ins=5))
        add_people(app)
        yield app, traveller


def test_after_the_limit_each_try_waits_longer_and_the_owner_gets_in_after_the_wait(
    throttled,
) -> None:
    app, traveller = throttled
    attacker, owner = TestClient(app), TestClient(app)
    assert [attempt(attacker, f"guess {i}").status_code for i in range(5)] == [401] * 5
    waits = []
    for _ in range(4):
        early = attempt(owner, PASSWORD)
        assert early.status_code == 429
        assert "try again in" in early.json()["error"] and "ask an admin" in early.json()["error"]
        wait = int(early.headers["Retry-After"])
        waits.append(wait)
        traveller.shift(wait)
        assert attempt(attacker, "another guess").status_code == 401  # checked, and wrong
    assert waits == [1, 2, 4, 8]
    refused = attempt(owner, PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "16"
    traveller.shift(16)
    assert attempt(owner, PASSWORD).status_code == 200


def test_the_wait_never_grows_past_the_cap_so_the_account_is_never_locked(throttled) -> None:
    app, traveller = throttled
    settings = app.state.web.settings
    client = TestClient(app)
    cap = settings.sign_in_max_delay_seconds
    waits = []
    for _ in range(40):  # an attacker guessing the moment each wait ends
        response = attempt(client, "a wrong guess")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            traveller.shift(waits[-1])
    assert max(waits) == cap and all(1 <= w <= cap for w in waits)
    traveller.shift(cap)
    assert attempt(client, "one more wrong guess").status_code == 401
    refused = attempt(client, PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == cap
    traveller.shift(cap)
    assert attempt(client, PASSWORD).status_code == 200


def test_the_sign_in_form_says_when_to_try_again(throttled) -> None:
    app, _ = throttled
    client = TestClient(app)
    for i in range(5):
        attempt(client, f"guess {i}")
    page = client.get("/login").text
    response = client.post(
        "/login",
        data={"email": ANA.email, "password": PASSWORD, "csrf_token": form_token(page)},
    )
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "try again in 1 second" in response.text


def test_a_password_set_by_an_admin_clears_the_failures_at_once(throttled) -> None:
    app, _ = throttled
    attacker = TestClient(app)
    for i in range(6):
        attempt(attacker, f"guess {i}")
    assert attempt(attacker, PASSWORD).status_code == 429
    admin = TestClient(app)
    sign_in(admin, ADMIN)
    user_id = next(u.id for u in app.state.web.accounts.users() if u.email == ANA.email)
    page = admin.get(f"/admin/users/{user_id}").text
    form = {"csrf_token": form_token(page, "reset-password"), "password": NEW_PASSWORD}
    assert admin.post(f"/admin/users/{user_id}/password", data=form).status_code == 200
    assert attempt(TestClient(app), NEW_PASSWORD).status_code == 200


def test_backplan_user_password_clears_the_failures_at_once(
    backplan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8"}.items():
        monkeypatch.setenv(f"BACKPLAN_{name}", value)
    monkeypatch.setenv("BACKPLAN_MAX_FAILED_SIGN_INS", "3")
    settings = fast_settings(backplan_home, max_failed_sign_ins=3)
    with time_machine.travel(START, tick=False):
        accounts = Accounts(settings)
        accounts.add_user(BEN.email, PASSWORD, "rep", rep="Ben")
        for _ in range(3):
            with pytest.raises(SignInFailed):
                accounts.sign_in(BEN.email, "a wrong guess")
        with pytest.raises(TooManySignIns):
            accounts.sign_in(BEN.email, PASSWORD)
        result = CliRunner().invoke(cli, ["user", "password", BEN.email], input=NEW_PASSWORD)
        assert result.exit_code == 0, result.output
        assert accounts.sign_in(BEN.email, NEW_PASSWORD).principal.email == BEN.email


class CountingHasher(PasswordHasher):
    """Counts the passwords checked; each check takes a moment, as a real one does, so
    concurrent tries overlap."""

    def __init__(self) -> None:
        super().__init__(1, 8)
        self.checked = 0
        self._lock = threading.Lock()

    def verify(self, stored: str | None, password: str) -> bool:
        with self._lock:
            self.checked += 1
        time.sleep(0.01)
        return super().verify(stored, password)


def test_concurrent_tries_check_no_more_passwords_than_the_limit(backplan_home: Path) -> None:
    settings = fast_settings(backplan_home, max_failed_sign_ins=20)
    hasher = CountingHasher()
    accounts = Accounts(settings, hasher=hasher, clock=lambda: START)
    accounts.add_user(ANA.email, PASSWORD, "rep", rep="Ana")
    hasher.checked = 0
    start = threading.Barrier(60)
    answers: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        try:
            accounts.sign_in(ANA.email, f"guess number {i}")
        except (SignInFailed, TooManySignIns) as e:
            answers.append(type(e).__name__)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hasher.checked == 20
    assert sorted(answers) == ["SignInFailed"] * 20 + ["TooManySignIns"] * 40
