"""Fixtures for the metrics layer: the same events on DuckDB and on local Spark (``spark``, in
the top conftest), and real data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import count
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from backplan.events.store import EventStore
from backplan.metrics.sample import EventRow, event_rows
from backplan.metrics.source import read_store

_stores = count()


@pytest.fixture(params=["duckdb", pytest.param("pyspark", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest) -> str:
    """Each metrics test runs on the embedded DuckDB and on local Spark."""
    return request.param


@pytest.fixture
def load_events(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[pa.Table | Iterable[EventRow]], Any]:
    """Write events as a Parquet store and read them back as an Ibis table on ``backend``."""

    def load(events: pa.Table | Iterable[EventRow]) -> Any:
        home = tmp_path / f"store-{next(_stores)}"
        store = EventStore(home)
        store.append(events if isinstance(events, pa.Table) else event_rows(events))
        if backend == "duckdb":
            return read_store(home)
        import ibis

        (batch,) = {path.parent for path in store.files()}  # one append, one folder
        return ibis.pyspark.connect(request.getfixturevalue("spark")).read_parquet(str(batch))

    return load
