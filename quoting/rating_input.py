"""Resolve a validated quote request against a tariff into the engine's arrays.

This is where names become indexes: countries by code or name, occupations by code,
members to plans, sites to accumulation groups. Every problem of the request is
collected and raised at once as a :class:`RequestError`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np

from quoting.errors import Problem, RequestError
from quoting.pricing import ExperienceInput, PlanTable, RatingInput
from quoting.schemas import CensusGroup, CensusMember, QuoteRequest
from quoting.tariff import COVER_CODES, Tariff

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


@dataclass(frozen=True, slots=True)
class CensusRow:
    """What the quote shows of one census row besides its prices."""

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
    entry: CensusMember | CensusGroup, where: str, tariff: Tariff, policy_start: dt.date | None
) -> list[Problem]:
    """What is wrong with one census row against a tariff (names that do not resolve,
    contradictory occupation, birth after cover start); empty when it can be priced."""
    return field_problems(msgspec.structs.asdict(entry), where, tariff, policy_start)


def field_problems(
    values: Mapping[str, Any], where: str, tariff: Tariff, policy_start: dt.date | None
) -> list[Problem]:
    """:func:`entry_problems` of a census row (member or group) given as the fields that
    converted, so that a row with an invalid field still has its other fields checked
    against the tariff. The occupation and birth checks concern fields only members have."""
    problems: list[Problem] = []
    country = values.get("country")
    if country is not None and tariff.resolve_country(country) is None:
        problems.append(
            Problem(
                f"{where}.country",
                f"unknown country {country!r} (use an ISO code, or the English or Chinese name)",
            )
        )
    code, occupation_class = values.get("occupation_code"), values.get("occupation_class")
    if code is not None:
        occupation = tariff.occupations.get(code.strip().upper())
        if occupation is None:
            problems.append(
                Problem(f"{where}.occupation_code", f"unknown occupation code {code!r}")
            )
        elif occupation_class is not None and occupation_class != occupation.occupation_class:
            problems.append(
                Problem(
                    f"{where}.occupation_class",
                    f"class {occupation_class} contradicts occupation {occupation.code} "
                    f"(class {occupation.occupation_class})",
                )
            )
    start = values.get("start") or policy_start
    born = values.get("date_of_birth")
    if born is not None and start is not None and born > start:
        problems.append(Problem(f"{where}.date_of_birth", "is after the member's cover starts"))
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
            Problem(
                "experience.member_years",
                f"{e.member_years:,g} is more than {headcount:,} members over {years:.2f} years "
                f"could have had (at most {most:,.1f} with the tariff's margin of "
                f"{ep.member_years_margin:g})",
            )
        )
    most_claims = e.member_years * ep.max_claims_per_member_year
    if e.claim_count > most_claims:
        problems.append(
            Problem(
                "experience.claim_count",
                f"{e.claim_count:,} claims in {e.member_years:,g} member-years is more than the "
                f"tariff's {ep.max_claims_per_member_year:g} per member-year",
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
                        Problem(
                            f"plans[{p}].covers.hcash.max_days",
                            f"{cover.max_days} days is not offered; choose one of "
                            f"{', '.join(map(str, offered))}",
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
    problems: list[Problem] = []
    params = tariff.params
    loadings = params.loadings
    commission = (
        float(request.commission) if request.commission is not None else loadings.commission_default
    )
    if not loadings.commission_min <= commission <= loadings.commission_max:
        problems.append(
            Problem(
                "commission",
                f"{commission:g} is outside the tariff's bounds "
                f"[{loadings.commission_min:g}, {loadings.commission_max:g}]",
            )
        )
    adjustment = float(request.underwriter_adjustment or 0)
    if abs(adjustment) > params.underwriting.adjustment_max:
        problems.append(
            Problem(
                "underwriter_adjustment",
                f"{adjustment:+g} is beyond the maximum of ±{params.underwriting.adjustment_max:g}",
            )
        )
    plans = _plan_table(request, tariff, fx_rate, problems)
    problems += experience_problems(request, tariff)

    # Which plan applies to whom: member ids first, then classes, then a catch-all plan.
    by_member: dict[str, int] = {}
    by_class: dict[int, int] = {}
    catch_all: int | None = None
    for p, plan in enumerate(request.plans):
        for mid in plan.member_ids or ():
            if mid in by_member:
                problems.append(
                    Problem(
                        f"plans[{p}].member_ids",
                        f"member {mid} is already in plan {request.plans[by_member[mid]].name!r}",
                    )
                )
            by_member[mid] = p
        for cls in plan.classes or ():
            if cls in by_class:
                problems.append(
                    Problem(
                        f"plans[{p}].classes",
                        f"class {cls} is already in plan {request.plans[by_class[cls]].name!r}",
                    )
                )
            by_class[cls] = p
        if plan.classes is None and plan.member_ids is None:
            if catch_all is not None:
                problems.append(
                    Problem(f"plans[{p}]", "only one plan may omit both classes and member_ids")
                )
            catch_all = p

    period = request.period
    census = request.census
    entries: list[CensusMember | CensusGroup] = list(
        census.members if census.members is not None else census.groups or []
    )
    kind = "members" if census.members is not None else "groups"
    rows: list[CensusRow] = []
    outside: list[bool] = []
    site_keys: dict[tuple[int, str | None], int] = {}
    site_of_row: list[int] = []
    seen_ids: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"census.{kind}[{i}]"
        bad = len(problems)
        problems.extend(entry_problems(entry, where, tariff, period.start))
        if isinstance(entry, CensusMember):
            if entry.member_id in seen_ids:
                problems.append(
                    Problem(f"{where}.member_id", f"{entry.member_id} appears more than once")
                )
            seen_ids.add(entry.member_id)
        if len(problems) > bad:
            continue
        country = tariff.resolve_country(entry.country)
        if isinstance(entry, CensusMember):
            member_id, name, headcount = entry.member_id, entry.name, 1
            start = entry.start or period.start
            end = entry.end or period.end
            occ_class = entry.occupation_class
            if entry.occupation_code is not None:
                occ_class = tariff.occupations[
                    entry.occupation_code.strip().upper()
                ].occupation_class
            if entry.date_of_birth is not None:
                age = age_last_birthday(entry.date_of_birth, start)
            else:
                age = entry.age or 0
            age_low = age_high = age
            site = entry.site
        else:
            member_id, name, headcount = f"G{i + 1}", f"Group {i + 1}", entry.headcount
            start, end = period.start, period.end
            occ_class = entry.occupation_class
            age = entry.rating_age()
            age_low, age_high = entry.age_range()
            site = entry.site
        plan_index = by_member.get(member_id) if kind == "members" else None
        if plan_index is None:
            plan_index = by_class.get(occ_class or 0, catch_all)
        if plan_index is None and occ_class != 9:
            problems.append(
                Problem(
                    where,
                    f"no plan applies to this member (class {occ_class}); add the class to a plan or add a plan without classes",
                )
            )
        if len(problems) > bad:
            continue
        assert country is not None and occ_class is not None
        key = (country, site.strip().casefold() if site and site.strip() else None)
        site_of_row.append(site_keys.setdefault(key, len(site_keys)))
        # A start after the policy end (or an end before its start) leaves start > end.
        outside.append(start < period.start or end > period.end or start > end)
        rows.append(
            CensusRow(
                member_id=member_id,
                name=name,
                headcount=headcount,
                country=country,
                occupation_class=occ_class,
                age=age,
                age_low=age_low,
                age_high=age_high,
                plan=plan_index if plan_index is not None else 0,
                start=start,
                end=end,
                months=months_begun(start, end),
                site=site,
            )
        )
    unknown_ids = sorted(set(by_member) - seen_ids) if kind == "members" else sorted(by_member)
    if unknown_ids:
        problems.append(
            Problem("plans", f"member_ids not in the census: {', '.join(unknown_ids[:10])}")
        )
    if problems:
        raise RequestError(problems)

    experience = None
    if request.experience is not None:
        e = request.experience
        experience = ExperienceInput(
            member_years=float(e.member_years),
            claim_count=int(e.claim_count),
            incurred_claims=float(e.incurred_claims) * fx_rate,
        )
    rating = RatingInput(
        country=np.array([r.country for r in rows], dtype=np.int64),
        occupation_class=np.array([r.occupation_class for r in rows], dtype=np.int64),
        age=np.array([r.age for r in rows], dtype=np.int64),
        headcount=np.array([r.headcount for r in rows], dtype=np.int64),
        plan=np.array([r.plan for r in rows], dtype=np.int64),
        months=np.array([r.months for r in rows], dtype=np.int64),
        site=np.array(site_of_row, dtype=np.int64),
        outside_period=np.array(outside, dtype=bool),
        plans=plans,
        policy_whole_months=whole_months(period.start, period.end),
        age_low=np.array([r.age_low for r in rows], dtype=np.int64),
        age_high=np.array([r.age_high for r in rows], dtype=np.int64),
        commission=commission,
        adjustment=adjustment,
        fx_rate=fx_rate,
        experience=experience,
    )
    return ResolvedRequest(request, tariff, rows, rating, commission, adjustment)
