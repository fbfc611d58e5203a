"""Helpers for the metrics tests: comparable rows, the real sample data as events, generated data."""

from __future__ import annotations

import csv
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from backplan.events.schema import EVENT_SCHEMA
from backplan.metrics.sample import EventRow, event_rows

MAVEN = "maven-crm-sales-opportunities"


def records(frame: pd.DataFrame, *sort: str) -> list[dict[str, Any]]:
    """A result as plain, comparable rows: dates as ISO text, NaN as None, numbers as Python's."""
    if sort:
        frame = frame.sort_values(list(sort), na_position="first")
    out = []
    for row in frame.to_dict("records"):
        out.append({str(k): _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


# -- the real sample data ------------------------------------------------------------------------


def maven_rows(shared_data: Path) -> list[EventRow]:
    """sales_pipeline.csv as events, as the `opportunities` mapping imports it (an `opp` at the
    engage date, `won`/`lost` at the close date with the close value), except that the prospect
    is the opportunity rather than the account, so that cohorts follow single deals."""
    rows: list[EventRow] = []
    with (shared_data / MAVEN / "sales_pipeline.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            if r["engage_date"]:
                rows.append((r["sales_agent"], r["engage_date"], "opp", r["opportunity_id"]))
            if r["deal_stage"] in ("Won", "Lost"):
                kind = r["deal_stage"].lower()
                amount = float(r["close_value"])
                rows.append((r["sales_agent"], r["close_date"], kind, r["opportunity_id"], amount))
    return rows


def maven_events(shared_data: Path) -> pa.Table:
    table = event_rows(maven_rows(shared_data))
    prospects, kinds = table["prospect"].to_pylist(), table["kind"].to_pylist()
    ids = [f"{p}:{k}" for p, k in zip(prospects, kinds, strict=True)]
    return table.set_column(0, "event_id", pa.array(ids, pa.string()))


def maven_roster(shared_data: Path) -> pd.DataFrame:
    """sales_teams.csv as the roster: each manager's agents are a team."""
    teams = pd.read_csv(shared_data / MAVEN / "sales_teams.csv")
    return pd.DataFrame({
        "rep": teams["sales_agent"], "name": teams["sales_agent"],
        "team": teams["manager"], "manager": teams["manager"],
    })  # fmt: skip


# -- generated data ------------------------------------------------------------------------------

KINDS = [
    "dial",
    "connect",
    "email",
    "social",
    "meeting_booked",
    "meeting_held",
    "sql",
    "won",
    "lost",
]
WEIGHTS = [0.55, 0.12, 0.12, 0.05, 0.05, 0.04, 0.03, 0.02, 0.02]


def generated_events(events: int, reps: int, seed: int = 7) -> pa.Table:
    """A seeded organisation's year of events: kinds, prospects, amounts, times across 2026."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seconds = rng.integers(0, 365 * 86400, events)
    kinds = rng.choice(KINDS, size=events, p=WEIGHTS)
    prospects = rng.integers(0, events // 4 + 1, events)
    has_prospect = rng.random(events) > 0.05
    amount = np.where(kinds == "won", rng.integers(1, 50, events) * 1000.0, np.nan)
    return pa.table(
        {
            "event_id": pa.array([f"g{i}" for i in range(events)]),
            "rep": pa.array([f"rep{r:04d}" for r in rng.integers(0, reps, events)]),
            "at": pa.array(
                [start + timedelta(seconds=int(s)) for s in seconds], EVENT_SCHEMA.field("at").type
            ),
            "kind": pa.array(kinds.tolist()),
            "prospect": pa.array(
                [f"p{p}" if h else None for p, h in zip(prospects, has_prospect, strict=True)]
            ),
            "amount": pa.array(amount, from_pandas=True),
            "source": pa.array([None] * events, pa.string()),
        },
        schema=EVENT_SCHEMA,
    )


def generated_roster(reps: int, team_size: int = 8) -> pd.DataFrame:
    keys = [f"rep{r:04d}" for r in range(reps)]
    teams = [f"team{r // team_size:03d}" for r in range(reps)]
    return pd.DataFrame({"rep": keys, "name": keys, "team": teams, "manager": teams})
