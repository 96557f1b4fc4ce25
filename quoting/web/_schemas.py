"""Wire schemas of the broker API that are not the quote itself."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from quoting.schemas import Quote

__all__ = [
    "Approval",
    "CountryInfo",
    "DependencyStatus",
    "HealthDependencies",
    "HealthStatus",
    "PolicyLinks",
    "PolicyPage",
    "PolicyRecord",
    "QuoteLinks",
    "QuoteListItem",
    "QuotePage",
    "QuoteRecord",
    "TariffInfo",
]


class QuoteLinks(msgspec.Struct):
    """Where to fetch the quote and its exports."""

    self: str
    members_csv: str
    members_xlsx: str
    request: str


class QuoteRecord(Quote, kw_only=True):
    """A stored quote: the priced quote plus its identity and validity."""

    id: str
    created_at: dt.datetime
    valid_until: dt.date
    links: QuoteLinks
    approved_at: Annotated[
        dt.datetime | None,
        msgspec.Meta(description="When an underwriter approved it (referred quotes)"),
    ] = None
    policy_number: Annotated[
        str | None, msgspec.Meta(description="Set once the quote is bound")
    ] = None
    policy: Annotated[str | None, msgspec.Meta(description="Link to the policy, once bound")] = None


class QuoteListItem(msgspec.Struct):
    """One quote in a listing (without members and lines)."""

    id: str
    created_at: dt.datetime
    valid_until: dt.date
    status: Literal["accepted", "referred", "declined"]
    currency: str
    total_premium: str
    total_vat: str
    policyholder: str
    credit_code: str
    headcount: int
    tariff_version: str
    links: QuoteLinks


class QuotePage(msgspec.Struct):
    """A page of quotes, newest first."""

    items: list[QuoteListItem]
    total: int
    limit: int
    offset: int
    next: str | None = None


class TariffInfo(msgspec.Struct):
    """The tariff in force today."""

    version: str
    effective_date: dt.date
    hash: str
    base_currency: str
    quote_validity_days: int
    fx_as_of: dt.date
    fx: dict[str, float]


class CountryInfo(msgspec.Struct):
    """A country of the tariff's country risk table."""

    code: str
    alpha3: str
    name_en: str
    name_zh: str
    tier: int
    status: Literal["accept", "refer", "decline"]


class DependencyStatus(msgspec.Struct):
    """One dependency: ``ok``, ``degraded`` (working around it) or ``down``."""

    status: Literal["ok", "degraded", "down"]
    detail: str


class HealthDependencies(msgspec.Struct):
    database: DependencyStatus
    rate_limit_store: DependencyStatus


class HealthStatus(msgspec.Struct):
    """``unavailable`` (503) when the database is down; ``degraded`` (200) when a
    dependency is down but requests are served, e.g. rate limits counted in process."""

    status: Literal["ok", "degraded", "unavailable"]
    database: bool
    version: str
    dependencies: HealthDependencies


class PolicyLinks(msgspec.Struct):
    self: str
    quote: str
    documents: dict[str, str]


class PolicyRecord(msgspec.Struct):
    """A bound policy: its number, the quote it came from and its documents."""

    id: str
    policy_number: str
    quote_id: str
    created_at: dt.datetime
    status: Literal["in_force"]
    policyholder: str
    credit_code: str
    period_start: dt.date
    period_end: dt.date
    currency: str
    total_premium: str
    total_vat: str
    headcount: int
    tariff_version: str
    links: PolicyLinks
    #: the version of the member list shown (1: as bound)
    version: int = 1
    #: the newest version (each applied endorsement makes one)
    latest_version: int = 1


class PolicyPage(msgspec.Struct):
    """A page of policies, newest first."""

    items: list[PolicyRecord]
    total: int
    limit: int
    offset: int
    next: str | None = None


class Approval(msgspec.Struct):
    """An underwriter's approval of a referred quote."""

    quote_id: str
    approved_by: str
    approved_at: dt.datetime
    links: QuoteLinks
