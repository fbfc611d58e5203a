"""Daily counts of the events, kept beside them: what counting per period reads instead of every event.

Pages, forecasts and reports mostly ask "how many events of these kinds, per
rep (and day, month, source), in this window". The answer only needs the
events per rep, UTC day, kind and source, with their amounts summed: a few
hundred thousand rows for ten million events. That is :func:`daily_rollup`,
one Ibis expression over an event table, so the embedded store and any
warehouse compute it the same way.

The embedded store writes each batch's rollup as a Parquet file named
:data:`ROLLUP_FILE` inside the batch folder, before the folder is renamed in
(``events/store.py``): the rollup appears with its events or not at all, and
counts exactly the events committed (duplicates already left out). Its name
does not end in ``.parquet``, so the events glob never reads it as events, and
starts with ``_``, so Spark and Hive, which read a batch folder whole, skip it.
Queries that follow prospects (cohorts, lags, open pipeline, channel
attribution, cadence) still read the events.
"""

from __future__ import annotations

from pathlib import Path

import ibis.expr.types as ir

ROLLUP_FILE = "_daily-counts.rollup"
ROLLUP_COLUMNS: tuple[str, ...] = ("rep", "day", "kind", "source", "events", "amount")
"""One row per rep, UTC day, kind and source (null kept as its own group):
``events`` counted, ``amount`` summed (null when none of them has one)."""


def daily_rollup(events: ir.Table) -> ir.Table:
    """The rollup of an event table (the backend must bucket ``at`` by UTC day)."""
    return events.group_by(
        rep=events.rep, day=events.at.date(), kind=events.kind, source=events.source
    ).aggregate(events=events.count(), amount=events.amount.sum())


def write_rollup(folder: Path, spill_home: Path, *, into: Path | None = None) -> Path:
    """Write the rollup of the ``*.parquet`` event files in ``folder`` as ``ROLLUP_FILE``
    in ``into`` (default: ``folder``); returns its path."""
    import ibis

    from backplan.config.private import private_folder
    from backplan.events.store import SPILL, duckdb_connection

    private_folder(spill_home / SPILL)  # where DuckDB spills a large batch's grouping
    backend = ibis.duckdb.from_connection(duckdb_connection(spill_home))
    try:
        files = [str(p) for p in sorted(folder.glob("*.parquet"))]
        target = (into or folder) / ROLLUP_FILE
        backend.to_parquet(daily_rollup(backend.read_parquet(files)), target)
        return target
    finally:
        backend.disconnect()


def rollup_files(store_dir: Path) -> list[Path] | None:
    """Every batch's rollup below ``store_dir``, or None if some batch of events has none
    (written before rollups existed: counting then reads the events)."""
    if not store_dir.exists():
        return None
    batches = {p.parent for p in store_dir.glob("**/*.parquet")}
    found = [b / ROLLUP_FILE for b in sorted(batches)]
    if not found or not all(p.exists() for p in found):
        return None
    return found
