"""The engine variants a tariff declares (SPEC §3 steps 1, 3 and 6), each checked against a
hand calculation, and their validation. Tariff 2026.2 declares none of them and prices as
before; ``tests.support.variant_tariff`` is 2026.2 with all three declared."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import msgspec
import pytest
from scipy import integrate, stats

from quoting.errors import TariffError
from quoting.pricing import price
from quoting.rating_input import resolve
from quoting.services import quote_request
from quoting.tariff import Tariff
from quoting.tariff.files import load_tariff
from tests.support import TARIFF_DIR, make_request, variant_tariff

N_FULL_CLAIMS = (stats.norm.ppf(0.95) / 0.05) ** 2  # 1,082.217 claims (p 90 %, k 5 %)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tariff]:
    folder = variant_tariff(tmp_path_factory.mktemp("tariff") / "variants")
    return folder, load_tariff(folder)


def _member(i: int, **extra: Any) -> dict[str, Any]:
    row = {"member_id": f"M{i}", "name": f"Member {i}", "country": "RS", "occupation_class": 3}
    return {"age": 40, **row, **extra}


# --------------------------------------------------------------------------- step 1


def test_step1_evacuation_frequency_by_class_and_age_band(variants):
    """λ = frequency[class 3] × frequency_age_factors[band]: 0.0025 × 1.00 at 40 (band
    36–45) and 0.0025 × 1.30 at 50 (band 46–55), × Serbia's security factor 1.10; so the
    pure premium at 50 is exactly 1.30 × the one at 40 (same country, limit, cost)."""
    folder, _ = variants
    census = {"members": [_member(1, age=40), _member(2, age=50)]}
    quote = quote_request(make_request(census, {"evac": {"limit": "100000"}}), tariff_root=folder)
    at_40, at_50 = (m.lines[0].factors for m in quote.members)
    assert (at_40["frequency"], at_40["frequency_age_factor"]) == (0.0025, 1.00)
    assert (at_50["frequency"], at_50["frequency_age_factor"]) == (0.0025, 1.30)
    assert at_40["frequency_country_factor"] == pytest.approx(1.10)
    # 0.0025 × 1.00 × 1.10 × E[payment]
    assert at_40["annual_pure_premium"] == pytest.approx(
        0.0025 * 1.10 * at_40["expected_payment"], rel=1e-6
    )
    assert at_50["annual_pure_premium"] == pytest.approx(
        1.30 * at_40["annual_pure_premium"], rel=1e-6
    )


def test_step1_by_class_alone_has_no_age_factor_in_the_trace():
    """Tariff 2026.2 rates evacuation by class: the same premium at 40 and at 50."""
    census = {"members": [_member(1, age=40), _member(2, age=50)]}
    quote = quote_request(
        make_request(census, {"evac": {"limit": "100000"}}), tariff_root=TARIFF_DIR
    )
    at_40, at_50 = (m.lines[0] for m in quote.members)
    assert "frequency_age_factor" not in at_40.factors
    assert at_40.premium == at_50.premium


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    folder = variant_tariff(tmp_path / "t")
    toml = folder / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.count(old) == 1
    toml.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            "frequency_age_factors = [0.70, 0.85, 1.00, 1.30, 1.70, 2.20, 2.80]\n",
            "",
            "frequency_age_factors",
            "required with frequency_by = 'class_and_age_band'",
        ),
        (
            "frequency_age_factors = [0.70, 0.85, 1.00, 1.30, 1.70, 2.20, 2.80]",
            "frequency_age_factors = [0.70, 0.85, 1.00]",
            "frequency_age_factors",
            "needs 7 values (one per age band), found 3",
        ),
        (
            'frequency_by = "class_and_age_band"',
            'frequency_by = "class"',
            "frequency_age_factors",
            "only used with frequency_by = 'class_and_age_band'",
        ),
        (
            "frequency = [0.0020, 0.0022, 0.0025, 0.0030, 0.0035, 0.0040]",
            "frequency = [0.0020, 0.0022]",
            "frequency",
            "needs 6 values (by class, occupation classes 1-6), found 2",
        ),
    ],
)
def test_step1_class_and_age_band_is_validated(tmp_path, old, new, key, message):
    with pytest.raises(TariffError) as caught:
        load_tariff(_edited(tmp_path, old, new))
    problems = caught.value.problems
    assert [(p.file, p.path) for p in problems] == [("tariff.toml", ("covers", "evac", key))]
    assert message in problems[0].message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('exposure = "presence"', 'exposure = "days"'),
        ('full_credibility = "aggregate"', 'full_credibility = "bühlmann"'),
    ],
)
def test_unknown_variant_names_its_key(tmp_path, old, new):
    with pytest.raises(TariffError) as caught:
        load_tariff(_edited(tmp_path, old, new))
    (problem,) = caught.value.problems
    assert problem.path[-1] in {"exposure", "full_credibility"}
    assert "Expected `str` matching one of" in problem.message or "one of" in problem.message


# --------------------------------------------------------------------------- step 3


def _experience(claims: int) -> dict[str, Any]:
    return {
        "start": "2025-01-01",
        "end": "2025-12-31",
        "member_years": 200,
        "claim_count": claims,
        "incurred_claims": "0",
    }


def _two_plan_sickness_death(tariff: Tariff, claims: int):  # type: ignore[no-untyped-def]
    request = make_request(
        {
            "groups": [
                {"country": "RS", "occupation_class": 1, "age": 40, "headcount": 100},
                {"country": "RS", "occupation_class": 2, "age": 40, "headcount": 100},
            ]
        },
        {},
        plans=[
            {"name": "A", "classes": [1], "covers": {"sdeath": {"sum_insured": "100000"}}},
            {"name": "B", "classes": [2], "covers": {"sdeath": {"sum_insured": "300000"}}},
        ],
        experience=_experience(claims),
    )
    return price(resolve(request, tariff, fx_rate=1.0).rating, tariff)


def test_step3_aggregate_standard_weighs_claim_size_variance(variants, tariff):
    """Sickness death pays the full SI; λ = 0.60 ‰ at 36–45 for classes 1 and 2 alike, so a
    claim is CNY 100k or 300k with probability ½ each: E[Y] = 200k, E[Y²] = (1e10 + 9e10)/2
    = 5e10, CV² = 5e10 / 4e10 − 1 = 0.25, n_full = 1,082.217 × 1.25 = 1,352.77 claims and
    100 claims give Z = √(100 / 1,352.77) = 0.27189 (claim-count standard: 0.30398)."""
    _, aggregate = variants
    priced = _two_plan_sickness_death(aggregate, 100)
    assert priced.experience is not None
    assert priced.experience.full_credibility_claims == pytest.approx(1352.771, rel=1e-6)
    assert priced.experience.credibility == pytest.approx(0.271887, rel=1e-5)
    old = _two_plan_sickness_death(tariff, 100).experience
    assert old is not None
    assert old.full_credibility_claims == pytest.approx(N_FULL_CLAIMS, rel=1e-12)
    assert old.credibility == pytest.approx(math.sqrt(100 / N_FULL_CLAIMS), rel=1e-12)


def test_step3_sickness_medical_standard_as_in_the_issue(variants):
    """Sickness medical: lognormal, σ 1.8, so CV² = e^{3.24} − 1 = 24.53 without a limit and
    n_full = 1,082.2 × 25.53 = 27,630 claims (the issue's figure). A 2M limit in Serbia
    (cost index 0.94) trims the tail: E[Y] and E[Y²] of min(X, 2M) by numerical
    integration give the standard the engine must use (about 22,900 claims), and 1,500
    claims then get Z = √(1,500 / 22,900) ≈ 0.256 instead of 1 under the claim-count rule."""
    _, tariff = variants
    assert N_FULL_CLAIMS * math.exp(1.8**2) == pytest.approx(27_630, rel=1e-3)
    request = make_request(
        {"groups": [{"country": "RS", "occupation_class": 1, "age": 40, "headcount": 100}]},
        {"smed": {"limit": "2000000"}},
        experience={**_experience(1500), "member_years": 150},
    )
    experience = price(resolve(request, tariff, fx_rate=1.0).rating, tariff).experience
    assert experience is not None
    sigma, limit = 1.8, 2e6
    x = stats.lognorm(sigma, scale=4800 * 0.94 * math.exp(-(sigma**2) / 2))
    first = integrate.quad(x.sf, 0, limit, limit=500)[0]  # E[min(X, L)] = ∫ S(x) dx
    second = 2 * integrate.quad(lambda v: v * x.sf(v), 0, limit, limit=500)[0]
    n_full = N_FULL_CLAIMS * second / first**2  # × (1 + CV²)
    assert experience.full_credibility_claims == pytest.approx(n_full, rel=1e-6)
    assert experience.credibility == pytest.approx(math.sqrt(1500 / n_full), rel=1e-6)
    assert 22_000 < n_full < 24_000


# --------------------------------------------------------------------------- step 6


def _site_request(members: list[dict[str, Any]], amounts: list[str]):  # type: ignore[no-untyped-def]
    plans = [
        {"name": f"P{i}", "member_ids": [m["member_id"]], "covers": {"add": {"sum_insured": si}}}
        for i, (m, si) in enumerate(zip(members, amounts, strict=True))
    ]
    return make_request({"members": members}, {}, plans=plans)


def test_step6_presence_weights_site_exposure(variants):
    """Serbia (tier 3, event rate 0.10 %), one site, policy 2027-01-01..12-31 (365 days):
    A all year SI 2M (365 days), B to 1 July SI 3M (182 days), C to 31 March SI 3M (90 days).
    Σt = 637 / 365 = 1.745 → N = ⌊2.245⌋ = 2; s̄ = (365·2M + 182·3M + 90·3M) / 637 =
    1,546M / 637 = 2,427,001.57; with K ~ Bin(2, 0.05) and R = 3M only K = 2 pays:
    0.05² × (2 × 2,427,001.57 − 3M) = 0.0025 × 1,854,003.14 = 4,635.0079, × 0.001 = 4.6350
    a year for the site, shared 730 : 546 : 270 (t·SI) and not multiplied by a term factor."""
    _, tariff = variants
    members = [
        _member(1, site="Belgrade bypass"),
        _member(2, site="Belgrade bypass", end="2027-07-01"),
        _member(3, site="Belgrade bypass", end="2027-03-31"),
    ]
    rating = resolve(_site_request(members, ["2000000", "3000000", "3000000"]), tariff, fx_rate=1.0)
    assert rating.rating.covered_days.tolist() == [365, 182, 90]
    priced = price(rating.rating, tariff)
    mean_si = 1546e6 / 637
    site_loading = 0.001 * 0.05**2 * (2 * mean_si - 3e6)
    assert site_loading == pytest.approx(4.635008, rel=1e-6)
    assert priced.sites.members.tolist() == [2.0]
    assert priced.sites.mean_sum_insured[0] == pytest.approx(mean_si, rel=1e-12)
    acc = priced.trace["accumulation_loading"]
    want = [site_loading * w / 1546 for w in (730, 546, 270)]
    assert acc.tolist() == pytest.approx(want, rel=1e-9)
    assert priced.accumulation_loading == pytest.approx(site_loading, rel=1e-12)


def test_step6_headcount_rule_of_2026_2(tariff):
    """Tariff 2026.2 counts every member fully: N = 3, s̄ = 8M / 3 = 2,666,666.67;
    E = 3·0.05²·0.95 × (2s̄ − 3M) + 0.05³ × (3s̄ − 3M) = 0.007125 × 2,333,333.33
    + 0.000125 × 5M = 16,625 + 625 = 17,250, × 0.001 = 17.25 a year, shared by SI
    (2 : 3 : 3) and then × each member's term factor (12, 7 and 3 months begun: 1.00,
    0.70, 0.30)."""
    members = [
        _member(1, site="Belgrade bypass"),
        _member(2, site="Belgrade bypass", end="2027-07-01"),
        _member(3, site="Belgrade bypass", end="2027-03-31"),
    ]
    rating = resolve(_site_request(members, ["2000000", "3000000", "3000000"]), tariff, fx_rate=1.0)
    priced = price(rating.rating, tariff)
    assert priced.sites.members.tolist() == [3.0]
    want = [17.25 * s / 8 * t for s, t in ((2, 1.0), (3, 0.70), (3, 0.30))]
    assert priced.trace["accumulation_loading"].tolist() == pytest.approx(want, rel=1e-9)


def test_step6_presence_counts_at_least_one_member(variants):
    """One member for 10 days of a year: Σt = 10 / 365 rounds to 0, N = max(1, 0) = 1;
    with one member K·SI ≤ 3M never exceeds the retention: no loading."""
    _, tariff = variants
    members = [_member(1, site="Camp", start="2027-03-01", end="2027-03-10")]
    rating = resolve(_site_request(members, ["3000000"]), tariff, fx_rate=1.0)
    priced = price(rating.rating, tariff)
    assert priced.sites.members.tolist() == [1.0]
    assert priced.accumulation_loading == 0.0


@pytest.mark.parametrize(("second_days", "n"), [(5, 2), (4, 1), (6, 2)])
def test_step6_presence_rounds_half_up_exactly(variants, second_days, n):
    """Policy 2027-01-01..01-10 (10 days): one member all 10 days and one for 5 days gives
    Σt = 1.5 exactly → N = ⌊1.5 + ½⌋ = 2 (half up, in whole days: (2·15 + 10) // 20 = 2);
    4 days: Σt = 1.4 → 1; 6 days: 1.6 → 2."""
    _, tariff = variants
    members = [
        _member(1, site="Camp"),
        _member(2, site="Camp", end=f"2027-01-{second_days:02d}"),
    ]
    request = _site_request(members, ["2000000"] * 2)
    request = msgspec.structs.replace(
        request, period=msgspec.structs.replace(request.period, end=dt.date(2027, 1, 10))
    )
    rating = resolve(request, tariff, fx_rate=1.0).rating
    assert (rating.covered_days.tolist(), rating.policy_days) == ([10, second_days], 10)
    assert price(rating, tariff).sites.members.tolist() == [float(n)]
