"""Bad files: each gives its named error or named reject reasons, and nothing is lost."""

from __future__ import annotations

import csv
import tomllib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from backplan.config import Settings, get_settings
from backplan.events.errors import EmptyFile, MissingColumns, UnreadableFile, UnsupportedFormat
from backplan.events.store import EventStore
from backplan.services.importing import ImportRequest, ImportSummary, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)
csv.field_size_limit(1 << 26)  # rejects keep huge fields whole
HEADER = "event_id,rep,at,kind,prospect,amount,source"
GOOD = [
    "e1,ana,2025-01-02 09:00:00,dial,p1,,Inbound",
    "e2,ana,2025-01-02 09:05:00,connect,p1,,Inbound",
    "e3,bo,2025-01-03T10:00:00Z,email,p2,,",
]


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def write(path: Path, lines: list[str], *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    return path


def run(
    settings: Settings, path: Path, mapping: str = "events", **options: object
) -> ImportSummary:
    return import_file(settings, ImportRequest(path, mapping, now=NOW, **options))  # type: ignore[arg-type]


def rejects(summary: ImportSummary) -> list[dict[str, str]]:
    assert summary.rejects_file, "a rejects file was expected"
    with open(summary.rejects_file, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def stored(settings: Settings) -> list[tuple[str, ...]]:
    con = EventStore(settings.home).connect()
    return [
        tuple(map(str, r))
        for r in con.execute("SELECT event_id, rep, kind FROM events ORDER BY event_id").fetchall()
    ]


def assert_nothing_lost(summary: ImportSummary) -> None:
    """Every row read is an event added or already stored, a rejected row, or a skipped row."""
    assert summary.read == summary.added + summary.duplicates + summary.rejected + summary.skipped


def test_a_clean_file_is_added_whole_without_being_read_twice(
    settings: Settings, tmp_path: Path
) -> None:
    summary = run(settings, write(tmp_path / "ok.csv", [HEADER, *GOOD]))
    assert (summary.read, summary.added, summary.rejected) == (3, 3, 0)
    assert not summary.checked_row_by_row
    assert stored(settings) == [
        ("e1", "ana", "dial"),
        ("e2", "ana", "connect"),
        ("e3", "bo", "email"),
    ]


def test_garbage_dates_are_rejected_row_by_row_and_nothing_is_added(
    settings: Settings, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "dates.csv",
        [HEADER, *GOOD, "e4,bo,yesterday-ish,dial,p3,,", "e5,bo,2025-13-45,dial,,,"],
    )
    summary = run(settings, path)
    assert summary.checked_row_by_row
    assert (summary.status, summary.read, summary.rejected, summary.added) == ("rejected", 5, 2, 0)
    assert summary.reasons == {"bad_date": 2}
    assert stored(settings) == []
    bad = rejects(summary)
    assert [(r["row"], r["column"], r["value"], r["reason"]) for r in bad] == [
        ("5", "at", "yesterday-ish", "bad_date"),
        ("6", "at", "2025-13-45", "bad_date"),
    ]
    assert bad[0]["file"] == path.name  # never a path on the server (issue 14)
    assert bad[0]["expected"].startswith("a date like 2024-03-15")
    assert (bad[0]["event_id"], bad[0]["prospect"]) == ("e4", "p3")  # the original row


def test_with_allow_rejects_the_good_rows_are_added(settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path / "dates.csv", [HEADER, *GOOD, "e4,bo,not a date,dial,,,"])
    summary = run(settings, path, allow_rejects=True)
    assert (summary.status, summary.added, summary.rejected) == ("done", 3, 1)
    assert_nothing_lost(summary)


def test_every_named_reason_is_reported_with_its_row(settings: Settings, tmp_path: Path) -> None:
    lines = [
        HEADER,
        *GOOD,
        "e4,ana,2025-01-04,telepathy,,,",  # row 5
        "e5,ana,2099-01-01,dial,,,",  # row 6
        "e6,ana,2025-01-04,won,p9,-120,",  # row 7
        "e7,,2025-01-04,dial,,,",  # row 8
        "e8,ana,2025-01-04,won,p9,twelve,",  # row 9
        "e1,bo,2025-01-09,sql,,,",  # row 10: e1 again with other values
        "e2,ana,2025-01-02 09:05:00,connect,p1,,Inbound",  # row 11: e2 again, identical
        ",ana,2025-01-04,dial,,,",  # row 12
    ]
    summary = run(settings, write(tmp_path / "mixed.csv", lines), allow_rejects=True)
    found = {(r["row"], r["reason"]) for r in rejects(summary)}
    assert found == {
        ("5", "unknown_kind"),
        ("6", "future_date"),
        ("7", "negative_amount"),
        ("8", "missing_value"),
        ("9", "bad_number"),
        ("10", "duplicate_id"),
        ("12", "missing_value"),
    }
    assert summary.reasons == {
        "unknown_kind": 1,
        "future_date": 1,
        "negative_amount": 1,
        "missing_value": 2,
        "bad_number": 1,
        "duplicate_id": 1,
    }
    # Row 11 repeats row 3 exactly: not an error, counted once as a duplicate.
    assert (summary.read, summary.added, summary.duplicates, summary.rejected) == (11, 3, 1, 7)
    assert_nothing_lost(summary)
    duplicate = next(r for r in rejects(summary) if r["reason"] == "duplicate_id")
    assert duplicate["expected"] == "a unique id: row 2 has the same id with different values"


def test_a_latin1_file_is_read_with_its_accents_intact(settings: Settings, tmp_path: Path) -> None:
    path = write(
        tmp_path / "latin1.csv",
        [HEADER, "e1,José Núñez,2025-01-02,dial,,,Salon München"],
        encoding="cp1252",
    )
    summary = run(settings, path)
    assert (summary.added, summary.encoding) == (1, "cp1252")
    con = EventStore(settings.home).connect()
    assert con.execute("SELECT rep, source FROM events").fetchone() == (
        "José Núñez",
        "Salon München",
    )


def test_utf8_with_bom_semicolons_and_crlf_are_read(settings: Settings, tmp_path: Path) -> None:
    lines = [HEADER.replace(",", ";"), *(g.replace(",", ";") for g in GOOD)]
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    summary = run(settings, path)
    assert (summary.read, summary.added) == (3, 3)


def test_utf16_text_as_excel_saves_it_is_read(settings: Settings, tmp_path: Path) -> None:
    lines = [HEADER.replace(",", "\t"), *(g.replace(",", "\t") for g in GOOD)]
    path = tmp_path / "unicode.txt"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    summary = run(settings, path)
    assert (summary.added, summary.encoding) == (3, "utf-16-le")


def test_a_binary_file_is_not_text(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(b"event_id,rep\x00\x01\x02\xff" * 50)
    with pytest.raises(UnreadableFile, match="not text"):
        run(settings, path)


def test_an_excel_file_named_csv_is_recognised(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnreadableFile, match=r"name it \.xlsx"):
        run(settings, path)


def test_an_empty_file_is_a_named_error(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile, match="empty"):
        run(settings, path)
    assert stored(settings) == []


def test_a_header_without_rows_reads_nothing_and_adds_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    summary = run(settings, write(tmp_path / "header.csv", [HEADER]))
    assert (summary.status, summary.read, summary.added) == ("done", 0, 0)


def test_unknown_file_types_are_named(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("{}")
    with pytest.raises(UnsupportedFormat, match=r"reads \.csv"):
        run(settings, path)


def test_missing_columns_name_what_is_missing_what_was_found_and_how_to_map_it(
    settings: Settings, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "calls.csv", ["Call ID,Agent,Started,Outcome", "1,ana,2025-01-02,Answered"]
    )
    with pytest.raises(MissingColumns) as caught:
        run(settings, path)
    error = caught.value
    assert error.missing == ["id", "rep", "kind", "at"]
    assert error.found == ["Call ID", "Agent", "Started", "Outcome"]
    message = str(error)
    assert "rep ('rep')" in message and "'Call ID', 'Agent', 'Started', 'Outcome'" in message
    assert "--mapping my-mapping.toml" in message
    skeleton = tomllib.loads(error.hint)
    assert set(skeleton["columns"]) == {"id", "rep", "kind", "prospect", "amount", "source"}
    assert skeleton["dates"] == {"at": "Started"}  # the closest column name, to be checked
    assert stored(settings) == []


def test_a_truncated_last_line_is_a_malformed_row_with_its_text(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "cut.csv"
    path.write_text("\n".join([HEADER, *GOOD, 'e4,bo,2025-01-05,dial,"p4']))  # cut inside a quote
    summary = run(settings, path)
    assert (summary.read, summary.rejected, summary.reasons) == (4, 1, {"malformed_row": 1})
    (bad,) = rejects(summary)
    assert (bad["row"], bad["reason"], bad["line"]) == (
        "5",
        "malformed_row",
        'e4,bo,2025-01-05,dial,"p4',
    )
    summary = run(settings, path, allow_rejects=True)
    assert summary.added == 3
    assert_nothing_lost(summary)


def test_rows_with_too_few_fields_keep_the_row_numbers_of_the_rows_after_them(
    settings: Settings, tmp_path: Path
) -> None:
    lines = [HEADER, GOOD[0], "e9,ana,2025-01-02", GOOD[1], "e7,ana,2025-01-02,zap,,,", GOOD[2]]
    summary = run(settings, write(tmp_path / "short.csv", lines), allow_rejects=True)
    assert sorted((r["row"], r["reason"]) for r in rejects(summary)) == [
        ("3", "malformed_row"),
        ("5", "unknown_kind"),
    ]
    assert summary.added == 3


def test_quoted_newlines_are_part_of_a_field_and_rows_are_counted_as_records(
    settings: Settings, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        'e1,ana,2025-01-02,dial,"p1","","a source\r\nover two lines"',
        "e2,ana,2025-01-02,zap,,,",
    ]
    summary = run(
        settings, write(tmp_path / "multi.csv", lines, newline="\r\n"), allow_rejects=True
    )
    assert (summary.read, summary.added) == (2, 1)
    assert [(r["row"], r["reason"]) for r in rejects(summary)] == [("3", "unknown_kind")]
    con = EventStore(settings.home).connect()
    assert con.execute("SELECT source FROM events").fetchone() == ("a source\r\nover two lines",)


def test_a_huge_field_in_a_column_not_mapped_is_no_problem(
    settings: Settings, tmp_path: Path
) -> None:
    notes = "x" * 5_000_000
    path = write(
        tmp_path / "notes.csv", [HEADER + ",notes", GOOD[0] + "," + notes, GOOD[1] + ",short"]
    )
    summary = run(settings, path)
    assert (summary.added, summary.rejected) == (2, 0)


def test_a_huge_value_in_a_mapped_column_is_rejected_whole(
    settings: Settings, tmp_path: Path
) -> None:
    huge = "p" * 5_000_000
    path = write(tmp_path / "huge.csv", [HEADER, *GOOD, f"e4,ana,2025-01-02,dial,{huge},,"])
    summary = run(settings, path)
    assert summary.reasons == {"value_too_long": 1}
    (bad,) = rejects(summary)
    assert (bad["row"], bad["column"]) == ("5", "prospect")
    assert len(bad["prospect"]) == 5_000_000  # the original row, complete


def test_an_excel_workbook_is_read_with_its_dates_and_row_numbers(
    settings: Settings, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["e1", "ana", datetime(2025, 1, 2, 9, 30), "dial", "p1", None, "Inbound"])
    sheet.append(["e2", "ana", datetime(2025, 1, 2, 9, 45), "won", "p1", 1200.5, "Inbound"])
    sheet.append(["e3", "ana", "soon", "dial", None, None, None])
    path = tmp_path / "events.xlsx"
    book.save(path)
    summary = run(settings, path, allow_rejects=True)
    assert (summary.read, summary.added) == (3, 2)
    assert [(r["row"], r["reason"], r["value"]) for r in rejects(summary)] == [
        ("4", "bad_date", "soon")
    ]
    con = EventStore(settings.home).connect()
    assert con.execute("SELECT \"at\", amount FROM events WHERE kind = 'won'").fetchone() == (
        datetime(2025, 1, 2, 9, 45, tzinfo=UTC),
        1200.5,
    )


def test_a_parquet_file_is_read_and_its_bad_rows_named_by_record_number(
    settings: Settings, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "event_id": ["a", "b", "c"],
            "rep": ["ana", "ana", "bo"],
            "at": pa.array([datetime(2025, 1, 2, tzinfo=UTC)] * 3, pa.timestamp("us", tz="UTC")),
            "kind": ["dial", "meeting_booked", "dance"],
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    summary = run(settings, path, allow_rejects=True)
    assert (summary.added, summary.rejected) == (2, 1)
    assert [(r["row"], r["reason"]) for r in rejects(summary)] == [("3", "unknown_kind")]
    pq.write_table(table.slice(0, 2), path)
    assert run(settings, path).duplicates == 2


def test_a_broken_parquet_file_is_unreadable(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(UnreadableFile, match="Parquet"):
        run(settings, path)


def test_a_failed_import_is_logged_with_its_error(settings: Settings, tmp_path: Path) -> None:
    from backplan.services.importing import recent_imports

    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile):
        run(settings, path)
    (entry,) = recent_imports(settings)
    assert entry["status"] == "failed" and "empty" in entry["message"]


def test_values_with_spaces_or_capitals_are_cleaned_and_still_added(
    settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "spaces.csv", [HEADER, " e1 , Ana ,2025-01-02,Meeting Booked, p1 ,,"])
    summary = run(settings, path)
    assert (summary.added, summary.checked_row_by_row) == (1, True)
    assert stored(settings) == [("e1", "Ana", "meeting_booked")]


def test_repeated_ids_alone_are_found_after_the_fast_read(
    settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "again.csv", [HEADER, *GOOD, "e3,bo,2025-01-04,email,p2,,"])
    summary = run(settings, path)
    assert summary.checked_row_by_row
    assert [(r["row"], r["reason"], r["value"]) for r in rejects(summary)] == [
        ("5", "duplicate_id", "e3")
    ]


def test_with_a_roster_an_unknown_rep_is_rejected_and_known_ones_stored_by_key(
    settings: Settings, tmp_path: Path
) -> None:
    from backplan.services.roster import import_roster

    roster = tmp_path / "roster.csv"
    roster.write_text("rep,name\nr-ana,Ana\nr-bo,Bo\n")
    import_roster(settings, roster)
    lines = [
        HEADER,
        "e1,Ana,2025-01-02,dial,,,",
        "e2,r-bo,2025-01-02,dial,,,",
        "e3,Cy,2025-01-02,dial,,,",
    ]
    path = write(tmp_path / "events.csv", lines)
    summary = run(settings, path)
    assert [(r["row"], r["reason"], r["value"]) for r in rejects(summary)] == [
        ("4", "unknown_rep", "Cy")
    ]
    summary = run(settings, write(tmp_path / "known.csv", lines[:3]))
    assert (summary.added, summary.checked_row_by_row) == (2, False)
    assert stored(settings) == [("e1", "r-ana", "dial"), ("e2", "r-bo", "dial")]


def test_events_without_ids_get_the_same_content_id_whichever_way_they_were_read(
    settings: Settings, tmp_path: Path
) -> None:
    mapping = tmp_path / "noid.toml"
    mapping.write_text('[columns]\nrep = "rep"\nkind = "kind"\n\n[dates]\nat = "at"\n')
    clean = write(tmp_path / "clean.csv", ["rep,at,kind", "ana,2025-01-02 10:00:00,dial"])
    first = run(settings, clean, str(mapping))
    messy = write(
        tmp_path / "messy.csv",
        ["rep,at,kind", " ana ,2025-01-02 10:00:00,Dial", "ana,2025-01-03,dial"],
    )
    second = run(settings, messy, str(mapping))
    assert (first.checked_row_by_row, second.checked_row_by_row) == (False, True)
    assert (first.added, second.added, second.duplicates) == (1, 1, 1)


@pytest.mark.slow
def test_row_numbers_stay_exact_in_a_large_file_read_in_parallel(
    settings: Settings, tmp_path: Path
) -> None:
    from backplan.services.roster import import_roster

    roster = tmp_path / "roster.csv"
    roster.write_text("rep,name\nr-ana,Ana\nr-bo,Bo\n")
    import_roster(settings, roster)
    lines = [HEADER]
    bad_rows = {1_234: "zap", 150_001: "zap", 299_998: "zap"}
    for row in range(2, 300_002):
        kind = bad_rows.get(row, "dial")
        rep = "Nobody" if row == 77_777 else ("Ana" if row % 2 else "r-bo")
        lines.append(f"e{row},{rep},2025-01-02 10:00:00,{kind},p{row % 97},,Inbound")
    lines[200_000 - 1] = "e200000,Ana,2025-01-02"  # row 200,000: too few fields
    summary = run(settings, write(tmp_path / "large.csv", lines), allow_rejects=True)
    found = sorted((int(r["row"]), r["reason"], r["value"]) for r in rejects(summary))
    assert found == [
        (1_234, "unknown_kind", "zap"),
        (77_777, "unknown_rep", "Nobody"),
        (150_001, "unknown_kind", "zap"),
        (200_000, "malformed_row", ""),
        (299_998, "unknown_kind", "zap"),
    ]
    assert (summary.read, summary.added) == (300_000, 299_995)
    con = EventStore(settings.home).connect()
    assert con.execute("SELECT rep, count(*) FROM events GROUP BY rep ORDER BY rep").fetchall() == [
        ("r-ana", 149_998),
        ("r-bo", 149_997),
    ]


def test_rows_are_numbered_as_read_should_a_plan_ever_reorder_them(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backplan.events import importer

    monkeypatch.setattr(importer._Run, "_keeps_order", lambda self, sql: False)
    lines = [
        HEADER,
        *(f"e{r},ana,2025-01-02,{'zap' if r == 9_000 else 'dial'},,," for r in range(2, 20_002)),
    ]
    lines[5_000 - 1] = "e5000,ana"  # row 5,000: too few fields
    summary = run(settings, write(tmp_path / "numbered.csv", lines), allow_rejects=True)
    assert sorted((int(r["row"]), r["reason"]) for r in rejects(summary)) == [
        (5_000, "malformed_row"),
        (9_000, "unknown_kind"),
    ]
    assert summary.added == 19_998
