"""Small event tables typed in by hand, for examples, notebooks and tests.

>>> events = events_table([("ann", "2026-01-05 09:30", "dial", "p1"),
...                        ("ann", "2026-01-05 09:31", "connect", "p1")])
>>> events.count().to_pyarrow().as_py()
2
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from itertools import count

import ibis.expr.types as ir
import pyarrow as pa

from backplan.events.schema import EVENT_SCHEMA
from backplan.metrics.source import embedded_backend

EventRow = Sequence[object]
"""``(rep, at, kind)`` with optional ``prospect``, ``amount``, ``source`` after them."""

_names = count()


def event_rows(rows: Iterable[EventRow]) -> pa.Table:
    """Rows as an Arrow table with exactly the event schema; ``at`` may be a date, text or datetime.

    Event ids are ``e0``, ``e1``, ... in row order.
    """
    columns: dict[str, list[object]] = {name: [] for name in EVENT_SCHEMA.names}
    for i, row in enumerate(rows):
        rep, at, kind, *rest = row
        prospect, amount, source = [*rest, None, None, None][:3]
        columns["event_id"].append(f"e{i}")
        columns["rep"].append(rep)
        columns["at"].append(_timestamp(at))
        columns["kind"].append(kind)
        columns["prospect"].append(prospect)
        columns["amount"].append(amount)
        columns["source"].append(source)
    return pa.table(
        {f.name: pa.array(columns[f.name], type=f.type) for f in EVENT_SCHEMA}, schema=EVENT_SCHEMA
    )


def events_table(rows: Iterable[EventRow]) -> ir.Table:
    """Rows as an Ibis table on a fresh in-memory DuckDB, ready for the metrics functions."""
    backend, name = embedded_backend(), f"events_{next(_names)}"
    backend.con.register(name, event_rows(rows))
    return backend.table(name)


def _timestamp(at: object) -> datetime:
    if isinstance(at, datetime):
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    if isinstance(at, date):
        return datetime(at.year, at.month, at.day, tzinfo=UTC)
    return datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
