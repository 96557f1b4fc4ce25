"""The shape of ``tariff.toml``: strict Structs an underwriter's edit is checked against."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "COUNTRY_FACTORS",
    "COVER_CODES",
    "AccumulationParams",
    "AgeParams",
    "CoverParams",
    "ExperienceParams",
    "FxParams",
    "GroupSizeBand",
    "LoadingParams",
    "MinimumParams",
    "Severity",
    "ShortPeriodParams",
    "TariffHeader",
    "TariffParams",
    "UnderwritingParams",
    "VolatilityParams",
]

#: Cover codes in the order lines are listed.
COVER_CODES: tuple[str, ...] = ("add", "amed", "smed", "evac", "sdeath", "hcash")
#: Country factor columns a cover may multiply by.
COUNTRY_FACTORS: tuple[str, ...] = ("accident", "medical_cost", "evacuation", "security")

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


class MinimumParams(_Strict):
    member: NonNegative
    policy: NonNegative
    vat_rate: Fraction


class UnderwritingParams(_Strict):
    auto_max_class: Annotated[int, Meta(ge=1, le=6)]
    group_sum_insured_limit: Positive
    site_accumulation_limit: Positive
    adjustment_authority: Fraction
    adjustment_max: Fraction


class Severity(_Strict):
    """One claim's cost before deductible, limit and coinsurance."""

    distribution: Literal["lognormal", "gamma"]
    mean: Positive
    sigma: Positive | None = None  # lognormal: sd of log X
    cv: Positive | None = None  # gamma: coefficient of variation


class CoverParams(_Strict):
    """One cover's rating parameters; which keys apply depends on ``method``."""

    name_en: str
    name_zh: str
    method: Literal["per_mille", "frequency_severity", "per_member"]
    vat_rate: Fraction
    auto_limit: Positive
    vat_exempt_min_months: Annotated[int, Meta(ge=1, le=12)] | None = None
    country_factors: list[CountryFactorName] = []
    age_factors: list[Factor] | None = None
    # per_mille
    rate_by_class: list[NonNegative] | None = None
    # frequency_severity
    frequency_by: Literal["class", "age_band"] | None = None
    frequency: list[NonNegative] | None = None
    frequency_country_factors: list[CountryFactorName] = []
    severity: Severity | None = None
    severity_country_factor: CountryFactorName | None = None
    # per_member
    amount_by: Literal["class", "age_band"] | None = None
    amount: list[NonNegative] | None = None
    amount_unit: Positive | None = None
    max_days_factors: dict[str, Factor] | None = None
    mean_claim_days: Positive | None = None


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
