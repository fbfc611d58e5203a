"""Records read from a CRM's API, as an export of them would look: a source for the importer.

A live sync turns each record into a row whose columns are named as the
vendor's export names them (``Record ID``, ``Deal Stage`` ...), so the shipped
export mapping reads it, and a synced organisation counts exactly as one that
imports its exports. The rows are written as a Parquet file of text columns
in a scratch folder and read back like any export::

    source = records_source(rows, ["Record ID", "Call outcome", ...], scratch, "calls")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from backplan.events.readers import Source, open_source


def records_source(
    rows: Sequence[Mapping[str, str | None]], columns: Sequence[str], folder: Path, name: str
) -> Source:
    """The ``rows`` (column → text, missing or None: empty) as a source named ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {c: pa.array([row.get(c) for row in rows], pa.string()) for c in columns},
    )
    path = folder / f"{name}.parquet"
    pq.write_table(table, path)
    source = open_source(path, folder)
    source.name = name
    return source


__all__ = ["records_source"]
