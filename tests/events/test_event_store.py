"""The embedded event store: append-only Parquet batches, atomic renames, idempotent appends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backplan.events.errors import StoreBusy
from backplan.events.schema import EVENT_SCHEMA, events_dir, events_glob
from backplan.events.store import EventStore

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def events(ids: range, *, rep: str = "ana", kind: str = "dial") -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "event_id": [f"e{i}" for i in ids],
            "rep": [rep] * n,
            "at": [T0 + timedelta(minutes=i) for i in ids],
            "kind": [kind] * n,
            "prospect": [f"p{i % 7}" for i in ids],
            "amount": [None] * n,
            "source": ["Inbound"] * n,
        },
        schema=EVENT_SCHEMA,
    )


def count_with_duckdb(home: Path) -> int:
    con = duckdb.connect()
    row = con.execute(f"SELECT count(*) FROM read_parquet('{events_glob(home)}')").fetchone()
    con.close()
    return int(row[0]) if row else 0


def test_a_new_store_is_empty_and_readers_see_no_files(backplan_home: Path) -> None:
    store = EventStore(backplan_home)
    assert store.count() == 0
    assert store.is_empty
    assert store.connect().execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_append_adds_events_and_a_second_append_of_the_same_ids_adds_nothing(
    backplan_home: Path,
) -> None:
    store = EventStore(backplan_home)
    first = store.append(events(range(100)))
    again = store.append(events(range(100)))
    overlap = store.append(events(range(90, 130)))
    assert (first.added, first.duplicates) == (100, 0)
    assert (again.added, again.duplicates, again.batch) == (0, 100, None)
    assert (overlap.added, overlap.duplicates) == (30, 10)
    assert store.count() == 130
    assert count_with_duckdb(backplan_home) == 130


def test_stored_files_have_the_canonical_columns_and_types(backplan_home: Path) -> None:
    store = EventStore(backplan_home)
    store.append(events(range(10)))
    store.append(events(range(5, 20)))  # the second batch is rewritten by DuckDB (overlap)
    for path in store.files():
        schema = pq.read_schema(path)
        assert schema.names == EVENT_SCHEMA.names
        assert [f.type for f in schema] == [f.type for f in EVENT_SCHEMA]


def test_batches_live_below_the_events_folder_and_staging_is_outside_it(
    backplan_home: Path,
) -> None:
    store = EventStore(backplan_home)
    store.append(events(range(10)))
    assert events_dir(backplan_home).is_symlink()
    (batch,) = store.files()
    assert batch.parent.parent == events_dir(backplan_home)
    assert not (events_dir(backplan_home) / "staging").exists()
    assert (backplan_home / "staging").is_dir()


def test_debris_of_a_crashed_writer_is_removed_by_the_next_writer(backplan_home: Path) -> None:
    store = EventStore(backplan_home)
    store.append(events(range(10)))
    debris = backplan_home / "staging" / "events-deadbeef"
    debris.mkdir(parents=True)
    pq.write_table(events(range(10, 20)), debris / "part-0.parquet")
    assert store.count() == 10  # readers never see staging
    store.append(events(range(20, 25)))
    assert not debris.exists()
    assert store.count() == 15


def test_a_reader_connection_kept_open_sees_each_append_once_it_is_committed(
    backplan_home: Path,
) -> None:
    store = EventStore(backplan_home)
    store.append(events(range(50)))
    reader = store.connect()
    assert reader.execute("SELECT count(*) FROM events").fetchone() == (50,)
    store.append(events(range(50, 80)))
    assert reader.execute("SELECT count(*) FROM events").fetchone() == (80,)
    reader.close()


def test_compaction_merges_files_atomically_and_keeps_every_event(backplan_home: Path) -> None:
    store = EventStore(backplan_home)
    for start in range(0, 100, 10):
        store.append(events(range(start, start + 10)))
    reader = store.connect()
    before = set(reader.execute("SELECT event_id FROM events").fetchall())
    old_generation = events_dir(backplan_home).resolve()
    result = store.compact(min_files=2)
    assert (result.files_before, result.files_after, result.events) == (10, 1, 100)
    assert set(reader.execute("SELECT event_id FROM events").fetchall()) == before
    assert events_dir(backplan_home).resolve() != old_generation
    # The old generation stays for readers that globbed it, until the grace period ends.
    assert old_generation.exists()
    with store.writer() as writer:
        writer._drop_retired_generations(grace=0)
    assert not old_generation.exists()
    assert store.count() == 100


def test_compaction_leaves_few_files_alone(backplan_home: Path) -> None:
    store = EventStore(backplan_home)
    store.append(events(range(10)))
    result = store.compact(min_files=8)
    assert (result.files_before, result.files_after) == (1, 1)


def test_a_second_writer_waits_for_the_lock_and_gives_up_with_a_named_error(
    backplan_home: Path,
) -> None:
    store = EventStore(backplan_home)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.writer():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    try:
        with pytest.raises(StoreBusy, match="another import is writing"), store.writer(wait=0.3):
            pass
    finally:
        release.set()
        thread.join()
    with store.writer(wait=1):
        pass


def test_an_import_that_leaves_many_small_files_compacts_the_store(
    backplan_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backplan.config import get_settings
    from backplan.services import importing
    from backplan.services.importing import ImportRequest, import_file

    monkeypatch.setattr(importing, "AUTO_COMPACT_FILES", 4)
    store = EventStore(backplan_home)
    for i in range(3):
        store.append(events(range(i * 10, i * 10 + 10)))
    path = tmp_path / "more.csv"
    path.write_text("event_id,rep,at,kind\nx1,ana,2025-01-02,dial\n")
    summary = import_file(get_settings(), ImportRequest(path, "events"))
    assert summary.compacted and summary.added == 1
    assert len(store.files()) == 1 and store.count() == 31
