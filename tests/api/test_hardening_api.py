"""Inputs that must be refused cleanly (never a 5xx) and underwriting safeguards:
backdated and finished periods, self-approval, certificates of an aggregated census."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from typing import Any

from openpyxl import Workbook

from quoting.settings import FixedClock
from tests.api.conftest import Api, ApiFactory, Caller, example_request

QUOTES = "/api/v1/quotes"


def body(**changes: Any) -> dict[str, Any]:
    data = json.loads(example_request())
    data.update(changes)
    return data


def post(api: Api, caller: Caller, data: dict[str, Any] | bytes, **headers: str) -> Any:
    content = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return api.client.post(
        QUOTES,
        content=content,
        headers={**caller.headers, "Content-Type": "application/json", **headers},
    )


def test_deeply_nested_json_is_a_422_not_a_crash(api: Api) -> None:
    broker = api.account()
    response = post(api, broker, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_nul_characters_are_refused(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    data = body()
    data["policyholder"]["name"] = "Bad\u0000Co"
    response = post(api, broker, data)
    assert response.status_code == 422
    assert "NUL" in response.json()["errors"][0]["detail"]
    assert api.client.get(f"{QUOTES}/%00", headers=broker.headers).status_code == 404
    assert api.store.count_quotes() == before


def test_huge_offsets_and_empty_idempotency_keys_are_400(api: Api) -> None:
    broker = api.account()
    assert (
        api.client.get(f"{QUOTES}?offset=9223372036854775808", headers=broker.headers).status_code
        == 400
    )
    assert (
        api.client.get("/api/v1/policies?offset=99999999999", headers=broker.headers).status_code
        == 400
    )
    assert post(api, broker, body(), **{"Idempotency-Key": ""}).status_code == 400


def test_a_far_away_cell_in_a_spreadsheet_costs_nothing(api: Api) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["member_id", "name", "age", "occupation_class", "country"])
    sheet.append(["1", "A", 30, 2, "ID"])
    sheet["XFD1048576"] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    request = body()
    request.pop("census")
    started = time.perf_counter()
    response = api.client.post(
        QUOTES,
        files={"census": ("staff.xlsx", buffer.getvalue())},
        data={"request": json.dumps(request)},
        headers=api.account().headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["headcount"] == 1
    assert time.perf_counter() - started < 10


def test_a_backdated_period_is_referred(api_with: ApiFactory) -> None:
    api = api_with(clock=FixedClock.on(dt.date(2026, 11, 29)))
    broker = api.account()
    response = post(api, broker, body(period={"start": "2026-01-01", "end": "2026-12-31"}))
    assert response.status_code == 201
    quote = response.json()
    assert quote["status"] == "referred"
    assert "backdated_period" in [r["code"] for r in quote["referrals"]]


def test_a_finished_period_cannot_be_bound_even_when_approved(api_with: ApiFactory) -> None:
    api = api_with(clock=FixedClock.on(dt.date(2026, 11, 29)))
    broker, underwriter = api.account(), api.account("underwriter")
    quote = post(api, broker, body(period={"start": "2025-12-01", "end": "2026-11-28"})).json()
    assert (
        api.client.post(f"{QUOTES}/{quote['id']}/approve", headers=underwriter.headers).status_code
        == 200
    )
    response = api.client.post(f"{QUOTES}/{quote['id']}/bind", headers=broker.headers)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/quote-period-over"


def test_an_underwriter_cannot_approve_their_own_quote(api: Api) -> None:
    underwriter, other = api.account("underwriter"), api.account("underwriter")
    # -15 %: beyond the tariff's automatic ±10 % (referred), within the other's ±15 %.
    data = body(underwriter_adjustment="-0.15")
    quote = post(api, underwriter, data).json()
    assert quote["status"] == "referred"
    own = api.client.post(f"{QUOTES}/{quote['id']}/approve", headers=underwriter.headers)
    assert own.status_code == 403
    assert (
        api.client.post(f"{QUOTES}/{quote['id']}/approve", headers=other.headers).status_code == 200
    )


def test_certificates_need_named_members(api: Api) -> None:
    broker = api.account()
    data = body(
        census={"groups": [{"country": "ID", "occupation_class": 2, "age": 40, "headcount": 30}]}
    )
    quote = post(api, broker, data).json()
    policy = api.client.post(f"{QUOTES}/{quote['id']}/bind", headers=broker.headers).json()
    response = api.client.get(
        f"/api/v1/policies/{policy['id']}/documents/certificates.html", headers=broker.headers
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/document-not-available"
    listing = api.client.get(
        f"/api/v1/policies/{policy['id']}/documents/member-list.html", headers=broker.headers
    )
    assert listing.status_code == 200
