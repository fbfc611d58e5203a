"""Values no plan can use are named rejects, not stored (issue 14, item 6): amounts NaN,
inf or too large to hold (1e309), and dates before 1900."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backplan.config import Settings, get_settings
from backplan.events.schema import EVENT_SCHEMA
from backplan.events.store import EventStore
from backplan.services.importing import ImportRequest, ImportSummary, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)
HEADER = "event_id,rep,at,kind,prospect,amount,source"
GOOD = [
    "e1,ana,2025-01-02 09:00:00,dial,p1,,Inbound",
    "e2,ana,2025-01-03 09:00:00,won,p1,1200,Inbound",
]


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def run(settings: Settings, path: Path, **options: object) -> ImportSummary:
    return import_file(settings, ImportRequest(path, "events", now=NOW, **options))  # type: ignore[arg-type]


def rejects(summary: ImportSummary) -> dict[str, tuple[str, str]]:
    assert summary.rejects_file, "a rejects file was expected"
    with open(summary.rejects_file, newline="", encoding="utf-8") as f:
        return {r["row"]: (r["reason"], r["value"]) for r in csv.DictReader(f)}


def stored_amounts(settings: Settings) -> list[float | None]:
    con = EventStore(settings.home).connect()
    return [r[0] for r in con.execute("SELECT amount FROM events").fetchall()]


@pytest.mark.parametrize("amount", ["NaN", "nan", "inf", "-inf", "Infinity", "1e309"])
def test_an_amount_that_is_not_finite_is_a_named_reject(
    settings: Settings, tmp_path: Path, amount: str
) -> None:
    path = tmp_path / "amounts.csv"
    path.write_text("\n".join([HEADER, *GOOD, f"e3,ana,2025-01-04,won,p2,{amount},"]) + "\n")
    summary = run(settings, path, allow_rejects=True)
    assert (summary.added, summary.rejected) == (2, 1)
    assert rejects(summary)["4"][0] == "non_finite_amount"
    assert all(a is None or math.isfinite(a) for a in stored_amounts(settings))


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31 23:59:59", "0999-06-01"])
def test_a_date_before_1900_is_a_named_reject(settings: Settings, tmp_path: Path, day: str) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("\n".join([HEADER, *GOOD, f"e3,ana,{day},dial,p2,,"]) + "\n")
    summary = run(settings, path, allow_rejects=True)
    assert (summary.added, summary.rejected) == (2, 1)
    assert rejects(summary)["4"][0] == "early_date"


def test_the_first_day_of_1900_is_a_date(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("\n".join([HEADER, "e3,ana,1900-01-01,dial,p2,,"]) + "\n")
    assert run(settings, path).added == 1


def test_a_typed_file_with_nan_and_year_one_is_rejected_row_by_row(
    settings: Settings, tmp_path: Path
) -> None:
    at = [datetime(2025, 1, 2, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
          datetime(2025, 1, 3, tzinfo=UTC), datetime(2025, 1, 4, tzinfo=UTC)]  # fmt: skip
    table = pa.table(
        {
            "event_id": ["e1", "e2", "e3", "e4"],
            "rep": ["ana"] * 4,
            "at": at,
            "kind": ["dial", "dial", "won", "won"],
            "prospect": ["p1"] * 4,
            "amount": [None, None, float("nan"), float("inf")],
            "source": ["Inbound"] * 4,
        },
        schema=EVENT_SCHEMA,
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    summary = run(settings, path, allow_rejects=True)
    assert (summary.added, summary.rejected) == (1, 3)
    assert {row: reason for row, (reason, _) in rejects(summary).items()} == {
        "2": "early_date",
        "3": "non_finite_amount",
        "4": "non_finite_amount",
    }
