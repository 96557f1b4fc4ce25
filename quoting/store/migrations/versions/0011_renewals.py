"""Renewals: a policy bound from a renewal quote names the policy it renews; each policy
is renewed at most once (a unique index settles two binds of renewal quotes at once);
quotes are indexed by the policyholder's credit code (a renewal reads their earlier
policies).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("policies", sa.Column("renewal_of", sa.String(32), nullable=True))
    op.create_index("uq_policies_renewal_of", "policies", ["renewal_of"], unique=True)
    # A renewal reads the policyholder's earlier policies by credit code.
    op.create_index("ix_quotes_credit_code", "quotes", ["credit_code"])


def downgrade() -> None:
    op.drop_index("ix_quotes_credit_code", table_name="quotes")
    op.drop_index("uq_policies_renewal_of", table_name="policies")
    op.drop_column("policies", "renewal_of")
