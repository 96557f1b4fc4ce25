"""Resolving a request against the tariff: ages, months, plans and every request problem."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from quoting.errors import RequestError
from quoting.rating_input import ResolvedRequest, age_last_birthday, months_begun, resolve
from quoting.schemas import QuoteRequest
from quoting.services import decode_request
from quoting.tariff import Tariff
from tests.support import ROOT, make_request

D = dt.date
ADD = {"add": {"sum_insured": "500000"}}
EXAMPLE = ROOT / "examples" / "construction_company.json"


def member(member_id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "member_id": member_id,
        "name": f"Member {member_id}",
        "country": "ID",
        "date_of_birth": "1985-06-15",
        "occupation_class": 2,
    }
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def members(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"members": list(rows)}


def resolved(tariff: Tariff, request: QuoteRequest) -> ResolvedRequest:
    return resolve(request, tariff, fx_rate=1.0)


def problems(tariff: Tariff, request: QuoteRequest) -> dict[str, str]:
    with pytest.raises(RequestError) as exc:
        resolved(tariff, request)
    out = {p.location: p.message for p in exc.value.problems}
    assert len(out) == len(exc.value.problems), "one problem per location expected"
    return out


# --------------------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (D(1990, 6, 15), D(2027, 6, 15), 37),  # birthday on the start day counts
        (D(1990, 6, 15), D(2027, 6, 14), 36),
        (D(1990, 6, 15), D(2027, 6, 16), 37),
        (D(1990, 6, 15), D(2027, 1, 1), 36),
        (D(1990, 12, 31), D(2027, 1, 1), 36),
        (D(2000, 2, 29), D(2027, 2, 28), 26),  # a 29 February birthday counts on 1 March
        (D(2000, 2, 29), D(2027, 3, 1), 27),
        (D(2000, 2, 29), D(2028, 2, 28), 27),
        (D(2000, 2, 29), D(2028, 2, 29), 28),
        (D(2027, 1, 1), D(2027, 1, 1), 0),
    ],
)
def test_age_last_birthday(born: dt.date, on: dt.date, age: int) -> None:
    assert age_last_birthday(born, on) == age


def test_age_is_taken_on_the_members_start_day(tariff: Tariff) -> None:
    request = make_request(
        members(
            member("A", date_of_birth="1990-01-01"),
            member("B", date_of_birth="1990-01-02"),
            member("C", date_of_birth="1990-03-01", start="2027-03-01"),
        ),
        ADD,
    )
    assert [r.age for r in resolved(tariff, request).rows] == [37, 36, 37]


# --------------------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2027, 1, 1), D(2027, 12, 31), 12),
        (D(2027, 4, 1), D(2027, 9, 30), 6),
        (D(2027, 4, 15), D(2027, 5, 15), 2),
        (D(2027, 4, 15), D(2027, 5, 14), 1),
        (D(2027, 4, 15), D(2027, 4, 15), 1),
        (D(2027, 1, 1), D(2027, 1, 31), 1),
        (D(2027, 1, 1), D(2027, 2, 1), 2),
        (D(2027, 1, 1), D(2028, 1, 1), 12),  # 366 days: capped at 12
        (D(2028, 1, 1), D(2028, 12, 31), 12),  # a leap year
        (D(2027, 7, 1), D(2028, 6, 30), 12),
    ],
)
def test_months_begun(start: dt.date, end: dt.date, months: int) -> None:
    assert months_begun(start, end) == months


def test_members_own_dates_set_their_months(tariff: Tariff) -> None:
    request = make_request(
        members(
            member("A"),
            member("B", start="2027-04-01", end="2027-09-30"),
            member("C", start="2027-04-15", end="2027-05-15"),
        ),
        ADD,
    )
    assert [r.months for r in resolved(tariff, request).rows] == [12, 6, 2]


# --------------------------------------------------------------------------- plans


def test_plan_assignment_member_ids_beat_classes_beat_catch_all(tariff: Tariff) -> None:
    plans = [
        {"name": "VIP", "covers": ADD, "member_ids": ["M1"]},
        {"name": "Workers", "covers": ADD, "classes": [3, 4]},
        {"name": "Everyone else", "covers": ADD},
    ]
    request = make_request(
        members(
            member("M1", occupation_class=3),
            member("M2", occupation_class=3),
            member("M3", occupation_class=1),
            member("M4", occupation_class=4),
        ),
        ADD,
        plans=plans,
    )
    rows = resolved(tariff, request).rows
    assert {r.member_id: r.plan for r in rows} == {"M1": 0, "M2": 1, "M3": 2, "M4": 1}


def test_plan_assignment_by_occupation_code(tariff: Tariff) -> None:
    plans = [
        {"name": "Office", "covers": ADD, "classes": [1, 2]},
        {"name": "Heavy", "covers": ADD, "classes": [6]},
    ]
    request = make_request(
        members(
            member("A", occupation_class=None, occupation_code=" x01 "),
            member("B", occupation_class=None, occupation_code="M02"),
        ),
        ADD,
        plans=plans,
    )
    rows = resolved(tariff, request).rows
    assert [(r.occupation_class, r.plan) for r in rows] == [(6, 1), (1, 0)]


def test_class_in_two_plans(tariff: Tariff) -> None:
    plans = [
        {"name": "A", "covers": ADD, "classes": [1, 2]},
        {"name": "B", "covers": ADD, "classes": [2, 3]},
    ]
    found = problems(tariff, make_request(members(member("M1")), ADD, plans=plans))
    assert found.keys() == {"plans[1].classes"}
    assert "class 2 is already in plan 'A'" in found["plans[1].classes"]


def test_member_in_two_plans(tariff: Tariff) -> None:
    plans = [
        {"name": "A", "covers": ADD, "member_ids": ["M1"]},
        {"name": "B", "covers": ADD, "member_ids": ["M1"]},
    ]
    found = problems(tariff, make_request(members(member("M1")), ADD, plans=plans))
    assert found.keys() == {"plans[1].member_ids"}
    assert "member M1 is already in plan 'A'" in found["plans[1].member_ids"]


def test_two_catch_all_plans(tariff: Tariff) -> None:
    plans = [{"name": "A", "covers": ADD}, {"name": "B", "covers": ADD}]
    found = problems(tariff, make_request(members(member("M1")), ADD, plans=plans))
    assert found.keys() == {"plans[1]"}
    assert "only one plan may omit both classes and member_ids" in found["plans[1]"]


def test_member_with_no_plan_names_the_census_row(tariff: Tariff) -> None:
    plans = [{"name": "Office", "covers": ADD, "classes": [1, 2]}]
    request = make_request(
        members(member("M1", occupation_class=2), member("M2", occupation_class=4)),
        ADD,
        plans=plans,
    )
    found = problems(tariff, request)
    assert found.keys() == {"census.members[1]"}
    assert "no plan applies to this member (class 4)" in found["census.members[1]"]


def test_plan_member_ids_not_in_census(tariff: Tariff) -> None:
    plans = [
        {"name": "VIP", "covers": ADD, "member_ids": ["M1", "GHOST"]},
        {"name": "Rest", "covers": ADD},
    ]
    found = problems(tariff, make_request(members(member("M1")), ADD, plans=plans))
    assert found == {"plans": "member_ids not in the census: GHOST"}


# --------------------------------------------------------------------------- field problems


def test_unknown_occupation_code(tariff: Tariff) -> None:
    request = make_request(members(member("M1", occupation_class=None, occupation_code="Z99")), ADD)
    found = problems(tariff, request)
    assert found.keys() == {"census.members[0].occupation_code"}
    assert "unknown occupation code 'Z99'" in found["census.members[0].occupation_code"]


def test_occupation_code_contradicting_class(tariff: Tariff) -> None:
    request = make_request(members(member("M1", occupation_class=2, occupation_code="X01")), ADD)
    found = problems(tariff, request)
    assert found.keys() == {"census.members[0].occupation_class"}
    assert (
        "class 2 contradicts occupation X01 (class 6)"
        in found["census.members[0].occupation_class"]
    )


def test_occupation_code_agreeing_with_class_is_accepted(tariff: Tariff) -> None:
    request = make_request(members(member("M1", occupation_class=6, occupation_code="X01")), ADD)
    assert resolved(tariff, request).rows[0].occupation_class == 6


def test_unknown_country(tariff: Tariff) -> None:
    request = make_request(members(member("M1", country="Atlantis")), ADD)
    found = problems(tariff, request)
    assert found.keys() == {"census.members[0].country"}
    assert "unknown country 'Atlantis'" in found["census.members[0].country"]


def test_country_names_resolve_to_one_country(tariff: Tariff) -> None:
    request = make_request(
        members(
            member("A", country="ID"), member("B", country="印度尼西亚"), member("C", country="idn")
        ),
        ADD,
    )
    rows = resolved(tariff, request).rows
    assert {tariff.countries[r.country].code for r in rows} == {"ID"}


def test_duplicate_member_id(tariff: Tariff) -> None:
    request = make_request(members(member("M1"), member("M2"), member("M1")), ADD)
    found = problems(tariff, request)
    assert found.keys() == {"census.members[2].member_id"}
    assert "M1 appears more than once" in found["census.members[2].member_id"]


def test_date_of_birth_after_start(tariff: Tariff) -> None:
    request = make_request(members(member("M1", date_of_birth="2027-01-02")), ADD)
    found = problems(tariff, request)
    assert found.keys() == {"census.members[0].date_of_birth"}
    assert "after the member's cover starts" in found["census.members[0].date_of_birth"]


def test_hospital_cash_max_days_not_offered(tariff: Tariff) -> None:
    covers = {**ADD, "hcash": {"daily_benefit": "200", "max_days": 45}}
    found = problems(tariff, make_request(members(member("M1")), covers))
    assert found.keys() == {"plans[0].covers.hcash.max_days"}
    offered = sorted(int(d) for d in tariff.params.covers["hcash"].max_days_factors or {})
    message = found["plans[0].covers.hcash.max_days"]
    assert "45 days is not offered" in message
    assert f"choose one of {', '.join(map(str, offered))}" in message


def test_hospital_cash_offered_max_days_is_accepted(tariff: Tariff) -> None:
    days = max(int(d) for d in tariff.params.covers["hcash"].max_days_factors or {})
    covers = {**ADD, "hcash": {"daily_benefit": "200", "max_days": days}}
    assert resolved(tariff, make_request(members(member("M1")), covers)).rows


def test_commission_above_the_tariffs_maximum(tariff: Tariff) -> None:
    loadings = tariff.params.loadings
    value = loadings.commission_max + 0.01
    request = make_request(members(member("M1")), ADD, commission=f"{value:.4f}")
    found = problems(tariff, request)
    assert found.keys() == {"commission"}
    message = found["commission"]
    assert "outside the tariff's bounds" in message
    assert f"[{loadings.commission_min:g}, {loadings.commission_max:g}]" in message


def test_commission_at_its_bounds_is_used(tariff: Tariff) -> None:
    loadings = tariff.params.loadings
    for value in (loadings.commission_min, loadings.commission_max):
        request = make_request(members(member("M1")), ADD, commission=str(value))
        assert resolved(tariff, request).commission == pytest.approx(value)
    default = resolved(tariff, make_request(members(member("M1")), ADD)).commission
    assert default == loadings.commission_default


@pytest.mark.parametrize("sign", [1, -1])
def test_adjustment_beyond_max(tariff: Tariff, sign: int) -> None:
    limit = tariff.params.underwriting.adjustment_max
    request = make_request(
        members(member("M1")), ADD, underwriter_adjustment=f"{sign * (limit + 0.01):.4f}"
    )
    found = problems(tariff, request)
    assert found.keys() == {"underwriter_adjustment"}
    assert f"beyond the maximum of ±{limit:g}" in found["underwriter_adjustment"]


def test_adjustment_at_max_is_accepted(tariff: Tariff) -> None:
    limit = tariff.params.underwriting.adjustment_max
    request = make_request(members(member("M1")), ADD, underwriter_adjustment=f"-{limit}")
    assert resolved(tariff, request).adjustment == pytest.approx(-limit)


# --------------------------------------------------------------------------- all at once


def test_three_bad_rows_give_three_problems(tariff: Tariff) -> None:
    request = make_request(
        members(
            member("M1", country="Atlantis"),
            member("M2"),
            member("M3", occupation_class=None, occupation_code="Z99"),
            member("M4", date_of_birth="2030-01-01"),
        ),
        ADD,
    )
    found = problems(tariff, request)
    assert found.keys() == {
        "census.members[0].country",
        "census.members[2].occupation_code",
        "census.members[3].date_of_birth",
    }


def test_every_kind_of_problem_is_reported_together(tariff: Tariff) -> None:
    loadings = tariff.params.loadings
    limit = tariff.params.underwriting.adjustment_max
    plans = [
        {
            "name": "A",
            "covers": {**ADD, "hcash": {"daily_benefit": "100", "max_days": 45}},
            "classes": [1, 2],
        },
        {"name": "B", "covers": ADD, "classes": [2]},
    ]
    request = make_request(
        members(member("M1", country="Narnia"), member("M1"), member("M3", occupation_class=5)),
        ADD,
        plans=plans,
        commission=f"{loadings.commission_max + 0.05:.4f}",
        underwriter_adjustment=f"{limit + 0.05:.4f}",
    )
    found = problems(tariff, request)
    assert found.keys() == {
        "commission",
        "underwriter_adjustment",
        "plans[0].covers.hcash.max_days",
        "plans[1].classes",
        "census.members[0].country",
        "census.members[1].member_id",
        "census.members[2]",
    }


def test_one_row_with_two_problems_reports_both(tariff: Tariff) -> None:
    request = make_request(
        members(member("M1"), member("M1", country="Atlantis", date_of_birth="2030-01-01")), ADD
    )
    found = problems(tariff, request)
    assert found.keys() == {
        "census.members[1].country",
        "census.members[1].member_id",
        "census.members[1].date_of_birth",
    }


# --------------------------------------------------------------------------- decode_request


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_decode_request_reads_the_example() -> None:
    request = decode_request(EXAMPLE.read_bytes())
    assert request.census.members is not None
    assert len(request.census.members) == 59
    assert request.as_of is None  # priced as of the business date


def test_decode_request_reports_every_bad_census_row() -> None:
    body = example()
    body["census"]["members"][1]["date_of_birth"] = "1990-13-01"
    body["census"]["members"][4]["date_of_birth"] = "yesterday"
    with pytest.raises(RequestError) as exc:
        decode_request(json.dumps(body, ensure_ascii=False))
    locations = [p.location for p in exc.value.problems]
    assert locations == [
        "census.members[1].date_of_birth",
        "census.members[4].date_of_birth",
    ]


def test_decode_request_reports_bad_rows_and_other_fields() -> None:
    body = example()
    body["period"]["end"] = "2026-12-31"  # before start
    body["census"]["members"][0]["sex"] = "X"
    body["census"]["members"][2]["age"] = 30  # date_of_birth as well
    with pytest.raises(RequestError) as exc:
        decode_request(json.dumps(body, ensure_ascii=False))
    found = {p.location: p.message for p in exc.value.problems}
    assert found.keys() == {"period.end", "census.members[0].sex", "census.members[2]"}
    assert found["period.end"] == "must not be before start"
    assert "give exactly one of date_of_birth and age" in found["census.members[2]"]


@pytest.mark.parametrize("data", ["not json", "{", "", '{"policyholder": '])
def test_decode_request_invalid_json(data: str) -> None:
    with pytest.raises(RequestError) as exc:
        decode_request(data)
    [problem] = exc.value.problems
    assert "not valid JSON" in problem.message


def test_decode_request_truncated_file() -> None:
    raw = EXAMPLE.read_bytes()
    with pytest.raises(RequestError) as exc:
        decode_request(raw[: len(raw) // 2])
    assert "not valid JSON" in str(exc.value)


@pytest.mark.parametrize("data", ['{"colour": ', '{"policyholder": {"name": "X"}, "plans": ['])
def test_decode_request_malformed_json_after_a_schema_error(data: str) -> None:
    with pytest.raises(RequestError):
        decode_request(data)


def test_decode_request_unknown_field() -> None:
    body = example()
    body["discount"] = "0.1"
    with pytest.raises(RequestError) as exc:
        decode_request(json.dumps(body, ensure_ascii=False))
    assert [str(p) for p in exc.value.problems] == ["discount: is not a field of a quote request"]
