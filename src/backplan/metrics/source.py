"""Where the events come from: the embedded Parquet store, or any Ibis backend.

By default events are the Parquet files below ``$BACKPLAN_HOME/events``, read
by an in-memory DuckDB. With ``BACKPLAN_EVENTS_URL`` set, backplan connects
Ibis to that URL instead (Spark, Snowflake, BigQuery, PostgreSQL, ...) and
reads the table ``BACKPLAN_EVENTS_TABLE`` (default ``events``), which must
have the event columns. Either way the metrics layer gets one Ibis table and
runs the same expressions on it, with its daily rollup attached when there is a
current one (the embedded store's batches; a warehouse's ``rollup_table``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from backplan.config import Settings
from backplan.core.errors import InvalidInput, NoData
from backplan.events.rollup import rollup_files
from backplan.events.schema import EVENT_COLUMNS
from backplan.events.store import EventStore
from backplan.metrics.engine_tables import read_table
from backplan.metrics.rollups import attach_rollup
from backplan.metrics.warehouse_rollup import current_rollup


class EventSourceError(InvalidInput):
    """The configured event table cannot be reached or lacks the event columns."""


def embedded_backend() -> Any:
    """An in-memory DuckDB that buckets timestamps by UTC day, whatever the machine's zone."""
    backend = ibis.duckdb.connect()
    # Connection setup, not a query: the zone must be set once ICU is loaded, i.e. after connecting.
    backend.con.execute("SET TimeZone = 'UTC'")
    return backend


def open_events(settings: Settings) -> ir.Table:
    """The event table as an Ibis expression (nothing is read yet).

    Raises :class:`NoData` when the embedded store holds no events yet.
    """
    if settings.events_url:
        backend, events = warehouse_events(settings)
        rollup = current_rollup(backend, events, settings)  # metrics/warehouse_rollup.py
        return events if rollup is None else attach_rollup(events, rollup)
    return read_store(settings.home)


def read_store(home: Path) -> ir.Table:
    """The embedded store below ``home`` as an Ibis table on a fresh in-memory DuckDB, with
    the batches' daily rollups attached when every batch has one (``metrics/rollups.py``)."""
    store = EventStore(home)
    if not store.files():
        raise NoData(
            f"no events in {store.dir}; import some (backplan import FILE) "
            "or generate a demo organisation with `backplan demo-data`"
        )
    backend = embedded_backend()
    events = backend.read_parquet(store.glob)
    rollups = rollup_files(store.dir)
    if rollups is not None:
        attach_rollup(events, backend.read_parquet([str(p) for p in rollups]))
    return events


def warehouse_events(settings: Settings) -> tuple[Any, ir.Table]:
    """The Ibis backend at ``events_url`` and its event table, with no rollup attached."""
    if not settings.events_url:
        raise EventSourceError("no BACKPLAN_EVENTS_URL: the events are in the embedded store")
    return _warehouse_events(settings.events_url, settings.events_table)


def _warehouse_events(url: str, table: str) -> tuple[Any, ir.Table]:
    try:
        backend = ibis.connect(url)
    except Exception as e:  # each backend raises its own driver's errors
        raise EventSourceError(
            f"cannot connect to BACKPLAN_EVENTS_URL={_redacted(url)}: {e}; check the URL "
            "and that the backend's Ibis extra is installed (e.g. pip install 'ibis-framework[snowflake]')"
        ) from None
    try:
        events = read_table(backend, table)
    except Exception as e:
        raise EventSourceError(
            f"cannot read events table {table!r} at {_redacted(url)}: {e}; "
            "set BACKPLAN_EVENTS_TABLE to the table (or view) holding the events"
        ) from None
    return backend, check_columns(events, table)


def check_columns(events: ir.Table, where: str) -> ir.Table:
    """``events`` if it has every event column, else an error naming the missing ones."""
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise EventSourceError(
            f"events table {where!r} lacks column(s) {', '.join(missing)}; backplan reads "
            f"{', '.join(EVENT_COLUMNS)} (create a view that renames yours)"
        )
    return events.select(*EVENT_COLUMNS)


def _redacted(url: str) -> str:
    """The URL without its password, fit for an error message."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"
