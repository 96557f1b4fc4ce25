"""Claims recorded on policies: member, cover, date of loss, paid and outstanding
amounts, status, numbered per policy.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("policy_id", sa.String(32), sa.ForeignKey("policies.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(48), nullable=False, unique=True),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("cover", sa.String(16), nullable=False),
        sa.Column("loss_date", sa.Date, nullable=False),
        sa.Column("paid", sa.String(24), nullable=False),
        sa.Column("outstanding", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("claims")
