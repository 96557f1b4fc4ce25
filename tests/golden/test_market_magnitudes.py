"""The default tariffs price in line with the market.

``tariffs/benchmarks.toml`` holds every public price point used (source, date, tolerance);
each is priced with the tariff in force on the file's ``as_of`` date (2027.1 from
2027-01-01), so a tariff edit that drifts off the market fails here. Tariff 2026.2 keeps
the magnitudes it was published with (SPEC §4 before issue 11): its quotes must re-price
unchanged, so its own checks stay as they were.

Premiums are per member a year, VAT included, default commission.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest

from quoting.schemas import Quote
from quoting.services import quote_request
from tests.support import ROOT, TARIFF_DIR, make_request

BENCHMARKS = tomllib.loads((ROOT / "tariffs" / "benchmarks.toml").read_text(encoding="utf-8"))
AS_OF = BENCHMARKS["as_of"]
CASES = [(p, c) for p in BENCHMARKS["point"] for c in p["countries"]]


def _quote(point: dict[str, Any], country: str, change: dict[str, Any]) -> Quote:
    groups = [{"country": country, **g, **change} for g in point["groups"]]
    if "age" in change:
        for g in groups:
            g.pop("age_band", None)
    request = make_request(
        {"groups": groups},
        point["covers"],
        currency=point.get("currency", "CNY"),
        as_of=AS_OF.isoformat(),
    )
    quote = quote_request(request, tariff_root=ROOT / "tariffs")
    assert quote.headcount == sum(g["headcount"] for g in groups), "nobody may be declined"
    return quote


def _price(point: dict[str, Any], country: str, change: dict[str, Any]) -> float:
    """The point's measure: total per member, its lines per member (before minimums), one
    cover's line per member, or ‰ of SI."""
    quote = _quote(point, country, change)
    if point["measure"] == "premium" or (point["measure"] == "ratio" and "cover" not in point):
        return float(Decimal(quote.total_premium)) / quote.headcount
    wanted = point.get("cover")
    lines = [
        x
        for m in quote.members
        for x in m.lines
        if point["measure"] == "lines" or x.cover == wanted
    ]
    cover_total = float(sum(Decimal(x.premium) for x in lines)) / quote.headcount
    if point["measure"] == "per_mille":
        sum_insured = float(point["covers"][point["cover"]]["sum_insured"])
        return cover_total / sum_insured * 1000
    return cover_total


def _bounds(point: dict[str, Any]) -> tuple[float, float]:
    if "market" in point:
        market, tolerance = float(point["market"]), float(point["tolerance"])
        return market * (1 - tolerance), market * (1 + tolerance)
    return float(point["low"]), float(point["high"])


def test_benchmarks_are_complete():
    """Every point says what, where from and when; the brief's coverage is there."""
    ids = {p["id"] for p in BENCHMARKS["point"]}
    for point in BENCHMARKS["point"]:
        assert point["source"] and point["date"] and point["what"], point["id"]
        low, high = _bounds(point)
        assert 0 < low < high, point["id"]
    for point_id in ("site-workers-package", "office-staff-package"):
        countries = next(p for p in BENCHMARKS["point"] if p["id"] == point_id)["countries"]
        assert len(countries) >= 5, point_id  # Belt and Road countries
    assert {f"add-1m-class-{k}" for k in range(1, 7)} <= ids
    assert {f"expat-medical-{a}" for a in (30, 40, 50, 60)} | {"expat-medical-usa-ratio"} <= ids
    assert {"evacuation-100k-workers", "evacuation-age-60-vs-35"} <= ids
    for age in (30, 40, 50, 60):
        assert (
            len(
                next(p for p in BENCHMARKS["point"] if p["id"] == f"expat-medical-{age}")[
                    "countries"
                ]
            )
            >= 4
        )


def test_benchmarks_price_under_the_2027_tariff():
    quote = _quote(BENCHMARKS["point"][0], "RS", {})
    assert quote.tariff.version == "2027.1"


@pytest.mark.parametrize(("point", "country"), CASES, ids=[f"{p['id']}-{c}" for p, c in CASES])
def test_market_price_point(point: dict[str, Any], country: str):
    if point["measure"] == "ratio":
        value = _price(point, country, point["other"]) / _price(point, country, {})
    else:
        value = _price(point, country, {})
    low, high = _bounds(point)
    assert low <= value <= high, (
        f"{point['id']} in {country}: {value:.4g} outside {low:.4g}-{high:.4g}"
    )


# --------------------------------------------------------------------------- tariff 2026.2


def per_member_2026(
    country: str, cls: int, age: int, covers: dict, currency: str = "CNY"
) -> Decimal:
    request = make_request(
        {"groups": [{"country": country, "occupation_class": cls, "age": age, "headcount": 100}]},
        covers,
        currency=currency,
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    assert quote.tariff.version == "2026.2"
    assert quote.headcount == 100  # nobody declined; class 6 is referred, which is fine here
    return Decimal(quote.total_premium) / 100


@pytest.mark.parametrize(("cls", "low", "high"), [(1, 0.40, 0.65), (6, 2.6, 3.8)])
def test_2026_2_add_rate_per_mille_of_sum_insured(cls, low, high):
    """AD&D about 0.5 ‰ of SI a year for class 1 and 3.2 ‰ for class 6 (Serbia, factors ≈ 1)."""
    premium = per_member_2026("RS", cls, 35, {"add": {"sum_insured": "1000000"}})
    assert low <= float(premium) / 1000 <= high


@pytest.mark.parametrize("country", ["MY", "ID", "SA", "KE", "RS", "AE"])
def test_2026_2_typical_overseas_package_for_office_staff(country):
    """AD&D 500k + sickness death 100k + evacuation incl. remains 100k: CNY 400–900 a year."""
    covers = {
        "add": {"sum_insured": "500000"},
        "sdeath": {"sum_insured": "100000"},
        "evac": {"limit": "100000"},
    }
    assert 400 <= per_member_2026(country, 1, 40, covers) <= 900


SMED = {"smed": {"limit": "1000000"}}


@pytest.mark.parametrize("country", ["MY", "ID", "SA", "KE", "RS", "AE", "DE", "GB"])
def test_2026_2_expat_medical_at_40_outside_usa(country):
    """Inpatient + outpatient, 1M limit: USD 1,000–3,000 a year at age 40 outside the USA."""
    assert 1000 <= per_member_2026(country, 1, 40, SMED, "USD") <= 3000


def test_2026_2_expat_medical_doubles_by_60_and_usa_dearer():
    at_40 = per_member_2026("SA", 1, 40, SMED, "USD")
    at_60 = per_member_2026("SA", 1, 60, SMED, "USD")
    usa_40 = per_member_2026("US", 1, 40, SMED, "USD")
    assert 1.6 <= at_60 / at_40 <= 2.4
    assert 1.5 <= usa_40 / at_40 <= 1.9
