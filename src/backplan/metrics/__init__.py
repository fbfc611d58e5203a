"""The metrics layer: Ibis expressions over the event table.

Every function takes an Ibis table with the event columns and returns an
Ibis expression; the same expressions run on the embedded DuckDB store and
on any warehouse Ibis connects to (Spark, Snowflake, BigQuery, PostgreSQL).
"""

from backplan.metrics.cadence import attempt_counts, attempts_per_prospect
from backplan.metrics.cohorts import cohort_conversions, stage_entries
from backplan.metrics.counts import (
    Grain,
    Level,
    channel_counts,
    count_kinds,
    in_window,
    roster_table,
    stage_counts,
)
from backplan.metrics.pipeline import conversion_times, open_pipeline
from backplan.metrics.source import EventSourceError, open_events, read_store

__all__ = [
    "EventSourceError",
    "Grain",
    "Level",
    "attempt_counts",
    "attempts_per_prospect",
    "channel_counts",
    "cohort_conversions",
    "conversion_times",
    "count_kinds",
    "in_window",
    "open_events",
    "open_pipeline",
    "read_store",
    "roster_table",
    "stage_counts",
    "stage_entries",
]
