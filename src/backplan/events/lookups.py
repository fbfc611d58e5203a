"""Lookups into another file: a field of each row taken from the row of another export
with the same id (a deal's lead source from the lead it came from).

The other file is read whole, before the import takes the store's lock, into a small
table ``k`` (the id) → ``v`` (the value); an id listed twice keeps its first value.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from backplan.events.errors import MissingColumns, UnreadableFile
from backplan.events.mapping import Lookup, ResolvedMapping
from backplan.events.readers import open_source, quote
from backplan.events.store import duckdb_connection


def lookup_path(lookup: Lookup, export: Path, mapping_file: Path | None) -> Path:
    """Where a lookup's file is: as written if absolute, else beside the export, else beside
    the mapping file."""
    written = Path(lookup.file).expanduser()
    if written.is_absolute():
        candidates = [written]
    else:
        candidates = [export.parent / written]
        if mapping_file is not None:
            candidates.append(mapping_file.parent / written)
    for path in candidates:
        if path.is_file():
            return path
    raise UnreadableFile(
        f"the mapping looks values up in {lookup.file!r}, which is neither beside the export "
        f"({export.parent}) nor beside the mapping; put it there, or write its full path in "
        "lookup = ...",
        file=lookup.file,
    )


def read_lookups(resolved: ResolvedMapping, export: Path, scratch: Path) -> dict[str, pa.Table]:
    """For each looked-up field of ``resolved``: the other file's id → value table."""
    tables: dict[str, pa.Table] = {}
    for name in resolved.lookup_keys:
        lookup = resolved.mapping.lookups[name]
        path = lookup_path(lookup, export, resolved.mapping.path)
        tables[name] = read_lookup(path, lookup, scratch / f"lookup-{name}")
    return tables


def read_lookup(path: Path, lookup: Lookup, scratch: Path) -> pa.Table:
    """The ``lookup_key`` → ``column`` pairs of the file at ``path`` (CSV, .xlsx or Parquet)."""
    scratch.mkdir(parents=True, exist_ok=True)
    source = open_source(path, scratch)
    by_lower = {h.strip().lower(): h for h in source.header}
    missing = [c for c in (lookup.lookup_key, lookup.column) if c.lower() not in by_lower]
    if missing:
        raise MissingColumns(
            f"the lookup file has no column {' or '.join(repr(c) for c in missing)}; its "
            f"columns are: {', '.join(source.header)}. Name its id column with lookup_key and "
            'the value with column: { lookup = "leads.csv", key = "Lead Id", '
            'lookup_key = "Record ID", column = "Lead Source" }',
            file=str(path),
            missing=missing,
            found=list(source.header),
        )
    key = quote(by_lower[lookup.lookup_key.lower()])
    value = quote(by_lower[lookup.column.lower()])
    con = duckdb_connection(scratch)
    try:
        source.register(con)
        pairs = con.execute(
            f"SELECT k, first(v ORDER BY n) AS v FROM ("
            f"SELECT nullif(trim(CAST({key} AS VARCHAR)), '') AS k, "
            f"nullif(trim(CAST({value} AS VARCHAR)), '') AS v, row_number() OVER () AS n "
            f"FROM ({source.raw_sql()})) WHERE k IS NOT NULL GROUP BY k"
        ).fetchall()
    finally:
        con.close()
    return pa.table(
        {
            "k": pa.array([k for k, _ in pairs], pa.string()),
            "v": pa.array([v for _, v in pairs], pa.string()),
        }
    )
