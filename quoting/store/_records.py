"""The plain records the repositories read and write, and the ids and keys they carry."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "REFERRAL_STATES",
    "ROLES",
    "Account",
    "ApiKeyRow",
    "ClaimRow",
    "Conflict",
    "EndorsementRow",
    "Event",
    "EventFilter",
    "ExposureRow",
    "NewApiKey",
    "PolicyRow",
    "PolicyVersionRow",
    "QuoteRow",
    "ReferralFilter",
    "ReferralRow",
    "WebSession",
    "hash_api_key",
    "is_valid_id",
    "new_api_key",
    "new_id",
]

ROLES = ("broker", "agent", "underwriter", "admin")
_ID = re.compile(r"[A-Za-z0-9_]{1,40}")


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier such as ``q_6fj3…`` (hard to guess, so not enumerable)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def is_valid_id(value: str) -> bool:
    """Our ids are short word characters; anything else cannot name a row (and is never
    sent to the database, where e.g. a NUL would be an error rather than 'not found')."""
    return _ID.fullmatch(value) is not None


def new_api_key() -> str:
    """A fresh API key: 32 random bytes, URL-safe. Shown once; only its hash is stored."""
    return "qk_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The stored form of a key or session token (both carry 256 random bits, so a plain
    SHA-256 cannot be brute-forced back)."""
    return hashlib.sha256(key.encode()).hexdigest()


class Conflict(Exception):
    """A write that a unique constraint refused (an idempotency key or a quote's policy
    written meanwhile by another transaction); the unit of work must be abandoned."""


@dataclass(frozen=True, slots=True)
class Account:
    """A broker, agent, underwriter or admin."""

    id: str
    name: str
    role: str
    commission: str | None
    created_at: dt.datetime
    disabled: bool
    #: The language of the pages (``zh_Hans_CN`` or ``en``).
    locale: str = "zh_Hans_CN"
    #: The account's own authority (Decimal strings; None: its role's default): the
    #: largest underwriter adjustment, member sum insured and group sum insured it may
    #: accept when deciding a referred quote.
    adjustment_authority: str | None = None
    sum_insured_authority: str | None = None
    group_sum_insured_authority: str | None = None


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in session of the pages, found by the SHA-256 of the browser's token
    (:func:`hash_api_key`; the token itself is never stored)."""

    id_hash: str
    account_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    #: The absolute end of the session (the idle end depends on the settings).
    expires_at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    """An API key as stored: never the key itself, only its first characters."""

    id: str
    account_id: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key to store: its row and the hash it is found by."""

    row: ApiKeyRow
    key_hash: str


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """A stored quote; ``request_json``/``result_json`` only when read in full.

    ``result_columns`` is the quote's stored form (:mod:`quoting.quote_columns`), set on
    a quote priced since quotes are columnar; ``result_json`` is then its wire JSON,
    built only when read in full and expanded (older quotes have only ``result_json``)."""

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
    #: the quote's number for people (``BJ2026-000123``), given when it is stored
    number: str | None = None
    result_columns: bytes | None = None


@dataclass(frozen=True, slots=True)
class PolicyRow:
    """A bound quote; ``renewal_of`` is the policy it renews (bound from a renewal quote)."""

    id: str
    quote_id: str
    owner_id: str
    policy_number: str
    created_at: dt.datetime
    renewal_of: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Something a service call did (``quote.created``, ``quote.bound``…), written in the
    same transaction as the change itself: the raw material of the audit trail."""

    kind: str
    subject_id: str
    account_id: str | None
    occurred_at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)
    #: The event's place in the trail (set by the store when read back).
    id: int | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to read: of one subject, of one kind (``referral`` also matches
    ``referral.approved``…), by one account, at or after ``since`` and before ``until``."""

    subject_id: str | None = None
    kind: str | None = None
    account_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 50
    offset: int = 0


#: The states of a referral: waiting for an underwriter, waiting for the agent or
#: broker's answer, or decided.
REFERRAL_STATES = ("waiting", "information_requested", "approved", "declined")


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """A referred quote in the underwriters' queue: why it is referred, who sent it with
    which message, the open question and its answer, and the decision."""

    quote_id: str
    state: str
    #: (code, message) of each referral reason.
    reasons: tuple[tuple[str, str], ...]
    #: The countries of the quote's members (ISO codes).
    countries: tuple[str, ...]
    entered_at: dt.datetime
    updated_at: dt.datetime
    sent_by: str | None = None
    sent_at: dt.datetime | None = None
    message: str | None = None
    question: str | None = None
    answer: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    #: Set when a decision was refused as beyond the decider's authority: what it needs.
    escalation: str | None = None

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The codes of the reasons."""
        return tuple(code for code, _ in self.reasons)


@dataclass(frozen=True, slots=True)
class ReferralFilter:
    """Which referrals to list (oldest first): in these states, with a reason code, with
    members in a country, and ``search``: text found in the policyholder's name (case
    aside) or the start of the credit code (as :class:`QuoteFilter`'s)."""

    states: tuple[str, ...] = ("waiting", "information_requested")
    reason: str | None = None
    country: str | None = None
    limit: int = 50
    offset: int = 0
    search: str | None = None


@dataclass(frozen=True, slots=True)
class ExposureRow:
    """A bound policy's accumulation exposure on one site (``site`` None: its members in
    the country without a site): headcount and sums insured in the base currency's cents
    (AD&D, the accumulation cover, and evacuation)."""

    policy_id: str
    quote_id: str
    policyholder: str
    country: str
    site: str | None
    period_start: dt.date
    period_end: dt.date
    headcount: int
    add_sum_insured_cents: int
    evac_sum_insured_cents: int


@dataclass(frozen=True, slots=True)
class PolicyVersionRow:
    """A policy's member list after an endorsement (version 1, the bound quote's, is not
    stored: it is read from the quote). ``members_json`` is the JSON list of segments."""

    policy_id: str
    version: int
    created_at: dt.datetime
    endorsement_seq: int
    total_premium: str
    total_vat: str
    headcount: int
    members_json: bytes


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A claim recorded on a policy: amounts as decimal strings of the policy currency."""

    policy_id: str
    seq: int
    number: str
    member_id: str
    cover: str
    loss_date: dt.date
    paid: str
    outstanding: str
    status: str
    reference: str | None
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class EndorsementRow:
    """An endorsement as stored: ``result_json`` is the priced endorsement shown to the
    client; ``pending_json`` the member list it makes, kept while it awaits approval."""

    policy_id: str
    seq: int
    number: str
    effective: dt.date
    status: str
    premium: str
    vat: str
    base_version: int
    policy_version: int | None
    created_by: str
    created_at: dt.datetime
    idempotency_key: str | None
    input_hash: str
    result_json: bytes
    pending_json: bytes | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
