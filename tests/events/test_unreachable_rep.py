"""A rep added from the events needs a key that a page can reach: a name holding '/' is
rejected with a reason, whichever import path would have taken it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backplan.config import Settings
from backplan.services.importing import ImportRequest, import_file
from backplan.services.roster import roster_frame

NOW = datetime(2026, 11, 16, tzinfo=UTC)
EXPORT = (
    "event_id,rep,at,kind,prospect,amount,source\n"
    "e1,ben,2026-10-01T09:00:00,dial,p1,,list\n"
    "e2,north/ana,2026-10-01T09:05:00,dial,p2,,list\n"
    "e3,north/ana,2026-10-01T09:06:00,connect,p2,,list\n"
)


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "october.csv"
    path.write_text(EXPORT)
    return path


def test_a_new_rep_with_a_slash_is_rejected_and_nothing_is_added(
    app_database: str, tmp_path: Path
) -> None:
    settings = Settings()
    summary = import_file(
        settings, ImportRequest(_file(tmp_path), "events", now=NOW, add_reps=True)
    )
    assert summary.status == "rejected" and summary.added == 0
    assert summary.reasons == {"unreachable_rep": 2}
    assert roster_frame(settings).empty


def test_allowing_rejects_adds_the_reachable_reps_only(app_database: str, tmp_path: Path) -> None:
    settings = Settings()
    request = ImportRequest(_file(tmp_path), "events", now=NOW, add_reps=True, allow_rejects=True)
    summary = import_file(settings, request)
    assert (summary.status, summary.added, summary.rejected) == ("done", 1, 2)
    assert summary.reps_added == ["ben"]
    assert list(roster_frame(settings)["rep"]) == ["ben"]
