"""The default tariff prices in line with the market magnitudes of SPEC §4.

Groups of 100 (group-size factor 0.96) with default commission; premiums per member,
VAT included.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from quoting.services import quote_request
from tests.support import TARIFF_DIR, make_request


def per_member(country: str, cls: int, age: int, covers: dict, currency: str = "CNY") -> Decimal:
    request = make_request(
        {"groups": [{"country": country, "occupation_class": cls, "age": age, "headcount": 100}]},
        covers,
        currency=currency,
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    assert quote.headcount == 100  # nobody declined; class 6 is referred, which is fine here
    return Decimal(quote.total_premium) / 100


@pytest.mark.parametrize(("cls", "low", "high"), [(1, 0.40, 0.65), (6, 2.6, 3.8)])
def test_add_rate_per_mille_of_sum_insured(cls, low, high):
    """AD&D about 0.5 ‰ of SI a year for class 1 and 3.2 ‰ for class 6 (Serbia, factors ≈ 1)."""
    premium = per_member("RS", cls, 35, {"add": {"sum_insured": "1000000"}})
    assert low <= float(premium) / 1000 <= high


@pytest.mark.parametrize("country", ["MY", "ID", "SA", "KE", "RS", "AE"])
def test_typical_overseas_package_for_office_staff(country):
    """AD&D 500k + sickness death 100k + evacuation incl. remains 100k: CNY 400–900 a year."""
    covers = {
        "add": {"sum_insured": "500000"},
        "sdeath": {"sum_insured": "100000"},
        "evac": {"limit": "100000"},
    }
    assert 400 <= per_member(country, 1, 40, covers) <= 900


SMED = {"smed": {"limit": "1000000"}}


@pytest.mark.parametrize("country", ["MY", "ID", "SA", "KE", "RS", "AE", "DE", "GB"])
def test_expat_medical_at_40_outside_usa(country):
    """Inpatient + outpatient, 1M limit: USD 1,000–3,000 a year at age 40 outside the USA."""
    assert 1000 <= per_member(country, 1, 40, SMED, "USD") <= 3000


def test_expat_medical_doubles_by_60_and_usa_dearer():
    at_40 = per_member("SA", 1, 40, SMED, "USD")
    at_60 = per_member("SA", 1, 60, SMED, "USD")
    usa_40 = per_member("US", 1, 40, SMED, "USD")
    assert 1.6 <= at_60 / at_40 <= 2.4
    assert 1.5 <= usa_40 / at_40 <= 1.9
