"""Underwriting: authority per account, the referral queue, book exposures, and the
events table made append-only by triggers (UPDATE and DELETE refused).

Referred quotes stored before this revision enter the queue here, with the reasons and
countries of their stored result.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import datetime as dt
import json
import zlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
)
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()",
)


def _authority_columns() -> None:
    op.add_column("accounts", sa.Column("adjustment_authority", sa.String(16), nullable=True))
    op.add_column("accounts", sa.Column("sum_insured_authority", sa.String(24), nullable=True))
    op.add_column(
        "accounts", sa.Column("group_sum_insured_authority", sa.String(24), nullable=True)
    )


def _referrals_table() -> sa.Table:
    table = op.create_table(
        "referrals",
        sa.Column("quote_id", sa.String(32), sa.ForeignKey("quotes.id"), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("reason_codes", sa.String(400), nullable=False),
        sa.Column("countries", sa.String(1000), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("question", sa.Text, nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
        sa.Column("escalation", sa.Text, nullable=True),
    )
    op.create_index("ix_referrals_state_entered", "referrals", ["state", "entered_at"])
    assert table is not None
    return table


def _exposures_table() -> None:
    op.create_table(
        "exposures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("policy_id", sa.String(32), sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("quote_id", sa.String(32), nullable=False),
        sa.Column("policyholder", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("site", sa.String(200), nullable=True),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("headcount", sa.Integer, nullable=False),
        sa.Column("add_sum_insured_cents", sa.BigInteger, nullable=False),
        sa.Column("evac_sum_insured_cents", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_exposures_policy_id", "exposures", ["policy_id"])
    op.create_index("ix_exposures_country_site", "exposures", ["country", "site"])


def _queue_existing_referrals(referrals: sa.Table) -> None:
    """Referred, unapproved quotes stored before this revision enter the queue."""
    quotes = sa.table(
        "quotes",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("approved_at", sa.DateTime),
        sa.column("result", sa.LargeBinary),
    )
    bind = op.get_bind()
    query = sa.select(quotes).where(quotes.c.status == "referred")
    now = dt.datetime.now(dt.UTC)
    for row in bind.execute(query).mappings():
        result = json.loads(zlib.decompress(row["result"]))
        reasons = [[r["code"], r["message"]] for r in result.get("referrals", [])]
        countries = sorted({m["country"] for m in result.get("members", [])})
        approved = row["approved_at"] is not None
        bind.execute(
            referrals.insert().values(
                quote_id=row["id"],
                state="approved" if approved else "waiting",
                reasons=json.dumps(reasons, ensure_ascii=False),
                reason_codes="," + ",".join(code for code, _ in reasons) + ",",
                countries="," + ",".join(countries) + ",",
                entered_at=row["created_at"],
                updated_at=now,
                decided_at=row["approved_at"],
            )
        )


def upgrade() -> None:
    _authority_columns()
    referrals = _referrals_table()
    _exposures_table()
    op.create_index("ix_events_occurred", "events", ["occurred_at"])
    _queue_existing_referrals(referrals)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    op.drop_index("ix_events_occurred", table_name="events")
    op.drop_table("exposures")
    op.drop_table("referrals")
    for column in ("group_sum_insured_authority", "sum_insured_authority", "adjustment_authority"):
        op.drop_column("accounts", column)
