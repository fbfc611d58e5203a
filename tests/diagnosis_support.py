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
