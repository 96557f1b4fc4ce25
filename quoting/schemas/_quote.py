"""The priced quote: totals, one line per member and cover with its factor trace."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from quoting.schemas._types import Currency, MoneyText

__all__ = [
    "Adjustment",
    "AsOfOverride",
    "DeclinedMember",
    "ExperienceRating",
    "GroupRating",
    "MemberQuote",
    "Quote",
    "QuoteLine",
    "QuoteSummary",
    "Reason",
    "Referral",
    "SiteRating",
    "SpecialConditions",
    "SummaryRow",
    "TariffRef",
    "UnderwriterDecision",
]

QuoteStatus = Literal["accepted", "referred", "declined"]


class _Output(msgspec.Struct, kw_only=True):
    pass


class TariffRef(_Output):
    """The tariff a quote was priced under; re-pricing with it gives the same cents."""

    version: str
    effective_date: dt.date
    hash: str


class QuoteLine(_Output):
    """One member's premium for one cover, with every factor used (the explanation trace).

    ``premium`` = round_half_up(technical / gross_up_divisor × (1 + adjustment)
    × (1 + vat_rate) / fx_rate, 0.01) × headcount, where technical = risk_premium
    + volatility_loading + accumulation_loading and risk_premium = annual_pure_premium
    × term_factor × experience_factor × group_size_factor.
    """

    cover: str
    premium: MoneyText
    vat: MoneyText
    factors: dict[str, float | str]


class MemberQuote(_Output):
    """One priced census row: a member, or a group of ``headcount`` identical members."""

    member_id: str
    name: str
    headcount: int
    country: str
    occupation_class: int
    age: int
    plan: str
    start: dt.date
    end: dt.date
    months: int
    premium: MoneyText
    vat: MoneyText
    lines: list[QuoteLine]
    site: str | None = None


class Adjustment(_Output):
    """A group-level premium line that is not one member's cover, e.g. a minimum premium."""

    kind: Literal["member_minimum", "policy_minimum"]
    premium: MoneyText
    vat: MoneyText
    reason: str
    member_id: str | None = None


class Reason(_Output):
    code: str
    message: str


class DeclinedMember(_Output):
    """A census row excluded from pricing, with why."""

    member_id: str
    name: str
    headcount: int
    reasons: list[Reason]


class Referral(_Output):
    """A reason the quote needs an underwriter's approval before it can be bound."""

    code: str
    message: str
    member_ids: list[str] = []


class SummaryRow(_Output):
    key: str
    label: str
    headcount: int
    premium: MoneyText
    vat: MoneyText


class QuoteSummary(_Output):
    """Member-line premiums grouped three ways (adjustment lines are not included here)."""

    by_cover: list[SummaryRow]
    by_country: list[SummaryRow]
    by_class: list[SummaryRow]


class ExperienceRating(_Output):
    """Step 3: the credibility-weighted claims experience (amounts in the base currency)."""

    member_years: float
    claim_count: int
    actual_claims: float
    expected_claims: float
    actual_to_expected: float
    full_credibility_claims: float
    credibility: float
    factor: float


class SiteRating(_Output):
    """Step 6 for one site (members without a site share one per country). ``members`` is
    the site's exposure N: its members, or, under a tariff that counts presence, the sum of
    their covered days / policy days rounded half up (at least 1); ``mean_sum_insured`` is
    then weighted by presence."""

    country: str
    site: str | None
    members: int
    mean_sum_insured: float
    tier: int
    event_rate: float
    expected_excess: float
    annual_loading: float
    allocated_loading: float


class GroupRating(_Output):
    """The group-level inputs of the line factors, so every line can be recomputed.

    Amounts are in the base currency (CNY) — the lines' trace is too, up to
    ``premium_per_member`` which is in the quote currency.
    """

    base_currency: str
    accepted_headcount: int
    group_size_factor: float
    commission: float
    expenses: float
    profit: float
    gross_up_divisor: float
    adjustment: float
    volatility_alpha: float
    claims_variance: float
    claims_standard_deviation: float
    volatility_loading: float
    accumulation_loading: float
    sites: list[SiteRating]
    experience: ExperienceRating | None = None


class AsOfOverride(_Output):
    """Recorded when an underwriter priced a quote as of a date other than the business
    date (brokers and agents always quote as of today), and on a renewal quote."""

    business_date: Annotated[dt.date, Meta(description="The insurer's date when it was priced.")]
    set_by: Annotated[
        str,
        Meta(
            description="Who set the as-of date: an underwriter's account id, `cli`, or "
            "`renewal` (a renewal quote is priced as of its renewal date)."
        ),
    ]


class RenewalExperience(_Output):
    """The claims experience a renewal is priced on (SPEC §3 step 3): the exposure and
    claims to the business date of the expiring policy and the same policyholder's earlier
    policies, as the request's ``experience`` states it."""

    policies: Annotated[
        list[str], Meta(description="Numbers of the policies whose cover and claims count.")
    ]
    start: dt.date
    end: dt.date
    member_years: Annotated[str, Meta(description="Days of cover / 365, to 4 places.")]
    claim_count: int
    incurred_claims: Annotated[
        MoneyText, Meta(description="Paid plus outstanding, in the quote's currency.")
    ]


class RenewalChange(_Output):
    """A renewal quote against the policy it renews: ``expiring_premium + census_change +
    tariff_change + terms_change + experience_change = total_premium`` to the cent as
    priced (an underwriter's later decision adds ``underwriting.adjustment_premium``).
    Each step changes one thing, with the expiring experience factor until the last: the
    renewal census under the expiring tariff and terms (census), under the renewal tariff
    (tariff), on the renewal's terms — a broker's commission as its account has it now
    (terms) — and with the new experience (experience)."""

    renewal_of: Annotated[str, Meta(description="The id of the policy renewed.")]
    policy_number: str
    expiring_premium: Annotated[
        MoneyText, Meta(description="The expiring policy's premium: its newest version's.")
    ]
    expiring_tariff: TariffRef
    expiring_experience_factor: float
    experience_factor: float
    census_change: MoneyText
    tariff_change: MoneyText
    terms_change: MoneyText
    experience_change: MoneyText
    experience: RenewalExperience | None = None


class SpecialConditions(_Output):
    """Special conditions an underwriter puts on a quote, in both languages of the
    documents."""

    zh: str
    en: str


class UnderwriterDecision(_Output):
    """An underwriter's approval of a referred quote. An adjustment re-priced the quote
    (SPEC §3 step 8, the ``adjustment`` factor of every line): ``adjustment_premium`` is
    what it added (negative: took off), as its own line, so ``total_premium`` =
    ``premium_before`` + ``adjustment_premium``."""

    decided_by: str
    decided_at: dt.datetime
    reason: str | None
    adjustment: float
    premium_before: MoneyText
    adjustment_premium: MoneyText
    conditions: SpecialConditions | None = None


class Quote(_Output):
    """A priced group quote.

    ``total_premium`` (VAT included) equals the sum of every member line and every
    adjustment line, to the cent; ``total_vat`` likewise sums their VAT.
    """

    status: QuoteStatus
    currency: Currency
    as_of: dt.date
    policyholder: str
    credit_code: str
    period_start: dt.date
    period_end: dt.date
    tariff: TariffRef
    headcount: int
    declined_headcount: int
    total_premium: MoneyText
    total_vat: MoneyText
    commission: float
    fx_rate: float
    members: list[MemberQuote]
    adjustments: list[Adjustment]
    declined: list[DeclinedMember]
    referrals: list[Referral]
    summary: QuoteSummary
    rating: GroupRating
    as_of_override: AsOfOverride | None = None
    underwriting: UnderwriterDecision | None = None
    renewal: RenewalChange | None = None
