"""A warehouse's daily rollup, read instead of its events while it covers every one of them.

``backplan warehouse rollup`` materialises :func:`backplan.events.rollup.daily_rollup`
of the warehouse's events in the engine, as the table ``Settings.daily_counts_table``.
The events keep changing after that (each load appends), so counting trusts the
rollup only while it is current: its rows' summed ``events`` equal the number of
events. ``daily_rollup`` keeps every event in some row (a null ``at`` makes a
null ``day``, a kind outside every funnel its own ``kind``), so that sum is
exactly the count of the events it was made from. A stale rollup counts fewer
(or more) and is left aside: counting scans the events, never wrong, at worst
slower, and a warning names the command that brings it up to date.

The verdict is kept per process for :data:`CHECK_SECONDS`: a command checks
once (one query), the web app's workers once a minute. The web app already
counts the events for its fingerprint (``services/warehouse.py``) and passes
that count to :func:`note_events_count`, which re-checks a current rollup only
when the count moved (a stale one each time, so a new rollup is soon seen), and
pages cost no query of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from backplan.config import Settings
from backplan.events.rollup import ROLLUP_COLUMNS
from backplan.metrics.engine_tables import read_table

CHECK_SECONDS = 60.0
"""How long a verdict on the rollup holds before it is taken again (as the web app's
fingerprint of a warehouse)."""
log = logging.getLogger("backplan.warehouse")


@dataclass(frozen=True)
class Verdict:
    """What the last check found: the events' count, the rollup's, and when."""

    events: int
    covered: int
    checked: float

    @property
    def current(self) -> bool:
        return self.covered == self.events


_verdicts: dict[tuple[str, str, str], Verdict] = {}
_lock = threading.Lock()


def read_rollup(backend: Any, where: str) -> ir.Table | None:
    """The rollup table (or Parquet) at ``where``, or None if there is none (or what is
    there lacks the rollup's columns: some other table of that name)."""
    try:
        found = read_table(backend, where)
    except Exception:  # each backend says "no such table" its own way
        return None
    if any(column not in found.columns for column in ROLLUP_COLUMNS):
        log.warning("%s is not a rollup (columns %s): counting reads the events", where,
                    ", ".join(ROLLUP_COLUMNS))  # fmt: skip
        return None
    return found


def current_rollup(backend: Any, events: ir.Table, settings: Settings) -> ir.Table | None:
    """The warehouse's rollup if it covers exactly ``events``, else None (count the events)."""
    where = settings.daily_counts_table
    if where is None:
        return None
    key = _key(settings, where)
    with _lock:
        verdict = _verdicts.get(key)
    if verdict is not None and not verdict.current and not _expired(verdict):
        return None  # known stale: not even a look in the engine's catalog
    rollup = read_rollup(backend, where)
    if rollup is None:
        _forget(key)
        return None
    if verdict is None or _expired(verdict):
        found = events.aggregate(n=events.count()).cross_join(
            rollup.aggregate(covered=rollup.events.sum())
        )
        row = found.execute().iloc[0]
        verdict = _record(key, int(row["n"]), as_count(row["covered"]))
    return rollup if verdict.current else None


def note_events_count(backend: Any, settings: Settings, events: int) -> None:
    """The warehouse holds ``events`` events now: check the rollup again only if that moved."""
    where = settings.daily_counts_table
    if where is None:
        return
    key = _key(settings, where)
    with _lock:
        verdict = _verdicts.get(key)
    if verdict is not None and verdict.current and verdict.events == events:
        _record(key, events, verdict.covered)  # nothing loaded since: the rollup still covers all
        return
    rollup = read_rollup(backend, where)
    if rollup is None:
        _forget(key)
        return
    _record(key, events, as_count(rollup.events.sum().execute()))


def forget_verdicts() -> None:
    """Check every rollup afresh (after materialising one, and between tests)."""
    with _lock:
        _verdicts.clear()


def _record(key: tuple[str, str, str], events: int, covered: int) -> Verdict:
    verdict = Verdict(events, covered, time.monotonic())
    with _lock:
        before = _verdicts.get(key)
        _verdicts[key] = verdict
    if not verdict.current and (
        before is None or (before.events, before.covered) != (events, covered)
    ):
        log.warning(
            "the rollup %s covers %s events of %s: counting reads the events until "
            "`backplan warehouse rollup` brings it up to date",
            key[2],
            f"{covered:,}",
            f"{events:,}",
        )
    return verdict


def _expired(verdict: Verdict) -> bool:
    return time.monotonic() - verdict.checked >= CHECK_SECONDS


def _forget(key: tuple[str, str, str]) -> None:
    with _lock:
        _verdicts.pop(key, None)


def _key(settings: Settings, where: str) -> tuple[str, str, str]:
    return (settings.events_url or "", settings.events_table, where)


def as_count(value: Any) -> int:
    """A summed count as an int (a sum over no rows is null: it covers nothing)."""
    return 0 if value is None or value != value else int(value)
