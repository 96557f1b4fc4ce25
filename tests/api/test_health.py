"""The web application starts, answers its health check and serves its OpenAPI document."""

from __future__ import annotations

from litestar.testing import TestClient

from api import create_app
from quoting.settings import Settings
from quoting.store import Database


def test_health_says_database_answers(tmp_path):
    settings = Settings.from_env({"QUOTING_DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}"})
    with TestClient(app=create_app(settings)) as client:
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "database": True,
            "version": "0.1.0",
            "dependencies": {
                "database": {"status": "ok", "detail": "sqlite"},
                "rate_limit_store": {"status": "ok", "detail": "in-process"},
            },
        }


def test_health_is_503_when_database_is_gone(tmp_path, monkeypatch):
    settings = Settings.from_env({"QUOTING_DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}"})
    with TestClient(app=create_app(settings)) as client:
        monkeypatch.setattr(Database, "ping", lambda self: False)
        response = client.get("/health")
        assert response.status_code == 503
        body = response.json()
        assert body["database"] is False
        assert body["status"] == "unavailable"
        assert body["dependencies"]["database"]["status"] == "down"


def test_openapi_document_lists_every_route_with_an_operation_id(tmp_path):
    settings = Settings.from_env({"QUOTING_DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}"})
    with TestClient(app=create_app(settings)) as client:
        schema = client.get("/schema/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert {op["operationId"] for op in operations} >= {
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
    assert all(op.get("description") for op in operations)
    body = schema["paths"]["/api/v1/quotes"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["$ref"] == "#/components/schemas/QuoteRequest"
    assert "multipart/form-data" in body
    assert "QuoteRequest" in schema["components"]["schemas"]
