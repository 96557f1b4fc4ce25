"""The quote request: what an agent, a broker or the CLI asks to be priced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from quoting.schemas._types import (
    Currency,
    Identifier,
    Money,
    OccupationClass,
    ShortText,
    inclusive_days,
    is_valid_credit_code,
    require,
)

__all__ = [
    "AccidentMedicalCover",
    "Census",
    "CensusGroup",
    "CensusMember",
    "EvacuationCover",
    "Experience",
    "HospitalCashCover",
    "Period",
    "Plan",
    "PlanCovers",
    "Policyholder",
    "QuoteRequest",
    "SicknessDeathCover",
    "SicknessMedicalCover",
    "SumInsuredCover",
]

MAX_POLICY_DAYS = 366


class _Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Policyholder(_Input):
    """The employing company (投保人)."""

    name: Annotated[
        ShortText,
        Meta(description="Registered name, Chinese or English.", examples=["中国路桥建设有限公司"]),
    ]
    credit_code: Annotated[
        str,
        Meta(
            pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
            description="Unified social credit code (统一社会信用代码), 18 characters with check character.",
            examples=["91110000MA01ABCD52"],
        ),
    ]

    def __post_init__(self) -> None:
        require(
            is_valid_credit_code(self.credit_code), "credit_code: check character does not match"
        )


class Period(_Input):
    """Policy period, both dates inclusive (00:00 on start to 24:00 on end)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        require(self.end >= self.start, "end: must not be before start")
        require(
            inclusive_days(self.start, self.end) <= MAX_POLICY_DAYS,
            f"end: a policy period is at most {MAX_POLICY_DAYS} days",
        )


#: Largest amount accepted anywhere (sums insured, limits, deductibles): far above any
#: real cover, and low enough that premiums stay exact in cents.
MAX_AMOUNT = Decimal(1_000_000_000)
MAX_CENSUS_ROWS = 100_000


def _positive(value: Decimal, name: str) -> None:
    require(
        value.is_finite() and 1 <= value <= MAX_AMOUNT,
        f"{name}: must be an amount from 1 to {MAX_AMOUNT:,}",
    )


def _fraction(
    value: Decimal | None, name: str, low: Decimal, high: Decimal, low_open: bool
) -> None:
    if value is None:
        return
    ok = value.is_finite() and (low < value if low_open else low <= value) and value <= high
    bracket = "(" if low_open else "["
    require(ok, f"{name}: must be a number in {bracket}{low}, {high}]")


class SumInsuredCover(_Input):
    """A lump-sum cover: pays the sum insured."""

    sum_insured: Money

    def __post_init__(self) -> None:
        _positive(self.sum_insured, "sum_insured")


class _MedicalCover(_Input):
    limit: Money
    deductible: Money = Decimal(0)
    coinsurance: Annotated[
        Decimal,
        Meta(description="Share of each claim above the deductible that is paid, 0 < c ≤ 1."),
    ] = Decimal(1)

    def __post_init__(self) -> None:
        _positive(self.limit, "limit")
        require(
            self.deductible.is_finite() and 0 <= self.deductible <= MAX_AMOUNT,
            f"deductible: must be an amount from 0 to {MAX_AMOUNT:,}",
        )
        _fraction(self.coinsurance, "coinsurance", Decimal(0), Decimal(1), low_open=True)


class AccidentMedicalCover(_MedicalCover):
    """Accident medical expenses (意外医疗): per-claim deductible, coinsurance, annual limit."""


class SicknessMedicalCover(_MedicalCover):
    """Overseas sickness medical, inpatient and outpatient (境外疾病医疗)."""


class EvacuationCover(_Input):
    """Emergency evacuation and repatriation, incl. repatriation of remains."""

    limit: Money

    def __post_init__(self) -> None:
        _positive(self.limit, "limit")


class SicknessDeathCover(SumInsuredCover):
    """Sickness and sudden death (疾病身故及猝死)."""


class HospitalCashCover(_Input):
    """Hospital cash (住院津贴): a daily benefit for at most ``max_days`` days a year."""

    daily_benefit: Money
    max_days: Annotated[int, Meta(ge=1, le=365)]

    def __post_init__(self) -> None:
        _positive(self.daily_benefit, "daily_benefit")


class PlanCovers(_Input):
    """The covers of one plan, keyed by cover code; at least one."""

    add: Annotated[SumInsuredCover | None, Meta(description="Accidental death & disablement.")] = (
        None
    )
    amed: AccidentMedicalCover | None = None
    smed: SicknessMedicalCover | None = None
    evac: EvacuationCover | None = None
    sdeath: SicknessDeathCover | None = None
    hcash: HospitalCashCover | None = None

    def __post_init__(self) -> None:
        require(
            any(getattr(self, f) is not None for f in self.__struct_fields__),
            "a plan needs at least one cover",
        )

    def codes(self) -> list[str]:
        """Cover codes present, in the fixed cover order."""
        return [f for f in self.__struct_fields__ if getattr(self, f) is not None]


class Plan(_Input):
    """A benefit schedule (保障计划) and the members it applies to.

    A plan applies to the members listed in ``member_ids``, then to members of the listed
    ``classes``; a plan with neither applies to everyone no other plan takes.
    """

    name: Annotated[str, Meta(min_length=1, max_length=80, examples=["Plan A"])]
    covers: PlanCovers
    classes: list[Literal[1, 2, 3, 4, 5, 6, 9]] | None = None
    member_ids: list[Identifier] | None = None


class CensusMember(_Input):
    """One insured expatriate (被保险人)."""

    member_id: Identifier
    name: ShortText
    country: Annotated[
        str,
        Meta(
            min_length=2,
            max_length=80,
            description="ISO alpha-2/alpha-3 code, English or Chinese name.",
            examples=["ID", "Indonesia", "印度尼西亚"],
        ),
    ]
    sex: Literal["M", "F"] | None = None
    date_of_birth: dt.date | None = None
    age: Annotated[int, Meta(ge=0, le=120)] | None = None
    passport_no: Annotated[str, Meta(max_length=32)] | None = None
    occupation_class: OccupationClass | None = None
    occupation_code: Annotated[str, Meta(max_length=16)] | None = None
    site: Annotated[str, Meta(max_length=120)] | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        require(
            (self.date_of_birth is None) != (self.age is None),
            "give exactly one of date_of_birth and age",
        )
        require(
            self.occupation_class is not None or self.occupation_code is not None,
            "give occupation_class or occupation_code",
        )
        require(
            self.occupation_class is None or self.occupation_class in (1, 2, 3, 4, 5, 6, 9),
            "occupation_class: must be 1-6 or 9",
        )
        if self.start is not None and self.end is not None:
            require(self.end >= self.start, "end: must not be before start")


class CensusGroup(_Input):
    """An aggregated headcount: ``headcount`` members of one country, class and age."""

    country: Annotated[str, Meta(min_length=2, max_length=80)]
    occupation_class: OccupationClass
    headcount: Annotated[int, Meta(ge=1, le=1_000_000)]
    age: Annotated[int, Meta(ge=0, le=120)] | None = None
    age_band: (
        Annotated[
            str,
            Meta(
                pattern=r"^\d{1,3}-\d{1,3}$",
                description='Inclusive band like "30-39"; rated at its midpoint (rounded down).',
            ),
        ]
        | None
    ) = None
    sex: Literal["M", "F"] | None = None
    site: Annotated[str, Meta(max_length=120)] | None = None

    def __post_init__(self) -> None:
        require(
            (self.age is None) != (self.age_band is None), "give exactly one of age and age_band"
        )
        require(
            self.occupation_class in (1, 2, 3, 4, 5, 6, 9), "occupation_class: must be 1-6 or 9"
        )
        if self.age_band is not None:
            lo, hi = (int(x) for x in self.age_band.split("-"))
            require(lo <= hi, "age_band: must be low-high")

    def age_range(self) -> tuple[int, int]:
        """Youngest and oldest age of the group (equal when ``age`` is given)."""
        if self.age is not None:
            return self.age, self.age
        lo, hi = (int(x) for x in (self.age_band or "0-0").split("-"))
        return lo, hi

    def rating_age(self) -> int:
        """The age this group is rated at: ``age``, or the band's midpoint rounded down."""
        lo, hi = self.age_range()
        return (lo + hi) // 2


class Census(_Input):
    """The census (人员清单): members one by one, or an aggregated headcount grid."""

    members: Annotated[list[CensusMember], Meta(max_length=MAX_CENSUS_ROWS)] | None = None
    groups: Annotated[list[CensusGroup], Meta(max_length=MAX_CENSUS_ROWS)] | None = None

    def __post_init__(self) -> None:
        require(
            (self.members is None) != (self.groups is None),
            "give exactly one of members and groups",
        )
        rows = self.members if self.members is not None else self.groups
        require(bool(rows), "the census is empty")


class Experience(_Input):
    """Claims experience of the group over a past period."""

    start: dt.date
    end: dt.date
    member_years: Annotated[float, Meta(gt=0, le=10_000_000)]
    claim_count: Annotated[int, Meta(ge=0)]
    incurred_claims: Money

    def __post_init__(self) -> None:
        require(self.end >= self.start, "end: must not be before start")
        require(
            self.incurred_claims.is_finite() and 0 <= self.incurred_claims <= MAX_AMOUNT * 1000,
            "incurred_claims: must be an amount from 0 up",
        )


class QuoteRequest(_Input):
    """Everything needed to price one group quote."""

    policyholder: Policyholder
    period: Period
    plans: Annotated[list[Plan], Meta(min_length=1, max_length=20)]
    census: Census
    currency: Currency = "CNY"
    as_of: Annotated[dt.date | None, Meta(description="Tariff date; defaults to today.")] = None
    experience: Experience | None = None
    commission: Annotated[
        Decimal | None,
        Meta(description="Channel commission as a fraction, within the tariff's bounds."),
    ] = None
    underwriter_adjustment: Annotated[
        Decimal | None, Meta(description="Underwriter loading (+) or discount (−) as a fraction.")
    ] = None

    def __post_init__(self) -> None:
        names = [p.name for p in self.plans]
        require(len(set(names)) == len(names), "plans: plan names must be unique")
        _fraction(self.commission, "commission", Decimal(0), Decimal("0.9"), low_open=False)
        _fraction(
            self.underwriter_adjustment,
            "underwriter_adjustment",
            Decimal("-0.9"),
            Decimal("0.9"),
            low_open=False,
        )
