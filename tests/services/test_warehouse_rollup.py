"""The warehouse's daily rollup: ``backplan warehouse rollup`` materialises it in the engine, and
counting reads it only while it covers every event, with the same answers as the events give.

The warehouse is a DuckDB file holding the North/South organisation's events, plus an event
without a time and one of a kind no funnel counts: the rollup keeps both in its rows, so it
still covers every event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from ibis.expr.types import Expr
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.events.store import EventStore
from backplan.metrics.rollups import rollup_of
from backplan.metrics.source import open_events
from backplan.metrics.warehouse_rollup import forget_verdicts
from backplan.services.warehouse import warehouse_state
from cli_support import json_answers
from okr_support import north_south_october

runner = CliRunner()
OCTOBER = ["--period", "2026-10", "--as-of", "2026-10-15"]
COMMANDS = {
    "rates": ["rates", "--since", "2026-07-01", "--until", "2026-09-30"],
    "team": ["team", "North"],
    "leadership": ["leadership", *OCTOBER],
}
ODD_ROWS = """
    INSERT INTO crm_events (event_id, rep, "at", kind, prospect, amount, source) VALUES
    ('no-time', 'ana', NULL, 'dial', NULL, NULL, NULL),
    ('webinar', 'ben', TIMESTAMPTZ '2026-10-02 10:00:00+00', 'webinar', NULL, NULL, 'Inbound')
"""


@pytest.fixture(autouse=True)
def fresh_verdicts() -> Iterator[None]:
    forget_verdicts()
    yield
    forget_verdicts()


@pytest.fixture
def warehouse(backplan_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DuckDB file whose table crm_events holds the organisation's events and two odd ones."""
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-10-16T10:00")
    north_south_october(Settings())
    file = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(file)) as con:
        con.execute(
            f"CREATE TABLE crm_events AS SELECT * FROM read_parquet('{backplan_home}/events/*/*.parquet')"
        )
        con.execute(ODD_ROWS)
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", f"duckdb://{file}")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", "crm_events")
    return file


def sql(file: Path, query: str) -> Any:
    with duckdb.connect(str(file)) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(query).fetchall()


def answers() -> dict[str, Any]:
    return json_answers(COMMANDS)


def rollup() -> dict[str, Any]:
    result = runner.invoke(app, ["warehouse", "rollup", "--json"])
    assert result.exit_code == 0, result.output
    forget_verdicts()  # as a new process would: the command and the answers are two runs
    return dict(json.loads(result.stdout))


def attached() -> bool:
    return rollup_of(open_events(Settings())) is not None


def test_the_rollup_gives_the_same_answers_as_the_events(warehouse: Path) -> None:
    scanned = answers()
    assert not attached()  # no rollup yet: counting scans the events
    report = rollup()
    (events,) = sql(warehouse, "SELECT count(*) FROM crm_events")[0]
    (groups,) = sql(
        warehouse,
        'SELECT count(*) FROM (SELECT DISTINCT rep, CAST("at" AS DATE), kind, source FROM crm_events)',
    )[0]
    assert report["table"] == "crm_events_daily_counts"
    assert report["events"] == events and report["rows"] == groups
    assert report["seconds"] >= 0 and groups < events / 10
    # The event without a time and the webinar are in its rows: it covers every event.
    assert sql(warehouse, "SELECT sum(events) FROM crm_events_daily_counts WHERE day IS NULL") == [
        (1,)
    ]
    assert attached()
    assert answers() == scanned
    assert scanned["leadership"]["organisation"]["target"] == 15  # real figures, not empties


def test_counting_reads_the_rollup_while_it_covers_the_events(warehouse: Path) -> None:
    """Proof that the rollup is read: events rewritten in place (same count, other kinds) leave
    the counts as they were, which a scan of the events would not."""
    before = counted(answers()["leadership"])
    rollup()
    sql(warehouse, "UPDATE crm_events SET kind = 'renamed' WHERE kind IN ('dial', 'sql')")
    assert counted(answers()["leadership"]) == before
    sql(warehouse, "DROP TABLE crm_events_daily_counts")  # gone: the events are scanned
    scanned = counted(answers()["leadership"])
    assert scanned != before
    assert scanned["organisation"]["dials"] == 0 < before["organisation"]["dials"]


def counted(leadership: dict[str, Any]) -> dict[str, Any]:
    """What the leadership view counts per period (its forecasts follow prospects: events)."""
    return {
        "organisation": leadership["organisation"]["actual"],
        "teams": [team["actual"] for team in leadership["teams"]],
        "sources": leadership["sources"],
        "trends": leadership["trends"],
    }


def test_a_stale_rollup_is_left_aside_and_named(
    warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rollup()
    before = answers()
    sql(
        warehouse,
        "INSERT INTO crm_events SELECT 'again-' || event_id, rep, \"at\" + INTERVAL 1 HOUR, kind, "
        "prospect, amount, source FROM crm_events WHERE \"at\" >= TIMESTAMPTZ '2026-10-01 00:00:00+00'",
    )
    assert attached()  # the verdict is kept a minute in a process ...
    with caplog.at_level(logging.WARNING, logger="backplan.warehouse"):
        warehouse_state(Settings())  # ... but the web app's fingerprint counts the events
    assert not attached()
    assert "`backplan warehouse rollup`" in caplog.text
    stale = answers()
    assert stale["leadership"] != before["leadership"]  # the new events count
    sql(warehouse, "DROP TABLE crm_events_daily_counts")
    forget_verdicts()
    assert answers() == stale  # what scanning the events says
    result = runner.invoke(app, ["warehouse", "rollup"])  # the command a scheduler runs
    assert result.exit_code == 0, result.output
    (events,) = sql(warehouse, "SELECT count(*) FROM crm_events")[0]
    assert "Rollup crm_events_daily_counts: " in result.stdout
    assert f"covering {events:,} events" in result.stdout
    forget_verdicts()
    assert attached() and answers() == stale  # up to date again: read, same answers


def test_the_web_apps_fingerprint_checks_the_rollup_so_requests_need_not(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rollup()
    settings = Settings()
    warehouse_state(settings)  # counts the events, and checks the rollup's sum once
    asked: list[object] = []
    monkeypatch.setattr(Expr, "execute", lambda *a, **k: asked.append(a))
    events = open_events(settings)  # what each request does
    assert rollup_of(events) is not None and asked == []


def test_without_a_warehouse_there_is_nothing_to_materialise(backplan_home: Path) -> None:
    result = runner.invoke(app, ["warehouse", "rollup", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["table"] is None and found["events"] == 0
    assert "embedded store, which writes each batch's daily rollup" in found["note"]
    result = runner.invoke(app, ["warehouse", "rollup"])
    assert result.exit_code == 0 and "Nothing to do" in result.stdout


def test_parquet_events_need_the_rollup_named(
    backplan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", "duckdb://")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", f"{backplan_home}/events/*/*.parquet")
    result = runner.invoke(app, ["warehouse", "rollup"])
    assert result.exit_code == 2
    assert "set BACKPLAN_ROLLUP_TABLE" in result.stderr
    assert Settings(rollup_table=None, events_table="sales.events").daily_counts_table == (
        "sales.events_daily_counts"
    )


@pytest.mark.slow
def test_pyspark_materialises_the_rollup_and_answers_as_the_embedded_store(
    backplan_home: Path, tmp_path: Path, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Spark, as Parquet beside the events' files, then as a table of a database."""
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-10-16T10:00")
    north_south_october(Settings())
    embedded = answers()
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", "pyspark://")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", f"{backplan_home}/events/*/*.parquet")
    monkeypatch.setenv("BACKPLAN_ROLLUP_TABLE", f"{tmp_path}/daily-counts/")
    stored = sum(pq.read_metadata(p).num_rows for p in EventStore(backplan_home).files())
    assert rollup()["events"] == stored
    assert attached()
    assert answers() == embedded
    spark.sql(f"CREATE DATABASE IF NOT EXISTS rollups LOCATION '{tmp_path}/rollups'")
    monkeypatch.setenv("BACKPLAN_ROLLUP_TABLE", "rollups.events_daily_counts")
    for _ in range(2):  # the second replaces the first
        report = rollup()
        assert report["table"] == "rollups.events_daily_counts" and report["events"] == stored
    assert attached()
    assert answers()["leadership"] == embedded["leadership"]


def test_another_table_of_the_rollups_name_is_not_read_as_one(warehouse: Path) -> None:
    sql(warehouse, "CREATE TABLE crm_events_daily_counts AS SELECT 'ana' AS rep, 3 AS events")
    assert not attached()  # counting reads the events (the answers: the first test)
    assert rollup()["events"] > 3 and attached()  # the command replaces it
