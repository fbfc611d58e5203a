"""The fast path checks the events it wrote (aggregates, distinct reps and kinds) instead of
every row as it reads: each value the row checks refused must still send the file down the
checked path, where the row is trimmed and kept, or rejected with its reason."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backplan.config import Settings, get_settings
from backplan.events.store import EventStore
from backplan.services.importing import ImportRequest, ImportSummary, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)
HEADER = "event_id,rep,at,kind,prospect,amount,source"
GOOD = [
    "e1,ana,2025-01-02 09:00:00,dial,p1,,Inbound",
    "e2,ana,2025-01-03 09:00:00,won,p1,1200,Inbound",
]
LONG = "x" * 1001


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def run(settings: Settings, path: Path) -> ImportSummary:
    return import_file(settings, ImportRequest(path, "events", now=NOW, allow_rejects=True))


def stored(settings: Settings) -> list[tuple[str, ...]]:
    con = EventStore(settings.home).connect()
    rows = con.execute(
        "SELECT event_id, rep, kind, prospect, source FROM events ORDER BY event_id"
    ).fetchall()
    return [tuple(str(v) for v in r) for r in rows]


@pytest.mark.parametrize(
    ("row", "third"),
    [
        ("e3 ,ana,2025-01-04,dial,p2,,Web", ("e3", "ana", "dial", "p2", "Web")),
        (" e3,ana,2025-01-04,dial,p2,,Web", ("e3", "ana", "dial", "p2", "Web")),
        ("e3,ana ,2025-01-04,dial,p2,,Web", ("e3", "ana", "dial", "p2", "Web")),
        ("e3,ana,2025-01-04,dial, p2,,Web", ("e3", "ana", "dial", "p2", "Web")),
        ("e3,ana,2025-01-04,dial,p2,,Web ", ("e3", "ana", "dial", "p2", "Web")),
        ("e3,ana,2025-01-04,Dial,p2,,Web", ("e3", "ana", "dial", "p2", "Web")),
    ],
)
def test_a_value_to_trim_is_trimmed_by_the_checked_path(
    settings: Settings, tmp_path: Path, row: str, third: tuple[str, ...]
) -> None:
    path = tmp_path / "trim.csv"
    path.write_text("\n".join([HEADER, *GOOD, row]) + "\n")
    summary = run(settings, path)
    assert (summary.checked_row_by_row, summary.added, summary.rejected) == (True, 3, 0)
    assert stored(settings)[2] == third


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("e3,ana,2025-01-04,zap,p2,,Web", "unknown_kind"),
        ("e3,ana,2025-01-04,won,p2,-5,Web", "negative_amount"),
        ("e3,ana,2025-06-03,dial,p2,,Web", "future_date"),
        ("e3,,2025-01-04,dial,p2,,Web", "missing_value"),
        (",ana,2025-01-04,dial,p2,,Web", "missing_value"),
        (f"{LONG},ana,2025-01-04,dial,p2,,Web", "value_too_long"),
        (f"e3,{LONG},2025-01-04,dial,p2,,Web", "value_too_long"),
        (f"e3,ana,2025-01-04,dial,{LONG},,Web", "value_too_long"),
        (f"e3,ana,2025-01-04,dial,p2,,{LONG}", "value_too_long"),
    ],
)
def test_a_bad_value_is_a_named_reject_of_its_row(
    settings: Settings, tmp_path: Path, row: str, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, *GOOD, row]) + "\n")
    summary = run(settings, path)
    assert (summary.checked_row_by_row, summary.added, summary.rejected) == (True, 2, 1)
    assert summary.reasons == {reason: 1}
    assert summary.rejects_file
    with open(summary.rejects_file, newline="", encoding="utf-8") as f:
        assert [(r["row"], r["reason"]) for r in csv.DictReader(f)] == [("4", reason)]


def test_a_clean_file_with_values_near_the_limits_stays_on_the_fast_path(
    settings: Settings, tmp_path: Path
) -> None:
    edge = "y" * 1000
    rows = [
        f"{edge},ana,2025-06-02 00:00:00,won,{edge},0,{edge}",
        "e4,ana,1900-01-01,dial,p!,,Web site",
    ]
    path = tmp_path / "edge.csv"
    path.write_text("\n".join([HEADER, *GOOD, *rows]) + "\n")
    summary = run(settings, path)
    assert (summary.checked_row_by_row, summary.added, summary.rejected) == (False, 4, 0)
    assert summary.kinds == {"dial": 2, "won": 2}
