"""The whole service with the events in Spark: rates, diagnosis, forecasts and leadership give
the same answers on a local Spark session as on the embedded store, for the same events.

Spark reads the embedded store's own Parquet files (``BACKPLAN_EVENTS_TABLE`` a glob), so the
two runs see exactly the same events. One Spark session serves the run (``spark``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.services.importing import ImportRequest, compact_store, import_file
from backplan.services.warehouse import EmbeddedStoreOnly
from cli_support import json_answers
from okr_support import north_south_october, simulate, store_events

runner = CliRunner()
OCTOBER = ["--period", "2026-10", "--as-of", "2026-10-15"]


def spark_table(home: Path) -> str:
    """The embedded store's Parquet files, as Spark reads them (a glob, one level per batch)."""
    return f"{home}/events/*/*.parquet"


@pytest.fixture
def north_south(backplan_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """North (ana, ben) and South (cy), events from May to mid-October 2026, October objectives."""
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-10-16T10:00")
    north_south_october(Settings())
    return backplan_home


COMMANDS = {
    "rates": ["rates", "--since", "2026-07-01", "--until", "2026-09-30"],
    "diagnose": ["diagnose", "--rep", "ana"],
    "team": ["team", "North"],
    "forecast": ["forecast", "--team", "North", "--objective", "11 sqls", *OCTOBER],
    "leadership": ["leadership", *OCTOBER],
}


@pytest.mark.slow
def test_every_command_answers_the_same_on_pyspark_as_on_the_embedded_store(
    north_south: Path, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded = json_answers(COMMANDS)
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", "pyspark://")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", spark_table(north_south))
    on_spark = json_answers(COMMANDS)
    for name in COMMANDS:
        assert on_spark[name] == embedded[name], name
    # Real figures, not two empty answers: the simulated quarter and October's objectives.
    dials = [r for r in on_spark["rates"]["rates"] if r["conversion"] == "conversations/dials"]
    assert {r["rep"] for r in dials} == {"ana", "ben", "cy"}
    assert all(r["trials"] > 2000 for r in dials)
    assert on_spark["leadership"]["organisation"]["target"] == 15
    forecast = on_spark["forecast"]
    assert forecast["objective"]["target"] == 11 and len(forecast["reps"]) == 2
    assert forecast["actual_to_date"] > 0 and 0 < forecast["p_hit"] < 1


@pytest.mark.slow
def test_a_different_table_on_pyspark_gives_different_answers(
    north_south: Path, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test of the test: Spark really reads the table it is pointed at."""
    only = {"rates": COMMANDS["rates"]}
    embedded = json_answers(only)["rates"]["rates"]
    september = simulate(date(2026, 9, 1), date(2026, 9, 30), seed=2)
    other = north_south.parent / "other-home"
    store_events(other, september)
    monkeypatch.setenv("BACKPLAN_EVENTS_URL", "pyspark://")
    monkeypatch.setenv("BACKPLAN_EVENTS_TABLE", spark_table(other))
    on_spark = json_answers(only)["rates"]["rates"]
    assert sum(r["trials"] for r in on_spark) < sum(r["trials"] for r in embedded)


def test_writing_events_is_refused_by_name_when_a_warehouse_is_configured(
    north_south: Path, tmp_path: Path
) -> None:
    settings = Settings(events_url="pyspark://", events_table="sales.events")
    export = tmp_path / "calls.csv"
    export.write_text("rep,at,kind\nana,2026-10-01 09:00,dial\n")
    with pytest.raises(EmbeddedStoreOnly, match=r"importing a file writes the embedded event"):
        import_file(settings, ImportRequest(file=export, mapping="events"))
    with pytest.raises(EmbeddedStoreOnly, match=r"table 'sales.events'"):
        compact_store(settings)
    result = runner.invoke(app, ["demo-data", "--reps", "2", "--events", "10"], env={
        "BACKPLAN_EVENTS_URL": "pyspark://",
    })  # fmt: skip
    assert result.exit_code != 0
    assert "generating the demo's events writes the embedded event store" in result.output
