"""Cohort conversions (who entered a stage, who reached the next) and attempts per prospect."""

from __future__ import annotations

import pandas as pd
from metrics_support import records

from backplan import Period, funnel
from backplan.metrics import attempt_counts, attempts_per_prospect, cohort_conversions
from backplan.metrics.cadence import simultaneous_attempts

OUTBOUND = funnel("outbound")
Q1 = Period.quarter(2026, 1)
ROSTER = pd.DataFrame({
    "rep": ["ann", "bob", "cat"], "name": ["Ann Lee", "Bob Ng", "Cat Roy"],
    "team": ["north", "north", "south"], "manager": ["Mo", "Mo", "Sue"],
})  # fmt: skip

COHORT_EVENTS = [
    # p1 goes all the way.
    ("ann", "2026-01-05 09:00", "dial", "p1"),
    ("ann", "2026-01-05 09:05", "connect", "p1"),
    ("ann", "2026-01-12 10:00", "meeting_booked", "p1"),
    ("ann", "2026-02-02 11:00", "sql", "p1"),
    ("ann", "2026-02-20 16:00", "won", "p1", 5000.0),
    # p2 never answers.
    ("ann", "2026-01-05 09:10", "dial", "p2"),
    # p3 is dialled on the last day and answers after the window: still a conversion.
    ("ann", "2026-03-31 17:00", "dial", "p3"),
    ("ann", "2026-04-02 10:00", "connect", "p3"),
    # p4 talked before being dialled: the dial did not lead to the conversation.
    ("ann", "2026-01-20 10:00", "connect", "p4"),
    ("ann", "2026-01-25 10:00", "dial", "p4"),
    # p5 was first dialled last year: not in this quarter's dial cohort.
    ("bob", "2025-12-20 10:00", "dial", "p5"),
    ("bob", "2026-01-09 10:00", "connect", "p5"),
    ("bob", "2026-03-03 10:00", "meeting_booked", "p5"),
    # No prospect id: cannot be followed.
    ("bob", "2026-01-10 10:00", "dial"),
    ("bob", "2026-01-10 10:05", "connect"),
    # Two dials, one prospect, one trial.
    ("cat", "2026-02-10 09:00", "dial", "p7"),
    ("cat", "2026-02-11 09:00", "dial", "p7"),
    ("cat", "2026-02-11 09:05", "connect", "p7"),
    # p9 is dialled first by ann, then by bob, who gets the conversation: ann's cohort.
    ("ann", "2026-01-03 09:00", "dial", "p9"),
    ("bob", "2026-01-04 09:00", "dial", "p9"),
    ("bob", "2026-01-04 09:02", "connect", "p9"),
]


def cohorts(load_events, **options):
    events = load_events(COHORT_EVENTS)
    frame = cohort_conversions(events, OUTBOUND, Q1, roster=ROSTER, **options).to_pandas()
    return records(frame)


def test_cohorts_follow_each_prospect_from_entering_a_stage_to_reaching_the_next(load_events):
    rows = cohorts(load_events)
    assert [(r["rep"], r["from"], r["to"], r["trials"], r["successes"]) for r in rows] == [
        ("ann", "dials", "conversations", 5, 3),
        ("ann", "conversations", "meetings", 2, 1),
        ("ann", "meetings", "sqls", 1, 1),
        ("ann", "sqls", "deals", 1, 1),
        ("bob", "conversations", "meetings", 2, 1),
        ("bob", "meetings", "sqls", 1, 0),
        ("cat", "dials", "conversations", 1, 1),
        ("cat", "conversations", "meetings", 1, 0),
    ]
    assert {(r["rep"], r["name"], r["team"]) for r in rows} == {
        ("ann", "Ann Lee", "north"),
        ("bob", "Bob Ng", "north"),
        ("cat", "Cat Roy", "south"),
    }


def test_cohort_conversions_never_exceed_their_trials_and_roll_up_to_teams(load_events):
    rows = cohorts(load_events, level="team")
    assert [(r["team"], r["from"], r["trials"], r["successes"]) for r in rows] == [
        ("north", "dials", 5, 3),
        ("north", "conversations", 4, 2),
        ("north", "meetings", 2, 1),
        ("north", "sqls", 1, 1),
        ("south", "dials", 1, 1),
        ("south", "conversations", 1, 0),
    ]
    org = cohorts(load_events, level="organisation")
    assert [(r["from"], r["to"], r["trials"], r["successes"]) for r in org] == [
        ("dials", "conversations", 6, 4),
        ("conversations", "meetings", 5, 2),
        ("meetings", "sqls", 2, 1),
        ("sqls", "deals", 1, 1),
    ]


CADENCE_EVENTS = [
    ("ann", "2026-01-05 09:00", "dial", "p1"),
    ("ann", "2026-01-06 09:00", "dial", "p1"),
    ("ann", "2026-01-07 09:00", "email", "p1"),
    ("ann", "2026-01-07 09:00", "connect", "p1"),  # the third attempt got the answer
    ("ann", "2026-01-20 09:00", "dial", "p1"),  # after the response: not an attempt to reach
    ("ann", "2026-01-05 10:00", "dial", "p2"),
    ("ann", "2026-01-06 10:00", "dial", "p2"),
    ("ann", "2026-01-07 10:00", "dial", "p2"),  # three attempts, no answer yet: censored
    ("ann", "2026-01-08 09:00", "connect", "p3"),  # the prospect called first
    ("ann", "2026-01-09 09:00", "dial", "p3"),
    ("ann", "2026-02-01 09:00", "dial", "p5"),
    ("ann", "2026-02-01 09:01", "connect", "p5"),
    ("ann", "2026-02-03 09:00", "dial", "p5"),
    ("ann", "2026-02-04 09:00", "connect", "p5"),
    ("bob", "2026-01-10 09:00", "social", "p1"),  # same prospect, another rep: counted apart
    ("bob", "2026-01-11 09:00", "connect", "p1"),
    ("bob", "2025-12-30 09:00", "dial", "p4"),  # first attempted last year: not this cohort
    ("bob", "2026-01-02 09:00", "dial", "p4"),
    ("bob", "2026-01-02 09:00", "dial"),  # no prospect id: cannot be followed
]


def test_attempts_per_prospect_count_up_to_the_first_response_and_censor_the_rest(load_events):
    frame = attempts_per_prospect(load_events(CADENCE_EVENTS), Q1).to_pandas()
    rows = records(frame.loc[:, ["rep", "prospect", "attempts", "responded"]], "rep", "prospect")
    assert rows == [
        {"rep": "ann", "prospect": "p1", "attempts": 3, "responded": True},
        {"rep": "ann", "prospect": "p2", "attempts": 3, "responded": False},
        {"rep": "ann", "prospect": "p3", "attempts": 0, "responded": True},
        {"rep": "ann", "prospect": "p5", "attempts": 1, "responded": True},
        {"rep": "bob", "prospect": "p1", "attempts": 1, "responded": True},
    ]


def test_attempt_counts_tabulate_prospects_by_attempt_number_and_response(load_events):
    events = load_events(CADENCE_EVENTS)
    per_rep = records(attempt_counts(events, Q1, roster=ROSTER).to_pandas())
    assert [(r["rep"], r["attempts"], r["responded"], r["prospects"]) for r in per_rep] == [
        ("ann", 0, True, 1),
        ("ann", 1, True, 1),
        ("ann", 3, False, 1),
        ("ann", 3, True, 1),
        ("bob", 1, True, 1),
    ]
    org = records(attempt_counts(events, Q1, level="organisation").to_pandas())
    assert [(r["attempts"], r["responded"], r["prospects"]) for r in org] == [
        (0, True, 1),
        (1, True, 2),
        (3, False, 1),
        (3, True, 1),
    ]


def test_simultaneous_attempts_are_counted_and_none_is_zero_on_every_engine(load_events):
    bulk = [("cat", "2026-03-02 09:00", "dial", "p9"), ("cat", "2026-03-02 09:00", "email", "p9")]
    events = load_events([*CADENCE_EVENTS, *bulk])
    rows = simultaneous_attempts(events, Q1).to_pandas().to_dict("records")
    assert rows == [{"attempts": 14, "simultaneous": 2}]  # cat's two attempts stamped at once
    # No attempts at all: zeros, not an engine's null (None on DuckDB, NaN on Spark).
    none = simultaneous_attempts(events, Period.month(2026, 6)).to_pandas().to_dict("records")
    assert none == [{"attempts": 0, "simultaneous": 0}]
