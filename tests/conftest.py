"""Shared fixtures: where the public sample data lives, and a clean BACKPLAN_HOME per test."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("BACKPLAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
POSTGRES_URL = os.environ.get("BACKPLAN_TEST_DATABASE_URL")
"""A PostgreSQL server for the app-database tests (CI sets it); read before tests clear BACKPLAN_*."""


@pytest.fixture
def shared_data() -> Path:
    """The public sample data beside the checkout (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"sample data not found at {SHARED_DATA}; set BACKPLAN_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def backplan_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty BACKPLAN_HOME and no stray settings."""
    home = tmp_path / "backplan-home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("BACKPLAN_") and name != "BACKPLAN_SHARED_DATA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("BACKPLAN_HOME", str(home))
    return home


@pytest.fixture(params=["sqlite", "postgresql"])
def app_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Runs a test on the embedded SQLite app database and on PostgreSQL (an empty schema).

    The PostgreSQL run needs BACKPLAN_TEST_DATABASE_URL (``.ci/run`` starts a server and sets it).
    """
    from backplan import appdb

    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip(
                "set BACKPLAN_TEST_DATABASE_URL to run the app-database tests on PostgreSQL"
            )
        url = worker_database(POSTGRES_URL)
        reset_postgres(url)
        monkeypatch.setenv("BACKPLAN_DATABASE_URL", url)
    appdb.dispose()
    yield request.param
    appdb.dispose()


@functools.cache
def worker_database(url: str) -> str:
    """Each pytest-xdist worker its own database on the server (``backplan_test_gw0`` ...),
    so two workers never drop each other's tables; the URL as given without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    given = make_url(url)
    name = f"{given.database}_{worker}"
    admin = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


def reset_postgres(url: str) -> None:
    """An empty public schema: every test starts from a database with no tables."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def spark():
    """One local Spark for the whole run (per worker): it takes seconds to start. Tests that
    use it have ``pyspark`` in their names, so ``-k "not pyspark"`` leaves them out."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("backplan-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
