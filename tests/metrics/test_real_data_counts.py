"""Counts on the real sample data equal a plain SQL computation straight from the CSV."""

from __future__ import annotations

from datetime import date

import duckdb
from metrics_support import MAVEN, maven_events, maven_roster, records

from backplan import Period, funnel
from backplan.metrics import cohort_conversions, stage_counts

SALES_DIRECTOR = funnel("sales-director")
ALL_OF_IT = Period(date(2016, 10, 1), date(2017, 12, 31))


def test_monthly_opps_deals_and_revenue_per_agent_match_sql_on_the_csv(load_events, shared_data):
    events = load_events(maven_events(shared_data))
    got = stage_counts(
        events, SALES_DIRECTOR, ALL_OF_IT, grain="month", roster=maven_roster(shared_data)
    )
    got = got.select("rep", "team", "period", "opps", "deals", "deals_value").to_pandas()

    path = shared_data / MAVEN / "sales_pipeline.csv"
    teams = shared_data / MAVEN / "sales_teams.csv"
    expected = duckdb.sql(f"""
        WITH pipeline AS (SELECT * FROM read_csv('{path}')),
        happened AS (
            SELECT sales_agent, date_trunc('month', engage_date) AS month, 1 AS opp, 0 AS won,
                   NULL::DOUBLE AS value
            FROM pipeline WHERE engage_date IS NOT NULL
            UNION ALL
            SELECT sales_agent, date_trunc('month', close_date), 0, 1, close_value
            FROM pipeline WHERE deal_stage = 'Won'
        )
        SELECT h.sales_agent AS rep, t.manager AS team, CAST(h.month AS DATE) AS period,
               sum(opp) AS opps, sum(won) AS deals, sum(value) AS deals_value
        FROM happened h LEFT JOIN read_csv('{teams}') t USING (sales_agent)
        GROUP BY ALL
    """).df()
    assert len(expected) > 300
    assert records(got, "rep", "period") == records(expected, "rep", "period")


def test_opportunity_cohorts_per_team_match_sql_on_the_csv(load_events, shared_data):
    events = load_events(maven_events(shared_data))
    q2 = Period.quarter(2017, 2)
    got = cohort_conversions(
        events, SALES_DIRECTOR, q2, level="team", roster=maven_roster(shared_data)
    ).to_pandas()

    path = shared_data / MAVEN / "sales_pipeline.csv"
    teams = shared_data / MAVEN / "sales_teams.csv"
    expected = duckdb.sql(f"""
        SELECT t.manager AS team, 'opps' AS "from", 'deals' AS "to",
               count(*) AS trials, count(*) FILTER (WHERE deal_stage = 'Won') AS successes
        FROM read_csv('{path}') p JOIN read_csv('{teams}') t USING (sales_agent)
        WHERE engage_date BETWEEN DATE '2017-04-01' AND DATE '2017-06-30'
        GROUP BY ALL
    """).df()
    assert records(got, "team") == records(expected, "team")
