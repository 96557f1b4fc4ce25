"""The vectorised engine and the per-member reference implementation agree to the cent.

Random but valid quote requests (member-level and aggregated censuses) are priced by the
production path (``quoting.services.quote_request``) and by ``tests.reference``; every
line, VAT amount, minimum adjustment, total, decision and referral must be the same.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from quoting.schemas import Quote, QuoteRequest, credit_code_check_char
from quoting.services import quote_request
from quoting.tariff import Country, Tariff
from quoting.tariff.files import load_tariff
from tests.reference import RefQuote, reference_quote
from tests.support import variant_tariff

TARIFF_DIR = Path(__file__).resolve().parents[2] / "tariffs" / "2026.2"
TARIFF = load_tariff(TARIFF_DIR)
PARAMS = TARIFF.params
TODAY = dt.date(2026, 10, 15)
FIRST_START = dt.date(2026, 10, 1)

ACCEPT = [c for c in TARIFF.countries if c.status == "accept"]
REFER = [c for c in TARIFF.countries if c.status == "refer"]
DECLINE = [c for c in TARIFF.countries if c.status == "decline"]
# Countries where Belt and Road contractors work, to make shared sites likely.
BRI = [
    c
    for c in ACCEPT
    if c.code in {"ID", "PK", "KE", "ET", "SA", "AE", "KZ", "LA", "MY", "BR", "US", "DZ"}
]
OCCUPATION_CODES = sorted(TARIFF.occupations)
HCASH_DAYS = sorted(int(k) for k in PARAMS.covers["hcash"].max_days_factors or {})
SITES = ["Morowali", "morowali ", " MOROWALI", "Jakarta-Bandung HSR", "Karot Dam", "Camp 2"]

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def cents(text: str) -> int:
    value = Decimal(text) * 100
    assert value == value.to_integral_value(), text
    return int(value)


def credit_code(rng_digits: str) -> str:
    first17 = ("91110000" + rng_digits)[:17]
    return first17 + credit_code_check_char(first17)


# --------------------------------------------------------------------------- strategies


@st.composite
def countries(draw: st.DrawFn) -> Country:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(DECLINE))
    if kind == 1:
        return draw(st.sampled_from(REFER))
    if kind <= 5:
        return draw(st.sampled_from(BRI))
    return draw(st.sampled_from(ACCEPT))


@st.composite
def country_text(draw: st.DrawFn, country: Country) -> str:
    forms = [country.code, country.alpha3, country.name_en, country.name_zh]
    forms += [country.code.lower(), country.name_en.upper(), *country.aliases]
    return draw(st.sampled_from(forms))


def money(low: int, high: int, *, round_values: tuple[int, ...] = ()) -> st.SearchStrategy[str]:
    whole = st.integers(low, high).map(str)
    with_cents = st.tuples(st.integers(low, high - 1), st.integers(0, 99)).map(
        lambda t: f"{t[0]}.{t[1]:02d}"
    )
    choices = [whole, with_cents]
    if round_values:
        choices.append(st.sampled_from([str(v) for v in round_values]))
    return st.one_of(*choices)


def fraction(low: str, high: str, places: int) -> st.SearchStrategy[str]:
    scale = 10**places
    lo, hi = int(Decimal(low) * scale), int(Decimal(high) * scale)
    return st.integers(lo, hi).map(lambda n: str(Decimal(n) / scale))


@st.composite
def plan_covers(draw: st.DrawFn) -> dict[str, Any]:
    codes = draw(
        st.lists(
            st.sampled_from(["add", "amed", "smed", "evac", "sdeath", "hcash"]),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    covers: dict[str, Any] = {}
    for code in codes:
        if code == "add":
            si = money(10_000, 3_500_000, round_values=(500_000, 1_000_000, 3_000_000))
            covers[code] = {"sum_insured": draw(si)}
        elif code == "sdeath":
            si = money(10_000, 1_200_000, round_values=(100_000, 1_000_000))
            covers[code] = {"sum_insured": draw(si)}
        elif code == "evac":
            covers[code] = {"limit": draw(money(20_000, 1_200_000, round_values=(1_000_000,)))}
        elif code == "hcash":
            covers[code] = {
                "daily_benefit": draw(money(20, 1_200, round_values=(100, 1_000))),
                "max_days": draw(st.sampled_from(HCASH_DAYS)),
            }
        else:
            top = 600_000 if code == "amed" else 2_500_000
            limit = draw(
                money(5_000, top, round_values=(500_000 if code == "amed" else 2_000_000,))
            )
            cover: dict[str, Any] = {"limit": limit}
            if draw(st.booleans()):
                cover["deductible"] = draw(
                    st.one_of(st.sampled_from(["0", "100", "500", "5000"]), money(0, 30_000))
                )
            if draw(st.booleans()):
                cover["coinsurance"] = draw(
                    st.one_of(st.sampled_from(["1", "0.9", "0.8", "0.5"]), fraction("0.01", "1", 3))
                )
            covers[code] = cover
    return covers


@st.composite
def policy_periods(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start = FIRST_START + dt.timedelta(days=draw(st.integers(0, 400)))
    if draw(st.booleans()):
        months = draw(st.integers(1, 12))
        m0 = start.month - 1 + months
        year, month = start.year + m0 // 12, m0 % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        end = dt.date(year, month, day) - dt.timedelta(days=draw(st.integers(0, 1)))
        end = min(max(end, start), start + dt.timedelta(days=365))  # at most 366 days
    else:
        end = start + dt.timedelta(days=draw(st.integers(0, 365)))
    return start, end


@st.composite
def birth_date(draw: st.DrawFn, on: dt.date) -> dt.date:
    if draw(st.integers(0, 19)) == 0:  # a 29 February birthday
        leap = [y for y in range(on.year - 75, on.year - 10) if calendar.isleap(y)]
        return dt.date(draw(st.sampled_from(leap)), 2, 29)
    years = draw(st.one_of(st.integers(16, 70), st.integers(10, 80)))
    anniversary = dt.date(on.year - years, on.month, min(on.day, 28))
    born = anniversary - dt.timedelta(days=draw(st.integers(-3, 370)))
    return min(born, on)


def occupation_class_of(row: dict[str, Any]) -> int:
    if "occupation_code" in row:
        return TARIFF.occupations[row["occupation_code"]].occupation_class
    return int(row["occupation_class"])


@st.composite
def member_rows(
    draw: st.DrawFn, n: int, pool: list[Country], period: tuple[dt.date, dt.date]
) -> list[dict[str, Any]]:
    p_start, p_end = period
    rows = []
    for i in range(n):
        country = draw(st.sampled_from(pool))
        row: dict[str, Any] = {
            "member_id": f"M{i + 1:03d}",
            "name": f"Member {i + 1}",
            "country": draw(country_text(country)),
        }
        if draw(st.integers(0, 2)) == 0:
            row["occupation_code"] = draw(st.sampled_from(OCCUPATION_CODES))
        else:
            row["occupation_class"] = draw(st.sampled_from([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 9]))
        kind = draw(st.integers(0, 9))
        if kind == 7:  # starts before the policy
            row["start"] = p_start - dt.timedelta(days=draw(st.integers(1, 60)))
        elif kind == 8:  # ends after the policy
            row["end"] = p_end + dt.timedelta(days=draw(st.integers(1, 60)))
        elif kind == 9:  # a period inside the policy period
            span = (p_end - p_start).days
            first = draw(st.integers(0, span))
            last = draw(st.integers(first, span))
            if draw(st.booleans()):
                row["start"] = p_start + dt.timedelta(days=first)
            if draw(st.booleans()):
                row["end"] = p_start + dt.timedelta(days=last)
        member_start = row.get("start", p_start)
        if draw(st.booleans()):
            row["date_of_birth"] = draw(birth_date(member_start))
        else:
            row["age"] = draw(st.one_of(st.integers(16, 70), st.integers(0, 90)))
        site = draw(st.one_of(st.none(), st.sampled_from(SITES)))
        if site is not None:
            row["site"] = site
        rows.append(row)
    return rows


@st.composite
def group_rows(draw: st.DrawFn, n: int, pool: list[Country]) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        country = draw(st.sampled_from(pool))
        row: dict[str, Any] = {
            "country": draw(country_text(country)),
            "occupation_class": draw(st.sampled_from([1, 2, 3, 4, 5, 6, 9])),
            "headcount": draw(st.one_of(st.integers(1, 5), st.integers(1, 120))),
        }
        if draw(st.booleans()):
            row["age"] = draw(st.one_of(st.integers(16, 70), st.integers(5, 90)))
        else:
            low = draw(st.integers(10, 75))
            row["age_band"] = f"{low}-{low + draw(st.integers(0, 15))}"
        site = draw(st.one_of(st.none(), st.sampled_from(SITES)))
        if site is not None:
            row["site"] = site
        rows.append(row)
    return rows


def assign_plans(
    draw: st.DrawFn, rows: list[dict[str, Any]], *, by_member: bool
) -> list[dict[str, Any]]:
    """1-3 plans; every census row that is not class 9 gets one."""
    n_plans = draw(st.integers(1, 3))
    plans: list[dict[str, Any]] = [
        {"name": f"Plan {chr(65 + p)}", "covers": draw(plan_covers())} for p in range(n_plans)
    ]
    catch_all = n_plans == 1 or draw(st.integers(0, 3)) > 0
    targeted = plans[:-1] if catch_all else plans
    free_classes = [1, 2, 3, 4, 5, 6, 9]
    ids = [r["member_id"] for r in rows] if by_member else []
    for plan in targeted:
        if by_member and ids and draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=5, unique=True))
            plan["member_ids"] = chosen
            ids = [i for i in ids if i not in chosen]
        else:
            chosen = draw(st.lists(st.sampled_from(free_classes), max_size=3, unique=True))
            plan["classes"] = chosen
            free_classes = [c for c in free_classes if c not in chosen]
    if not catch_all:
        listed = {m for p in plans for m in p.get("member_ids", [])}
        covered = {c for p in plans for c in p.get("classes", [])}
        missing = sorted(
            {occupation_class_of(r) for r in rows if r.get("member_id") not in listed}
            - covered
            - {9}
        )
        if missing:
            first = plans[0]
            first["classes"] = sorted({*first.get("classes", []), *missing})
    return plans


@st.composite
def requests(draw: st.DrawFn, *, groups: bool) -> QuoteRequest:
    pool = draw(st.lists(countries(), min_size=1, max_size=4))
    period = draw(policy_periods())
    if groups:
        rows = draw(group_rows(draw(st.integers(1, 8)), pool))
        census: dict[str, Any] = {"groups": rows}
    else:
        rows = draw(member_rows(draw(st.integers(1, 40)), pool, period))
        census = {"members": rows}
    raw: dict[str, Any] = {
        "policyholder": {
            "name": "中国路桥建设有限公司",
            "credit_code": credit_code(
                draw(st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True))
            ),
        },
        "period": {"start": period[0], "end": period[1]},
        "plans": assign_plans(draw, rows, by_member=not groups),
        "census": census,
        "currency": draw(st.sampled_from(["CNY", "USD"])),
    }
    if draw(st.booleans()):
        raw["as_of"] = TODAY + dt.timedelta(days=draw(st.integers(0, 60)))
    if draw(st.integers(0, 2)) == 0:
        # Plausible experience (a past year, member-years and claims the tariff's bounds
        # allow for this census); implausible ones are refused, see test_rating_input.
        e_start = min(period[0], TODAY) - dt.timedelta(days=draw(st.integers(365, 1500)))
        heads = sum(r.get("headcount", 1) for r in rows)
        member_years = draw(st.floats(0.5, min(2000, max(0.5, 1.9 * heads)), allow_nan=False))
        most_claims = int(10 * member_years)
        raw["experience"] = {
            "start": e_start,
            "end": e_start + dt.timedelta(days=364),
            "member_years": member_years,
            "claim_count": draw(
                st.one_of(st.integers(0, min(30, most_claims)), st.integers(0, most_claims))
            ),
            "incurred_claims": draw(money(0, 3_000_000)),
        }
    if draw(st.booleans()):
        raw["commission"] = draw(
            st.one_of(st.sampled_from(["0", "0.25"]), fraction("0", "0.25", 3))
        )
    if draw(st.booleans()):
        raw["underwriter_adjustment"] = draw(
            st.one_of(st.sampled_from(["0.1", "-0.1", "0.3", "-0.3"]), fraction("-0.3", "0.3", 2))
        )
    return msgspec.convert(raw, QuoteRequest)


# --------------------------------------------------------------------------- comparison


@pytest.fixture(scope="module", params=["2026.2", "variants"])
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    """Tariff 2026.2 as shipped (today's rules), and 2026.2 with every engine variant
    declared (evacuation by class and age band, aggregate credibility, presence)."""
    if request.param == "2026.2":
        return Case(TARIFF_DIR, TARIFF)
    folder = variant_tariff(tmp_path_factory.mktemp("tariff") / "variants")
    tariff = load_tariff(folder)
    assert tariff.params.accumulation.exposure == "presence"
    return Case(folder, tariff)


class Case:
    """The tariff folder a test prices with, and the same tariff loaded for the reference."""

    def __init__(self, folder: Path, tariff: Tariff) -> None:
        self.folder, self.tariff = folder, tariff


def price_both(request: QuoteRequest, case: Case) -> tuple[Quote, RefQuote]:
    quote = quote_request(request, tariff_root=case.folder, today=TODAY)
    return quote, reference_quote(request, case.tariff, request.as_of or TODAY, TODAY)


def label(quote: Quote, ref: RefQuote) -> None:
    """Record what an example exercised (shown by ``--hypothesis-show-statistics``)."""
    event(f"status {ref.status}")
    for code in sorted(ref.referral_codes):
        event(f"referral {code}")
    for code in sorted({c for codes in ref.declined.values() for c in codes}):
        event(f"declined {code}")
    if ref.member_minimums:
        event("member minimum")
    if ref.policy_minimum:
        event("policy minimum")
    factors = [x.factors for m in quote.members for x in m.lines]
    if any(f.get("accumulation_loading", 0) for f in factors):
        event("accumulation loading > 0")
    if any(f.get("experience_factor", 1) != 1 for f in factors):
        event("experience factor != 1")
    if any(f.get("vat_rate", 1) == 0 for f in factors):
        event("VAT-exempt line")


def assert_agree(quote: Quote, ref: RefQuote) -> None:
    lines: dict[tuple[str, str], int] = {}
    vat: dict[tuple[str, str], int] = {}
    for member in quote.members:
        for line in member.lines:
            lines[(member.member_id, line.cover)] = cents(line.premium)
            vat[(member.member_id, line.cover)] = cents(line.vat)
        assert cents(member.premium) == sum(cents(x.premium) for x in member.lines)
    assert lines == ref.lines
    assert vat == ref.vat

    member_min = {
        a.member_id: cents(a.premium) for a in quote.adjustments if a.kind == "member_minimum"
    }
    member_min_vat = {
        a.member_id: cents(a.vat) for a in quote.adjustments if a.kind == "member_minimum"
    }
    policy = [a for a in quote.adjustments if a.kind == "policy_minimum"]
    assert len(policy) <= 1
    assert member_min == ref.member_minimums
    assert member_min_vat == ref.member_minimum_vat
    assert (cents(policy[0].premium) if policy else 0) == ref.policy_minimum
    assert (cents(policy[0].vat) if policy else 0) == ref.policy_minimum_vat

    line_sum = sum((Decimal(x.premium) for m in quote.members for x in m.lines), Decimal(0))
    vat_sum = sum((Decimal(x.vat) for m in quote.members for x in m.lines), Decimal(0))
    adj_sum = sum((Decimal(a.premium) for a in quote.adjustments), Decimal(0))
    adj_vat = sum((Decimal(a.vat) for a in quote.adjustments), Decimal(0))
    assert Decimal(quote.total_premium) == line_sum + adj_sum
    assert Decimal(quote.total_vat) == vat_sum + adj_vat
    assert cents(quote.total_premium) == ref.total_premium_cents
    assert cents(quote.total_vat) == ref.total_vat_cents
    assert ref.total_premium_cents == (
        sum(ref.lines.values()) + sum(ref.member_minimums.values()) + ref.policy_minimum
    )

    assert quote.status == ref.status
    assert {d.member_id: {r.code for r in d.reasons} for d in quote.declined} == ref.declined
    assert {r.code for r in quote.referrals} == ref.referral_codes


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(requests(groups=False))
def test_member_census_agrees_with_reference(case: Case, request: QuoteRequest) -> None:
    quote, ref = price_both(request, case)
    label(quote, ref)
    assert_agree(quote, ref)


@SETTINGS
@given(requests(groups=True))
def test_group_census_agrees_with_reference(case: Case, request: QuoteRequest) -> None:
    quote, ref = price_both(request, case)
    label(quote, ref)
    assert_agree(quote, ref)


# --------------------------------------------------------------------------- explicit cases


def _code(rng: random.Random) -> str:
    return credit_code("".join(rng.choice("0123456789ABCDEFGH") for _ in range(9)))


PLAN_OFFICE = {
    "add": {"sum_insured": "1000000"},
    "amed": {"limit": "100000", "deductible": "100", "coinsurance": "0.9"},
    "smed": {"limit": "1000000"},
    "evac": {"limit": "500000"},
    "sdeath": {"sum_insured": "200000"},
    "hcash": {"daily_benefit": "200", "max_days": 180},
}
PLAN_SITE = {
    "add": {"sum_insured": "3000000"},
    "amed": {"limit": "50000", "deductible": "200", "coinsurance": "0.8"},
    "smed": {"limit": "300000", "deductible": "500", "coinsurance": "0.8"},
    "evac": {"limit": "300000"},
}


@pytest.mark.parametrize("currency", ["CNY", "USD"])
def test_two_hundred_members(case: Case, currency: str) -> None:
    rng = random.Random(2026)
    start, end = dt.date(2027, 1, 1), dt.date(2027, 12, 31)
    names = ["Indonesia", "PK", "KEN", "沙特阿拉伯", "Russia", "Mali", "Laos"]
    members = []
    for i in range(200):
        row: dict[str, Any] = {
            "member_id": f"E{i:04d}",
            "name": f"员工 {i}",
            "country": rng.choice(names),
            "date_of_birth": dt.date(
                rng.randint(1950, 2012), rng.randint(1, 12), rng.randint(1, 28)
            ),
            "site": rng.choice(["Morowali", "Karot Dam", "camp 2 ", None]),
        }
        if rng.random() < 0.3:
            row["occupation_code"] = rng.choice(OCCUPATION_CODES)
        else:
            row["occupation_class"] = rng.choice([1, 2, 3, 4, 5, 6, 9])
        if rng.random() < 0.2:
            row["start"] = dt.date(2027, rng.randint(1, 12), rng.randint(1, 28))
            row["end"] = row["start"] + dt.timedelta(days=rng.randint(10, 200))
        members.append({k: v for k, v in row.items() if v is not None})
    raw = {
        "policyholder": {"name": "中路海外工程建设有限公司", "credit_code": _code(rng)},
        "period": {"start": start, "end": end},
        "currency": currency,
        "as_of": dt.date(2026, 11, 1),
        "plans": [
            {"name": "Office", "classes": [1, 2], "covers": PLAN_OFFICE},
            {"name": "Site", "covers": PLAN_SITE},
            {"name": "Directors", "member_ids": ["E0003", "E0007"], "covers": PLAN_OFFICE},
        ],
        "census": {"members": members},
        "experience": {
            "start": dt.date(2025, 1, 1),
            "end": dt.date(2025, 12, 31),
            "member_years": 180.5,
            "claim_count": 240,
            "incurred_claims": "2500000" if currency == "CNY" else "350000",
        },
        "commission": "0.12",
        "underwriter_adjustment": "-0.05",
    }
    quote, ref = price_both(msgspec.convert(raw, QuoteRequest), case)
    assert_agree(quote, ref)
    assert len(quote.members) > 100 and quote.declined


@pytest.mark.parametrize("months", [3, 12])
def test_group_census(case: Case, months: int) -> None:
    start = dt.date(2026, 12, 1)
    m0 = start.month - 1 + months
    end = dt.date(start.year + m0 // 12, m0 % 12 + 1, 1) - dt.timedelta(days=1)
    groups = [
        {
            "country": "ID",
            "occupation_class": 2,
            "headcount": 40,
            "age_band": "30-39",
            "site": "Morowali",
        },
        {
            "country": "印度尼西亚",
            "occupation_class": 5,
            "headcount": 250,
            "age": 41,
            "site": "morowali",
        },
        {"country": "Pakistan", "occupation_class": 4, "headcount": 120, "age_band": "40-49"},
        {"country": "PAK", "occupation_class": 6, "headcount": 15, "age": 52, "site": "Karot Dam"},
        {"country": "Ethiopia", "occupation_class": 3, "headcount": 30, "age": 28},
        {"country": "Yemen", "occupation_class": 3, "headcount": 10, "age": 35},
        {"country": "KE", "occupation_class": 9, "headcount": 4, "age": 35},
        {"country": "Kenya", "occupation_class": 1, "headcount": 6, "age_band": "68-75"},
        {"country": "Brazil", "occupation_class": 1, "headcount": 1, "age": 45},
    ]
    raw = {
        "policyholder": {"name": "Power Construction Corp", "credit_code": _code(random.Random(7))},
        "period": {"start": start, "end": end},
        "as_of": dt.date(2026, 10, 20),
        "plans": [
            {"name": "Staff", "classes": [1, 2, 3], "covers": PLAN_OFFICE},
            {"name": "Workers", "covers": PLAN_SITE},
        ],
        "census": {"groups": groups},
    }
    quote, ref = price_both(msgspec.convert(raw, QuoteRequest), case)
    assert_agree(quote, ref)
    assert {"country_refer", "occupation_class", "site_accumulation"} <= ref.referral_codes
    assert ref.declined == {
        "G6": {"country_declined"},
        "G7": {"occupation_uninsurable"},
        "G8": {"age_out_of_range"},
    }


def test_tiny_group_gets_minimums(case: Case) -> None:
    raw = {
        "policyholder": {"name": "Small Co", "credit_code": _code(random.Random(3))},
        "period": {"start": dt.date(2026, 11, 1), "end": dt.date(2026, 11, 30)},
        "currency": "USD",
        "plans": [{"name": "Basic", "covers": {"sdeath": {"sum_insured": "7000"}}}],
        "census": {
            "members": [
                {"member_id": "A", "name": "A", "country": "LA", "age": 30, "occupation_class": 1},
                {
                    "member_id": "B",
                    "name": "B",
                    "country": "老挝",
                    "age": 40,
                    "occupation_class": 2,
                },
            ]
        },
    }
    quote, ref = price_both(msgspec.convert(raw, QuoteRequest), case)
    assert_agree(quote, ref)
    assert set(ref.member_minimums) == {"A", "B"} and ref.policy_minimum > 0
