"""Quotes from a multipart upload: a `request` JSON part and a `census` CSV or XLSX file."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import Workbook

from quoting.census import MAX_CENSUS_BYTES
from tests.api.conftest import Api, ApiFactory, Caller, example_request

QUOTES = "/api/v1/quotes"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CSV_OK = (
    "member_id,name,sex,date_of_birth,occupation_class,country,site\n"
    "W001,Li Ming,M,1980-01-02,4,Kenya,Mombasa port\n"
    "W002,Wang Fang,F,1990-05-06,2,印度尼西亚,\n"
    "W003,Zhao Lei,M,1975-07-08,3,KE,\n"
)
CSV_BAD = (
    "member_id,name,sex,date_of_birth,occupation_class,country\n"
    "W001,Li Ming,X,1980-13-02,4,Kenya\n"
    "W002,Wang Fang,F,1990-05-06,7,KE\n"
    "W003,,M,1975-07-08,3,KE\n"
    "W004,Zhao Lei,M,1975-07-08,3,KE\n"
)


def request_part() -> str:
    body = json.loads(example_request())
    del body["census"]
    return json.dumps(body, ensure_ascii=False)


def upload(
    api: Api,
    caller: Caller,
    census: tuple[str, bytes, str] | None,
    request: str | None = None,
    **headers: str,
) -> Any:
    files: dict[str, Any] = {"request": (None, request if request is not None else request_part())}
    if census is not None:
        files["census"] = census
    return api.client.post(QUOTES, files=files, headers={**caller.headers, **headers})


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == QUOTES
    return problem


def test_csv_census_upload_creates_a_quote_of_that_census(api: Api) -> None:
    broker = api.account()
    response = upload(api, broker, ("census.csv", CSV_OK.encode(), "text/csv"))
    assert response.status_code == 201, response.text
    quote = response.json()
    assert response.headers["Location"] == f"{QUOTES}/{quote['id']}"
    assert quote["headcount"] == 3
    assert [m["member_id"] for m in quote["members"]] == ["W001", "W002", "W003"]
    assert [m["country"] for m in quote["members"]] == ["KE", "ID", "KE"]
    assert quote["members"][0]["site"] == "Mombasa port"
    # The request as priced carries the census from the file.
    priced = api.client.get(quote["links"]["request"], headers=broker.headers).json()
    assert [m["member_id"] for m in priced["census"]["members"]] == ["W001", "W002", "W003"]
    fetched = api.client.get(quote["links"]["self"], headers=broker.headers).json()
    assert fetched == quote


def test_a_chinese_gb18030_csv_with_chinese_headers_is_read(api: Api) -> None:
    broker = api.account()
    text = "序号,姓名,性别,出生日期,职业类别,国家\nW001,李明,男,1980/01/02,4,肯尼亚\nW002,王芳,女,1990-05-06,2,印度尼西亚\n"
    response = upload(api, broker, ("名单.csv", text.encode("gb18030"), "text/csv"))
    assert response.status_code == 201, response.text
    quote = response.json()
    assert [m["name"] for m in quote["members"]] == ["李明", "王芳"]
    assert [m["country"] for m in quote["members"]] == ["KE", "ID"]


def test_xlsx_census_upload_creates_a_quote(api: Api) -> None:
    broker = api.account()
    content = xlsx(
        [
            ["member_id", "name", "sex", "date_of_birth", "occupation_class", "country"],
            ["X1", "Li Ming", "M", "1980-01-02", 4, "Kenya"],
            ["X2", "Wang Fang", "F", "1990-05-06", 2, "ID"],
            ["X3", "Zhao Lei", "M", "1975-07-08", 3, "KE"],
            ["X4", "Sun Li", "F", "1985-02-03", 1, "Indonesia"],
        ]
    )
    response = upload(api, broker, ("census.xlsx", content, XLSX_TYPE))
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["headcount"] == 4
    assert [m["member_id"] for m in quote["members"]] == ["X1", "X2", "X3", "X4"]


def test_a_census_with_bad_rows_lists_every_row_and_column(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    response = upload(api, broker, ("census.csv", CSV_BAD.encode(), "text/csv"))
    problem = assert_problem(response, 422)
    assert problem["type"] == "/problems/invalid-census"
    located = sorted((e["row"], e["column"]) for e in problem["errors"])
    assert located == [(2, "date_of_birth"), (2, "sex"), (3, "occupation_class"), (4, "name")]
    assert all(e["detail"] for e in problem["errors"])
    assert api.store.count_quotes() == before


def test_an_xlsx_census_with_a_formula_and_a_bad_date_is_refused_with_rows(api: Api) -> None:
    broker = api.account()
    content = xlsx(
        [
            ["member_id", "name", "date_of_birth", "occupation_class", "country"],
            ["X1", '=CONCAT("a","b")', "1980-01-02", 4, "Kenya"],
            ["X2", "Wang Fang", "31/31/1990", 2, "ID"],
        ]
    )
    response = upload(api, broker, ("census.xlsx", content, XLSX_TYPE))
    problem = assert_problem(response, 422)
    assert sorted((e["row"], e["column"]) for e in problem["errors"]) == [
        (2, "name"),
        (3, "date_of_birth"),
    ]


def test_a_census_file_over_10_mb_is_413(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    header = b"member_id,name,country\n"
    row = b"W1,Li Ming,KE\n"
    content = header + row * ((MAX_CENSUS_BYTES - len(header)) // len(row) + 1)
    assert MAX_CENSUS_BYTES < len(content) < api.settings.api.max_body_bytes - 100_000
    response = upload(api, broker, ("census.csv", content, "text/csv"))
    assert_problem(response, 413)
    assert api.store.count_quotes() == before


def test_a_body_over_the_app_limit_is_413(api_with: ApiFactory) -> None:
    small = api_with(QUOTING_MAX_BODY_BYTES="20000")
    broker = small.account()
    before = small.store.count_quotes()
    padded = {**json.loads(example_request()), "padding": "x" * 25_000}
    assert_problem(small.client.post(QUOTES, json=padded, headers=broker.headers), 413)
    census = CSV_OK.encode() + b"W009,Padding,M,1980-01-02,4,KE,\n" * 1000
    assert len(census) > 20_000
    assert_problem(upload(small, broker, ("census.csv", census, "text/csv")), 413)
    assert small.store.count_quotes() == before
    # Below the limit all is well.
    assert upload(small, broker, ("census.csv", CSV_OK.encode(), "text/csv")).status_code == 201


@pytest.mark.parametrize("name", ["census.txt", "census.xls", "census", "census.csv.exe"])
def test_a_census_file_of_another_type_is_415(api: Api, name: str) -> None:
    broker = api.account()
    response = upload(api, broker, (name, CSV_OK.encode(), "text/plain"))
    problem = assert_problem(response, 415)
    assert problem["type"] == "/problems/unsupported-media-type"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_a_body_of_another_media_type_is_415(api: Api, content_type: str) -> None:
    broker = api.account()
    response = api.client.post(
        QUOTES, content=example_request(), headers={**broker.headers, "Content-Type": content_type}
    )
    assert_problem(response, 415)


def test_multipart_without_a_census_part_is_422(api: Api) -> None:
    broker = api.account()
    problem = assert_problem(upload(api, broker, None), 422)
    assert "census" in problem["detail"]


def test_multipart_without_a_request_part_is_422(api: Api) -> None:
    broker = api.account()
    response = api.client.post(
        QUOTES,
        files={"census": ("census.csv", CSV_OK.encode(), "text/csv")},
        headers=broker.headers,
    )
    problem = assert_problem(response, 422)
    assert "request" in problem["detail"]


def test_a_request_part_that_is_not_json_is_422(api: Api) -> None:
    broker = api.account()
    response = upload(api, broker, ("census.csv", CSV_OK.encode(), "text/csv"), request="{oops")
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["pointer"] == ""


def test_a_broker_may_not_set_commission_in_the_request_part(api: Api) -> None:
    broker = api.account()
    part = json.dumps({**json.loads(request_part()), "commission": "0.2"})
    response = upload(api, broker, ("census.csv", CSV_OK.encode(), "text/csv"), request=part)
    problem = assert_problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/commission"]
