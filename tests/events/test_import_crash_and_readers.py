"""A large import killed with SIGKILL leaves the old events; readers run while an import writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from backplan.config import Settings
from backplan.events.schema import events_glob
from backplan.events.store import EventStore
from backplan.services.demo.generator import write_demo_events
from backplan.services.importing import recent_imports

BIG = 2_000_000
OLD = 20_000
END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two million canonical events as CSV (written once for this module)."""
    work = tmp_path_factory.mktemp("big")
    write_demo_events(work / "home", reps=40, events=BIG, seed=99, end=END)
    path = work / "events.csv"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{events_glob(work / 'home')}')) TO '{path}' (HEADER)"
    )
    con.close()
    return path


def start_import(home: Path, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BACKPLAN_HOME": str(home)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from backplan.cli import main; main()",
            "import",
            str(path),
            "--mapping",
            "events",
            "--add-reps",
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def old_events(home: Path) -> None:
    write_demo_events(home, reps=5, events=OLD, seed=1, end=END)


def count(con: duckdb.DuckDBPyConnection, home: Path) -> int:
    row = con.execute(f"SELECT count(*) FROM read_parquet('{events_glob(home)}')").fetchone()
    return int(row[0]) if row else -1


@pytest.mark.slow
def test_kill_9_in_the_middle_of_a_large_import_leaves_the_store_with_its_old_events(
    backplan_home: Path, big_csv: Path
) -> None:
    old_events(backplan_home)
    process = start_import(backplan_home, big_csv)
    staging = backplan_home / "staging"
    deadline = time.monotonic() + 60
    while not any(staging.glob("events-*/part-0.parquet")):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # well into writing the staged batch
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    con = duckdb.connect()
    assert count(con, backplan_home) == OLD
    assert EventStore(backplan_home).count() == OLD
    settings = Settings(home=backplan_home)
    assert recent_imports(settings)[0]["status"] == "running"
    # The next import clears the debris, logs the dead one as interrupted, and works.
    small = backplan_home.parent / "small.csv"
    small.write_text("event_id,rep,at,kind\nx1,ana,2025-01-02,dial\n")
    finished = start_import(backplan_home, small)
    assert finished.wait(60) == 0
    assert not any(staging.glob("events-*"))
    assert [r["status"] for r in recent_imports(settings)] == ["done", "interrupted"]
    assert count(con, backplan_home) == OLD + 1


@pytest.mark.slow
def test_a_reader_keeps_querying_while_a_large_import_writes_and_never_sees_half_of_it(
    backplan_home: Path, big_csv: Path
) -> None:
    old_events(backplan_home)
    reader = duckdb.connect()
    assert count(reader, backplan_home) == OLD
    process = start_import(backplan_home, big_csv)
    seen: set[int] = set()
    while process.poll() is None:
        seen.add(count(reader, backplan_home))
        time.sleep(0.02)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    seen.add(count(reader, backplan_home))
    assert seen == {OLD, OLD + BIG}
    # Importing the same file again, while still reading, adds nothing.
    again = start_import(backplan_home, big_csv)
    while again.poll() is None:
        assert count(reader, backplan_home) == OLD + BIG
        time.sleep(0.05)
    assert again.returncode == 0
    assert count(reader, backplan_home) == OLD + BIG
