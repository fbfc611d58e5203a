"""Cadence on foreign exports: attempts stamped in bulk (same prospect, same moment) make
cadence warn instead of recommending a number of attempts."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from backplan.config import Settings
from backplan.metrics.sample import events_table
from backplan.services.diagnosis.cadence import CadenceRequest, cadence_report

ROSTER = pd.DataFrame({"rep": ["ana"], "name": ["Ana"], "team": ["East"], "manager": ["Mo"]})
REQUEST = CadenceRequest(rep="ana", since=date(2026, 10, 1), until=date(2026, 10, 31),
                         as_of=date(2026, 11, 2))  # fmt: skip


def _attempts(stamped: bool) -> list[tuple[object, ...]]:
    """60 prospects, each dialled 1 to 6 times on working days (one time each, or all at 09:00
    of the first day when ``stamped``), every third answering on its last attempt."""
    rows: list[tuple[object, ...]] = []
    for p in range(60):
        tries = 1 + p % 6
        for i in range(tries):
            day = date(2026, 10, 5) + timedelta(days=0 if stamped else i)
            at = f"{day}T09:00:00" if stamped else f"{day}T09:{p % 60:02d}:00"
            rows.append(("ana", at, "dial", f"p{p}"))
        if p % 3 == 0:
            last = date(2026, 10, 5) + timedelta(days=0 if stamped else tries - 1)
            rows.append(("ana", f"{last}T10:30:00", "connect", f"p{p}"))
    return rows


def test_attempts_stamped_in_bulk_get_a_warning_not_a_recommendation(backplan_home) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(today="2026-11-02")
    data = cadence_report(settings, REQUEST, events=events_table(_attempts(True)), roster=ROSTER)
    assert data["recommended_attempts"] is None
    assert "stamped in bulk" in data["reason"] and "stamped in bulk" in data["notes"][-1]
    assert data["reason"].startswith("200 of 210 attempts (95%)")


def test_attempts_at_their_own_times_are_read_as_a_cadence(backplan_home) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(today="2026-11-02")
    data = cadence_report(settings, REQUEST, events=events_table(_attempts(False)), roster=ROSTER)
    assert not any("stamped in bulk" in n for n in data["notes"])
    assert "stamped in bulk" not in (data["reason"] or "")
