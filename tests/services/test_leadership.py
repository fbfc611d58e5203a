"""The leadership view (S10): teams rolled up, the period forecast, trends, results by source."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.events.schema import events_glob
from backplan.services import okr
from backplan.services.leadership import LeadershipRequest, leadership_to_dict, leadership_view
from okr_support import add_roster, simulate, store_events

MID_OCTOBER = date(2026, 10, 15)


@pytest.fixture
def org(app_database: str, backplan_home: Path) -> Settings:
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 5, 1), MID_OCTOBER))
    first = date(2026, 10, 1)
    okr.create_objective(settings, okr.ObjectiveRequest("ana", "rep", "2026-10", ["6 sqls"]), first)
    okr.create_objective(settings, okr.ObjectiveRequest("ben", "rep", "2026-10", ["5 sqls"]), first)
    okr.create_objective(
        settings, okr.ObjectiveRequest("South", "team", "2026-10", ["4 sqls"]), first
    )
    return settings


def test_team_targets_roll_up_from_reps_and_the_organisation_from_teams(org: Settings):
    view = leadership_view(org, LeadershipRequest(period="2026-10"), MID_OCTOBER)
    teams = {r.team: r for r in view.teams}
    assert view.stage == "sqls"
    assert (teams["North"].target, teams["South"].target, view.organisation.target) == (11, 4, 15)
    assert (teams["North"].reps, view.organisation.reps) == (2, 3)
    assert teams["North"].expected_to_date == 5.5  # 11 of 22 working days gone
    total = teams["North"].actual["sqls"] + teams["South"].actual["sqls"]
    assert view.organisation.actual["sqls"] == total
    forecasts = [teams["North"].forecast, teams["South"].forecast, view.organisation.forecast]
    assert all(f is not None for f in forecasts)
    org_forecast = view.organisation.forecast
    assert org_forecast is not None and org_forecast.target == 15
    assert org_forecast.low <= org_forecast.expected <= org_forecast.high


def test_results_by_source_equal_counts_from_the_parquet_files(org: Settings, backplan_home: Path):
    view = leadership_view(org, LeadershipRequest(period="2026-10", forecast=False), MID_OCTOBER)
    sql = f"""
        SELECT source, count(*) FILTER (WHERE kind = 'dial'), count(*) FILTER (WHERE kind = 'sql')
        FROM read_parquet('{events_glob(backplan_home)}')
        WHERE "at" >= TIMESTAMPTZ '2026-10-01 00:00:00+00' AND "at" < TIMESTAMPTZ '2026-10-16 00:00:00+00'
        GROUP BY source
    """
    expected = {s: (d, q) for s, d, q in duckdb.sql(sql).fetchall()}
    assert {s.source: (s.counts["dials"], s.counts["sqls"]) for s in view.sources} == expected
    assert [s.source for s in view.sources] == sorted(expected, key=lambda s: -expected[s][0])


def test_trends_cover_each_conversion_month_by_month(org: Settings):
    view = leadership_view(
        org, LeadershipRequest(period="2026-10", trend_months=6, forecast=False), MID_OCTOBER
    )
    overall = {t.conversion: t for t in view.trends if t.team is None}
    assert list(overall) == ["conversations/dials", "meetings/conversations", "sqls/meetings"]
    dials = overall["conversations/dials"]
    assert dials.months == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    # The simulated rates do not change over time: no trend should be claimed.
    assert dials.trend is not None and dials.trend.direction is None
    assert {t.team for t in view.trends} == {None, "North", "South"}


def test_leadership_command_prints_json_and_tables(org: Settings):
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["leadership", "--period", "2026-10", "--as-of", "2026-10-15", "--json", "--no-forecast"],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["organisation"]["target"] == 15
    assert {"teams", "trends", "sources"} <= set(data)
    shown = runner.invoke(app, ["leadership", "--period", "2026-10", "--as-of", "2026-10-15"])
    assert shown.exit_code == 0, shown.output
    assert "organisation" in shown.stdout and "Inbound" in shown.stdout


def test_the_view_as_json_is_plain_data(org: Settings):
    view = leadership_view(org, LeadershipRequest(period="2026-10", forecast=False), MID_OCTOBER)
    json.dumps(leadership_to_dict(view))
