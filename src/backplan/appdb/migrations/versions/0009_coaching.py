"""Coaching focuses: what each rep is coached on, since when, and who started and ended it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coaching_focuses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "rep_id", sa.Integer(), sa.ForeignKey("reps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("funnel", sa.String(500), nullable=False),
        sa.Column("conversion", sa.String(200), nullable=False),
        sa.Column("playbook", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("commitments", sa.JSON(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("started_by", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(320), nullable=True),
    )
    op.create_index(
        "ix_coaching_focuses_rep_conversion", "coaching_focuses", ["rep_id", "conversion"]
    )


def downgrade() -> None:
    op.drop_index("ix_coaching_focuses_rep_conversion", table_name="coaching_focuses")
    op.drop_table("coaching_focuses")
