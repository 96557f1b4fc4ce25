"""Build the wire :class:`Quote` from the engine's columnar result.

This is the edge where arrays become Python objects and cents become decimal strings.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from quoting.pricing import PricedCensus, cents_to_text
from quoting.quote_columns import CoverTrace, MemberColumns, QuoteColumns
from quoting.rating_input import CensusRow, ResolvedRequest
from quoting.schemas import (
    Adjustment,
    DeclinedMember,
    ExperienceRating,
    GroupRating,
    MemberQuote,
    Quote,
    QuoteLine,
    QuoteSummary,
    Reason,
    Referral,
    SiteRating,
    SummaryRow,
    TariffRef,
)
from quoting.tariff import COVER_CODES, Tariff
from quoting.underwriting import (
    DECLINE_REASONS,
    backdated_referral,
    experience_discount_referral,
    quote_status,
)

__all__ = ["build_quote", "build_quote_columns", "quote_outcome"]


def _summary_rows(
    keys: list[str],
    labels: dict[str, str],
    heads: dict[str, int],
    prem: dict[str, int],
    vat: dict[str, int],
) -> list[SummaryRow]:
    return [
        SummaryRow(
            key=k,
            label=labels[k],
            headcount=heads[k],
            premium=cents_to_text(prem[k]),
            vat=cents_to_text(vat[k]),
        )
        for k in keys
    ]


# Trace values are shown to about 12 significant digits: plenty to recompute a line to the cent,
# and free of binary noise (0.68 rather than 0.6799999999999999).
_SIGNIFICANT = 12
#: Decimals of the line trace (amounts in CNY, factors): far below a cent.
_DECIMALS = 9


def _tidy_column(values: np.ndarray) -> np.ndarray:
    """Round a trace column to a fixed number of decimals (the same for every member, so a
    member's trace never depends on the rest of the census)."""
    return np.round(values, _DECIMALS)


def _sig(value: float) -> float:
    """A group-level figure to 12 significant digits."""
    return float(f"{value:.{_SIGNIFICANT}g}")


def _decline_message(
    code: str, message: str, row: CensusRow, country: str, resolved: ResolvedRequest
) -> str:
    ages = resolved.tariff.params.ages
    period = resolved.request.period
    if code == "country_declined":
        return f"{message} ({country})"
    if code == "age_out_of_range" and row.age_low != row.age_high:
        return f"age band {row.age_low}–{row.age_high} reaches outside the tariff's limits ({ages.min}–{ages.max})"
    if code == "age_out_of_range":
        return f"age {row.age} is outside the tariff's limits ({ages.min}–{ages.max})"
    if code == "period_outside_policy":
        return f"cover {row.start}–{row.end} lies outside the policy period {period.start}–{period.end}"
    return message


def build_quote(
    resolved: ResolvedRequest,
    priced: PricedCensus,
    as_of: dt.date,
    *,
    today: dt.date | None = None,
    trace: bool = True,
) -> Quote:
    """Assemble the quote; totals are exact integer sums of the lines shown.

    ``today`` is the business date the quote is made on (default ``as_of``): a period
    that starts before it is referred as backdated. With ``trace=False`` the lines carry
    no factor trace (cheaper for large censuses when only premiums are shown).
    """
    # Hundreds of thousands of small objects, none cyclic: the cycle collector's passes
    # over them would cost more than building them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_quote(resolved, priced, as_of, today or as_of, trace)
    finally:
        if enabled:
            gc.enable()


def _build_quote(
    resolved: ResolvedRequest,
    priced: PricedCensus,
    as_of: dt.date,
    today: dt.date,
    trace_wanted: bool,
) -> Quote:
    request, tariff = resolved.request, resolved.tariff
    totals = _lines(resolved, priced, _line_factors(resolved, priced, trace_wanted))
    members, declined, by_country, by_class = _members(resolved, priced, totals)
    referrals = _referrals(resolved, priced, today)
    return Quote(
        status=quote_status(len(members), len(referrals)),
        currency=request.currency,
        as_of=as_of,
        policyholder=request.policyholder.name,
        credit_code=request.policyholder.credit_code,
        period_start=request.period.start,
        period_end=request.period.end,
        tariff=TariffRef(
            version=tariff.version, effective_date=tariff.effective_date, hash=tariff.content_hash
        ),
        headcount=priced.accepted_headcount,
        declined_headcount=sum(d.headcount for d in declined),
        total_premium=cents_to_text(priced.total_premium_cents),
        total_vat=cents_to_text(priced.total_vat_cents),
        commission=resolved.commission,
        fx_rate=resolved.rating.fx_rate,
        members=members,
        adjustments=_adjustments(resolved, priced),
        declined=declined,
        referrals=referrals,
        summary=_summary(tariff, totals, by_country, by_class),
        rating=_group_rating(resolved, priced),
    )


def _line_factors(
    resolved: ResolvedRequest, priced: PricedCensus, trace_wanted: bool
) -> list[dict[str, float | str]]:
    """Each line's factor trace (empty dicts without ``trace_wanted``)."""
    n_lines = priced.line_cover.size
    if not trace_wanted:
        return [{} for _ in range(n_lines)]
    covers, rows = resolved.tariff.params.covers, resolved.rows
    headcounts = [rows[r].headcount for r in priced.line_row.tolist()]
    trace = {k: _tidy_column(np.asarray(v)) for k, v in priced.trace.items()}
    # Lines come grouped by cover; each cover's method fixes which trace factors apply,
    # so the factor dicts are built column-wise per cover rather than value by value.
    factors_of: list[dict[str, float | str]] = []
    cover_of_line = priced.line_cover
    bounds = np.flatnonzero(np.diff(cover_of_line)) + 1
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), n_lines], strict=True):
        if lo == hi:
            continue
        method = covers[COVER_CODES[int(cover_of_line[lo])]].method
        keys = [k for k, col in trace.items() if not np.isnan(col[lo])]
        columns = [trace[k][lo:hi].tolist() for k in keys]
        for values, heads in zip(zip(*columns, strict=True), headcounts[lo:hi], strict=True):
            factors: dict[str, float | str] = {"method": method}
            factors.update(zip(keys, values, strict=True))
            factors["headcount"] = heads
            factors_of.append(factors)
    return factors_of


@dataclass(slots=True)
class _Totals:
    """The wire lines of each census row, and cents and heads per row and per cover."""

    lines_of: dict[int, list[QuoteLine]] = field(default_factory=lambda: defaultdict(list))
    row_prem: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    row_vat: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    cover_prem: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cover_vat: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cover_heads: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _lines(
    resolved: ResolvedRequest, priced: PricedCensus, factors_of: list[dict[str, float | str]]
) -> _Totals:
    rows = resolved.rows
    prem = priced.premium_cents.tolist()
    vat = priced.vat_cents.tolist()
    totals = _Totals()
    for i, (r, c) in enumerate(
        zip(priced.line_row.tolist(), priced.line_cover.tolist(), strict=True)
    ):
        code = COVER_CODES[c]
        totals.lines_of[r].append(
            QuoteLine(
                cover=code,
                premium=cents_to_text(prem[i]),
                vat=cents_to_text(vat[i]),
                factors=factors_of[i],
            )
        )
        totals.row_prem[r] += prem[i]
        totals.row_vat[r] += vat[i]
        totals.cover_prem[code] += prem[i]
        totals.cover_vat[code] += vat[i]
        totals.cover_heads[code] += rows[r].headcount
    return totals


_Breakdown = dict[str, list[int]]


def _members(
    resolved: ResolvedRequest, priced: PricedCensus, totals: _Totals
) -> tuple[list[MemberQuote], list[DeclinedMember], _Breakdown, _Breakdown]:
    """Quoted and declined members, and headcount, premium and VAT by country and class."""
    request, tariff = resolved.request, resolved.tariff
    declined_bits = priced.declined.tolist()
    members: list[MemberQuote] = []
    declined: list[DeclinedMember] = []
    by_country: _Breakdown = defaultdict(lambda: [0, 0, 0])
    by_class: _Breakdown = defaultdict(lambda: [0, 0, 0])
    for r, row in enumerate(resolved.rows):
        country = tariff.countries[row.country]
        if declined_bits[r]:
            declined.append(_declined_member(resolved, row, declined_bits[r], country.name_en))
            continue
        members.append(
            MemberQuote(
                member_id=row.member_id,
                name=row.name,
                headcount=row.headcount,
                country=country.code,
                occupation_class=row.occupation_class,
                age=row.age,
                plan=request.plans[row.plan].name,
                start=row.start,
                end=row.end,
                months=row.months,
                premium=cents_to_text(totals.row_prem[r]),
                vat=cents_to_text(totals.row_vat[r]),
                lines=totals.lines_of[r],
                site=row.site,
            )
        )
        for acc, key in ((by_country, country.code), (by_class, str(row.occupation_class))):
            acc[key][0] += row.headcount
            acc[key][1] += totals.row_prem[r]
            acc[key][2] += totals.row_vat[r]
    return members, declined, by_country, by_class


def _declined_member(
    resolved: ResolvedRequest, row: CensusRow, bits: int, country: str
) -> DeclinedMember:
    return DeclinedMember(
        member_id=row.member_id,
        name=row.name,
        headcount=row.headcount,
        reasons=[
            Reason(code=code, message=_decline_message(code, msg, row, country, resolved))
            for bit, code, msg in DECLINE_REASONS
            if bits & bit
        ],
    )


def _adjustments(resolved: ResolvedRequest, priced: PricedCensus) -> list[Adjustment]:
    """Step 11's minimum-premium lines: per member first, then per policy."""
    rows, minimums = resolved.rows, resolved.tariff.params.minimums
    adjustments = [
        Adjustment(
            kind="member_minimum",
            member_id=rows[r].member_id,
            premium=cents_to_text(c),
            vat=cents_to_text(v),
            reason=f"raised to the minimum premium per member ({minimums.member:,.2f} CNY)",
        )
        for r, c, v in zip(
            priced.member_minimum_row.tolist(),
            priced.member_minimum_cents.tolist(),
            priced.member_minimum_vat_cents.tolist(),
            strict=True,
        )
    ]
    if priced.policy_minimum_cents:
        adjustments.append(
            Adjustment(
                kind="policy_minimum",
                premium=cents_to_text(priced.policy_minimum_cents),
                vat=cents_to_text(priced.policy_minimum_vat_cents),
                reason=f"raised to the minimum premium per policy ({minimums.policy:,.2f} CNY)",
            )
        )
    return adjustments


def _referrals(resolved: ResolvedRequest, priced: PricedCensus, today: dt.date) -> list[Referral]:
    """The engine's referrals, then those of the quote as a whole: a backdated period and a
    discount for claims experience beyond the automatic threshold."""
    rows, params = resolved.rows, resolved.tariff.params
    experience = priced.experience
    fired = [
        *priced.referrals,
        *backdated_referral(resolved.request.period.start, today),
        *experience_discount_referral(params, experience.factor if experience else None),
    ]
    return [
        Referral(
            code=ref.code,
            message=ref.message,
            member_ids=[rows[i].member_id for i in ref.rows.tolist()],
        )
        for ref in fired
    ]


def _summary(
    tariff: Tariff, totals: _Totals, by_country: _Breakdown, by_class: _Breakdown
) -> QuoteSummary:
    covers = tariff.params.covers
    cover_keys = [c for c in COVER_CODES if c in totals.cover_prem]
    return QuoteSummary(
        by_cover=_summary_rows(
            cover_keys,
            {c: covers[c].name_en for c in cover_keys},
            totals.cover_heads,
            totals.cover_prem,
            totals.cover_vat,
        ),
        by_country=[
            SummaryRow(
                key=k,
                label=tariff.countries[tariff.country_index[k]].name_en,
                headcount=v[0],
                premium=cents_to_text(v[1]),
                vat=cents_to_text(v[2]),
            )
            for k, v in sorted(by_country.items(), key=lambda kv: -kv[1][1])
        ],
        by_class=[
            SummaryRow(
                key=k,
                label=f"Class {k}",
                headcount=v[0],
                premium=cents_to_text(v[1]),
                vat=cents_to_text(v[2]),
            )
            for k, v in sorted(by_class.items())
        ],
    )


def _group_rating(resolved: ResolvedRequest, priced: PricedCensus) -> GroupRating:
    tariff, rows, inp = resolved.tariff, resolved.rows, resolved.rating
    loadings = tariff.params.loadings
    first_row_of_site: dict[int, int] = {}
    for r, site in enumerate(inp.site.tolist()):
        first_row_of_site.setdefault(site, r)
    s = priced.sites
    sites = [
        SiteRating(
            country=tariff.countries[rows[first_row_of_site[site]].country].code,
            site=rows[first_row_of_site[site]].site,
            members=int(n),
            mean_sum_insured=_sig(mean),
            tier=tier,
            event_rate=_sig(rate),
            expected_excess=_sig(excess),
            annual_loading=_sig(annual),
            allocated_loading=_sig(allocated),
        )
        for site, n, mean, tier, rate, excess, annual, allocated in zip(
            s.site.tolist(),
            s.members.tolist(),
            s.mean_sum_insured.tolist(),
            s.tier.tolist(),
            s.event_rate.tolist(),
            s.expected_excess.tolist(),
            s.annual_loading.tolist(),
            s.allocated.tolist(),
            strict=True,
        )
    ]
    experience = None
    if priced.experience is not None and inp.experience is not None:
        e = priced.experience
        experience = ExperienceRating(
            member_years=inp.experience.member_years,
            claim_count=inp.experience.claim_count,
            actual_claims=_sig(e.actual),
            expected_claims=_sig(e.expected),
            actual_to_expected=_sig(e.actual_to_expected),
            full_credibility_claims=_sig(e.full_credibility_claims),
            credibility=_sig(e.credibility),
            factor=e.factor,
        )
    return GroupRating(
        base_currency=tariff.params.tariff.base_currency,
        accepted_headcount=priced.accepted_headcount,
        group_size_factor=priced.group_size_factor,
        commission=resolved.commission,
        expenses=loadings.expenses,
        profit=loadings.profit,
        gross_up_divisor=_sig(1.0 - resolved.commission - loadings.expenses - loadings.profit),
        adjustment=resolved.adjustment,
        volatility_alpha=tariff.params.volatility.alpha,
        claims_variance=_sig(priced.claims_variance),
        claims_standard_deviation=_sig(priced.claims_variance**0.5),
        volatility_loading=_sig(priced.volatility_loading),
        accumulation_loading=_sig(priced.accumulation_loading),
        sites=sites,
        experience=experience,
    )


def quote_outcome(
    resolved: ResolvedRequest, priced: PricedCensus, today: dt.date
) -> tuple[str, list[str]]:
    """The status a quote of this priced census has, and its referral codes, without
    building the quote (as :func:`build_quote` decides them)."""
    referrals = _referrals(resolved, priced, today)
    accepted = int((priced.declined == 0).sum())
    return quote_status(accepted, len(referrals)), [r.code for r in referrals]


# -- the columnar quote ------------------------------------------------------------------


def build_quote_columns(
    resolved: ResolvedRequest,
    priced: PricedCensus,
    as_of: dt.date,
    *,
    today: dt.date | None = None,
    trace: bool = True,
) -> QuoteColumns:
    """The quote :func:`build_quote` makes, as its header and the members' columns: no
    object per line. Its wire form (:meth:`QuoteColumns.quote`) is byte for byte the
    quote :func:`build_quote` makes."""
    today = today or as_of
    request = resolved.request
    totals = _cover_totals(resolved, priced)
    accepted = np.flatnonzero(priced.declined == 0)
    members = _member_columns(resolved, priced, accepted, trace)
    header = _header(resolved, priced, as_of, today, totals, members)
    covers = _cover_traces(resolved, priced) if trace else _cover_traces(resolved, None)
    return QuoteColumns(header, [p.name for p in request.plans], covers, members, trace)


def _cover_traces(resolved: ResolvedRequest, priced: PricedCensus | None) -> list[CoverTrace]:
    """Each cover's method and the factors its lines show (as :func:`_line_factors`
    chooses them: those set on the cover's first line)."""
    covers = resolved.tariff.params.covers
    out = []
    for index, code in enumerate(COVER_CODES):
        keys: tuple[str, ...] = ()
        if priced is not None:
            where = np.flatnonzero(priced.line_cover == index)
            if where.size:
                lo = int(where[0])
                keys = tuple(k for k, col in priced.trace.items() if not np.isnan(col[lo]))
        method = covers[code].method if code in covers else ""
        out.append(CoverTrace(code, method, keys))
    return out


def _cover_totals(resolved: ResolvedRequest, priced: PricedCensus) -> _Totals:
    """Cents and heads per cover, summed exactly over the lines."""
    heads_of_row = np.array([r.headcount for r in resolved.rows], dtype=np.int64)
    totals = _Totals()
    n = len(COVER_CODES)
    prem = np.zeros(n, dtype=np.int64)
    vat = np.zeros(n, dtype=np.int64)
    heads = np.zeros(n, dtype=np.int64)
    np.add.at(prem, priced.line_cover, priced.premium_cents.astype(np.int64))
    np.add.at(vat, priced.line_cover, priced.vat_cents.astype(np.int64))
    np.add.at(heads, priced.line_cover, heads_of_row[priced.line_row])
    for c in np.unique(priced.line_cover).tolist():
        code = COVER_CODES[c]
        totals.cover_prem[code] = int(prem[c])
        totals.cover_vat[code] = int(vat[c])
        totals.cover_heads[code] = int(heads[c])
    return totals


def _member_columns(
    resolved: ResolvedRequest, priced: PricedCensus, accepted: np.ndarray, trace: bool
) -> MemberColumns:
    rows, countries = resolved.rows, resolved.tariff.countries
    member_of_row = np.full(len(rows), -1, dtype=np.int64)
    member_of_row[accepted] = np.arange(accepted.size)
    order = np.argsort(priced.line_row, kind="stable")
    line_member = member_of_row[priced.line_row[order]]
    order = order[line_member >= 0]
    line_member = line_member[line_member >= 0]
    line_prem = priced.premium_cents.astype(np.int64)[order]
    line_vat = priced.vat_cents.astype(np.int64)[order]
    prem = np.zeros(accepted.size, dtype=np.int64)
    vat = np.zeros(accepted.size, dtype=np.int64)
    np.add.at(prem, line_member, line_prem)
    np.add.at(vat, line_member, line_vat)
    chosen = [rows[r] for r in accepted.tolist()]

    def ints(name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in chosen], dtype=np.int64)

    return MemberColumns(
        member_id=[r.member_id for r in chosen],
        name=[r.name for r in chosen],
        site=[r.site for r in chosen],
        country=[countries[r.country].code for r in chosen],
        plan=ints("plan"),
        headcount=ints("headcount"),
        occupation_class=ints("occupation_class"),
        age=ints("age"),
        months=ints("months"),
        start=np.array([r.start.toordinal() for r in chosen], dtype=np.int64),
        end=np.array([r.end.toordinal() for r in chosen], dtype=np.int64),
        premium=prem,
        vat=vat,
        line_count=np.bincount(line_member, minlength=accepted.size).astype(np.int64),
        line_cover=priced.line_cover.astype(np.int64)[order],
        line_premium=line_prem,
        line_vat=line_vat,
        trace={k: _tidy_column(np.asarray(v))[order] for k, v in priced.trace.items()}
        if trace
        else {},
    )


def _header(
    resolved: ResolvedRequest,
    priced: PricedCensus,
    as_of: dt.date,
    today: dt.date,
    totals: _Totals,
    members: MemberColumns,
) -> Quote:
    """The wire quote without its members, from the cover totals and member columns."""
    request, tariff = resolved.request, resolved.tariff
    by_country: _Breakdown = defaultdict(lambda: [0, 0, 0])
    by_class: _Breakdown = defaultdict(lambda: [0, 0, 0])
    for country, cls, heads, prem, vat in zip(
        members.country,
        members.occupation_class.tolist(),
        members.headcount.tolist(),
        members.premium.tolist(),
        members.vat.tolist(),
        strict=True,
    ):
        for acc, key in ((by_country, country), (by_class, str(cls))):
            acc[key][0] += heads
            acc[key][1] += prem
            acc[key][2] += vat
    declined = [
        _declined_member(resolved, row, bits, tariff.countries[row.country].name_en)
        for row, bits in zip(resolved.rows, priced.declined.tolist(), strict=True)
        if bits
    ]
    referrals = _referrals(resolved, priced, today)
    return Quote(
        status=quote_status(len(members), len(referrals)),
        currency=request.currency,
        as_of=as_of,
        policyholder=request.policyholder.name,
        credit_code=request.policyholder.credit_code,
        period_start=request.period.start,
        period_end=request.period.end,
        tariff=TariffRef(
            version=tariff.version, effective_date=tariff.effective_date, hash=tariff.content_hash
        ),
        headcount=priced.accepted_headcount,
        declined_headcount=sum(d.headcount for d in declined),
        total_premium=cents_to_text(priced.total_premium_cents),
        total_vat=cents_to_text(priced.total_vat_cents),
        commission=resolved.commission,
        fx_rate=resolved.rating.fx_rate,
        members=[],
        adjustments=_adjustments(resolved, priced),
        declined=declined,
        referrals=referrals,
        summary=_summary(tariff, totals, by_country, by_class),
        rating=_group_rating(resolved, priced),
    )
