"""The vectorised rating engine: SPEC §3 steps 1–11 over a whole census at once.

Everything here is a pure function of a :class:`RatingInput` and a tariff: numpy and
scipy only, no I/O, no clock. The result is columnar — one array per field of the
lines and of their trace — so that callers build Python objects only for what they show.
Step 1 is :mod:`quoting.pricing._methods`, steps 3–6 :mod:`quoting.pricing._loadings`;
the underwriting decisions come from :mod:`quoting.underwriting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from quoting.pricing._inputs import FloatArray, IntArray, RatingInput
from quoting.pricing._loadings import (
    ExperienceResult,
    SiteAccumulation,
    accumulation_loading,
    claim_mix,
    experience_factor,
    group_size_factor,
    volatility_loading,
)
from quoting.pricing._methods import CoverLines, annual_pure_premium
from quoting.pricing._money import round_half_up_cents
from quoting.tariff import COVER_CODES, Tariff, TariffParams
from quoting.underwriting import (
    ReferralResult,
    accumulation_referrals,
    adjustment_referral,
    decline_reasons,
    experience_loss_referral,
    member_referrals,
)

__all__ = ["PricedCensus", "price"]


@dataclass(frozen=True, slots=True)
class PricedCensus:
    """The engine's columnar result.

    Line arrays have one element per (accepted row, cover of its plan), ordered by cover
    then row. Money arrays ending in ``_cents`` are whole cents of the quote currency and
    are totals for the row (per-member amount × headcount); ``trace`` holds per-member
    floats (NaN where a factor does not apply to the line's method).
    """

    line_row: IntArray
    line_cover: IntArray
    premium_cents: IntArray
    vat_cents: IntArray
    trace: dict[str, FloatArray]
    #: per census row: 0 when accepted, else an OR of DECLINE_REASONS bits
    declined: IntArray
    referrals: list[ReferralResult]
    #: per-member minimum shortfall lines: row, premium cents (row total), VAT cents
    member_minimum_row: IntArray
    member_minimum_cents: IntArray
    member_minimum_vat_cents: IntArray
    policy_minimum_cents: int
    policy_minimum_vat_cents: int
    accepted_headcount: int
    group_size_factor: float
    experience: ExperienceResult | None
    volatility_loading: float
    accumulation_loading: float
    #: Var(S) of the group's annual aggregate claims (term-weighted), base currency²
    claims_variance: float = 0.0
    sites: SiteAccumulation = field(default_factory=SiteAccumulation.empty)

    @property
    def total_premium_cents(self) -> int:
        """Lines plus minimum adjustment lines, in cents of the quote currency."""
        return int(
            self.premium_cents.sum() + self.member_minimum_cents.sum() + self.policy_minimum_cents
        )

    @property
    def total_vat_cents(self) -> int:
        """The VAT in the total premium, in cents of the quote currency."""
        return int(
            self.vat_cents.sum()
            + self.member_minimum_vat_cents.sum()
            + self.policy_minimum_vat_cents
        )


def _constant(n: int, value: float) -> FloatArray:
    """A read-only trace column holding one value (a view, not n copies)."""
    return np.broadcast_to(np.float64(value), (n,))


@dataclass(frozen=True, slots=True)
class _Lines:
    """Step 1 for every accepted member-cover line, ordered by cover then row."""

    row: IntArray
    cover: IntArray
    pure: FloatArray
    frequency: FloatArray
    second_moment: FloatArray
    #: the trace of each cover's lines: (number of lines, columns)
    parts: list[tuple[int, dict[str, FloatArray]]]


def _pure_premiums(
    inp: RatingInput, tariff: Tariff, accepted: npt.NDArray[np.bool_], band: IntArray
) -> _Lines:
    """Step 1: annual pure premium per line, cover by cover (a loop over six covers)."""
    rows_parts: list[IntArray] = []
    cover_parts: list[IntArray] = []
    priced: list[CoverLines] = []
    for c, code in enumerate(COVER_CODES):
        rows = np.flatnonzero(accepted & inp.plans.present[inp.plan, c])
        if rows.size == 0:
            continue
        priced.append(
            annual_pure_premium(tariff.params.covers[code], c, inp, tariff, rows, band[rows])
        )
        rows_parts.append(rows)
        cover_parts.append(np.full(rows.size, c, dtype=np.int64))

    def joined(parts: list[npt.NDArray], dtype: type = np.float64) -> npt.NDArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    return _Lines(
        row=joined(rows_parts, np.int64),
        cover=joined(cover_parts, np.int64),
        pure=joined([p.pure for p in priced]),
        frequency=joined([p.frequency for p in priced]),
        second_moment=joined([p.second_moment for p in priced]),
        parts=[(r.size, p.trace) for r, p in zip(rows_parts, priced, strict=True)],
    )


def _term_factor(inp: RatingInput, params: TariffParams, line_row: IntArray) -> FloatArray:
    """Step 2: the short-period factor of each line's months of cover."""
    months = inp.months[line_row]
    short_period = np.asarray(params.short_period.factors, dtype=np.float64)
    return short_period[np.clip(months, 1, 12) - 1]


@dataclass(frozen=True, slots=True)
class _Gross:
    """Steps 7–10 per line: the premium per member and its rounded cents (row totals)."""

    divisor: float
    vat_rate: FloatArray
    premium: FloatArray
    per_member_cents: IntArray
    premium_cents: IntArray
    vat_cents: IntArray


def _gross_premiums(
    inp: RatingInput, params: TariffParams, lines: _Lines, technical: FloatArray
) -> _Gross:
    """Steps 7-10: gross-up, underwriter adjustment, VAT, currency, rounding per member line."""
    divisor = 1.0 - inp.commission - params.loadings.expenses - params.loadings.profit
    vat_rates = np.array(
        [
            0.0
            if (cv := params.covers[code]).vat_exempt_min_months is not None
            and inp.policy_whole_months >= cv.vat_exempt_min_months
            else cv.vat_rate
            for code in COVER_CODES
        ]
    )
    vat_rate = vat_rates[lines.cover]
    premium = technical / divisor * (1.0 + inp.adjustment) * (1.0 + vat_rate) / inp.fx_rate
    per_member_cents = round_half_up_cents(premium)
    per_member_vat = round_half_up_cents(per_member_cents / 100.0 * vat_rate / (1.0 + vat_rate))
    heads = inp.headcount[lines.row]
    return _Gross(
        divisor,
        vat_rate,
        premium,
        per_member_cents,
        per_member_cents * heads,
        per_member_vat * heads,
    )


@dataclass(frozen=True, slots=True)
class _Minimums:
    """Step 11: per-member shortfall lines (row totals) and the policy shortfall."""

    member_rows: IntArray
    member_cents: IntArray
    member_vat_cents: IntArray
    policy_cents: int
    policy_vat_cents: int


def _minimums(
    inp: RatingInput,
    params: TariffParams,
    accepted: npt.NDArray[np.bool_],
    lines: _Lines,
    gross: _Gross,
) -> _Minimums:
    """Step 11: minimums, per member first, then per policy."""
    mins = params.minimums
    min_vat = mins.vat_rate
    member_min = int(round_half_up_cents(mins.member / inp.fx_rate))
    per_row_cents = np.bincount(
        lines.row, weights=gross.per_member_cents, minlength=len(inp)
    ).astype(np.int64)
    mm_rows = np.flatnonzero(accepted & (per_row_cents < member_min))
    mm_per_member = member_min - per_row_cents[mm_rows]
    mm_vat_per_member = round_half_up_cents(mm_per_member / 100.0 * min_vat / (1.0 + min_vat))
    mm_cents = mm_per_member * inp.headcount[mm_rows]
    mm_vat = mm_vat_per_member * inp.headcount[mm_rows]
    subtotal = int(gross.premium_cents.sum() + mm_cents.sum())
    policy_min = int(round_half_up_cents(mins.policy / inp.fx_rate))
    any_accepted = bool(inp.headcount[accepted].sum())
    pm_cents = policy_min - subtotal if any_accepted and subtotal < policy_min else 0
    pm_vat = (
        int(round_half_up_cents(pm_cents / 100.0 * min_vat / (1.0 + min_vat))) if pm_cents else 0
    )
    return _Minimums(mm_rows, mm_cents, mm_vat, int(pm_cents), pm_vat)


def price(inp: RatingInput, tariff: Tariff) -> PricedCensus:
    """Price a census: underwriting decisions, then every accepted member-cover line.

    Promises: line premiums are rounded once (half-up, per member, in the quote currency);
    totals are exact sums of lines and adjustment lines; declined rows have no lines.
    """
    params = tariff.params
    declined = decline_reasons(
        tariff,
        country=inp.country,
        occupation_class=inp.occupation_class,
        age_low=inp.age if inp.age_low is None else inp.age_low,
        age_high=inp.age if inp.age_high is None else inp.age_high,
        outside_period=inp.outside_period,
    )
    accepted = declined == 0
    band = tariff.age_band(np.clip(inp.age, params.ages.min, params.ages.max))
    lines = _pure_premiums(inp, tariff, accepted, band)
    line_heads = inp.headcount.astype(np.float64)[lines.row]
    term = _term_factor(inp, params, lines.row)

    # Step 3: experience (quote level), expected claims from the annual pure premium per member.
    accepted_heads = int(inp.headcount[accepted].sum())
    expected_per_member = (
        float((lines.pure * line_heads).sum() / accepted_heads) if accepted_heads else 0.0
    )
    mix = (
        claim_mix(line_heads, lines.pure, lines.frequency, lines.second_moment)
        if inp.experience is not None and params.experience.full_credibility == "aggregate"
        else None
    )
    experience = experience_factor(inp, params, expected_per_member, mix)
    f_exp = experience.factor if experience else 1.0
    f_group = group_size_factor(params, accepted_heads)  # step 4
    risk = lines.pure * term * f_exp * f_group
    volatility = volatility_loading(params, line_heads, lines.frequency, term, lines.second_moment)
    accumulation = accumulation_loading(
        inp, params, tariff.country_tier, lines.row, lines.cover, term
    )
    technical = risk + volatility.per_line + accumulation.per_line
    gross = _gross_premiums(inp, params, lines, technical)
    minimums = _minimums(inp, params, accepted, lines, gross)

    referrals = _referrals(
        inp, tariff, accepted, experience, accumulation.sites.site, accumulation.site_sum_insured
    )
    trace = _trace(
        lines,
        term,
        f_exp,
        f_group,
        risk,
        volatility.per_line,
        accumulation.per_line,
        technical,
        gross,
        inp,
    )
    return PricedCensus(
        line_row=lines.row,
        line_cover=lines.cover,
        premium_cents=gross.premium_cents,
        vat_cents=gross.vat_cents,
        trace=trace,
        declined=declined,
        referrals=referrals,
        member_minimum_row=minimums.member_rows,
        member_minimum_cents=minimums.member_cents,
        member_minimum_vat_cents=minimums.member_vat_cents,
        policy_minimum_cents=minimums.policy_cents,
        policy_minimum_vat_cents=minimums.policy_vat_cents,
        accepted_headcount=accepted_heads,
        group_size_factor=f_group,
        experience=experience,
        volatility_loading=volatility.total,
        accumulation_loading=accumulation.total,
        claims_variance=volatility.claims_variance,
        sites=accumulation.sites,
    )


def _trace(
    lines: _Lines,
    term: FloatArray,
    f_exp: float,
    f_group: float,
    risk: FloatArray,
    volatility: FloatArray,
    accumulation: FloatArray,
    technical: FloatArray,
    gross: _Gross,
    inp: RatingInput,
) -> dict[str, FloatArray]:
    """Trace columns: a factor that only some methods use is NaN on the other lines."""
    n_lines = lines.row.size
    trace: dict[str, FloatArray] = {}
    offset = 0
    for size, part in lines.parts:
        for key, values in part.items():
            column = trace.setdefault(key, np.full(n_lines, np.nan))
            column[offset : offset + size] = values
        offset += size
    trace.update(
        annual_pure_premium=lines.pure,
        months=inp.months[lines.row].astype(np.float64),
        term_factor=term,
        experience_factor=_constant(n_lines, f_exp),
        group_size_factor=_constant(n_lines, f_group),
        risk_premium=risk,
        volatility_loading=volatility,
        accumulation_loading=accumulation,
        technical_premium=technical,
        gross_up_divisor=_constant(n_lines, gross.divisor),
        adjustment_factor=_constant(n_lines, 1.0 + inp.adjustment),
        vat_rate=gross.vat_rate,
        fx_rate=_constant(n_lines, inp.fx_rate),
        premium_per_member=gross.premium,
    )
    return trace


def _referrals(
    inp: RatingInput,
    tariff: Tariff,
    accepted: npt.NDArray[np.bool_],
    experience: ExperienceResult | None,
    site_ids: IntArray,
    site_si_total: FloatArray,
) -> list[ReferralResult]:
    """The underwriting referral rules applied to the census and the priced figures."""
    params = tariff.params
    acc_c = COVER_CODES.index(params.accumulation.cover)
    return [
        *member_referrals(
            tariff,
            accepted=accepted,
            country=inp.country,
            occupation_class=inp.occupation_class,
            plan=inp.plan,
            plan_present=inp.plans.present,
            plan_amount=inp.plans.amount,
        ),
        *accumulation_referrals(
            params,
            accepted=accepted,
            site=inp.site,
            has_cover=inp.plans.present[inp.plan, acc_c],
            site_ids=site_ids,
            site_sum_insured=site_si_total,
        ),
        *experience_loss_referral(
            params, experience.actual_to_expected if experience is not None else None
        ),
        *adjustment_referral(inp.adjustment, params),
    ]
