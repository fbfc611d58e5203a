"""What needs the embedded event store, when the events live in a warehouse.

With ``BACKPLAN_EVENTS_URL`` set, every read (rates, diagnosis, forecasts,
leadership, the web app) runs as Ibis expressions in that engine. Writing
events does not: imports, CRM syncs, compaction and the demo's events go to
the Parquet store below ``BACKPLAN_HOME``, which the service would then no
longer read. Those commands stop with :class:`EmbeddedStoreOnly` instead of
writing events nobody sees.

What backplan does write to a warehouse is a summary of its events:
:func:`materialise_rollup` (``backplan warehouse rollup``) keeps their daily
counts as a table in the engine, which counting reads while it is current.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backplan.config import Settings
from backplan.config.errors import InvalidSetting
from backplan.events.schema import EVENT_COLUMNS


class EmbeddedStoreOnly(InvalidSetting):
    """A feature that writes the embedded event store, asked for while events are read from a
    warehouse (``BACKPLAN_EVENTS_URL``)."""


def require_embedded_store(settings: Settings, feature: str) -> None:
    """Raise :class:`EmbeddedStoreOnly` when ``settings`` read events from a warehouse."""
    if not settings.events_url:
        return
    scheme = settings.events_url.partition("://")[0]
    raise EmbeddedStoreOnly(
        f"{feature} writes the embedded event store, but events are read from "
        f"{scheme}:// (BACKPLAN_EVENTS_URL), table {settings.events_table!r}. Load events "
        f"into that table with your own pipeline (columns: {', '.join(EVENT_COLUMNS)}; "
        "see docs/warehouse.md), or unset BACKPLAN_EVENTS_URL to use the embedded store."
    )


def warehouse_state(settings: Settings) -> tuple[str, bool]:
    """What shows that a warehouse's events changed, and whether it holds any.

    One aggregate run in the engine: the number of events and the first and last
    event time. Loads that append events change it; a correction that rewrites
    events in place without changing these shows once the day turns (the kept
    pages are per day) or after a restart. The count also tells whether the
    rollup still covers every event (``metrics/warehouse_rollup.py``), so
    requests need not ask.
    """
    from backplan.metrics.source import warehouse_events
    from backplan.metrics.warehouse_rollup import note_events_count

    backend, events = warehouse_events(settings)
    row = events.aggregate(
        n=events.count(), first=events["at"].min(), last=events["at"].max()
    ).execute()
    n, first, last = (row[c].iloc[0] for c in ("n", "first", "last"))
    note_events_count(backend, settings, int(n))
    return f"{n}|{first}|{last}", int(n) > 0


@dataclass(frozen=True)
class RollupReport:
    """What ``backplan warehouse rollup`` materialised: where, its rows, the events it covers."""

    table: str | None
    rows: int
    events: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "rows": self.rows,
            "events": self.events,
            "seconds": round(self.seconds, 3),
        }


class NoWarehouse(InvalidSetting):
    """A warehouse feature asked for while the events are in the embedded store."""


def materialise_rollup(
    settings: Settings, step: Callable[[str], None] = lambda _phase: None
) -> RollupReport:
    """Compute the events' daily rollup in the engine and keep it as ``daily_counts_table``,
    replacing the one before; counting then reads it until new events arrive.

    Its rows' summed ``events`` are the events it covers: what counting compares with the
    events' count to trust it (``metrics/warehouse_rollup.py``).
    """
    from backplan.events.rollup import daily_rollup
    from backplan.metrics.engine_tables import is_parquet
    from backplan.metrics.source import warehouse_events
    from backplan.metrics.warehouse_rollup import as_count, forget_verdicts, read_rollup

    if not settings.events_url:
        raise NoWarehouse(
            "events are in the embedded store, which writes each batch's daily rollup with "
            "its events: there is nothing to materialise (this command is for "
            "BACKPLAN_EVENTS_URL)"
        )
    where = settings.daily_counts_table
    if where is None:
        raise InvalidSetting(
            f"the events are Parquet files ({settings.events_table}); set BACKPLAN_ROLLUP_TABLE "
            "to where the rollup goes: a table name, a .parquet file or a folder ending in /"
        )
    started = time.perf_counter()
    step("connecting")
    backend, events = warehouse_events(settings)
    step("materialising")
    rollup = daily_rollup(events)
    if is_parquet(where):
        _write_parquet(backend, rollup, where)
    else:
        _replace_table(backend, where, rollup)
    step("checking")
    kept = read_rollup(backend, where)
    if kept is None:
        raise InvalidSetting(f"the rollup written to {where!r} cannot be read back")
    row = kept.aggregate(rows=kept.count(), events=kept.events.sum()).execute().iloc[0]
    forget_verdicts()
    seconds = time.perf_counter() - started
    return RollupReport(where, int(row["rows"]), as_count(row["events"]), seconds)


def _replace_table(backend: Any, where: str, rollup: Any) -> None:
    """``rollup`` as the table ``where`` (``[catalog.][database.]name``), in place of any before.

    Dropped, then created: ibis 12's ``create_table(overwrite=True)`` writes its DROP with a
    sqlglot construct that sqlglot 30.18 turned into a nameless ``DROP TABLE IF EXISTS``
    (ibis issue 12101). In between there is no rollup, and counting reads the events.
    """
    from sqlglot.expressions import table_

    *database, name = where.split(".")
    catalog, db = [None, None, *database][-2:]
    table = table_(name, db=db, catalog=catalog, quoted=True)
    done = backend.raw_sql(f"DROP TABLE IF EXISTS {table.sql(backend.dialect)}")
    if hasattr(done, "close") and done is not getattr(backend, "con", None):
        done.close()  # a DB-API cursor (DuckDB's execute returns its connection: kept open)
    backend.create_table(name, rollup, database=".".join(database) or None)


def _write_parquet(backend: Any, rollup: Any, where: str) -> None:
    """Parquet in place of any rollup there: Spark writes a folder (mode overwrite), the
    others one file, which a new write replaces."""
    if backend.name == "pyspark":
        backend.to_parquet(rollup, where, mode="overwrite")
    else:
        backend.to_parquet(rollup, where)
