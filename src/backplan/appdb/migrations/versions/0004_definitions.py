"""The organisation's funnels and playbook, as versions of their TOML edited in the web app.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.CheckConstraint("kind IN ('funnel', 'playbook')", name="ck_definitions_kind"),
    )
    op.create_index("ix_definitions_kind_name_id", "definitions", ["kind", "name", "id"])


def downgrade() -> None:
    op.drop_table("definitions")
