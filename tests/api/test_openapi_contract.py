"""The OpenAPI document says what the routes really answer: media types, binary bodies,
every problem a route can give, and the response headers clients rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from api import create_app
from quoting.schemas import Policyholder
from tests.api.conftest import make_settings

PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    path = Path(tmp_path_factory.mktemp("contract")) / "quoting.sqlite3"
    with TestClient(app=create_app(make_settings(f"sqlite:///{path}"))) as client:
        response = client.get("/schema/openapi.json")
        assert response.status_code == 200
        yield response.json()


def _op(openapi: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in openapi["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"no operation {operation_id}")


def _all(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op
        for item in openapi["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _problems_of(op: dict[str, Any]) -> set[str]:
    return {
        status
        for status, response in op["responses"].items()
        if response.get("content", {}).get("application/problem+json", {}).get("schema") == PROBLEM
    }


@pytest.mark.parametrize("operation_id", ["getQuoteDocument", "getPolicyDocument"])
def test_documents_are_pdf_binary_or_html(openapi: dict[str, Any], operation_id: str) -> None:
    content = _op(openapi, operation_id)["responses"]["200"]["content"]
    assert set(content) == {"application/pdf", "text/html"}
    assert content["application/pdf"]["schema"]["type"] == "string"
    assert content["application/pdf"]["schema"]["format"] == "binary"
    assert content["text/html"]["schema"]["type"] == "string"
    assert "format" not in content["text/html"]["schema"]


@pytest.mark.parametrize("operation_id", ["getQuoteDocument", "getPolicyDocument"])
def test_documents_declare_their_problems(openapi: dict[str, Any], operation_id: str) -> None:
    op = _op(openapi, operation_id)
    assert _problems_of(op) >= {"400", "401", "403", "404", "429"}
    assert "Content-Disposition" in op["responses"]["200"]["headers"]


def test_policy_documents_declare_document_not_available(openapi: dict[str, Any]) -> None:
    op = _op(openapi, "getPolicyDocument")
    assert "422" in _problems_of(op)
    assert "document-not-available" in op["responses"]["422"]["description"]


def test_member_workbook_is_binary_and_csv_is_text(openapi: dict[str, Any]) -> None:
    xlsx = _op(openapi, "getQuoteMembersXlsx")["responses"]["200"]
    assert set(xlsx["content"]) == {XLSX}
    assert xlsx["content"][XLSX]["schema"] == {"type": "string", "format": "binary"}
    csv = _op(openapi, "getQuoteMembersCsv")["responses"]["200"]
    assert set(csv["content"]) == {"text/csv"}
    assert csv["content"]["text/csv"]["schema"]["type"] == "string"
    for response in (xlsx, csv):
        assert response["headers"]["Content-Disposition"]["schema"]["type"] == "string"


def test_no_binary_media_type_is_left_without_format_binary(openapi: dict[str, Any]) -> None:
    for op_id, op in _all(openapi).items():
        for status, response in op["responses"].items():
            for media_type, media in (response.get("content") or {}).items():
                textual = media_type.startswith("text/") or media_type.endswith("json")
                if not textual:
                    assert media["schema"].get("format") == "binary", (op_id, status, media_type)


def test_create_quote_names_location_and_idempotent_replayed(openapi: dict[str, Any]) -> None:
    headers = _op(openapi, "createQuote")["responses"]["201"]["headers"]
    assert headers["Location"]["required"] is True
    assert headers["Location"]["schema"]["type"] == "string"
    replayed = headers["Idempotent-Replayed"]
    assert replayed.get("required", False) is False
    assert replayed["schema"]["enum"] == ["true"]


def test_bind_names_location_and_its_refusals(openapi: dict[str, Any]) -> None:
    op = _op(openapi, "bindQuote")
    assert op["responses"]["201"]["headers"]["Location"]["required"] is True
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PolicyRecord"
    }
    assert _problems_of(op) >= {"401", "403", "404", "409", "429"}


def test_every_authenticated_route_documents_429_with_retry_after(
    openapi: dict[str, Any],
) -> None:
    public = {op_id for op_id, op in _all(openapi).items() if op.get("security") == [{}]}
    assert public == {"health", "getDocumentFont"}
    for op_id, op in _all(openapi).items():
        if op_id in public:
            continue
        assert {"401", "403", "429"} <= _problems_of(op), op_id
        retry = op["responses"]["429"]["headers"]["Retry-After"]
        assert retry["required"] is True
        assert retry["schema"]["type"] == "integer"
        assert retry["schema"]["minimum"] == 1


def test_create_quote_documents_its_body_problems(openapi: dict[str, Any]) -> None:
    assert _problems_of(_op(openapi, "createQuote")) >= {"400", "413", "415", "422", "429"}


@pytest.mark.parametrize(
    ("operation_id", "statuses"),
    [
        ("getQuote", {"404"}),
        ("getQuoteRequest", {"404"}),
        ("getQuoteMembersCsv", {"404"}),
        ("getQuoteMembersXlsx", {"404"}),
        ("getPolicy", {"404"}),
        ("approveQuote", {"404", "409"}),
        ("listQuotes", {"400"}),
        ("listPolicies", {"400"}),
    ],
)
def test_routes_document_their_own_problems(
    openapi: dict[str, Any], operation_id: str, statuses: set[str]
) -> None:
    assert _problems_of(_op(openapi, operation_id)) >= statuses


def test_the_policyholder_examples_are_accepted(openapi: dict[str, Any]) -> None:
    """Clients and schemathesis copy schema examples: they must pass the check character."""
    properties = openapi["components"]["schemas"]["Policyholder"]["properties"]
    for name in properties["name"]["examples"]:
        for code in properties["credit_code"]["examples"]:
            msgspec.json.decode(
                msgspec.json.encode({"name": name, "credit_code": code}), type=Policyholder
            )


def test_each_problem_example_is_a_problem_of_its_own_status(openapi: dict[str, Any]) -> None:
    for op_id, op in _all(openapi).items():
        for status in _problems_of(op):
            media = op["responses"][status]["content"]["application/problem+json"]
            examples = [e["value"] for e in media.get("examples", {}).values()]
            assert examples, (op_id, status)
            for value in examples:
                assert value["status"] == int(status), (op_id, status, value)
                assert value["type"].startswith("/problems/"), (op_id, status)
