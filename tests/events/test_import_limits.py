"""Spreadsheets are read within bounds, and outside the store's lock (issue 14, item 3).

An .xlsx is a zip of XML: its ``<dimension>`` may claim a million rows by
16,384 columns, and its members may unpack to gigabytes. backplan checks the
members' sizes before unpacking anything, ignores ``<dimension>``, and stops
reading past the row, column or cell caps with a clear error. The files are
built here, small, with zipfile: no malicious file is shipped.
"""

from __future__ import annotations

import fcntl
import io
import re
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from backplan.config import Settings
from backplan.events.errors import UnreadableFile
from backplan.events.readers import ExcelLimits, open_source
from backplan.services import importing
from backplan.services.importing import ImportRequest, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)
HEADER = ["event_id", "rep", "at", "kind", "prospect", "amount", "source"]
SHEET = "xl/worksheets/sheet1.xml"


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(xlsx: bytes, member: str, change) -> bytes:  # type: ignore[no-untyped-def]
    """The workbook with one member's text changed (the rest copied as they are)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def events(n: int) -> list[list[object]]:
    return [HEADER] + [
        [f"e{i}", "ana", "2025-01-02 09:00:00", "dial", "p", None, ""] for i in range(n)
    ]


def save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_sheet_declaring_a_million_rows_by_16384_columns_is_read_by_its_cells(
    tmp_path: Path,
) -> None:
    """The probe's file: <dimension> claims A1:XFD1048576 and one cell sits in the last row,
    so a reader trusting <dimension> pads a million rows to 16,384 cells each."""

    def declare_everything(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
        last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>e9</t></is></c></row>'
        return xml.replace("</sheetData>", last + "</sheetData>")

    huge = rewritten(workbook(events(2)), SHEET, declare_everything)
    assert len(huge) < 10_000
    path = save(tmp_path / "dimension.xlsx", huge)
    outcome: dict[str, object] = {}

    def run() -> None:
        request = ImportRequest(path, "events", now=NOW, allow_rejects=True)
        outcome["summary"] = import_file(Settings(), request)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "reading a 10 KB workbook took over 30 s"
    summary = outcome["summary"]
    assert (summary.read, summary.added, summary.rejected) == (3, 2, 1)  # type: ignore[attr-defined]


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    padding = "<!--" + " " * (3 << 20) + "-->"  # 3 MB of nothing: 3 KB compressed
    bomb = rewritten(
        workbook(events(2)), SHEET, lambda xml: xml.replace("<sheetData>", padding + "<sheetData>")
    )
    assert len(bomb) < 50_000
    path = save(tmp_path / "bomb.xlsx", bomb)
    with pytest.raises(UnreadableFile, match=r"unpacks to more than 2 MB"):
        import_file(Settings(xlsx_max_unpacked_mb=2), ImportRequest(path, "events", now=NOW))


def test_a_member_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    padding = "<!--" + " " * (3 << 20) + "-->"
    bomb = rewritten(
        workbook(events(2)), SHEET, lambda xml: xml.replace("<sheetData>", padding + "<sheetData>")
    )
    archive = zipfile.ZipFile(io.BytesIO(bomb))
    real = archive.getinfo(SHEET).file_size
    claimed = 5_000
    # Patch both headers (local and central) to claim 5 KB for the 3 MB member.
    lying = bomb.replace(real.to_bytes(4, "little"), claimed.to_bytes(4, "little"))
    path = save(tmp_path / "liar.xlsx", lying)
    with pytest.raises(UnreadableFile, match=r"not a readable \.xlsx"):
        import_file(Settings(xlsx_max_unpacked_mb=2), ImportRequest(path, "events", now=NOW))


def test_rows_past_the_cap_stop_the_read_with_a_clear_error(tmp_path: Path) -> None:
    path = save(tmp_path / "long.xlsx", workbook(events(30)))
    with pytest.raises(UnreadableFile, match=r"more than 20 rows.*BACKPLAN_XLSX_MAX_ROWS"):
        import_file(Settings(xlsx_max_rows=20), ImportRequest(path, "events", now=NOW))
    assert (
        import_file(Settings(xlsx_max_rows=31), ImportRequest(path, "events", now=NOW)).added == 30
    )


def test_a_row_past_excels_last_row_is_refused(tmp_path: Path) -> None:
    far = rewritten(
        workbook(events(2)),
        SHEET,
        lambda xml: xml.replace(
            "</sheetData>", '<row r="900000000"><c r="A900000000"><v>1</v></c></row></sheetData>'
        ),
    )
    path = save(tmp_path / "far.xlsx", far)
    with pytest.raises(UnreadableFile, match=r"past row 1,048,576"):
        import_file(Settings(), ImportRequest(path, "events", now=NOW))


def test_cells_past_the_cap_stop_the_read(tmp_path: Path) -> None:
    path = save(tmp_path / "cells.xlsx", workbook(events(30)))
    with pytest.raises(UnreadableFile, match=r"more than 100 cells"):
        open_source(path, tmp_path, limits=ExcelLimits(cells=100))


def test_columns_past_the_cap_stop_the_read_with_a_clear_error(tmp_path: Path) -> None:
    wide = [[*HEADER, *(f"extra {i}" for i in range(30))], ["e1", "ana", "2025-01-02", "dial"]]
    path = save(tmp_path / "wide.xlsx", workbook(wide))
    with pytest.raises(UnreadableFile, match=r"more than 20 columns.*BACKPLAN_XLSX_MAX_COLUMNS"):
        import_file(Settings(xlsx_max_columns=20), ImportRequest(path, "events", now=NOW))


def lock_is_held(home: Path) -> bool:
    with open(home / "events.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def test_the_file_is_read_before_the_store_lock_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    held: list[bool] = []
    real_open = importing.open_source

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        held.append(lock_is_held(settings.home))
        return real_open(*args, **kwargs)

    monkeypatch.setattr(importing, "open_source", watched)
    path = save(tmp_path / "ok.xlsx", workbook(events(3)))
    assert import_file(settings, ImportRequest(path, "events", now=NOW)).added == 3
    assert held == [False]
