"""Build the wire :class:`Quote` from the engine's columnar result.

This is the edge where arrays become Python objects and cents become decimal strings.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict

import numpy as np

from quoting.pricing import PricedCensus, cents_to_text
from quoting.rating_input import CensusRow, ResolvedRequest
from quoting.schemas import (
    Adjustment,
    DeclinedMember,
    ExperienceRating,
    GroupRating,
    MemberQuote,
    Quote,
    QuoteLine,
    QuoteStatus,
    QuoteSummary,
    Reason,
    Referral,
    SiteRating,
    SummaryRow,
    TariffRef,
)
from quoting.tariff import COVER_CODES
from quoting.underwriting import DECLINE_REASONS

__all__ = ["build_quote"]


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
    request, tariff, rows = resolved.request, resolved.tariff, resolved.rows
    covers = tariff.params.covers

    line_rows = priced.line_row.tolist()
    line_covers = priced.line_cover.tolist()
    prem = priced.premium_cents.tolist()
    vat = priced.vat_cents.tolist()
    prem_text = [cents_to_text(c) for c in prem]
    vat_text = [cents_to_text(c) for c in vat]
    headcounts = [rows[r].headcount for r in line_rows]

    # Lines come grouped by cover; each cover's method fixes which trace factors apply,
    # so the factor dicts are built column-wise per cover rather than value by value.
    factors_of: list[dict[str, float | str]] = []
    cover_of_line = priced.line_cover
    trace: dict[str, np.ndarray] = {}
    if trace_wanted and priced.trace:
        names = list(priced.trace)
        trace = {k: _tidy_column(np.asarray(priced.trace[k])) for k in names}
    bounds = np.flatnonzero(np.diff(cover_of_line)) + 1
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), cover_of_line.size], strict=True):
        if not trace_wanted:
            factors_of.extend({} for _ in range(hi - lo))
            continue
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

    lines_of: dict[int, list[QuoteLine]] = defaultdict(list)
    row_prem: dict[int, int] = defaultdict(int)
    row_vat: dict[int, int] = defaultdict(int)
    cover_prem: dict[str, int] = defaultdict(int)
    cover_vat: dict[str, int] = defaultdict(int)
    cover_heads: dict[str, int] = defaultdict(int)
    for i, (r, c) in enumerate(zip(line_rows, line_covers, strict=True)):
        code = COVER_CODES[c]
        lines_of[r].append(
            QuoteLine(cover=code, premium=prem_text[i], vat=vat_text[i], factors=factors_of[i])
        )
        row_prem[r] += prem[i]
        row_vat[r] += vat[i]
        cover_prem[code] += prem[i]
        cover_vat[code] += vat[i]
        cover_heads[code] += headcounts[i]

    declined_bits = priced.declined.tolist()
    members: list[MemberQuote] = []
    declined: list[DeclinedMember] = []
    by_country: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_class: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r, row in enumerate(rows):
        country = tariff.countries[row.country]
        if declined_bits[r]:
            declined.append(
                DeclinedMember(
                    member_id=row.member_id,
                    name=row.name,
                    headcount=row.headcount,
                    reasons=[
                        Reason(
                            code=code,
                            message=_decline_message(code, msg, row, country.name_en, resolved),
                        )
                        for bit, code, msg in DECLINE_REASONS
                        if declined_bits[r] & bit
                    ],
                )
            )
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
                premium=cents_to_text(row_prem[r]),
                vat=cents_to_text(row_vat[r]),
                lines=lines_of[r],
                site=row.site,
            )
        )
        for acc, key in ((by_country, country.code), (by_class, str(row.occupation_class))):
            acc[key][0] += row.headcount
            acc[key][1] += row_prem[r]
            acc[key][2] += row_vat[r]

    adjustments = [
        Adjustment(
            kind="member_minimum",
            member_id=rows[r].member_id,
            premium=cents_to_text(c),
            vat=cents_to_text(v),
            reason=f"raised to the minimum premium per member ({tariff.params.minimums.member:,.2f} CNY)",
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
                reason=f"raised to the minimum premium per policy ({tariff.params.minimums.policy:,.2f} CNY)",
            )
        )

    referrals = [
        Referral(
            code=ref.code,
            message=ref.message,
            member_ids=[rows[i].member_id for i in ref.rows.tolist()],
        )
        for ref in priced.referrals
    ]
    referrals += _quote_referrals(resolved, priced, today)
    status: QuoteStatus
    if not members:
        status = "declined"
    elif referrals:
        status = "referred"
    else:
        status = "accepted"

    cover_keys = [c for c in COVER_CODES if c in cover_prem]
    summary = QuoteSummary(
        by_cover=_summary_rows(
            cover_keys,
            {c: covers[c].name_en for c in cover_keys},
            cover_heads,
            cover_prem,
            cover_vat,
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
    rating = _group_rating(resolved, priced)
    return Quote(
        status=status,
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
        adjustments=adjustments,
        declined=declined,
        referrals=referrals,
        summary=summary,
        rating=rating,
    )


def _quote_referrals(
    resolved: ResolvedRequest, priced: PricedCensus, today: dt.date
) -> list[Referral]:
    """Referrals of the quote as a whole that the engine does not make: a backdated
    period, and a discount for claims experience beyond the automatic threshold."""
    start = resolved.request.period.start
    referrals = []
    if start < today:
        # Cover that has already begun when it is quoted: an underwriter checks that
        # nothing is known to have happened since. Judged on the business date, whatever
        # date the quote is priced as of.
        referrals.append(
            Referral(
                code="backdated_period",
                message=f"the policy period starts on {start}, before the business date {today}",
            )
        )
    threshold = resolved.tariff.params.experience.refer_discount
    experience = priced.experience
    # A small margin keeps a factor of exactly 1 − threshold (float noise aside) automatic.
    if experience is not None and experience.factor < 1.0 - threshold - 1e-12:
        # Experience is stated by the client; a large discount on its strength needs an
        # underwriter to see the claims record.
        referrals.append(
            Referral(
                code="experience_discount",
                message=f"claims experience lowers the premium by {1 - experience.factor:.1%}, "
                f"more than the automatic {threshold:.0%}",
            )
        )
    return referrals


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
