"""Errors are RFC 9457 problem details: every problem listed, no stack traces, nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api, example_request

QUOTES = "/api/v1/quotes"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def request_body() -> dict[str, Any]:
    return json.loads(example_request())


def assert_problem(response: Any, status: int, instance: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert set(problem) >= PROBLEM_KEYS
    assert problem["type"].startswith("/problems/")
    assert isinstance(problem["title"], str) and problem["title"]
    assert problem["status"] == status
    assert isinstance(problem["detail"], str) and problem["detail"]
    assert problem["instance"] == instance
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return problem


def bad_request_body() -> dict[str, Any]:
    """A bad credit code and four census rows, each wrong in another way."""
    body = request_body()
    body["policyholder"]["credit_code"] = "123"
    good = body["census"]["members"][1]
    body["census"]["members"] += [
        {**good, "member_id": "E003", "sex": "Q"},
        {**good, "member_id": "E004", "country": "Atlantis"},
        {**good, "member_id": "E005", "occupation_class": 7},
        {**good, "member_id": "E006", "date_of_birth": "1990-13-01"},
        {**good, "member_id": "E007", "country": "Narnia", "occupation_code": "ZZZ"},
    ]
    del body["census"]["members"][-1]["occupation_class"]
    return body


def test_an_invalid_request_lists_every_problem_with_a_pointer(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    response = api.client.post(QUOTES, json=bad_request_body(), headers=broker.headers)
    problem = assert_problem(response, 422, QUOTES)
    assert problem["type"] == "/problems/invalid-request"
    pointers = [e["pointer"] for e in problem["errors"]]
    assert sorted(pointers) == sorted(
        [
            "/policyholder/credit_code",
            "/census/members/2/sex",
            "/census/members/3/country",
            "/census/members/4/occupation_class",
            "/census/members/5/date_of_birth",
            "/census/members/6/country",
            "/census/members/6/occupation_code",
        ]
    )
    assert all(isinstance(e["detail"], str) and e["detail"] for e in problem["errors"])
    by_pointer = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert "Atlantis" in by_pointer["/census/members/3/country"]
    assert "ZZZ" in by_pointer["/census/members/6/occupation_code"]
    assert "7 problems" in problem["detail"]
    assert api.store.count_quotes() == before


def test_two_bad_fields_in_one_census_row_are_both_listed(api: Api) -> None:
    broker = api.account()
    body = request_body()
    body["census"]["members"][1].update(sex="Q", date_of_birth="1990-13-01")
    response = api.client.post(QUOTES, json=body, headers=broker.headers)
    problem = assert_problem(response, 422, QUOTES)
    assert sorted(e["pointer"] for e in problem["errors"]) == [
        "/census/members/1/date_of_birth",
        "/census/members/1/sex",
    ]


def test_missing_and_unknown_fields_are_listed(api: Api) -> None:
    broker = api.account()
    body = request_body()
    del body["period"]
    body["colour"] = "blue"
    response = api.client.post(QUOTES, json=body, headers=broker.headers)
    problem = assert_problem(response, 422, QUOTES)
    assert sorted(e["pointer"] for e in problem["errors"]) == ["/colour", "/period"]


@pytest.mark.parametrize(
    "content",
    [b'{"policyholder": ', b"not json at all", b'{"a": 1,}', b"\xff\xfe\x00"],
    ids=["truncated", "text", "trailing-comma", "binary"],
)
def test_malformed_json_is_a_problem_without_a_stack_trace(api: Api, content: bytes) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    response = api.client.post(
        QUOTES, content=content, headers={**broker.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    problem = assert_problem(response, response.status_code, QUOTES)
    assert problem["errors"][0]["pointer"] == ""
    assert "json" in problem["errors"][0]["detail"].lower()
    assert api.store.count_quotes() == before


@pytest.mark.parametrize("content", [b"[]", b'"quote"', b"42", b"null"])
def test_a_json_body_that_is_not_an_object_is_a_problem(api: Api, content: bytes) -> None:
    broker = api.account()
    response = api.client.post(
        QUOTES, content=content, headers={**broker.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, QUOTES)


@pytest.mark.parametrize("suffix", ["", "/request", "/members.csv", "/members.xlsx"])
def test_an_unknown_quote_is_a_404_problem(api: Api, suffix: str) -> None:
    broker = api.account()
    path = f"{QUOTES}/q_000000000000000000000000{suffix}"
    problem = assert_problem(api.client.get(path, headers=broker.headers), 404, path)
    assert problem["type"] == "/problems/not-found"


def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    broker = api.account()
    path = "/api/v1/endorsements"
    assert_problem(api.client.get(path, headers=broker.headers), 404, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", QUOTES),
        ("PUT", QUOTES),
        ("DELETE", f"{QUOTES}/q_1"),
        ("PATCH", f"{QUOTES}/q_1"),
        ("POST", "/api/v1/countries"),
    ],
)
def test_a_wrong_method_is_a_405_problem(api: Api, method: str, path: str) -> None:
    broker = api.account()
    response = api.client.request(method, path, headers=broker.headers)
    problem = assert_problem(response, 405, path)
    assert problem["type"] == "/problems/method-not-allowed"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "201"}, {"offset": "-1"}, {"status": "bogus"}, {"limit": "ten"}],
)
def test_bad_list_parameters_are_a_problem_with_a_pointer(api: Api, params: dict[str, str]) -> None:
    broker = api.account()
    response = api.client.get(QUOTES, params=params, headers=broker.headers)
    assert response.status_code in (400, 422)
    problem = assert_problem(response, response.status_code, QUOTES)
    (name,) = params
    assert [e["pointer"] for e in problem["errors"]] == [f"/{name}"]


def test_a_bad_creation_date_filter_is_a_problem(api: Api) -> None:
    broker = api.account()
    response = api.client.get(QUOTES, params={"created_from": "yesterday"}, headers=broker.headers)
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, QUOTES)


def test_nothing_is_stored_after_failed_requests(api: Api) -> None:
    broker = api.account()
    admin = api.account("admin")
    before = api.store.count_quotes()
    json_headers = {**broker.headers, "Content-Type": "application/json"}
    failures = [
        api.client.post(QUOTES, json=bad_request_body(), headers=broker.headers),
        api.client.post(QUOTES, content=b"{", headers=json_headers),
        api.client.post(
            QUOTES, json={**request_body(), "commission": "0.1"}, headers=broker.headers
        ),
        api.client.post(QUOTES, content=example_request(), headers={**broker.headers}),
        api.client.post(QUOTES, json=request_body(), headers=admin.headers),
        api.client.post(QUOTES, json=request_body()),
    ]
    assert [r.status_code for r in failures] == [422, 422, 422, 415, 403, 401]
    for response in failures:
        assert_problem(response, response.status_code, QUOTES)
    assert api.store.count_quotes() == before
    assert api.client.get(QUOTES, headers=broker.headers).json()["total"] == 0
