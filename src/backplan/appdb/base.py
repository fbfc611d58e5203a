"""The declarative base every app-database table derives from, and the engine it lives in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from backplan.settings import Settings


class Base(DeclarativeBase):
    """All app-database tables; ``Base.metadata`` is what migrations describe."""


class Database:
    """One engine and its session factory for the app database named by the settings.

    SQLite files run in WAL mode, so the web server can read while an import
    or a command writes.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_settings(cls, settings: Settings) -> Database:
        if not settings.database_url:
            settings.home.mkdir(parents=True, exist_ok=True)
        return cls(settings.app_database_url)

    def create_all(self) -> None:
        """Create the tables that do not exist yet."""
        # Import the table modules so that their classes are registered on Base.
        from backplan.appdb import accounts, agreements  # noqa: F401

        Base.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on an error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
