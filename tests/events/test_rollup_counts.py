"""The daily rollup kept beside each batch gives exactly the counts a scan of the events gives.

Random batches are imported (some events imported again: the store skips
them, and the rollup must not count them twice), sometimes compacted, and
every count the pages read is compared both ways.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backplan.defaults
from backplan.core.period import Period
from backplan.events.rollup import ROLLUP_FILE, daily_rollup, rollup_files
from backplan.events.schema import EVENT_COLUMNS, EVENT_SCHEMA
from backplan.events.store import EventStore
from backplan.metrics.counts import channel_counts, count_kinds, stage_counts
from backplan.metrics.rollups import rollup_of
from backplan.metrics.source import read_store

OUTBOUND = backplan.defaults.funnel("outbound")
KINDS = ["dial", "connect", "email", "meeting_booked", "sql", "won", "lost", "social"]
START = datetime(2026, 1, 30, tzinfo=UTC)
ROSTER = pd.DataFrame({
    "rep": ["ann", "bob", "cat"], "name": ["Ann", "Bob", "Cat"],
    "team": ["north", "north", "south"], "manager": ["Mo", "Mo", "Sue"],
})  # fmt: skip

event = st.tuples(
    st.integers(0, 60),  # event id number: small, so batches share ids
    st.sampled_from(["ann", "bob", "cat", "dan"]),
    st.integers(0, 40 * 24 * 60),  # minutes after START: around a month's edges
    st.sampled_from(KINDS),
    st.one_of(st.none(), st.sampled_from(["web", "event"])),
    st.one_of(st.none(), st.integers(1, 9000).map(float)),
)
batches = st.lists(st.lists(event, max_size=25), min_size=1, max_size=4)


def records(frame: pd.DataFrame, *sort: str) -> list[dict[str, Any]]:
    """Rows as plain values (dates as text, NaN as None), sorted by ``sort``."""
    if sort:
        frame = frame.sort_values(list(sort), na_position="first")
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {k: v if v is None or isinstance(v, int | float | str) else str(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def as_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    """One batch with unique ids (the first row of an id wins, as a source file would hold one)."""
    seen: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        seen.setdefault(row[0], row)
    columns: dict[str, list[Any]] = {c: [] for c in EVENT_COLUMNS}
    for n, rep, minutes, kind, source, amount in seen.values():
        for name, value in zip(
            EVENT_COLUMNS,
            [f"e{n}", rep, START + timedelta(minutes=minutes), kind, None, amount, source],
            strict=True,
        ):
            columns[name].append(value)
    return pa.table(columns, schema=EVENT_SCHEMA)


def both_ways(events: Any, count: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count(table)`` from the rollup and from a scan of the events (a derived table has no
    rollup attached), as sorted rows."""
    assert rollup_of(events) is not None
    scanned = events.select(*EVENT_COLUMNS)
    assert rollup_of(scanned) is None
    rolled, plain = count(events).to_pandas(), count(scanned).to_pandas()
    keys = [c for c in plain.columns if c in ("rep", "team", "period", "source")]
    return records(rolled, *keys), records(plain, *keys)


WINDOWS = [Period.month(2026, 2), Period.quarter(2026, 1), Period(START.date(), START.date())]
COUNTS = [
    lambda t, w: stage_counts(t, OUTBOUND, w, roster=ROSTER),
    lambda t, w: stage_counts(t, OUTBOUND, w, level="team", grain="week", roster=ROSTER),
    lambda t, w: stage_counts(t, OUTBOUND, w, level="organisation", by_source=True),
    lambda t, w: stage_counts(t, OUTBOUND, w, grain="day", roster=ROSTER),
    lambda t, w: channel_counts(t, OUTBOUND, w, level="organisation", grain="month"),
    lambda t, w: count_kinds(t, {"n": ["won"]}, w, value=("value", ["won"]), roster=ROSTER),
]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=batches, compact=st.booleans())
def test_counts_from_the_rollup_equal_counts_from_the_events(
    batches: list[list[tuple[Any, ...]]], compact: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = EventStore(Path(folder))
        for rows in batches:
            store.append(as_table(rows))
        if compact:
            store.compact(min_files=1)
        if not store.files():
            return
        events = read_store(store.home)
        # The rollups hold exactly the stored events, each once.
        rollup = events.get_backend().read_parquet([str(p) for p in rollup_files(store.dir) or []])
        stored = rollup.group_by("rep", "day", "kind", "source").aggregate(
            events=rollup.events.sum(), amount=rollup.amount.sum()
        )
        assert records(stored.to_pandas(), *stored.columns[:4]) == records(
            daily_rollup(events).to_pandas(), *stored.columns[:4]
        )
        for window in WINDOWS:
            for count in COUNTS:
                rolled, plain = both_ways(events, lambda t, c=count, w=window: c(t, w))
                assert rolled == plain


def test_a_reimport_adds_neither_events_nor_counts(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    batch = as_table([(1, "ann", 60, "sql", None, None), (2, "ann", 61, "dial", "web", None)])
    store.append(batch)
    again = store.append(batch)
    assert (again.added, again.duplicates, again.batch) == (0, 2, None)
    frame = stage_counts(read_store(tmp_path), OUTBOUND, Period.month(2026, 1)).to_pandas()
    assert records(frame)[0]["sqls"] == 1
    assert len(rollup_files(store.dir) or []) == 1


def rollups_and_events(store: EventStore) -> tuple[int, int]:
    return len(store.files()), len(list(store.home.glob(f"**/{ROLLUP_FILE}")))


@pytest.mark.parametrize("fails", ["write_rollup", "private_tree"])
def test_a_failed_commit_leaves_neither_events_nor_rollup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """Whether the rollup cannot be written or the batch fails after it was, nothing shows."""
    from backplan.events import store as store_module

    store = EventStore(tmp_path)
    store.append(as_table([(1, "ann", 60, "sql", None, None)]))
    assert rollups_and_events(store) == (1, 1)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(store_module, fails, broken)
    with pytest.raises(OSError, match="disk full"):
        store.append(as_table([(2, "bob", 70, "sql", None, None)]))
    monkeypatch.undo()
    assert rollups_and_events(store) == (1, 1)
    assert list((tmp_path / "staging").iterdir()) == []
    frame = stage_counts(read_store(tmp_path), OUTBOUND, Period.month(2026, 1)).to_pandas()
    assert [r["rep"] for r in records(frame)] == ["ann"]


def test_a_batch_from_before_rollups_is_counted_from_events_until_the_next_writer_adds_one(
    tmp_path: Path,
) -> None:
    store = EventStore(tmp_path)
    store.append(as_table([(1, "ann", 60, "sql", None, None)]))
    (old,) = store.home.glob(f"**/{ROLLUP_FILE}")
    old.unlink()  # as a store written before rollups existed
    events = read_store(tmp_path)
    assert rollup_of(events) is None
    assert (
        records(stage_counts(events, OUTBOUND, Period.month(2026, 1)).to_pandas())[0]["sqls"] == 1
    )
    store.append(as_table([(2, "ann", 70, "sql", None, None)]))
    events = read_store(tmp_path)
    assert rollup_of(events) is not None
    assert (
        records(stage_counts(events, OUTBOUND, Period.month(2026, 1)).to_pandas())[0]["sqls"] == 2
    )
