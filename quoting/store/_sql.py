"""The SQLAlchemy unit of work and its repositories (SQLite or PostgreSQL).

A unit holds one connection and one transaction. On SQLite the process's write lock is
taken at the unit's first write and held until it ends, so writers queue in this
process rather than in SQLite's busy handler; reads before it do not wait.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa

from quoting.quote_columns import ColumnarQuote, is_columnar
from quoting.store._database import Database
from quoting.store._records import (
    Account,
    ApiKeyRow,
    ClaimRow,
    Conflict,
    EndorsementRow,
    Event,
    EventFilter,
    ExposureRow,
    NewApiKey,
    PolicyRow,
    PolicyVersionRow,
    QuoteRow,
    ReferralFilter,
    ReferralRow,
    WebSession,
    is_valid_id,
)
from quoting.store._redis_sessions import RedisSessions, RedisSessionStore
from quoting.store._repositories import QuoteFilter
from quoting.store._tables import (
    accounts,
    api_keys,
    app_secrets,
    claims,
    endorsements,
    events,
    exposures,
    policies,
    policy_versions,
    quotes,
    referrals,
    web_sessions,
)

__all__ = ["SqlUnitOfWork"]

_SUMMARY_COLUMNS = [c for c in quotes.c if c.name not in ("request", "result")]
#: An account as the records carry it: never its password hash or sign-in name.
_ACCOUNT_COLUMNS = [c for c in accounts.c if c.name not in ("password_hash", "signin_name")]


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class SqlUnitOfWork:
    """``with SqlUnitOfWork(database) as uow: …; uow.commit()`` — one transaction."""

    def __init__(self, database: Database, sessions: RedisSessionStore | None = None) -> None:
        """``sessions``: keep the pages' sessions in Redis instead of the database."""
        self.database = database
        self._conn: sa.Connection | None = None
        self._lock: AbstractContextManager[Any] | None = None
        self.accounts = SqlAccounts(self)
        self.quotes = SqlQuotes(self)
        self.policies = SqlPolicies(self)
        self.endorsements = SqlEndorsements(self)
        self.claims = SqlClaims(self)
        self.events = SqlEvents(self)
        self.secrets = SqlSecrets(self)
        self.sessions: SqlSessions | RedisSessions = (
            sessions.repository() if sessions is not None else SqlSessions(self)
        )
        self.referrals = SqlReferrals(self)
        self.exposures = SqlExposures(self)

    def __enter__(self) -> Self:
        """Take a connection; its transaction begins with the first statement."""
        self._conn = self.database.engine.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and give the connection back."""
        if isinstance(self.sessions, RedisSessions):
            self.sessions.discard()
        try:
            if self._conn is not None:
                self._conn.rollback()
                self._conn.close()
        finally:
            self._conn = None
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
                self._lock = None

    def commit(self) -> None:
        """Commit the unit's transaction (then, with Redis sessions, their changes)."""
        self._connection().commit()
        if isinstance(self.sessions, RedisSessions):
            self.sessions.flush()

    def _connection(self) -> sa.Connection:
        if self._conn is None:
            raise RuntimeError("a unit of work is used inside its 'with' block only")
        return self._conn

    def read(self, statement: Any, params: Any = None) -> sa.CursorResult[Any]:
        """Run a query in the unit's transaction."""
        return self._connection().execute(statement, params)

    def write(self, statement: Any, params: Any = None) -> sa.CursorResult[Any]:
        """Run a change in the unit's transaction (on SQLite, holding the write lock)."""
        if self._lock is None:
            lock = self.database.write_lock
            lock.__enter__()
            self._lock = lock
        return self._connection().execute(statement, params)


def _owned_row(
    uow: SqlUnitOfWork,
    table: sa.Table,
    row_id: str,
    owner_id: str | None,
    columns: tuple[Any, ...] | None = None,
) -> Any | None:
    """The row of ``table`` with this id (and, given ``owner_id``, that owner), or None
    (only ``columns`` of it, if given); an id that is not one of ours is not looked up."""
    if not is_valid_id(row_id):
        return None
    query = sa.select(*(columns or (table,))).where(table.c.id == row_id)
    if owner_id is not None:
        query = query.where(table.c.owner_id == owner_id)
    return uow.read(query).mappings().first()


class SqlAccounts:
    """Accounts and API keys."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, account: Account) -> None:
        """Store a new account."""
        values = {f: getattr(account, f) for f in Account.__dataclass_fields__}
        self._uow.write(accounts.insert().values(**values))

    def get(self, account_id: str) -> Account | None:
        """The account, if it exists."""
        query = sa.select(*_ACCOUNT_COLUMNS).where(accounts.c.id == account_id)
        row = self._uow.read(query).mappings().first()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        """Every account, oldest first."""
        query = sa.select(*_ACCOUNT_COLUMNS).order_by(accounts.c.created_at)
        return [_account(r) for r in self._uow.read(query).mappings().all()]

    def set_disabled(self, account_id: str, disabled: bool) -> Account | None:
        """Disable or enable an account; None if unknown."""
        self._uow.write(
            accounts.update().where(accounts.c.id == account_id).values(disabled=disabled)
        )
        return self.get(account_id)

    def add_key(self, key: NewApiKey) -> None:
        """Store a new API key."""
        row = key.row
        self._uow.write(
            api_keys.insert().values(
                id=row.id,
                account_id=row.account_id,
                key_hash=key.key_hash,
                prefix=row.prefix,
                created_at=row.created_at,
            )
        )

    def by_key_hash(self, key_hash: str) -> Account | None:
        """The account owning an unrevoked key with this hash."""
        query = (
            sa.select(*_ACCOUNT_COLUMNS)
            .join(api_keys, api_keys.c.account_id == accounts.c.id)
            .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
        )
        row = self._uow.read(query).mappings().first()
        return _account(row) if row else None

    def api_keys(self, account_id: str | None = None) -> list[ApiKeyRow]:
        """The keys of one account (or of all), oldest first."""
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if account_id is not None:
            query = query.where(api_keys.c.account_id == account_id)
        return [_api_key_row(r) for r in self._uow.read(query).mappings().all()]

    def revoke_key(self, key_id: str, at: dt.datetime) -> ApiKeyRow | None:
        """Revoke a key unless it is revoked already; None if unknown."""
        self._uow.write(
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        found = self._uow.read(sa.select(api_keys).where(api_keys.c.id == key_id)).mappings()
        row = found.first()
        return _api_key_row(row) if row else None

    def by_signin_name(self, signin_name: str) -> tuple[Account, str] | None:
        """The account signing in with this (normalised) name and its password hash."""
        query = sa.select(*_ACCOUNT_COLUMNS, accounts.c.password_hash).where(
            accounts.c.signin_name == signin_name, accounts.c.password_hash.is_not(None)
        )
        row = self._uow.read(query).mappings().first()
        return (_account(row), row["password_hash"]) if row else None

    def set_password(self, account_id: str, signin_name: str, password_hash: str) -> None:
        """Store the password hash and sign-in name; :class:`Conflict` if the name is taken."""
        statement = (
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(password_hash=password_hash, signin_name=signin_name)
        )
        try:
            self._uow.write(statement)
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"another account signs in as {signin_name!r}") from exc

    def set_locale(self, account_id: str, locale: str) -> None:
        """Store the language of an account's pages."""
        self._uow.write(accounts.update().where(accounts.c.id == account_id).values(locale=locale))

    def set_authority(
        self,
        account_id: str,
        adjustment: str | None,
        sum_insured: str | None,
        group_sum_insured: str | None,
    ) -> None:
        """Store an account's own underwriting authority (None: its role's default)."""
        self._uow.write(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(
                adjustment_authority=adjustment,
                sum_insured_authority=sum_insured,
                group_sum_insured_authority=group_sum_insured,
            )
        )


class SqlQuotes:
    """Quotes; the request is stored zlib-compressed, the result as the engine's columns
    (:mod:`quoting.quote_columns`) — or, for quotes stored before and results written as
    JSON, zlib-compressed JSON (told apart by the container's magic bytes)."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, quote: QuoteRow) -> None:
        """Store a quote; :class:`Conflict` if its owner used its idempotency key before."""
        assert quote.request_json is not None
        values: dict[str, Any] = {c.name: getattr(quote, c.name) for c in _SUMMARY_COLUMNS}
        # Level 1: most of the gain (JSON shrinks ~8x) at a fraction of the CPU.
        values["request"] = zlib.compress(quote.request_json, 1)
        values["result"] = _stored_result(quote)
        try:
            self._uow.write(quotes.insert(), values)
        except sa.exc.IntegrityError as exc:
            if quote.idempotency_key is None:
                raise
            raise Conflict(f"idempotency key of quote {quote.id}") from exc

    def next_number(self, year: int) -> int:
        """The next value of the year's quote counter (1, 2, …), atomically."""
        return _next_counter(self._uow, f"quote-{year}")

    def get(
        self, quote_id: str, owner_id: str | None = None, *, expand: bool = True
    ) -> QuoteRow | None:
        """The quote with its documents; ``owner_id`` restricts it to that owner's. A
        columnar quote comes with ``result_columns``, and with its request and wire
        ``result_json`` too unless ``expand`` is False (then only what reading its
        members needs is read)."""
        if expand:
            row = _owned_row(self._uow, quotes, quote_id, owner_id)
        else:
            row = _owned_row(
                self._uow, quotes, quote_id, owner_id, (*_SUMMARY_COLUMNS, quotes.c.result)
            )
        if row is None:
            return None
        stored = bytes(row["result"])
        quote = _quote_row(row, zlib.decompress(row["request"]) if expand else None)
        if not is_columnar(stored):
            return replace(quote, result_json=zlib.decompress(stored))
        result = ColumnarQuote(stored).quote_json() if expand else None
        return replace(quote, result_columns=stored, result_json=result)

    def by_idempotency_key(self, owner_id: str, key: str) -> QuoteRow | None:
        """The owner's quote stored under an idempotency key (without documents)."""
        query = sa.select(*_SUMMARY_COLUMNS).where(
            quotes.c.owner_id == owner_id, quotes.c.idempotency_key == key
        )
        row = self._uow.read(query).mappings().first()
        return _quote_row(row) if row else None

    def find(self, where: QuoteFilter) -> tuple[list[QuoteRow], int]:
        """Quotes newest first (without documents) and the total that match."""
        conditions = []
        if where.owner_id is not None:
            conditions.append(quotes.c.owner_id == where.owner_id)
        if where.status is not None:
            conditions.append(quotes.c.status == where.status)
        if where.created_from is not None:
            conditions.append(quotes.c.created_at >= where.created_from)
        if where.created_to is not None:
            conditions.append(quotes.c.created_at < where.created_to)
        if where.search:
            conditions.append(_quote_search(where.search))
        query = (
            sa.select(*_SUMMARY_COLUMNS)
            .where(*conditions)
            .order_by(quotes.c.created_at.desc(), quotes.c.id.desc())
            .limit(where.limit)
            .offset(where.offset)
        )
        count = sa.select(sa.func.count()).select_from(quotes).where(*conditions)
        rows = self._uow.read(query).mappings().all()
        total = int(self._uow.read(count).scalar_one())
        return [_quote_row(r) for r in rows], total

    def approve(self, quote_id: str, underwriter_id: str, at: dt.datetime) -> None:
        """Record an approval (the first one stays if two race)."""
        self._uow.write(
            quotes.update()
            .where(quotes.c.id == quote_id, quotes.c.approved_at.is_(None))
            .values(approved_by=underwriter_id, approved_at=at)
        )

    def reprice(self, quote: QuoteRow) -> None:
        """Replace a quote's status, totals and documents (a result given as JSON — an
        underwriter's decision re-priced it — is stored as JSON)."""
        assert quote.request_json is not None
        self._uow.write(
            quotes.update()
            .where(quotes.c.id == quote.id)
            .values(
                status=quote.status,
                total_premium=quote.total_premium,
                total_vat=quote.total_vat,
                request=zlib.compress(quote.request_json, 1),
                result=_stored_result(quote, prefer_json=True),
            )
        )

    def count(self) -> int:
        """How many quotes are stored."""
        return int(self._uow.read(sa.select(sa.func.count()).select_from(quotes)).scalar_one())


class SqlPolicies:
    """Policies and their numbers' counters."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, policy: PolicyRow) -> None:
        """Store a policy; :class:`Conflict` if its quote was bound meanwhile (the unique
        constraint on the quote settles concurrent binds)."""
        values = {f: getattr(policy, f) for f in PolicyRow.__dataclass_fields__}
        try:
            self._uow.write(policies.insert(), values)
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"quote {policy.quote_id} or policy {policy.renewal_of}") from exc

    def next_number(self, year: int) -> int:
        """The next value of the year's policy counter (1, 2, …), atomically."""
        return _next_counter(self._uow, f"policy-{year}")

    def get(self, policy_id: str, owner_id: str | None = None) -> PolicyRow | None:
        """The policy; ``owner_id`` restricts it to that owner's."""
        row = _owned_row(self._uow, policies, policy_id, owner_id)
        return _policy_row(row) if row else None

    def for_quote(self, quote_id: str) -> PolicyRow | None:
        """The policy a quote was bound as, if any."""
        query = sa.select(policies).where(policies.c.quote_id == quote_id)
        row = self._uow.read(query).mappings().first()
        return _policy_row(row) if row else None

    def renewal_for(self, policy_id: str) -> PolicyRow | None:
        """The policy that renews ``policy_id``, if it was renewed."""
        query = sa.select(policies).where(policies.c.renewal_of == policy_id)
        row = self._uow.read(query).mappings().first()
        return _policy_row(row) if row else None

    def of_policyholder(self, credit_code: str) -> list[tuple[PolicyRow, QuoteRow]]:
        """Every policy of the policyholder with this credit code, oldest first, each with
        its quote (without documents)."""
        quote_columns = [c.label(f"q_{c.name}") for c in _SUMMARY_COLUMNS]
        query = (
            sa.select(policies, *quote_columns)
            .join(quotes, quotes.c.id == policies.c.quote_id)
            .where(quotes.c.credit_code == credit_code)
            .order_by(policies.c.created_at, policies.c.id)
        )
        return [
            (_policy_row(r), _quote_row({c.name: r[f"q_{c.name}"] for c in _SUMMARY_COLUMNS}))
            for r in self._uow.read(query).mappings().all()
        ]

    def find(
        self, owner_id: str | None, limit: int, offset: int
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
        rows = self._uow.read(query).mappings().all()
        total = int(self._uow.read(count).scalar_one())
        out = []
        for r in rows:
            quote = _quote_row({c.name: r[f"q_{c.name}"] for c in _SUMMARY_COLUMNS})
            out.append((_policy_row(r), quote))
        return out, total


class SqlEndorsements:
    """Endorsements and policy versions; their JSON documents are stored zlib-compressed."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def lock_policy(self, policy_id: str) -> None:
        """``SELECT … FOR UPDATE`` of the policy row on PostgreSQL (a second endorsement
        of the policy waits here until the first commits); on SQLite the statement runs
        under the process's write lock, held until the unit ends."""
        query = sa.select(policies.c.id).where(policies.c.id == policy_id).with_for_update()
        self._uow.write(query)

    def add(self, endorsement: EndorsementRow) -> None:
        """Store an endorsement; :class:`Conflict` on a taken number or idempotency key."""
        try:
            self._uow.write(endorsements.insert(), _endorsement_values(endorsement))
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"endorsement {endorsement.number}") from exc

    def update(self, endorsement: EndorsementRow) -> None:
        """Replace a stored endorsement (its approval)."""
        table = endorsements
        self._uow.write(
            table.update().where(
                table.c.policy_id == endorsement.policy_id, table.c.seq == endorsement.seq
            ),
            _endorsement_values(endorsement),
        )

    def _select(self, *where: Any) -> list[EndorsementRow]:
        query = sa.select(endorsements).where(*where).order_by(endorsements.c.seq)
        return [_endorsement_row(r) for r in self._uow.read(query).mappings().all()]

    def get(self, policy_id: str, seq: int) -> EndorsementRow | None:
        """One endorsement of a policy."""
        found = self._select(endorsements.c.policy_id == policy_id, endorsements.c.seq == seq)
        return found[0] if found else None

    def all(self, policy_id: str) -> list[EndorsementRow]:
        """A policy's endorsements, in order."""
        return self._select(endorsements.c.policy_id == policy_id)

    def by_idempotency_key(self, policy_id: str, key: str) -> EndorsementRow | None:
        """The endorsement stored under an idempotency key."""
        found = self._select(
            endorsements.c.policy_id == policy_id, endorsements.c.idempotency_key == key
        )
        return found[0] if found else None

    def add_version(self, version: PolicyVersionRow) -> None:
        """Store a new version; :class:`Conflict` if it exists already."""
        values = {f: getattr(version, f) for f in PolicyVersionRow.__dataclass_fields__}
        values["members"] = zlib.compress(values.pop("members_json"), 1)
        try:
            self._uow.write(policy_versions.insert(), values)
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"version {version.version} of policy {version.policy_id}") from exc

    def version(self, policy_id: str, number: int) -> PolicyVersionRow | None:
        """A stored version (2, 3, …)."""
        t = policy_versions
        query = sa.select(t).where(t.c.policy_id == policy_id, t.c.version == number)
        row = self._uow.read(query).mappings().first()
        return _version_row(row) if row else None

    def latest_version(self, policy_id: str) -> PolicyVersionRow | None:
        """The newest stored version, None while the policy has only version 1."""
        t = policy_versions
        query = sa.select(t).where(t.c.policy_id == policy_id).order_by(t.c.version.desc()).limit(1)
        row = self._uow.read(query).mappings().first()
        return _version_row(row) if row else None

    def latest_totals(self, policy_ids: list[str]) -> dict[str, PolicyVersionRow]:
        """The newest stored version of each policy that has one, without its members."""
        if not policy_ids:
            return {}
        t = policy_versions
        newest = (
            sa.select(t.c.policy_id, sa.func.max(t.c.version).label("version"))
            .where(t.c.policy_id.in_(policy_ids))
            .group_by(t.c.policy_id)
            .subquery()
        )
        columns = [c for c in t.c if c.name != "members"]
        query = sa.select(*columns).join(
            newest, (t.c.policy_id == newest.c.policy_id) & (t.c.version == newest.c.version)
        )
        rows = self._uow.read(query).mappings().all()
        return {
            r["policy_id"]: PolicyVersionRow(
                **{f: r[f] for f in PolicyVersionRow.__dataclass_fields__ if f != "members_json"},
                members_json=b"",
            )
            for r in rows
        }


def _endorsement_values(row: EndorsementRow) -> dict[str, Any]:
    values = {f: getattr(row, f) for f in EndorsementRow.__dataclass_fields__}
    values["result"] = zlib.compress(values.pop("result_json"), 1)
    pending = values.pop("pending_json")
    values["pending"] = zlib.compress(pending, 1) if pending is not None else None
    return values


def _endorsement_row(row: Any) -> EndorsementRow:
    values = {
        f: row[f]
        for f in EndorsementRow.__dataclass_fields__
        if f not in ("result_json", "pending_json")
    }
    values["created_at"] = _utc(values["created_at"])
    if values["approved_at"] is not None:
        values["approved_at"] = _utc(values["approved_at"])
    pending = row["pending"]
    return EndorsementRow(
        **values,
        result_json=zlib.decompress(row["result"]),
        pending_json=zlib.decompress(pending) if pending is not None else None,
    )


def _version_row(row: Any) -> PolicyVersionRow:
    values = {f: row[f] for f in PolicyVersionRow.__dataclass_fields__ if f != "members_json"}
    values["created_at"] = _utc(values["created_at"])
    return PolicyVersionRow(**values, members_json=zlib.decompress(row["members"]))


class SqlEvents:
    """Events, written in the unit's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, event: Event) -> None:
        """Record an event."""
        # One constant statement with parameters: compiled once, not per event.
        self._uow.write(
            events.insert(),
            {
                "occurred_at": event.occurred_at,
                "account_id": event.account_id,
                "kind": event.kind,
                "subject_id": event.subject_id,
                "data": json.dumps(event.data, ensure_ascii=False, sort_keys=True),
            },
        )

    def all(self, subject_id: str | None = None) -> list[Event]:
        """Events oldest first, of one subject or all."""
        query = sa.select(events).order_by(events.c.id)
        if subject_id is not None:
            query = query.where(events.c.subject_id == subject_id)
        return [_event(r) for r in self._uow.read(query).mappings().all()]

    def find(self, where: EventFilter) -> tuple[list[Event], int]:
        """A page of the events that match, oldest first, and how many match."""
        conditions: list[Any] = []
        if where.subject_id is not None:
            conditions.append(events.c.subject_id == where.subject_id)
        if where.kind is not None:
            conditions.append(
                sa.or_(events.c.kind == where.kind, events.c.kind.startswith(where.kind + "."))
            )
        if where.account_id is not None:
            conditions.append(events.c.account_id == where.account_id)
        if where.since is not None:
            conditions.append(events.c.occurred_at >= where.since)
        if where.until is not None:
            conditions.append(events.c.occurred_at < where.until)
        query = (
            sa.select(events)
            .where(*conditions)
            .order_by(events.c.id)
            .limit(where.limit)
            .offset(where.offset)
        )
        count = sa.select(sa.func.count()).select_from(events).where(*conditions)
        rows = [_event(r) for r in self._uow.read(query).mappings().all()]
        return rows, int(self._uow.read(count).scalar_one())


def _event(r: Any) -> Event:
    return Event(
        kind=r["kind"],
        subject_id=r["subject_id"],
        account_id=r["account_id"],
        occurred_at=_utc(r["occurred_at"]),
        data=json.loads(r["data"]),
        id=r["id"],
    )


def _listed(values: tuple[str, ...]) -> str:
    """``",a,b,"``: a list a LIKE ``'%,a,%'`` finds an item of."""
    return "," + ",".join(values) + ","


class SqlReferrals:
    """The referral queue."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @staticmethod
    def _values(referral: ReferralRow) -> dict[str, Any]:
        values = {f: getattr(referral, f) for f in ReferralRow.__dataclass_fields__}
        values["reasons"] = json.dumps([list(r) for r in referral.reasons], ensure_ascii=False)
        values["reason_codes"] = _listed(referral.reason_codes)[:400]
        values["countries"] = _listed(referral.countries)[:1000]
        return values

    def add(self, referral: ReferralRow) -> None:
        """Put a quote in the queue."""
        self._uow.write(referrals.insert(), self._values(referral))

    def get(self, quote_id: str) -> ReferralRow | None:
        """A quote's referral, if it has one."""
        if not is_valid_id(quote_id):
            return None
        query = sa.select(referrals).where(referrals.c.quote_id == quote_id)
        row = self._uow.read(query).mappings().first()
        return _referral(row) if row else None

    def save(self, referral: ReferralRow) -> None:
        """Store a referral's new state."""
        values = self._values(referral)
        del values["quote_id"]
        self._uow.write(
            referrals.update().where(referrals.c.quote_id == referral.quote_id).values(**values)
        )

    def find(self, where: ReferralFilter) -> tuple[list[tuple[ReferralRow, QuoteRow]], int]:
        """Referrals oldest first, each with its quote, and the total that match."""
        conditions: list[Any] = [referrals.c.state.in_(where.states)]
        if where.reason is not None:
            conditions.append(
                referrals.c.reason_codes.contains(f",{where.reason},", autoescape=True)
            )
        if where.country is not None:
            conditions.append(referrals.c.countries.contains(f",{where.country},", autoescape=True))
        if where.search:
            conditions.append(_quote_search(where.search))
        quote_columns = [c.label(f"q_{c.name}") for c in _SUMMARY_COLUMNS]
        query = (
            sa.select(referrals, *quote_columns)
            .join(quotes, quotes.c.id == referrals.c.quote_id)
            .where(*conditions)
            .order_by(referrals.c.entered_at, referrals.c.quote_id)
            .limit(where.limit)
            .offset(where.offset)
        )
        count = (
            sa.select(sa.func.count())
            .select_from(referrals.join(quotes, quotes.c.id == referrals.c.quote_id))
            .where(*conditions)
        )
        out = []
        for r in self._uow.read(query).mappings().all():
            quote = _quote_row({c.name: r[f"q_{c.name}"] for c in _SUMMARY_COLUMNS})
            out.append((_referral(r), quote))
        return out, int(self._uow.read(count).scalar_one())


def _quote_search(search: str) -> Any:
    """Quotes whose policyholder's name holds ``search`` (case aside) or whose credit code
    starts with it."""
    text = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.or_(
        quotes.c.policyholder.ilike(f"%{text}%", escape="\\"),
        quotes.c.credit_code.like(f"{text.upper()}%", escape="\\"),
    )


def _referral(row: Any) -> ReferralRow:
    def when(name: str) -> dt.datetime | None:
        return _utc(row[name]) if row[name] else None

    return ReferralRow(
        quote_id=row["quote_id"],
        state=row["state"],
        reasons=tuple((code, message) for code, message in json.loads(row["reasons"])),
        countries=tuple(c for c in row["countries"].split(",") if c),
        entered_at=_utc(row["entered_at"]),
        updated_at=_utc(row["updated_at"]),
        sent_by=row["sent_by"],
        sent_at=when("sent_at"),
        message=row["message"],
        question=row["question"],
        answer=row["answer"],
        decided_by=row["decided_by"],
        decided_at=when("decided_at"),
        decision_reason=row["decision_reason"],
        escalation=row["escalation"],
    )


#: Any fixed number: the advisory lock that serialises book checks of binds on PostgreSQL.
_PG_BOOK_LOCK = 7_341_903


class SqlExposures:
    """Bound policies' accumulation exposures."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, rows: list[ExposureRow]) -> None:
        """Store a newly bound policy's exposures."""
        if rows:
            values = [{f: getattr(r, f) for f in ExposureRow.__dataclass_fields__} for r in rows]
            self._uow.write(exposures.insert(), values)

    def lock_book(self) -> None:
        """On PostgreSQL a transaction-level advisory lock; on SQLite the unit takes the
        database's single write lock (a write to the counters) until it ends."""
        if self._uow.database.is_sqlite:
            self._uow.write(
                sa.text(
                    "INSERT INTO counters (name, value) VALUES ('book-check', 1) "
                    "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
                )
            )
        else:
            self._uow.write(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_BOOK_LOCK})

    def in_force(self, start: dt.date, end: dt.date) -> list[ExposureRow]:
        """The exposures of policies whose period overlaps ``start``…``end``."""
        query = (
            sa.select(exposures)
            .where(exposures.c.period_start <= end, exposures.c.period_end >= start)
            .order_by(exposures.c.id)
        )
        return [
            ExposureRow(**{f: r[f] for f in ExposureRow.__dataclass_fields__})
            for r in self._uow.read(query).mappings().all()
        ]

    def for_policy(self, policy_id: str) -> list[ExposureRow]:
        """One policy's exposures, in the order stored."""
        query = (
            sa.select(exposures).where(exposures.c.policy_id == policy_id).order_by(exposures.c.id)
        )
        return [
            ExposureRow(**{f: r[f] for f in ExposureRow.__dataclass_fields__})
            for r in self._uow.read(query).mappings().all()
        ]

    def replace(self, policy_id: str, rows: list[ExposureRow]) -> None:
        """Delete the policy's exposures and store ``rows`` in their place."""
        self._uow.write(sa.delete(exposures).where(exposures.c.policy_id == policy_id))
        self.add(rows)


class SqlClaims:
    """Claims recorded on policies."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, rows: list[ClaimRow]) -> None:
        """Store new claims."""
        if rows:
            values = [{f: getattr(r, f) for f in ClaimRow.__dataclass_fields__} for r in rows]
            self._uow.write(claims.insert(), values)

    def for_policy(self, policy_id: str) -> list[ClaimRow]:
        """A policy's claims in the order recorded."""
        query = sa.select(claims).where(claims.c.policy_id == policy_id).order_by(claims.c.seq)
        return [
            ClaimRow(
                **{f: r[f] for f in ClaimRow.__dataclass_fields__ if f != "created_at"},
                created_at=_utc(r["created_at"]),  # SQLite keeps no time zone
            )
            for r in self._uow.read(query).mappings().all()
        ]

    def update(self, row: ClaimRow) -> None:
        """Replace a stored claim's amounts and status."""
        self._uow.write(
            claims.update().where(claims.c.policy_id == row.policy_id, claims.c.seq == row.seq),
            {"paid": row.paid, "outstanding": row.outstanding, "status": row.status},
        )


class SqlSecrets:
    """The application's own secrets."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        """The secret called ``name``; the first process to ask makes it (the others'
        inserts do nothing and they read the winner's)."""
        query = sa.select(app_secrets.c.value).where(app_secrets.c.name == name)
        found = self._uow.read(query).scalar_one_or_none()
        if found is not None:
            return str(found)
        self._uow.write(
            sa.text(
                "INSERT INTO app_secrets (name, value) VALUES (:n, :v) "
                "ON CONFLICT (name) DO NOTHING"
            ),
            {"n": name, "v": make()},
        )
        return str(self._uow.read(query).scalar_one())


class SqlSessions:
    """The sessions of the pages."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, session: WebSession) -> None:
        """Store a new session."""
        values = {f: getattr(session, f) for f in WebSession.__dataclass_fields__}
        values["data"] = json.dumps(session.data, ensure_ascii=False, sort_keys=True)
        self._uow.write(web_sessions.insert().values(**values))

    def get(self, id_hash: str) -> WebSession | None:
        """The session with this token hash, if stored (expired or not)."""
        query = sa.select(web_sessions).where(web_sessions.c.id_hash == id_hash)
        row = self._uow.read(query).mappings().first()
        if row is None:
            return None
        return WebSession(
            id_hash=row["id_hash"],
            account_id=row["account_id"],
            created_at=_utc(row["created_at"]),
            last_seen_at=_utc(row["last_seen_at"]),
            expires_at=_utc(row["expires_at"]),
            data=json.loads(row["data"]),
        )

    def touch(self, id_hash: str, at: dt.datetime) -> None:
        """Record that the session was used at ``at``."""
        self._uow.write(self._where(id_hash).values(last_seen_at=at))

    def set_data(self, id_hash: str, data: dict[str, Any]) -> None:
        """Replace what the pages keep for the session."""
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        self._uow.write(self._where(id_hash).values(data=text))

    def delete(self, id_hash: str) -> None:
        """End one session."""
        self._uow.write(web_sessions.delete().where(web_sessions.c.id_hash == id_hash))

    def delete_for_account(self, account_id: str) -> int:
        """End every session of an account; how many there were."""
        statement = web_sessions.delete().where(web_sessions.c.account_id == account_id)
        return int(self._uow.write(statement).rowcount)

    def purge(self, now: dt.datetime, idle_since: dt.datetime) -> int:
        """Delete the sessions past their end or unused since ``idle_since``; how many."""
        statement = web_sessions.delete().where(
            sa.or_(web_sessions.c.expires_at <= now, web_sessions.c.last_seen_at <= idle_since)
        )
        return int(self._uow.write(statement).rowcount)

    @staticmethod
    def _where(id_hash: str) -> sa.Update:
        return web_sessions.update().where(web_sessions.c.id_hash == id_hash)


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        commission=row["commission"],
        created_at=_utc(row["created_at"]),
        disabled=bool(row["disabled"]),
        locale=row["locale"],
        adjustment_authority=row["adjustment_authority"],
        sum_insured_authority=row["sum_insured_authority"],
        group_sum_insured_authority=row["group_sum_insured_authority"],
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
        renewal_of=row["renewal_of"],
    )


def _next_counter(uow: SqlUnitOfWork, name: str) -> int:
    """The next value of a counter, in one atomic statement on both databases (SQLite >=
    3.35, PostgreSQL): the row is created or incremented and returned."""
    value = uow.write(
        sa.text(
            "INSERT INTO counters (name, value) VALUES (:name, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value"
        ),
        {"name": name},
    ).scalar_one()
    return int(value)


def _stored_result(quote: QuoteRow, *, prefer_json: bool = False) -> bytes:
    """The result column of a quote: its columns, else its JSON compressed (the JSON
    first with ``prefer_json``: a row read in full and given a new result JSON)."""
    if quote.result_columns is not None and not (prefer_json and quote.result_json):
        return quote.result_columns
    assert quote.result_json is not None
    return zlib.compress(quote.result_json, 1)


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
        number=row["number"],
    )
