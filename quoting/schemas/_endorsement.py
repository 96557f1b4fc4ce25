"""Endorsements (批改): the request that changes a bound policy's members mid-term, and
the priced endorsement and policy versions it produces."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from quoting.schemas._quote import QuoteLine, Referral
from quoting.schemas._request import MAX_CENSUS_MEMBERS, CensusMember
from quoting.schemas._types import Identifier, MoneyText, OccupationClass, Text

__all__ = [
    "CancellationRequest",
    "CancellationTerms",
    "EndorsementMember",
    "EndorsementRequest",
    "EndorsementStatus",
    "MemberChange",
    "MemberRemoval",
    "PolicyMember",
    "PolicyTotals",
    "PricedEndorsement",
    "VersionLine",
    "VersionMember",
]

EndorsementStatus = Literal["accepted", "referred", "approved"]


class _Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class MemberRemoval(_Input):
    """A member who leaves: their last covered day is the day before ``effective``."""

    member_id: Identifier


class MemberChange(_Input):
    """A member whose terms change from ``effective``: the fields given replace theirs (a
    new ``occupation_class`` replaces the occupation code and the other way round)."""

    member_id: Identifier
    name: Annotated[Text, Meta(min_length=1, max_length=200)] | None = None
    country: Annotated[Text, Meta(min_length=2, max_length=80)] | None = None
    occupation_class: OccupationClass | None = None
    occupation_code: Annotated[Text, Meta(max_length=16)] | None = None
    site: Annotated[Text, Meta(max_length=120)] | None = None
    passport_no: Annotated[Text, Meta(max_length=32)] | None = None


class EndorsementRequest(_Input):
    """Members joining, leaving and changing on one effective date."""

    effective: Annotated[
        dt.date,
        Meta(
            description="The first day of the change: added members are covered from it, a "
            "removed member's last covered day is the day before, a changed member carries "
            "the new terms from it. Within the policy period.",
            examples=["2027-07-01"],
        ),
    ]
    add: Annotated[list[CensusMember], Meta(max_length=MAX_CENSUS_MEMBERS)] = []
    remove: Annotated[list[MemberRemoval], Meta(max_length=MAX_CENSUS_MEMBERS)] = []
    change: Annotated[list[MemberChange], Meta(max_length=MAX_CENSUS_MEMBERS)] = []
    reason: Annotated[Text, Meta(max_length=500)] = ""


class CancellationRequest(_Input):
    """The whole policy ends: ``effective`` is the first day no longer covered."""

    effective: Annotated[
        dt.date,
        Meta(
            description="The first day without cover: every member's last covered day is the "
            "day before. Within the policy period, not before the business date, and not "
            "before the effective date of the policy's latest endorsement.",
            examples=["2027-07-01"],
        ),
    ]
    reason: Annotated[
        Text,
        Meta(
            min_length=1,
            max_length=500,
            description="Why the policy is cancelled (printed on the document).",
            examples=["project finished early"],
        ),
    ]
    initiator: Annotated[
        Literal["policyholder", "insurer"],
        Meta(
            description="`policyholder`: the premium for the time on risk is earned by the "
            "tariff's short-period scale (months begun); `insurer`: earned pro rata by days.",
        ),
    ]


class _Output(msgspec.Struct, kw_only=True):
    pass


class CancellationTerms(_Output):
    """How a cancellation was refunded: who asked, and the basis of the earned premium
    (the short-period scale as applied, or pro rata by days)."""

    initiator: Literal["policyholder", "insurer"]
    basis: Literal["short_period_scale", "pro_rata_days"]
    #: the earned shares by months begun that applied (policyholder), else empty
    short_period_scale: list[float]
    #: the bound quote's adjustment lines (minimum premiums) stay earned
    retained_adjustment: MoneyText


class VersionLine(_Output):
    """What one cover of a member's cover segment costs in a policy version (net of refunds)."""

    cover: str
    premium: MoneyText
    vat: MoneyText
    vat_rate: float


class VersionMember(_Output):
    """One member's cover segment in a policy version: the census row as it was priced,
    covered from ``start`` to ``end`` (inclusive; these, not the row's own dates, say
    when the segment ended), and its premium net of refunds. A member who changed has one segment
    before the change and one after; a member who left keeps the segment that ended."""

    member: CensusMember
    start: dt.date
    end: dt.date
    #: days of cover priced by days/365 (a mid-term addition); 0: as bound (short period)
    term_days: int
    premium: MoneyText
    vat: MoneyText
    lines: list[VersionLine]
    #: the plan and ISO country code it was priced under (absent in versions stored
    #: before they were kept: then read from the bound quote or the census row)
    plan: str | None = None
    country_code: str | None = None


class EndorsementMember(_Output):
    """One member's part of an endorsement: an ``addition`` priced by days from the
    effective date, or a ``refund`` of unused days (negative amounts)."""

    member_id: str
    name: str
    action: Literal["add", "remove", "change", "cancel"]
    kind: Literal["addition", "refund"]
    start: dt.date
    end: dt.date
    days: int
    premium: MoneyText
    vat: MoneyText
    lines: list[QuoteLine]


class PolicyTotals(_Output):
    """A policy version's premium and VAT (members' segments plus the bound quote's
    adjustment lines) and how many members it covers on the effective date."""

    version: int
    premium: MoneyText
    vat: MoneyText
    headcount: int


class PricedEndorsement(_Output):
    """An endorsement as priced: ``premium`` (VAT included, negative for a refund) is the
    sum of its member lines to the cent, and the new version's totals are the previous
    version's plus it."""

    number: str
    seq: int
    policy_id: str
    policy_number: str
    status: EndorsementStatus
    effective: dt.date
    reason: str
    currency: str
    premium: MoneyText
    vat: MoneyText
    base_version: int
    policy_version: int | None
    members: list[EndorsementMember]
    referrals: list[Referral]
    totals: PolicyTotals
    created_at: dt.datetime
    created_by: str
    #: what was asked for, as received
    request: EndorsementRequest
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    #: set on the cancellation of the policy (its last endorsement), with the request
    cancellation: CancellationTerms | None = None
    cancellation_request: CancellationRequest | None = None


class PolicyMember(_Output):
    """A member covered on a date, with the segment of cover that date falls in."""

    member_id: str
    name: str
    country: str
    occupation_class: int | None
    occupation_code: str | None
    site: str | None
    start: dt.date
    end: dt.date
    premium: MoneyText
