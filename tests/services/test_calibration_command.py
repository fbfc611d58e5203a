"""``backplan calibration``: the forecasts backtested on the organisation's own history."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.services.calibration import CalibrationRequest, calibration, calibration_to_dict
from okr_support import add_roster, simulate, store_events

MID_OCTOBER = date(2026, 10, 15)
runner = CliRunner()


@pytest.fixture
def org(app_database: str, backplan_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BACKPLAN_TODAY", MID_OCTOBER.isoformat())
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 3, 1), MID_OCTOBER))
    return settings


def test_calibration_scores_forecasts_made_on_day_10_of_past_months(org: Settings):
    report = calibration(org, CalibrationRequest(months=3, draws=1000), MID_OCTOBER)
    assert report.periods == ["2026-07", "2026-08", "2026-09"]
    # Forecast on the 10th working day, with nothing after it: July 14th is July's 10th.
    assert report.rows[0].as_of == date(2026, 7, 14)
    assert {r.rep for r in report.rows} == {"ana", "ben", "cy"} and len(report.rows) == 9
    data = calibration_to_dict(report)
    assert sum(b["n"] for b in data["reliability"]) == 9
    assert 0 <= data["brier"] <= 1
    assert data["range_coverage"]["level"] == 0.8 and data["range_coverage"]["n"] == 9
    assert [c["level"] for c in data["interval_coverage"]] == [0.5, 0.8, 0.95]


def test_calibration_json_for_one_team(org: Settings):
    out = runner.invoke(app, ["calibration", "--team", "North", "--months", "2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in ("reliability", "range_coverage", "interval_coverage", "brier"):
        assert key in data
    assert data["teams"] == ["North"] and data["forecasts"] == 4
    text = runner.invoke(app, ["calibration", "--team", "North", "--months", "1"])
    assert text.exit_code == 0, text.output
    assert "Reliability" in text.stdout and "Brier score" in text.stdout
