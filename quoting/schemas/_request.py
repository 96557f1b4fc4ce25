"""The quote request: what an agent, a broker or the CLI asks to be priced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from quoting.errors import Problem, ProblemValueError
from quoting.schemas._types import (
    Currency,
    Identifier,
    Money,
    OccupationClass,
    ShortText,
    Text,
    inclusive_days,
    is_valid_credit_code,
    require,
)

__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_CENSUS_MEMBERS",
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
    "RowCheck",
    "SicknessDeathCover",
    "SicknessMedicalCover",
    "SumInsuredCover",
    "check_row",
    "group_problems",
    "member_problems",
]

MAX_POLICY_DAYS = 366
#: Every date of a request lies in these years: far wider than any window around the
#: business date (checked by the service, which has the clock), and narrow enough that
#: date arithmetic (a day after an end date, months between two dates) cannot overflow.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class _Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


#: A name as the passport prints it: Latin letters (accents allowed), spaces, hyphens,
#: apostrophes and full stops; no digits or control characters.
PassportName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F .,'-]*$",
        description="The insured's name as in the passport (姓名拼音), e.g. `ZHANG YUE`. "
        "Printed first on the certificate; without it the certificate prints the pinyin of "
        "`name`, marked as such.",
        examples=["ZHANG YUE"],
    ),
]


class Policyholder(_Input, omit_defaults=True):
    """The employing company (投保人). Encoded without an address that was not given, so a
    request stored before the field existed reads back as it was sent."""

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
    address: (
        Annotated[
            Text,
            Meta(
                min_length=1,
                max_length=300,
                description="Registered address (住所), printed on the policy schedule.",
                examples=["北京市海淀区示例大街88号"],
            ),
        ]
        | None
    ) = None

    def __post_init__(self) -> None:
        require(
            is_valid_credit_code(self.credit_code), "credit_code.check_character", "credit_code"
        )


def _in_range(value: dt.date | None, name: str) -> None:
    require(
        value is None or EARLIEST_DATE <= value <= LATEST_DATE,
        "date.out_of_range",
        name,
        earliest=str(EARLIEST_DATE),
        latest=str(LATEST_DATE),
    )


class Period(_Input):
    """Policy period, both dates inclusive (00:00 on start to 24:00 on end).

    The start lies within a year before and two years after the insurer's business date.
    """

    start: Annotated[
        dt.date,
        Meta(
            description="Within a year before and two years after the insurer's business "
            "date; a start before that date is referred as backdated cover."
        ),
    ]
    end: Annotated[dt.date, Meta(description="At most 366 days after the start.")]

    def __post_init__(self) -> None:
        _in_range(self.start, "start")
        _in_range(self.end, "end")
        require(self.end >= self.start, "date.end_before_start", "end")
        require(
            inclusive_days(self.start, self.end) <= MAX_POLICY_DAYS,
            "period.too_long",
            "end",
            days=MAX_POLICY_DAYS,
        )


#: Largest amount accepted anywhere (sums insured, limits, deductibles): far above any
#: real cover, and low enough that premiums stay exact in cents.
MAX_AMOUNT = Decimal(1_000_000_000)
MAX_CENSUS_ROWS = 100_000
#: Most members a census may hold, counted over a headcount grid too.
MAX_CENSUS_MEMBERS = 100_000
#: Most incurred claims an experience may state (a thousand times the largest cover).
MAX_INCURRED = MAX_AMOUNT * 1000
#: Most member-years and claims an experience may state (a census of at most
#: ``MAX_CENSUS_MEMBERS`` over at most ten years; the tariff bounds them further).
MAX_MEMBER_YEARS = 1_000_000
MIN_MEMBER_YEARS = 0.01
MAX_CLAIM_COUNT = 10_000_000

Headcount = Annotated[
    int, Meta(ge=1, le=MAX_CENSUS_MEMBERS, description="Members in the group, 1 to 100,000.")
]
MAX_AGE = 120
Age = Annotated[int, Meta(ge=0, le=MAX_AGE, description="Age last birthday, 0 to 120.")]
BirthDate = Annotated[
    dt.date, Meta(description="Date of birth, from 1900-01-01 and not after the cover starts.")
]
CoverDate = Annotated[
    dt.date,
    Meta(description="Within a year before and three years after the insurer's business date."),
]


def _positive(value: Decimal, name: str) -> None:
    require(
        value.is_finite() and 1 <= value <= MAX_AMOUNT,
        "amount.out_of_range",
        name,
        low="1",
        high=f"{MAX_AMOUNT:,}",
    )


def _fraction(
    value: Decimal | None, name: str, low: Decimal, high: Decimal, low_open: bool
) -> None:
    if value is None:
        return
    ok = value.is_finite() and (low < value if low_open else low <= value) and value <= high
    bracket = "(" if low_open else "["
    require(ok, "number.interval", name, interval=f"{bracket}{low}, {high}]")


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
            "amount.out_of_range",
            "deductible",
            low="0",
            high=f"{MAX_AMOUNT:,}",
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
        require(any(getattr(self, f) is not None for f in self.__struct_fields__), "plan.no_cover")

    def codes(self) -> list[str]:
        """Cover codes present, in the fixed cover order."""
        return [f for f in self.__struct_fields__ if getattr(self, f) is not None]


class Plan(_Input):
    """A benefit schedule (保障计划) and the members it applies to.

    A plan applies to the members listed in ``member_ids``, then to members of the listed
    ``classes``; a plan with neither applies to everyone no other plan takes.
    """

    name: Annotated[Text, Meta(min_length=1, max_length=80, examples=["Plan A"])]
    covers: PlanCovers
    classes: list[Literal[1, 2, 3, 4, 5, 6, 9]] | None = None
    member_ids: list[Identifier] | None = None
    name_zh: (
        Annotated[
            Text,
            Meta(
                min_length=1,
                max_length=80,
                description="The plan's name in Chinese, printed with `name` on the documents.",
                examples=["计划A"],
            ),
        ]
        | None
    ) = None


_CLASSES = frozenset((1, 2, 3, 4, 5, 6, 9))
_DATE_RANGE = Problem.of("date.out_of_range", earliest=str(EARLIEST_DATE), latest=str(LATEST_DATE))
_NOTHING_FAILED: frozenset[str] = frozenset()
#: A problem of one census row: the field it concerns (``None``: the row) and the problem
#: (not yet placed: the caller knows the row or path).
RowProblem = tuple[str | None, Problem]


def _given(values: Mapping[str, Any], failed: AbstractSet[str], name: str) -> bool:
    return values.get(name) is not None or name in failed


def member_problems(values: Mapping[str, Any], failed: AbstractSet[str]) -> list[RowProblem]:
    """Every cross-field problem of one census member, given the fields that converted
    (``values``) and the names of those given but invalid (``failed``): a check that needs
    an invalid field is skipped, so each problem is reported once, on its own field."""
    get = values.get
    return _member_problems(
        get("date_of_birth"),
        get("age"),
        get("occupation_class"),
        get("occupation_code"),
        get("start"),
        get("end"),
        failed,
    )


def _member_problems(
    born: dt.date | None,
    age: int | None,
    occupation_class: int | None,
    code: str | None,
    start: dt.date | None,
    end: dt.date | None,
    failed: AbstractSet[str],
) -> list[RowProblem]:
    # Runs for every member of every request (from __post_init__ with the fields
    # themselves): plain comparisons, no dict of the member is built.
    problems: list[RowProblem] = []
    if (born is not None or "date_of_birth" in failed) == (age is not None or "age" in failed):
        problems.append((None, Problem.of("member.age_or_birth_date")))
    if (
        occupation_class is None
        and code is None
        and "occupation_class" not in failed
        and "occupation_code" not in failed
    ):
        problems.append((None, Problem.of("member.class_or_code")))
    if occupation_class is not None and occupation_class not in _CLASSES:
        problems.append(("occupation_class", Problem.of("member.class_invalid")))
    for name, value in (("date_of_birth", born), ("start", start), ("end", end)):
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            problems.append((name, _DATE_RANGE))
    if start is not None and end is not None and end < start:
        problems.append(("end", Problem.of("date.end_before_start")))
    return problems


def group_problems(values: Mapping[str, Any], failed: AbstractSet[str]) -> list[RowProblem]:
    """Every cross-field problem of one census group; see :func:`member_problems`."""
    problems: list[RowProblem] = []
    if _given(values, failed, "age") == _given(values, failed, "age_band"):
        problems.append((None, Problem.of("group.age_or_band")))
    occupation_class = values.get("occupation_class")
    if occupation_class is not None and occupation_class not in _CLASSES:
        problems.append(("occupation_class", Problem.of("member.class_invalid")))
    band = values.get("age_band")
    if band is not None:
        lo, hi = (int(x) for x in band.split("-"))
        if not lo <= hi <= MAX_AGE:
            problems.append(("age_band", Problem.of("group.band_out_of_range", max=MAX_AGE)))
    return problems


@dataclass(slots=True)
class RowCheck:
    """What is wrong with one census row, field by field (see :func:`check_row`)."""

    #: The fields that converted, by name.
    values: dict[str, Any] = field(default_factory=dict)
    #: Fields given but invalid, with msgspec's error for each.
    errors: dict[str, msgspec.ValidationError] = field(default_factory=dict)
    #: Names in the row that are not fields of a census row.
    unknown: list[str] = field(default_factory=list)
    #: Required fields the row does not have.
    missing: list[str] = field(default_factory=list)
    #: Cross-field problems the converted fields allow checking.
    cross: list[RowProblem] = field(default_factory=list)


def check_row(
    model: type[CensusMember] | type[CensusGroup],
    row: Mapping[str, Any],
    failed: AbstractSet[str] = frozenset(),
) -> RowCheck:
    """Check one census row field by field, since msgspec stops at a row's first problem:
    each field is converted on its own, then the cross-field checks run on those that
    converted. ``failed`` names fields known to be invalid already (a file's bad cells)."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(model)}
    check = RowCheck()
    for name, value in row.items():
        spec = fields.get(name)
        if spec is None:
            check.unknown.append(name)
            continue
        try:
            check.values[name] = msgspec.convert(value, spec.type)
        except msgspec.ValidationError as exc:
            check.errors[name] = exc
    check.missing = [
        name
        for name, spec in fields.items()
        if spec.required and name not in row and name not in failed
    ]
    cross = member_problems if model is CensusMember else group_problems
    check.cross = cross(check.values, {*failed, *check.errors})
    return check


def _raise_first(problems: list[RowProblem]) -> None:
    """Raise the first problem as msgspec expects (``"field: message"`` for one field)."""
    if problems:
        name, problem = problems[0]
        raise ProblemValueError(problem, name)


# gc=False: a census entry holds only texts, dates and numbers (no reference cycle can
# go through it), so the garbage collector need not track 100,000 of them.
class CensusMember(_Input, gc=False):
    """One insured expatriate (被保险人)."""

    member_id: Identifier
    name: ShortText
    country: Annotated[
        Text,
        Meta(
            min_length=2,
            max_length=80,
            description="ISO alpha-2/alpha-3 code, English or Chinese name.",
            examples=["ID", "Indonesia", "印度尼西亚"],
        ),
    ]
    name_en: PassportName | None = None
    sex: Literal["M", "F"] | None = None
    date_of_birth: BirthDate | None = None
    age: Age | None = None
    passport_no: Annotated[Text, Meta(max_length=32)] | None = None
    occupation_class: OccupationClass | None = None
    occupation_code: Annotated[Text, Meta(max_length=16)] | None = None
    site: Annotated[Text, Meta(max_length=120)] | None = None
    start: CoverDate | None = None
    end: CoverDate | None = None

    def __post_init__(self) -> None:
        _raise_first(
            _member_problems(
                self.date_of_birth,
                self.age,
                self.occupation_class,
                self.occupation_code,
                self.start,
                self.end,
                _NOTHING_FAILED,
            )
        )


class CensusGroup(_Input, gc=False):
    """An aggregated headcount: ``headcount`` members of one country, class and age."""

    country: Annotated[Text, Meta(min_length=2, max_length=80)]
    occupation_class: OccupationClass
    headcount: Headcount
    age: Age | None = None
    age_band: (
        Annotated[
            str,
            Meta(
                pattern=r"^\d{1,3}-\d{1,3}$",
                description='Inclusive band like "30-39" within 0-120; rated at its midpoint '
                "(rounded down).",
            ),
        ]
        | None
    ) = None
    sex: Literal["M", "F"] | None = None
    site: Annotated[Text, Meta(max_length=120)] | None = None

    def __post_init__(self) -> None:
        _raise_first(group_problems(msgspec.structs.asdict(self), _NOTHING_FAILED))

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
        require((self.members is None) != (self.groups is None), "census.members_or_groups")
        rows = self.members if self.members is not None else self.groups
        require(bool(rows), "census.empty")
        if self.groups is not None:
            total = sum(g.headcount for g in self.groups)
            require(
                total <= MAX_CENSUS_MEMBERS,
                "census.too_many_members",
                "groups",
                total=f"{total:,}",
                most=f"{MAX_CENSUS_MEMBERS:,}",
            )


class Experience(_Input):
    """Claims experience of the group over a past period (at most ten years, ending by
    the business date); the tariff bounds claims per member-year and member-years
    against the census."""

    start: dt.date
    end: dt.date
    member_years: Annotated[
        float,
        Meta(
            # At least a few member-days: fewer would make actual / expected overflow.
            ge=MIN_MEMBER_YEARS,
            le=MAX_MEMBER_YEARS,
            description="Member-years of exposure; at most the census's headcount times the "
            "experience period's years times the tariff's margin.",
        ),
    ]
    claim_count: Annotated[
        int,
        Meta(
            ge=0,
            le=MAX_CLAIM_COUNT,
            description="Claims in the period; at most the tariff's claims per member-year.",
        ),
    ]
    incurred_claims: Annotated[Money, Meta(description="Incurred claims, 0 to 10¹².")]

    def __post_init__(self) -> None:
        _in_range(self.start, "start")
        _in_range(self.end, "end")
        require(self.end >= self.start, "date.end_before_start", "end")
        require(
            self.incurred_claims.is_finite() and 0 <= self.incurred_claims <= MAX_INCURRED,
            "amount.out_of_range",
            "incurred_claims",
            low="0",
            high=f"{MAX_INCURRED:,}",
        )


class QuoteRequest(_Input):
    """Everything needed to price one group quote."""

    policyholder: Policyholder
    period: Period
    plans: Annotated[list[Plan], Meta(min_length=1, max_length=20)]
    census: Census
    currency: Currency = "CNY"
    as_of: Annotated[
        dt.date | None,
        Meta(
            description="Tariff date. Quotes are priced as of today, the insurer's business "
            "date (Asia/Shanghai): brokers and agents leave this out or send today's date; "
            "only underwriters may re-price as of another date (within a year before and two "
            "years after today), and the quote records that they did."
        ),
    ] = None
    experience: Experience | None = None
    commission: Annotated[
        Decimal | None,
        Meta(description="Channel commission as a fraction, within the tariff's bounds."),
    ] = None
    underwriter_adjustment: Annotated[
        Decimal | None, Meta(description="Underwriter loading (+) or discount (−) as a fraction.")
    ] = None

    def __post_init__(self) -> None:
        _in_range(self.as_of, "as_of")
        names = [p.name for p in self.plans]
        require(len(set(names)) == len(names), "plan.names_not_unique", "plans")
        _fraction(self.commission, "commission", Decimal(0), Decimal("0.9"), low_open=False)
        _fraction(
            self.underwriter_adjustment,
            "underwriter_adjustment",
            Decimal("-0.9"),
            Decimal("0.9"),
            low_open=False,
        )
