"""The accounts tables come from a migration in the app database's chain; plans agreed on the
web before objectives kept them move under the reps' objectives."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from backplan import appdb
from backplan.appdb.models import Base
from backplan.config import Settings

ACCOUNT_TABLES = {"users", "user_teams", "web_sessions", "sign_in_throttles", "recovery_codes"}
PLAN_TABLES = {"objectives", "key_results", "plans", "agreements"}
COACHING_TABLES = {"coaching_focuses"}
AUDIT_TABLES = {"audit_events"}


def test_an_empty_database_is_migrated_to_tables_that_match_the_models(backplan_home: Path) -> None:
    engine = appdb.engine(Settings(home=backplan_home))
    assert set(inspect(engine).get_table_names()) >= ACCOUNT_TABLES | COACHING_TABLES | AUDIT_TABLES
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    checked = ACCOUNT_TABLES | PLAN_TABLES | COACHING_TABLES | AUDIT_TABLES
    assert [d for d in diffs if table_of(d) in checked] == []
    assert "plan_agreements" not in inspect(engine).get_table_names()


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


S1_PLAN = {
    "objective": {"stage": "sqls", "target": 4, "revenue": None, "deal_value": None},
    "stages": [{"key": "dials", "per_period": 1200, "per_working_day": 60}],
}


def _web_agreement(conn, rep: str, at: str, sqls_per_meeting: str = "1/3") -> None:
    plan = json.dumps(S1_PLAN | {"objective": S1_PLAN["objective"] | {"text": "4 sqls"}})
    rates = json.dumps({"conversations/dials": "7/100", "sqls/meetings": sqls_per_meeting})
    conn.execute(
        text(
            "INSERT INTO plan_agreements (id, rep, agreed_by, agreed_at, objective, funnel, "
            "period_label, period_start, period_end, rates, plan) VALUES (:id, :rep, :by, :at, "
            "'4 sqls', 'outbound', '2026-10', '2026-10-01', '2026-10-31', :rates, :plan)"
        ),
        {
            "id": f"{rep}-{at[8:10]}",
            "rep": rep,
            "by": f"{rep}@example.com",
            "at": at,
            "rates": rates,
            "plan": plan,
        },
    )


def test_plans_agreed_on_the_web_move_under_the_reps_objectives(
    app_database: str, backplan_home: Path
) -> None:
    settings = Settings(home=backplan_home)
    config = appdb.alembic_config()
    raw = create_engine(settings.app_database_url)
    with raw.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(text("INSERT INTO reps (key, name, origin) VALUES ('Ana', 'Ana', 'roster')"))
        _web_agreement(conn, "Ana", "2026-10-01 09:00:00", "1/4")
        _web_agreement(conn, "Ana", "2026-10-02 09:00:00")
        _web_agreement(conn, "Dee", "2026-10-03 09:00:00")  # not in the roster
    raw.dispose()
    appdb.engine(settings)  # upgrades to head on opening
    from backplan.services.okr import agreed_plans_of, rates_from_evidence

    ana = agreed_plans_of(settings, "Ana")
    assert [(p.status, o.main.text, o.period.label) for o, p in ana] == [
        ("agreed", "4 sqls", "2026-10"),
        ("superseded", "4 sqls", "2026-10"),
    ]
    assert ana[0][0].id == ana[1][0].id  # one objective, two agreements
    plan = ana[0][1]
    assert plan.agreement is not None and plan.agreement.agreed_by == "Ana"
    assert plan.proposed_by == "Ana@example.com" and plan.planned_pace == 60
    assert str(rates_from_evidence(plan.rates)["sqls/meetings"].value) == "1/3"
    [(dee_objective, _)] = agreed_plans_of(settings, "Dee")
    assert dee_objective.owner == "Dee" and dee_objective.team is None
    assert "plan_agreements" not in inspect(appdb.engine(settings)).get_table_names()


def test_downgrading_copies_agreed_plans_back(app_database: str, backplan_home: Path) -> None:
    settings = Settings(home=backplan_home)
    with appdb.connection(settings) as conn:
        conn.execute(text("INSERT INTO reps (key, name, origin) VALUES ('Ana', 'Ana', 'roster')"))
    from backplan.services.okr import Actor, agree_built_plan
    from backplan.services.planning import PlanRequest, build_plan

    request = PlanRequest(
        objective="4 sqls",
        rates={
            "conversations/dials": "0.07",
            "meetings/conversations": "1/7",
            "sqls/meetings": "1/3",
        },
        period="2026-10",
        working_days=20,
    )
    planned = build_plan(request, settings, date(2026, 10, 1))
    agree_built_plan(settings, Actor("ana@example.com", "Ana"), request, planned)
    appdb.dispose()
    config = appdb.alembic_config()
    raw = create_engine(settings.app_database_url)
    with raw.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
        row = conn.execute(text("SELECT rep, objective, rates, plan FROM plan_agreements")).one()
    raw.dispose()
    assert (row.rep, row.objective) == ("Ana", "4 sqls")
    rates, plan = (json.loads(v) if isinstance(v, str) else v for v in (row.rates, row.plan))
    assert rates["sqls/meetings"] == "1/3"
    assert plan["stages"][0]["per_period"] == 1200


def test_the_audit_log_refuses_updates_and_deletes_and_downgrades_away(
    app_database: str, backplan_home: Path
) -> None:
    """The audit log is append-only in the database itself, on SQLite and PostgreSQL."""
    import pytest
    from sqlalchemy.exc import DBAPIError

    from backplan.services.audit import Actor, record

    settings = Settings(home=backplan_home, today="2026-11-16T10:00")
    with appdb.session(settings) as db:
        record(db, settings, Actor.user("admin@example.com"), "roster.team_added", "East")
    for statement in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), appdb.connection(settings) as conn:
            conn.execute(text(statement))
    with appdb.connection(settings) as conn:
        assert conn.execute(text("SELECT actor FROM audit_events")).scalar_one() == (
            "admin@example.com"
        )
    appdb.dispose()
    config = appdb.alembic_config()
    raw = create_engine(settings.app_database_url)
    with raw.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
        assert "audit_events" not in inspect(conn).get_table_names()
        command.upgrade(config, "head")
        assert "audit_events" in inspect(conn).get_table_names()
    raw.dispose()
