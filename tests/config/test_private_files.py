"""What backplan keeps is its owner's alone: BACKPLAN_HOME 0700, every file in it 0600
(issue 14, item 5): the app database holds password hashes and session tokens, the store
the organisation's activity, uploads and rejects its raw files."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from backplan import appdb
from backplan.config import Settings
from backplan.events.store import EventStore
from backplan.services.importing import ImportRequest, import_file
from backplan.web.context import secret_key

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def everything_in(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if not p.is_symlink()]


@pytest.fixture(autouse=True)
def a_lax_umask():  # type: ignore[no-untyped-def]
    """Most systems create files 0644 and folders 0755: backplan must not rely on the umask."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def fresh_home(tmp_path: Path) -> Path:
    return tmp_path / "not-yet" / "home"


def test_the_app_database_and_its_wal_files_are_the_owners_only(fresh_home: Path) -> None:
    settings = Settings(home=fresh_home, today="2025-06-01")
    appdb.dispose()
    with appdb.connection(settings) as conn:
        conn.execute(text("INSERT INTO teams (name) VALUES ('East')"))
    assert mode(fresh_home) == 0o700
    files = sorted(fresh_home.glob("backplan.db*"))
    assert {f.name for f in files} >= {"backplan.db", "backplan.db-wal", "backplan.db-shm"}
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    appdb.dispose()


def test_a_database_left_readable_by_an_older_backplan_is_tightened(fresh_home: Path) -> None:
    fresh_home.mkdir(parents=True)
    (fresh_home / "backplan.db").touch(mode=0o644)
    os.chmod(fresh_home, 0o755)
    appdb.dispose()
    appdb.engine(Settings(home=fresh_home, today="2025-06-01"))
    assert mode(fresh_home / "backplan.db") == 0o600
    assert mode(fresh_home) == 0o700
    appdb.dispose()


def test_the_secret_key_and_its_home(fresh_home: Path) -> None:
    secret_key(Settings(home=fresh_home, today="2025-06-01"))
    assert mode(fresh_home) == 0o700
    assert mode(fresh_home / "secret.key") == 0o600


def test_the_event_store_writes_its_files_0600_and_folders_0700(backplan_home: Path) -> None:
    from test_event_store import events

    store = EventStore(backplan_home)
    store.append(events(range(10)))
    store.append(events(range(10, 20)))
    for _ in range(2):
        store.compact(min_files=2)
    found = everything_in(backplan_home)
    assert any(p.suffix == ".parquet" for p in found)
    assert {p: mode(p) for p in found} == {p: 0o700 if p.is_dir() else 0o600 for p in found}
    assert mode(backplan_home) == 0o700


def test_an_import_and_its_rejects_are_the_owners_only(backplan_home: Path) -> None:
    source = backplan_home.parent / "events.csv"
    source.write_text(
        "event_id,rep,at,kind,prospect,amount,source\n"
        "e1,ana,2025-01-02 09:00:00,dial,p1,,Inbound\n"
        "e2,ana,not a date,dial,p1,,Inbound\n"
    )
    settings = Settings(home=backplan_home, today="2025-06-01")
    summary = import_file(settings, ImportRequest(source, "events", now=NOW, allow_rejects=True))
    assert summary.rejects_file
    found = everything_in(backplan_home)
    assert Path(summary.rejects_file) in found
    assert {p: mode(p) for p in found} == {p: 0o700 if p.is_dir() else 0o600 for p in found}
    appdb.dispose()


def test_the_backplan_command_runs_with_a_private_umask(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from backplan.cli import main

    monkeypatch.setattr("sys.argv", ["backplan", "config", "--json"])
    with pytest.raises(SystemExit):
        main()
    assert os.umask(0o022) == 0o077
