"""Persistence behind one small interface: SQLite by default, PostgreSQL by URL.

Every write commits before it returns, so whatever a caller acknowledges is on disk
(SQLite in WAL mode survives a killed process; PostgreSQL is durable on commit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock

from quoting.store._tables import accounts, api_keys, app_secrets, policies, quotes

__all__ = [
    "ROLES",
    "Account",
    "ApiKeyRow",
    "BindRefused",
    "IdempotencyConflict",
    "NewQuote",
    "PolicyRow",
    "QuoteRow",
    "Store",
    "hash_api_key",
    "is_valid_id",
    "new_api_key",
]

ROLES = ("broker", "agent", "underwriter", "admin")
_MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the advisory lock that serialises schema upgrades on PostgreSQL.
_PG_UPGRADE_LOCK = 7_341_902


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier such as ``q_6fj3…`` (hard to guess, so not enumerable)."""
    return f"{prefix}_{secrets.token_hex(12)}"


_ID = re.compile(r"[A-Za-z0-9_]{1,40}")


def is_valid_id(value: str) -> bool:
    """Our ids are short word characters; anything else cannot name a row (and is never
    sent to the database, where e.g. a NUL would be an error rather than 'not found')."""
    return _ID.fullmatch(value) is not None


def new_api_key() -> str:
    """A fresh API key: 32 random bytes, URL-safe. Shown once; only its hash is stored."""
    return "qk_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # Keys carry 256 random bits, so a plain SHA-256 cannot be brute-forced back.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    role: str
    commission: str | None
    created_at: dt.datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    """An API key as stored: never the key itself, only its first characters."""

    id: str
    account_id: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class NewQuote:
    """Everything stored for a priced quote; JSON documents as bytes."""

    owner_id: str
    status: str
    currency: str
    total_premium: str
    total_vat: str
    policyholder: str
    credit_code: str
    headcount: int
    tariff_version: str
    tariff_hash: str
    input_hash: str
    valid_until: dt.date
    request_json: bytes
    result_json: bytes
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteRow:
    id: str
    owner_id: str
    created_at: dt.datetime
    valid_until: dt.date
    status: str
    currency: str
    total_premium: str
    total_vat: str
    policyholder: str
    credit_code: str
    headcount: int
    tariff_version: str
    tariff_hash: str
    input_hash: str
    idempotency_key: str | None
    request_json: bytes | None = None
    result_json: bytes | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class PolicyRow:
    id: str
    quote_id: str
    owner_id: str
    policy_number: str
    created_at: dt.datetime


class BindRefused(Exception):
    """A quote that cannot be bound; ``reason`` is one of ``declined``, ``referred``,
    ``expired``, ``already_bound``."""

    def __init__(self, reason: str, message: str, policy: PolicyRow | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.policy = policy


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request."""

    def __init__(self, existing: QuoteRow) -> None:
        super().__init__(f"idempotency key already used for quote {existing.id}")
        self.existing = existing


def _engine_url(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver this project installs.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_SUMMARY_COLUMNS = [c for c in quotes.c if c.name not in ("request", "result")]
_INSERT_QUOTE = quotes.insert()


class Store:
    """Accounts, API keys and quotes in one SQL database."""

    def __init__(self, url: str) -> None:
        self.url = _engine_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._secret: str | None = None
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )
        if self.is_sqlite:
            path = sa.engine.make_url(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(self.url, connect_args={"timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(
                self.url, pool_size=10, max_overflow=10, pool_pre_ping=True
            )

    # -- schema -------------------------------------------------------------------

    def _alembic(self, connection: sa.Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration (safe to call from
        several processes at once: upgrades are serialised by a lock)."""
        if self.is_sqlite:
            path = sa.engine.make_url(self.url).database or "quoting"
            with FileLock(f"{path}.migrate.lock"), self.engine.begin() as conn:
                command.upgrade(self._alembic(conn), "head")
            return
        with self.engine.connect() as conn:
            # A session-level lock: it outlives the transaction that takes it.
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_UPGRADE_LOCK})
            conn.commit()
            try:
                with conn.begin():
                    command.upgrade(self._alembic(conn), "head")
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_UPGRADE_LOCK})
                conn.commit()

    def schema_is_current(self) -> bool:
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            head = ScriptDirectory.from_config(self._alembic(conn)).get_current_head()
        return current == head

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        # SQLite has one writer at a time; threads of this process queue on a lock (and
        # wake as soon as it is free) rather than in SQLite's sleeping busy handler.
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    # -- accounts -----------------------------------------------------------------

    def create_account(
        self, name: str, role: str, commission: str | None = None
    ) -> tuple[Account, str]:
        """Create an account and its first API key; returns the account and the key."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        account = Account(new_id("acc"), name, role, commission, _now(), False)
        key = new_api_key()
        with self._tx() as conn:
            conn.execute(
                accounts.insert().values(
                    id=account.id,
                    name=name,
                    role=role,
                    commission=commission,
                    created_at=account.created_at,
                    disabled=False,
                )
            )
            self._insert_key(conn, account.id, key)
        return account, key

    def _insert_key(self, conn: sa.Connection, account_id: str, key: str) -> None:
        conn.execute(
            api_keys.insert().values(
                id=new_id("key"),
                account_id=account_id,
                key_hash=hash_api_key(key),
                prefix=key[:10],
                created_at=_now(),
            )
        )

    def issue_api_key(self, account_id: str) -> str:
        """A new API key for an existing account (older keys stay valid)."""
        key = new_api_key()
        with self._tx() as conn:
            self._insert_key(conn, account_id, key)
        return key

    def account_for_key(self, key: str) -> Account | None:
        """The active account owning ``key``, if the key is valid and not revoked."""
        query = (
            sa.select(accounts)
            .join(api_keys, api_keys.c.account_id == accounts.c.id)
            .where(api_keys.c.key_hash == hash_api_key(key), api_keys.c.revoked_at.is_(None))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or row["disabled"]:
            return None
        return _account(row)

    def get_account(self, account_id: str) -> Account | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(accounts).where(accounts.c.id == account_id))
                .mappings()
                .first()
            )
        return _account(row) if row else None

    def list_api_keys(self, account_id: str | None = None) -> list[ApiKeyRow]:
        """The keys of one account (or of all), oldest first."""
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if account_id is not None:
            query = query.where(api_keys.c.account_id == account_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_api_key_row(r) for r in rows]

    def revoke_api_key(self, key_id: str) -> ApiKeyRow | None:
        """Revoke a key (for good; revoking it again keeps the first time). None if unknown."""
        with self._tx() as conn:
            conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).mappings()
            found = row.first()
        return _api_key_row(found) if found else None

    def set_account_disabled(self, account_id: str, disabled: bool) -> Account | None:
        """Disable (or enable again) an account and so all its keys. None if unknown."""
        with self._tx() as conn:
            conn.execute(
                accounts.update().where(accounts.c.id == account_id).values(disabled=disabled)
            )
            query = sa.select(accounts).where(accounts.c.id == account_id)
            found = conn.execute(query).mappings().first()
        return _account(found) if found else None

    def list_accounts(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(sa.select(accounts).order_by(accounts.c.created_at)).mappings().all()
            )
        return [_account(r) for r in rows]

    # -- quotes -------------------------------------------------------------------

    def insert_quote(self, new: NewQuote) -> tuple[QuoteRow, bool]:
        """Store a quote and commit. Returns (row, created).

        With an idempotency key already used by the same owner, nothing is stored: the
        earlier quote is returned with ``created=False`` when the request was the same,
        and :class:`IdempotencyConflict` is raised when it was not. Concurrent requests
        with one key are settled by the database's unique constraint.
        """
        if new.idempotency_key is not None:
            earlier = self._by_idempotency_key(new.owner_id, new.idempotency_key)
            if earlier is not None:
                return self._replay(earlier, new)
        row = QuoteRow(
            id=new_id("q"),
            owner_id=new.owner_id,
            created_at=_now(),
            valid_until=new.valid_until,
            status=new.status,
            currency=new.currency,
            total_premium=new.total_premium,
            total_vat=new.total_vat,
            policyholder=new.policyholder,
            credit_code=new.credit_code,
            headcount=new.headcount,
            tariff_version=new.tariff_version,
            tariff_hash=new.tariff_hash,
            input_hash=new.input_hash,
            idempotency_key=new.idempotency_key,
            request_json=new.request_json,
            result_json=new.result_json,
        )
        values: dict[str, Any] = {c.name: getattr(row, c.name) for c in _SUMMARY_COLUMNS}
        # Level 1: most of the gain (JSON shrinks ~8x) at a fraction of the CPU.
        values["request"] = zlib.compress(new.request_json, 1)
        values["result"] = zlib.compress(new.result_json, 1)
        try:
            with self._tx() as conn:
                conn.execute(_INSERT_QUOTE, values)
        except sa.exc.IntegrityError:
            if new.idempotency_key is None:
                raise
            earlier = self._by_idempotency_key(new.owner_id, new.idempotency_key)
            if earlier is None:  # pragma: no cover - the constraint said it exists
                raise
            return self._replay(earlier, new)
        return row, True

    def _replay(self, earlier: QuoteRow, new: NewQuote) -> tuple[QuoteRow, bool]:
        if earlier.input_hash != new.input_hash:
            raise IdempotencyConflict(earlier)
        full = self.get_quote(earlier.id)
        assert full is not None
        return full, False

    def find_idempotent(self, owner_id: str, key: str) -> QuoteRow | None:
        """The owner's quote stored under an idempotency key (without documents)."""
        return self._by_idempotency_key(owner_id, key)

    def _by_idempotency_key(self, owner_id: str, key: str) -> QuoteRow | None:
        query = sa.select(*_SUMMARY_COLUMNS).where(
            quotes.c.owner_id == owner_id, quotes.c.idempotency_key == key
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _quote_row(row) if row else None

    def get_quote(self, quote_id: str, owner_id: str | None = None) -> QuoteRow | None:
        """The quote with its documents; ``owner_id`` restricts it to that owner's quotes."""
        if not is_valid_id(quote_id):
            return None
        query = sa.select(quotes).where(quotes.c.id == quote_id)
        if owner_id is not None:
            query = query.where(quotes.c.owner_id == owner_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return _quote_row(row, zlib.decompress(row["request"]), zlib.decompress(row["result"]))

    def list_quotes(
        self,
        *,
        owner_id: str | None,
        status: str | None = None,
        created_from: dt.datetime | None = None,
        created_to: dt.datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[QuoteRow], int]:
        """Quotes newest first (without their documents) and the total that match."""
        where = []
        if owner_id is not None:
            where.append(quotes.c.owner_id == owner_id)
        if status is not None:
            where.append(quotes.c.status == status)
        if created_from is not None:
            where.append(quotes.c.created_at >= created_from)
        if created_to is not None:
            where.append(quotes.c.created_at < created_to)
        query = (
            sa.select(*_SUMMARY_COLUMNS)
            .where(*where)
            .order_by(quotes.c.created_at.desc(), quotes.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(quotes).where(*where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            total = int(conn.execute(count).scalar_one())
        return [_quote_row(r) for r in rows], total

    # -- approval and binding -------------------------------------------------------

    def approve_quote(self, quote_id: str, underwriter_id: str) -> QuoteRow | None:
        """Record an underwriter's approval of a referred quote (no effect on others)."""
        with self._tx() as conn:
            conn.execute(
                quotes.update()
                .where(
                    quotes.c.id == quote_id,
                    quotes.c.status == "referred",
                    quotes.c.approved_at.is_(None),
                )
                .values(approved_by=underwriter_id, approved_at=_now())
            )
        return self.get_quote(quote_id)

    def bind_quote(self, quote_id: str, owner_id: str | None, today: dt.date) -> PolicyRow:
        """Turn a quote into a policy with the next policy number, in one transaction.

        Raises :class:`BindRefused` for a declined, unapproved referred, expired or
        already bound quote; ``KeyError`` when the quote is not found (for this owner).
        Two binds of one quote at once: the unique constraint lets exactly one win.
        """
        if not is_valid_id(quote_id):
            raise KeyError(quote_id)
        query = sa.select(*_SUMMARY_COLUMNS).where(quotes.c.id == quote_id)
        if owner_id is not None:
            query = query.where(quotes.c.owner_id == owner_id)
        try:
            with self._tx() as conn:
                found = conn.execute(query).mappings().first()
                if found is None:
                    raise KeyError(quote_id)
                quote = _quote_row(found)
                existing = self._policy_for_quote(conn, quote_id)
                if existing is not None:
                    raise BindRefused(
                        "already_bound",
                        f"quote {quote_id} is already bound as policy {existing.policy_number}",
                        existing,
                    )
                if quote.status == "declined":
                    raise BindRefused(
                        "declined", f"quote {quote_id} was declined; it cannot be bound"
                    )
                if quote.status == "referred" and quote.approved_at is None:
                    raise BindRefused(
                        "referred",
                        f"quote {quote_id} is referred; an underwriter must approve it first",
                    )
                if today > quote.valid_until:
                    raise BindRefused(
                        "expired",
                        f"quote {quote_id} was valid until {quote.valid_until}; ask for a new quote",
                    )
                number = self._next_policy_number(conn, today.year)
                policy = PolicyRow(new_id("pol"), quote_id, quote.owner_id, number, _now())
                conn.execute(
                    policies.insert().values(
                        id=policy.id,
                        quote_id=quote_id,
                        owner_id=policy.owner_id,
                        policy_number=number,
                        created_at=policy.created_at,
                    )
                )
        except sa.exc.IntegrityError:
            with self.engine.connect() as conn:
                existing = self._policy_for_quote(conn, quote_id)
            if existing is None:  # pragma: no cover - a number clash would be our bug
                raise
            raise BindRefused(
                "already_bound",
                f"quote {quote_id} is already bound as policy {existing.policy_number}",
                existing,
            ) from None
        return policy

    def _next_policy_number(self, conn: sa.Connection, year: int) -> str:
        # One atomic statement on both databases (SQLite >= 3.35, PostgreSQL): the counter
        # row is created or incremented and its new value returned.
        name = f"policy-{year}"
        value = conn.execute(
            sa.text(
                "INSERT INTO counters (name, value) VALUES (:name, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value"
            ),
            {"name": name},
        ).scalar_one()
        return f"GA{year}{int(value):07d}"

    @staticmethod
    def _policy_for_quote(conn: sa.Connection, quote_id: str) -> PolicyRow | None:
        row = (
            conn.execute(sa.select(policies).where(policies.c.quote_id == quote_id))
            .mappings()
            .first()
        )
        return _policy_row(row) if row else None

    def get_policy(self, policy_id: str, owner_id: str | None = None) -> PolicyRow | None:
        if not is_valid_id(policy_id):
            return None
        query = sa.select(policies).where(policies.c.id == policy_id)
        if owner_id is not None:
            query = query.where(policies.c.owner_id == owner_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _policy_row(row) if row else None

    def policy_for_quote(self, quote_id: str) -> PolicyRow | None:
        with self.engine.connect() as conn:
            return self._policy_for_quote(conn, quote_id)

    def list_policies(
        self, *, owner_id: str | None, limit: int = 50, offset: int = 0
    ) -> tuple[list[tuple[PolicyRow, QuoteRow]], int]:
        """Policies newest first, each with its quote (without documents), and the total."""
        where = [policies.c.owner_id == owner_id] if owner_id is not None else []
        quote_columns = [c.label(f"q_{c.name}") for c in _SUMMARY_COLUMNS]
        query = (
            sa.select(policies, *quote_columns)
            .join(quotes, quotes.c.id == policies.c.quote_id)
            .where(*where)
            .order_by(policies.c.created_at.desc(), policies.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(policies).where(*where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            total = int(conn.execute(count).scalar_one())
        out = []
        for r in rows:
            quote = _quote_row({c.name: r[f"q_{c.name}"] for c in _SUMMARY_COLUMNS})
            out.append((_policy_row(r), quote))
        return out, total

    def document_secret(self) -> str:
        """The key of certificate verification codes: made once at random, kept in the
        database (never in the code or the repository), the same for every process."""
        if self._secret is None:
            with self._tx() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO app_secrets (name, value) VALUES ('documents', :v) "
                        "ON CONFLICT (name) DO NOTHING"
                    ),
                    {"v": secrets.token_hex(32)},
                )
                self._secret = conn.execute(
                    sa.select(app_secrets.c.value).where(app_secrets.c.name == "documents")
                ).scalar_one()
        return self._secret

    def count_quotes(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(quotes)).scalar_one())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; NORMAL sync keeps every commit across a
    # crash of the process (only a power loss could drop the last transactions).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        commission=row["commission"],
        created_at=_utc(row["created_at"]),
        disabled=bool(row["disabled"]),
    )


def _api_key_row(row: Any) -> ApiKeyRow:
    return ApiKeyRow(
        id=row["id"],
        account_id=row["account_id"],
        prefix=row["prefix"],
        created_at=_utc(row["created_at"]),
        revoked_at=_utc(row["revoked_at"]) if row["revoked_at"] else None,
    )


def _policy_row(row: Any) -> PolicyRow:
    return PolicyRow(
        id=row["id"],
        quote_id=row["quote_id"],
        owner_id=row["owner_id"],
        policy_number=row["policy_number"],
        created_at=_utc(row["created_at"]),
    )


def _quote_row(row: Any, request: bytes | None = None, result: bytes | None = None) -> QuoteRow:
    return QuoteRow(
        id=row["id"],
        owner_id=row["owner_id"],
        created_at=_utc(row["created_at"]),
        valid_until=row["valid_until"],
        status=row["status"],
        currency=row["currency"],
        total_premium=row["total_premium"],
        total_vat=row["total_vat"],
        policyholder=row["policyholder"],
        credit_code=row["credit_code"],
        headcount=row["headcount"],
        tariff_version=row["tariff_version"],
        tariff_hash=row["tariff_hash"],
        input_hash=row["input_hash"],
        idempotency_key=row["idempotency_key"],
        request_json=request,
        result_json=result,
        approved_by=row["approved_by"],
        approved_at=_utc(row["approved_at"]) if row["approved_at"] else None,
    )
