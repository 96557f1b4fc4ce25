"""The tariff as data: the shape of ``tariff.toml`` (strict Structs an underwriter's edit
is checked against, covers as a tagged union of one Struct per rating method) and the
frozen :class:`Tariff` that pricing reads.

Pure: nothing here reads files, looks at the clock or imports a country database; the
loader is :mod:`quoting.tariff.files` and the versions are :mod:`quoting.tariff.registry`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

import msgspec
import numpy as np
import numpy.typing as npt
from msgspec import Meta

__all__ = [
    "COUNTRY_FACTORS",
    "COUNTRY_STATUSES",
    "COVER_CODES",
    "DEFAULT_CANCELLATION_SCALE",
    "RATING_METHODS",
    "AccumulationParams",
    "AgeParams",
    "CancellationParams",
    "Country",
    "CoverParams",
    "EndorsementParams",
    "ExperienceParams",
    "FrequencySeverityCover",
    "FxParams",
    "GammaSeverity",
    "GroupSizeBand",
    "LoadingParams",
    "LognormalSeverity",
    "MinimumParams",
    "Occupation",
    "PerMemberCover",
    "PerMilleCover",
    "Severity",
    "ShortPeriodParams",
    "Tariff",
    "TariffHeader",
    "TariffParams",
    "UnderwritingParams",
    "VolatilityParams",
    "WordingParams",
    "normalise_name",
]

#: Cover codes in the order lines are listed.
COVER_CODES: tuple[str, ...] = ("add", "amed", "smed", "evac", "sdeath", "hcash")
#: Country factor columns a cover may multiply by.
COUNTRY_FACTORS: tuple[str, ...] = ("accident", "medical_cost", "evacuation", "security")
#: Country statuses in the order of ``Tariff.country_status`` codes (0 accept, 1 refer, 2 decline).
COUNTRY_STATUSES: tuple[str, ...] = ("accept", "refer", "decline")

Fraction = Annotated[float, Meta(ge=0.0, le=1.0)]
Positive = Annotated[float, Meta(gt=0.0)]
NonNegative = Annotated[float, Meta(ge=0.0)]
Factor = Annotated[float, Meta(gt=0.0, le=20.0)]
CountryFactorName = Literal["accident", "medical_cost", "evacuation", "security"]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class TariffHeader(_Strict):
    version: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
    effective_date: dt.date
    base_currency: Literal["CNY"]
    quote_validity_days: Annotated[int, Meta(ge=1, le=365)]
    description: str = ""


class FxParams(_Strict):
    as_of: dt.date
    source: str
    USD: Positive


class AgeParams(_Strict):
    min: Annotated[int, Meta(ge=0, le=120)]
    max: Annotated[int, Meta(ge=0, le=120)]
    band_upper: Annotated[list[int], Meta(min_length=1)]


class ShortPeriodParams(_Strict):
    factors: Annotated[list[Fraction], Meta(min_length=12, max_length=12)]


class GroupSizeBand(_Strict):
    min_headcount: Annotated[int, Meta(ge=1)]
    factor: Factor


class LoadingParams(_Strict):
    expenses: Fraction
    profit: Fraction
    commission_default: Fraction
    commission_min: Fraction
    commission_max: Fraction


class VolatilityParams(_Strict):
    alpha: NonNegative


class AccumulationParams(_Strict):
    cover: str
    victim_probability: Fraction
    retention: NonNegative
    event_rate_by_tier: Annotated[list[Fraction], Meta(min_length=5, max_length=5)]
    #: How a site's exposure is counted (SPEC §3 step 6). ``headcount`` (the default, the
    #: rule of tariffs written before this key): every member counts fully in N and s̄,
    #: shares by SI, then × the member's term factor. ``presence``: member presence
    #: t = covered days / policy days, N = max(1, ⌊Σt + ½⌋), s̄ = Σt·SI / Σt, shares by
    #: t·SI and no further term factor.
    exposure: Literal["headcount", "presence"] = "headcount"


class ExperienceParams(_Strict):
    credibility_probability: Annotated[float, Meta(gt=0.0, lt=1.0)]
    credibility_tolerance: Annotated[float, Meta(gt=0.0, lt=1.0)]
    factor_min: Positive
    factor_max: Positive
    refer_loss_ratio: Positive
    # Defaults keep tariff versions written before these parameters valid and unchanged.
    #: An experience factor below 1 − this (a discount above it) refers the quote.
    refer_discount: Annotated[float, Meta(ge=0.0, lt=1.0)] = 0.10
    #: Most claims per member-year an experience may state.
    max_claims_per_member_year: Positive = 10.0
    #: Member-years may exceed the census headcount × the experience period's years by
    #: this factor at most (the group may have been larger then).
    member_years_margin: Annotated[float, Meta(ge=1.0)] = 2.0
    #: The full-credibility standard (SPEC §3 step 3). ``claim_count`` (the default, the
    #: rule of tariffs written before this key): n_full = (z/k)². ``aggregate``: the
    #: standard for aggregate claims, n_full = (z/k)² × (1 + CV²), CV of one claim's size
    #: under the census's mix of covers weighted by expected claim counts.
    full_credibility: Literal["claim_count", "aggregate"] = "claim_count"


class MinimumParams(_Strict):
    member: NonNegative
    policy: NonNegative
    vat_rate: Fraction


class EndorsementParams(_Strict):
    """Refunds of members leaving mid-term (``[endorsements]``, optional: a tariff without
    it refunds the unused days pro rata in full)."""

    #: share of a pro-rata refund the insurer keeps (0: the whole unused premium is refunded)
    refund_retention: Fraction = 0.0
    #: no refund for a member who has a claim in the policy period
    no_refund_with_claim: bool = False


#: The product default short-period scale of a cancellation at the policyholder's request
#: (the usual Chinese 短期费率表): the share of the annual premium earned after 1, 2, …
#: 12 months begun. Tariffs 2026.2 and 2027.1, published before ``[cancellation]``
#: existed, use it.
DEFAULT_CANCELLATION_SCALE: tuple[float, ...] = (
    0.10,
    0.20,
    0.30,
    0.40,
    0.50,
    0.60,
    0.70,
    0.80,
    0.85,
    0.90,
    0.95,
    1.00,
)


class CancellationParams(_Strict):
    """Cancellation of a whole policy (``[cancellation]``, optional: a tariff without it
    earns the product default scale, :data:`DEFAULT_CANCELLATION_SCALE`)."""

    #: share of the annual premium earned when the policyholder cancels after 1, 2, … 12
    #: months begun (short-period scale); an insurer's cancellation earns days/365 instead
    short_period_scale: Annotated[list[Fraction], Meta(min_length=12, max_length=12)] = (
        msgspec.field(default_factory=lambda: list(DEFAULT_CANCELLATION_SCALE))
    )


class WordingParams(_Strict):
    """The policy wording (保险条款) the tariff's policies are issued under (``[wording]``,
    optional: a tariff without it, such as 2026.2 and 2027.1, prints the brand's default
    wording). Printed on the policy schedule."""

    name_zh: Annotated[str, Meta(min_length=1, max_length=120)]
    name_en: Annotated[str, Meta(min_length=1, max_length=200)]
    #: 备案编号: the wording's filing number with the regulator
    filing_number: Annotated[str, Meta(min_length=1, max_length=80)]


class UnderwritingParams(_Strict):
    auto_max_class: Annotated[int, Meta(ge=1, le=6)]
    group_sum_insured_limit: Positive
    site_accumulation_limit: Positive
    adjustment_authority: Fraction
    adjustment_max: Fraction


class _Severity(_Strict, tag_field="distribution"):
    """One claim's cost before deductible, limit and coinsurance."""

    mean: Positive


class LognormalSeverity(_Severity, tag="lognormal"):
    """A lognormal claim cost, given by its mean and the sd of log X."""

    distribution: ClassVar[str] = "lognormal"
    sigma: Positive


class GammaSeverity(_Severity, tag="gamma"):
    """A gamma claim cost, given by its mean and coefficient of variation."""

    distribution: ClassVar[str] = "gamma"
    cv: Positive


#: A claim-cost distribution, tagged by ``distribution`` in the tariff file.
Severity = LognormalSeverity | GammaSeverity


class _Cover(_Strict, tag_field="method"):
    """What every cover states, whatever its rating method."""

    name_en: str
    name_zh: str
    vat_rate: Fraction
    auto_limit: Positive


#: Whole months of policy period from which the cover is VAT-exempt (medical policies).
VatExemptMonths = Annotated[int, Meta(ge=1, le=12)] | None


class PerMilleCover(_Cover, tag="per_mille"):
    """SI/1000 × rate[class] × country factors × age factor."""

    method: ClassVar[str] = "per_mille"
    rate_by_class: list[NonNegative]
    age_factors: list[Factor]
    country_factors: list[CountryFactorName] = []
    vat_exempt_min_months: VatExemptMonths = None


class FrequencySeverityCover(_Cover, tag="frequency_severity"):
    """Claim frequency × the exact expected payment of one claim under the plan's layer."""

    method: ClassVar[str] = "frequency_severity"
    #: ``class_and_age_band``: frequency[class] × frequency_age_factors[age band].
    frequency_by: Literal["class", "age_band", "class_and_age_band"]
    frequency: list[NonNegative]
    severity: Severity
    #: One factor per age band; only (and then required) with ``class_and_age_band``.
    frequency_age_factors: list[Factor] | None = None
    frequency_country_factors: list[CountryFactorName] = []
    severity_country_factor: CountryFactorName | None = None
    vat_exempt_min_months: VatExemptMonths = None


class PerMemberCover(_Cover, tag="per_member"):
    """amount[class or age band] × benefit units × max-days, country and age factors."""

    method: ClassVar[str] = "per_member"
    amount_by: Literal["class", "age_band"]
    amount: list[NonNegative]
    amount_unit: Positive
    max_days_factors: dict[str, Factor]
    mean_claim_days: Positive
    age_factors: list[Factor]
    country_factors: list[CountryFactorName] = []
    vat_exempt_min_months: VatExemptMonths = None


#: One cover's rating parameters: a struct per rating method, tagged by ``method``.
CoverParams = PerMilleCover | FrequencySeverityCover | PerMemberCover
#: The rating methods, each the tag of its cover struct.
RATING_METHODS: tuple[str, ...] = ("per_mille", "frequency_severity", "per_member")


class TariffParams(_Strict):
    """Everything in ``tariff.toml``."""

    tariff: TariffHeader
    fx: FxParams
    ages: AgeParams
    short_period: ShortPeriodParams
    group_size: Annotated[list[GroupSizeBand], Meta(min_length=1)]
    loadings: LoadingParams
    volatility: VolatilityParams
    accumulation: AccumulationParams
    experience: ExperienceParams
    minimums: MinimumParams
    underwriting: UnderwritingParams
    covers: dict[str, CoverParams]
    endorsements: EndorsementParams = msgspec.field(default_factory=EndorsementParams)
    cancellation: CancellationParams = msgspec.field(default_factory=CancellationParams)
    wording: WordingParams | None = None


@dataclass(frozen=True, slots=True)
class Country:
    """One row of the country risk table."""

    code: str
    alpha3: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...]
    tier: int
    accident: float
    medical_cost: float
    evacuation: float
    security: float
    status: str
    source: str
    as_of: dt.date


@dataclass(frozen=True, slots=True)
class Occupation:
    """One occupation of the occupation-class list."""

    code: str
    occupation_class: int
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True, eq=False)
class Tariff:
    """A validated, immutable tariff version with lookup tables for pricing."""

    #: the folder it was loaded from (for messages only; nothing reads it again)
    path: str
    params: TariffParams
    countries: tuple[Country, ...]
    occupations: dict[str, Occupation]
    content_hash: str
    country_index: dict[str, int] = field(repr=False)
    country_names: dict[str, int] = field(repr=False)
    #: shape (n_countries, 4): accident, medical_cost, evacuation, security factors
    country_factors: npt.NDArray[np.float64] = field(repr=False)
    country_tier: npt.NDArray[np.int64] = field(repr=False)
    #: 0 accept, 1 refer, 2 decline
    country_status: npt.NDArray[np.int64] = field(repr=False)

    @property
    def version(self) -> str:
        """The version name of the tariff header (``2026.2``)."""
        return self.params.tariff.version

    @property
    def effective_date(self) -> dt.date:
        """The first day this version is in force."""
        return self.params.tariff.effective_date

    def resolve_country(self, text: str) -> int | None:
        """Index of the country named by an ISO alpha-2/alpha-3 code or English or Chinese name."""
        return self.country_names.get(normalise_name(text))

    def age_band(self, age: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Index of the age band of each age (ages must lie within the tariff's limits)."""
        upper = np.asarray(self.params.ages.band_upper, dtype=np.int64)
        return np.searchsorted(upper, age, side="left").astype(np.int64)


_PUNCTUATION = re.compile(r"[\s.,'’()\-_/]+")


@functools.lru_cache(maxsize=8192)
def normalise_name(text: str) -> str:
    """Fold case, accents, full-width forms, punctuation and ``&`` so names compare loosely."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    folded = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    folded = folded.casefold().replace("&", " and ")
    return _PUNCTUATION.sub(" ", folded).strip()
