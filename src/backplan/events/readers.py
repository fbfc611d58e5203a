"""Reading export files: CSV (any delimiter and common encodings), Excel .xlsx and Parquet.

Each reader gives DuckDB SQL for the file as a relation, in two forms:

* *typed*: the mapped columns already in their types (timestamps, numbers),
  read by DuckDB's parallel CSV or Parquet reader. Any bad value makes the
  query fail; the importer then falls back to
* *raw*: every column as text with the row number, malformed CSV lines kept
  aside (``reject_errors``), so each bad row can be reported and nothing is lost.

Row numbers are what a spreadsheet shows: the header is row 1, the first data
row is row 2 (for Parquet, which has no header, the first record is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from backplan.events.errors import EmptyFile, UnreadableFile, UnsupportedFormat

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
MAX_LINE_BYTES = 64 << 20
"""Longest CSV line read (a huge notes field is fine; longer lines are rejected as malformed)."""
USUAL_LINE_BYTES = 2 << 20
"""DuckDB's usual line limit; a file with longer lines is read again allowing MAX_LINE_BYTES
(a larger limit slows every read down, so it is only used when needed)."""
CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
REJECTS_TABLE = "csv_rejects"
REJECTS_SCAN = "csv_reject_scans"


EXCEL_LAST_ROW = 1_048_576
"""The last row a sheet can have; a workbook naming a row past it is not a valid workbook."""


@dataclass(frozen=True)
class ExcelLimits:
    """How much of an .xlsx is read before giving up (the settings ``xlsx_max_*``).

    An .xlsx is a zip of XML, and neither is to be trusted: its ``<dimension>``
    may claim a million rows by 16,384 columns, its members may unpack to
    gigabytes. So the members' sizes are checked before anything is unpacked
    (a member that unpacks to more than it declares fails its CRC check),
    ``<dimension>`` is ignored, rows are read only as wide as the header, and
    the read stops past any of these caps.
    """

    rows: int = 1_000_000
    """Rows with a value, below the header."""
    columns: int = 1_000
    """Columns of the header row."""
    cells: int = 20_000_000
    """Cells looked at: rows down to the last one read, times the header's columns."""
    unpacked_bytes: int = 256 << 20
    """The workbook's members, unpacked, all together."""


@dataclass
class Source:
    """A data file and what is known about it before reading it all."""

    path: Path
    format: str
    header: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    read_path: Path | None = None
    """The file DuckDB reads: ``path``, or a UTF-8 copy of it when it was in another encoding."""
    excel_rows: pa.Table | None = field(default=None, repr=False)
    header_row: int = 1
    name: str = ""
    """The file's name as the organisation knows it (an upload's own name); default: its name
    on disk. Files a user downloads show this, never the path on the server."""

    @property
    def shown_name(self) -> str:
        return self.name or self.path.name

    @property
    def can_read_typed(self) -> bool:
        return self.format == "parquet" or (self.format == "csv" and self.read_path == self.path)

    def typed_sql(self, types: dict[str, str]) -> str:
        """The file with ``types`` for the named columns (others as text); fails on any bad value."""
        if self.format == "csv":
            columns = {name: types.get(name, "VARCHAR") for name in self.header}
            return self._read_csv(columns, tolerant=False)
        if self.format == "parquet":
            exprs = ", ".join(
                f"CAST({quote(n)} AS {types[n]}) AS {quote(n)}" if n in types else quote(n)
                for n in self.header
            )
            return f"SELECT {exprs} FROM read_parquet({literal(self.path)})"
        raise ValueError("Excel files are read as text only")

    @property
    def numbers_rows(self) -> bool:
        """True when ``raw_sql`` gives each row its number (``__seq``); CSV rows are numbered by order."""
        return self.format != "csv"

    def raw_sql(self, *, long_lines: bool = False, numbered: bool = False) -> str:
        """Every column as text, in file order (Excel and Parquet: with ``__seq``, the row's number).

        CSV lines that do not split into the header's fields are left out and recorded
        in the ``csv_rejects`` table. ``long_lines`` allows lines up to 64 MiB (slower);
        ``numbered`` gives CSV rows ``__seq`` too (a window function: slower, never reordered).
        """
        cols = ", ".join(f"CAST({quote(n)} AS VARCHAR) AS {quote(n)}" for n in self.header)
        if self.format == "csv":
            inner = self._read_csv(
                {n: "VARCHAR" for n in self.header}, tolerant=True, long_lines=long_lines
            )
            if numbered:
                return f"SELECT row_number() OVER () AS __seq, {cols} FROM ({inner})"
            return f"SELECT {cols} FROM ({inner})"
        if self.format == "parquet":
            return (
                f"SELECT file_row_number + 1 AS __seq, {cols} "
                f"FROM read_parquet({literal(self.path)}, file_row_number = true)"
            )
        return f"SELECT _seq AS __seq, {cols} FROM excel_rows"

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make what ``raw_sql`` needs available on ``con`` (the Excel rows)."""
        if self.excel_rows is not None:
            con.register("excel_rows", self.excel_rows)

    def row_of(self, seq_sql: str) -> str:
        """SQL for the row number a person sees, from a 1-based position among data rows."""
        return f"({seq_sql} + {self.header_row})" if self.format != "parquet" else seq_sql

    def _read_csv(
        self, columns: dict[str, str], *, tolerant: bool, long_lines: bool = False
    ) -> str:
        struct = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in columns.items()) + "}"
        options = [
            "header = true",
            "auto_detect = false",
            f"delim = {literal(self.delimiter)}",
            "quote = '\"'",
            "escape = '\"'",
            f"columns = {struct}",
            f"max_line_size = {MAX_LINE_BYTES if long_lines else USUAL_LINE_BYTES}",
        ]
        if self.header_row > 1:
            options.append(f"skip = {self.header_row - 1}")
        if tolerant:
            options += [
                "store_rejects = true",
                "ignore_errors = true",
                f"rejects_table = '{REJECTS_TABLE}'",
                f"rejects_scan = '{REJECTS_SCAN}'",
            ]
        path = self.read_path or self.path
        return f"SELECT * FROM read_csv({literal(path)}, {', '.join(options)})"


def open_source(
    path: Path, staging: Path, *, sheet: str | None = None, limits: ExcelLimits = ExcelLimits()
) -> Source:
    """Look at ``path`` (format, encoding, delimiter, header) without reading it all."""
    if not path.exists():
        raise UnreadableFile("file not found", file=str(path))
    if path.is_dir():
        raise UnreadableFile("is a folder, not a file", file=str(path))
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _open_excel(path, sheet, limits)
    if suffix in PARQUET_SUFFIXES:
        return _open_parquet(path)
    if suffix in CSV_SUFFIXES or not suffix:
        return _open_csv(path, staging)
    if suffix == ".xls":
        raise UnsupportedFormat(
            "old Excel .xls files are not read; save it as .xlsx or .csv", file=str(path)
        )
    raise UnsupportedFormat(
        f"unknown file type {suffix!r}; backplan reads .csv (or .tsv/.txt), .xlsx and .parquet",
        file=str(path),
    )


def _open_csv(path: Path, staging: Path) -> Source:
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    file = str(path)
    if not sample.strip(b"\xef\xbb\xbf \t\r\n"):
        raise EmptyFile("the file is empty: expected a header row and data rows", file=file)
    if sample.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "this is a zip or Excel file, not CSV text; if it is Excel, name it .xlsx", file=file
        )
    encoding, bom = _sniff_encoding(sample, file)
    text = _decode_sample(sample, encoding, bom, complete=len(sample) < SAMPLE_BYTES)
    delimiter, header, header_row = _sniff_dialect(text, file)
    read_path = path
    if encoding != "utf-8":
        read_path = staging / "source-utf8.csv"
        _transcode(path, read_path, encoding)
    return Source(
        path=path,
        format="csv",
        header=_unique(header),
        encoding=encoding,
        delimiter=delimiter,
        read_path=read_path,
        header_row=header_row,
    )


def _sniff_encoding(sample: bytes, file: str) -> tuple[str, bytes]:
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if sample.startswith(bom):
            return name, bom
    if b"\x00" in sample:
        raise UnreadableFile(
            "this is not text (it contains NUL bytes); export the data as CSV, Excel .xlsx or Parquet",
            file=file,
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8", b""
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252", b""
    except UnicodeDecodeError:
        return "latin-1", b""


def _decode_sample(sample: bytes, encoding: str, bom: bytes, *, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(sample[len(bom) :], final=complete)
    if not complete:
        # The sample may end inside a row; keep whole lines only.
        cut = max(text.rfind("\n"), 0)
        text = text[:cut]
    return text


def _sniff_dialect(text: str, file: str) -> tuple[str, list[str], int]:
    lines = text.splitlines(keepends=True)
    skipped = 0
    while lines and not lines[0].strip():
        lines.pop(0)
        skipped += 1
    if not lines:
        raise EmptyFile("the file has no header row", file=file)
    body = "".join(lines[:200])
    best: tuple[float, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(body), delimiter=delimiter))
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        data = rows[1:-1] if len(rows) > 2 else rows[1:]
        agree = sum(1 for r in data if len(r) == width) / len(data) if data else 1.0
        score = agree * 1000 + width
        if best is None or score > best[0]:
            best = (score, delimiter, rows[0])
    if best is None:
        header = next(csv.reader(io.StringIO(lines[0])), [])
        if len(header) == 1 and header[0].strip():
            return ",", [header[0].strip()], skipped + 1
        raise EmptyFile("the file has no header row", file=file)
    return best[1], [h.strip() for h in best[2]], skipped + 1


def _transcode(source: Path, target: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with open(source, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        first = True
        while chunk := src.read(SAMPLE_BYTES):
            text = decoder.decode(chunk)
            if first:
                text = text.lstrip("\ufeff")
                first = False
            dst.write(text)
        dst.write(decoder.decode(b"", final=True))


def _open_parquet(path: Path) -> Source:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as e:
        if path.stat().st_size == 0:
            raise EmptyFile("the file is empty", file=str(path)) from None
        raise UnreadableFile(f"not a readable Parquet file ({e})", file=str(path)) from None
    return Source(path=path, format="parquet", header=list(schema.names), header_row=0)


def _open_excel(path: Path, sheet: str | None, limits: ExcelLimits) -> Source:
    from openpyxl import load_workbook

    file = str(path)
    if path.stat().st_size == 0:
        raise EmptyFile("the file is empty", file=file)
    _check_unpacked_size(path, limits)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, zlib.error) as e:
        raise UnreadableFile(f"not a readable .xlsx workbook ({e})", file=file) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise UnreadableFile(
                f"no sheet named {sheet!r}; the sheets are {', '.join(book.sheetnames)}", file=file
            )
        ws = book[sheet] if sheet else book.worksheets[0]
        ws.reset_dimensions()  # a read-only sheet: forget what <dimension> claims
        try:
            found = _read_sheet(ws, limits, file)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, zlib.error) as e:
            raise UnreadableFile(f"not a readable .xlsx workbook ({e})", file=file) from None
    finally:
        book.close()
    if found is None:
        raise EmptyFile("the sheet is empty: expected a header row and data rows", file=file)
    header, columns, numbers = found
    names = _unique(header)
    table = pa.table(
        {
            "_seq": pa.array(numbers, pa.int64()),
            **{n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)},
        }
    )
    return Source(path=path, format="xlsx", header=names, excel_rows=table, header_row=0)


def _check_unpacked_size(path: Path, limits: ExcelLimits) -> None:
    """Refuse a workbook whose members would unpack to more than the cap (a zip bomb),
    before unpacking any: zipfile never gives more of a member than its declared size."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnreadableFile(f"not a readable .xlsx workbook ({e})", file=str(path)) from None
    if unpacked > limits.unpacked_bytes:
        raise UnreadableFile(
            f"the workbook unpacks to more than {_megabytes(limits.unpacked_bytes)} "
            f"({_megabytes(unpacked)}); save it as .csv, or raise BACKPLAN_XLSX_MAX_UNPACKED_MB",
            file=str(path),
        )


def _read_sheet(
    ws: Any, limits: ExcelLimits, file: str
) -> tuple[list[str], list[list[str | None]], list[int]] | None:
    """The header, the columns of the rows below it and their row numbers; None when the
    sheet has no value. Rows are read only as wide as the header, and never past a cap."""
    header: list[str] | None = None
    header_row = 0
    for index, row in enumerate(
        ws.iter_rows(max_col=limits.columns + 1, values_only=True), start=1
    ):
        _check_row(index, limits, file)
        cells = [_cell_text(v) for v in row]
        filled = [i for i, c in enumerate(cells) if c]
        if filled:
            if filled[-1] >= limits.columns:
                raise UnreadableFile(
                    f"the header has more than {limits.columns:,} columns; keep the columns "
                    "the mapping reads, or raise BACKPLAN_XLSX_MAX_COLUMNS",
                    file=file,
                )
            header = [c or f"column {i + 1}" for i, c in enumerate(cells[: filled[-1] + 1])]
            header_row = index
            break
    if header is None:
        return None
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    rows_below = ws.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
    for index, row in enumerate(rows_below, start=header_row + 1):
        _check_row(index, limits, file)
        if (index - header_row) * width > limits.cells:
            raise UnreadableFile(
                f"the sheet has more than {limits.cells:,} cells (rows × columns of the "
                "header); save it as .csv",
                file=file,
            )
        if not any(v is not None for v in row):
            continue
        cells = [_cell_text(v) for v in row]
        if not any(cells):
            continue
        if len(numbers) >= limits.rows:
            raise UnreadableFile(
                f"the sheet has more than {limits.rows:,} rows; save it as .csv, split it, "
                "or raise BACKPLAN_XLSX_MAX_ROWS",
                file=file,
            )
        numbers.append(index)
        for i, col in enumerate(columns):
            col.append(cells[i] if i < len(cells) else None)
    return header, columns, numbers


def _check_row(index: int, limits: ExcelLimits, file: str) -> None:
    if index > EXCEL_LAST_ROW:
        raise UnreadableFile(
            f"not a valid .xlsx workbook: it has rows past row {EXCEL_LAST_ROW:,}, "
            "the last row a sheet can have",
            file=file,
        )


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        name = raw.strip().lstrip("\ufeff") or f"column {i + 1}"
        if name.lower() in seen:
            seen[name.lower()] += 1
            name = f"{name} ({seen[name.lower()]})"
        seen.setdefault(name.lower(), 1)
        out.append(name)
    return out


def quote(name: str) -> str:
    """A SQL identifier, whatever characters the column name has."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
