"""The Python API: open an organisation, get counts and rates as DataFrames in one call."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from metrics_support import MAVEN
from typer.testing import CliRunner

import backplan
from backplan.cli import app
from backplan.core.errors import InvalidPeriod, NoData

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days


@pytest.fixture
def org(backplan_home, shared_data):
    """The real pipeline imported, with sales_teams.csv as the roster."""
    folder = shared_data / MAVEN
    for command in (
        ["import", str(folder / "sales_pipeline.csv"), "--mapping", "opportunities"],
        ["roster", str(folder / "sales_teams.csv")],
    ):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 0, result.output
    return backplan.open()


def test_counts_per_team_and_quarter_as_a_dataframe(org):
    counts = org.counts(
        "2017-01-01", "2017-12-31", funnel="sales-director", level="team", grain="quarter"
    )
    assert isinstance(counts, pd.DataFrame)
    assert list(counts.columns) == [
        "team",
        "period",
        "calls",
        "pitches",
        "demos",
        "opps",
        "deals",
        "deals_value",
    ]
    assert len(counts) == 6 * 4
    assert counts["deals"].sum() == 4238  # every deal closed in 2017


def test_counts_as_arrow(org):
    table = org.counts(
        "2017-01-01", "2017-03-31", funnel="sales-director", level="organisation", arrow=True
    )
    assert isinstance(table, pa.Table) and table.num_rows == 1


def test_rates_as_a_dataframe_with_estimates_and_intervals(org):
    rates = org.rates("2017-01-01", "2017-12-31", funnel="sales-director")
    anna = rates[(rates["rep"] == "Anna Snelling") & (rates["from"] == "opps")].iloc[0]
    assert (anna["successes"], anna["trials"]) == (208, 378)
    assert anna["low"] < anna["estimate"] < anna["high"]
    assert 0 <= anna["p_below_team"] <= 1


def test_the_default_window_is_the_last_full_quarter(org):
    assert org.window(today=pd.Timestamp("2017-05-02").date()).label == "2017-Q1"
    conversions = org.conversions(funnel="sales-director", today=pd.Timestamp("2017-05-02").date())
    assert set(conversions.columns) >= {"rep", "team", "conversion", "successes", "trials"}


def test_attempts_for_cadence(org):
    attempts = org.attempts("2017-01-01", "2017-12-31")
    assert list(attempts.columns) == ["rep", "attempts", "responded", "prospects"]
    assert attempts.empty  # the CRM export has no calls or emails


def test_a_day_that_is_not_a_date_is_refused(org):
    with pytest.raises(InvalidPeriod, match="cannot read day '2017-13-01'"):
        org.counts("2017-13-01", "2017-12-31")


def test_an_organisation_without_events_says_so(backplan_home):
    with pytest.raises(NoData, match="backplan demo-data"):
        backplan.open().counts("2017-01-01", "2017-12-31")
