"""A plain, per-member reference implementation of the rating model, for tests only.

It follows ``docs/rating-model.md`` step by step, one member and one cover at a time,
written for clarity and independently of the vectorised engine: it imports nothing from
``quoting.pricing``, ``quoting.rating_input``, ``quoting.quote_builder`` or
``quoting.services``. Aggregated census rows are expanded into their individual members;
results are reported per census row (a group row's line is the sum over its members).

Speed is secondary, but a 20,000-member census prices in well under a minute.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from scipy import special, stats

from quoting.schemas import CensusGroup, CensusMember, QuoteRequest
from quoting.tariff import Country, CoverParams, Tariff

__all__ = [
    "COVERS",
    "RefQuote",
    "age_last_birthday",
    "layered_payment_moments",
    "months_begun",
    "reference_quote",
    "round_half_up_cents",
]

#: Cover codes in the order a plan lists them.
COVERS = ("add", "amed", "smed", "evac", "sdeath", "hcash")


@dataclass
class RefQuote:
    """The reference result, in whole cents of the quote currency, per census row."""

    status: str
    #: (member_id, cover) -> premium cents of the row (sum over its members)
    lines: dict[tuple[str, str], int]
    vat: dict[tuple[str, str], int]
    #: member_id -> member-minimum adjustment cents of the row (only rows that get one)
    member_minimums: dict[str, int]
    policy_minimum: int
    total_premium_cents: int
    total_vat_cents: int
    #: member_id -> decline reason codes
    declined: dict[str, set[str]]
    referral_codes: set[str]
    member_minimum_vat: dict[str, int] = field(default_factory=dict)
    policy_minimum_vat: int = 0


# --------------------------------------------------------------------------- conventions


def round_half_up_cents(amount: float) -> int:
    """Whole cents of ``amount``, half-up, after rounding to 6 decimals of a cent."""
    cents = Decimal(amount * 100.0).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    return int(cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _birthday(born: dt.date, year: int) -> dt.date:
    """The day the birthday is celebrated in ``year`` (29 February → 1 March)."""
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return dt.date(year, 3, 1)
    return born.replace(year=year)


def age_last_birthday(born: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on``."""
    age = on.year - born.year
    if _birthday(born, on.year) > on:
        age -= 1
    return age


def _add_months(start: dt.date, k: int) -> dt.date:
    """``start`` plus ``k`` calendar months, the day clamped to the month's end."""
    month0 = start.month - 1 + k
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def months_begun(start: dt.date, end: dt.date) -> int:
    """Months begun between two inclusive dates: month k+1 begins on start + k months; ≤ 12."""
    months = 0
    while months < 12 and _add_months(start, months) <= end:
        months += 1
    return max(months, 1)


# --------------------------------------------------------------------------- claim moments


def _phi(z: float) -> float:
    """Standard normal cdf."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _lognormal_partial(k: int, a: float, mu: float, sigma: float) -> float:
    """E[X^k; X <= a] for ln X ~ N(mu, sigma²)."""
    if a <= 0.0:
        return 0.0
    z = (math.log(a) - mu - k * sigma * sigma) / sigma
    return math.exp(k * mu + k * k * sigma * sigma / 2.0) * _phi(z)


def _gamma_partial(k: int, a: float, shape: float, scale: float) -> float:
    """E[X^k; X <= a] for X ~ Gamma(shape, scale)."""
    if a <= 0.0:
        return 0.0
    rising = 1.0  # Γ(shape + k) / Γ(shape) = shape (shape + 1) … (shape + k − 1)
    for j in range(k):
        rising *= shape + j
    return scale**k * rising * float(special.gammainc(shape + k, a / scale))


def layered_payment_moments(
    severity_distribution: str,
    partial: tuple[float, float],
    deductible: float,
    limit: float,
) -> tuple[float, float]:
    """E[Y] and E[Y²] of ``Y = min(max(X − d, 0), L)`` (coinsurance not applied).

    ``partial`` is (mu, sigma) of ln X for a lognormal, or (shape, scale) for a gamma.
    """
    a, b = partial

    def m(k: int, x: float) -> float:
        if severity_distribution == "lognormal":
            return _lognormal_partial(k, x, a, b)
        return _gamma_partial(k, x, a, b)

    d, top = deductible, deductible + limit
    cdf_d, cdf_top = m(0, d), m(0, top)
    m1_d, m1_top = m(1, d), m(1, top)
    m2_d, m2_top = m(2, d), m(2, top)
    above_top = 1.0 - cdf_top
    # X in (d, top]: pays X − d; X above top: pays the limit.
    mean = (m1_top - m1_d) - d * (cdf_top - cdf_d) + limit * above_top
    second = (m2_top - m2_d) - 2.0 * d * (m1_top - m1_d) + d * d * (cdf_top - cdf_d)
    second += limit * limit * above_top
    return max(mean, 0.0), max(second, 0.0)


# --------------------------------------------------------------------------- members


@dataclass
class _Benefit:
    """One cover of a plan, amounts in the base currency."""

    amount: float  # sum insured, limit or daily benefit
    amount_text: Decimal
    deductible: float = 0.0
    coinsurance: float = 1.0
    max_days: int = 0


@dataclass
class _Member:
    row_id: str  # census row id: the member's id, or G{i} for a group row
    country: Country
    occupation_class: int
    age: int
    start: dt.date
    end: dt.date
    site_key: tuple[str, str | None]
    benefits: dict[str, _Benefit]
    reasons: set[str]


def _benefits(plan_covers: object, fx: float) -> dict[str, _Benefit]:
    """Plan amounts (given in the quote currency) in the base currency."""
    out: dict[str, _Benefit] = {}
    for code in COVERS:
        cover = getattr(plan_covers, code)
        if cover is None:
            continue
        if code in ("add", "sdeath"):
            out[code] = _Benefit(float(cover.sum_insured) * fx, cover.sum_insured)
        elif code == "hcash":
            out[code] = _Benefit(
                float(cover.daily_benefit) * fx, cover.daily_benefit, max_days=cover.max_days
            )
        elif code == "evac":
            out[code] = _Benefit(float(cover.limit) * fx, cover.limit)
        else:
            out[code] = _Benefit(
                float(cover.limit) * fx,
                cover.limit,
                deductible=float(cover.deductible) * fx,
                coinsurance=float(cover.coinsurance),
            )
    return out


def _plan_for(request: QuoteRequest, member_id: str | None, occupation_class: int):
    """The plan listing the member's id, else the one listing its class, else the catch-all."""
    if member_id is not None:
        for plan in request.plans:
            if member_id in (plan.member_ids or []):
                return plan
    for plan in request.plans:
        if occupation_class in (plan.classes or []):
            return plan
    for plan in request.plans:
        if plan.classes is None and plan.member_ids is None:
            return plan
    return None


def _site_key(country: Country, site: str | None) -> tuple[str, str | None]:
    name = site.strip().casefold() if site is not None and site.strip() else None
    return (country.code, name)


def _members(request: QuoteRequest, tariff: Tariff, fx: float) -> list[_Member]:
    """Every insured person of the census, a group row expanded into its members."""
    params = tariff.params
    period = request.period
    out: list[_Member] = []
    census = request.census
    rows: list[CensusMember | CensusGroup] = list(census.members or census.groups or [])
    for i, row in enumerate(rows):
        index = tariff.resolve_country(row.country)
        assert index is not None, f"unknown country {row.country!r}"
        country = tariff.countries[index]
        if isinstance(row, CensusMember):
            occ = row.occupation_class
            if row.occupation_code is not None:
                occ = tariff.occupations[row.occupation_code.strip().upper()].occupation_class
            assert occ is not None
            start = row.start or period.start
            end = row.end or period.end
            if row.date_of_birth is not None:
                age = age_last_birthday(row.date_of_birth, start)
            else:
                assert row.age is not None
                age = row.age
            youngest = oldest = age
            row_id, member_id, count = row.member_id, row.member_id, 1
        else:
            occ = row.occupation_class
            start, end = period.start, period.end
            if row.age is not None:
                age = youngest = oldest = row.age
            else:
                youngest, oldest = (int(x) for x in (row.age_band or "").split("-"))
                age = (youngest + oldest) // 2
            row_id, member_id, count = f"G{i + 1}", None, row.headcount

        reasons: set[str] = set()
        if country.status == "decline":
            reasons.add("country_declined")
        if occ == 9:
            reasons.add("occupation_uninsurable")
        if youngest < params.ages.min or oldest > params.ages.max:
            reasons.add("age_out_of_range")
        if start < period.start or end > period.end or start > end:
            reasons.add("period_outside_policy")
        plan = _plan_for(request, member_id, occ)
        assert plan is not None or reasons, f"no plan for census row {row_id}"
        benefits = _benefits(plan.covers, fx) if plan is not None else {}
        for _ in range(count):
            out.append(
                _Member(
                    row_id=row_id,
                    country=country,
                    occupation_class=occ,
                    age=age,
                    start=start,
                    end=end,
                    site_key=_site_key(country, row.site),
                    benefits=dict(benefits),
                    reasons=set(reasons),
                )
            )
    return out


# --------------------------------------------------------------------------- pricing


def _age_band(tariff: Tariff, age: int) -> int:
    """Index of the first band whose upper bound is at least ``age``."""
    for band, upper in enumerate(tariff.params.ages.band_upper):
        if age <= upper:
            return band
    raise AssertionError(f"age {age} beyond the last band")


def _country_product(country: Country, names: list[str]) -> float:
    product = 1.0
    for name in names:
        product *= getattr(country, name)
    return product


@dataclass
class _Line:
    member: _Member
    cover: str
    pure: float  # annual pure premium P
    frequency: float  # annual claim frequency λ
    second_moment: float  # E[Y²] of one payment
    term: float = 1.0
    accumulation: float = 0.0


def _annual(
    cover: CoverParams, member: _Member, benefit: _Benefit, tariff: Tariff
) -> tuple[float, float, float]:
    """(P, λ, E[Y²]) of one member for one cover, per year."""
    band = _age_band(tariff, member.age)
    cls = member.occupation_class
    country = member.country
    if cover.method == "per_mille":
        assert cover.rate_by_class is not None and cover.age_factors is not None
        si = benefit.amount
        pure = (
            si
            / 1000.0
            * cover.rate_by_class[cls - 1]
            * _country_product(country, list(cover.country_factors))
            * cover.age_factors[band]
        )
        return pure, pure / si, si * si
    if cover.method == "frequency_severity":
        assert cover.frequency is not None and cover.severity is not None
        if cover.frequency_by == "class_and_age_band":
            assert cover.frequency_age_factors is not None
            base = cover.frequency[cls - 1] * cover.frequency_age_factors[band]
        else:
            base = cover.frequency[cls - 1 if cover.frequency_by == "class" else band]
        frequency = base * _country_product(country, list(cover.frequency_country_factors))
        s = (
            getattr(country, cover.severity_country_factor)
            if cover.severity_country_factor
            else 1.0
        )
        sev = cover.severity
        if sev.distribution == "lognormal":
            assert sev.sigma is not None
            mu = math.log(sev.mean) - sev.sigma**2 / 2.0 + math.log(s)
            partial = (mu, sev.sigma)
        else:
            assert sev.cv is not None
            partial = (1.0 / sev.cv**2, sev.mean * sev.cv**2 * s)
        mean, second = layered_payment_moments(
            sev.distribution, partial, benefit.deductible, benefit.amount
        )
        c = benefit.coinsurance
        return frequency * c * mean, frequency, c * c * second
    # per_member: hospital cash
    assert cover.amount is not None and cover.max_days_factors is not None
    assert cover.age_factors is not None and cover.amount_unit is not None
    assert cover.mean_claim_days is not None
    base = cover.amount[cls - 1 if cover.amount_by == "class" else band]
    pure = (
        base
        * (benefit.amount / cover.amount_unit)
        * cover.max_days_factors[str(benefit.max_days)]
        * _country_product(country, list(cover.country_factors))
        * cover.age_factors[band]
    )
    size = benefit.amount * min(cover.mean_claim_days, benefit.max_days)
    return pure, pure / size, size * size


def _expected_excess(n: int, p: float, mean_si: float, retention: float) -> float:
    """E[max(0, K·s̄ − R)] for K ~ Binomial(n, p), by summing the pmf."""
    total = 0.0
    for k in range(n + 1):
        payoff = k * mean_si - retention
        if payoff <= 0.0:
            continue
        probability = float(stats.binom.pmf(k, n, p))
        if probability == 0.0 and k > n * p:
            break  # the upper tail has underflowed: every later term is 0 too
        total += probability * payoff
    return total


def reference_quote(
    request: QuoteRequest, tariff: Tariff, as_of: dt.date, today: dt.date | None = None
) -> RefQuote:
    """Price ``request`` under ``tariff`` one member and one cover at a time."""
    assert tariff.effective_date <= as_of, "the tariff is not in force on the as-of date"
    params = tariff.params
    fx = 1.0 if request.currency == params.tariff.base_currency else float(params.fx.USD)
    commission = (
        float(request.commission)
        if request.commission is not None
        else params.loadings.commission_default
    )
    u = float(request.underwriter_adjustment or 0)
    policy_whole_months = 0  # whole months: the period reaches the day before start + k months
    while (
        _add_months(request.period.start, policy_whole_months + 1) - dt.timedelta(days=1)
        <= request.period.end
    ):
        policy_whole_months += 1

    members = _members(request, tariff, fx)
    declined: dict[str, set[str]] = {}
    accepted: list[_Member] = []
    for m in members:
        if m.reasons:
            declined.setdefault(m.row_id, set()).update(m.reasons)
        else:
            accepted.append(m)
    headcount = len(accepted)

    # Step 1: annual pure premium, frequency and second moment; step 2: term.
    lines: list[_Line] = []
    for m in accepted:
        term = params.short_period.factors[months_begun(m.start, m.end) - 1]
        for code, benefit in m.benefits.items():
            pure, frequency, second = _annual(params.covers[code], m, benefit, tariff)
            lines.append(_Line(m, code, pure, frequency, second, term=term))

    # Step 3: experience.
    f_exp = 1.0
    loss_ratio = None
    if request.experience is not None and headcount:
        e = request.experience
        ep = params.experience
        expected = e.member_years * sum(line.pure for line in lines) / headcount
        actual = float(e.incurred_claims) * fx
        loss_ratio = actual / expected if expected > 0 else 1.0
        n_full = (
            stats.norm.ppf((1.0 + ep.credibility_probability) / 2.0) / ep.credibility_tolerance
        ) ** 2
        if ep.full_credibility == "aggregate":
            # One claim's size Y drawn from the census's covers with probability ∝ λ:
            # E[Y] = Σ λ·E[Y_c] / Σ λ (λ·E[Y_c] is the pure premium), E[Y²] likewise.
            claims = sum(line.frequency for line in lines)
            mean_y = sum(line.pure for line in lines) / claims if claims else 0.0
            mean_y2 = (
                sum(line.frequency * line.second_moment for line in lines) / claims
                if claims
                else 0.0
            )
            cv2 = max(mean_y2 / mean_y**2 - 1.0, 0.0) if mean_y > 0 else 0.0
            n_full *= 1.0 + cv2
        z = min(1.0, math.sqrt(e.claim_count / n_full))
        f_exp = min(max(z * loss_ratio + 1.0 - z, ep.factor_min), ep.factor_max)

    # Step 4: group size.
    f_group = params.group_size[0].factor
    for band in params.group_size:
        if band.min_headcount <= headcount:
            f_group = band.factor

    # Step 5: volatility, V = Σ λ t E[Y²] over every accepted member-cover.
    variance = sum(line.frequency * line.term * line.second_moment for line in lines)
    sd = math.sqrt(variance)
    alpha = params.volatility.alpha

    # Step 6: accumulation on the AD&D sites.
    acc = params.accumulation
    sites: dict[tuple[str, str | None], list[_Line]] = defaultdict(list)
    for line in lines:
        if line.cover == acc.cover:
            sites[line.member.site_key].append(line)
    site_totals: dict[tuple[str, str | None], float] = {}
    policy_days = (request.period.end - request.period.start).days + 1
    for key, site_lines in sites.items():
        total_si = sum(line.member.benefits[acc.cover].amount for line in site_lines)
        site_totals[key] = total_si
        tier = site_lines[0].member.country.tier
        rate = acc.event_rate_by_tier[tier - 1]
        if acc.exposure == "presence":
            # t = covered days / policy days; N = max(1, round half up of Σ t).
            days = {
                id(x): min((x.member.end - x.member.start).days + 1, policy_days)
                for x in site_lines
            }
            sum_t = Fraction(sum(days.values()), policy_days)
            n = max(1, math.floor(sum_t + Fraction(1, 2)))
            weighted = sum(days[id(x)] * x.member.benefits[acc.cover].amount for x in site_lines)
            mean_si = weighted / sum(days.values())
            loading = rate * _expected_excess(n, acc.victim_probability, mean_si, acc.retention)
            for line in site_lines:
                amount = line.member.benefits[acc.cover].amount
                line.accumulation = loading * days[id(line)] * amount / weighted
        else:
            n = len(site_lines)
            loading = rate * _expected_excess(
                n, acc.victim_probability, total_si / n, acc.retention
            )
            for line in site_lines:
                line.accumulation = (
                    loading * line.member.benefits[acc.cover].amount / total_si * line.term
                )

    # Steps 7-10: gross-up, adjustment, VAT, currency, rounding per member line.
    divisor = 1.0 - commission - params.loadings.expenses - params.loadings.profit
    premium: dict[tuple[str, str], int] = defaultdict(int)
    vat: dict[tuple[str, str], int] = defaultdict(int)
    member_cents: dict[int, int] = defaultdict(int)  # id(member) -> sum of its lines
    for line in lines:
        cover = params.covers[line.cover]
        v = cover.vat_rate
        if (
            cover.vat_exempt_min_months is not None
            and policy_whole_months >= cover.vat_exempt_min_months
        ):
            v = 0.0
        risk = line.pure * line.term * f_exp * f_group
        volatility = alpha * line.frequency * line.term * line.second_moment / sd if sd > 0 else 0.0
        technical = risk + volatility + line.accumulation
        amount = technical / divisor * (1.0 + u) * (1.0 + v) / fx
        cents = round_half_up_cents(amount)
        key = (line.member.row_id, line.cover)
        premium[key] += cents
        vat[key] += round_half_up_cents(cents / 100.0 * v / (1.0 + v))
        member_cents[id(line.member)] += cents

    # Step 11: minimums, per member first, then per policy.
    mins = params.minimums
    vr = mins.vat_rate
    member_min = round_half_up_cents(mins.member / fx)
    member_minimums: dict[str, int] = defaultdict(int)
    member_minimum_vat: dict[str, int] = defaultdict(int)
    for m in accepted:
        shortfall = member_min - member_cents[id(m)]
        if shortfall > 0:
            member_minimums[m.row_id] += shortfall
            member_minimum_vat[m.row_id] += round_half_up_cents(shortfall / 100.0 * vr / (1.0 + vr))
    subtotal = sum(premium.values()) + sum(member_minimums.values())
    policy_minimum = policy_minimum_vat = 0
    policy_min = round_half_up_cents(mins.policy / fx)
    if headcount and subtotal < policy_min:
        policy_minimum = policy_min - subtotal
        policy_minimum_vat = round_half_up_cents(policy_minimum / 100.0 * vr / (1.0 + vr))

    # Referrals.
    uw = params.underwriting
    codes: set[str] = set()
    for m in accepted:
        if m.country.status == "refer":
            codes.add("country_refer")
        if m.occupation_class > uw.auto_max_class:
            codes.add("occupation_class")
        for code, benefit in m.benefits.items():
            if benefit.amount > params.covers[code].auto_limit:
                codes.add("sum_insured_limit")
    if sum(site_totals.values()) > uw.group_sum_insured_limit:
        codes.add("group_sum_insured")
    if any(total > uw.site_accumulation_limit for total in site_totals.values()):
        codes.add("site_accumulation")
    if request.period.start < (today or as_of):  # backdating is judged on the business date
        codes.add("backdated_period")
    if f_exp < 1.0 - params.experience.refer_discount - 1e-12:
        codes.add("experience_discount")
    if loss_ratio is not None and loss_ratio > params.experience.refer_loss_ratio:
        codes.add("experience_loss_ratio")
    if abs(request.underwriter_adjustment or Decimal(0)) > Decimal(repr(uw.adjustment_authority)):
        codes.add("adjustment_authority")

    status = "declined" if not accepted else ("referred" if codes else "accepted")
    total_premium = sum(premium.values()) + sum(member_minimums.values()) + policy_minimum
    total_vat = sum(vat.values()) + sum(member_minimum_vat.values()) + policy_minimum_vat
    return RefQuote(
        status=status,
        lines=dict(premium),
        vat=dict(vat),
        member_minimums=dict(member_minimums),
        policy_minimum=policy_minimum,
        total_premium_cents=total_premium,
        total_vat_cents=total_vat,
        declined=declined,
        referral_codes=codes,
        member_minimum_vat=dict(member_minimum_vat),
        policy_minimum_vat=policy_minimum_vat,
    )
