"""The roster (teams, reps, time off) and the import log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("manager", sa.String(200)),
        sa.Column("region", sa.String(200)),
    )
    op.create_table(
        "reps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="SET NULL")),
        sa.Column("region", sa.String(200)),
        sa.Column("start_date", sa.Date()),
        sa.Column("origin", sa.String(20), nullable=False),
    )
    op.create_table(
        "rep_time_off",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "rep_id", sa.Integer(), sa.ForeignKey("reps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.UniqueConstraint("rep_id", "first_day", name="uq_time_off_rep_first_day"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("mapping", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("reps_added", sa.Integer(), nullable=False),
        sa.Column("rejects_path", sa.Text()),
        sa.Column("batch", sa.String(200)),
        sa.Column("encoding", sa.String(40)),
        sa.Column("message", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("imports")
    op.drop_table("rep_time_off")
    op.drop_table("reps")
    op.drop_table("teams")
