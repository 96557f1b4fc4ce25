"""Policies (bound quotes), a counter for policy numbers, underwriter approval of quotes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("approved_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "counters",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "quote_id", sa.String(32), sa.ForeignKey("quotes.id"), nullable=False, unique=True
        ),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("policy_number", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_policies_owner_created", "policies", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_policies_owner_created", table_name="policies")
    op.drop_table("policies")
    op.drop_table("counters")
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
