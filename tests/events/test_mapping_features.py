"""Mapping features that spare a user pre-processing: constants, value maps, per-row
fallbacks across columns, and lookups into another file by id."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from backplan.config import get_settings
from backplan.core.errors import DefinitionError
from backplan.events.errors import MissingColumns, UnreadableFile
from backplan.events.mapping import read_mapping
from backplan.services.importing import ImportRequest, import_file


def stored(home: Path, sql: str) -> list[tuple[object, ...]]:
    return duckdb.sql(
        sql.replace("EVENTS", f"read_parquet('{home}/events/**/*.parquet')")
    ).fetchall()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def run(file: Path, mapping: Path, **options: bool) -> object:
    return import_file(get_settings(), ImportRequest(file, str(mapping), **options))


def test_a_constant_rep_maps_a_file_with_no_owner_column(
    tmp_path: Path, backplan_home: Path
) -> None:
    leads = write(
        tmp_path / "funnel.csv",
        "Lead Id,Created,Source\nL1,2025-03-01,Webinar\nL2,2025-03-02,OnlineStore\n",
    )
    mapping = write(
        tmp_path / "funnel.toml",
        '[columns]\nid = "Lead Id"\nrep = { value = "marketing" }\nkind = { value = "sql" }\n'
        'source = { column = "Source", map = { "OnlineStore" = "Online Store" } }\n'
        '[dates]\nat = "Created"\n',
    )
    summary = run(leads, mapping)
    assert summary.added == 2  # type: ignore[attr-defined]
    rows = stored(backplan_home, "SELECT rep, kind, source FROM EVENTS ORDER BY event_id")
    assert rows == [("marketing", "sql", "Webinar"), ("marketing", "sql", "Online Store")]


def test_a_value_map_turns_a_crm_stage_into_an_event_kind(
    tmp_path: Path, backplan_home: Path
) -> None:
    deals = write(
        tmp_path / "deals.csv",
        'Deal,Owner,Stage,Closed,Amount\nD1,Ana,Closed Won,2025-03-01,"$1,250.00"\n'
        "D2,Ana,closed lost,2025-03-02,0\nD3,Ben,Negotiation,2025-03-03,900\n",
    )
    mapping = write(
        tmp_path / "deals.toml",
        '[columns]\nid = "Deal"\nrep = "Owner"\namount = "Amount"\n'
        'kind = { column = "Stage", map = { "Closed Won" = "won", "Closed Lost" = "lost" } }\n'
        '[dates]\nat = "Closed"\n',
    )
    summary = run(deals, mapping, allow_rejects=True)
    assert (summary.added, summary.rejected) == (2, 1)  # type: ignore[attr-defined]
    rows = stored(backplan_home, "SELECT event_id, kind, amount FROM EVENTS ORDER BY event_id")
    assert rows == [("D1", "won", 1250.0), ("D2", "lost", 0.0)]
    rejects = Path(summary.rejects_file).read_text()  # type: ignore[attr-defined]
    assert "Negotiation" in rejects and 'map = { ""Call"" = ""dial"" }' in rejects


def test_columns_fall_back_row_by_row_to_the_first_non_empty(
    tmp_path: Path, backplan_home: Path
) -> None:
    calls = write(
        tmp_path / "calls.csv",
        "Id,Owner,Created By,When\nc1,Ana,Ben,2025-03-01 10:00\nc2,,Ben,2025-03-01 11:00\n"
        "c3,  ,,2025-03-01 12:00\n",
    )
    mapping = write(
        tmp_path / "calls.toml",
        '[columns]\nid = "Id"\nrep = { columns = ["Owner", "Created By"], value = "unassigned" }\n'
        'kind = { value = "dial" }\n[dates]\nat = "When"\n',
    )
    assert run(calls, mapping).added == 3  # type: ignore[attr-defined]
    rows = stored(backplan_home, "SELECT event_id, rep FROM EVENTS ORDER BY event_id")
    assert rows == [("c1", "Ana"), ("c2", "Ben"), ("c3", "unassigned")]


def test_a_deal_takes_its_lead_source_from_the_lead_file(
    tmp_path: Path, backplan_home: Path
) -> None:
    write(
        tmp_path / "leads.csv",
        "Record ID,Lead Source,Owner\nL1,Webinar,Ana\nL2,Referral,Ben\nL2,Other,Ben\n",
    )
    deals = write(
        tmp_path / "deals.csv",
        "Deal ID,Owner,Stage,Close Date,Lead Id\nD1,Ana,won,2025-03-01,L1\n"
        "D2,Ben,lost,2025-03-02,L2\nD3,Ben,won,2025-03-03,\nD4,Ana,won,2025-03-04,L9\n",
    )
    mapping = write(
        tmp_path / "deals.toml",
        '[columns]\nid = "Deal ID"\nrep = "Owner"\nkind = "Stage"\n'
        'source = { lookup = "leads.csv", key = "Lead Id", lookup_key = "Record ID", '
        'column = "Lead Source" }\n[dates]\nat = "Close Date"\n',
    )
    assert run(deals, mapping).added == 4  # type: ignore[attr-defined]
    rows = stored(backplan_home, "SELECT event_id, source FROM EVENTS ORDER BY event_id")
    assert rows == [("D1", "Webinar"), ("D2", "Referral"), ("D3", None), ("D4", None)]


def test_a_lookup_file_that_is_not_there_says_where_it_was_looked_for(tmp_path: Path) -> None:
    deals = write(tmp_path / "deals.csv", "Deal ID,Owner,Stage,Close Date,Lead Id\n")
    mapping = write(
        tmp_path / "deals.toml",
        '[columns]\nid = "Deal ID"\nrep = "Owner"\nkind = "Stage"\n'
        'source = { lookup = "leads.csv", key = "Lead Id", column = "Lead Source" }\n'
        '[dates]\nat = "Close Date"\n',
    )
    with pytest.raises(UnreadableFile, match="neither beside the export"):
        run(deals, mapping)
    write(tmp_path / "leads.csv", "Id,Source\n")
    with pytest.raises(MissingColumns, match="lookup_key") as caught:
        run(deals, mapping)
    assert "'Lead Id' or 'Lead Source'" in str(caught.value) and "leads.csv" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ('rep = { value = "x", lookup = "l.csv", key = "a", column = "b" }', "no columns or value"),
        ('rep = { lookup = "l.csv", key = "a" }', "a lookup needs key"),
        ("rep = { }", "name a column or give a value"),
        ('id = { value = "x" }\nrep = "Owner"', "an id cannot be a constant"),
        ('rep = { column = "Owner", key = "x" }', "belong to a lookup"),
    ],
)
def test_a_field_table_that_cannot_work_names_the_line_and_the_syntax(
    tmp_path: Path, field: str, message: str
) -> None:
    mapping = write(tmp_path / "m.toml", f'[columns]\n{field}\nkind = "k"\n[dates]\nat = "d"\n')
    with pytest.raises(DefinitionError, match=message) as caught:
        read_mapping(mapping)
    assert "m.toml" in str(caught.value)
