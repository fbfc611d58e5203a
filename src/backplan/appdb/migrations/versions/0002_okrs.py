"""Objectives and key results, the plans worked back from them, and the owners' agreements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objectives",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rep_id", sa.Integer(), sa.ForeignKey("reps.id", ondelete="CASCADE")),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE")),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("funnel", sa.String(500), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("objectives.id", ondelete="CASCADE")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.CheckConstraint("(rep_id IS NULL) <> (team_id IS NULL)", name="ck_objectives_one_owner"),
    )
    op.create_index("ix_objectives_period", "objectives", ["period_start", "period_end"])
    op.create_table(
        "key_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "objective_id",
            sa.Integer(),
            sa.ForeignKey("objectives.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(200), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float()),
        sa.Column("deal_value", sa.Float()),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "objective_id",
            sa.Integer(),
            sa.ForeignKey("objectives.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.String(200)),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("planned_pace", sa.Float(), nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey("plans.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("agreed_by", sa.String(200), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("agreements")
    op.drop_table("plans")
    op.drop_table("key_results")
    op.drop_index("ix_objectives_period", "objectives")
    op.drop_table("objectives")
