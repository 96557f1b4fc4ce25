"""Resolve a validated quote request against a tariff into the engine's arrays.

This is where names become indexes: countries by code or name, occupations by code,
members to plans, sites to accumulation groups. Every problem of the request is
collected and raised at once as a :class:`RequestError`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec
import numpy as np

from quoting._bulk import collector_paused
from quoting.errors import FieldPath, Problem, RequestError
from quoting.pricing import ExperienceInput, PlanTable, RatingInput
from quoting.schemas import CensusGroup, CensusMember, QuoteRequest
from quoting.tariff import COVER_CODES, Tariff
from quoting.underwriting import adjustment_beyond_maximum

__all__ = [
    "CensusRow",
    "ResolvedRequest",
    "age_last_birthday",
    "entry_problems",
    "experience_problems",
    "field_problems",
    "months_begun",
    "resolve",
    "whole_months",
]


class CensusRow(NamedTuple):
    """What the quote shows of one census row besides its prices. (A named tuple: as
    immutable as a frozen dataclass, and a sixth of its cost to build, 100,000 at a time.)"""

    member_id: str
    name: str
    headcount: int
    country: int
    occupation_class: int
    age: int
    plan: int
    start: dt.date
    end: dt.date
    months: int
    site: str | None
    age_low: int = 0
    age_high: int = 0


@dataclass(frozen=True, slots=True)
class ResolvedRequest:
    request: QuoteRequest
    tariff: Tariff
    rows: list[CensusRow]
    rating: RatingInput
    commission: float
    adjustment: float


def age_last_birthday(born: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on`` (a 29 February birthday counts on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def months_begun(start: dt.date, end: dt.date) -> int:
    """Months begun between two inclusive dates, at most 12.

    Month k + 1 begins on ``start`` plus k calendar months (the day clamped to the month's
    end), so 1 Jan–31 Dec is 12, 1 Apr–30 Sep is 6, 15 Apr–14 May is 1, 15 Apr–15 May is 2.
    """
    diff = (end.year - start.year) * 12 + end.month - start.month
    clamped_day = min(start.day, calendar.monthrange(end.year, end.month)[1])
    return max(1, min(12, diff + (clamped_day <= end.day)))


def entry_problems(
    entry: CensusMember | CensusGroup,
    where: FieldPath,
    tariff: Tariff,
    policy_start: dt.date | None,
) -> list[Problem]:
    """What is wrong with one census row against a tariff (names that do not resolve,
    contradictory occupation, birth after cover start); empty when it can be priced."""
    return field_problems(msgspec.structs.asdict(entry), where, tariff, policy_start)


def field_problems(
    values: Mapping[str, Any], where: FieldPath, tariff: Tariff, policy_start: dt.date | None
) -> list[Problem]:
    """:func:`entry_problems` of a census row (member or group) given as the fields that
    converted, so that a row with an invalid field still has its other fields checked
    against the tariff. The occupation and birth checks concern fields only members have."""
    problems: list[Problem] = []
    country = values.get("country")
    if country is not None and tariff.resolve_country(country) is None:
        problems.append(
            Problem.of("country.unknown", path=(*where, "country"), country=repr(country))
        )
    code, occupation_class = values.get("occupation_code"), values.get("occupation_class")
    if code is not None:
        occupation = tariff.occupations.get(code.strip().upper())
        if occupation is None:
            problems.append(
                Problem.of("occupation.unknown", path=(*where, "occupation_code"), code=repr(code))
            )
        elif occupation_class is not None and occupation_class != occupation.occupation_class:
            problems.append(
                Problem.of(
                    "occupation.contradicts_class",
                    path=(*where, "occupation_class"),
                    occupation_class=occupation_class,
                    code=occupation.code,
                    code_class=occupation.occupation_class,
                )
            )
    start = values.get("start") or policy_start
    born = values.get("date_of_birth")
    if born is not None and start is not None and born > start:
        problems.append(
            Problem.of("member.born_after_cover_starts", path=(*where, "date_of_birth"))
        )
    return problems


def experience_problems(request: QuoteRequest, tariff: Tariff) -> list[Problem]:
    """Claims experience that cannot be right for this census: more member-years than the
    census could have had over the experience period (with the tariff's margin), or more
    claims per member-year than the tariff deems plausible."""
    e = request.experience
    if e is None:
        return []
    ep = tariff.params.experience
    census = request.census
    headcount = (
        len(census.members)
        if census.members is not None
        else sum(g.headcount for g in census.groups or [])
    )
    years = ((e.end - e.start).days + 1) / 365.25
    most = headcount * years * ep.member_years_margin
    problems = []
    if e.member_years > most:
        problems.append(
            Problem.of(
                "experience.member_years_too_many",
                path=("experience", "member_years"),
                member_years=f"{e.member_years:,g}",
                headcount=f"{headcount:,}",
                years=f"{years:.2f}",
                most=f"{most:,.1f}",
                margin=f"{ep.member_years_margin:g}",
            )
        )
    most_claims = e.member_years * ep.max_claims_per_member_year
    if e.claim_count > most_claims:
        problems.append(
            Problem.of(
                "experience.claims_too_many",
                path=("experience", "claim_count"),
                claims=f"{e.claim_count:,}",
                member_years=f"{e.member_years:,g}",
                most=f"{ep.max_claims_per_member_year:g}",
            )
        )
    return problems


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole months in an inclusive period: 1 Jan–31 Dec is 12, 1 Jan–1 Dec is 11."""
    after = end + dt.timedelta(days=1)
    diff = (after.year - start.year) * 12 + after.month - start.month
    clamped_day = min(start.day, calendar.monthrange(after.year, after.month)[1])
    return diff if clamped_day <= after.day else diff - 1


def _plan_table(
    request: QuoteRequest, tariff: Tariff, fx_rate: float, problems: list[Problem]
) -> PlanTable:
    """Plan amounts converted from the quote currency into the base currency."""
    n = len(request.plans)
    shape = (n, len(COVER_CODES))
    present = np.zeros(shape, dtype=bool)
    amount = np.ones(shape)
    deductible = np.zeros(shape)
    coinsurance = np.ones(shape)
    max_days = np.ones(shape, dtype=np.int64)
    hcash = tariff.params.covers["hcash"]
    offered = sorted(int(k) for k in getattr(hcash, "max_days_factors", {}))
    for p, plan in enumerate(request.plans):
        for c, code in enumerate(COVER_CODES):
            cover = getattr(plan.covers, code)
            if cover is None:
                continue
            present[p, c] = True
            if code in ("add", "sdeath"):
                amount[p, c] = float(cover.sum_insured) * fx_rate
            elif code == "hcash":
                amount[p, c] = float(cover.daily_benefit) * fx_rate
                max_days[p, c] = cover.max_days
                if cover.max_days not in offered:
                    problems.append(
                        Problem.of(
                            "cover.days_not_offered",
                            path=("plans", p, "covers", "hcash", "max_days"),
                            days=cover.max_days,
                            offered=", ".join(map(str, offered)),
                        )
                    )
            else:
                amount[p, c] = float(cover.limit) * fx_rate
                if code != "evac":
                    deductible[p, c] = float(cover.deductible) * fx_rate
                    coinsurance[p, c] = float(cover.coinsurance)
    return PlanTable(present, amount, deductible, coinsurance, max_days)


def resolve(request: QuoteRequest, tariff: Tariff, *, fx_rate: float) -> ResolvedRequest:
    """Turn a request into engine input under ``tariff``; raise every problem at once."""
    with collector_paused():
        return _resolve(request, tariff, fx_rate)


def _resolve(request: QuoteRequest, tariff: Tariff, fx_rate: float) -> ResolvedRequest:
    problems: list[Problem] = []
    commission, adjustment = _terms(request, tariff, problems)
    plans = _plan_table(request, tariff, fx_rate, problems)
    problems += experience_problems(request, tariff)
    assignment = _assign_plans(request, problems)
    census = _census_rows(request, tariff, assignment, problems)
    if problems:
        raise RequestError(problems)
    rating = _rating_input(request, census, plans, commission, adjustment, fx_rate)
    return ResolvedRequest(request, tariff, census.rows, rating, commission, adjustment)


def _terms(request: QuoteRequest, tariff: Tariff, problems: list[Problem]) -> tuple[float, float]:
    """The channel's commission (within the tariff's bounds) and the underwriter adjustment
    (within the maximum authority)."""
    loadings = tariff.params.loadings
    commission = (
        float(request.commission) if request.commission is not None else loadings.commission_default
    )
    if not loadings.commission_min <= commission <= loadings.commission_max:
        problems.append(
            Problem.of(
                "commission.out_of_bounds",
                path=("commission",),
                value=f"{commission:g}",
                low=f"{loadings.commission_min:g}",
                high=f"{loadings.commission_max:g}",
            )
        )
    adjustment = float(request.underwriter_adjustment or 0)
    beyond = adjustment_beyond_maximum(adjustment, tariff.params)
    if beyond is not None:
        problems.append(
            Problem.of(
                "adjustment.beyond_maximum",
                path=("underwriter_adjustment",),
                value=f"{adjustment:+g}",
                most=f"{tariff.params.underwriting.adjustment_max:g}",
            )
        )
    return commission, adjustment


@dataclass(frozen=True, slots=True)
class _PlanAssignment:
    """Which plan applies to whom: member ids first, then classes, then a catch-all plan."""

    by_member: dict[str, int]
    by_class: dict[int, int]
    catch_all: int | None

    def plan_of(self, member_id: str | None, occupation_class: int | None) -> int | None:
        """The plan of a member (``member_id`` None for a group), or None if none applies."""
        plan = self.by_member.get(member_id) if member_id is not None else None
        return (
            plan if plan is not None else self.by_class.get(occupation_class or 0, self.catch_all)
        )


def _assign_plans(request: QuoteRequest, problems: list[Problem]) -> _PlanAssignment:
    by_member: dict[str, int] = {}
    by_class: dict[int, int] = {}
    catch_all: int | None = None
    for p, plan in enumerate(request.plans):
        for mid in plan.member_ids or ():
            if mid in by_member:
                problems.append(
                    Problem.of(
                        "plan.member_twice",
                        path=("plans", p, "member_ids"),
                        member=mid,
                        plan=repr(request.plans[by_member[mid]].name),
                    )
                )
            by_member[mid] = p
        for cls in plan.classes or ():
            if cls in by_class:
                problems.append(
                    Problem.of(
                        "plan.class_twice",
                        path=("plans", p, "classes"),
                        occupation_class=cls,
                        plan=repr(request.plans[by_class[cls]].name),
                    )
                )
            by_class[cls] = p
        if plan.classes is None and plan.member_ids is None:
            if catch_all is not None:
                problems.append(Problem.of("plan.catch_all_twice", path=("plans", p)))
            catch_all = p
    return _PlanAssignment(by_member, by_class, catch_all)


@dataclass(slots=True)
class _Census:
    """The census rows that can be priced, with each row's site and period check."""

    rows: list[CensusRow] = field(default_factory=list)
    site_of_row: list[int] = field(default_factory=list)
    outside: list[bool] = field(default_factory=list)
    site_keys: dict[tuple[int, str | None], int] = field(default_factory=dict)

    def add(self, row: CensusRow, period_start: dt.date, period_end: dt.date) -> None:
        """Add a row; members without a site share one site per country."""
        site = row.site
        key = (row.country, site.strip().casefold() if site and site.strip() else None)
        self.site_of_row.append(self.site_keys.setdefault(key, len(self.site_keys)))
        # A start after the policy end (or an end before its start) leaves start > end.
        self.outside.append(row.start < period_start or row.end > period_end or row.start > row.end)
        self.rows.append(row)


def _census_rows(
    request: QuoteRequest, tariff: Tariff, assignment: _PlanAssignment, problems: list[Problem]
) -> _Census:
    """Every census entry as a row; the problems of each entry that cannot be priced."""
    census = request.census
    kind = "members" if census.members is not None else "groups"
    fast = _member_rows(request, tariff, assignment) if census.members is not None else None
    if fast is not None:
        out, seen_ids = fast, {row.member_id for row in fast.rows}
    else:
        out, seen_ids = _rows_one_by_one(request, tariff, assignment, problems)
    by_member = assignment.by_member
    unknown_ids = sorted(set(by_member) - seen_ids) if kind == "members" else sorted(by_member)
    if unknown_ids:
        problems.append(
            Problem.of("plan.unknown_members", path=("plans",), ids=", ".join(unknown_ids[:10]))
        )
    return out


def _rows_one_by_one(
    request: QuoteRequest, tariff: Tariff, assignment: _PlanAssignment, problems: list[Problem]
) -> tuple[_Census, set[str]]:
    """The rows of :func:`_census_rows` entry by entry, with every problem of each, and
    the member ids seen."""
    period, census = request.period, request.census
    entries: list[CensusMember | CensusGroup] = list(
        census.members if census.members is not None else census.groups or []
    )
    kind = "members" if census.members is not None else "groups"
    out = _Census()
    seen_ids: set[str] = set()
    for i, entry in enumerate(entries):
        where: FieldPath = ("census", kind, i)
        bad = len(problems)
        problems.extend(entry_problems(entry, where, tariff, period.start))
        if isinstance(entry, CensusMember):
            if entry.member_id in seen_ids:
                problems.append(
                    Problem.of(
                        "member.duplicate", path=(*where, "member_id"), member=entry.member_id
                    )
                )
            seen_ids.add(entry.member_id)
        if len(problems) > bad:
            continue
        row = _census_row(entry, i, request, tariff, assignment)
        if row.plan < 0:
            problems.append(
                Problem.of("member.no_plan", path=where, occupation_class=row.occupation_class)
            )
            continue
        out.add(row, period.start, period.end)
    return out, seen_ids


def _member_rows(
    request: QuoteRequest, tariff: Tariff, assignment: _PlanAssignment
) -> _Census | None:
    """The rows of a census of members, column by column: each distinct country,
    occupation code and cover period is resolved once. ``None`` when any member has a
    problem (:func:`_rows_one_by_one` then reports every one of them exactly)."""
    period, members = request.period, request.census.members or []
    ids = [m.member_id for m in members]
    country_of = {text: tariff.resolve_country(text) for text in {m.country for m in members}}
    if len(set(ids)) != len(ids) or None in country_of.values():
        return None
    starts = [m.start or period.start for m in members]
    ends = [m.end or period.end for m in members]
    classes = _occupation_classes(members, tariff)
    if classes is None:
        return None
    ages = []
    for m, start in zip(members, starts, strict=True):
        born = m.date_of_birth
        if born is not None and born > start:
            return None
        ages.append(age_last_birthday(born, start) if born is not None else m.age or 0)
    plans = []
    for member_id, occupation_class in zip(ids, classes, strict=True):
        plan = assignment.plan_of(member_id, occupation_class)
        if plan is None:
            if occupation_class != 9:
                return None  # no plan applies: reported row by row
            plan = 0
        plans.append(plan)
    months = {pair: months_begun(*pair) for pair in set(zip(starts, ends, strict=True))}
    out = _Census()
    site_text: dict[str, str | None] = {}
    for m, country, cls, age, plan, start, end in zip(
        members,
        map(country_of.__getitem__, (m.country for m in members)),
        classes,
        ages,
        plans,
        starts,
        ends,
        strict=True,
    ):
        site = m.site
        if site is not None and site not in site_text:
            site_text[site] = site.strip().casefold() or None
        key = (country, None if site is None else site_text[site])
        out.site_of_row.append(out.site_keys.setdefault(key, len(out.site_keys)))
        out.outside.append(start < period.start or end > period.end or start > end)
        out.rows.append(
            CensusRow(
                m.member_id,
                m.name,
                1,
                country,
                cls,
                age,
                plan,
                start,
                end,
                months[start, end],
                site,
                age,
                age,
            )
        )
    return out


def _occupation_classes(members: list[CensusMember], tariff: Tariff) -> list[int] | None:
    """Each member's occupation class, from the occupation code when given (each code
    looked up once); ``None`` when a code is unknown or contradicts the stated class."""
    classes: list[int] = [m.occupation_class or 0 for m in members]
    codes = [m.occupation_code for m in members]
    if all(code is None for code in codes):
        return classes if all(m.occupation_class is not None for m in members) else None
    class_of: dict[str, int] = {}
    for text in {c for c in codes if c is not None}:
        occupation = tariff.occupations.get(text.strip().upper())
        if occupation is None:
            return None
        class_of[text] = occupation.occupation_class
    for i, (m, code) in enumerate(zip(members, codes, strict=True)):
        if code is None:
            if m.occupation_class is None:
                return None
            continue
        if m.occupation_class is not None and m.occupation_class != class_of[code]:
            return None
        classes[i] = class_of[code]
    return classes


def _census_row(
    entry: CensusMember | CensusGroup,
    i: int,
    request: QuoteRequest,
    tariff: Tariff,
    assignment: _PlanAssignment,
) -> CensusRow:
    """One entry that passed :func:`entry_problems` as a row; ``plan`` is -1 when no plan
    applies (a class-9 member without a plan is declined, not a problem: plan 0)."""
    period = request.period
    country = tariff.resolve_country(entry.country)
    assert country is not None  # entry_problems found the country
    if isinstance(entry, CensusMember):
        member_id, name, headcount = entry.member_id, entry.name, 1
        start = entry.start or period.start
        end = entry.end or period.end
        occ_class = entry.occupation_class
        if entry.occupation_code is not None:
            occ_class = tariff.occupations[entry.occupation_code.strip().upper()].occupation_class
        if entry.date_of_birth is not None:
            age = age_last_birthday(entry.date_of_birth, start)
        else:
            age = entry.age or 0
        age_low = age_high = age
        plan = assignment.plan_of(member_id, occ_class)
    else:
        member_id, name, headcount = f"G{i + 1}", f"Group {i + 1}", entry.headcount
        start, end = period.start, period.end
        occ_class = entry.occupation_class
        age = entry.rating_age()
        age_low, age_high = entry.age_range()
        plan = assignment.plan_of(None, occ_class)
    assert occ_class is not None  # a member states a class or an occupation code
    if plan is None:
        plan = 0 if occ_class == 9 else -1
    return CensusRow(
        member_id=member_id,
        name=name,
        headcount=headcount,
        country=country,
        occupation_class=occ_class,
        age=age,
        age_low=age_low,
        age_high=age_high,
        plan=plan,
        start=start,
        end=end,
        months=months_begun(start, end),
        site=entry.site,
    )


def _rating_input(
    request: QuoteRequest,
    census: _Census,
    plans: PlanTable,
    commission: float,
    adjustment: float,
    fx_rate: float,
) -> RatingInput:
    """The engine's columns of the census rows and the quote's terms."""
    experience = None
    if request.experience is not None:
        e = request.experience
        experience = ExperienceInput(
            member_years=float(e.member_years),
            claim_count=int(e.claim_count),
            incurred_claims=float(e.incurred_claims) * fx_rate,
        )
    rows, period = census.rows, request.period
    policy_days = (period.end - period.start).days + 1
    return RatingInput(
        country=np.array([r.country for r in rows], dtype=np.int64),
        occupation_class=np.array([r.occupation_class for r in rows], dtype=np.int64),
        age=np.array([r.age for r in rows], dtype=np.int64),
        headcount=np.array([r.headcount for r in rows], dtype=np.int64),
        plan=np.array([r.plan for r in rows], dtype=np.int64),
        months=np.array([r.months for r in rows], dtype=np.int64),
        site=np.array(census.site_of_row, dtype=np.int64),
        outside_period=np.array(census.outside, dtype=bool),
        plans=plans,
        policy_whole_months=whole_months(period.start, period.end),
        age_low=np.array([r.age_low for r in rows], dtype=np.int64),
        age_high=np.array([r.age_high for r in rows], dtype=np.int64),
        commission=commission,
        adjustment=adjustment,
        fx_rate=fx_rate,
        experience=experience,
        # A member outside the period is declined; clipping keeps presence within (0, 1].
        covered_days=np.array(
            [min(max((r.end - r.start).days + 1, 1), policy_days) for r in rows], dtype=np.int64
        ),
        policy_days=policy_days,
    )
