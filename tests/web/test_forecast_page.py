"""The Forecast page: managers see their teams' roll-ups and forecasts, admins the organisation."""

from __future__ import annotations

from fastapi import FastAPI

from .conftest import ANA_SILVA, MAYA, NS_ADMIN

JSON = {"Accept": "application/json"}
OCTOBER = {"period": "2026-10", "as_of": "2026-10-15"}


def test_an_admin_sees_every_team_the_organisation_and_results_by_source(
    north_south, ns_signed_in
) -> None:  # type: ignore[no-untyped-def]
    admin, _ = ns_signed_in(NS_ADMIN)
    data = admin.get("/forecast", params=OCTOBER, headers=JSON).json()
    assert (data["scope"], data["stage"], data["period"]["label"]) == (
        "organisation",
        "sqls",
        "2026-10",
    )
    assert (data["elapsed_days"], data["working_days"]) == (11, 22)
    teams = {t["team"]: t for t in data["teams"]}
    assert (teams["North"]["target"], teams["South"]["target"]) == (11, 4)
    assert teams["North"]["expected_to_date"] == 5.5
    org = data["organisation"]
    assert org["target"] == 15 and org["reps"] == 3
    assert (
        org["actual"]["sqls"] == teams["North"]["actual"]["sqls"] + teams["South"]["actual"]["sqls"]
    )
    for rollup in (teams["North"], teams["South"], org):
        f = rollup["forecast"]
        assert f["low"] <= f["expected"] <= f["high"] and 0 <= f["p_hit"] <= 1
        assert set(f) >= {"coverage", "coverage_bar"}
    assert {s["source"] for s in data["sources"]} == {"Outbound list", "Inbound"}
    assert {t["team"] for t in data["trends"]} == {None, "North", "South"}


def test_a_manager_sees_only_the_teams_they_manage(north_south, ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    data = maya.get("/forecast", params=OCTOBER, headers=JSON).json()
    assert [t["team"] for t in data["teams"]] == ["North"]
    assert data["organisation"] is None and data["sources"] is None
    assert {t["team"] for t in data["trends"]} == {"North"}
    assert data["scope"] == "teams"


def test_the_page_draws_the_range_chart_with_plotly_served_locally(
    north_south, ns_signed_in
) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    html = maya.get("/forecast", params=OCTOBER).text
    assert 'id="forecast-chart"' in html and "/static/vendor/plotly-" in html
    assert 'data-team="North"' in html and 'data-team="South"' not in html
    assert 'id="sources"' not in html


def test_reps_get_403_their_standing_is_on_the_okrs_page(north_south, ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = ns_signed_in(ANA_SILVA)
    assert ana.get("/forecast", headers=JSON).status_code == 403
    assert ana.get("/forecast").status_code == 403
    okrs = ana.get("/okrs", params={"as_of": "2026-10-15"}, headers=JSON).json()["objectives"]
    assert [o["owner"]["key"] for o in okrs] == ["ana"]  # not ben's, nor team South's
    sqls = next(k for k in okrs[0]["progress"]["key_results"] if k["stage"] == "sqls")
    assert (sqls["target"], sqls["expected_to_date"]) == (6, 3.0)


def test_without_events_the_forecast_page_says_what_to_do(app: FastAPI, signed_in) -> None:  # type: ignore[no-untyped-def]
    from .conftest import MANAGER

    manager, _ = signed_in(MANAGER)
    data = manager.get("/forecast", headers=JSON).json()
    assert data["error"] == "No events yet: an admin imports them on the Imports page."


def test_a_manager_lists_the_okrs_of_their_reps_with_progress(north_south, ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    okrs = maya.get("/okrs", params={"as_of": "2026-10-15"}, headers=JSON).json()["objectives"]
    assert sorted(o["owner"]["key"] for o in okrs) == ["ana", "ben"]
    for o in okrs:
        kinds = {k["stage"]: k["leading"] for k in o["progress"]["key_results"]}
        assert kinds["sqls"] is False


def test_the_calibration_page_backtests_a_managers_teams(north_south, ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    params = {"months": 2, "as_of": "2026-10-15"}
    data = maya.get("/calibration", params=params, headers=JSON).json()
    assert data["teams"] == ["North"] and data["periods"] == ["2026-08", "2026-09"]
    assert set(data) >= {"reliability", "range_coverage", "interval_coverage", "brier"}
    html = maya.get("/calibration", params=params).text
    assert "How good are our forecasts?" in html and 'id="calibration-chart"' in html
    assert 'id="calibration-link"' in maya.get("/forecast", params={"as_of": "2026-10-15"}).text
    ana, _ = ns_signed_in(ANA_SILVA)
    assert ana.get("/calibration", headers=JSON).status_code == 403
