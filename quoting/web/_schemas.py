"""Wire schemas of the broker API that are not the quote itself."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from quoting.schemas import DeclinedMember, MemberQuote, Quote, SiteRating

__all__ = [
    "Approval",
    "CountryInfo",
    "DeclinedPage",
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
    "RepricedQuote",
    "RepricingDifference",
    "SitePage",
    "TariffInfo",
]


class QuoteLinks(msgspec.Struct):
    """Where to fetch the quote and its exports."""

    self: str
    members_csv: str
    members_xlsx: str
    request: str


class MembersPageInfo(msgspec.Struct):
    """Which members (or declined members, or sites) a large quote's response holds, and
    where the next page is."""

    offset: int
    limit: int
    total: Annotated[int, msgspec.Meta(description="How many the quote has")]
    next: Annotated[
        str | None,
        msgspec.Meta(
            description="The next page (`/members`, `/declined`, `/sites`); null on the last"
        ),
    ] = None


class MemberPage(msgspec.Struct):
    """A page of a quote's members (premium per cover; the trace is per member)."""

    items: list[MemberQuote]
    total: int
    limit: int
    offset: int
    next: str | None = None


class DeclinedPage(msgspec.Struct):
    """A page of a quote's declined members, with why."""

    items: list[DeclinedMember]
    total: int
    limit: int
    offset: int
    next: str | None = None


class SitePage(msgspec.Struct):
    """A page of a quote's sites and their accumulation rating (SPEC §3 step 6)."""

    items: list[SiteRating]
    total: int
    limit: int
    offset: int
    next: str | None = None


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
    number: Annotated[
        str | None,
        msgspec.Meta(
            description="The quote number for people (on the quote letter and the policy), "
            "given when the quote is stored: branch letters, year, a six-digit counter",
            examples=["BJ2026-000123"],
        ),
    ] = None
    policy_number: Annotated[
        str | None, msgspec.Meta(description="Set once the quote is bound")
    ] = None
    policy: Annotated[str | None, msgspec.Meta(description="Link to the policy, once bound")] = None
    members_page: Annotated[
        MembersPageInfo | None,
        msgspec.Meta(
            description="Only on a quote of more than 500 members: `members` is then this "
            "page of them (without the trace) and the rest are at `/members`"
        ),
    ] = None
    declined_page: Annotated[
        MembersPageInfo | None,
        msgspec.Meta(
            description="Only on a quote of more than 500 members with more than 100 "
            "declined members: `declined` is then the first 100 and the rest are at "
            "`/declined`"
        ),
    ] = None
    sites_page: Annotated[
        MembersPageInfo | None,
        msgspec.Meta(
            description="Only on a quote of more than 500 members with more than 100 sites: "
            "`rating.sites` is then the first 100 and the rest are at `/sites`"
        ),
    ] = None


class RepricingDifference(msgspec.Struct):
    """One figure in which the re-priced quote differs from the stored one."""

    field: Annotated[
        str,
        msgspec.Meta(
            description="What differs: `status`, `total_premium`, `members[E001].premium`, "
            "`members[E001].add.premium`, `adjustments`, `declined`, `referrals`…"
        ),
    ]
    stored: Annotated[str, msgspec.Meta(description="As stored (`(none)`: absent)")]
    repriced: Annotated[str, msgspec.Meta(description="As re-priced now")]


class RepricedQuote(Quote, kw_only=True):
    """A stored quote's request priced again with its own tariff version: the fresh quote,
    and whether it matches the stored one to the cent (nothing is stored)."""

    quote_id: Annotated[str, msgspec.Meta(description="The stored quote that was re-priced")]
    same_as_stored: Annotated[
        bool,
        msgspec.Meta(
            description="`true` when every amount, the status and every decision equal the "
            "stored quote's"
        ),
    ]
    differences: Annotated[
        list[RepricingDifference],
        msgspec.Meta(description="What differs (empty when `same_as_stored`); at most 200"),
    ]


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
    number: Annotated[
        str | None,
        msgspec.Meta(
            description="The quote number for people (on the quote letter and the policy), "
            "given when the quote is stored: branch letters, year, a six-digit counter",
            examples=["BJ2026-000123"],
        ),
    ] = None


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
    #: ``cancelled`` once the policy's cancellation is stored
    status: Literal["in_force", "cancelled"]
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
    #: the first day without cover of a cancelled policy
    cancelled_from: dt.date | None = None
    renewal_of: Annotated[
        str | None,
        msgspec.Meta(
            description="The id of the policy this one renews (bound from its renewal quote)"
        ),
    ] = None
    renewed_by: Annotated[
        str | None,
        msgspec.Meta(
            description="The id of the policy that renews this one (in `GET /api/v1/policies/{id}` only)"
        ),
    ] = None


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
