"""The business-date clock, date windows and numeric bounds of a quote request, claims
experience taken with care, and every problem of a bad census row reported at once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from quoting.census import read_census
from quoting.errors import CensusError, RequestError
from quoting.services import decode_request, merge_census_file, quote_request
from quoting.settings import Clock, FixedClock, Settings
from tests.support import CREDIT_CODE, TARIFF_DIR, make_request

TODAY = dt.date(2026, 11, 29)
GROUP = {"country": "RS", "occupation_class": 2, "age": 40, "headcount": 100}
SDEATH = {"sdeath": {"sum_insured": "100000"}}


def request_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": CREDIT_CODE},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [
            {
                "name": "Plan",
                "covers": {**SDEATH, "hcash": {"daily_benefit": "100", "max_days": 90}},
            }
        ],
        "census": {"groups": [GROUP]},
    }
    body.update(changes)
    return body


def problems_of(body: dict[str, Any]) -> dict[str, str]:
    """Location -> message of every problem decoding and pricing ``body`` as of TODAY."""
    with pytest.raises(RequestError) as caught:
        request = decode_request(
            json.dumps(body, ensure_ascii=False), tariff_root=TARIFF_DIR, today=TODAY
        )
        quote_request(request, tariff_root=TARIFF_DIR, today=TODAY)
    return {p.location: p.message for p in caught.value.problems}


# --------------------------------------------------------------------------- the clock


def test_the_business_date_is_the_insurers_date_not_the_servers() -> None:
    # 17:30 UTC on 29 November is already 30 November in Shanghai.
    late = dt.datetime(2026, 11, 29, 17, 30, tzinfo=dt.UTC)
    assert FixedClock(at=late).today() == dt.date(2026, 11, 30)
    assert FixedClock(timezone="Europe/London", at=late).today() == dt.date(2026, 11, 29)
    assert Clock().now().tzinfo == ZoneInfo("Asia/Shanghai")


def test_the_time_zone_comes_from_the_environment() -> None:
    assert Settings.from_env({}).clock.timezone == "Asia/Shanghai"
    assert Settings.from_env({"QUOTING_TIMEZONE": "Africa/Nairobi"}).clock.timezone == (
        "Africa/Nairobi"
    )
    with pytest.raises(ValueError, match="QUOTING_TIMEZONE"):
        Settings.from_env({"QUOTING_TIMEZONE": "Mars/Olympus"})


def test_a_pinned_business_date_stays_while_time_moves() -> None:
    clock = Settings.from_env({"QUOTING_BUSINESS_DATE": " 2031-02-28 "}).clock
    assert clock.today() == dt.date(2031, 2, 28)
    # now() is the real time (sessions, rate limits and timestamps need it), not the pin.
    real = dt.datetime.now(dt.UTC)
    assert abs((clock.now() - real).total_seconds()) < 60
    assert clock.now().tzinfo == ZoneInfo("Asia/Shanghai")
    unpinned = Settings.from_env({"QUOTING_BUSINESS_DATE": ""}).clock
    assert unpinned.business_date is None
    assert unpinned.today() == unpinned.now().date()


@pytest.mark.parametrize("text", ["2026-02-30", "01/12/2026", "20261201", "2026-12-1", "today"])
def test_a_bad_business_date_is_refused_naming_the_variable(text: str) -> None:
    with pytest.raises(ValueError, match=r"QUOTING_BUSINESS_DATE=.*give a date as YYYY-MM-DD"):
        Settings.from_env({"QUOTING_BUSINESS_DATE": text})


# --------------------------------------------------------------------------- backdating


def test_backdating_compares_the_period_start_with_the_business_date() -> None:
    # Priced as of a date before the period starts, on a business date after it started.
    request = make_request(
        {"groups": [GROUP]},
        SDEATH,
        period={"start": "2026-11-15", "end": "2027-11-14"},
        as_of="2026-11-01",
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR, today=TODAY)
    assert quote.as_of == dt.date(2026, 11, 1)
    backdated = [r for r in quote.referrals if r.code == "backdated_period"]
    assert backdated and "business date 2026-11-29" in backdated[0].message
    assert quote.status == "referred"


def test_a_period_starting_today_or_later_is_not_backdated() -> None:
    request = make_request(
        {"groups": [GROUP]}, SDEATH, period={"start": "2026-11-29", "end": "2027-11-28"}
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR, today=TODAY)
    assert quote.status == "accepted"


# --------------------------------------------------------------------------- date windows


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"as_of": "9999-12-31"}, "as_of"),
        ({"as_of": "2020-01-01"}, "as_of"),
        ({"period": {"start": "9999-01-01", "end": "9999-12-31"}}, "period.start"),
        ({"period": {"start": "2025-11-01", "end": "2026-10-31"}}, "period.start"),
        ({"period": {"start": "2029-01-01", "end": "2029-12-31"}}, "period.start"),
        ({"period": {"start": "0001-01-01", "end": "0001-12-31"}}, "period.start"),
    ],
)
def test_dates_outside_their_window_are_named(changes: dict[str, Any], location: str) -> None:
    found = problems_of(request_body(**changes))
    assert list(found) == [location]


def test_member_dates_and_experience_have_windows_too() -> None:
    member = {
        "member_id": "1",
        "name": "A",
        "country": "ID",
        "age": 30,
        "occupation_class": 2,
        "start": "2027-02-01",
        "end": "2035-01-31",
    }
    experience = {
        "start": "2026-01-01",
        "end": "2026-12-31",  # claims experience cannot end after today
        "member_years": 1,
        "claim_count": 0,
        "incurred_claims": "0",
    }
    found = problems_of(request_body(census={"members": [member]}, experience=experience))
    assert set(found) == {"census.members[0].end", "experience.end"}


def test_a_date_of_birth_before_1900_is_refused() -> None:
    member = {"member_id": "1", "name": "A", "country": "ID", "occupation_class": 2}
    found = problems_of(
        request_body(census={"members": [{**member, "date_of_birth": "1850-01-01"}]})
    )
    assert list(found) == ["census.members[0].date_of_birth"]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"commission": "1e400"}, "commission"),
        ({"underwriter_adjustment": "-1e400"}, "underwriter_adjustment"),
        ({"census": {"groups": [{**GROUP, "headcount": 2**63}]}}, "census.groups[0].headcount"),
        ({"census": {"groups": [{**GROUP, "headcount": 1_000_000}]}}, "census.groups[0].headcount"),
        ({"census": {"groups": [GROUP] * 1001}}, "census.groups"),
        ({"census": {"groups": [{**GROUP, "age": 2**70}]}}, "census.groups[0].age"),
        (
            {"census": {"groups": [{**GROUP, "age": None, "age_band": "30-999"}]}},
            "census.groups[0].age_band",
        ),
        (
            {
                "plans": [
                    {"name": "P", "covers": {"hcash": {"daily_benefit": "1", "max_days": 2**64}}}
                ]
            },
            "plans[0].covers.hcash.max_days",
        ),
        (
            {"plans": [{"name": "P", "covers": {"add": {"sum_insured": "1e40"}}}]},
            "plans[0].covers.add.sum_insured",
        ),
        (
            {"plans": [{"name": "P", "covers": {"amed": {"limit": "1000", "deductible": "1e99"}}}]},
            "plans[0].covers.amed.deductible",
        ),
    ],
)
def test_numbers_that_would_overflow_are_named(changes: dict[str, Any], location: str) -> None:
    assert list(problems_of(request_body(**changes))) == [location]


def experience(**changes: Any) -> dict[str, Any]:
    return {
        "start": "2024-01-01",
        "end": "2025-12-31",
        "member_years": 190,
        "claim_count": 20,
        "incurred_claims": "20000",
    } | changes


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"claim_count": 2**63 - 1, "incurred_claims": "1"}, "experience.claim_count"),
        ({"claim_count": -1}, "experience.claim_count"),
        ({"claim_count": 1901}, "experience.claim_count"),  # above 10 per member-year
        ({"member_years": 1e308}, "experience.member_years"),
        ({"member_years": 500}, "experience.member_years"),  # 100 members, 2 years, margin 2
        ({"member_years": 0}, "experience.member_years"),
        (
            {"member_years": 5e-324, "claim_count": 0, "incurred_claims": "1000000000000"},
            "experience.member_years",
        ),
        ({"incurred_claims": "-1"}, "experience.incurred_claims"),
        ({"incurred_claims": "1e30"}, "experience.incurred_claims"),
        ({"start": "2010-01-01"}, "experience.start"),
    ],
)
def test_implausible_experience_is_refused(changes: dict[str, Any], location: str) -> None:
    found = problems_of(request_body(experience=experience(**changes)))
    assert location in found, found


def test_a_large_experience_discount_is_referred() -> None:
    # Two years with no claims at all: full credibility gives the tariff's floor (0.75).
    request = make_request(
        {"groups": [GROUP]},
        SDEATH,
        experience=experience(member_years=400, claim_count=1100, incurred_claims="0"),
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR, today=TODAY)
    assert quote.rating.experience is not None
    assert quote.rating.experience.factor == 0.75
    referral = [r for r in quote.referrals if r.code == "experience_discount"]
    assert referral and "25.0%" in referral[0].message
    assert quote.status == "referred"


def test_a_modest_experience_discount_is_automatic() -> None:
    request = make_request(
        {"groups": [GROUP]},
        SDEATH,
        experience=experience(claim_count=5, incurred_claims="0"),
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR, today=TODAY)
    assert quote.rating.experience is not None
    assert 0.9 <= quote.rating.experience.factor < 1
    assert quote.status == "accepted"


# --------------------------------------------------------------------------- census rows


def test_a_member_row_reports_every_problem() -> None:
    member = {
        "member_id": "1",
        "name": "A",
        "country": "Atlantis",
        "date_of_birth": "1985-02-30",
        "occupation_class": 7,
    }
    found = problems_of(request_body(census={"members": [member]}))
    assert set(found) == {
        "census.members[0].date_of_birth",
        "census.members[0].country",
        "census.members[0].occupation_class",
    }
    assert "Atlantis" in found["census.members[0].country"]
    assert "1-6 or 9" in found["census.members[0].occupation_class"]


def test_a_group_row_reports_every_problem() -> None:
    group = {"country": "Narnia", "occupation_class": 7, "headcount": "many", "age": 40}
    found = problems_of(request_body(census={"groups": [group]}))
    assert set(found) == {
        "census.groups[0].country",
        "census.groups[0].occupation_class",
        "census.groups[0].headcount",
    }


def test_a_row_missing_a_field_and_with_a_bad_one_reports_both() -> None:
    member = {"member_id": "1", "name": "A", "age": 30, "occupation_class": 7}
    found = problems_of(request_body(census={"members": [member]}))
    assert set(found) == {"census.members[0].country", "census.members[0].occupation_class"}


@pytest.mark.parametrize(
    ("filename", "data", "row"),
    [
        (
            "staff.csv",
            b"member_id,name,country,date_of_birth,occupation_class\n1,A,Atlantis,1985-02-30,7\n",
            2,
        ),
        (
            "staff.json",
            json.dumps(
                [
                    {
                        "member_id": "1",
                        "name": "A",
                        "country": "Atlantis",
                        "date_of_birth": "1985-02-30",
                        "occupation_class": 7,
                    }
                ]
            ).encode(),
            1,
        ),
        ("grid.csv", b"country,occupation_class,headcount,age\nAtlantis,7,many,40\n", 2),
    ],
)
def test_a_census_file_row_reports_every_problem_with_row_and_column(
    filename: str, data: bytes, row: int
) -> None:
    body = request_body()
    del body["census"]
    with pytest.raises(CensusError) as caught:
        merge_census_file(
            json.dumps(body).encode(), data, filename, tariff_root=TARIFF_DIR, today=TODAY
        )
    found = {p.location: p.message for p in caught.value.problems}
    third = "headcount" if filename == "grid.csv" else "date_of_birth"
    assert set(found) == {f"row {row}, column {c}" for c in ("country", "occupation_class", third)}
    assert "Atlantis" in found[f"row {row}, column country"]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("grid.csv", b"country,occupation_class,headcount,age\nID,2,100000,40\nID,2,5,40\n"),
        (
            "grid.json",
            json.dumps(
                {
                    "groups": [
                        {"country": "ID", "occupation_class": 2, "age": 40, "headcount": 100_000}
                    ]
                    * 2
                }
            ).encode(),
        ),
    ],
)
def test_a_census_file_of_more_than_100000_members_is_refused(filename: str, data: bytes) -> None:
    with pytest.raises(CensusError) as caught:
        read_census(data, filename)
    [problem] = caught.value.problems
    assert problem.location.endswith("column headcount")
    assert "at most 100,000" in problem.message
