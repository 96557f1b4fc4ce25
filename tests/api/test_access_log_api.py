"""One JSON access-log line per request on ``quoting.access``: time, method, path (no
query string), status, duration, account id, client; the incident number on a 500."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest

import quoting.web._reference
from tests.api.conftest import ApiFactory, LogRecords

TARIFF = "/api/v1/tariffs/current"
QUOTES = "/api/v1/quotes"


def access_lines(log: LogRecords) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in log.named("quoting.access")]


def test_each_request_logs_one_line_without_key_or_query(
    api_with: ApiFactory, quoting_log: LogRecords
) -> None:
    app = api_with(QUOTING_AUTH_FAIL_LIMIT="2/minute")
    broker = app.account()
    key = broker.headers["Authorization"].split()[1]
    quoting_log.records.clear()
    assert app.client.get(f"{QUOTES}?limit=5&q=Zhang%20Wei", headers=broker.headers).is_success
    assert app.client.get(TARIFF).status_code == 401
    assert app.client.get("/api/v1/nowhere", headers=broker.headers).status_code == 404
    app.client.get(TARIFF)
    assert app.client.get(TARIFF).status_code == 429
    assert app.client.options(QUOTES).status_code in (204, 429)
    lines = access_lines(quoting_log)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", QUOTES, 200),
        ("GET", TARIFF, 401),
        ("GET", "/api/v1/nowhere", 404),
        ("GET", TARIFF, 401),
        ("GET", TARIFF, 429),
        ("OPTIONS", QUOTES, 429),
    ]
    first = lines[0]
    assert set(first) == {"time", "method", "path", "status", "duration_ms", "account", "client"}
    assert first["account"] == broker.id
    assert first["client"] == "testclient"
    assert 0 < first["duration_ms"] < 10_000
    arrived = dt.datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - arrived).total_seconds()) < 60
    assert all(line["account"] is None for line in lines[1:2] + lines[3:])
    text = "\n".join(r.getMessage() for r in quoting_log.records)
    assert key not in text and key[:10] not in text
    assert "Zhang" not in text and "limit=5" not in text


def test_a_500_names_its_incident_in_the_body_and_the_access_line(
    api_with: ApiFactory, quoting_log: LogRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = api_with()
    broker = app.account()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(quoting.web._reference, "tariff_in_force", broken)
    quoting_log.records.clear()
    response = app.client.get(TARIFF, headers=broker.headers)
    assert response.status_code == 500
    detail = response.json()["detail"]
    [line] = access_lines(quoting_log)
    assert line["status"] == 500
    assert line["account"] == broker.id
    assert f"incident {line['incident']}" in detail
    [error] = quoting_log.named("quoting.web", logging.ERROR)
    assert line["incident"] in error.getMessage()


def test_the_access_log_can_be_turned_off(api_with: ApiFactory, quoting_log: LogRecords) -> None:
    app = api_with(QUOTING_ACCESS_LOG="off")
    quoting_log.records.clear()
    assert app.client.get("/health").status_code == 200
    assert access_lines(quoting_log) == []
