"""SPEC §3 steps 3–6: the quote-level factors and loadings on the annual pure premium —
experience, group size, volatility and accumulation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from quoting.pricing._inputs import FloatArray, IntArray, RatingInput
from quoting.tariff import COVER_CODES, TariffParams

__all__ = [
    "Accumulation",
    "ClaimMix",
    "ExperienceResult",
    "SiteAccumulation",
    "Volatility",
    "accumulation_loading",
    "claim_mix",
    "experience_factor",
    "full_credibility_claims",
    "group_size_factor",
    "volatility_loading",
]


@dataclass(frozen=True, slots=True)
class ExperienceResult:
    """Step 3: the group's claims experience against the tariff's expectation."""

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
        """No site (no member has the accumulation cover)."""
        f, i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return cls(i, f, f, i, f, f, f, f)


@dataclass(frozen=True, slots=True)
class Volatility:
    """Step 5: the group's Var(S), its loading, and each line's per-member allocation."""

    claims_variance: float
    total: float
    per_line: FloatArray


@dataclass(frozen=True, slots=True)
class Accumulation:
    """Step 6: per-member loading of each line, the group total, and the sites' figures."""

    per_line: FloatArray
    total: float
    sites: SiteAccumulation
    #: the accumulation cover's total sum insured per site (for the site referral)
    site_sum_insured: FloatArray


@dataclass(frozen=True, slots=True)
class ClaimMix:
    """The census's claim-size mixture, weighted by expected annual claim counts: Σ w,
    Σ w·E[Y] and Σ w·E[Y²] over member-cover lines (w = heads × λ)."""

    claims: float
    first: float
    second: float

    @property
    def cv_squared(self) -> float:
        """CV² = E[Y²] / E[Y]² − 1 of one claim drawn from the mixture (0 without claims)."""
        if self.claims <= 0 or self.first <= 0:
            return 0.0
        return max(self.second * self.claims / (self.first * self.first) - 1.0, 0.0)


def claim_mix(
    line_heads: FloatArray, pure: FloatArray, frequency: FloatArray, second_moment: FloatArray
) -> ClaimMix:
    """The mixture of the lines' claim sizes; heads × pure is heads × λ × E[Y]."""
    return ClaimMix(
        claims=float((line_heads * frequency).sum()),
        first=float((line_heads * pure).sum()),
        second=float((line_heads * frequency * second_moment).sum()),
    )


def full_credibility_claims(params: TariffParams, mix: ClaimMix | None) -> float:
    """n_full: (z/k)² claims, × (1 + CV²) under the tariff's ``aggregate`` standard."""
    ep = params.experience
    # The standard normal quantile (scipy.stats.norm.ppf is the same function, ndtri, at
    # the cost of importing all of scipy.stats).
    z_score = float(special.ndtri((1.0 + ep.credibility_probability) / 2.0))
    n_full = (z_score / ep.credibility_tolerance) ** 2
    if ep.full_credibility == "aggregate" and mix is not None:
        n_full *= 1.0 + mix.cv_squared
    return n_full


def experience_factor(
    inp: RatingInput, params: TariffParams, expected_per_member: float, mix: ClaimMix | None = None
) -> ExperienceResult | None:
    """Step 3: limited-fluctuation credibility of the stated claims experience, bounded by
    the tariff's caps; None without experience. ``mix`` is the census's claim-size mix
    (needed by the ``aggregate`` standard)."""
    exp = inp.experience
    if exp is None:
        return None
    ep = params.experience
    n_full = full_credibility_claims(params, mix)
    expected = exp.member_years * expected_per_member
    ratio = exp.incurred_claims / expected if expected > 0 else 1.0
    z = min(1.0, float(np.sqrt(exp.claim_count / n_full)))
    factor = float(np.clip(z * ratio + (1.0 - z), ep.factor_min, ep.factor_max))
    return ExperienceResult(exp.incurred_claims, expected, ratio, z, n_full, factor)


def group_size_factor(params: TariffParams, accepted_headcount: int) -> float:
    """Step 4: the factor of the headcount band the accepted members fall in."""
    bands = params.group_size
    heads = np.array([b.min_headcount for b in bands])
    band = max(int(np.searchsorted(heads, accepted_headcount, side="right")) - 1, 0)
    return float(bands[band].factor)


def volatility_loading(
    params: TariffParams,
    line_heads: FloatArray,
    frequency: FloatArray,
    term: FloatArray,
    second_moment: FloatArray,
) -> Volatility:
    """Step 5: α·sqrt(Var(S)) of the compound-Poisson aggregate claims, allocated to each
    line by its share of Var(S) (so the allocations sum to the group loading)."""
    var_line = line_heads * frequency * term * second_moment  # row total
    var_total = float(var_line.sum())
    alpha = params.volatility.alpha
    sd = float(np.sqrt(var_total))
    per_line = (alpha * var_line / sd / line_heads) if sd > 0 else np.zeros(line_heads.size)
    return Volatility(var_total, alpha * sd, per_line)


def accumulation_loading(
    inp: RatingInput,
    params: TariffParams,
    country_tier: IntArray,
    line_row: IntArray,
    line_cover: IntArray,
    term: FloatArray,
) -> Accumulation:
    """Step 6: per site, the event rate of its country tier × E[max(0, K·s̄ − R)] with
    K ~ Binomial(N, p_victim), allocated to the site's members by their exposure share.

    Exposure ``headcount``: N = members, s̄ = mean SI, share by SI, × the term factor.
    Exposure ``presence``: t = covered days / policy days, N = max(1, ⌊Σt + ½⌋),
    s̄ = Σt·SI / Σt, share by t·SI, no term factor (the loading is for the exposure present).
    """
    acc = params.accumulation
    acc_c = COVER_CODES.index(acc.cover)
    per_line = np.zeros(line_row.size)
    acc_lines = np.flatnonzero(line_cover == acc_c)
    if not acc_lines.size:
        return Accumulation(per_line, 0.0, SiteAccumulation.empty(), np.zeros(0))
    acc_rows = line_row[acc_lines]
    headcount = inp.headcount[acc_rows].astype(np.float64)
    si = inp.plans.amount[inp.plan[acc_rows], acc_c]
    site_ids, site_of_line = np.unique(inp.site[acc_rows], return_inverse=True)
    site_si_total = np.bincount(site_of_line, weights=si * headcount).astype(np.float64)
    if acc.exposure == "presence":
        days, policy_days = inp.presence_days()
        # weight = covered days (t × policy days); whole days keep ⌊Σt + ½⌋ exact.
        weight = days[acc_rows].astype(np.float64)
        site_days = np.bincount(site_of_line, weights=weight * headcount)
        site_days_int = np.rint(site_days).astype(np.int64)  # sums of whole days
        n_site = np.maximum(1, (2 * site_days_int + policy_days) // (2 * policy_days))
        n_site = n_site.astype(np.float64)
        exposure_si = np.bincount(site_of_line, weights=weight * si * headcount)
        mean_si = exposure_si / site_days
        share = weight * si / exposure_si[site_of_line]
        member_term = np.ones(acc_lines.size)
    else:
        n_site = np.bincount(site_of_line, weights=headcount).astype(np.float64)
        mean_si = site_si_total / n_site
        share = si / site_si_total[site_of_line]  # one member's share of the site's SI
        member_term = term[acc_lines]
    site_tier = np.zeros(site_ids.size, dtype=np.int64)
    site_tier[site_of_line] = country_tier[inp.country[acc_rows]]
    event_rate = np.asarray(acc.event_rate_by_tier)[site_tier - 1]
    excess = _expected_accumulation(n_site, mean_si, acc.victim_probability, acc.retention)
    site_loading = event_rate * excess
    per_member = site_loading[site_of_line] * share * member_term
    per_line[acc_lines] = per_member
    allocated = np.bincount(site_of_line, weights=per_member * headcount).astype(np.float64)
    sites = SiteAccumulation(
        site_ids, n_site, mean_si, site_tier, event_rate, excess, site_loading, allocated
    )
    return Accumulation(per_line, float(allocated.sum()), sites, site_si_total)


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
