"""The canonical event schema and where the embedded store keeps it.

Every reader and mapping produces these columns; the metrics layer reads only
these. The embedded store is a folder of Parquet files below
``$BACKPLAN_HOME/events``; a file appears there only once complete (written
elsewhere, then renamed in), so a reader never sees half an import.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("rep", pa.string(), nullable=False),
        pa.field("at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("prospect", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("source", pa.string()),
    ]
)
EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_SCHEMA.names)

ROSTER_COLUMNS: tuple[str, ...] = ("rep", "name", "team", "manager")
"""The roster as the metrics layer sees it: one row per rep key used in events."""


def events_dir(home: Path) -> Path:
    """The folder of the embedded event store inside ``BACKPLAN_HOME``."""
    return home / "events"


def events_glob(home: Path) -> str:
    """A glob matching every complete Parquet file of the store (for DuckDB/Ibis)."""
    return str(events_dir(home) / "**" / "*.parquet")
