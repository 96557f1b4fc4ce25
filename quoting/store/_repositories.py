"""The interface of a unit of work and its repositories, one per aggregate (accounts with
their keys, quotes, policies, sessions of the pages) plus the events and the application's secrets.

Repositories read and write; they make no business decisions. Writes become durable
only on :meth:`UnitOfWork.commit`; leaving the unit without it rolls them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from quoting.store._records import (
    Account,
    ApiKeyRow,
    ClaimRow,
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

__all__ = [
    "AccountRepository",
    "EndorsementRepository",
    "EventRepository",
    "ExposureRepository",
    "PolicyRepository",
    "QuoteFilter",
    "QuoteRepository",
    "ReferralRepository",
    "SecretRepository",
    "SessionRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


@dataclass(frozen=True, slots=True)
class QuoteFilter:
    """Which quotes to list: an owner's (None: all), by status and creation time, and
    ``search``: text found in the policyholder's name (case aside) or the start of the
    credit code."""

    owner_id: str | None
    status: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    limit: int = 50
    offset: int = 0
    search: str | None = None


class AccountRepository(Protocol):
    """Accounts and their API keys."""

    def add(self, account: Account) -> None:
        """Store a new account."""

    def get(self, account_id: str) -> Account | None:
        """The account, if it exists."""

    def all(self) -> list[Account]:
        """Every account, oldest first."""

    def set_disabled(self, account_id: str, disabled: bool) -> Account | None:
        """Disable or enable an account; None if unknown."""

    def add_key(self, key: NewApiKey) -> None:
        """Store a new API key."""

    def by_key_hash(self, key_hash: str) -> Account | None:
        """The account owning an unrevoked key with this hash."""

    def api_keys(self, account_id: str | None = None) -> list[ApiKeyRow]:
        """The keys of one account (or of all), oldest first."""

    def revoke_key(self, key_id: str, at: dt.datetime) -> ApiKeyRow | None:
        """Revoke a key unless it is revoked already; None if unknown."""

    def by_signin_name(self, signin_name: str) -> tuple[Account, str] | None:
        """The account signing in with this (normalised) name and its password hash."""

    def set_password(self, account_id: str, signin_name: str, password_hash: str) -> None:
        """Store an account's password hash and the normalised name it signs in with;
        :class:`Conflict` if another account signs in with that name."""

    def set_locale(self, account_id: str, locale: str) -> None:
        """Store the language of an account's pages."""

    def set_authority(
        self,
        account_id: str,
        adjustment: str | None,
        sum_insured: str | None,
        group_sum_insured: str | None,
    ) -> None:
        """Store an account's own underwriting authority (None: its role's default)."""


class SessionRepository(Protocol):
    """The signed-in sessions of the pages."""

    def add(self, session: WebSession) -> None:
        """Store a new session."""

    def get(self, id_hash: str) -> WebSession | None:
        """The session with this token hash, if stored (expired or not)."""

    def touch(self, id_hash: str, at: dt.datetime) -> None:
        """Record that the session was used at ``at``."""

    def set_data(self, id_hash: str, data: dict[str, Any]) -> None:
        """Replace what the pages keep for the session."""

    def delete(self, id_hash: str) -> None:
        """End one session."""

    def delete_for_account(self, account_id: str) -> int:
        """End every session of an account; how many there were."""

    def purge(self, now: dt.datetime, idle_since: dt.datetime) -> int:
        """Delete the sessions past their end or unused since ``idle_since``; how many."""


class QuoteRepository(Protocol):
    """Stored quotes, their request and result documents."""

    def add(self, quote: QuoteRow) -> None:
        """Store a quote; :class:`Conflict` if its owner used its idempotency key before."""

    def next_number(self, year: int) -> int:
        """The next value of the year's quote counter (1, 2, …), atomically."""

    def get(
        self, quote_id: str, owner_id: str | None = None, *, expand: bool = True
    ) -> QuoteRow | None:
        """The quote with its documents; ``owner_id`` restricts it to that owner's. A
        columnar quote comes with ``result_columns``, and with its request and wire
        ``result_json`` too unless ``expand`` is False."""

    def by_idempotency_key(self, owner_id: str, key: str) -> QuoteRow | None:
        """The owner's quote stored under an idempotency key (without documents)."""

    def find(self, where: QuoteFilter) -> tuple[list[QuoteRow], int]:
        """Quotes newest first (without documents) and the total that match."""

    def approve(self, quote_id: str, underwriter_id: str, at: dt.datetime) -> None:
        """Record an approval."""

    def reprice(self, quote: QuoteRow) -> None:
        """Replace a quote's figures (status, totals) and its request and result documents
        after an underwriter's decision re-priced it."""

    def count(self) -> int:
        """How many quotes are stored."""


class PolicyRepository(Protocol):
    """Policies and the counter their numbers come from."""

    def add(self, policy: PolicyRow) -> None:
        """Store a policy; :class:`Conflict` if its quote was bound meanwhile."""

    def next_number(self, year: int) -> int:
        """The next value of the year's policy counter (1, 2, …), atomically."""

    def get(self, policy_id: str, owner_id: str | None = None) -> PolicyRow | None:
        """The policy; ``owner_id`` restricts it to that owner's."""

    def for_quote(self, quote_id: str) -> PolicyRow | None:
        """The policy a quote was bound as, if any."""

    def renewal_for(self, policy_id: str) -> PolicyRow | None:
        """The policy that renews ``policy_id``, if it was renewed."""

    def of_policyholder(self, credit_code: str) -> list[tuple[PolicyRow, QuoteRow]]:
        """Every policy of the policyholder with this credit code, oldest first, each with
        its quote (without documents)."""

    def find(
        self, owner_id: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[PolicyRow, QuoteRow]], int]:
        """Policies newest first, each with its quote (without documents), and the total."""


class EndorsementRepository(Protocol):
    """A policy's endorsements and the versions of its member list they made."""

    def lock_policy(self, policy_id: str) -> None:
        """Hold the policy's row until the unit ends, so that endorsements of one policy
        run one after the other (``SELECT … FOR UPDATE``; SQLite: the write lock)."""

    def add(self, endorsement: EndorsementRow) -> None:
        """Store an endorsement; :class:`Conflict` if its number or idempotency key was
        taken meanwhile."""

    def update(self, endorsement: EndorsementRow) -> None:
        """Replace a stored endorsement (its approval)."""

    def get(self, policy_id: str, seq: int) -> EndorsementRow | None:
        """One endorsement of a policy."""

    def all(self, policy_id: str) -> list[EndorsementRow]:
        """A policy's endorsements, in order."""

    def by_idempotency_key(self, policy_id: str, key: str) -> EndorsementRow | None:
        """The endorsement stored under an idempotency key."""

    def add_version(self, version: PolicyVersionRow) -> None:
        """Store a new version; :class:`Conflict` if that version exists already (another
        endorsement made it meanwhile)."""

    def version(self, policy_id: str, number: int) -> PolicyVersionRow | None:
        """A stored version (2, 3, …)."""

    def latest_version(self, policy_id: str) -> PolicyVersionRow | None:
        """The newest stored version, None while the policy has only version 1."""

    def latest_totals(self, policy_ids: list[str]) -> dict[str, PolicyVersionRow]:
        """The newest stored version of each policy that has one, without its members
        (``members_json`` empty)."""


class EventRepository(Protocol):
    """The events of service calls."""

    def add(self, event: Event) -> None:
        """Record an event in the unit's transaction."""

    def all(self, subject_id: str | None = None) -> list[Event]:
        """Events oldest first, of one subject or all."""

    def find(self, where: EventFilter) -> tuple[list[Event], int]:
        """A page of the events that match, oldest first (with their ids), and how many
        match."""


class ReferralRepository(Protocol):
    """The underwriters' queue of referred quotes."""

    def add(self, referral: ReferralRow) -> None:
        """Put a quote in the queue."""

    def get(self, quote_id: str) -> ReferralRow | None:
        """A quote's referral, if it has one."""

    def save(self, referral: ReferralRow) -> None:
        """Store a referral's new state (the row of its quote is replaced)."""

    def find(self, where: ReferralFilter) -> tuple[list[tuple[ReferralRow, QuoteRow]], int]:
        """Referrals oldest first, each with its quote (without documents), and the
        total that match."""


class ExposureRepository(Protocol):
    """The accumulation exposures of bound policies."""

    def add(self, rows: list[ExposureRow]) -> None:
        """Store a newly bound policy's exposures."""

    def lock_book(self) -> None:
        """Serialise the book checks of concurrent binds until the unit ends."""

    def in_force(self, start: dt.date, end: dt.date) -> list[ExposureRow]:
        """The exposures of policies whose period overlaps ``start``…``end``."""

    def for_policy(self, policy_id: str) -> list[ExposureRow]:
        """One policy's exposures, in the order stored."""

    def replace(self, policy_id: str, rows: list[ExposureRow]) -> None:
        """The policy's exposures become ``rows`` (after an endorsement or a
        cancellation)."""


class ClaimRepository(Protocol):
    """The claims recorded on policies."""

    def add(self, rows: list[ClaimRow]) -> None:
        """Store new claims (numbered after the policy's last one)."""

    def for_policy(self, policy_id: str) -> list[ClaimRow]:
        """A policy's claims in the order recorded."""

    def update(self, row: ClaimRow) -> None:
        """Replace a stored claim (a correction of its amounts or status)."""


class SecretRepository(Protocol):
    """Secrets the application makes for itself."""

    def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        """The secret called ``name``, made with ``make`` the first time (once for all
        processes)."""


class UnitOfWork(Protocol):
    """One transaction over the repositories: ``with factory() as uow: …; uow.commit()``."""

    @property
    def accounts(self) -> AccountRepository:
        """Accounts and their API keys."""

    @property
    def quotes(self) -> QuoteRepository:
        """Quotes."""

    @property
    def policies(self) -> PolicyRepository:
        """Policies."""

    @property
    def endorsements(self) -> EndorsementRepository:
        """Endorsements and policy versions."""

    @property
    def claims(self) -> ClaimRepository:
        """Claims on policies."""

    @property
    def events(self) -> EventRepository:
        """Events."""

    @property
    def referrals(self) -> ReferralRepository:
        """The referral queue."""

    @property
    def exposures(self) -> ExposureRepository:
        """Bound policies' accumulation exposures."""

    @property
    def secrets(self) -> SecretRepository:
        """The application's secrets."""

    @property
    def sessions(self) -> SessionRepository:
        """The sessions of the pages."""

    def __enter__(self) -> Self:
        """Begin."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End: whatever was not committed is rolled back."""

    def commit(self) -> None:
        """Make every write of the unit durable, at once."""


UnitOfWorkFactory = Callable[[], UnitOfWork]
