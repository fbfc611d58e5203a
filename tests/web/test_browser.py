"""In a real browser (Debian's chromium, headless): what people do, with screenshots.

One browser and one context serve every test (Plotly's JavaScript is parsed
once); the app runs under Uvicorn in a thread on a random loopback port.
Screenshots land in artifacts/screenshots/ (see docs/web.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import Rep
from backplan.services.demo.generator import generate_demo
from backplan.services.demo.site import DemoSite, set_up_demo
from backplan.web import create_app

from .browser_support import serve, shot, sign_in_as
from .conftest import ADMIN, ANA, PASSWORD, Person, add_people, fast_settings

pytestmark = [pytest.mark.slow, pytest.mark.dates]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(fast_settings(tmp_path_factory.mktemp("browser-home")))
    add_people(app)
    yield from serve(app)


DEMO_REP = Person("demo-rep@example.com", "rep")
DEMO_MANAGER = Person("demo-manager@example.com", "manager")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo organisation, with an account for its first rep."""
    home = tmp_path_factory.mktemp("browser-demo")
    generate_demo(fast_settings(home), reps=8, events=30_000)
    app = create_app(fast_settings(home))
    with appdb.session(app.state.web.settings) as s:
        rep = s.scalars(select(Rep.key).order_by(Rep.key)).first()
    app.state.web.accounts.add_user(DEMO_REP.email, PASSWORD, "rep", rep=rep)
    team = app.state.web.team_of(rep)
    app.state.web.accounts.add_user(DEMO_MANAGER.email, PASSWORD, "manager", teams=[team])
    yield from serve(app)


FIRST_MORNING = "2027-02-01T07:40"
"""Monday 1 February 2027, before office hours: the first working day of a month."""


@pytest.fixture(scope="session")
def first_morning_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoSite]]:
    """``make demo`` as it is set up on the first working day of a month, at 07:40."""
    settings = fast_settings(tmp_path_factory.mktemp("first-morning"), today=FIRST_MORNING)
    site = set_up_demo(settings, events=30_000)
    for url in serve(create_app(settings)):
        yield url, site


@pytest.fixture
def page(browser_context, server):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    # A manager's first landing computes every team's forecast (seconds alone, far more beside
    # the Spark tests on 2 cores): the browser checks what people see; bench/web.py the time.
    page.set_default_timeout(120_000)
    page.base = server
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    page.close()


def test_a_rep_signs_in_builds_and_agrees_the_s1_plan(page) -> None:  # type: ignore[no-untyped-def]
    sign_in_as(page, ANA, screenshot="sign-in")
    shot(page, "home-rep")
    page.click("nav >> text=My plan")
    page.fill("input[name=objective]", "4 sqls")
    page.fill("input[name=period]", "month")
    page.fill("input[name=working_days]", "20")
    page.fill('input[name="conversations/dials"]', "7%")
    page.fill('input[name="meetings/conversations"]', "1/7")
    page.fill('input[name="sqls/meetings"]', "1/3")
    page.click("#build-plan")
    page.wait_for_selector("#headline")
    assert page.inner_text("#headline .value") == "4.2"
    rows = {
        r.get_attribute("data-stage"): r.inner_text()
        for r in page.query_selector_all("#plan-table tbody tr")
    }
    assert "1,200" in rows["dials"] and "60" in rows["dials"]
    assert "84" in rows["conversations"] and "4.2" in rows["conversations"]
    assert "12" in rows["meetings"] and "4" in rows["sqls"]
    assert "84 conversations ÷ 0.07 conversations per dial = 1,200 dials" in page.inner_text(
        "#reasoning"
    )
    page.wait_for_selector("#plan-chart[data-drawn=true] .main-svg")
    shot(page, "my-plan")

    # What if one in two meetings became an SQL?
    page.eval_on_selector(
        'input[data-conversion="sqls/meetings"]',
        "el => { el.value = 50; el.dispatchEvent(new Event('input', {bubbles: true})); }",
    )
    # (wait_for_function would need eval, which the page's CSP forbids)
    page.locator("#what-if-summary", has_text="fewer").wait_for()
    summary = page.inner_text("#what-if-summary")
    # The daily number first, the raw volume second.
    assert summary.startswith("2.8 conversations a working day instead of 4.2")
    assert "400 fewer dials over the period" in summary
    assert page.inner_text('[data-what-if="dials"]') == "800"
    shot(page, "my-plan-what-if")

    page.click("#agree")
    page.wait_for_url("**/plans/*")
    assert "Ana agreed this plan on" in page.inner_text("#agreed-notice")
    assert "1,200" in page.inner_text("#plan-table")
    shot(page, "agreed-plan")
    page.goto(page.base + "/reps/Ana")
    assert "4 sqls" in page.inner_text("main")
    shot(page, "rep-page")
    page.click("nav >> text=OKRs")  # the plan agreed here is the objective's agreed plan
    assert "4 sqls" in page.inner_text("main")
    assert page.errors == []


def test_a_rep_cannot_open_another_reps_page(page) -> None:  # type: ignore[no-untyped-def]
    sign_in_as(page, ANA)
    response = page.goto(page.base + "/reps/Ben")
    assert response.status in (403, 404)
    assert "among the reps you can see" in page.inner_text("#error-message")
    shot(page, "not-your-page")


def test_an_admin_sees_the_users(page) -> None:  # type: ignore[no-untyped-def]
    sign_in_as(page, ADMIN)
    page.click("nav >> text=Users")
    page.wait_for_selector("#users")
    assert "ana@example.com" in page.inner_text("#users")
    shot(page, "admin-users")
    page.click("#users >> text=manager@example.com")
    page.check("#edit-user input[name=team][value=West]")
    page.click("#edit-user button[type=submit]")
    assert page.inner_text("#user-notice") == "Saved."
    assert page.is_checked("#edit-user input[name=team][value=West]")
    shot(page, "admin-user")
    page.click("nav >> text=Funnels & playbook")
    page.wait_for_selector("#playbook")
    assert "qualification" in page.inner_text("#playbook")
    shot(page, "funnels-playbook")
    page.click("#sign-out")
    page.wait_for_url(page.base + "/login")


def test_an_admin_edits_the_playbook_fixes_an_error_and_sees_the_coaching(page) -> None:  # type: ignore[no-untyped-def]
    sign_in_as(page, ADMIN)
    page.click("nav >> text=Funnels & playbook")
    page.click("#edit-playbook")
    page.wait_for_selector("#playbook-form")
    broken = '[conversions."sqls/meetings"]\narea = "budget-first discovery"\nsuggestions = []\n'
    page.fill("#toml", broken)
    page.click("#save")
    page.wait_for_selector("#definition-error")
    error = page.inner_text("#definition-error")
    assert "Line 3, field conversions.sqls/meetings.suggestions" in error
    assert page.input_value("#toml") == broken  # the admin's text is kept
    shot(page, "admin-playbook")
    fixed = broken.replace(
        "suggestions = []", 'suggestions = ["Ask about budget and timing first"]'
    )
    page.fill("#toml", fixed)
    page.click("#save")
    page.wait_for_selector("#definition-saved")
    page.click("nav >> text=Funnels & playbook")
    page.wait_for_selector("#playbook")
    table = page.inner_text("#playbook")
    assert "budget-first discovery" in table and "Ask about budget and timing first" in table
    page.goto(page.base + "/admin/playbook")
    page.click("#revert-form button")  # leave the shipped playbook for the other tests
    page.wait_for_selector("#playbook-form")
    assert "budget-first discovery" not in page.inner_text("#preview")
    # The refused save answered 422 (on purpose); nothing else went wrong.
    assert [e for e in page.errors if "status of 422" not in e] == []


def test_an_admin_uploads_a_csv_with_bad_rows_and_sees_them_listed(page) -> None:  # type: ignore[no-untyped-def]
    from .test_imports import BAD_EXPORT

    sign_in_as(page, ADMIN)
    page.click("nav >> text=Imports")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "october.csv", "mimeType": "text/csv", "buffer": BAD_EXPORT.encode()}],
    )
    page.select_option("select[name=mapping]", "events")
    shot(page, "admin-imports")
    page.click("#upload")
    page.wait_for_selector("#rejected-rows")  # the page follows the job, then shows its rows
    table = page.inner_text("#rejected-rows")
    for expected in (
        "unknown_rep",
        "Zed",
        "unknown_kind",
        "teleport",
        "future_date",
        "negative_amount",
    ):
        assert expected in table
    assert "4 rejected" in page.inner_text("#job-summary")
    shot(page, "admin-import-rejected-rows")
    assert page.errors == []


def test_a_rep_sees_their_funnel_and_plans_from_their_own_data(page, demo_server) -> None:  # type: ignore[no-untyped-def]
    page.base = demo_server
    sign_in_as(page, DEMO_REP)
    page.click("nav >> text=My funnel")
    page.wait_for_selector("#rates-chart[data-drawn=true] .main-svg")
    assert "dials → conversations" in page.inner_text("#rates")
    page.wait_for_selector("#trend-chart[data-drawn=true] .main-svg")
    assert "conversations/dials" in page.inner_text("#trends")
    page.wait_for_selector("#cadence-chart[data-drawn=true] .main-svg")
    assert page.inner_text("#attempts").count("\n") >= 2  # a row per attempt
    shot(page, "my-funnel")
    page.click("nav >> text=My plan")
    page.fill("input[name=objective]", "4 sqls")
    page.fill("input[name=working_days]", "20")
    assert page.is_checked("#use-my-data")
    page.click("#build-plan")
    page.wait_for_selector("#rates-from-data")
    assert "range (80%)" in page.inner_text("#plan-table").lower()
    shot(page, "my-plan-from-data")
    assert page.errors == []


def test_a_manager_sees_their_team_shaded_by_evidence(page, demo_server) -> None:  # type: ignore[no-untyped-def]
    page.base = demo_server
    sign_in_as(page, DEMO_MANAGER)
    page.click("nav >> text=Team")
    page.wait_for_selector("#team-heatmap[data-drawn=true] .main-svg")
    assert "dials → conversations" in page.inner_text("#team-rates")
    shot(page, "team")
    assert page.errors == []


@pytest.fixture(scope="session")
def company_x_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Company X (case S3): four reps' March, and an account for their manager."""
    import pandas as pd
    from typer.testing import CliRunner

    from backplan.cli import app as cli
    from backplan.events.store import EventStore
    from backplan.metrics.sample import event_rows
    from diagnosis_support import COMPANY_X, company_x_events

    home = tmp_path_factory.mktemp("browser-company-x")
    EventStore(home).append(event_rows(company_x_events()))
    roster = home / "roster.csv"
    pd.DataFrame({
        "rep": list(COMPANY_X), "name": ["Ann Lee", "Bob Ng", "Cat Roy", "Dan Poe"],
        "team": ["company-x"] * 4, "manager": ["Mo"] * 4,
    }).to_csv(roster, index=False)  # fmt: skip
    loaded = CliRunner().invoke(cli, ["roster", str(roster)], env={"BACKPLAN_HOME": str(home)})
    assert loaded.exit_code == 0, loaded.output
    app = create_app(fast_settings(home))
    app.state.web.accounts.add_user(MO.email, PASSWORD, "manager", teams=["company-x"])
    yield from serve(app)


MO = Person("mo@example.com", "manager")


def test_a_manager_sees_the_s3_diagnosis(page, company_x_server) -> None:  # type: ignore[no-untyped-def]
    from .test_team_diagnosis import S3_QUERY

    page.base = company_x_server
    sign_in_as(page, MO)
    page.click("nav >> text=Team company-x")
    page.goto(page.url + "?" + urlencode(S3_QUERY))
    page.wait_for_selector("#team-explanation")
    explanation = page.inner_text("#team-explanation")
    assert "meetings are on track, so volume is not the problem" in explanation
    assert "Coach: qualification." in page.inner_text("#team-coaching")
    assert "move from emails to calls" in page.inner_text("#channel-mix")
    page.wait_for_selector("#team-heatmap[data-drawn=true] .main-svg")
    shot(page, "team-diagnosis-s3")
    assert page.errors == []


def test_pages_fit_a_phone_screen(page) -> None:  # type: ignore[no-untyped-def]
    sign_in_as(page, ANA)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/plan")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(page, "my-plan-phone")


@pytest.fixture(scope="module")
def roster_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An organisation of its own: the roster test edits it, the other tests keep theirs."""
    app = create_app(fast_settings(tmp_path_factory.mktemp("browser-roster")))
    add_people(app)
    yield from serve(app)


def test_an_admin_adds_a_rep_and_moves_ben_to_west(page, roster_server) -> None:  # type: ignore[no-untyped-def]
    page.base = roster_server
    sign_in_as(page, ADMIN)
    page.click("nav >> text=Roster")
    page.wait_for_selector("#reps")
    page.fill("#add-rep input[name=key]", "Dee")
    page.fill("#add-rep input[name=name]", "Dee Park")
    page.fill("#add-rep input[name=email]", "dee@example.com")
    page.select_option("#add-rep select[name=team]", "East")
    page.click("#add-rep-submit")
    page.wait_for_selector('#reps tr[data-rep="Dee"]')
    assert "East" in page.inner_text('#reps tr[data-rep="Dee"]')
    page.goto(page.base + "/admin/roster")
    assert page.inner_text('#teams tr[data-team="East"] td.num') == "3"
    shot(page, "admin-roster")
    page.click('#reps tr[data-rep="Ben"] >> text=Edit')
    page.select_option("#rep-team", "West")
    page.click("#save-rep")
    page.wait_for_selector("#edit-rep")
    assert page.eval_on_selector("#rep-team", "el => el.value") == "West"
    shot(page, "admin-roster-rep")
    page.goto(page.base + "/teams/West")
    assert page.inner_text("#team-reps") == "Reps: Ben, Cy."
    page.goto(page.base + "/teams/East")
    assert page.inner_text("#team-reps") == "Reps: Ana, Dee Park."
    assert page.errors == []


def test_on_the_first_morning_of_a_month_the_pages_read_sensibly(  # type: ignore[no-untyped-def]
    page, first_morning_demo
) -> None:
    page.base, site = first_morning_demo
    rep, manager = (next(a for a in site.accounts if a.role == r) for r in ("rep", "manager"))
    sign_in_as(page, Person(rep.email, "rep"), password=rep.password)
    page.click("nav >> text=OKRs")
    okrs = page.inner_text("main")
    assert "2027-02" in okrs and "behind" not in okrs
    page.click("a[href^='/okrs/'] >> nth=0")
    detail = page.inner_text("main")
    assert "not started" in detail and "nothing is expected so far" in detail
    shot(page, "first-morning-okr")
    page.click("nav >> text=My funnel")
    page.wait_for_selector("#cadence-chart[data-drawn=true] .main-svg")
    assert "2027-02 has just begun" in page.inner_text("#cadence-window")
    assert "2027-01" in page.inner_text("#cadence-window")
    shot(page, "first-morning-my-funnel")
    page.click("#sign-out")
    sign_in_as(page, Person(manager.email, "manager"), password=manager.password)
    page.click("nav >> text=Forecast")
    page.wait_for_selector("#rollups")
    lead = page.inner_text(".lead")
    assert "no working time gone yet" in lead and "2027-02-01" in lead
    rows = page.inner_text("#rollups")
    assert "behind" not in rows
    p_hit = page.inner_text("#rollups tbody tr:first-child td:nth-child(9)")
    assert p_hit.endswith("%")  # a P(hit) from the reps' own pace
    shot(page, "first-morning-forecast")
    assert page.errors == []
