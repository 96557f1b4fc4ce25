"""Golden cases: premiums computed by hand from the tariff 2026.2 figures.

Each case writes out the calculation with the tariff values it uses (tariff.toml and
countries.csv of tariffs/2026.2), then checks the engine's quote against it, both the
formula and the literal cents. Steps are numbered as in SPEC §3 / docs/rating-model.md.
Common figures: expenses 0.12 + profit 0.05 + default commission 0.15 → divisor 0.68;
volatility α = 0.03; VAT 6 %; 12-month term → short-period factor 1.00.
"""

from __future__ import annotations

import math
from decimal import Decimal

from scipy import integrate, stats
from scipy.special import ndtr

from quoting.services import quote_request
from tests.support import TARIFF_DIR, make_request

DIVISOR = 1 - 0.15 - 0.12 - 0.05  # 0.68
ALPHA = 0.03


def cents(x: float) -> Decimal:
    return Decimal(repr(round(float(x), 8))).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def test_per_mille_sickness_death_group_of_40():
    """sdeath 100,000 for 40 members in Serbia, class 2, age 40.

    1. P = 100000/1000 × rate 0.60 × (no country factor) × age factor 1.00 (band 36–45) = 60.00
    4. 40 members → group-size band 30–99 → 1.00; R = 60.00
    5. every claim pays the SI: v = λ·SI² = P·SI per member, V = 40·P·SI,
       per-member loading = α·P·SI/√V = 0.03·√(60·100000/40) = 0.03·387.2983 = 11.618950
    6. no accumulation (sdeath is not the accumulation cover)
    7–10. (60 + 11.618950) / 0.68 × 1.06 = 111.641304 → 111.64; VAT 111.64·0.06/1.06 = 6.32
    40 members: 4,465.60, VAT 252.80.
    """
    request = make_request(
        {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 40}]},
        {"sdeath": {"sum_insured": "100000"}},
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    line = quote.members[0].lines[0]
    per_member = (60.0 + ALPHA * math.sqrt(60.0 * 100000 / 40)) / DIVISOR * 1.06
    assert cents(per_member) == Decimal("111.64")
    assert line.premium == "4465.60" == str(cents(per_member) * 40)
    assert line.vat == "252.80"
    assert quote.total_premium == "4465.60"
    assert quote.total_vat == "252.80"
    assert quote.status == "accepted"
    assert line.factors["annual_pure_premium"] == 60.0
    assert line.factors["group_size_factor"] == 1.0


def _lognormal_layer(mean: float, sigma: float, scale: float, d: float, limit: float):
    """E[Y], E[Y²] of Y = min(max(X − d, 0), limit), X lognormal (mean·scale, σ)."""
    mu = math.log(mean) - sigma**2 / 2 + math.log(scale)

    def m(k: int, a: float) -> float:  # E[X^k; X <= a]
        return math.exp(k * mu + k * k * sigma**2 / 2) * ndtr(
            (math.log(a) - mu - k * sigma**2) / sigma
        )

    u = d + limit
    lev_u = m(1, u) + u * (1 - m(0, u))
    lev_d = m(1, d) + d * (1 - m(0, d))
    second = (m(2, u) - m(2, d)) - 2 * d * (m(1, u) - m(1, d)) + d * d * (m(0, u) - m(0, d))
    second += limit**2 * (1 - m(0, u))
    return lev_u - lev_d, second


def test_frequency_severity_accident_medical_with_deductible_limit_coinsurance():
    """amed limit 50,000, deductible 200, coinsurance 80 %, 40 members in Kenya, class 4.

    Kenya: accident 1.32, medical_cost 0.77. amed: frequency class 4 = 0.110,
    × accident 1.32 → λ = 0.1452; severity lognormal mean 6,000, σ 1.40, scaled by 0.77:
    μ = ln 6000 − 0.98 + ln 0.77 = 7.458150.
    E[min(max(X−200,0),50000)] = LEV(50,200) − LEV(200) = 4,103.2909 (closed form,
    cross-checked by numerical integration below); × 0.8 = 3,282.6327 = E[payment]
    1. P = 0.1452 × 3,282.6327 = 476.638268
    5. E[payment²] = 0.64 × 71,191,174.86; loading per member = α·√(λ·E[payment²]/40) = 12.200500
    7–10. (476.638268 + 12.200500)/0.68 × 1.06 = 762.013373 → 762.01; × 40 = 30,480.40
    """
    request = make_request(
        {"groups": [{"country": "Kenya", "occupation_class": 4, "age": 35, "headcount": 40}]},
        {"amed": {"limit": "50000", "deductible": "200", "coinsurance": "0.8"}},
    )
    first, second = _lognormal_layer(6000, 1.4, 0.77, 200, 50000)
    # Independent check of the closed form by quadrature.
    x = stats.lognorm(1.4, scale=math.exp(math.log(6000) - 0.98) * 0.77)
    quad = integrate.quad(lambda v: (v - 200) * x.pdf(v), 200, 50200, limit=400)[0] + 50000 * x.sf(
        50200
    )
    assert math.isclose(first, quad, rel_tol=1e-7)
    assert math.isclose(first, 4103.2909, rel_tol=1e-7)

    lam = 0.110 * 1.32
    pure = lam * 0.8 * first
    loading = ALPHA * math.sqrt(lam * 0.64 * second / 40)
    per_member = (pure + loading) / DIVISOR * 1.06
    assert cents(per_member) == Decimal("762.01")

    quote = quote_request(request, tariff_root=TARIFF_DIR)
    line = quote.members[0].lines[0]
    assert line.premium == "30480.40"
    assert math.isclose(line.factors["expected_payment"], 0.8 * first, rel_tol=1e-9)
    assert math.isclose(line.factors["annual_pure_premium"], pure, rel_tol=1e-9)
    assert quote.total_premium == "30480.40"


def _binomial_excess(n: int, p: float, mean_si: float, retention: float) -> float:
    """E[max(0, K·s̄ − R)], K ~ Binomial(n, p), by summing the probability of each K."""
    return sum(
        math.comb(n, k) * p**k * (1 - p) ** (n - k) * max(0.0, k * mean_si - retention)
        for k in range(n + 1)
    )


def test_group_volatility_and_accumulation_loading_add():
    """AD&D 500,000: 60 class-4 workers aged 35 on the Karot site (Pakistan) and 20 class-2
    engineers aged 45 in Pakistan without a site.

    Pakistan: accident 1.01, security 1.35, tier 5 (event rate 0.004).
    1. P(class 4) = 500 × 0.95 × 1.01 × 1.35 = 647.6625; P(class 2) = 500 × 0.45 × 1.3635 = 306.7875
    4. 80 members → group-size factor 1.00
    5. V = Σ P·SI = 500,000 × (60 × 647.6625 + 20 × 306.7875) = 22,497,750,000;
       √V = 149,992.50; the group loading α·√V = 4,499.77 is shared by P·SI/√V:
       class 4: 0.03 × 647.6625 × 500,000 / 149,992.50 = 64.7695, class 2: 30.6803
    6. Karot: N = 60, s̄ = 500,000, K ~ Bin(60, 0.05), R = 3,000,000:
       E[max(0, 500,000·K − 3,000,000)] = 21,642.82 (sum over K below); × 0.004 = 86.571 a
       year for the site, 1.44285 per member (equal SI). Pakistan without site: N = 20,
       E = 18.506 → × 0.004 = 0.074026, 0.0037013 per member.
    7–10. class 4: (647.6625 + 64.7695 + 1.44285)/0.68 × 1.06 = 1,112.8049 → 1,112.80 × 60
          = 66,768.00; class 2: (306.7875 + 30.6803 + 0.0037)/0.68 × 1.06 = 526.0585 → 526.06
          × 20 = 10,521.20.
    """
    request = make_request(
        {
            "groups": [
                {
                    "country": "PK",
                    "occupation_class": 4,
                    "age": 35,
                    "headcount": 60,
                    "site": "Karot",
                },
                {"country": "PK", "occupation_class": 2, "age": 45, "headcount": 20},
            ]
        },
        {"add": {"sum_insured": "500000"}},
    )
    pk = 1.01 * 1.35
    p4, p2 = 500 * 0.95 * pk, 500 * 0.45 * pk
    sd = math.sqrt(500000 * (60 * p4 + 20 * p2))
    vol4, vol2 = ALPHA * p4 * 500000 / sd, ALPHA * p2 * 500000 / sd
    acc_site = 0.004 * _binomial_excess(60, 0.05, 500000, 3_000_000)
    acc_country = 0.004 * _binomial_excess(20, 0.05, 500000, 3_000_000)
    assert math.isclose(acc_site, 0.004 * 21642.8166, rel_tol=1e-8)
    prem4 = (p4 + vol4 + acc_site / 60) / DIVISOR * 1.06
    prem2 = (p2 + vol2 + acc_country / 20) / DIVISOR * 1.06

    quote = quote_request(request, tariff_root=TARIFF_DIR)
    l4, l2 = quote.members[0].lines[0], quote.members[1].lines[0]
    assert math.isclose(l4.factors["volatility_loading"], vol4, rel_tol=1e-9)
    assert math.isclose(l4.factors["accumulation_loading"], acc_site / 60, abs_tol=1e-9)
    assert math.isclose(
        l2.factors["accumulation_loading"], acc_country / 20, abs_tol=1e-9
    )  # trace: 9 decimals
    assert Decimal(l4.premium) == cents(prem4) * 60
    assert Decimal(l2.premium) == cents(prem2) * 20
    assert (l4.premium, l2.premium) == ("66768.00", "10521.20")
    # the group's volatility loading is fully allocated
    assert math.isclose(60 * vol4 + 20 * vol2, ALPHA * sd, rel_tol=1e-12)


def test_minimum_premiums_are_explicit_lines():
    """Three members with sdeath 10,000 only: far below every minimum.

    P = 10 × 0.60 × age factor 1.00 (ages 40) = 6.00; group size 1–9 → 1.15 → R = 6.90;
    V = Σ λ·SI² with λ = P/SI (before the group-size factor) = 3 × 6 × 10,000 = 180,000,
    loading per member = α·P·SI/√V = 0.03 × 60,000/424.264 = 4.2426;
    premium (6.90 + 4.2426)/0.68 × 1.06 = 17.37 a member; VAT 0.98.
    Member minimum 100.00 → shortfall 82.63 each (VAT 82.63·0.06/1.06 = 4.68);
    then 3 × 100 = 300.00 < policy minimum 3,000.00 → policy line 2,700.00 (VAT 152.83).
    Total 3,000.00 exactly, VAT 3×0.98 + 3×4.68 + 152.83 = 169.81.
    """
    members = [
        {
            "member_id": f"M{i}",
            "name": f"Member {i}",
            "age": 40,
            "occupation_class": 1,
            "country": "Malaysia",
        }
        for i in range(3)
    ]
    quote = quote_request(
        make_request({"members": members}, {"sdeath": {"sum_insured": "10000"}}),
        tariff_root=TARIFF_DIR,
    )
    per_member = (6.0 * 1.15 + ALPHA * 60000 / math.sqrt(180000)) / DIVISOR * 1.06
    assert cents(per_member) == Decimal("17.37")
    assert [m.premium for m in quote.members] == ["17.37"] * 3
    kinds = [(a.kind, a.member_id, a.premium, a.vat) for a in quote.adjustments]
    assert kinds == [
        ("member_minimum", "M0", "82.63", "4.68"),
        ("member_minimum", "M1", "82.63", "4.68"),
        ("member_minimum", "M2", "82.63", "4.68"),
        ("policy_minimum", None, "2700.00", "152.83"),
    ]
    assert quote.total_premium == "3000.00"
    assert quote.total_vat == "169.81"


def test_usd_quote_amounts_and_premium_in_dollars():
    """sdeath USD 50,000 for the 40 members of the first case, quoted in USD at the tariff's
    7.12 CNY/USD. Plan amounts are in the quote currency, so the rating uses
    SI = 50,000 × 7.12 = CNY 356,000:
    1. P = 356 × 0.60 = 213.60
    5. loading = α·√(P·SI/40) = 0.03 × √1,901,040 = 0.03 × 1,378.7821 = 41.363462
    7–10. (213.60 + 41.363462)/0.68 × 1.06 = 397.443044 CNY / 7.12 = 55.820652 → USD 55.82 a member
    (half the CNY 100,000 case, as every step scales with the amounts); × 40 = 2,232.80;
    VAT 55.82·0.06/1.06 = 3.16, × 40 = 126.40.
    """
    request = make_request(
        {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 40}]},
        {"sdeath": {"sum_insured": "50000"}},
        currency="USD",
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    si = 50000 * 7.12
    pure = si / 1000 * 0.60
    per_member = (pure + ALPHA * math.sqrt(pure * si / 40)) / DIVISOR * 1.06 / 7.12
    assert cents(per_member) == Decimal("55.82")
    line = quote.members[0].lines[0]
    assert quote.currency == "USD"
    assert line.factors["sum_insured"] == 356000.0
    assert line.premium == "2232.80"
    assert line.vat == "126.40"
    assert quote.total_premium == "2232.80"
