"""One home for agreed plans: the web's ``plan_agreements`` become objectives' agreed plans.

Every plan a rep agreed on the web moves under their objective for the same
period and main result (one is created when there is none, and a rep missing
from the roster is added), as an agreed plan with its agreement; the newest
agreement per objective stays in force, older ones are marked superseded.
Then the table goes. Downgrading copies every agreed plan back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import secrets
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_meta = sa.MetaData()
reps = sa.Table(
    "reps",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(200)),
    sa.Column("name", sa.String(200)),
    sa.Column("origin", sa.String(20)),
)
objectives = sa.Table(
    "objectives",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text),
    sa.Column("rep_id", sa.Integer),
    sa.Column("period", sa.String(40)),
    sa.Column("period_start", sa.Date),
    sa.Column("period_end", sa.Date),
    sa.Column("funnel", sa.String(500)),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("created_by", sa.String(200)),
)
key_results = sa.Table(
    "key_results",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("objective_id", sa.Integer),
    sa.Column("position", sa.Integer),
    sa.Column("stage", sa.String(200)),
    sa.Column("target", sa.Integer),
    sa.Column("revenue", sa.Float),
    sa.Column("deal_value", sa.Float),
)
plans = sa.Table(
    "plans",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("objective_id", sa.Integer),
    sa.Column("status", sa.String(20)),
    sa.Column("proposed_at", sa.DateTime(timezone=True)),
    sa.Column("proposed_by", sa.String(200)),
    sa.Column("figures", sa.JSON),
    sa.Column("rates", sa.JSON),
    sa.Column("planned_pace", sa.Float),
)
agreements = sa.Table(
    "agreements",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.Integer),
    sa.Column("agreed_by", sa.String(200)),
    sa.Column("agreed_at", sa.DateTime(timezone=True)),
    sa.Column("rates", sa.JSON),
    sa.Column("note", sa.Text),
)


def _plan_agreements(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "plan_agreements",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rep", sa.String(200), nullable=False),
        sa.Column("agreed_by", sa.String(320), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("objective", sa.String(200), nullable=False),
        sa.Column("funnel", sa.String(100), nullable=False),
        sa.Column("period_label", sa.String(50), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
    )


def upgrade() -> None:
    conn = op.get_bind()
    old = _plan_agreements(sa.MetaData())
    for row in conn.execute(sa.select(old).order_by(old.c.agreed_at)).mappings():
        _move(conn, row)
    op.drop_index("ix_plan_agreements_rep", table_name="plan_agreements")
    op.drop_table("plan_agreements")


def _move(conn: sa.Connection, row: Any) -> None:
    """One web agreement as its objective's agreed plan."""
    rep_id = _rep_id(conn, row.rep)
    main = row.plan.get("objective", {})
    objective_id = _objective_id(conn, rep_id, row, main)
    conn.execute(
        plans.update()
        .where(plans.c.objective_id == objective_id, plans.c.status.in_(("agreed", "proposed")))
        .values(status="superseded")
    )
    evidence = [
        {"conversion": k, "value": str(v), "estimate": round(float(Fraction(str(v))), 6)}
        | {"low": None, "high": None, "level": None, "successes": None, "trials": None}
        | {"posterior": None, "source": "given", "since": None, "until": None}
        for k, v in row.rates.items()
    ]
    stages = row.plan.get("stages") or [{}]
    plan_id = conn.execute(
        plans.insert()
        .values(
            objective_id=objective_id,
            status="agreed",
            proposed_at=row.agreed_at,
            proposed_by=row.agreed_by,
            figures=row.plan,
            rates=evidence,
            planned_pace=float(stages[0].get("per_working_day") or 0.0),
        )
        .returning(plans.c.id)
    ).scalar_one()
    conn.execute(
        agreements.insert().values(
            plan_id=plan_id, agreed_by=row.rep, agreed_at=row.agreed_at, rates=evidence
        )
    )


def _rep_id(conn: sa.Connection, key: str) -> int:
    found = conn.execute(
        sa.select(reps.c.id).where(sa.func.lower(reps.c.key) == key.casefold())
    ).first()
    if found is not None:
        return int(found[0])
    insert = reps.insert().values(key=key, name=key, origin="web").returning(reps.c.id)
    return int(conn.execute(insert).scalar_one())


def _objective_id(conn: sa.Connection, rep_id: int, row: Any, main: dict[str, Any]) -> int:
    same = (
        sa.select(objectives.c.id)
        .join(key_results, key_results.c.objective_id == objectives.c.id)
        .where(
            objectives.c.rep_id == rep_id,
            objectives.c.period_start == row.period_start,
            objectives.c.period_end == row.period_end,
            objectives.c.funnel == row.funnel,
            key_results.c.position == 0,
            key_results.c.stage == main.get("stage"),
            key_results.c.target == main.get("target"),
        )
        .order_by(objectives.c.id.desc())
    )
    found = conn.execute(same).first()
    if found is not None:
        return int(found[0])
    objective_id = conn.execute(
        objectives.insert()
        .values(
            text=f"{main.get('text') or row.objective} in {row.period_label}",
            rep_id=rep_id,
            period=row.period_label,
            period_start=row.period_start,
            period_end=row.period_end,
            funnel=row.funnel,
            created_at=row.agreed_at,
            created_by=row.agreed_by,
        )
        .returning(objectives.c.id)
    ).scalar_one()
    conn.execute(
        key_results.insert().values(
            objective_id=objective_id,
            position=0,
            stage=main.get("stage") or row.objective.split()[-1],
            target=int(main.get("target") or 1),
            revenue=main.get("revenue"),
            deal_value=main.get("deal_value"),
        )
    )
    return int(objective_id)


def downgrade() -> None:
    old = _plan_agreements(sa.MetaData())
    old.create(op.get_bind())
    op.create_index("ix_plan_agreements_rep", "plan_agreements", ["rep"])
    conn = op.get_bind()
    agreed = (
        sa.select(
            reps.c.key,
            agreements.c.agreed_by,
            agreements.c.agreed_at,
            agreements.c.rates,
            plans.c.figures,
            objectives.c.funnel,
            objectives.c.period,
            objectives.c.period_start,
            objectives.c.period_end,
            key_results.c.stage,
            key_results.c.target,
        )
        .join(plans, plans.c.id == agreements.c.plan_id)
        .join(objectives, objectives.c.id == plans.c.objective_id)
        .join(reps, reps.c.id == objectives.c.rep_id)
        .join(key_results, key_results.c.objective_id == objectives.c.id)
        .where(key_results.c.position == 0)
    )
    for row in conn.execute(agreed).mappings():
        conn.execute(
            old.insert().values(
                id=secrets.token_hex(16),
                rep=row.key,
                agreed_by=row.agreed_by,
                agreed_at=row.agreed_at,
                objective=f"{row.target} {row.stage}",
                funnel=row.funnel,
                period_label=row.period,
                period_start=row.period_start,
                period_end=row.period_end,
                rates={str(r["conversion"]): str(r["value"]) for r in row.rates},
                plan=row.figures,
            )
        )
