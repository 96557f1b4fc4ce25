"""Claims of a policy: what a broker records (member, cover, date of loss, paid and
outstanding amounts, status) and the policy's claims experience."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from quoting.schemas._types import Identifier, MoneyText, Text

__all__ = [
    "Claim",
    "ClaimCorrection",
    "ClaimCorrectionEntry",
    "ClaimDetail",
    "ClaimInput",
    "ClaimStatus",
    "ClaimValues",
    "ClaimsRequest",
    "ClaimsSummary",
]

ClaimStatus = Literal["open", "closed"]
#: A claim amount in the policy's currency, to the cent, at least 0 (checked with the
#: claim: msgspec bounds no Decimal).
ClaimAmount = Annotated[Decimal, Meta(examples=["1250.00"])]


class ClaimInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One claim as the broker reports it."""

    member_id: Identifier
    cover: Annotated[
        Literal["add", "amed", "smed", "evac", "sdeath", "hcash"],
        Meta(description="The cover claimed on; the member's plan must include it."),
    ]
    loss_date: Annotated[
        dt.date,
        Meta(
            description="The date of loss: within the policy period, on a day the member "
            "was covered, not after the business date."
        ),
    ]
    paid: ClaimAmount = Decimal(0)
    outstanding: ClaimAmount = Decimal(0)
    status: ClaimStatus = "open"
    reference: Annotated[Text, Meta(max_length=64)] | None = None


class ClaimsRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Claims to record on a policy."""

    claims: Annotated[list[ClaimInput], Meta(min_length=1, max_length=10_000)]


class ClaimCorrection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A claim's amounts and status as they stand now; a field left out keeps its value."""

    paid: Annotated[
        ClaimAmount | None, Meta(description="Paid so far, ≥ 0, to the cent (the new total).")
    ] = None
    outstanding: Annotated[
        ClaimAmount | None,
        Meta(description="Reserved now, ≥ 0, to the cent; 0 on a closed claim."),
    ] = None
    status: ClaimStatus | None = None
    reason: Annotated[
        Text,
        Meta(
            max_length=500,
            description="Why (kept with the correction).",
            examples=["final hospital bill received"],
        ),
    ] = ""


class Claim(msgspec.Struct, kw_only=True):
    """A recorded claim; ``incurred`` = ``paid`` + ``outstanding``."""

    number: str
    seq: int
    member_id: str
    name: str
    cover: str
    loss_date: dt.date
    paid: MoneyText
    outstanding: MoneyText
    incurred: MoneyText
    status: ClaimStatus
    reference: str | None
    created_at: dt.datetime
    created_by: str
    #: the last correction (``PATCH``), if any: when and by which account
    corrected_at: dt.datetime | None = None
    corrected_by: str | None = None


class ClaimValues(msgspec.Struct, kw_only=True):
    """A claim's amounts and status at one moment."""

    paid: MoneyText
    outstanding: MoneyText
    status: ClaimStatus


class ClaimCorrectionEntry(msgspec.Struct, kw_only=True):
    """One correction of a claim, as the audit trail keeps it."""

    corrected_at: dt.datetime
    corrected_by: str | None
    before: ClaimValues
    after: ClaimValues
    reason: str


class ClaimDetail(Claim, kw_only=True):
    """A claim with every correction made to it, oldest first."""

    corrections: list[ClaimCorrectionEntry] = []


class ClaimsSummary(msgspec.Struct, kw_only=True):
    """A policy's claims experience on ``as_of``: earned premium by days (net of VAT,
    after endorsements and cancellation) and the loss ratio incurred / earned."""

    as_of: dt.date
    count: int
    paid: MoneyText
    outstanding: MoneyText
    incurred: MoneyText
    earned_premium: MoneyText
    #: incurred / earned premium to 4 places; None while nothing is earned
    loss_ratio: str | None
    #: member-years of cover to ``as_of`` (days covered / 365, 4 places)
    member_years: str
