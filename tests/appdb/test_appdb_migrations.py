"""The app database's migrations: one head, and upgrades of empty and populated databases."""

from __future__ import annotations

from datetime import date

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from backplan import appdb
from backplan.config import Settings
from backplan.services import okr

OKR_TABLES = {"objectives", "key_results", "plans", "agreements"}


def test_the_migrations_have_a_single_head():
    heads = ScriptDirectory.from_config(appdb.alembic_config()).get_heads()
    assert len(heads) == 1, (
        f"several Alembic heads {heads}: chain the newest migration after the other"
    )


def _upgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    config = appdb.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_database_upgrades_to_the_newest_schema(app_database: str):
    url = Settings().app_database_url
    _upgrade(url, "head")
    assert {"teams", "reps", "rep_time_off", "imports", "definitions"} | OKR_TABLES <= _tables(url)


def test_a_populated_database_keeps_its_roster_through_the_okr_migration(app_database: str):
    settings = Settings()
    url = settings.app_database_url
    _upgrade(url, "0001")
    assert not OKR_TABLES & _tables(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (id, name, manager) VALUES (1, 'North', 'Maya')"))
        conn.execute(
            text(
                "INSERT INTO reps (id, key, name, team_id, origin) "
                "VALUES (1, 'ana', 'Ana Silva', 1, 'roster'), (2, 'ben', 'Ben Novak', 1, 'roster')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO rep_time_off (rep_id, first_day, last_day, reason) "
                "VALUES (2, '2026-10-12', '2026-10-23', 'holiday')"
            )
        )
    engine.dispose()
    _upgrade(url, "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        reps = conn.execute(text("SELECT key, name, team_id FROM reps ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in reps] == [("ana", "Ana Silva", 1), ("ben", "Ben Novak", 1)]
    # The old roster works with the new tables: Ben's time off shapes his share.
    request = okr.ObjectiveRequest("North", "team", "2026-10", ["20 sqls"], split=True)
    shares = {
        s.rep: s.target for s in okr.create_objective(settings, request, date(2026, 10, 1)).shares
    }
    assert shares == {"ana": 13, "ben": 7}


def test_downgrading_removes_only_the_okr_tables(app_database: str):
    url = Settings().app_database_url
    _upgrade(url, "head")
    engine = create_engine(url)
    config = appdb.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    engine.dispose()
    tables = _tables(url)
    assert not OKR_TABLES & tables and {"teams", "reps"} <= tables


def test_the_definitions_table_matches_its_model_and_downgrades_alone(app_database: str):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from backplan.appdb.models import Base

    url = Settings().app_database_url
    _upgrade(url, "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "definitions" in repr(d)] == []
    config = appdb.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    engine.dispose()
    tables = _tables(url)
    assert "definitions" not in tables and {"users", "objectives"} <= tables
