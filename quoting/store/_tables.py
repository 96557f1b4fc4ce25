"""Database tables (SQLAlchemy Core). Changes here need a migration in migrations/versions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "accounts",
    "api_keys",
    "app_secrets",
    "counters",
    "endorsements",
    "events",
    "exposures",
    "metadata",
    "policies",
    "policy_versions",
    "quotes",
    "referrals",
    "web_sessions",
]

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    # Decimal string, e.g. "0.15"; brokers only.
    Column("commission", String(16), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # argon2 hash of the password of the pages (agents, underwriters, admins; never brokers).
    Column("password_hash", String(255), nullable=True),
    # The name typed at sign-in, normalised (NFKC, case-folded); set with a password, so
    # two accounts that sign in cannot share a name (NULLs are never equal).
    Column("signin_name", String(200), nullable=True),
    # The language of the pages: zh_Hans_CN or en.
    Column("locale", String(16), nullable=False, server_default="zh_Hans_CN"),
    # The account's own underwriting authority (Decimal strings); NULL: its role's default.
    Column("adjustment_authority", String(16), nullable=True),
    Column("sum_insured_authority", String(24), nullable=True),
    Column("group_sum_insured_authority", String(24), nullable=True),
    Index("uq_accounts_signin_name", "signin_name", unique=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False, index=True),
    # sha256 of the key; the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_premium", String(24), nullable=False),
    Column("total_vat", String(24), nullable=False),
    Column("policyholder", String(200), nullable=False),
    Column("credit_code", String(18), nullable=False),
    Column("headcount", Integer, nullable=False),
    Column("tariff_version", String(40), nullable=False),
    Column("tariff_hash", String(80), nullable=False),
    Column("input_hash", String(80), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    # zlib-compressed JSON: the request as priced (as_of filled in) and the quote.
    Column("request", LargeBinary, nullable=False),
    Column("result", LargeBinary, nullable=False),
    # An underwriter's approval of a referred quote (it can then be bound).
    Column("approved_by", String(32), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    # The number people quote (BJ2026-000123), from the counter "quote-<year>".
    Column("number", String(32), nullable=True),
    UniqueConstraint("owner_id", "idempotency_key", name="uq_quotes_owner_idempotency_key"),
    UniqueConstraint("number", name="uq_quotes_number"),
    Index("ix_quotes_owner_created", "owner_id", "created_at"),
    Index("ix_quotes_created", "created_at"),
    # A renewal reads the policyholder's earlier policies (migration 0011).
    Index("ix_quotes_credit_code", "credit_code"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

policies = Table(
    "policies",
    metadata,
    Column("id", String(32), primary_key=True),
    # One policy per quote: the database settles concurrent binds of one quote.
    Column("quote_id", String(32), ForeignKey("quotes.id"), nullable=False, unique=True),
    Column("owner_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("policy_number", String(32), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The policy this one renews (migration 0011); a policy is renewed at most once.
    Column("renewal_of", String(32), nullable=True),
    Index("ix_policies_owner_created", "owner_id", "created_at"),
    Index("uq_policies_renewal_of", "renewal_of", unique=True),
)

# Secrets the application makes for itself, shared by every process on the database.
app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(128), nullable=False),
)

# What service calls did (quote created, approved, bound, key revoked…), each written in
# the transaction of the change itself: the raw material of the audit trail.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # The acting account (None for the insurer's own tools, e.g. the CLI).
    Column("account_id", String(32), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("subject_id", String(40), nullable=False),
    # JSON text: the facts of the event (e.g. a policy number, a status).
    Column("data", Text, nullable=False),
    Index("ix_events_subject", "subject_id"),
    Index("ix_events_occurred", "occurred_at"),
)
# UPDATE and DELETE of events are refused by triggers (migration 0008), on SQLite and
# PostgreSQL alike: the audit trail is append-only for everyone, the application included.

# The underwriters' queue: one row per referred quote (or quote referred at binding).
referrals = Table(
    "referrals",
    metadata,
    Column("quote_id", String(32), ForeignKey("quotes.id"), primary_key=True),
    Column("state", String(24), nullable=False),
    # JSON text: [[code, message], ...].
    Column("reasons", Text, nullable=False),
    # ",code,code," and ",CN,ID,": filterable with LIKE on both databases.
    Column("reason_codes", String(400), nullable=False),
    Column("countries", String(1000), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_by", String(32), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("message", Text, nullable=True),
    Column("question", Text, nullable=True),
    Column("answer", Text, nullable=True),
    Column("decided_by", String(32), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("escalation", Text, nullable=True),
    Index("ix_referrals_state_entered", "state", "entered_at"),
)

# Each bound policy's accumulation exposure per site, written when it is bound.
exposures = Table(
    "exposures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("policy_id", String(32), ForeignKey("policies.id"), nullable=False, index=True),
    Column("quote_id", String(32), nullable=False),
    Column("policyholder", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("site", String(200), nullable=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("headcount", Integer, nullable=False),
    # Base-currency cents: integer sums are exact.
    Column("add_sum_insured_cents", BigInteger, nullable=False),
    Column("evac_sum_insured_cents", BigInteger, nullable=False),
    Index("ix_exposures_country_site", "country", "site"),
)

# Claims recorded on a policy (migration 0010), numbered per policy.
claims = Table(
    "claims",
    metadata,
    Column("policy_id", String(32), ForeignKey("policies.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("number", String(48), nullable=False, unique=True),
    Column("member_id", String(64), nullable=False),
    Column("cover", String(16), nullable=False),
    Column("loss_date", Date, nullable=False),
    Column("paid", String(24), nullable=False),
    Column("outstanding", String(24), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reference", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(32), nullable=False),
)

# A policy's member list after each endorsement (version 1 is the bound quote's). The
# primary key settles two endorsements made at once on one policy: one version each.
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_id", String(32), ForeignKey("policies.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("endorsement_seq", Integer, nullable=False),
    Column("total_premium", String(24), nullable=False),
    Column("total_vat", String(24), nullable=False),
    Column("headcount", Integer, nullable=False),
    # zlib-compressed JSON: the member segments of the version.
    Column("members", LargeBinary, nullable=False),
)

endorsements = Table(
    "endorsements",
    metadata,
    Column("policy_id", String(32), ForeignKey("policies.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("effective", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("premium", String(24), nullable=False),
    Column("vat", String(24), nullable=False),
    Column("base_version", Integer, nullable=False),
    # The version it made; None while it awaits an underwriter.
    Column("policy_version", Integer, nullable=True),
    Column("created_by", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("input_hash", String(80), nullable=False),
    # zlib-compressed JSON: the priced endorsement, and the member list it makes while
    # it awaits approval.
    Column("result", LargeBinary, nullable=False),
    Column("pending", LargeBinary, nullable=True),
    Column("approved_by", String(32), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("policy_id", "idempotency_key", name="uq_endorsements_idempotency_key"),
)

# Signed-in sessions of the pages. The browser holds a random token; only its SHA-256 is
# stored, so a copy of the database opens no session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    # The absolute end; the idle end is last_seen_at plus the configured idle time.
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    # JSON text: what the pages keep for the session (e.g. its language).
    Column("data", Text, nullable=False),
)
