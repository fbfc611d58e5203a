"""Meetings credited to the channel of the prospect's last touch, checked against plain SQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import duckdb

from backplan.core.period import Period
from backplan.defaults import funnel
from backplan.metrics.channels import meetings_by_channel
from backplan.metrics.sample import EventRow, event_rows, events_table

OUTBOUND = funnel("outbound")
MARCH = Period.month(2026, 3)

INDEPENDENT = """
WITH meetings AS (
    SELECT event_id, rep, prospect, "at" FROM events
    WHERE kind = 'meeting_booked'
      AND "at" >= TIMESTAMPTZ '2026-03-01 00:00:00+00' AND "at" < TIMESTAMPTZ '2026-04-01 00:00:00+00'
),
touches AS (
    SELECT event_id, prospect, "at",
           CASE kind WHEN 'dial' THEN 'calls' WHEN 'email' THEN 'emails' ELSE 'social' END AS channel
    FROM events WHERE kind IN ('dial', 'email', 'social') AND prospect IS NOT NULL
),
last_touch AS (
    SELECT m.event_id, m.rep,
           (SELECT t.channel FROM touches t
             WHERE t.prospect = m.prospect AND t."at" <= m."at"
             ORDER BY t."at" DESC, t.event_id DESC LIMIT 1) AS channel
    FROM meetings m
)
SELECT rep, coalesce(channel, 'unattributed') AS channel, count(*) AS meetings
FROM last_touch GROUP BY ALL ORDER BY rep, channel
"""


def random_events(seed: int) -> list[EventRow]:
    rng = random.Random(seed)
    start = datetime(2026, 2, 20)
    rows: list[EventRow] = []
    for _ in range(600):
        rep = rng.choice(["ann", "bob", "cat"])
        kind = rng.choice(["dial", "dial", "email", "social", "connect", "meeting_booked"])
        prospect = rng.choice([None, *(f"p{i}" for i in range(40))])
        at = start + timedelta(hours=rng.randrange(24 * 45))  # some touches share a moment
        rows.append((rep, at, kind, prospect))
    return rows


def test_meetings_by_channel_matches_independent_sql_on_random_events():
    for seed in range(3):
        rows = random_events(seed)
        ours = meetings_by_channel(events_table(rows), OUTBOUND, MARCH).to_pandas()
        ours = ours.sort_values(["rep", "channel"]).reset_index(drop=True)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.register("events", event_rows(rows))
        theirs = con.execute(INDEPENDENT).fetchall()
        assert [tuple(r) for r in ours.itertuples(index=False)] == theirs
        assert sum(n for *_, n in theirs) > 50


def test_a_meeting_goes_to_the_last_touch_before_it_whoever_made_it():
    rows: list[EventRow] = [
        ("ann", "2026-03-02 09:00", "email", "p1"),
        ("bob", "2026-03-03 09:00", "dial", "p1"),
        ("ann", "2026-03-04 09:00", "meeting_booked", "p1"),
        ("ann", "2026-03-05 09:00", "social", "p1"),  # after the meeting: not credited
        ("ann", "2026-03-06 09:00", "meeting_booked", "p2"),  # no touch at all
    ]
    table = meetings_by_channel(events_table(rows), OUTBOUND, MARCH).order_by("channel")
    assert table.to_pandas().to_dict("records") == [
        {"rep": "ann", "channel": "calls", "meetings": 1},
        {"rep": "ann", "channel": "unattributed", "meetings": 1},
    ]


def test_meetings_by_channel_rolls_up_to_the_organisation():
    rows: list[EventRow] = [
        ("ann", "2026-03-02 09:00", "email", "p1"),
        ("ann", "2026-03-02 10:00", "meeting_booked", "p1"),
        ("bob", "2026-03-02 09:00", "email", "p2"),
        ("bob", "2026-03-02 10:00", "meeting_booked", "p2"),
    ]
    table = meetings_by_channel(events_table(rows), OUTBOUND, MARCH, level="organisation")
    assert table.to_pandas().to_dict("records") == [{"channel": "emails", "meetings": 2}]
