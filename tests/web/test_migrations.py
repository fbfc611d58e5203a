"""The accounts and agreed-plans tables come from a migration in the app database's chain."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from backplan import appdb
from backplan.appdb.models import Base
from backplan.settings import Settings

ACCOUNT_TABLES = {"users", "user_teams", "web_sessions", "sign_in_failures", "plan_agreements"}


def test_an_empty_database_is_migrated_to_tables_that_match_the_models(backplan_home: Path) -> None:
    engine = appdb.engine(Settings(home=backplan_home))
    assert set(inspect(engine).get_table_names()) >= ACCOUNT_TABLES
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if table_of(d) in ACCOUNT_TABLES] == []


def table_of(diff: object) -> str | None:
    """The table an Alembic autogenerate difference is about."""
    if isinstance(diff, list):  # column modifications come grouped
        return table_of(diff[0])
    assert isinstance(diff, tuple)
    for item in diff[1:]:
        if isinstance(item, str) and item in ACCOUNT_TABLES:
            return item
        table = getattr(item, "table", None) if not hasattr(item, "columns") else item
        if table is not None and getattr(table, "name", None):
            return str(table.name)
    return None


def test_a_database_with_a_roster_upgrades_and_keeps_it(backplan_home: Path) -> None:
    url = f"sqlite:///{backplan_home / 'backplan.db'}"
    config = appdb.alembic_config()
    raw = create_engine(url)
    with raw.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(text("INSERT INTO teams (id, name) VALUES (1, 'East')"))
        conn.execute(
            text("INSERT INTO reps (key, name, team_id, origin) VALUES ('ana', 'Ana', 1, 'roster')")
        )
    raw.dispose()
    engine = appdb.engine(Settings(home=backplan_home))  # upgrades to head on opening
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM reps")).scalar_one() == "Ana"
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    assert set(inspect(engine).get_table_names()) >= ACCOUNT_TABLES
