"""``backplan mappings suggest FILE``: read a sample of an export and propose its mapping."""

from __future__ import annotations

import tempfile
from pathlib import Path

from backplan.core.errors import InvalidInput
from backplan.events.export_columns import EXPORT_KINDS
from backplan.events.readers import open_source
from backplan.events.store import duckdb_connection
from backplan.events.suggest import Suggestion, suggest_mapping

SAMPLE_ROWS = 2000
"""Rows read to recognise columns by their values: enough for every outcome, quick on any file."""


def suggest_for_file(
    path: Path, *, kind: str | None = None, sheet: str | None = None
) -> Suggestion:
    """A mapping TOML for the export at ``path`` (calls, meetings, deals or leads)."""
    if kind is not None and kind not in EXPORT_KINDS:
        raise InvalidInput(f"--kind {kind!r}: say one of calls, meetings, deals or leads")
    with tempfile.TemporaryDirectory() as scratch:
        source = open_source(path, Path(scratch), sheet=sheet)
        con = duckdb_connection(Path(scratch))
        try:
            source.register(con)
            cols = ", ".join(f"CAST(c{i} AS VARCHAR)" for i in range(len(source.header)))
            renamed = ", ".join(
                f'"{h.replace(chr(34), chr(34) * 2)}" AS c{i}' for i, h in enumerate(source.header)
            )
            rows = con.execute(
                f"SELECT {cols} FROM (SELECT {renamed} FROM ({source.raw_sql()})) "
                f"LIMIT {SAMPLE_ROWS}"
            ).fetchall()
        finally:
            con.close()
    return suggest_mapping(source.header, rows, kind=kind, name=path.name)
