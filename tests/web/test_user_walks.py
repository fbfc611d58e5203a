"""Each user's task end to end in a real browser, at desktop and at phone width, on the demo
organisation: a rep builds, agrees and checks their day; a manager finds who to coach first
and why; leadership reads the quarter's forecast and the lead sources; an admin imports a
file with bad rows and imports its good rows. No console errors, nothing wider than the
screen. Screenshots land in artifacts/screenshots/ (``make screenshots`` puts them in docs/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import Rep
from backplan.services.demo.site import DemoSite, set_up_demo
from backplan.web import create_app

from .browser_support import SCREENSHOTS, serve, sign_in_as
from .conftest import Person, fast_settings
from .test_imports import BAD_EXPORT

pytestmark = [pytest.mark.slow, pytest.mark.dates]

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = Path(os.environ.get("BACKPLAN_SCREENSHOTS", SCREENSHOTS))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoSite]]:
    """``make demo`` on the web tests' pinned day (Monday 16 November 2026, 10:00)."""
    settings = fast_settings(tmp_path_factory.mktemp("walks"))
    site = set_up_demo(settings, events=30_000)
    for url in serve(create_app(settings)):
        yield url, site


def _export(rep: str) -> str:
    """The bad export of the import tests, its good rows by one of the demo's reps."""
    return BAD_EXPORT.replace("e1,Ana,", f"e1,{rep},").replace("e2,Ana,", f"e2,{rep},")


@pytest.fixture(params=list(WIDTHS))
def walk(request, browser_context, demo):  # type: ignore[no-untyped-def]
    """A page at one width, signed in as nobody yet, that records console errors."""
    page = browser_context.new_page()
    page.set_viewport_size(WIDTHS[request.param])
    # A first home page, and a first quarter's Forecast, compute the forecasts of every
    # team (about 30 s alone here, more beside the Spark tests): the walks check what
    # people see, the time of a first computation is measured in bench/web.py.
    page.set_default_timeout(180_000)
    page.base, page.site = demo
    with appdb.session(fast_settings(page.site.home)) as s:
        page.rep_key = s.scalars(select(Rep.key).order_by(Rep.key)).first()
    page.width = request.param
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    page.close()


def account(page, role: str, nth: int = 0) -> Person:  # type: ignore[no-untyped-def]
    found = [a for a in page.site.accounts if a.role == role][nth]
    person = Person(found.email, role)
    sign_in_as(page, person, password=found.password)
    return person


def look(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot, after checking that nothing is wider than the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} is {width}px wide"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"walk-{name}-{page.width}.png"), full_page=True)


def test_a_rep_agrees_the_plan_waiting_and_checks_their_day(walk) -> None:  # type: ignore[no-untyped-def]
    account(walk, "rep", nth=1)  # the demo's second rep has a plan proposed to them
    walk.wait_for_selector("#today")
    if walk.locator("#plan-waiting").count():
        look(walk, "rep-plan-waiting")
        walk.click("#plan-waiting a")
        walk.wait_for_selector("#agree-form")
        look(walk, "rep-objective")
        walk.click("#agree-form button[type=submit]")
        walk.wait_for_selector("#plans")
        walk.goto(walk.base + "/")
    assert walk.locator("#plan-waiting").count() == 0
    number = walk.inner_text("#daily-number")
    assert float(number) > 0
    assert "a working day — your daily number" in walk.inner_text("#today")
    look(walk, "rep-today")
    walk.click("#done-period a")  # the events behind the figure
    walk.wait_for_selector("h1")
    assert "every event behind the figure" in walk.inner_text(".lead")
    look(walk, "rep-events")
    assert walk.errors == []


def test_a_manager_finds_who_to_coach_first_and_why(walk) -> None:  # type: ignore[no-untyped-def]
    account(walk, "manager")
    walk.wait_for_selector("#attention")
    text = walk.inner_text("#attention")
    look(walk, "manager-home")
    first = walk.locator("#attention ol.attention li a")
    if first.count():
        assert " against " in text  # the reason: the rate against the plan or the team
        first.first.click()
    else:
        assert "Nobody is flagged on strong evidence" in text
        walk.click("#attention h3 a")
    walk.wait_for_selector("main h1")
    look(walk, "manager-drill")
    assert walk.errors == []


def test_leadership_reads_the_quarter_and_the_lead_sources(walk) -> None:  # type: ignore[no-untyped-def]
    account(walk, "admin")
    walk.goto(walk.base + "/forecast?period=quarter")
    walk.wait_for_selector("#rollups")
    p_hit = walk.inner_text("#rollups tbody tr:first-child td:nth-child(9)")
    assert p_hit.endswith("%")  # the quarter's P(hit), its target rolled up from its months
    walk.wait_for_selector("#forecast-chart .main-svg")
    walk.wait_for_selector("#sources-chart[data-drawn=true] .main-svg")
    look(walk, "leadership-quarter")
    assert walk.errors == []


def test_an_admin_imports_the_good_rows_of_a_file_with_bad_ones(walk) -> None:  # type: ignore[no-untyped-def]
    account(walk, "admin")
    walk.goto(walk.base + "/admin/imports")
    walk.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "october.csv",
                "mimeType": "text/csv",
                "buffer": _export(walk.rep_key).encode(),
            }
        ],
    )
    walk.select_option("select[name=mapping]", "events")
    walk.click("#upload")
    walk.wait_for_selector("#rejected-rows")
    assert "a rep who is not in the roster" in walk.inner_text("#rejected-rows")
    look(walk, "admin-import-bad-rows")
    walk.click("#import-good-rows")
    walk.wait_for_selector("#job-summary")
    walk.locator("#job-summary", has_text="events added").wait_for()
    assert "rejected" in walk.inner_text("#job-summary")
    look(walk, "admin-import-good-rows")
    assert walk.errors == []
