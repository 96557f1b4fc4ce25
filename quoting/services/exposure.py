"""Accumulation amounts of a quote (per site, per member, for the group), the book's
exposure across bound policies, and the book check made when a quote is bound.

The accumulation cover is AD&D (``add``, the cover of the tariff's ``[accumulation]``);
evacuation limits are shown beside it. Amounts are in the tariff's base currency (CNY),
converted at the quote's own FX rate, and summed in integer cents.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from quoting.errors import Forbidden
from quoting.schemas import VersionMember
from quoting.services._context import Context
from quoting.store import ExposureRow, QuoteRow, UnitOfWork, UnitOfWorkFactory
from quoting.underwriting import BookBreach, BookLimits, book_breaches

__all__ = [
    "UNDERWRITER_ROLES",
    "BookExposure",
    "CountryExposure",
    "QuoteAmounts",
    "SiteExposure",
    "book_check",
    "book_exposure",
    "exposure_rows",
    "quote_amounts",
    "require_underwriter",
    "version_exposure_rows",
]

#: Roles that see the queue, the audit trail and the book, and decide referrals.
UNDERWRITER_ROLES = ("underwriter", "admin")
_CENT = Decimal("0.01")


def require_underwriter(ctx: Context, what: str) -> None:
    """Refuse ``what`` to anyone but underwriters and admins (the insurer's own tools,
    acting without an account, may)."""
    if ctx.account is not None and ctx.account.role not in UNDERWRITER_ROLES:
        raise Forbidden(
            f"{what} needs one of the roles {', '.join(UNDERWRITER_ROLES)}; your account is "
            f"a {ctx.account.role}."
        )


# Only the fields the amounts need: a partial decode of the stored documents.
class _Amount(msgspec.Struct):
    sum_insured: Decimal | None = None
    limit: Decimal | None = None


class _Covers(msgspec.Struct):
    add: _Amount | None = None
    evac: _Amount | None = None


class _Plan(msgspec.Struct):
    name: str
    covers: _Covers


class _Request(msgspec.Struct):
    plans: list[_Plan] = []


class _Member(msgspec.Struct):
    country: str
    headcount: int
    plan: str
    site: str | None = None


class _Result(msgspec.Struct):
    period_start: dt.date
    period_end: dt.date
    members: list[_Member] = []
    fx_rate: float = 1.0


SiteKey = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class QuoteAmounts:
    """A quote's accepted members' sums insured in base-currency cents: per site
    (headcount, AD&D, evacuation), the largest AD&D sum insured of one member, and the
    period."""

    sites: dict[SiteKey, tuple[int, int, int]]
    member_max_cents: int
    period: tuple[dt.date, dt.date]

    @property
    def group_cents(self) -> int:
        """The group's total AD&D sum insured."""
        return sum(add for _, add, _ in self.sites.values())


def _cents(amount: Decimal | None, fx: Decimal) -> int:
    if amount is None:
        return 0
    return int((amount * fx / _CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _plan_cents(row: QuoteRow) -> tuple[_Request, _Result, dict[str, tuple[int, int]]]:
    """The stored quote's request and result (partly), and each plan's AD&D sum insured
    and evacuation limit in base-currency cents."""
    assert row.request_json is not None and row.result_json is not None
    request = msgspec.json.decode(row.request_json, type=_Request)
    result = msgspec.json.decode(row.result_json, type=_Result)
    fx = Decimal(repr(result.fx_rate))
    plans = {
        p.name: (
            _cents(p.covers.add.sum_insured if p.covers.add else None, fx),
            _cents(p.covers.evac.limit if p.covers.evac else None, fx),
        )
        for p in request.plans
    }
    return request, result, plans


def quote_amounts(row: QuoteRow) -> QuoteAmounts:
    """The accumulation amounts of a stored quote (read in full)."""
    _, result, plans = _plan_cents(row)
    sites: dict[SiteKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    member_max = 0
    for m in result.members:
        add, evac = plans.get(m.plan, (0, 0))
        total = sites[(m.country, m.site)]
        total[0] += m.headcount
        total[1] += add * m.headcount
        total[2] += evac * m.headcount
        member_max = max(member_max, add)
    return QuoteAmounts(
        {k: (v[0], v[1], v[2]) for k, v in sites.items()},
        member_max,
        (result.period_start, result.period_end),
    )


def exposure_rows(row: QuoteRow, policy_id: str) -> list[ExposureRow]:
    """The exposure rows a newly bound policy of this quote adds to the book."""
    amounts = quote_amounts(row)
    start, end = amounts.period
    sites = {(country, site, start, end): v for (country, site), v in amounts.sites.items()}
    return _book_rows(row, policy_id, sites)


def version_exposure_rows(
    row: QuoteRow,
    policy_id: str,
    members: list[VersionMember],
    place: Callable[[VersionMember], tuple[str, str]],
) -> list[ExposureRow]:
    """The exposure rows of a policy version: its segments grouped by country, site and
    period of cover (a segment that ended before it began — never covered — adds
    nothing). ``place`` gives a segment's ISO country code and plan name."""
    _, _, plans = _plan_cents(row)
    groups: dict[tuple[str, str | None, dt.date, dt.date], list[int]] = defaultdict(
        lambda: [0, 0, 0]
    )
    for m in members:
        if m.end < m.start:
            continue
        country, plan = place(m)
        add, evac = plans.get(plan, (0, 0))
        total = groups[(country, m.member.site, m.start, m.end)]
        total[0] += 1
        total[1] += add
        total[2] += evac
    return _book_rows(row, policy_id, groups)


def _book_rows(
    row: QuoteRow,
    policy_id: str,
    groups: Mapping[tuple[str, str | None, dt.date, dt.date], Sequence[int]],
) -> list[ExposureRow]:
    """One exposure row per (country, site, start, end) of ``groups`` (headcount, AD&D
    and evacuation cents), ordered by country, site and period."""
    return [
        ExposureRow(
            policy_id=policy_id,
            quote_id=row.id,
            policyholder=row.policyholder,
            country=country,
            site=site,
            period_start=start,
            period_end=end,
            headcount=headcount,
            add_sum_insured_cents=add,
            evac_sum_insured_cents=evac,
        )
        for (country, site, start, end), (headcount, add, evac) in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2], kv[0][3])
        )
    ]


def book_check(work: UnitOfWork, row: QuoteRow, limits: BookLimits) -> list[BookBreach]:
    """The book limits a quote's binding would break: the sites and countries where the
    policies in force over its period plus its own members exceed the limits. Takes the
    book lock, so that two binds on one site are checked one after the other."""
    amounts = quote_amounts(row)
    work.exposures.lock_book()
    book: dict[SiteKey, float] = defaultdict(float)
    for e in work.exposures.in_force(*amounts.period):
        book[(e.country, e.site)] += e.add_sum_insured_cents / 100
    mine = {key: add / 100 for key, (_, add, _) in amounts.sites.items() if add}
    return book_breaches(limits, book_sites=book, quote_sites=mine)


@dataclass(frozen=True, slots=True)
class SiteExposure:
    """The book on one site (``site`` None: members in the country without a site)."""

    country: str
    site: str | None
    policyholders: list[str]
    policies: int
    headcount: int
    add_sum_insured: Decimal
    evac_sum_insured: Decimal
    limit: Decimal

    @property
    def over_limit(self) -> bool:
        """The site's AD&D sum insured is above the book's site limit."""
        return self.add_sum_insured > self.limit


@dataclass(frozen=True, slots=True)
class CountryExposure:
    """The book in one country."""

    country: str
    policies: int
    headcount: int
    add_sum_insured: Decimal
    evac_sum_insured: Decimal
    limit: Decimal

    @property
    def over_limit(self) -> bool:
        """The country's AD&D sum insured is above the book's country limit."""
        return self.add_sum_insured > self.limit


@dataclass(frozen=True, slots=True)
class BookExposure:
    """The insurer's accumulation book on a date: sites and countries, largest first."""

    on: dt.date
    limits: BookLimits
    sites: list[SiteExposure]
    countries: list[CountryExposure]


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(_CENT)


def book_exposure(
    uow: UnitOfWorkFactory, ctx: Context, on: dt.date | None = None, country: str | None = None
) -> BookExposure:
    """The AD&D and evacuation sums insured of the bound policies in force on ``on``
    (default: the business date), per site and per country (optionally one country),
    largest AD&D first, against the book limits. Underwriters and admins only."""
    require_underwriter(ctx, "The book's exposure")
    day = on or ctx.today()
    with uow() as work:
        rows = [r for r in work.exposures.in_force(day, day) if country in (None, r.country)]
    sites: dict[SiteKey, list[ExposureRow]] = defaultdict(list)
    for r in rows:
        sites[(r.country, r.site)].append(r)
    limits = ctx.book_limits
    site_list = [
        SiteExposure(
            country=c,
            site=s,
            policyholders=sorted({r.policyholder for r in group}),
            policies=len({r.policy_id for r in group}),
            headcount=sum(r.headcount for r in group),
            add_sum_insured=_money(sum(r.add_sum_insured_cents for r in group)),
            evac_sum_insured=_money(sum(r.evac_sum_insured_cents for r in group)),
            limit=Decimal(repr(limits.site_sum_insured)).quantize(_CENT),
        )
        for (c, s), group in sites.items()
    ]
    site_list.sort(key=lambda e: (-e.add_sum_insured, e.country, e.site or ""))
    countries = []
    for code in sorted({r.country for r in rows}):
        group = [r for r in rows if r.country == code]
        countries.append(
            CountryExposure(
                country=code,
                policies=len({r.policy_id for r in group}),
                headcount=sum(r.headcount for r in group),
                add_sum_insured=_money(sum(r.add_sum_insured_cents for r in group)),
                evac_sum_insured=_money(sum(r.evac_sum_insured_cents for r in group)),
                limit=Decimal(repr(limits.country_sum_insured)).quantize(_CENT),
            )
        )
    countries.sort(key=lambda e: (-e.add_sum_insured, e.country))
    return BookExposure(day, limits, site_list, countries)
