"""Users of the pages: password hashes, sign-in names and languages on accounts, and the
server-side sessions of the pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild: other tables refer to accounts).
    op.add_column("accounts", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column("accounts", sa.Column("signin_name", sa.String(200), nullable=True))
    op.add_column(
        "accounts",
        sa.Column("locale", sa.String(16), nullable=False, server_default="zh_Hans_CN"),
    )
    op.create_index("uq_accounts_signin_name", "accounts", ["signin_name"], unique=True)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_index("ix_web_sessions_account_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("uq_accounts_signin_name", table_name="accounts")
    for column in ("locale", "signin_name", "password_hash"):
        op.drop_column("accounts", column)
