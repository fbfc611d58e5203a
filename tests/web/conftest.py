"""A small organisation served by the web app: an admin, a manager of team East, two reps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan import appdb
from backplan.appdb.models import Rep, Team
from backplan.config import Settings
from backplan.web import create_app

PASSWORD = "a long pass phrase for tests"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

S1_RATES = {
    "conversations/dials": "0.07",
    "meetings/conversations": "1/7",
    "sqls/meetings": "1/3",
}
S1_QUERY = (
    "objective=4+sqls&period=month&working_days=20"
    "&conversations/dials=0.07&meetings/conversations=1/7&sqls/meetings=1/3"
)


@dataclass(frozen=True)
class Person:
    email: str
    role: str
    rep: str | None = None
    team: str | None = None


ADMIN = Person("admin@example.com", "admin")
MANAGER = Person("manager@example.com", "manager", team="East")
ANA = Person("ana@example.com", "rep", rep="Ana")
BEN = Person("ben@example.com", "rep", rep="Ben")
PEOPLE = (ADMIN, MANAGER, ANA, BEN)


TODAY = "2026-11-16T10:00"
"""The moment the web tests are seen at (a Monday, mid-month), unless a test says otherwise."""


def fast_settings(home: Path, **overrides: object) -> Settings:
    """Settings with a cheap Argon2 cost, so sign-ins in tests take milliseconds, and a
    pinned clock, so a page's figures do not depend on the day the tests run.

    Two-factor sign-in is optional for admins here, so tests can sign in as one with a
    password; ``test_two_factor.py`` asks for ``admin_two_factor="required"`` itself. No
    thread computes pages ahead (each app of a run would keep one polling the data);
    ``test_kept_pages.py`` turns it on where it is tested."""
    values: dict[str, object] = {
        "compute_ahead": False,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "today": TODAY,
        "admin_two_factor": "optional",
        **overrides,
    }
    return Settings(home=home, **values)


@pytest.fixture
def settings(backplan_home: Path) -> Settings:
    return fast_settings(backplan_home)


ROSTER = {"East": ("Mo", ["Ana", "Ben"]), "West": ("Wu", ["Cy"])}


def add_roster(settings: Settings) -> None:
    """Teams East (Ana, Ben) and West (Cy), as a roster import would leave them."""
    with appdb.session(settings) as s:
        for team, (manager, reps) in ROSTER.items():
            row = Team(name=team, manager=manager)
            s.add(row)
            s.flush()
            for rep in reps:
                s.add(Rep(key=rep, name=rep, team_id=row.id, origin="roster"))


def add_people(app: FastAPI) -> None:
    add_roster(app.state.web.settings)
    accounts = app.state.web.accounts
    for p in PEOPLE:
        accounts.add_user(p.email, PASSWORD, p.role, rep=p.rep, teams=[p.team] if p.team else [])


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    add_people(app)
    return app


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def form_token(html: str, form_id: str = "login-form") -> str:
    """The csrf_token field of one form of a page (the sign-in form unless told)."""
    start = html.find(f'id="{form_id}"')
    assert start >= 0, f"no form {form_id} in the page"
    match = CSRF_FIELD.search(html, start)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def sign_in(client: TestClient, person: Person, password: str = PASSWORD) -> str:
    """Sign in through the /login form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": person.email, "password": password, "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    me = client.get("/api/me")
    assert me.status_code == 200
    token: str = me.json()["csrf_token"]
    return token


@pytest.fixture
def signed_in(app: FastAPI):  # type: ignore[no-untyped-def]
    """A function: a new client signed in as a person, with its CSRF token."""

    def make(person: Person) -> tuple[TestClient, str]:
        c = TestClient(app)
        return c, sign_in(c, person)

    return make


MAYA = Person("maya@example.com", "manager", team="North")
ANA_SILVA = Person("ana.silva@example.com", "rep", rep="ana")
NS_ADMIN = Person("root@example.com", "admin")


@pytest.fixture
def north_south(backplan_home: Path) -> FastAPI:
    """Teams North (ana, ben) and South (cy) with simulated events from May to mid-October 2026,
    October objectives for ana, ben and South, and accounts for Maya (North), ana and an admin."""
    from okr_support import north_south_october

    settings = fast_settings(backplan_home)
    app = create_app(settings)
    north_south_october(settings)
    accounts = app.state.web.accounts
    for p in (MAYA, ANA_SILVA, NS_ADMIN):
        accounts.add_user(p.email, PASSWORD, p.role, rep=p.rep, teams=[p.team] if p.team else [])
    return app


@pytest.fixture
def ns_signed_in(north_south: FastAPI):  # type: ignore[no-untyped-def]
    """A function: a client of the North/South app signed in as a person, with its CSRF token."""

    def make(person: Person) -> tuple[TestClient, str]:
        c = TestClient(north_south)
        return c, sign_in(c, person)

    return make


@pytest.fixture(scope="session")
def browser_context():  # type: ignore[no-untyped-def]
    """One headless chromium for the session's browser tests (test_browser, test_user_walks)."""
    from . import browser_support

    if not browser_support.CHROMIUM.exists():
        pytest.fail("chromium is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(browser_support.CHROMIUM), headless=True, args=browser_support.ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context
        context.close()
        browser.close()


def count_calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Replace ``module.name`` by itself, counting: one entry per call."""
    calls: list[int] = []
    real = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls
