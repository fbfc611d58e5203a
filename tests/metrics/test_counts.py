"""Counts per period: per rep, team and organisation, per day/week/month/quarter, stage and channel."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from metrics_support import generated_events, generated_roster, records

from backplan import Period, funnel
from backplan.metrics import channel_counts, stage_counts

OUTBOUND = funnel("outbound")
Q1 = Period.quarter(2026, 1)
STAGES = ["dials", "conversations", "meetings", "sqls", "deals"]

# A small organisation: ann and bob in north, cat in south, dan on no roster.
EVENTS = [
    ("ann", "2026-01-05 09:00", "dial", "p1"),
    ("ann", "2026-01-05 09:05", "connect", "p1"),
    ("ann", "2026-01-05 09:05", "dial", "p2"),
    ("ann", "2026-01-12 10:00", "meeting_booked", "p1"),
    ("ann", "2026-02-02 11:00", "sql", "p1"),
    ("ann", "2026-02-20 16:00", "won", "p1", 5000.0),
    ("ann", "2026-03-31 23:59:59", "dial", "p3"),  # last second of the quarter: in
    ("ann", "2026-04-01 00:00:00", "dial", "p4"),  # first second after it: out
    ("bob", "2026-01-07 09:00", "email", "p5"),
    ("bob", "2026-01-08 09:00", "dial", "p5"),
    ("bob", "2026-01-09 09:00", "connect", "p5"),
    ("bob", "2026-03-03 09:00", "meeting_booked", "p5"),
    ("bob", "2026-03-04 09:00", "social", "p6"),
    ("cat", "2026-02-10 09:00", "dial", "p7"),
    ("cat", "2026-02-11 09:00", "dial", "p7"),
    ("cat", "2026-02-11 09:30", "lost", "p7", 0.0),
    ("dan", "2025-12-31 23:59:59", "dial", "p8"),  # the year before: out
    ("dan", "2026-01-01 00:00:00", "dial", "p8"),
]
ROSTER = pd.DataFrame({
    "rep": ["ann", "bob", "cat"], "name": ["Ann Lee", "Bob Ng", "Cat Roy"],
    "team": ["north", "north", "south"], "manager": ["Mo", "Mo", "Sue"],
})  # fmt: skip


def counts(load_events, **options):
    events = load_events(EVENTS)
    return stage_counts(events, OUTBOUND, Q1, roster=ROSTER, **options).to_pandas()


def test_stage_counts_per_rep_cover_the_window_to_its_last_second(load_events):
    rows = records(counts(load_events), "rep")
    assert rows == [
        {"rep": "ann", "name": "Ann Lee", "team": "north", "dials": 3, "conversations": 1,
         "meetings": 1, "sqls": 1, "deals": 1, "deals_value": 5000.0},
        {"rep": "bob", "name": "Bob Ng", "team": "north", "dials": 1, "conversations": 1,
         "meetings": 1, "sqls": 0, "deals": 0, "deals_value": None},
        {"rep": "cat", "name": "Cat Roy", "team": "south", "dials": 2, "conversations": 0,
         "meetings": 0, "sqls": 0, "deals": 0, "deals_value": None},
        {"rep": "dan", "name": None, "team": None, "dials": 1, "conversations": 0,
         "meetings": 0, "sqls": 0, "deals": 0, "deals_value": None},
    ]  # fmt: skip


def test_stage_counts_roll_up_to_teams_and_reps_without_a_team(load_events):
    rows = records(counts(load_events, level="team"), "team")
    assert [(r["team"], *(r[s] for s in STAGES), r["deals_value"]) for r in rows] == [
        (None, 1, 0, 0, 0, 0, None),
        ("north", 4, 2, 2, 1, 1, 5000.0),
        ("south", 2, 0, 0, 0, 0, None),
    ]


def test_stage_counts_for_the_organisation_are_one_row(load_events):
    assert records(counts(load_events, level="organisation")) == [
        {
            "dials": 7,
            "conversations": 2,
            "meetings": 2,
            "sqls": 1,
            "deals": 1,
            "deals_value": 5000.0,
        }
    ]


def test_stage_counts_per_month_start_each_period_on_its_first_day(load_events):
    rows = records(counts(load_events, grain="month"), "rep", "period")
    ann = [(r["period"], *(r[s] for s in STAGES)) for r in rows if r["rep"] == "ann"]
    assert ann == [
        ("2026-01-01", 2, 1, 1, 0, 0),
        ("2026-02-01", 0, 0, 0, 1, 1),
        ("2026-03-01", 1, 0, 0, 0, 0),
    ]


def test_weeks_start_on_monday_even_across_the_new_year(load_events):
    rows = records(counts(load_events, level="organisation", grain="week"), "period")
    assert [(r["period"], r["dials"], r["conversations"], r["meetings"]) for r in rows] == [
        ("2025-12-29", 1, 0, 0),  # dan's dial on Thursday 1 January
        ("2026-01-05", 3, 2, 0),
        ("2026-01-12", 0, 0, 1),
        ("2026-02-02", 0, 0, 0),
        ("2026-02-09", 2, 0, 0),
        ("2026-02-16", 0, 0, 0),
        ("2026-03-02", 0, 0, 1),
        ("2026-03-30", 1, 0, 0),
    ]


def test_days_and_quarters_are_grains_too(load_events):
    days = records(counts(load_events, grain="day"), "rep", "period")
    assert [(r["period"], r["dials"]) for r in days if r["rep"] == "cat"] == [
        ("2026-02-10", 1),
        ("2026-02-11", 1),
    ]
    quarters = records(counts(load_events, level="team", grain="quarter"), "team")
    assert [(r["team"], r["period"], r["dials"]) for r in quarters] == [
        (None, "2026-01-01", 1),
        ("north", "2026-01-01", 4),
        ("south", "2026-01-01", 2),
    ]


def test_a_trailing_window_is_just_a_window_ending_today(load_events):
    last_30_days = Period.trailing(30, Period.month(2026, 3).end)
    assert (last_30_days.start.isoformat(), last_30_days.label) == (
        "2026-03-02",
        "30 days to 2026-03-31",
    )
    rows = records(
        stage_counts(load_events(EVENTS), OUTBOUND, last_30_days, roster=ROSTER).to_pandas(), "rep"
    )
    assert [(r["rep"], r["dials"], r["meetings"]) for r in rows] == [("ann", 1, 0), ("bob", 0, 1)]


def test_channel_counts_split_the_top_of_the_funnel_by_how_prospects_were_reached(load_events):
    events = load_events(EVENTS)
    rows = records(channel_counts(events, OUTBOUND, Q1, roster=ROSTER).to_pandas(), "rep")
    assert [(r["rep"], r["calls"], r["emails"], r["social"]) for r in rows] == [
        ("ann", 3, 0, 0),
        ("bob", 1, 1, 1),
        ("cat", 2, 0, 0),
        ("dan", 1, 0, 0),
    ]


def test_generated_monthly_counts_equal_a_hand_written_sql_query(load_events, tmp_path):
    table = generated_events(60_000, reps=40, seed=11)
    events = load_events(table)
    window = Period(Period.month(2026, 3).start, Period.month(2026, 9).end)
    got = stage_counts(events, OUTBOUND, window, grain="month", roster=generated_roster(40))
    got = got.select("rep", "team", "period", *STAGES).to_pandas()

    db = duckdb.connect()
    db.register("events", table)
    db.register("roster", generated_roster(40))
    expected = db.sql("""
        SELECT e.rep, r.team,
               CAST(date_trunc('month', e.at AT TIME ZONE 'UTC') AS DATE) AS period,
               count(*) FILTER (WHERE kind = 'dial') AS dials,
               count(*) FILTER (WHERE kind = 'connect') AS conversations,
               count(*) FILTER (WHERE kind = 'meeting_booked') AS meetings,
               count(*) FILTER (WHERE kind = 'sql') AS sqls,
               count(*) FILTER (WHERE kind = 'won') AS deals
        FROM events e LEFT JOIN roster r USING (rep)
        WHERE e.at >= TIMESTAMPTZ '2026-03-01 00:00:00+00'
          AND e.at < TIMESTAMPTZ '2026-10-01 00:00:00+00'
          AND e.kind IN ('dial', 'connect', 'meeting_booked', 'sql', 'won')
        GROUP BY ALL
    """).df()
    assert len(expected) == 40 * 7
    assert records(got, "rep", "period") == records(expected, "rep", "period")


def test_generated_team_counts_equal_the_sum_of_their_reps(load_events):
    events = load_events(generated_events(20_000, reps=24, seed=3))
    roster = generated_roster(24, team_size=8)
    reps = stage_counts(events, OUTBOUND, Q1, roster=roster).to_pandas()
    teams = stage_counts(events, OUTBOUND, Q1, level="team", roster=roster).to_pandas()
    summed = reps.groupby("team", as_index=False)[STAGES].sum()
    assert records(teams.loc[:, ["team", *STAGES]], "team") == records(summed, "team")


@pytest.mark.parametrize("grain", ["fortnight", "year"])
def test_an_unknown_grain_is_refused_with_the_ones_there_are(grain):
    from backplan.metrics.sample import events_table

    with pytest.raises(ValueError, match="day, week, month, quarter"):
        stage_counts(events_table(EVENTS), OUTBOUND, Q1, grain=grain)
