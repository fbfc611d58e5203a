"""Purpose-built organisations for the diagnosis tests, written into the real event store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from backplan.cli import app
from backplan.events.store import EventStore
from backplan.metrics.sample import EventRow, event_rows

runner = CliRunner()


def store(home: Path, rows: list[EventRow], roster: pd.DataFrame, tmp: Path) -> None:
    """Events into the embedded store and the roster through `backplan roster`."""
    EventStore(home).append(event_rows(rows))
    path = tmp / "roster.csv"
    roster.to_csv(path, index=False)
    result = runner.invoke(app, ["roster", str(path)])
    assert result.exit_code == 0, result.output


def run(*args: str) -> dict[str, Any]:
    """A command with --json, checked to succeed, as parsed JSON."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def moments(start: datetime, n: int, days: int = 28) -> list[datetime]:
    """``n`` moments spread evenly over ``days`` days from ``start``, on the minute."""
    step = timedelta(days=days) / max(n, 1)
    return [start + i * step for i in range(n)]


START = datetime(2026, 3, 2, 8, 0)
MINUTE = timedelta(minutes=1)

# Company X (S3): per rep, meetings booked after a call, after an email, and SQLs.
COMPANY_X = {
    "ann": (11, 3, 3),
    "bob": (12, 4, 4),
    "cat": (11, 4, 3),
    "dan": (10, 5, 4),
}
DIALS, CONVERSATIONS, EMAILS = 1000, 105, 1500


def company_x_events() -> list[EventRow]:
    rows: list[EventRow] = []
    for rep, (by_call, by_email, sqls) in COMPANY_X.items():
        met = []
        for i, at in enumerate(moments(START, DIALS)):
            p = f"{rep}-d{i}"
            rows.append((rep, at, "dial", p))
            if i < CONVERSATIONS:
                rows.append((rep, at + MINUTE, "connect", p))
            if i < by_call:
                rows.append((rep, at + 2 * MINUTE, "meeting_booked", p))
                met.append((p, at))
        for i, at in enumerate(moments(START + 30 * MINUTE, EMAILS)):
            p = f"{rep}-e{i}"
            rows.append((rep, at, "email", p))
            if i < by_email:
                rows.append((rep, at + 60 * MINUTE, "meeting_booked", p))
                met.append((p, at))
        rows += [(rep, at + 3 * MINUTE, "sql", p) for p, at in met[:sqls]]
    return rows
