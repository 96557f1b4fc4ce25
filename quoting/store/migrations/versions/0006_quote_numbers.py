"""Quote numbers for people (BJ2026-000123): a unique column, filled for the quotes stored
before it in the order they were made (per year of creation), and the year's counter set
to follow on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: As quoting.policies.quote_number makes them (a migration keeps its own copy: it must
#: not change when the code does).
PREFIX = "BJ"


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("number", sa.String(32), nullable=True))
        batch.create_unique_constraint("uq_quotes_number", ["number"])
    connection = op.get_bind()
    quotes = sa.table(
        "quotes",
        sa.column("id", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("number", sa.String),
    )
    counters = sa.table("counters", sa.column("name"), sa.column("value"))
    rows = connection.execute(
        sa.select(quotes.c.id, quotes.c.created_at).order_by(quotes.c.created_at, quotes.c.id)
    ).all()
    last: dict[int, int] = {}
    for quote_id, created_at in rows:
        year = created_at.year
        last[year] = last.get(year, 0) + 1
        connection.execute(
            quotes.update()
            .where(quotes.c.id == quote_id)
            .values(number=f"{PREFIX}{year}-{last[year]:06d}")
        )
    for year, value in last.items():
        connection.execute(counters.insert().values(name=f"quote-{year}", value=value))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM counters WHERE name LIKE 'quote-%'"))
    with op.batch_alter_table("quotes") as batch:
        batch.drop_constraint("uq_quotes_number", type_="unique")
        batch.drop_column("number")
