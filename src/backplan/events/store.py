"""The embedded event store: an append-only folder of Parquet files that DuckDB reads.

Why this shape. DuckDB lets one process write a database file at a time, and
an import must run while the web server reads. So events are not kept in a
DuckDB file: every reader opens an in-memory DuckDB connection over the
Parquet files, and writers only ever *add complete files*:

* a batch (one import, one demo load) is written to ``BACKPLAN_HOME/staging``
  on the same filesystem, then moved into ``events/`` with one directory
  rename, which is atomic: a reader globbing ``events/**/*.parquet`` sees all
  of the batch or none of it, and a crash or ``kill -9`` mid-import leaves
  only a staging folder that the next writer deletes;
* writers (imports, demo loads, compaction) take an exclusive lock on
  ``BACKPLAN_HOME/events.lock``, so two imports cannot both add the same
  event; readers never lock;
* ``events`` is a symbolic link to a *generation* folder
  (``event-store/g000001``). Compaction merges the small files of many
  imports into a new generation and swaps the link in one atomic rename;
  the old generation is deleted later, once no query can still be reading it.

Layout of ``BACKPLAN_HOME``::

    events -> event-store/g000002      the store readers glob (events_glob)
    event-store/g000002/b20250301T101500-3f2a9c1e/part-0.parquet
    staging/                           batches being written (deleted on crash)
    tmp/duckdb-<pid>/                  where a DuckDB query spills when memory runs short
    tmp/parse-<pid>-<id>/              an upload being read, before its import takes the lock
    events.lock                        held by the one writer

Each batch folder also holds ``_daily-counts.rollup``, the batch's events
counted per rep, day, kind and source (``events/rollup.py``), written before
the rename: counting per period reads those instead of every event.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from backplan.config.private import create_private_file, private_folder, private_tree
from backplan.events.errors import StoreBusy
from backplan.events.rollup import ROLLUP_FILE, write_rollup
from backplan.events.schema import EVENT_COLUMNS, EVENT_SCHEMA, events_dir, events_glob

GENERATIONS = "event-store"
STAGING = "staging"
SPILL = "tmp"
LOCK = "events.lock"
RETIRED = "RETIRED"
# An old generation stays on disk this long after compaction, for queries that
# globbed it just before the swap.
RETIRED_GRACE_SECONDS = 600.0
DUCKDB_MEMORY_LIMIT = "1GB"

_COLUMNS_SQL = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
_EMPTY_SQL = (
    'SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS rep, NULL::TIMESTAMPTZ AS "at", '
    "NULL::VARCHAR AS kind, NULL::VARCHAR AS prospect, NULL::DOUBLE AS amount, "
    "NULL::VARCHAR AS source WHERE false"
)


@dataclass(frozen=True)
class CommitResult:
    """What a batch added: new events, events already stored, and the batch folder (if any)."""

    added: int
    duplicates: int
    batch: str | None


@dataclass(frozen=True)
class CompactResult:
    files_before: int
    files_after: int
    events: int


def duckdb_connection(home: Path, *, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection in UTC that spills to ``BACKPLAN_HOME/tmp`` if memory runs short."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    # Never draw DuckDB's own progress bar: it would mix with --json output.
    con.execute("SET enable_progress_bar_print = false")
    # One folder per process: a writer clears the folders of processes that have died.
    spill = home / SPILL / f"duckdb-{os.getpid()}"
    con.execute(f"SET temp_directory = '{_sql_path(spill)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


class EventStore:
    """The events of one ``BACKPLAN_HOME``.

    >>> store = EventStore(home)
    >>> store.append(table)          # idempotent: events whose id is stored are skipped
    CommitResult(added=..., duplicates=..., batch=...)
    >>> store.count()
    """

    def __init__(self, home: Path) -> None:
        self.home = Path(home)

    @property
    def dir(self) -> Path:
        return events_dir(self.home)

    @property
    def glob(self) -> str:
        return events_glob(self.home)

    def files(self) -> list[Path]:
        """Every complete Parquet file of the store."""
        if not self.dir.exists():
            return []
        return sorted(self.dir.glob("**/*.parquet"))

    def count(self) -> int:
        """How many events the store holds (from the Parquet footers, without scanning)."""
        total = 0
        for path in self.files():
            with contextlib.suppress(FileNotFoundError):
                total += pq.ParquetFile(path).metadata.num_rows
        return total

    @property
    def is_empty(self) -> bool:
        return self.count() == 0

    def relation_sql(self) -> str:
        """SQL for the stored events (an empty, typed relation when there are none)."""
        if not self.files():
            return _EMPTY_SQL
        return f"SELECT {_COLUMNS_SQL} FROM read_parquet('{_sql_path(self.glob)}')"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A fresh in-memory connection with a view ``events`` over the store (re-globbed per query)."""
        con = duckdb_connection(self.home)
        if self.files():
            con.execute(
                f"CREATE VIEW events AS SELECT {_COLUMNS_SQL} "
                f"FROM read_parquet('{_sql_path(self.glob)}')"
            )
        else:
            con.execute(f"CREATE VIEW events AS {_EMPTY_SQL}")
        return con

    @contextlib.contextmanager
    def writer(self, *, wait: float = 600.0) -> Iterator[StoreWriter]:
        """The one writer of this store, holding the lock until the block ends."""
        private_folder(self.home)
        with _exclusive_lock(self.home / LOCK, wait):
            writer = StoreWriter(self)
            writer.prepare()
            try:
                yield writer
            finally:
                writer.discard_staging()

    @contextlib.contextmanager
    def scratch(self, name: str = "parse") -> Iterator[Path]:
        """A private folder for work done *before* taking the lock (reading an upload, so a
        slow file never makes other writers wait); removed when the block ends, or by the
        next writer should this process die."""
        spill = private_folder(self.home / SPILL)
        folder = private_folder(spill / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:12]}")
        try:
            yield folder
        finally:
            _remove(folder)

    def append(
        self, data: pa.Table | Iterable[pa.RecordBatch], *, rows_per_file: int = 2_000_000
    ) -> CommitResult:
        """Add canonical events, skipping those whose ``event_id`` is already stored.

        ``data`` is a table or record batches with the columns of ``EVENT_SCHEMA``;
        event ids must be unique within ``data``.
        """
        with self.writer() as writer:
            staged = writer.new_staging()
            batches = data.to_batches() if isinstance(data, pa.Table) else data
            write_parquet_batches(staged, batches, rows_per_file=rows_per_file)
            return writer.commit(staged)

    def compact(self, *, min_files: int = 8) -> CompactResult:
        """Merge the store's files into few large ones, sorted by time, in a new generation.

        Nothing happens when the store has fewer than ``min_files`` files.
        """
        with self.writer() as writer:
            return writer.compact(min_files=min_files)


class StoreWriter:
    """Writes batches into the store; only exists while holding the store's lock."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.home = store.home
        self._staging: list[Path] = []
        self._held: Path | None = None

    def prepare(self) -> None:
        """Clear what crashed writers left behind and make sure the store folder exists."""
        staging = self.home / STAGING
        if staging.exists():
            # We hold the lock: nobody else is writing, so all of this is debris.
            for leftover in staging.iterdir():
                _remove(leftover)
        private_folder(staging)
        for spill in [*(self.home / SPILL).glob("duckdb-*"), *(self.home / SPILL).glob("parse-*")]:
            pid = spill.name.split("-")[1]
            if pid.isdigit() and not _alive(int(pid)):
                _remove(spill)
        self._ensure_layout()
        self._drop_retired_generations()
        self._add_missing_rollups()

    def new_staging(self, name: str = "batch") -> Path:
        """An empty folder in ``BACKPLAN_HOME/staging`` (same filesystem as the store)."""
        path = self.home / STAGING / f"{name}-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True, mode=0o700)
        self._staging.append(path)
        return path

    def discard_staging(self) -> None:
        for path in self._staging:
            _remove(path)
        self._staging.clear()

    def commit(self, staged: Path, *, label: str = "b") -> CommitResult:
        """Move the Parquet files in ``staged`` into the store, minus events already stored.

        ``staged`` holds files with the columns of ``EVENT_SCHEMA`` and unique
        event ids. Only the final directory rename makes them visible.
        """
        files = sorted(staged.glob("*.parquet"))
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        if rows == 0:
            return CommitResult(0, 0, None)
        staged_sql = f"read_parquet('{_sql_path(staged / '*.parquet')}')"
        if self.store.files():
            con = duckdb_connection(self.home)
            try:
                stored = con.execute(
                    f"SELECT count(*) FROM {staged_sql} WHERE event_id IN "
                    f"(SELECT event_id FROM read_parquet('{_sql_path(self.store.glob)}'))"
                ).fetchone()
                duplicates = int(stored[0]) if stored else 0
                if duplicates:
                    fresh = self.new_staging("fresh")
                    if duplicates < rows:
                        con.execute(
                            f"COPY (SELECT s.* FROM {staged_sql} s ANTI JOIN "
                            f"read_parquet('{_sql_path(self.store.glob)}') e USING (event_id)) "
                            f"TO '{_sql_path(fresh / 'part-0.parquet')}' (FORMAT parquet)"
                        )
                    staged = fresh
            finally:
                con.close()
        else:
            duplicates = 0
        added = rows - duplicates
        if added == 0:
            return CommitResult(0, duplicates, None)
        if self._held is not None:
            # Held back: the files wait beside the others until ``release`` adds them all.
            for index, path in enumerate(sorted(staged.glob("*.parquet"))):
                os.rename(path, self._held / f"{staged.name}-{index}.parquet")
            return CommitResult(added, duplicates, None)
        name = f"{label}{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        target = self.store.dir / name
        # Counted from the files as committed (duplicates left out), in the same folder:
        # the one rename below adds the events and their daily counts together.
        write_rollup(staged, self.home)
        private_tree(staged)  # DuckDB and Arrow write files with the process's umask
        _fsync_tree(staged)
        os.rename(staged, target)
        _fsync_dir(self.store.dir)
        return CommitResult(added, duplicates, name)

    def hold(self) -> None:
        """Hold every further commit back until ``release``: several imports (the objects of
        one CRM sync) become one batch, added all at once or, should anything fail, not at all.
        The held events must not share ids (each commit is checked against the store only)."""
        self._held = self.new_staging("held")

    def release(self, *, label: str = "b") -> CommitResult:
        """Add what the commits since ``hold`` kept back, as one batch (one atomic rename)."""
        held, self._held = self._held, None
        if held is None:
            raise RuntimeError("release() without hold()")
        return self.commit(held, label=label)

    def compact(self, *, min_files: int) -> CompactResult:
        files = self.store.files()
        if len(files) < min_files:
            total = self.store.count()
            return CompactResult(len(files), len(files), total)
        total = self.store.count()
        staged = self.new_staging("compact")
        con = duckdb_connection(self.home)
        try:
            sources = ", ".join(f"'{_sql_path(f)}'" for f in files)
            con.execute(
                f'COPY (SELECT {_COLUMNS_SQL} FROM read_parquet([{sources}]) ORDER BY "at") '
                f"TO '{_sql_path(staged)}' (FORMAT parquet, FILE_SIZE_BYTES '512MB', "
                f"ROW_GROUP_SIZE 122880, FILENAME_PATTERN 'part-{{i}}')"
            )
        finally:
            con.close()
        written = sorted(staged.glob("*.parquet"))
        if sum(pq.ParquetFile(f).metadata.num_rows for f in written) != total:
            raise RuntimeError(
                "compaction wrote a different number of events; store left as it was"
            )
        batch = f"c{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        # Counted afresh from the merged events rather than summed from the batches' rollups:
        # exact by construction, and a store from before rollups gains one here.
        write_rollup(staged, self.home)
        private_tree(staged)
        _fsync_tree(staged)
        link = self.store.dir
        if link.is_symlink():
            current = link.resolve()
            generation = private_folder(self._next_generation())
            os.rename(staged, generation / batch)
            _swap_link(link, generation)
            create_private_file(current / RETIRED).write_text(f"{time.time()}\n")
        else:
            # A plain folder (no symlinks here): add the merged batch, then retire the
            # old ones. A query in between may count events twice, so this is the fallback.
            os.rename(staged, link / batch)
            for old in files:
                _remove(old if old.parent == link else old.parent)
        return CompactResult(len(files), len(written), total)

    def _add_missing_rollups(self) -> None:
        """Give each batch committed before rollups existed its rollup, once: written in
        staging and renamed in as one file, so a reader finds it whole or not at all."""
        batches = {p.parent for p in self.store.files()}
        for batch in sorted(b for b in batches if not (b / ROLLUP_FILE).exists()):
            staged = self.new_staging("rollup")
            written = write_rollup(batch, self.home, into=staged)
            private_tree(staged)
            _fsync_tree(staged)
            os.rename(written, batch / ROLLUP_FILE)

    def _ensure_layout(self) -> None:
        link = self.store.dir
        if link.exists() or link.is_symlink():
            if link.is_symlink() and not link.exists():
                # A dangling link (its generation was removed by hand): start a new one.
                generation = private_folder(self._next_generation())
                _swap_link(link, generation)
            return
        private_folder(self.home / GENERATIONS)
        generation = private_folder(self._next_generation())
        try:
            os.symlink(os.path.relpath(generation, link.parent), link, target_is_directory=True)
        except (OSError, NotImplementedError):
            # No symlinks (some Windows setups): a plain folder, compaction not atomic.
            generation.rmdir()
            private_folder(link)

    def _next_generation(self) -> Path:
        root = self.home / GENERATIONS
        numbers = [int(p.name[1:]) for p in root.glob("g*") if p.name[1:].isdigit()]
        return root / f"g{max(numbers, default=0) + 1:06d}"

    def _drop_retired_generations(self, grace: float = RETIRED_GRACE_SECONDS) -> None:
        root = self.home / GENERATIONS
        if not root.exists():
            return
        current = self.store.dir.resolve() if self.store.dir.is_symlink() else None
        for generation in root.iterdir():
            marker = generation / RETIRED
            if generation == current or not marker.exists():
                continue
            with contextlib.suppress(ValueError, OSError):
                if time.time() - float(marker.read_text().strip()) > grace:
                    _remove(generation)


def write_parquet_batches(
    folder: Path, batches: Iterable[pa.RecordBatch], *, rows_per_file: int = 2_000_000
) -> int:
    """Write event batches as Parquet files of ``EVENT_SCHEMA`` in ``folder``; returns the row count."""
    writer: pq.ParquetWriter | None = None
    index = rows_in_file = total = 0
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if writer is None or rows_in_file >= rows_per_file:
                if writer is not None:
                    writer.close()
                writer = pq.ParquetWriter(folder / f"part-{index}.parquet", EVENT_SCHEMA)
                index += 1
                rows_in_file = 0
            writer.write_batch(batch.select(list(EVENT_COLUMNS)).cast(EVENT_SCHEMA))
            rows_in_file += batch.num_rows
            total += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    return total


def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap, safe check elsewhere: keep the folder
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_link(link: Path, generation: Path) -> None:
    tmp = link.with_name(f".{link.name}-{uuid.uuid4().hex[:8]}")
    os.symlink(os.path.relpath(generation, link.parent), tmp, target_is_directory=True)
    os.replace(tmp, link)  # atomic: readers see the old generation or the new one
    _fsync_dir(link.parent)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.glob("*.parquet"), *folder.glob(f"*{ROLLUP_FILE}")]:
        with open(path, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive_lock(path: Path, wait: float) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one writer assumed
        yield
        return
    create_private_file(path)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"another import is writing to {path.parent}; wait for it to finish "
                        "and run the command again"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
