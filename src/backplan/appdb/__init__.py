"""The app database: roster, import log and (later) users, OKRs and plans, through SQLAlchemy.

SQLite in ``BACKPLAN_HOME/backplan.db`` by default (WAL, so the web server can
read while an import writes), PostgreSQL when ``BACKPLAN_DATABASE_URL`` says so.
The schema is kept by Alembic migrations shipped inside the package; opening
the database applies any that are missing (``upgrade head``).

    >>> with session(get_settings()) as db:
    ...     db.scalars(select(Rep)).all()
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker

from backplan.config import Settings
from backplan.config.private import create_private_file, private_file, private_folder

MIGRATIONS = Path(__file__).with_name("migrations")

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
MAX_ENGINES = 8
"""Engines kept open at once (one per database URL); the least recently used is closed."""


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped with backplan."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def engine(settings: Settings) -> Engine:
    """The engine for the app database, migrated to the newest schema on first use."""
    url = settings.app_database_url
    with _lock:
        found = _engines.pop(url, None)
        if found is None:
            found = _open(url, settings.home)
        _engines[url] = found  # most recently used last
        while len(_engines) > MAX_ENGINES:
            _engines.pop(next(iter(_engines))).dispose()
        return found


def session(settings: Settings) -> _SessionContext:
    """A session in a transaction: committed when the block ends, rolled back on error."""
    return _SessionContext(engine(settings))


class _SessionContext:
    def __init__(self, bound: Engine) -> None:
        self._factory = sessionmaker(bound, expire_on_commit=False)

    def __enter__(self) -> Session:
        self._session = self._factory()
        self._session.begin()
        return self._session

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        try:
            if kind is None:
                self._session.commit()
            else:
                self._session.rollback()
        finally:
            self._session.close()


@contextmanager
def connection(settings: Settings) -> Iterator[Any]:
    """A plain connection in a transaction, for bulk statements."""
    with engine(settings).begin() as conn:
        yield conn


def dispose() -> None:
    """Close every pooled connection (tests and forked workers call this)."""
    with _lock:
        for bound in _engines.values():
            bound.dispose()
        _engines.clear()


def _open(url: str, home: Path) -> Engine:
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database and parsed.database != ":memory:":
        _private_sqlite_file(Path(parsed.database), home)
    bound = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    if sqlite:
        event.listen(bound, "connect", _sqlite_pragmas)
    _migrate(bound)
    return bound


def _private_sqlite_file(database: Path, home: Path) -> None:
    """The database and its journals 0600 (they hold password hashes and session tokens), in
    a folder created 0700; the home itself is made private, a folder elsewhere is left as is."""
    folder = database.parent
    if not folder.exists() or folder.resolve() == home.resolve():
        private_folder(folder)
    create_private_file(database)  # SQLite gives -wal and -shm the database's mode
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(database.with_name(database.name + suffix))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the web server) carry on while an import writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _migrate(bound: Engine) -> None:
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with bound.begin() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
