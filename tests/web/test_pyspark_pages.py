"""The web app with the events in Spark: the team page, a rep's page and events (the drill-down)
and the Forecast page (the leadership view) serve the same figures as from the embedded store,
for the same events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backplan.web import create_app

from .conftest import NS_ADMIN, fast_settings, sign_in

JSON = {"Accept": "application/json"}
OCTOBER = {"since": "2026-10-01", "until": "2026-10-15"}
PAGES = {
    "/api/teams/North": OCTOBER,
    "/api/reps/ana": OCTOBER,
    "/api/reps/ana/events": {"stage": "dials", "page": "2", **OCTOBER},
    "/forecast": {"period": "2026-10", "as_of": "2026-10-15"},
}


def figures(app: FastAPI) -> dict[str, Any]:
    """Each page's JSON twin, as an admin sees it."""
    client = TestClient(app)
    sign_in(client, NS_ADMIN)
    found = {}
    for path, params in PAGES.items():
        response = client.get(path, params=params, headers=JSON)
        assert response.status_code == 200, (path, response.text)
        found[path] = response.json()
    page = client.get("/forecast", params=PAGES["/forecast"])
    assert page.status_code == 200 and "North" in page.text
    return found


@pytest.mark.slow
def test_the_team_rep_and_forecast_pages_serve_the_same_figures_from_pyspark(
    north_south: FastAPI, backplan_home: Path, spark: Any
) -> None:
    embedded = figures(north_south)
    warehouse = fast_settings(
        backplan_home, events_url="pyspark://", events_table=f"{backplan_home}/events/*/*.parquet"
    )
    on_spark = figures(create_app(warehouse))
    for path in PAGES:
        assert on_spark[path] == embedded[path], path
    teams = {t["team"]: t for t in on_spark["/forecast"]["teams"]}
    assert (teams["North"]["target"], teams["South"]["target"]) == (11, 4)
    assert on_spark["/forecast"]["organisation"]["actual"]["sqls"] > 0
    events = on_spark["/api/reps/ana/events"]
    assert events["page"] == 2 and events["total"] > 50 and len(events["events"]) > 0
