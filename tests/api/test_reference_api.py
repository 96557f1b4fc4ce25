"""Reference data (tariff, countries) and the API's own documentation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api import create_app
from tests.api.conftest import Api, example_request, make_settings

TARIFF = "/api/v1/tariffs/current"
COUNTRIES = "/api/v1/countries"


def test_current_tariff(api: Api) -> None:
    broker = api.account()
    response = api.client.get(TARIFF, headers=broker.headers)
    assert response.status_code == 200
    tariff = response.json()
    assert tariff["version"] == "2026.2"
    assert tariff["hash"].startswith("sha256:")
    assert len(tariff["hash"]) == len("sha256:") + 64
    assert dt.date.fromisoformat(tariff["effective_date"]) <= api.settings.clock.today()
    assert tariff["base_currency"] == "CNY"
    assert tariff["quote_validity_days"] == 30
    assert tariff["fx"]["USD"] > 1
    dt.date.fromisoformat(tariff["fx_as_of"])

    # Every quote records the tariff in force.
    quote = api.client.post(
        "/api/v1/quotes",
        content=example_request(),
        headers={**broker.headers, "Content-Type": "application/json"},
    )
    assert quote.status_code == 201, quote.text
    assert quote.json()["tariff"] == {
        "version": tariff["version"],
        "effective_date": tariff["effective_date"],
        "hash": tariff["hash"],
    }


def test_countries(api: Api) -> None:
    broker = api.account()
    response = api.client.get(COUNTRIES, headers=broker.headers)
    assert response.status_code == 200
    countries = response.json()
    assert len(countries) == 249
    codes = [c["code"] for c in countries]
    assert len(set(codes)) == 249
    for country in countries:
        assert len(country["code"]) == 2 and country["code"].isupper()
        assert len(country["alpha3"]) == 3
        assert country["name_en"] and country["name_zh"]
        assert country["tier"] in (1, 2, 3, 4, 5)
        assert country["status"] in ("accept", "refer", "decline")
    by_code = {c["code"]: c for c in countries}
    assert by_code["KE"]["name_en"] == "Kenya"
    assert by_code["CN"]["name_zh"] == "中国"
    assert {c["status"] for c in countries} == {"accept", "refer", "decline"}


@pytest.mark.parametrize("role", ["agent", "underwriter", "admin"])
def test_every_role_reads_reference_data(api: Api, role: str) -> None:
    caller = api.account(role)
    assert api.client.get(TARIFF, headers=caller.headers).status_code == 200
    assert api.client.get(COUNTRIES, headers=caller.headers).status_code == 200


# -- the OpenAPI document (one backend is enough) ------------------------------------


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    path = Path(tmp_path_factory.mktemp("docs")) / "quoting.sqlite3"
    with TestClient(app=create_app(make_settings(f"sqlite:///{path}"))) as client:
        yield client


@pytest.fixture(scope="module")
def openapi(docs: TestClient[Any]) -> dict[str, Any]:
    response = docs.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op
        for item in openapi["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


def test_every_operation_has_an_id_and_a_description(openapi: dict[str, Any]) -> None:
    operations = [op for item in openapi["paths"].values() for op in item.values()]
    assert len(operations) >= 9
    ids = [op.get("operationId") for op in operations]
    assert all(ids), ids
    assert len(set(ids)) == len(ids)
    for op in operations:
        assert op.get("description"), op["operationId"]
        assert op.get("summary"), op["operationId"]
    assert set(_operations(openapi)) >= {
        "health",
        "createQuote",
        "listQuotes",
        "getQuote",
        "getQuoteRequest",
        "getQuoteMembersCsv",
        "getQuoteMembersXlsx",
        "getCurrentTariff",
        "listCountries",
    }


def test_create_quote_documents_both_bodies_and_its_problems(openapi: dict[str, Any]) -> None:
    create = _operations(openapi)["createQuote"]
    content = create["requestBody"]["content"]
    assert content["application/json"]["schema"]["$ref"] == "#/components/schemas/QuoteRequest"
    examples = content["application/json"].get("examples") or {}
    assert examples, "an example request"
    assert all(e["value"]["policyholder"] for e in examples.values())
    multipart = content["multipart/form-data"]["schema"]
    assert set(multipart["properties"]) == {"request", "census"}
    assert multipart["properties"]["census"]["format"] == "binary"
    assert {"201", "413", "415", "422", "429"} <= set(create["responses"])
    problem = {"$ref": "#/components/schemas/ProblemDetails"}
    for status in ("413", "415", "422", "429"):
        documented = create["responses"][status]["content"]
        assert problem in [media["schema"] for media in documented.values()], status
    parameters = {p["name"]: p for p in create.get("parameters", [])}
    assert parameters["Idempotency-Key"]["in"] == "header"
    assert parameters["Idempotency-Key"]["required"] is False


def test_the_document_names_the_bearer_scheme(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())


def test_list_quotes_documents_its_filters(openapi: dict[str, Any]) -> None:
    parameters = {p["name"] for p in _operations(openapi)["listQuotes"]["parameters"]}
    assert parameters >= {"status", "created_from", "created_to", "limit", "offset"}


def test_problem_responses_are_documented_as_problem_json(openapi: dict[str, Any]) -> None:
    for op_id, op in _operations(openapi).items():
        for status, response in op["responses"].items():
            if status.startswith("4"):
                assert set(response.get("content", {})) == {"application/problem+json"}, (
                    op_id,
                    status,
                )


def test_schema_serves_an_interactive_page(docs: TestClient[Any]) -> None:
    response = docs.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()
    assert "openapi.json" in response.text
    swagger = docs.get("/schema/swagger")
    assert swagger.status_code == 200
    assert swagger.headers["content-type"].startswith("text/html")
