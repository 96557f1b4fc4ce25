"""The new-quote form: what an agent types becomes the service's request, every value is
kept for the form shown again, and each problem the service finds lands beside the field
it concerns (census file problems in their row/column table)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from quoting.errors import Problem, QuotingError
from quoting.services import decode_request
from quoting.web.pages._quote_form import QuoteForm, form_errors
from tests.support import TARIFF_DIR

TODAY = dt.date(2026, 12, 3)


def _submitted(**changes: list[str]) -> dict[str, list[str]]:
    """A form as the browser posts it: two plans from the presets, three grid rows of
    which the middle one is blank."""
    data = {
        "policyholder_name": ["中路海外工程建设有限公司"],
        "credit_code": ["91110000ma01abcd52 "],
        "period_start": ["2027-01-01"],
        "period_end": ["2027-12-31"],
        "currency": ["CNY"],
        "census_mode": ["grid"],
        "plan_count": ["2"],
        "plan-0-name": ["管理人员"],
        "plan-0-classes": ["1", "2"],
        "plan-0-add": ["on"],
        "plan-0-add-sum_insured": ["1,000,000"],
        "plan-0-hcash": ["on"],
        "plan-0-hcash-daily_benefit": ["200"],
        "plan-0-hcash-max_days": ["180"],
        "plan-0-amed-limit": ["50000"],  # typed, but the cover is not ticked
        "plan-1-name": ["现场人员"],
        "plan-1-classes": ["3", "4", "9", "x"],
        "plan-1-amed": ["on"],
        "plan-1-amed-limit": ["50 000"],
        "plan-1-amed-deductible": ["200"],
        "plan-1-amed-coinsurance": ["0.8"],
        "grid_country": ["KE", "", "印度尼西亚"],
        "grid_class": ["2", "", "4"],
        "grid_age_band": ["30-39", "", "40–49"],
        "grid_headcount": ["12", "", "30"],
    }
    return data | changes


def test_the_request_is_what_was_typed_with_blank_rows_and_unticked_covers_left_out() -> None:
    form = QuoteForm.parse(_submitted())
    body, rows = form.request()
    assert body["policyholder"] == {
        "name": "中路海外工程建设有限公司",
        "credit_code": "91110000MA01ABCD52",
    }
    assert body["period"] == {"start": "2027-01-01", "end": "2027-12-31"}
    assert body["plans"][0] == {
        "name": "管理人员",
        "classes": [1, 2],
        "covers": {
            "add": {"sum_insured": "1000000"},
            "hcash": {"daily_benefit": "200", "max_days": 180},
        },
    }
    # Class 9 and junk are not classes a plan can be given.
    assert body["plans"][1]["classes"] == [3, 4]
    assert body["plans"][1]["covers"] == {
        "amed": {"limit": "50000", "deductible": "200", "coinsurance": "0.8"}
    }
    assert body["census"] == {
        "groups": [
            {"country": "KE", "occupation_class": 2, "headcount": 12, "age_band": "30-39"},
            {"country": "印度尼西亚", "occupation_class": 4, "headcount": 30, "age_band": "40-49"},
        ]
    }
    assert rows == [0, 2]
    # And the service takes it as it is.
    request = decode_request(msgspec.json.encode(body), tariff_root=TARIFF_DIR, today=TODAY)
    assert request.census.groups is not None and len(request.census.groups) == 2


def test_everything_typed_is_kept_for_the_form_shown_again() -> None:
    form = QuoteForm.parse(_submitted(credit_code=["typo!"], grid_headcount=["12", "", "lots"]))
    assert form.credit_code == "typo!"
    assert form.plans[0].amounts["add"]["sum_insured"] == "1,000,000"
    assert form.plans[0].amounts["amed"]["limit"] == "50000"
    assert form.plans[0].covers["add"] and not form.plans[0].covers["amed"]
    assert [r.headcount for r in form.grid] == ["12", "", "lots"]
    assert form.grid[2].age_band == "40–49"


def _problems(form: QuoteForm) -> tuple[list[Problem], list[int]]:
    body, rows = form.request()
    with pytest.raises(QuotingError) as caught:
        decode_request(msgspec.json.encode(body), tariff_root=TARIFF_DIR, today=TODAY)
    return caught.value.problems, rows


def test_service_problems_appear_beside_their_fields() -> None:
    form = QuoteForm.parse(
        _submitted(
            credit_code=["91110000MA01ABCD53"],  # check character wrong
            **{"plan-1-amed-limit": [""]},
            grid_country=["KE", "", "Narnia"],
            grid_headcount=["12", "", "lots"],
        )
    )
    problems, rows = _problems(form)
    errors = form_errors(problems, form, rows)
    assert errors.fields == {
        "credit_code": ["check character does not match"],
        "plan-1-amed-limit": ["Invalid decimal string"],
        # The census's second group is the grid's third row (the blank one is skipped).
        "grid-2-headcount": ["expected a whole number, got text"],
        "grid-2-country": [
            "unknown country 'Narnia' (use an ISO code, or the English or Chinese name)"
        ],
    }
    assert errors.summary()[0] == ("credit_code", "check character does not match")
    assert not errors.census_rows and not errors.general


def test_a_row_without_an_age_band_is_an_error_of_the_row() -> None:
    form = QuoteForm.parse(_submitted(grid_age_band=["", "", "40-49"]))
    problems, rows = _problems(form)
    errors = form_errors(problems, form, rows)
    assert errors.fields == {"grid-0": ["give exactly one of age and age_band"]}


def test_census_file_problems_go_to_the_row_table_and_other_census_problems_to_the_file() -> None:
    form = QuoteForm.parse(_submitted(census_mode=["upload"]))
    body, rows = form.request()
    assert "census" not in body
    problems = [
        Problem("unknown country 'Atlantis'", file="census.csv", row=7, column="country"),
        Problem("the census is empty", path=("census",)),
        Problem("only underwriters may adjust a premium", path=("underwriter_adjustment",)),
    ]
    errors = form_errors(problems, form, rows)
    assert [(p.row, p.column, p.message) for p in errors.census_rows] == [
        (7, "country", "unknown country 'Atlantis'")
    ]
    assert errors.fields == {"census_file": ["the census is empty"]}
    assert errors.general == ["underwriter_adjustment: only underwriters may adjust a premium"]


def test_the_buttons_add_and_remove_plans_and_rows_without_javascript() -> None:
    form = QuoteForm.parse(_submitted())
    assert form.apply("add-rows", "en")
    assert len(form.grid) == 3 + 5
    assert form.apply("remove-row-0", "en")
    assert form.grid[0].is_blank() and form.grid[1].country == "印度尼西亚"
    assert form.apply("add-plan", "en", "full")
    assert form.apply("add-plan", "en", "full")
    assert [p.name for p in form.plans] == [
        "管理人员",
        "现场人员",
        "Full package",
        "Full package 2",
    ]
    assert form.plans[2].covers == dict.fromkeys(form.plans[2].covers, True)
    assert form.apply("remove-plan-0", "en")
    assert form.plans[0].name == "现场人员"
    assert not form.apply("price", "en")
    assert form.apply("remove-row-99", "en")  # gone already: nothing happens


def test_a_new_form_starts_next_month_for_a_year_with_two_presets() -> None:
    form = QuoteForm.new(TODAY, "zh_Hans_CN")
    assert (form.period_start, form.period_end) == ("2027-01-01", "2027-12-31")
    assert [p.name for p in form.plans] == ["管理人员", "现场人员"]
    assert [p.classes for p in form.plans] == [[1, 2], [3, 4, 5, 6]]
    # The site preset has no hospital cash: listed unticked, with amounts to start from.
    assert not form.plans[1].covers["hcash"]
    assert form.plans[1].amounts["hcash"] == {"daily_benefit": "300", "max_days": "365"}
    assert all(r.is_blank() for r in form.grid)


def test_commission_experience_and_chinese_plan_names_go_into_the_request() -> None:
    form = QuoteForm.parse(
        _submitted(
            commission=["12.5%"],
            experience_start=["2023-01-01"],
            experience_end=["2025-12-31"],
            experience_member_years=["120.5"],
            experience_claim_count=["3"],
            experience_incurred_claims=["45,000.50"],
            **{"plan-0-name_zh": [" 管理人员 "], "plan-1-name": ["Site workers"]},
        )
    )
    body, _rows = form.request()
    assert body["commission"] == "0.125"  # 12.5 % as the request's fraction, exactly
    assert body["experience"] == {
        "start": "2023-01-01",
        "end": "2025-12-31",
        "member_years": 120.5,
        "claim_count": 3,
        "incurred_claims": "45000.50",
    }
    assert body["plans"][0]["name_zh"] == "管理人员" and "name_zh" not in body["plans"][1]
    request = decode_request(msgspec.json.encode(body), tariff_root=TARIFF_DIR, today=TODAY)
    assert str(request.commission) == "0.125" and request.experience is not None
    assert request.experience.claim_count == 3 and request.plans[0].name_zh == "管理人员"
    # A plain fraction goes as typed; nothing typed: the tariff's default, no experience.
    assert QuoteForm.parse(_submitted(commission=["0.1"])).request()[0]["commission"] == "0.1"
    plain, _rows = QuoteForm.parse(_submitted()).request()
    assert "commission" not in plain and "experience" not in plain


def test_commission_and_experience_problems_land_beside_their_fields() -> None:
    form = QuoteForm.parse(
        _submitted(
            commission=["lots"],
            experience_start=["2023-01-01"],
            experience_member_years=["many"],
            **{"plan-0-name_zh": ["\x01"]},
        )
    )
    body, rows = form.request()
    with pytest.raises(QuotingError) as caught:
        decode_request(msgspec.json.encode(body), tariff_root=TARIFF_DIR, today=TODAY)
    errors = form_errors(caught.value.problems, form, rows)
    assert set(errors.fields) >= {"commission", "plan-0-name_zh"}
    assert any(f.startswith("experience_") for f in errors.fields)
    assert form.commission == "lots" and form.experience["member_years"] == "many"  # kept


def test_an_english_form_prefills_the_presets_chinese_names() -> None:
    english = QuoteForm.new(TODAY, "en")
    assert [(p.name, p.name_zh) for p in english.plans] == [
        ("Office and management", "管理人员"),
        ("Site workers", "现场人员"),
    ]
    # In Chinese the plan's name is the Chinese one already.
    assert [p.name_zh for p in QuoteForm.new(TODAY, "zh_Hans_CN").plans] == ["", ""]
