"""The web application starts, answers its health check and serves its OpenAPI document."""

from __future__ import annotations

from litestar.testing import TestClient

from api import create_app


def test_health_reports_tariffs():
    with TestClient(app=create_app()) as client:
        response = client.get("/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert "2026.2" in body["tariffs"]


def test_openapi_document_lists_health():
    with TestClient(app=create_app()) as client:
        schema = client.get("/schema/openapi.json").json()
        assert schema["paths"]["/health"]["get"]["operationId"] == "health"
