"""The roster in the app database: files of many shapes, the frame metrics read, time off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from openpyxl import Workbook
from sqlalchemy import inspect, text

from backplan import appdb
from backplan.config import Settings, get_settings
from backplan.events.errors import InvalidRow, MissingColumns
from backplan.events.schema import ROSTER_COLUMNS
from backplan.services.roster import (
    add_time_off,
    import_roster,
    import_time_off,
    rep_aliases,
    roster_frame,
    time_off_frame,
)


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def test_with_no_roster_the_frame_is_empty_with_the_roster_columns(settings: Settings) -> None:
    frame = roster_frame(settings)
    assert list(frame.columns) == list(ROSTER_COLUMNS)
    assert len(frame) == 0


def test_the_app_database_is_sqlite_in_wal_mode_at_the_newest_migration(
    settings: Settings, backplan_home: Path
) -> None:
    engine = appdb.engine(settings)
    assert engine.url.database == str(backplan_home / "backplan.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        head = ScriptDirectory.from_config(appdb.alembic_config()).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    tables = set(inspect(engine).get_table_names())
    assert {"teams", "reps", "rep_time_off", "imports"} <= tables


def test_the_database_url_setting_points_the_app_database_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    settings = get_settings()
    assert roster_frame(settings).empty
    assert (tmp_path / "elsewhere.db").exists()
    assert not (settings.home / "backplan.db").exists()


def test_a_roster_with_teams_emails_and_start_dates(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "Name,Email,Team,Manager,Region,Start date\n"
        "Ana Silva,ana@x.io,North,Mia Chen,EMEA,2023-02-01\n"
        "Bo Berg,bo@x.io,North,Mia Chen,EMEA,\n"
        "Cy Diaz,cy@x.io,South,Lou Park,Americas,2024-09-15\n"
    )
    summary = import_roster(settings, path)
    assert summary.to_dict() | {"file": ""} == {
        "file": "",
        "reps": 3,
        "teams": 2,
        "managers": 2,
        "added": 3,
        "updated": 0,
        "columns": {
            "key": "Email",
            "name": "Name",
            "email": "Email",
            "team": "Team",
            "manager": "Manager",
            "region": "Region",
            "start_date": "Start date",
        },
        "warnings": [],
    }
    frame = roster_frame(settings)
    assert frame.to_dict("records") == [
        {"rep": "ana@x.io", "name": "Ana Silva", "team": "North", "manager": "Mia Chen"},
        {"rep": "bo@x.io", "name": "Bo Berg", "team": "North", "manager": "Mia Chen"},
        {"rep": "cy@x.io", "name": "Cy Diaz", "team": "South", "manager": "Lou Park"},
    ]
    aliases = rep_aliases(settings)
    assert aliases["ana silva"] == aliases["ana@x.io"] == "ana@x.io"


def test_loading_a_roster_again_updates_reps_instead_of_adding_them(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("name,team\nAna Silva,North\nBo Berg,North\n")
    import_roster(settings, path)
    path.write_text("name,team\nAna Silva,South\nBo Berg,North\nCy Diaz,South\n")
    summary = import_roster(settings, path)
    assert (summary.added, summary.updated) == (1, 2)
    teams = dict(zip(roster_frame(settings)["rep"], roster_frame(settings)["team"], strict=True))
    assert teams == {"Ana Silva": "South", "Bo Berg": "North", "Cy Diaz": "South"}


def test_an_excel_roster_is_read(settings: Settings, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sales_agent", "manager", "regional_office"])
    sheet.append(["Ana Silva", "Mia Chen", "East"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert import_roster(settings, path).reps == 1


def test_a_roster_without_a_column_naming_reps_says_which_columns_it_found(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("team,manager\nNorth,Mia\n")
    with pytest.raises(MissingColumns, match="the file's columns are: team, manager"):
        import_roster(settings, path)


def test_a_rep_listed_twice_or_a_bad_start_date_names_the_row(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("name,start_date\nAna Silva,2023-01-01\nBo Berg,\nana silva,\n")
    with pytest.raises(
        InvalidRow, match=r"row 4, column 'name': 'ana silva'.*row 2 has the same rep"
    ):
        import_roster(settings, path)
    path.write_text("name,start_date\nAna Silva,01/02/2023x\n")
    with pytest.raises(InvalidRow, match=r"row 2, column 'start_date'.*a date like 2024-03-15"):
        import_roster(settings, path)
    assert roster_frame(settings).empty  # nothing loaded from a bad file


def test_time_off_is_recorded_per_rep(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("name,email\nAna Silva,ana@x.io\n")
    import_roster(settings, path)
    add_time_off(settings, "Ana Silva", date(2025, 8, 4), date(2025, 8, 15), "holiday")
    frame = time_off_frame(settings)
    assert frame.to_dict("records") == [
        {
            "rep": "ana@x.io",
            "first_day": date(2025, 8, 4),
            "last_day": date(2025, 8, 15),
            "reason": "holiday",
        }
    ]


def test_a_time_off_file_is_loaded_and_a_later_one_replaces_the_same_absence(
    settings: Settings, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAna Silva,ana@x.io\nBo Berg,bo@x.io\n")
    import_roster(settings, roster)
    path = tmp_path / "time-off.csv"
    path.write_text(
        "rep,start,end,reason\nAna Silva,2025-08-04,2025-08-15,holiday\nbo@x.io,2025-03-03,,sick\n"
    )
    assert import_time_off(settings, path) == 2
    path.write_text("rep,start,end,reason\nana@x.io,2025-08-04,2025-08-08,holiday\n")
    assert import_time_off(settings, path) == 1
    assert time_off_frame(settings).to_dict("records") == [
        {
            "rep": "ana@x.io",
            "first_day": date(2025, 8, 4),
            "last_day": date(2025, 8, 8),
            "reason": "holiday",
        },
        {
            "rep": "bo@x.io",
            "first_day": date(2025, 3, 3),
            "last_day": date(2025, 3, 3),
            "reason": "sick",
        },
    ]


def test_time_off_for_a_rep_nobody_knows_names_the_row(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "time-off.csv"
    path.write_text("rep,start,end\nGhost,2025-08-04,2025-08-15\n")
    with pytest.raises(InvalidRow, match=r"row 2, column 'rep': 'Ghost'.*a rep of the roster"):
        import_time_off(settings, path)
