"""Endorsements and the policy versions they make.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("policy_id", sa.String(32), sa.ForeignKey("policies.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endorsement_seq", sa.Integer, nullable=False),
        sa.Column("total_premium", sa.String(24), nullable=False),
        sa.Column("total_vat", sa.String(24), nullable=False),
        sa.Column("headcount", sa.Integer, nullable=False),
        sa.Column("members", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "endorsements",
        sa.Column("policy_id", sa.String(32), sa.ForeignKey("policies.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(40), nullable=False, unique=True),
        sa.Column("effective", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("premium", sa.String(24), nullable=False),
        sa.Column("vat", sa.String(24), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("input_hash", sa.String(80), nullable=False),
        sa.Column("result", sa.LargeBinary, nullable=False),
        sa.Column("pending", sa.LargeBinary, nullable=True),
        sa.Column("approved_by", sa.String(32), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("policy_id", "idempotency_key", name="uq_endorsements_idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("endorsements")
    op.drop_table("policy_versions")
