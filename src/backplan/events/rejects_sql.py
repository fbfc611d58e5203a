"""The DuckDB SQL of an import's rejected rows: lines that could not be split, ids used twice
with different values, and the rejects file that gathers every rejected row with its reason.
"""

from __future__ import annotations

from backplan.events.mapping import ResolvedMapping
from backplan.events.readers import REJECTS_TABLE, Source, literal, quote

MALFORMED_LINES = (
    f"SELECT line, first(error_message ORDER BY column_idx), "
    f"first(line_byte_position ORDER BY column_idx), first(csv_line ORDER BY column_idx) "
    f"FROM {REJECTS_TABLE} GROUP BY line ORDER BY line"
)
"""CSV lines DuckDB could not split: line, error, byte position, text (one row per line)."""


def create_conflicts() -> str:
    """A table ``conflicts``: rows of ``evf`` whose event id an earlier row used for other values."""
    content = ("rep", '"at"', "kind", "prospect", "amount", "source")
    left = ", ".join(f"e.{c}" for c in content)
    right = ", ".join(f"f.{c}" for c in content)
    return (
        "CREATE TEMP TABLE conflicts AS "
        "WITH dups AS (SELECT event_id, min(__row) AS first_row FROM evf "
        "GROUP BY event_id HAVING count(*) > 1), "
        "firsts AS (SELECT e.* FROM evf e JOIN dups d ON e.event_id = d.event_id "
        "AND e.__row = d.first_row) "
        "SELECT e.__row, first(e.event_id ORDER BY e.event_id) AS event_id, "
        "first(f.__row ORDER BY e.event_id) AS first_row "
        "FROM evf e JOIN firsts f ON e.event_id = f.event_id AND e.__row > f.__row "
        f"WHERE row({left}) IS DISTINCT FROM row({right}) GROUP BY e.__row"
    )


def rejects(source: Source, resolved: ResolvedMapping, *, conflicts: bool, malformed: bool) -> str:
    """Every rejected row: file, row, column, value, reason, expected, line, and the original row.

    From the view ``rows`` (rows with a problem), the table ``conflicts`` (ids used twice
    with different values) and the table ``malformed`` (lines that could not be split).
    """
    originals = []
    reserved = {"file", "row", "column", "value", "reason", "expected", "line"}
    for name in source.header:
        alias = f"{name} (original)" if name.lower() in reserved else name
        originals.append((quote(name), quote(alias)))
    raw_cols = ", ".join(f"{src} AS {dst}" for src, dst in originals)
    null_cols = ", ".join(f"NULL::VARCHAR AS {dst}" for _, dst in originals)
    file = literal(source.shown_name)
    parts = [
        f"SELECT {file} AS file, __row AS row, struct_extract(__problem, 'column') AS \"column\", "
        "struct_extract(__problem, 'value') AS value, struct_extract(__problem, 'reason') AS reason, "
        f"struct_extract(__problem, 'expected') AS expected, NULL::VARCHAR AS line, {raw_cols} "
        "FROM rows WHERE __problem IS NOT NULL"
    ]
    if conflicts:
        id_cols = " / ".join(resolved.columns.get("id", ("event id",)))
        parts.append(
            f"SELECT {file}, r.__row, {literal(id_cols)}, c.event_id, 'duplicate_id', "
            "'a unique id: row ' || c.first_row || ' has the same id with different values', "
            f"NULL::VARCHAR, {', '.join(f'r.{src}' for src, _ in originals)} "
            "FROM rows r JOIN conflicts c ON r.__row = c.__row"
        )
    if malformed:
        parts.append(
            f"SELECT {file}, line + {source.header_row - 1}, NULL, NULL, 'malformed_row', "
            "'a line with one field per column of the header: ' || error, text, "
            f"{null_cols} FROM malformed"
        )
    return " UNION ALL ".join(parts)
