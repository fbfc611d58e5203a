"""Pages computed once per change of the data: the same answer until an import or an edit."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.web import create_app

from .conftest import MAYA, NS_ADMIN, count_calls, fast_settings, form_token, sign_in

JSON = {"Accept": "application/json"}
OCTOBER = {"period": "2026-10", "as_of": "2026-10-15"}
AS_OF = "X-Backplan-Figures-As-Of"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the leadership view was computed, one entry per computation."""
    from backplan.web.routes import forecast

    return count_calls(monkeypatch, forecast, "leadership_view")


def org_sqls(client: Any) -> int:
    data = client.get("/forecast", params=OCTOBER, headers=JSON).json()
    sqls: int = data["organisation"]["actual"]["sqls"]
    return sqls


def test_the_forecast_is_computed_once_then_shows_an_import(
    north_south: FastAPI, ns_signed_in, counted: list[int], backplan_home
) -> None:  # type: ignore[no-untyped-def]
    from okr_support import simulate, store_events

    admin, _ = ns_signed_in(NS_ADMIN)
    maya, _ = ns_signed_in(MAYA)
    before = org_sqls(admin)
    assert org_sqls(admin) == before
    assert [
        t["team"] for t in maya.get("/forecast", params=OCTOBER, headers=JSON).json()["teams"]
    ] == ["North"]  # the same view, cut down to Maya's team
    assert len(counted) == 1
    store_events(
        backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 14), seed=2)
    )  # an import
    north_south.state.web.rates.fresh_seconds = 0
    assert org_sqls(admin) > before
    assert len(counted) == 2


@pytest.mark.parametrize("ahead", [False, True], ids=["by requests", "computed ahead"])
def test_an_objective_saved_in_the_app_shows_on_the_forecast_at_once(
    north_south: FastAPI, ns_signed_in, ahead: bool
) -> None:  # type: ignore[no-untyped-def]
    rates = north_south.state.web.rates
    rates.fresh_seconds = 3600.0  # only a write here refreshes
    rates.compute_ahead = ahead  # computed ahead, an edit is still never shown late
    maya, _ = ns_signed_in(MAYA)
    north = maya.get("/forecast", params=OCTOBER, headers=JSON).json()["teams"][0]
    token = form_token(maya.get("/okrs").text, "create-okr-form")
    form = {"csrf_token": token, "team": "North", "period": "2026-10", "key_results": "20 sqls"}
    assert maya.post("/okrs", data=form, follow_redirects=False).status_code == 303
    again = maya.get("/forecast", params=OCTOBER, headers=JSON)
    assert again.json()["teams"][0]["target"] != north["target"]
    assert AS_OF not in again.headers


def test_requests_arriving_together_compute_the_view_once(
    north_south: FastAPI, ns_signed_in, counted: list[int]
) -> None:  # type: ignore[no-untyped-def]
    admins = [ns_signed_in(NS_ADMIN)[0] for _ in range(4)]
    answers: list[int] = []
    threads = [threading.Thread(target=lambda c=c: answers.append(org_sqls(c))) for c in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(answers)) == 1 and len(answers) == 4
    assert len(counted) == 1


def test_after_an_import_the_forecast_is_computed_before_anyone_asks(
    north_south: FastAPI, ns_signed_in, counted: list[int], backplan_home
) -> None:  # type: ignore[no-untyped-def]
    from okr_support import simulate, store_events

    admin, _ = ns_signed_in(NS_ADMIN)
    rates = north_south.state.web.rates
    rates.compute_ahead = True  # as in a server (BACKPLAN_COMPUTE_AHEAD, on by default)
    before = org_sqls(admin)  # asked once: remembered, and the warming thread started
    assert len(counted) == 1
    store_events(backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 14), seed=2))
    rates.fresh_seconds = 0
    assert rates.wait_warm(timeout=300)  # the thread saw the import and computed again
    assert len(counted) == 2
    assert org_sqls(admin) > before  # the new events, found ready: not computed again
    assert len(counted) == 2
    assert rates.warm() is False  # nothing changed since: nothing to compute


def test_the_first_request_after_an_import_has_the_earlier_figures_while_the_new_are_computed(
    north_south: FastAPI, ns_signed_in, monkeypatch: pytest.MonkeyPatch, backplan_home
) -> None:  # type: ignore[no-untyped-def]
    from backplan.web.routes import forecast
    from okr_support import simulate, store_events

    admin, _ = ns_signed_in(NS_ADMIN)
    rates = north_south.state.web.rates
    rates.compute_ahead = True
    before = admin.get("/forecast", params=OCTOBER, headers=JSON)
    assert AS_OF not in before.headers
    release, real = threading.Event(), forecast.leadership_view

    def slow(*args: Any, **kwargs: Any) -> Any:  # the refit after the import, held back
        assert release.wait(timeout=120)
        return real(*args, **kwargs)

    monkeypatch.setattr(forecast, "leadership_view", slow)
    store_events(backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 14), seed=2))
    rates.fresh_seconds = 0
    earlier = admin.get("/forecast", params=OCTOBER, headers=JSON)
    assert earlier.json() == before.json()  # at once, while the new figures are computed
    assert earlier.headers[AS_OF] == "2026-11-16T10:00:00+00:00"  # when they were computed
    page = admin.get("/forecast", params=OCTOBER).text
    assert "New events have arrived: these figures are" in page
    release.set()
    assert rates.wait_warm(timeout=300)
    after = admin.get("/forecast", params=OCTOBER, headers=JSON)
    assert AS_OF not in after.headers
    assert (
        after.json()["organisation"]["actual"]["sqls"]
        > before.json()["organisation"]["actual"]["sqls"]
    )
    assert "New events have arrived" not in admin.get("/forecast", params=OCTOBER).text


def test_the_day_turning_computes_the_pages_again(north_south: FastAPI, ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    admin, _ = ns_signed_in(NS_ADMIN)
    rates = north_south.state.web.rates
    org_sqls(admin)
    assert rates.warm() is True and rates.warm() is False  # computed once for these data
    rates.settings.clock.pinned = datetime(2026, 10, 16, 0, 1)
    assert rates.warm() is True  # a new day: today's pace, computed before anyone asks


def test_warming_computes_what_was_asked_for_the_new_data(
    north_south: FastAPI, ns_signed_in, counted: list[int], backplan_home
) -> None:  # type: ignore[no-untyped-def]
    """The same, step by step in this thread: what the background thread runs."""
    from okr_support import simulate, store_events

    admin, _ = ns_signed_in(NS_ADMIN)
    rates = north_south.state.web.rates
    before = org_sqls(admin)
    store_events(backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 14), seed=2))
    rates.fresh_seconds = 0
    rates.warm()  # the background thread may be at it too: then this waits for its answer
    assert len(counted) == 2
    assert org_sqls(admin) > before
    assert len(counted) == 2


def test_a_warehouse_page_is_computed_once_then_shows_new_events(
    north_south: FastAPI, backplan_home, counted: list[int]
) -> None:  # type: ignore[no-untyped-def]
    """With the events in a warehouse (here DuckDB reading the store's files through its URL),
    the page is kept too, under the events' count and times read in the engine."""
    from okr_support import simulate, store_events

    warehouse = fast_settings(
        backplan_home, events_url="duckdb://", events_table=f"{backplan_home}/events/*/*.parquet"
    )
    app = create_app(warehouse)
    admin = TestClient(app)
    sign_in(admin, NS_ADMIN)
    before = org_sqls(admin)
    assert org_sqls(admin) == before
    assert len(counted) == 1
    store_events(backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 14), seed=2))
    assert org_sqls(admin) == before  # the warehouse is asked again only after a while
    app.state.web.rates.fresh_seconds = 0
    assert org_sqls(admin) > before
    assert len(counted) == 2


def test_the_coaching_page_is_kept_for_each_way_of_seeing_it(
    north_south: FastAPI, ns_signed_in, monkeypatch: pytest.MonkeyPatch, backplan_home
) -> None:  # type: ignore[no-untyped-def]
    from backplan.web.routes import coaching
    from okr_support import simulate, store_events

    calls = count_calls(monkeypatch, coaching, "coaching_data")
    maya, _ = ns_signed_in(MAYA)
    admin, _ = ns_signed_in(NS_ADMIN)
    first = maya.get("/api/coaching").json()
    assert maya.get("/api/coaching").json() == first
    assert len(calls) == 1
    assert [g["team"] for g in first["groups"]] == ["North"]
    everyone = admin.get("/api/coaching").json()  # another way of seeing it: its own answer
    assert [g["team"] for g in everyone["groups"]] == ["North", "South"]
    assert len(calls) == 2
    store_events(backplan_home, simulate(date(2026, 10, 1), date(2026, 10, 14), seed=2))
    north_south.state.web.rates.fresh_seconds = 0
    maya.get("/api/coaching")
    assert len(calls) == 3  # computed again for the new events
