"""Unit tests of each rating step in isolation (SPEC §3 steps 1–11)."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from scipy import integrate, stats

from quoting.pricing import cents_to_text, price, round_half_up_cents
from quoting.pricing._loadings import _expected_accumulation
from quoting.pricing._money import text_to_cents
from quoting.pricing._severity import gamma_params, layer_moments, lognormal_params
from quoting.rating_input import resolve
from quoting.services import quote_request
from tests.support import TARIFF_DIR, make_request


def _numerical_layer(dist, d: float, limit: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    u = d + limit
    first = integrate.quad(lambda x: (x - d) * dist.pdf(x), d, u, limit=500)[0] + limit * dist.sf(u)
    second = integrate.quad(lambda x: (x - d) ** 2 * dist.pdf(x), d, u, limit=500)[0]
    return first, second + limit**2 * dist.sf(u)


@pytest.mark.parametrize(
    ("d", "limit", "scale"), [(0, 1e6, 1.0), (100, 5e4, 1.7), (500, 1e3, 0.8), (2e4, 3e5, 1.2)]
)
def test_step1_lognormal_layer_moments_match_integration(d, limit, scale):
    mu, sigma = lognormal_params(4800, 1.8)
    first, second = layer_moments(
        "lognormal", (mu, sigma), np.array([scale]), np.array([d]), np.array([limit])
    )
    dist = stats.lognorm(sigma, scale=math.exp(mu) * scale)
    e1, e2 = _numerical_layer(dist, d, limit)
    assert first[0] == pytest.approx(e1, rel=1e-7)
    assert second[0] == pytest.approx(e2, rel=1e-6)


@pytest.mark.parametrize(("d", "limit", "scale"), [(0, 1e6, 1.0), (1000, 1e5, 1.5), (0, 2e4, 0.9)])
def test_step1_gamma_layer_moments_match_integration(d, limit, scale):
    shape, theta = gamma_params(70000, 0.9)
    first, second = layer_moments(
        "gamma", (shape, theta), np.array([scale]), np.array([d]), np.array([limit])
    )
    dist = stats.gamma(shape, scale=theta * scale)
    e1, e2 = _numerical_layer(dist, d, limit)
    assert first[0] == pytest.approx(e1, rel=1e-7)
    assert second[0] == pytest.approx(e2, rel=1e-6)


def test_step1_parametrisation_keeps_the_mean():
    mu, sigma = lognormal_params(6000, 1.4)
    assert math.exp(mu + sigma**2 / 2) == pytest.approx(6000)
    shape, theta = gamma_params(70000, 0.9)
    assert shape * theta == pytest.approx(70000)
    assert math.sqrt(shape) * theta / (shape * theta) == pytest.approx(0.9)


def test_step1_deductible_lowers_and_limit_caps_expected_payment():
    mu, sigma = lognormal_params(4800, 1.8)
    ones = np.ones(4)
    first, _ = layer_moments(
        "lognormal", (mu, sigma), ones, np.array([0, 500, 0, 0]), np.array([1e6, 1e6, 1e4, 1e3])
    )
    assert first[0] > first[1] > 0
    assert first[0] > first[2] > first[3] > 0
    assert first[3] <= 1e3


def _single(covers, **member):  # type: ignore[no-untyped-def]
    census = {
        "members": [
            {
                "member_id": "M1",
                "name": "A",
                "country": "RS",
                "occupation_class": 2,
                "age": 40,
                **member,
            }
        ]
    }
    return make_request(census, covers)


def test_step2_short_period_factor_by_months_begun(tariff):
    factors = tariff.params.short_period.factors
    for months, end in [
        (1, "2027-01-31"),
        (2, "2027-02-01"),
        (6, "2027-06-30"),
        (12, "2027-12-31"),
    ]:
        request = make_request(
            {
                "members": [
                    {
                        "member_id": "M1",
                        "name": "A",
                        "country": "RS",
                        "occupation_class": 2,
                        "age": 40,
                    }
                ]
            },
            {"sdeath": {"sum_insured": "100000"}},
            period={"start": "2027-01-01", "end": end},
        )
        line = quote_request(request, tariff_root=TARIFF_DIR).members[0].lines[0]
        assert line.factors["months"] == months
        assert line.factors["term_factor"] == factors[months - 1]


def test_step3_experience_credibility(tariff):
    """n_full = (Φ⁻¹(0.95)/0.05)² = 1082.2 claims; 100 claims → Z = √(100/1082.2) = 0.3040.
    Claims at 150 % of expected → f = 0.3040 × 1.5 + 0.6960 = 1.1520."""
    group = {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 100}]}
    covers = {"sdeath": {"sum_insured": "100000"}}
    base = quote_request(make_request(group, covers), tariff_root=TARIFF_DIR)
    pure = base.members[0].lines[0].factors["annual_pure_premium"]  # 60.00 per member
    expected = 250 * pure
    request = make_request(
        group,
        covers,
        experience={
            "start": "2024-01-01",
            "end": "2025-12-31",
            "member_years": 250,
            "claim_count": 100,
            "incurred_claims": str(1.5 * expected),
        },
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    n_full = (stats.norm.ppf(0.95) / 0.05) ** 2
    assert n_full == pytest.approx(1082.217, rel=1e-6)
    z = math.sqrt(100 / n_full)
    assert quote.members[0].lines[0].factors["experience_factor"] == pytest.approx(
        z * 1.5 + 1 - z, rel=1e-9
    )
    assert {r.code for r in quote.referrals} == {"experience_loss_ratio"}  # A/E 150 % > 100 %


def test_step3_experience_factor_is_capped(tariff):
    group = {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 100}]}
    request = make_request(
        group,
        {"sdeath": {"sum_insured": "100000"}},
        experience={
            "start": "2024-01-01",
            "end": "2025-12-31",
            "member_years": 200,
            "claim_count": 1100,
            "incurred_claims": "0",
        },
    )
    line = quote_request(request, tariff_root=TARIFF_DIR).members[0].lines[0]
    assert line.factors["experience_factor"] == tariff.params.experience.factor_min


@pytest.mark.parametrize(
    ("headcount", "factor"),
    [
        (1, 1.15),
        (9, 1.15),
        (10, 1.05),
        (29, 1.05),
        (30, 1.0),
        (100, 0.96),
        (999, 0.93),
        (1000, 0.90),
    ],
)
def test_step4_group_size_band(headcount, factor):
    group = {
        "groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": headcount}]
    }
    line = (
        quote_request(
            make_request(group, {"sdeath": {"sum_insured": "100000"}}), tariff_root=TARIFF_DIR
        )
        .members[0]
        .lines[0]
    )
    assert line.factors["group_size_factor"] == factor


def test_step5_volatility_loading_is_allocated_exactly(tariff):
    census = {
        "members": [
            {"member_id": f"M{i}", "name": "A", "country": c, "occupation_class": k, "age": 30 + i}
            for i, (c, k) in enumerate([("RS", 1), ("PK", 4), ("KE", 6), ("ID", 3)])
        ]
    }
    covers = {
        "add": {"sum_insured": "800000"},
        "smed": {"limit": "500000"},
        "hcash": {"daily_benefit": "100", "max_days": 90},
    }
    resolved = resolve(make_request(census, covers), tariff, fx_rate=1.0)
    priced = price(resolved.rating, tariff)
    allocated = float((priced.trace["volatility_loading"]).sum())
    assert allocated == pytest.approx(priced.volatility_loading, rel=1e-12)
    assert priced.volatility_loading > 0


def test_step6_accumulation_closed_form_equals_binomial_sum():
    n = np.array([1.0, 5.0, 40.0, 200.0, 60.0])
    mean_si = np.array([5e5, 1e6, 5e5, 2e5, 3e6])
    for p, retention in [(0.05, 3e6), (0.25, 1e6), (0.1, 0.0)]:
        got = _expected_accumulation(n, mean_si, p, retention)
        for i in range(n.size):
            k = np.arange(int(n[i]) + 1)
            want = float(
                (stats.binom.pmf(k, int(n[i]), p) * np.maximum(0, k * mean_si[i] - retention)).sum()
            )
            assert got[i] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_step6_members_without_site_share_a_country_site(tariff):
    members = [
        {
            "member_id": f"M{i}",
            "name": "A",
            "country": "PK",
            "occupation_class": 2,
            "age": 40,
            **({"site": "Karot"} if i < 10 else {}),
        }
        for i in range(30)
    ]
    resolved = resolve(
        make_request({"members": members}, {"add": {"sum_insured": "1000000"}}), tariff, fx_rate=1.0
    )
    assert len(set(resolved.rating.site.tolist())) == 2
    priced = price(resolved.rating, tariff)
    acc = priced.trace["accumulation_loading"]
    assert acc[:10].min() == acc[:10].max() > 0  # one site, equal SI → equal shares
    assert acc[10:].min() == acc[10:].max() > acc[0]  # 20 members without site accumulate more


def test_step7_to_10_gross_up_adjustment_vat_fx(tariff):
    request = make_request(
        {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 40}]},
        {"sdeath": {"sum_insured": "100000"}},
        commission="0.10",
        underwriter_adjustment="0.05",
        currency="USD",
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    f = quote.members[0].lines[0].factors
    assert f["gross_up_divisor"] == pytest.approx(1 - 0.10 - 0.12 - 0.05)
    assert f["adjustment_factor"] == 1.05
    assert f["fx_rate"] == 7.12
    expected = f["technical_premium"] / f["gross_up_divisor"] * 1.05 * 1.06 / 7.12
    assert f["premium_per_member"] == pytest.approx(expected, rel=1e-11)
    assert quote.status == "accepted"  # 5 % is within the automatic authority of 10 %


def test_step9_sickness_medical_vat_exempt_only_for_a_year():
    covers = {"smed": {"limit": "500000"}}
    year = quote_request(_single(covers), tariff_root=TARIFF_DIR)
    half = quote_request(
        make_request(
            {
                "members": [
                    {
                        "member_id": "M1",
                        "name": "A",
                        "country": "RS",
                        "occupation_class": 2,
                        "age": 40,
                    }
                ]
            },
            covers,
            period={"start": "2027-01-01", "end": "2027-06-30"},
        ),
        tariff_root=TARIFF_DIR,
    )
    assert year.members[0].lines[0].vat == "0.00"
    assert half.members[0].lines[0].factors["vat_rate"] == 0.06
    assert half.members[0].lines[0].vat != "0.00"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (0.0, 0),
        (0.004999, 0),
        (0.005, 1),
        (2.675, 268),
        (1.005, 101),
        (123.445, 12345),
        (99.99499999, 9999),
        (1e7 + 0.125, 1000000013),
    ],
)
def test_step10_round_half_up(amount, cents):
    assert int(round_half_up_cents(amount)) == cents


def test_step10_cents_text_round_trip():
    for c in [0, 1, 10, 99, 100, 123456789, -42]:
        assert text_to_cents(cents_to_text(c)) == c
    assert cents_to_text(123456) == "1234.56"


@pytest.mark.parametrize(
    ("dates", "declined"),
    [
        ({"start": "2027-03-01"}, True),  # starts after the policy ends
        ({"end": "2026-10-15"}, True),  # ends before the policy starts
        ({"start": "2026-10-01"}, True),  # starts before the policy
        ({"end": "2027-02-15"}, True),  # ends after the policy
        ({"start": "2026-12-01", "end": "2027-01-15"}, False),
    ],
)
def test_member_period_outside_policy_is_declined(dates, declined):
    request = make_request(
        {
            "members": [
                {
                    "member_id": "M1",
                    "name": "A",
                    "country": "ID",
                    "occupation_class": 1,
                    "age": 30,
                    **dates,
                }
            ]
        },
        {"add": {"sum_insured": "500000"}},
        period={"start": "2026-11-01", "end": "2027-01-31"},
        as_of="2026-10-15",  # quoted before the period starts (else it is backdated)
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    if declined:
        assert quote.status == "declined"
        assert [r.code for r in quote.declined[0].reasons] == ["period_outside_policy"]
    else:
        assert quote.status == "accepted"
        assert quote.members[0].months == 2


def test_group_age_band_reaching_past_the_limits_is_declined():
    request = make_request(
        {
            "groups": [
                {"country": "RS", "occupation_class": 2, "age_band": "60-75", "headcount": 5},
                {"country": "RS", "occupation_class": 2, "age_band": "30-39", "headcount": 5},
            ]
        },
        {"sdeath": {"sum_insured": "100000"}},
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    assert [d.member_id for d in quote.declined] == ["G1"]
    assert (
        quote.declined[0].reasons[0].message
        == "age band 60–75 reaches outside the tariff's limits (16–70)"
    )
    assert quote.members[0].age == 34  # midpoint of 30–39, rounded down


@pytest.mark.parametrize(
    ("end", "exempt"),
    [("2027-12-31", True), ("2027-12-30", False), ("2027-12-01", False), ("2028-01-01", True)],
)
def test_sickness_medical_vat_exemption_needs_a_whole_year(end, exempt):
    request = make_request(
        {
            "members": [
                {"member_id": "M1", "name": "A", "country": "RS", "occupation_class": 2, "age": 40}
            ]
        },
        {"smed": {"limit": "500000"}},
        period={"start": "2027-01-01", "end": end},
    )
    line = quote_request(request, tariff_root=TARIFF_DIR).members[0].lines[0]
    assert (line.vat == "0.00") is exempt


@pytest.mark.parametrize(
    ("field", "value"),
    [("commission", "NaN"), ("underwriter_adjustment", "sNaN"), ("commission", "Infinity")],
)
def test_not_a_number_is_a_field_error(field, value):
    from quoting.errors import RequestError
    from quoting.services import decode_request

    body = msgspec.json.encode(
        msgspec.to_builtins(
            make_request(
                {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 5}]},
                {"sdeath": {"sum_insured": "100000"}},
            )
        )
        | {field: value}
    )
    with pytest.raises(RequestError) as exc:
        decode_request(body)
    assert [p.location for p in exc.value.problems] == [field]


@pytest.mark.parametrize("amount", ["1e30", "0.001", "NaN", "-5"])
def test_amounts_out_of_range_are_field_errors(amount):
    from quoting.errors import RequestError
    from quoting.services import decode_request

    base = msgspec.to_builtins(
        make_request(
            {"groups": [{"country": "RS", "occupation_class": 2, "age": 40, "headcount": 5}]},
            {"add": {"sum_insured": "1"}},
        )
    )
    base["plans"][0]["covers"]["add"]["sum_insured"] = amount
    with pytest.raises(RequestError) as exc:
        decode_request(msgspec.json.encode(base))
    assert [p.location for p in exc.value.problems] == ["plans[0].covers.add.sum_insured"]
