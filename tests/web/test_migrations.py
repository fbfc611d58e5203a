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


def test_accounts_sessions_and_agreed_plans_work_on_sqlite_and_postgresql(
    app_database: str, backplan_home: Path
) -> None:
    from fastapi.testclient import TestClient

    from backplan.web import create_app

    from .conftest import ANA, PASSWORD, S1_RATES, add_people, fast_settings

    app = create_app(fast_settings(backplan_home))
    assert app.state.web.settings.app_database_url.startswith(
        "postgresql" if app_database == "postgresql" else "sqlite"
    )
    add_people(app)
    client = TestClient(app)
    signed = client.post("/api/session", json={"email": ANA.email, "password": PASSWORD})
    csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
    body = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES}
    agreed = client.post("/api/plans", json=body, headers=csrf).json()
    again = client.get(f"/api/plans/{agreed['id']}").json()
    assert again["rates"]["sqls/meetings"] == "1/3" and again["agreed_at"] == agreed["agreed_at"]
    assert client.get("/api/reps/Ana").json()["roster"]["team"] == "East"
    assert client.delete("/api/session", headers=csrf).status_code == 204
    assert client.get("/api/me").status_code == 401
