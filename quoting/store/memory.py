"""A unit of work in memory, with the repositories of the SQL one: the fake that binding,
approval and idempotency are unit-tested on (milliseconds, no database).

``InMemoryDatabase`` holds the committed data; each :class:`InMemoryUnitOfWork` works on
a copy of it and puts the copy in its place on commit, after checking the unique
constraints the SQL schema has (an owner's idempotency keys, one policy per quote).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self

from quoting.quote_columns import ColumnarQuote
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
)
from quoting.store._repositories import QuoteFilter

__all__ = ["InMemoryDatabase", "InMemoryUnitOfWork"]


@dataclass
class _Data:
    accounts: dict[str, Account] = field(default_factory=dict)
    keys: dict[str, NewApiKey] = field(default_factory=dict)
    quotes: dict[str, QuoteRow] = field(default_factory=dict)
    policies: dict[str, PolicyRow] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    #: Account id -> (normalised sign-in name, password hash).
    passwords: dict[str, tuple[str, str]] = field(default_factory=dict)
    sessions: dict[str, WebSession] = field(default_factory=dict)
    endorsements: dict[tuple[str, int], EndorsementRow] = field(default_factory=dict)
    versions: dict[tuple[str, int], PolicyVersionRow] = field(default_factory=dict)
    referrals: dict[str, ReferralRow] = field(default_factory=dict)
    exposures: list[ExposureRow] = field(default_factory=list)
    claims: list[ClaimRow] = field(default_factory=list)

    def copy(self) -> _Data:
        # The records are frozen, so copying the containers copies the data.
        return _Data(
            dict(self.accounts),
            dict(self.keys),
            dict(self.quotes),
            dict(self.policies),
            dict(self.counters),
            list(self.events),
            dict(self.secrets),
            dict(self.passwords),
            dict(self.sessions),
            dict(self.endorsements),
            dict(self.versions),
            dict(self.referrals),
            list(self.exposures),
            list(self.claims),
        )


class InMemoryDatabase:
    """The committed data of the in-memory units of work."""

    def __init__(self) -> None:
        self.data = _Data()
        self.lock = threading.Lock()

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A new unit of work on this data (use as the services' factory)."""
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork:
    """``with InMemoryUnitOfWork(db) as uow: …; uow.commit()`` — like the SQL one."""

    def __init__(self, database: InMemoryDatabase | None = None) -> None:
        self.database = database or InMemoryDatabase()
        self._data = self.database.data.copy()
        self.committed = False
        self.accounts = _Accounts(self)
        self.quotes = _Quotes(self)
        self.policies = _Policies(self)
        self.endorsements = _Endorsements(self)
        self.claims = _Claims(self)
        self.events = _Events(self)
        self.secrets = _Secrets(self)
        self.sessions = _Sessions(self)
        self._base = self._data
        self.referrals = _Referrals(self)
        self.exposures = _Exposures(self)

    def __enter__(self) -> Self:
        """Begin: work on a copy of the committed data."""
        with self.database.lock:
            self._base = self.database.data
            self._data = self._base.copy()
        self.committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End: drop whatever was not committed."""
        with self.database.lock:
            self._data = self.database.data.copy()

    def commit(self) -> None:
        """Put this unit's data in place; :class:`Conflict` if a unit committed meanwhile
        what a unique constraint forbids next to this one's."""
        with self.database.lock:
            mine, theirs = self._data, self.database.data
            _check_unique(mine, theirs)
            _check_endorsements(mine, theirs, self._base)
            self.database.data = mine
            self._data = mine.copy()
        self.committed = True

    @property
    def data(self) -> _Data:
        """The unit's working data (for its repositories)."""
        return self._data


def _check_unique(mine: _Data, theirs: _Data) -> None:
    for policy_id, policy in theirs.policies.items():
        ours = [p for p in mine.policies.values() if p.quote_id == policy.quote_id]
        if any(p.id != policy_id for p in ours):
            raise Conflict(f"quote {policy.quote_id} is bound already")
        renewing = [
            p
            for p in mine.policies.values()
            if policy.renewal_of and p.renewal_of == policy.renewal_of
        ]
        if any(p.id != policy_id for p in renewing):
            raise Conflict(f"policy {policy.renewal_of} is renewed already")
    for quote in theirs.quotes.values():
        if quote.idempotency_key is None:
            continue
        same = [
            q
            for q in mine.quotes.values()
            if (q.owner_id, q.idempotency_key) == (quote.owner_id, quote.idempotency_key)
        ]
        if any(q.id != quote.id for q in same):
            raise Conflict(f"idempotency key of quote {quote.id}")


def _check_endorsements(mine: _Data, theirs: _Data, base: _Data) -> None:
    """Another unit committed an endorsement or version this one wrote too (the SQL
    primary keys), or the same idempotency key on a policy."""
    for table in ("endorsements", "versions"):
        ours, committed, began = getattr(mine, table), getattr(theirs, table), getattr(base, table)
        for key, row in ours.items():
            if row is not began.get(key) and committed.get(key) is not began.get(key):
                raise Conflict(f"{table} {key} written meanwhile")
    for key, row in mine.endorsements.items():
        if row.idempotency_key is None or key in base.endorsements:
            continue
        for other_key, other in theirs.endorsements.items():
            same = (other.policy_id, other.idempotency_key) == (row.policy_id, row.idempotency_key)
            if same and other_key != key:
                raise Conflict(f"idempotency key of endorsement {row.number}")


class _Endorsements:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def lock_policy(self, policy_id: str) -> None:
        """Nothing to hold: a unit that loses the race fails on commit instead."""

    def add(self, endorsement: EndorsementRow) -> None:
        rows = self._uow.data.endorsements
        key = (endorsement.policy_id, endorsement.seq)
        taken = endorsement.idempotency_key is not None and self.by_idempotency_key(
            endorsement.policy_id, endorsement.idempotency_key
        )
        if key in rows or taken:
            raise Conflict(f"endorsement {endorsement.number}")
        rows[key] = endorsement

    def update(self, endorsement: EndorsementRow) -> None:
        self._uow.data.endorsements[(endorsement.policy_id, endorsement.seq)] = endorsement

    def get(self, policy_id: str, seq: int) -> EndorsementRow | None:
        return self._uow.data.endorsements.get((policy_id, seq))

    def all(self, policy_id: str) -> list[EndorsementRow]:
        rows = self._uow.data.endorsements
        return [rows[k] for k in sorted(rows) if k[0] == policy_id]

    def by_idempotency_key(self, policy_id: str, key: str) -> EndorsementRow | None:
        return next(
            (e for e in self.all(policy_id) if e.idempotency_key == key),
            None,
        )

    def add_version(self, version: PolicyVersionRow) -> None:
        key = (version.policy_id, version.version)
        if key in self._uow.data.versions:
            raise Conflict(f"version {version.version} of policy {version.policy_id}")
        self._uow.data.versions[key] = version

    def version(self, policy_id: str, number: int) -> PolicyVersionRow | None:
        return self._uow.data.versions.get((policy_id, number))

    def latest_version(self, policy_id: str) -> PolicyVersionRow | None:
        mine = [k for k in self._uow.data.versions if k[0] == policy_id]
        return self._uow.data.versions[max(mine)] if mine else None

    def latest_totals(self, policy_ids: list[str]) -> dict[str, PolicyVersionRow]:
        found = {}
        for policy_id in policy_ids:
            latest = self.latest_version(policy_id)
            if latest is not None:
                found[policy_id] = replace(latest, members_json=b"")
        return found


class _Accounts:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, account: Account) -> None:
        self._uow.data.accounts[account.id] = account

    def get(self, account_id: str) -> Account | None:
        return self._uow.data.accounts.get(account_id)

    def all(self) -> list[Account]:
        return sorted(self._uow.data.accounts.values(), key=lambda a: a.created_at)

    def set_disabled(self, account_id: str, disabled: bool) -> Account | None:
        found = self._uow.data.accounts.get(account_id)
        if found is None:
            return None
        self._uow.data.accounts[account_id] = changed = replace(found, disabled=disabled)
        return changed

    def add_key(self, key: NewApiKey) -> None:
        self._uow.data.keys[key.row.id] = key

    def by_key_hash(self, key_hash: str) -> Account | None:
        for key in self._uow.data.keys.values():
            if key.key_hash == key_hash and key.row.revoked_at is None:
                return self._uow.data.accounts.get(key.row.account_id)
        return None

    def api_keys(self, account_id: str | None = None) -> list[ApiKeyRow]:
        rows = [k.row for k in self._uow.data.keys.values()]
        rows = [r for r in rows if account_id is None or r.account_id == account_id]
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    def revoke_key(self, key_id: str, at: dt.datetime) -> ApiKeyRow | None:
        key = self._uow.data.keys.get(key_id)
        if key is None:
            return None
        if key.row.revoked_at is None:
            key = replace(key, row=replace(key.row, revoked_at=at))
            self._uow.data.keys[key_id] = key
        return key.row

    def by_signin_name(self, signin_name: str) -> tuple[Account, str] | None:
        for account_id, (name, password_hash) in self._uow.data.passwords.items():
            if name == signin_name:
                return self._uow.data.accounts[account_id], password_hash
        return None

    def set_password(self, account_id: str, signin_name: str, password_hash: str) -> None:
        found = self.by_signin_name(signin_name)
        if found is not None and found[0].id != account_id:
            raise Conflict(f"another account signs in as {signin_name!r}")
        self._uow.data.passwords[account_id] = (signin_name, password_hash)

    def set_locale(self, account_id: str, locale: str) -> None:
        found = self._uow.data.accounts.get(account_id)
        if found is not None:
            self._uow.data.accounts[account_id] = replace(found, locale=locale)

    def set_authority(
        self,
        account_id: str,
        adjustment: str | None,
        sum_insured: str | None,
        group_sum_insured: str | None,
    ) -> None:
        found = self._uow.data.accounts.get(account_id)
        if found is not None:
            self._uow.data.accounts[account_id] = replace(
                found,
                adjustment_authority=adjustment,
                sum_insured_authority=sum_insured,
                group_sum_insured_authority=group_sum_insured,
            )


class _Quotes:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, quote: QuoteRow) -> None:
        if quote.idempotency_key is not None and self.by_idempotency_key(
            quote.owner_id, quote.idempotency_key
        ):
            raise Conflict(f"idempotency key of quote {quote.id}")
        self._uow.data.quotes[quote.id] = quote

    def next_number(self, year: int) -> int:
        name = f"quote-{year}"
        value = self._uow.data.counters.get(name, 0) + 1
        self._uow.data.counters[name] = value
        return value

    def get(
        self, quote_id: str, owner_id: str | None = None, *, expand: bool = True
    ) -> QuoteRow | None:
        found = self._uow.data.quotes.get(quote_id)
        if found is None or (owner_id is not None and found.owner_id != owner_id):
            return None
        if found.result_columns is not None:
            if not expand:  # as the SQL store: only what reading the members needs
                return replace(found, request_json=None, result_json=None)
            return replace(found, result_json=ColumnarQuote(found.result_columns).quote_json())
        return found

    def by_idempotency_key(self, owner_id: str, key: str) -> QuoteRow | None:
        for quote in self._uow.data.quotes.values():
            if (quote.owner_id, quote.idempotency_key) == (owner_id, key):
                return _summary(quote)
        return None

    def find(self, where: QuoteFilter) -> tuple[list[QuoteRow], int]:
        rows = [
            q
            for q in self._uow.data.quotes.values()
            if (where.owner_id is None or q.owner_id == where.owner_id)
            and (where.status is None or q.status == where.status)
            and (where.created_from is None or q.created_at >= where.created_from)
            and (where.created_to is None or q.created_at < where.created_to)
            and (not where.search or _matches(q, where.search))
        ]
        rows.sort(key=lambda q: (q.created_at, q.id), reverse=True)
        page = rows[where.offset : where.offset + where.limit]
        return [_summary(q) for q in page], len(rows)

    def approve(self, quote_id: str, underwriter_id: str, at: dt.datetime) -> None:
        found = self._uow.data.quotes.get(quote_id)
        if found is not None and found.approved_at is None:
            approved = replace(found, approved_by=underwriter_id, approved_at=at)
            self._uow.data.quotes[quote_id] = approved

    def reprice(self, quote: QuoteRow) -> None:
        found = self._uow.data.quotes[quote.id]
        self._uow.data.quotes[quote.id] = replace(
            found,
            status=quote.status,
            total_premium=quote.total_premium,
            total_vat=quote.total_vat,
            request_json=quote.request_json,
            result_json=quote.result_json,
            result_columns=quote.result_columns if quote.result_json is None else None,
        )

    def count(self) -> int:
        return len(self._uow.data.quotes)


def _matches(quote: QuoteRow, search: str) -> bool:
    return search.casefold() in quote.policyholder.casefold() or quote.credit_code.startswith(
        search.upper()
    )


def _summary(quote: QuoteRow) -> QuoteRow:
    return replace(quote, request_json=None, result_json=None, result_columns=None)


class _Policies:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, policy: PolicyRow) -> None:
        if self.for_quote(policy.quote_id) is not None:
            raise Conflict(f"quote {policy.quote_id} is bound already")
        if policy.renewal_of is not None and self.renewal_for(policy.renewal_of) is not None:
            raise Conflict(f"policy {policy.renewal_of} is renewed already")
        self._uow.data.policies[policy.id] = policy

    def next_number(self, year: int) -> int:
        name = f"policy-{year}"
        value = self._uow.data.counters.get(name, 0) + 1
        self._uow.data.counters[name] = value
        return value

    def get(self, policy_id: str, owner_id: str | None = None) -> PolicyRow | None:
        found = self._uow.data.policies.get(policy_id)
        if found is None or (owner_id is not None and found.owner_id != owner_id):
            return None
        return found

    def for_quote(self, quote_id: str) -> PolicyRow | None:
        return next((p for p in self._uow.data.policies.values() if p.quote_id == quote_id), None)

    def renewal_for(self, policy_id: str) -> PolicyRow | None:
        policies = self._uow.data.policies.values()
        return next((p for p in policies if p.renewal_of == policy_id), None)

    def of_policyholder(self, credit_code: str) -> list[tuple[PolicyRow, QuoteRow]]:
        quotes = self._uow.data.quotes
        rows = [
            p
            for p in self._uow.data.policies.values()
            if quotes[p.quote_id].credit_code == credit_code
        ]
        rows.sort(key=lambda p: (p.created_at, p.id))
        return [(p, _summary(quotes[p.quote_id])) for p in rows]

    def find(
        self, owner_id: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[PolicyRow, QuoteRow]], int]:
        rows = [
            p
            for p in self._uow.data.policies.values()
            if owner_id is None or p.owner_id == owner_id
        ]
        rows.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        quotes = self._uow.data.quotes
        page = [(p, _summary(quotes[p.quote_id])) for p in rows[offset : offset + limit]]
        return page, len(rows)


class _Events:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, event: Event) -> None:
        self._uow.data.events.append(event)

    def all(self, subject_id: str | None = None) -> list[Event]:
        return [
            replace(e, id=i)
            for i, e in enumerate(self._uow.data.events, 1)
            if subject_id is None or e.subject_id == subject_id
        ]

    def find(self, where: EventFilter) -> tuple[list[Event], int]:
        kind = where.kind
        rows = [
            e
            for e in self.all(where.subject_id)
            if (kind is None or e.kind == kind or e.kind.startswith(kind + "."))
            and (where.account_id is None or e.account_id == where.account_id)
            and (where.since is None or e.occurred_at >= where.since)
            and (where.until is None or e.occurred_at < where.until)
        ]
        return rows[where.offset : where.offset + where.limit], len(rows)


class _Referrals:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, referral: ReferralRow) -> None:
        self._uow.data.referrals[referral.quote_id] = referral

    def get(self, quote_id: str) -> ReferralRow | None:
        return self._uow.data.referrals.get(quote_id)

    def save(self, referral: ReferralRow) -> None:
        self._uow.data.referrals[referral.quote_id] = referral

    def find(self, where: ReferralFilter) -> tuple[list[tuple[ReferralRow, QuoteRow]], int]:
        rows = [
            r
            for r in self._uow.data.referrals.values()
            if r.state in where.states
            and (where.reason is None or where.reason in r.reason_codes)
            and (where.country is None or where.country in r.countries)
            and (not where.search or _matches(self._uow.data.quotes[r.quote_id], where.search))
        ]
        rows.sort(key=lambda r: (r.entered_at, r.quote_id))
        quotes = self._uow.data.quotes
        page = rows[where.offset : where.offset + where.limit]
        return [(r, _summary(quotes[r.quote_id])) for r in page], len(rows)


class _Exposures:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, rows: list[ExposureRow]) -> None:
        self._uow.data.exposures.extend(rows)

    def lock_book(self) -> None:
        """Nothing to do: units commit one at a time under the database's lock."""

    def in_force(self, start: dt.date, end: dt.date) -> list[ExposureRow]:
        return [
            r for r in self._uow.data.exposures if r.period_start <= end and r.period_end >= start
        ]

    def for_policy(self, policy_id: str) -> list[ExposureRow]:
        return [r for r in self._uow.data.exposures if r.policy_id == policy_id]

    def replace(self, policy_id: str, rows: list[ExposureRow]) -> None:
        kept = [r for r in self._uow.data.exposures if r.policy_id != policy_id]
        self._uow.data.exposures[:] = [*kept, *rows]


class _Claims:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, rows: list[ClaimRow]) -> None:
        taken = {(r.policy_id, r.seq) for r in self._uow.data.claims}
        if any((r.policy_id, r.seq) in taken for r in rows):
            raise Conflict("claim numbers taken")
        self._uow.data.claims.extend(rows)

    def for_policy(self, policy_id: str) -> list[ClaimRow]:
        return sorted(
            (r for r in self._uow.data.claims if r.policy_id == policy_id), key=lambda r: r.seq
        )

    def update(self, row: ClaimRow) -> None:
        stored = self._uow.data.claims
        stored[:] = [row if (r.policy_id, r.seq) == (row.policy_id, row.seq) else r for r in stored]


class _Secrets:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        return self._uow.data.secrets.setdefault(name, make())


class _Sessions:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, session: WebSession) -> None:
        self._uow.data.sessions[session.id_hash] = session

    def get(self, id_hash: str) -> WebSession | None:
        return self._uow.data.sessions.get(id_hash)

    def touch(self, id_hash: str, at: dt.datetime) -> None:
        if (found := self.get(id_hash)) is not None:
            self._uow.data.sessions[id_hash] = replace(found, last_seen_at=at)

    def set_data(self, id_hash: str, data: dict[str, Any]) -> None:
        if (found := self.get(id_hash)) is not None:
            self._uow.data.sessions[id_hash] = replace(found, data=dict(data))

    def delete(self, id_hash: str) -> None:
        self._uow.data.sessions.pop(id_hash, None)

    def delete_for_account(self, account_id: str) -> int:
        ended = [k for k, s in self._uow.data.sessions.items() if s.account_id == account_id]
        for key in ended:
            del self._uow.data.sessions[key]
        return len(ended)

    def purge(self, now: dt.datetime, idle_since: dt.datetime) -> int:
        ended = [
            k
            for k, s in self._uow.data.sessions.items()
            if s.expires_at <= now or s.last_seen_at <= idle_since
        ]
        for key in ended:
            del self._uow.data.sessions[key]
        return len(ended)
