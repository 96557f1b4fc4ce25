"""Property tests of the rating model's invariants (SPEC §8).

Premium grows with sum insured, occupation class, country factor and term; lines sum to
totals; splitting a census does not change pure premiums; a headcount group prices like
the same number of identical members.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quoting.services import quote_request
from quoting.tariff import COUNTRY_FACTORS
from quoting.tariff.files import load_tariff
from tests.support import TARIFF_DIR, make_request

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COUNTRIES = ["ID", "PK", "SA", "KE", "RS", "MY", "VN", "AE", "EG", "BR", "US", "DE"]
ALL_COVERS = {
    "add": {"sum_insured": "500000"},
    "amed": {"limit": "50000", "deductible": "100", "coinsurance": "0.9"},
    "smed": {"limit": "500000", "deductible": "200", "coinsurance": "0.8"},
    "evac": {"limit": "300000"},
    "sdeath": {"sum_insured": "100000"},
    "hcash": {"daily_benefit": "100", "max_days": 90},
}

member = st.fixed_dictionaries(
    {
        "country": st.sampled_from(COUNTRIES),
        "occupation_class": st.integers(1, 6),
        "age": st.integers(18, 65),
        "site": st.sampled_from([None, "A", "B"]),
    }
)


def members_census(rows: list[dict]) -> dict:
    out = []
    for i, row in enumerate(rows):
        m = {
            "member_id": f"M{i}",
            "name": f"Member {i}",
            **{k: v for k, v in row.items() if v is not None},
        }
        out.append(m)
    return {"members": out}


def total(quote) -> Decimal:  # type: ignore[no-untyped-def]
    return Decimal(quote.total_premium)


def member_premium(quote, member_id: str) -> Decimal:  # type: ignore[no-untyped-def]
    return next(Decimal(m.premium) for m in quote.members if m.member_id == member_id)


def member_net_premium(quote, member_id: str) -> Decimal:  # type: ignore[no-untyped-def]
    return next(
        Decimal(m.premium) - Decimal(m.vat) for m in quote.members if m.member_id == member_id
    )


@SETTINGS
@given(
    rows=st.lists(member, min_size=1, max_size=12), a=st.integers(10, 3000), b=st.integers(10, 3000)
)
def test_premium_grows_with_sum_insured(rows, a, b):
    lo, hi = sorted((a, b))
    quotes = [
        quote_request(
            make_request(
                members_census(rows),
                {"add": {"sum_insured": str(si * 1000)}, "sdeath": {"sum_insured": str(si * 100)}},
            ),
            tariff_root=TARIFF_DIR,
        )
        for si in (lo, hi)
    ]
    for m in quotes[0].members:
        assert member_premium(quotes[0], m.member_id) <= member_premium(quotes[1], m.member_id)


@SETTINGS
@given(row=member, other=st.lists(member, max_size=6))
def test_premium_grows_with_occupation_class(row, other):
    premiums = []
    for cls in range(1, 7):
        census = members_census([{**row, "occupation_class": cls}, *other])
        quote = quote_request(make_request(census, ALL_COVERS), tariff_root=TARIFF_DIR)
        premiums.append(member_premium(quote, "M0"))
    assert premiums == sorted(premiums)
    assert premiums[0] < premiums[-1]


@SETTINGS
@given(
    rows=st.lists(member, min_size=1, max_size=8),
    months=st.lists(st.integers(1, 12), min_size=2, max_size=2),
)
def test_premium_grows_with_term(rows, months):
    """Net of VAT: a 12-month policy may cost less VAT-inclusive than an 11-month one,
    because sickness medical policies of a year or more are VAT-exempt."""
    lo, hi = sorted(months)
    quotes = []
    for n in (lo, hi):
        end = f"2027-{n:02d}-28"
        quotes.append(
            quote_request(
                make_request(
                    members_census(rows), ALL_COVERS, period={"start": "2027-01-01", "end": end}
                ),
                tariff_root=TARIFF_DIR,
            )
        )
    for m in quotes[0].members:
        assert member_net_premium(quotes[0], m.member_id) <= member_net_premium(
            quotes[1], m.member_id
        )


@SETTINGS
@given(
    rows=st.lists(member, min_size=1, max_size=8),
    factor=st.sampled_from(COUNTRY_FACTORS),
    bump=st.floats(1.01, 3.0),
)
def test_premium_grows_with_country_factor(rows, factor, bump, tmp_path_factory):
    """Raising one country factor of one country never lowers anyone's premium there."""
    base = load_tariff(TARIFF_DIR)
    country = rows[0]["country"]
    i = base.country_index[country]
    raised = base.country_factors.copy()
    raised[i, COUNTRY_FACTORS.index(factor)] *= bump
    higher = dataclasses.replace(base, country_factors=raised)

    from quoting.pricing import price
    from quoting.rating_input import resolve

    request = make_request(members_census(rows), ALL_COVERS)
    resolved = resolve(request, base, fx_rate=1.0)
    before = price(resolved.rating, base)
    after = price(resolved.rating, higher)
    in_country = np.isin(before.line_row, np.flatnonzero(resolved.rating.country == i))
    per_row_before = np.bincount(before.line_row, weights=before.premium_cents, minlength=len(rows))
    per_row_after = np.bincount(after.line_row, weights=after.premium_cents, minlength=len(rows))
    rows_in = np.unique(before.line_row[in_country])
    assert (per_row_after[rows_in] >= per_row_before[rows_in]).all()
    assert np.array_equal(
        before.trace["annual_pure_premium"][~in_country],
        after.trace["annual_pure_premium"][~in_country],
    )


@SETTINGS
@given(rows=st.lists(member, min_size=1, max_size=15), usd=st.booleans())
def test_lines_sum_to_totals(rows, usd):
    quote = quote_request(
        make_request(members_census(rows), ALL_COVERS, currency="USD" if usd else "CNY"),
        tariff_root=TARIFF_DIR,
    )
    lines = [Decimal(line.premium) for m in quote.members for line in m.lines]
    vat = [Decimal(line.vat) for m in quote.members for line in m.lines]
    adjustments = [Decimal(a.premium) for a in quote.adjustments]
    assert Decimal(quote.total_premium) == sum(lines) + sum(adjustments)
    assert Decimal(quote.total_vat) == sum(vat) + sum(Decimal(a.vat) for a in quote.adjustments)
    for m in quote.members:
        assert Decimal(m.premium) == sum(Decimal(line.premium) for line in m.lines)
    assert sum(Decimal(r.premium) for r in quote.summary.by_cover) == sum(lines)
    assert sum(Decimal(r.premium) for r in quote.summary.by_country) == sum(lines)
    assert sum(Decimal(r.premium) for r in quote.summary.by_class) == sum(lines)
    assert all(Decimal(v) >= 0 for v in vat)


@SETTINGS
@given(rows=st.lists(member, min_size=2, max_size=14), cut=st.integers(1, 13))
def test_splitting_a_census_keeps_pure_premiums(rows, cut):
    cut = min(cut, len(rows) - 1)
    whole = quote_request(make_request(members_census(rows), ALL_COVERS), tariff_root=TARIFF_DIR)
    census = members_census(rows)["members"]
    parts = [
        quote_request(make_request({"members": census[:cut]}, ALL_COVERS), tariff_root=TARIFF_DIR),
        quote_request(make_request({"members": census[cut:]}, ALL_COVERS), tariff_root=TARIFF_DIR),
    ]

    def pure(quotes):  # type: ignore[no-untyped-def]
        return {
            (m.member_id, line.cover): line.factors["annual_pure_premium"]
            for q in quotes
            for m in q.members
            for line in m.lines
        }

    assert pure([whole]) == pure(parts)


@SETTINGS
@given(row=member, headcount=st.integers(1, 40))
def test_group_row_prices_like_identical_members(row, headcount):
    group = {
        "country": row["country"],
        "occupation_class": row["occupation_class"],
        "age": row["age"],
        "headcount": headcount,
    }
    if row["site"]:
        group["site"] = row["site"]
    as_group = quote_request(make_request({"groups": [group]}, ALL_COVERS), tariff_root=TARIFF_DIR)
    as_members = quote_request(
        make_request(members_census([row] * headcount), ALL_COVERS), tariff_root=TARIFF_DIR
    )
    assert as_group.total_premium == as_members.total_premium
    assert as_group.total_vat == as_members.total_vat
