"""The vectorised rating engine: SPEC §3 steps 1–11 over a whole census at once.

Everything here is a pure function of a :class:`RatingInput` and a tariff: numpy and
scipy only, no I/O, no clock. The result is columnar — one array per field of the
lines and of their trace — so that callers build Python objects only for what they show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from quoting.pricing._inputs import FloatArray, IntArray, RatingInput
from quoting.pricing._money import round_half_up_cents
from quoting.pricing._severity import gamma_params, layer_moments, lognormal_params
from quoting.tariff import COUNTRY_FACTORS, COVER_CODES, CoverParams, Tariff

__all__ = [
    "DECLINE_REASONS",
    "ExperienceResult",
    "PricedCensus",
    "ReferralResult",
    "SiteAccumulation",
    "price",
]

#: Decline reasons as bits of ``PricedCensus.declined``: (bit, code, message).
DECLINE_REASONS: tuple[tuple[int, str, str], ...] = (
    (1, "country_declined", "the tariff declines cover in this country"),
    (2, "occupation_uninsurable", "occupation class 9 is not insurable"),
    (4, "age_out_of_range", "age is outside the tariff's limits"),
    (8, "period_outside_policy", "the member's period lies outside the policy period"),
)
_FACTOR_COLUMN = {name: i for i, name in enumerate(COUNTRY_FACTORS)}
_COVER_INDEX = {code: i for i, code in enumerate(COVER_CODES)}


@dataclass(frozen=True, slots=True)
class ReferralResult:
    """A referral trigger that fired; ``rows`` are the census rows concerned (may be empty)."""

    code: str
    message: str
    rows: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True, slots=True)
class ExperienceResult:
    actual: float
    expected: float
    actual_to_expected: float
    credibility: float
    full_credibility_claims: float
    factor: float


@dataclass(frozen=True, slots=True)
class SiteAccumulation:
    """Accumulation of the accumulation cover per site, one element per site (base currency)."""

    site: IntArray
    members: FloatArray
    mean_sum_insured: FloatArray
    tier: IntArray
    event_rate: FloatArray
    expected_excess: FloatArray
    #: event_rate × expected_excess: the site's loading for a full year
    annual_loading: FloatArray
    #: what the site's members carry after their term factors
    allocated: FloatArray

    @classmethod
    def empty(cls) -> SiteAccumulation:
        f, i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return cls(i, f, f, i, f, f, f, f)


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
        return int(
            self.premium_cents.sum() + self.member_minimum_cents.sum() + self.policy_minimum_cents
        )

    @property
    def total_vat_cents(self) -> int:
        return int(
            self.vat_cents.sum()
            + self.member_minimum_vat_cents.sum()
            + self.policy_minimum_vat_cents
        )


def _constant(n: int, value: float) -> FloatArray:
    """A read-only trace column holding one value (a view, not n copies)."""
    return np.broadcast_to(np.float64(value), (n,))


def _country_product(tariff: Tariff, names: list[str], country: IntArray) -> FloatArray:
    out = np.ones(country.shape[0], dtype=np.float64)
    for name in names:
        out = out * tariff.country_factors[country, _FACTOR_COLUMN[name]]
    return out


def _by(basis: str | None, table: list[float], occ_class: IntArray, band: IntArray) -> FloatArray:
    values = np.asarray(table, dtype=np.float64)
    return values[occ_class - 1] if basis == "class" else values[band]


def _cover_pure(
    cover: CoverParams,
    c: int,
    inp: RatingInput,
    tariff: Tariff,
    rows: IntArray,
    band: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray, dict[str, FloatArray]]:
    """Annual pure premium, annual claim frequency and E[payment²] of one cover's lines."""
    plan = inp.plans
    p = inp.plan[rows]
    cls = inp.occupation_class[rows]
    ctry = inp.country[rows]
    amount = plan.amount[p, c]
    trace: dict[str, FloatArray] = {}
    if cover.method == "per_mille":
        rate = np.asarray(cover.rate_by_class, dtype=np.float64)[cls - 1]
        f_country = _country_product(tariff, list(cover.country_factors), ctry)
        f_age = np.asarray(cover.age_factors, dtype=np.float64)[band]
        pure = amount / 1000.0 * rate * f_country * f_age
        freq = pure / amount  # every claim pays the full sum insured
        second = amount * amount
        trace = {
            "sum_insured": amount,
            "rate_per_mille": rate,
            "country_factor": f_country,
            "age_factor": f_age,
        }
    elif cover.method == "frequency_severity":
        assert cover.severity is not None and cover.frequency is not None
        sev = cover.severity
        base_freq = _by(cover.frequency_by, cover.frequency, cls, band)
        f_freq = _country_product(tariff, list(cover.frequency_country_factors), ctry)
        scale = (
            _country_product(tariff, [cover.severity_country_factor], ctry)
            if cover.severity_country_factor
            else np.ones(rows.shape[0])
        )
        params = (
            lognormal_params(sev.mean, sev.sigma or 0.0)
            if sev.distribution == "lognormal"
            else gamma_params(sev.mean, sev.cv or 0.0)
        )
        deductible = plan.deductible[p, c]
        coins = plan.coinsurance[p, c]
        # The layer moments depend only on (plan, country): compute them once per pair.
        pair = p * tariff.country_factors.shape[0] + ctry
        _, first_of, where = np.unique(pair, return_index=True, return_inverse=True)
        first_u, second_u = layer_moments(
            sev.distribution, params, scale[first_of], deductible[first_of], amount[first_of]
        )
        first, second_raw = first_u[where], second_u[where]
        expected_payment = coins * first
        freq = base_freq * f_freq
        pure = freq * expected_payment
        second = coins * coins * second_raw
        trace = {
            "frequency": base_freq,
            "frequency_country_factor": f_freq,
            "severity_scale": scale,
            "limit": amount,
            "deductible": deductible,
            "coinsurance": coins,
            "expected_payment": expected_payment,
        }
    else:  # per_member
        assert cover.amount is not None and cover.max_days_factors is not None
        base = _by(cover.amount_by, cover.amount, cls, band)
        units = amount / float(cover.amount_unit or 1.0)
        days = plan.max_days[p, c]
        keys = np.array(sorted(int(k) for k in cover.max_days_factors), dtype=np.int64)
        values = np.array([cover.max_days_factors[str(k)] for k in keys], dtype=np.float64)
        f_days = values[np.searchsorted(keys, days)]
        f_country = _country_product(tariff, list(cover.country_factors), ctry)
        f_age = np.asarray(cover.age_factors, dtype=np.float64)[band]
        pure = base * units * f_days * f_country * f_age
        size = amount * np.minimum(float(cover.mean_claim_days or 0.0), days)
        freq = pure / size  # every claim pays the mean claim size
        second = size * size
        trace = {
            "amount": base,
            "benefit_units": units,
            "max_days_factor": f_days,
            "country_factor": f_country,
            "age_factor": f_age,
        }
    return pure, freq, second, trace


def _decisions(inp: RatingInput, tariff: Tariff) -> IntArray:
    ages = tariff.params.ages
    declined = np.zeros(len(inp), dtype=np.int64)
    declined |= np.where(tariff.country_status[inp.country] == 2, 1, 0)
    declined |= np.where(inp.occupation_class == 9, 2, 0)
    low = inp.age if inp.age_low is None else inp.age_low
    high = inp.age if inp.age_high is None else inp.age_high
    declined |= np.where((low < ages.min) | (high > ages.max), 4, 0)
    declined |= np.where(inp.outside_period, 8, 0)
    return declined


def _experience(
    inp: RatingInput, tariff: Tariff, expected_per_member: float
) -> ExperienceResult | None:
    exp = inp.experience
    if exp is None:
        return None
    ep = tariff.params.experience
    z_score = float(stats.norm.ppf((1.0 + ep.credibility_probability) / 2.0))
    n_full = (z_score / ep.credibility_tolerance) ** 2
    expected = exp.member_years * expected_per_member
    ratio = exp.incurred_claims / expected if expected > 0 else 1.0
    z = min(1.0, float(np.sqrt(exp.claim_count / n_full)))
    factor = float(np.clip(z * ratio + (1.0 - z), ep.factor_min, ep.factor_max))
    return ExperienceResult(exp.incurred_claims, expected, ratio, z, n_full, factor)


def _binomial_sf(k: FloatArray, n: FloatArray, p: float) -> FloatArray:
    """P(K > k) for K ~ Binomial(n, p): scipy's ``bdtrc`` without the overhead of
    ``stats.binom`` (1 for k < 0, 0 for k >= n)."""
    trials = np.maximum(n, 0).astype(np.int64)
    k_safe = np.clip(k, 0, trials).astype(np.int64)
    out = special.bdtrc(k_safe, trials, p)
    return np.where(k < 0, 1.0, np.where(k >= n, 0.0, out))


def _expected_accumulation(
    n: FloatArray, mean_si: FloatArray, p: float, retention: float
) -> FloatArray:
    """E[max(0, K * mean_si - retention)] for K ~ Binomial(n, p), elementwise.

    With r = retention / mean_si and m = floor(r): E[(K - r)+] = E[K; K > m] - r P(K > m),
    and E[K; K > m] = n p P(K' >= m) with K' ~ Binomial(n - 1, p).
    """
    r = retention / mean_si
    m = np.floor(r)
    tail_mean = n * p * _binomial_sf(m - 1, n - 1, p)
    tail_prob = _binomial_sf(m, n, p)
    return mean_si * np.maximum(tail_mean - r * tail_prob, 0.0)


def price(inp: RatingInput, tariff: Tariff) -> PricedCensus:
    """Price a census: underwriting decisions, then every accepted member-cover line.

    Promises: line premiums are rounded once (half-up, per member, in the quote currency);
    totals are exact sums of lines and adjustment lines; declined rows have no lines.
    """
    params = tariff.params
    n_rows = len(inp)
    declined = _decisions(inp, tariff)
    accepted = declined == 0
    band = tariff.age_band(np.clip(inp.age, params.ages.min, params.ages.max))
    headcount = inp.headcount.astype(np.float64)

    # Step 1: annual pure premium per line, cover by cover (a loop over six covers).
    rows_parts, cover_parts, pure_parts, freq_parts, second_parts = [], [], [], [], []
    trace_parts: list[dict[str, FloatArray]] = []
    for code in COVER_CODES:
        c = _COVER_INDEX[code]
        rows = np.flatnonzero(accepted & inp.plans.present[inp.plan, c])
        if rows.size == 0:
            continue
        pure, freq, second, cover_trace = _cover_pure(
            params.covers[code], c, inp, tariff, rows, band[rows]
        )
        rows_parts.append(rows)
        cover_parts.append(np.full(rows.size, c, dtype=np.int64))
        pure_parts.append(pure)
        freq_parts.append(freq)
        second_parts.append(second)
        trace_parts.append(cover_trace)

    line_row = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64)
    line_cover = np.concatenate(cover_parts) if cover_parts else np.zeros(0, dtype=np.int64)
    n_lines = line_row.size
    pure = np.concatenate(pure_parts) if pure_parts else np.zeros(0)
    freq = np.concatenate(freq_parts) if freq_parts else np.zeros(0)
    second = np.concatenate(second_parts) if second_parts else np.zeros(0)
    line_heads = headcount[line_row]

    # Step 2: term.
    months = inp.months[line_row]
    short_period = np.asarray(params.short_period.factors, dtype=np.float64)
    term = short_period[np.clip(months, 1, 12) - 1]

    # Step 3: experience (quote level), expected claims from the annual pure premium per member.
    accepted_heads = int(inp.headcount[accepted].sum())
    expected_per_member = (
        float((pure * line_heads).sum() / accepted_heads) if accepted_heads else 0.0
    )
    experience = _experience(inp, tariff, expected_per_member)
    f_exp = experience.factor if experience else 1.0

    # Step 4: group size, by accepted headcount.
    bands = params.group_size
    heads = np.array([b.min_headcount for b in bands])
    f_group = float(
        bands[max(int(np.searchsorted(heads, accepted_heads, side="right")) - 1, 0)].factor
    )

    risk = pure * term * f_exp * f_group

    # Step 5: volatility loading, allocated by each line's share of Var(S).
    var_line = line_heads * freq * term * second  # row total
    var_total = float(var_line.sum())
    alpha = params.volatility.alpha
    sd = float(np.sqrt(var_total))
    volatility_total = alpha * sd
    volatility = (alpha * var_line / sd / line_heads) if sd > 0 else np.zeros(n_lines)

    # Step 6: accumulation loading per site on the accumulation cover (AD&D).
    acc = params.accumulation
    acc_c = _COVER_INDEX[acc.cover]
    accumulation = np.zeros(n_lines)
    accumulation_total = 0.0
    acc_lines = np.flatnonzero(line_cover == acc_c)
    site_si_total = np.zeros(0)
    site_ids = np.zeros(0, dtype=np.int64)
    sites = SiteAccumulation.empty()
    if acc_lines.size:
        acc_rows = line_row[acc_lines]
        si = inp.plans.amount[inp.plan[acc_rows], acc_c]
        site_ids, site_of_line = np.unique(inp.site[acc_rows], return_inverse=True)
        n_site = np.bincount(site_of_line, weights=headcount[acc_rows]).astype(np.float64)
        site_si_total = np.bincount(site_of_line, weights=si * headcount[acc_rows]).astype(
            np.float64
        )
        mean_si = site_si_total / n_site
        site_tier = np.zeros(site_ids.size, dtype=np.int64)
        site_tier[site_of_line] = tariff.country_tier[inp.country[acc_rows]]
        event_rate = np.asarray(acc.event_rate_by_tier)[site_tier - 1]
        excess = _expected_accumulation(n_site, mean_si, acc.victim_probability, acc.retention)
        site_loading = event_rate * excess
        share = si / site_si_total[site_of_line]  # one member's share of the site's SI
        per_member = site_loading[site_of_line] * share * term[acc_lines]
        accumulation[acc_lines] = per_member
        allocated = np.bincount(site_of_line, weights=per_member * headcount[acc_rows]).astype(
            np.float64
        )
        accumulation_total = float(allocated.sum())
        sites = SiteAccumulation(
            site_ids, n_site, mean_si, site_tier, event_rate, excess, site_loading, allocated
        )

    technical = risk + volatility + accumulation

    # Steps 7-10: gross-up, underwriter adjustment, VAT, currency, rounding per member line.
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
    vat_rate = vat_rates[line_cover]
    premium = technical / divisor * (1.0 + inp.adjustment) * (1.0 + vat_rate) / inp.fx_rate
    per_member_cents = round_half_up_cents(premium)
    per_member_vat = round_half_up_cents(per_member_cents / 100.0 * vat_rate / (1.0 + vat_rate))
    premium_cents = per_member_cents * inp.headcount[line_row]
    vat_cents = per_member_vat * inp.headcount[line_row]

    # Step 11: minimums, per member first, then per policy.
    mins = params.minimums
    min_vat = mins.vat_rate
    member_min = int(round_half_up_cents(mins.member / inp.fx_rate))
    per_row_cents = np.bincount(line_row, weights=per_member_cents, minlength=n_rows).astype(
        np.int64
    )
    short = accepted & (per_row_cents < member_min)
    mm_rows = np.flatnonzero(short)
    mm_per_member = member_min - per_row_cents[mm_rows]
    mm_vat_per_member = round_half_up_cents(mm_per_member / 100.0 * min_vat / (1.0 + min_vat))
    mm_cents = mm_per_member * inp.headcount[mm_rows]
    mm_vat = mm_vat_per_member * inp.headcount[mm_rows]
    subtotal = int(premium_cents.sum() + mm_cents.sum())
    policy_min = int(round_half_up_cents(mins.policy / inp.fx_rate))
    pm_cents = policy_min - subtotal if accepted_heads and subtotal < policy_min else 0
    pm_vat = (
        int(round_half_up_cents(pm_cents / 100.0 * min_vat / (1.0 + min_vat))) if pm_cents else 0
    )

    referrals = _referrals(inp, tariff, accepted, experience, site_ids, site_si_total)

    # Trace columns: a factor that only some methods use is NaN on the other lines.
    trace: dict[str, FloatArray] = {}
    offset = 0
    for part_rows, part in zip(rows_parts, trace_parts, strict=True):
        for key, values in part.items():
            column = trace.setdefault(key, np.full(n_lines, np.nan))
            column[offset : offset + part_rows.size] = values
        offset += part_rows.size
    trace.update(
        annual_pure_premium=pure,
        months=months.astype(np.float64),
        term_factor=term,
        experience_factor=_constant(n_lines, f_exp),
        group_size_factor=_constant(n_lines, f_group),
        risk_premium=risk,
        volatility_loading=volatility,
        accumulation_loading=accumulation,
        technical_premium=technical,
        gross_up_divisor=_constant(n_lines, divisor),
        adjustment_factor=_constant(n_lines, 1.0 + inp.adjustment),
        vat_rate=vat_rate,
        fx_rate=_constant(n_lines, inp.fx_rate),
        premium_per_member=premium,
    )
    return PricedCensus(
        line_row=line_row,
        line_cover=line_cover,
        premium_cents=premium_cents,
        vat_cents=vat_cents,
        trace=trace,
        declined=declined,
        referrals=referrals,
        member_minimum_row=mm_rows,
        member_minimum_cents=mm_cents,
        member_minimum_vat_cents=mm_vat,
        policy_minimum_cents=int(pm_cents),
        policy_minimum_vat_cents=pm_vat,
        accepted_headcount=accepted_heads,
        group_size_factor=f_group,
        experience=experience,
        volatility_loading=volatility_total,
        accumulation_loading=accumulation_total,
        claims_variance=var_total,
        sites=sites,
    )


def _referrals(
    inp: RatingInput,
    tariff: Tariff,
    accepted: npt.NDArray[np.bool_],
    experience: ExperienceResult | None,
    site_ids: IntArray,
    site_si_total: FloatArray,
) -> list[ReferralResult]:
    params = tariff.params
    uw = params.underwriting
    out: list[ReferralResult] = []
    refer_country = np.flatnonzero(accepted & (tariff.country_status[inp.country] == 1))
    if refer_country.size:
        codes = sorted({tariff.countries[i].code for i in inp.country[refer_country]})
        out.append(
            ReferralResult(
                "country_refer",
                f"the tariff refers cover in {', '.join(codes)} to an underwriter",
                refer_country,
            )
        )
    high_class = np.flatnonzero(accepted & (inp.occupation_class > uw.auto_max_class))
    if high_class.size:
        out.append(
            ReferralResult(
                "occupation_class",
                f"occupation class above {uw.auto_max_class} needs an underwriter",
                high_class,
            )
        )
    used_plans = np.unique(inp.plan[accepted])
    for c, code in enumerate(COVER_CODES):
        limit = params.covers[code].auto_limit
        over = [
            int(p) for p in used_plans if inp.plans.present[p, c] and inp.plans.amount[p, c] > limit
        ]
        if over:
            rows = np.flatnonzero(accepted & np.isin(inp.plan, over))
            out.append(
                ReferralResult(
                    "sum_insured_limit",
                    f"{code}: amount above the automatic limit of {limit:,.0f}",
                    rows,
                )
            )
    acc_c = _COVER_INDEX[params.accumulation.cover]
    group_si = float(site_si_total.sum())
    if group_si > uw.group_sum_insured_limit:
        out.append(
            ReferralResult(
                "group_sum_insured",
                f"{params.accumulation.cover}: group total sum insured {group_si:,.0f} "
                f"above {uw.group_sum_insured_limit:,.0f}",
            )
        )
    over_sites = site_ids[site_si_total > uw.site_accumulation_limit]
    if over_sites.size:
        rows = np.flatnonzero(
            accepted & np.isin(inp.site, over_sites) & inp.plans.present[inp.plan, acc_c]
        )
        out.append(
            ReferralResult(
                "site_accumulation",
                f"{over_sites.size} site(s) with total sum insured above "
                f"{uw.site_accumulation_limit:,.0f}",
                rows,
            )
        )
    if (
        experience is not None
        and experience.actual_to_expected > params.experience.refer_loss_ratio
    ):
        out.append(
            ReferralResult(
                "experience_loss_ratio",
                f"claims experience at {experience.actual_to_expected:.0%} of expected",
            )
        )
    if abs(inp.adjustment) > uw.adjustment_authority + 1e-12:
        out.append(
            ReferralResult(
                "adjustment_authority",
                f"adjustment {inp.adjustment:+.1%} beyond the automatic authority of "
                f"±{uw.adjustment_authority:.0%}",
            )
        )
    return out
