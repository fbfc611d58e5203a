"""Periods nest: a quarter of monthly objectives has the sum of its months as its objective,
in the forecast and on the leadership roll-up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from backplan.config import Settings
from backplan.core.period import Period
from backplan.services import okr
from backplan.services.forecasting import ForecastRequest, forecast_period
from backplan.services.leadership import LeadershipRequest, leadership_view
from okr_support import add_roster, simulate, store_events

MID_NOVEMBER = date(2026, 11, 16)
Q4 = Period.parse("2026-Q4", MID_NOVEMBER)
MONTHS = {"2026-10": 16, "2026-11": 18, "2026-12": 14}


@pytest.fixture
def org(app_database: str, backplan_home: Path) -> Settings:
    """North's and South's monthly objectives for the fourth quarter, North's split."""
    settings = Settings()
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 7, 1), MID_NOVEMBER))
    for month, target in MONTHS.items():
        first = Period.parse(month, MID_NOVEMBER).start
        north = okr.ObjectiveRequest("North", "team", month, [f"{target} sqls"], split=True)
        okr.create_objective(settings, north, first)
        okr.create_objective(settings, okr.ObjectiveRequest("cy", "rep", month, ["5 sqls"]), first)
    return settings


def test_a_quarter_without_its_own_objective_is_the_sum_of_its_months(org: Settings) -> None:
    rolled = okr.rolled_up(org, "team", "North", Q4)
    assert rolled is not None
    assert (rolled.id, rolled.main.stage, rolled.main.target) == (0, "sqls", 48)
    assert rolled.text == "48 sqls in 2026-Q4: the sum of 2026-10, 2026-11, 2026-12"
    # Each rep's quarter is the sum of their monthly shares, and the shares add up to the team's.
    shares = {c.owner: c.main.target for c in rolled.children}
    assert set(shares) == {"ana", "ben"} and sum(shares.values()) == 48
    assert okr.rolled_up(org, "rep", "cy", Q4).main.target == 15  # type: ignore[union-attr]
    assert okr.rolled_up(org, "team", "North", Period.parse("2027-Q1", MID_NOVEMBER)) is None


def test_a_part_inside_another_is_not_counted_twice(org: Settings) -> None:
    first = date(2026, 10, 1)
    okr.create_objective(org, okr.ObjectiveRequest("North", "team", "2026-Q4", ["50 sqls"]), first)
    year = okr.rolled_up(org, "team", "North", Period.parse("2026", MID_NOVEMBER))
    assert year is not None and year.main.target == 50  # the quarter, not its months again
    assert okr.find_objective(org, "team", "North", period=Q4, day=first) is not None


def test_the_quarter_forecast_forecasts_the_sum_of_the_months(org: Settings) -> None:
    request = ForecastRequest(team="North", period="2026-Q4")
    result = forecast_period(org, request, MID_NOVEMBER)
    assert (result.objective.target, result.objective.period) == (48, Q4)
    assert result.objective_id is None  # rolled up, not stored
    assert sum(r.target or 0 for r in result.reps) == 48
    assert 0 < result.forecast.p_hit < 1


def test_the_leadership_quarter_rolls_up_each_teams_months(org: Settings) -> None:
    view = leadership_view(org, LeadershipRequest(period="2026-Q4"), MID_NOVEMBER)
    assert view.stage == "sqls"
    targets = {r.team: r.target for r in view.teams}
    assert targets == {"North": 48, "South": 15}
    assert all(r.forecast is not None for r in view.teams)
    assert view.organisation.target == 63
