"""Which event tables come with their daily rollup, so counting reads that instead.

:func:`backplan.metrics.source.read_store` attaches the embedded store's
rollup (``events/rollup.py``) to the event table it returns; the counting
functions (``metrics/counts.py``) look it up here and read the rollup when the
table they get is that very table. A table derived from it (filtered,
renamed) has no rollup, so its counts come from its events: never wrong, at
worst slower. A warehouse's rollup table, materialised in the engine by
``backplan warehouse rollup``, is attached while it is current
(``metrics/warehouse_rollup.py``).
"""

from __future__ import annotations

import weakref

import ibis.expr.types as ir

from backplan.events.rollup import ROLLUP_COLUMNS

_attached: weakref.WeakKeyDictionary[object, ir.Table] = weakref.WeakKeyDictionary()


def attach_rollup(events: ir.Table, rollup: ir.Table) -> ir.Table:
    """Count ``events`` from ``rollup`` (its rows: ``daily_rollup(events)``); returns ``events``."""
    missing = [c for c in ROLLUP_COLUMNS if c not in rollup.columns]
    if missing:
        raise ValueError(f"a rollup needs columns {', '.join(ROLLUP_COLUMNS)}; missing {missing}")
    _attached[events.op()] = rollup
    return events


def rollup_of(events: ir.Table) -> ir.Table | None:
    """The rollup attached to ``events``, if any."""
    return _attached.get(events.op())
