"""`backplan rates`: counts, raw rate, estimate and interval per rep, from the event store."""

from __future__ import annotations

import json

import duckdb
import pytest
from metrics_support import MAVEN, maven_events, maven_roster
from typer.testing import CliRunner

from backplan.cli import app
from backplan.events.store import EventStore

pytestmark = pytest.mark.dates  # reads today from the clock: CI runs it on edge days

runner = CliRunner()
MUST_SHOW = [
    "rates", "--funnel", "sales-director", "--since", "2016-01-01", "--until", "2018-01-01",
    "--json",
]  # fmt: skip


def load_roster(shared_data) -> None:
    result = runner.invoke(app, ["roster", str(shared_data / MAVEN / "sales_teams.csv")])
    assert result.exit_code == 0, result.output


@pytest.fixture
def maven_home(backplan_home, shared_data):
    """sales_pipeline.csv imported with the `opportunities` mapping, sales_teams.csv as roster."""
    pipeline = shared_data / MAVEN / "sales_pipeline.csv"
    result = runner.invoke(app, ["import", str(pipeline), "--mapping", "opportunities"])
    assert result.exit_code == 0, result.output
    load_roster(shared_data)
    return backplan_home


def won_rows_per_agent(shared_data) -> dict[str, int]:
    """Straight from the CSV with SQL, independent of backplan: each agent's Won rows."""
    path = shared_data / MAVEN / "sales_pipeline.csv"
    agents = shared_data / MAVEN / "sales_teams.csv"
    rows = duckdb.sql(f"""
        SELECT t.sales_agent, count(p.opportunity_id) FILTER (WHERE p.deal_stage = 'Won')
        FROM read_csv('{agents}') t LEFT JOIN read_csv('{path}') p USING (sales_agent)
        GROUP BY ALL
    """).fetchall()
    return dict(rows)


def test_every_agents_opps_to_deals_record_counts_their_won_rows(maven_home, shared_data):
    result = runner.invoke(app, MUST_SHOW)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    opps_to_deals = {
        r["rep"]: r for r in report["rates"] if (r["from"], r["to"]) == ("opps", "deals")
    }
    expected = won_rows_per_agent(shared_data)
    assert len(expected) == 35 and sum(expected.values()) == 4238
    assert {rep: r["successes"] for rep, r in opps_to_deals.items()} == expected


def test_rates_json_has_one_record_per_rep_and_conversion_with_the_contract_keys(maven_home):
    report = json.loads(runner.invoke(app, MUST_SHOW).stdout)
    assert report["funnel"] == "sales-director"
    assert report["window"] == {
        "since": "2016-01-01",
        "until": "2018-01-01",
        "label": "2016-01-01..2018-01-01",
    }
    pairs = [(r["rep"], r["from"], r["to"]) for r in report["rates"]]
    assert len(pairs) == len(set(pairs)) == 35 * 4
    anna = next(r for r in report["rates"] if r["rep"] == "Anna Snelling" and r["from"] == "opps")
    assert {"rep", "team", "from", "to", "successes", "trials", "raw", "estimate", "low", "high",
            "p_below_team"} <= set(anna)  # fmt: skip
    assert (anna["team"], anna["successes"], anna["trials"]) == (
        "Dustin Brinkmann's team",
        208,
        393,
    )
    assert anna["raw"] == round(208 / 393, 6)
    assert anna["low"] < anna["estimate"] < anna["high"]
    # Agents without opportunities are there too, with no data rather than an estimate.
    carl = next(r for r in report["rates"] if r["rep"] == "Carl Lin" and r["from"] == "opps")
    assert (carl["trials"], carl["raw"]) == (0, None)
    assert (carl["estimate"], carl["low"], carl["high"], carl["p_below_team"]) == (None,) * 4
    assert carl["team_rate"] is not None and carl["flagged"] is False
    # The sales-director funnel's activity stages have no data here: said, not hidden.
    assert any("no calls" in note for note in report["notes"])


def test_opportunity_trials_are_the_rows_engaged_in_the_window(maven_home, shared_data):
    path = shared_data / MAVEN / "sales_pipeline.csv"
    engaged = dict(
        duckdb.sql(f"""
        SELECT sales_agent, count(*) FROM read_csv('{path}')
        WHERE engage_date BETWEEN DATE '2017-04-01' AND DATE '2017-06-30' GROUP BY ALL
    """).fetchall()
    )
    result = runner.invoke(
        app, ["rates", "--funnel", "sales-director", "--as-of", "2017-07-15", "--json"]
    )
    report = json.loads(result.stdout)
    assert report["window"]["label"] == "2017-Q2"  # the last full quarter before 15 July
    trials = {r["rep"]: r["trials"] for r in report["rates"] if r["from"] == "opps"}
    assert {rep: n for rep, n in trials.items() if n} == engaged


def test_one_rep_by_name_in_any_case_with_their_team_only(maven_home):
    result = runner.invoke(app, [*MUST_SHOW, "--rep", "anna snelling"])
    report = json.loads(result.stdout)
    assert {r["rep"] for r in report["rates"]} == {"Anna Snelling"}
    assert {t["team"] for t in report["teams"]} == {"Dustin Brinkmann's team"}


def test_one_team(maven_home, shared_data):
    result = runner.invoke(app, [*MUST_SHOW, "--team", "cara losch's team"])
    reps = {r["rep"] for r in json.loads(result.stdout)["rates"]}
    roster = maven_roster(shared_data)
    assert reps == set(roster.loc[roster["manager"] == "Cara Losch", "rep"])


def test_cohort_counting_follows_each_account_from_its_first_opportunity(maven_home, shared_data):
    # The opportunities mapping makes the account the prospect: a cohort is the accounts whose
    # first opportunity falls in the window; a success, an account won on or after it.
    path = shared_data / MAVEN / "sales_pipeline.csv"
    accounts, won = duckdb.sql(f"""
        WITH p AS (SELECT * FROM read_csv('{path}')
                   WHERE engage_date IS NOT NULL AND account IS NOT NULL),
             first AS (SELECT account, min(engage_date) AS day FROM p GROUP BY ALL)
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM p WHERE p.account = first.account
            AND p.deal_stage = 'Won' AND p.close_date >= first.day))
        FROM first
    """).fetchall()[0]
    result = runner.invoke(app, [*MUST_SHOW, "--count", "cohort"])
    report = json.loads(result.stdout)
    assert report["counting"] == "cohort"
    opps = [r for r in report["rates"] if r["from"] == "opps"]
    assert sum(r["trials"] for r in opps) == accounts == 85
    assert sum(r["successes"] for r in opps) == won
    assert all(r["successes"] <= r["trials"] for r in report["rates"])


def test_the_table_shows_counts_raw_estimate_and_interval(maven_home):
    result = runner.invoke(app, [*MUST_SHOW[:-1], "--rep", "Anna Snelling"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "208/393" in text and "52.9%" in text and "80% interval" in text
    assert "Dustin" in text  # her team, wrapped in the narrow test terminal


def test_an_unknown_rep_is_one_line_naming_the_known_ones(maven_home):
    result = runner.invoke(app, [*MUST_SHOW, "--rep", "Nobody"])
    assert result.exit_code == 2
    assert "no rep 'Nobody'" in result.stderr and "Anna Snelling" in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_store_says_how_to_get_data(backplan_home):
    result = runner.invoke(app, MUST_SHOW)
    assert result.exit_code == 2
    assert "no events in" in result.stderr and "backplan demo-data" in result.stderr


def test_a_window_without_events_says_where_the_data_is(maven_home):
    result = runner.invoke(app, ["rates", "--funnel", "sales-director", "--as-of", "2026-11-23"])
    assert result.exit_code == 2
    assert "no events of funnel 'sales-director' in 2026-Q3" in result.stderr
    assert "events run from 2016-10-20 to 2017-12-31" in result.stderr


def test_only_one_end_of_the_window_is_refused(maven_home):
    result = runner.invoke(app, ["rates", "--since", "2017-01-01"])
    assert result.exit_code == 2 and "give both --since and --until" in result.stderr


def test_one_setting_points_backplan_at_a_warehouse_table(
    backplan_home, tmp_path, shared_data, monkeypatch
):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.register("imported", maven_events(shared_data))
        con.execute("CREATE TABLE crm_events AS SELECT * FROM imported")
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", f"duckdb://{warehouse}")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", "crm_events")
    load_roster(shared_data)  # the roster stays in the app database
    result = runner.invoke(app, MUST_SHOW)
    assert result.exit_code == 0, result.output
    rates = [r for r in json.loads(result.stdout)["rates"] if r["from"] == "opps"]
    won = {r["rep"]: r["successes"] for r in rates}
    assert won["Anna Snelling"] == 208 and sum(won.values()) == 4238
    assert {r["team"] for r in rates} >= {"Dustin Brinkmann's team", "Cara Losch's team"}


def test_a_warehouse_table_without_the_event_columns_is_named(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE events AS SELECT 'a' AS rep, DATE '2026-01-01' AS day")
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", f"duckdb://{warehouse}")
    result = runner.invoke(app, MUST_SHOW)
    assert result.exit_code == 2
    assert "events table 'events' lacks column(s) event_id, at, kind" in result.stderr


@pytest.mark.slow
def test_the_same_command_runs_on_pyspark_pointed_at_with_one_setting(
    maven_home, shared_data, spark, monkeypatch
):
    (batch,) = {path.parent for path in EventStore(maven_home).files()}
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", "pyspark://")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", f"{batch}/")  # a Parquet folder on the cluster
    result = runner.invoke(app, MUST_SHOW)
    assert result.exit_code == 0, result.output
    on_spark = json.loads(result.stdout)["rates"]
    monkeypatch.delenv("BACKPLAN_EVENTS_URL")
    embedded = json.loads(runner.invoke(app, MUST_SHOW).stdout)["rates"]
    assert on_spark == embedded
    assert sum(r["successes"] for r in on_spark if r["from"] == "opps") == 4238
