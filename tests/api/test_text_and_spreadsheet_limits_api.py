"""Hostile text and hostile spreadsheets through the API: control characters are a 422 naming
the field or the file's row and column; decompression bombs are refused quickly."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.api.conftest import Api, Caller, example_request
from tests.spreadsheets import GOOD_ROW, HEADER_ROW, repeated, workbook

QUOTES = "/api/v1/quotes"


def body() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(example_request())
    return data


def post(api: Api, caller: Caller, data: dict[str, Any]) -> Any:
    return api.client.post(
        QUOTES,
        content=json.dumps(data, ensure_ascii=False).encode(),
        headers={**caller.headers, "Content-Type": "application/json"},
    )


def upload(api: Api, caller: Caller, name: str, content: bytes) -> Any:
    request = body()
    request.pop("census")
    return api.client.post(
        QUOTES,
        files={"census": (name, content)},
        data={"request": json.dumps(request)},
        headers=caller.headers,
    )


def test_a_control_character_in_json_is_a_422_with_the_fields_pointer(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    data = body()
    data["census"]["members"][1]["name"] = "Li\u0001Ming"
    data["policyholder"]["name"] = "Bad\u001fCo"
    response = post(api, broker, data)
    assert response.status_code == 422, response.text
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/census/members/1/name", "/policyholder/name"}
    assert api.store.count_quotes() == before


def test_a_control_character_in_a_census_file_is_a_422_with_row_and_column(api: Api) -> None:
    text = "member_id,name,age,occupation_class,country\n1,Ann,30,2,ID\n2,B\u000bn,40,2,ID\n"
    response = upload(api, api.account(), "staff.csv", text.encode())
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"]) == (3, "name")
    assert "U+000B" in error["detail"]


def test_a_nul_in_a_csv_is_a_422_with_row_and_column(api: Api) -> None:
    text = "member_id,name,age,occupation_class,country\n1,Ann,30,2,I\u0000D\n"
    response = upload(api, api.account(), "staff.csv", text.encode())
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"]) == (2, "country")
    assert "NUL" in error["detail"]


def test_an_escaped_backslash_before_u0000_is_ordinary_text(api: Api) -> None:
    broker = api.account()
    data = body()
    data["census"]["members"][0]["name"] = "a\\u0000b"
    response = post(api, broker, data)
    assert response.status_code == 201, response.text
    assert response.json()["members"][0]["name"] == "a\\u0000b"
    members = api.client.get(response.json()["links"]["members_xlsx"], headers=broker.headers)
    assert members.status_code == 200


def test_a_nul_in_a_key_is_a_422(api: Api) -> None:
    broker = api.account()
    data = body()
    data["census"]["members"][0]["na\u0000me"] = "x"
    response = post(api, broker, data)
    assert response.status_code == 422, response.text


def test_an_xlsx_decompression_bomb_is_a_quick_422(api: Api) -> None:
    bomb = workbook([HEADER_ROW, b'<row r="2">', *repeated(b"<c/>", 20_000_000), b"</row>"])
    broker = api.account()
    before = api.store.count_quotes()
    started = time.perf_counter()
    response = upload(api, broker, "staff.xlsx", bomb)
    assert time.perf_counter() - started < 3
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/invalid-census"
    (error,) = problem["errors"]
    assert error["pointer"] == "/census"
    assert "compressed more than" in error["detail"]
    assert api.store.count_quotes() == before


def test_a_census_on_a_hand_made_workbook_is_priced(api: Api) -> None:
    response = upload(api, api.account(), "staff.xlsx", workbook([HEADER_ROW, GOOD_ROW]))
    assert response.status_code == 201, response.text
    assert response.json()["headcount"] == 1


def test_a_census_of_thousands_of_bad_rows_is_a_quick_bounded_422(api: Api) -> None:
    # Every row bad in two fields: before, each of the 10,000 rows was checked and listed
    # (20,000 errors, seconds of CPU per request); now checking stops at 1,000 problems.
    data = body()
    data["census"] = {
        "members": [
            {"member_id": f"E{i}", "name": "n", "country": "ID", "age": "old", "sex": "X"}
            for i in range(10_000)
        ]
    }
    started = time.perf_counter()
    response = post(api, api.account(), data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) == 1_000
    assert "more than 1,000 problems" in errors[-1]["detail"]
    assert errors[-1]["pointer"] == "/census/members"
    assert elapsed < 5.0


def test_a_problem_response_lists_at_most_1000_errors(api: Api) -> None:
    # Well-formed rows, each with a country the tariff does not know: 3,000 problems,
    # of which the response lists the first 1,000 and says how many there are.
    data = body()
    data["census"] = {
        "members": [
            {
                "member_id": f"E{i}",
                "name": "n",
                "country": "Narnia",
                "age": 30,
                "occupation_class": 2,
            }
            for i in range(3_000)
        ]
    }
    response = post(api, api.account(), data)
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == 1_000
    assert problem["detail"] == "3,000 problems with the request; the first 1,000 are listed."
    assert problem["errors"][0]["pointer"] == "/census/members/0/country"
