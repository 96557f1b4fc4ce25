"""Quotes through the broker API: create, fetch, list, the request as priced, member exports."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.conftest import Api, ApiFactory, Caller, example_request

QUOTES = "/api/v1/quotes"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def request_body() -> dict[str, Any]:
    return json.loads(example_request())


def post(api: Api, caller: Caller, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return api.client.post(
        QUOTES, json=body or request_body(), headers={**caller.headers, **headers}
    )


def create(api: Api, caller: Caller, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post(api, caller, body)
    assert response.status_code == 201, response.text
    return response.json()


def referred_body() -> dict[str, Any]:
    """Class 6 is above the tariff's automatic limit: the quote is referred."""
    body = request_body()
    body["census"]["members"][1]["occupation_class"] = 6
    return body


def test_create_returns_201_with_identity_validity_links_and_priced_members(api: Api) -> None:
    broker = api.account()
    before = dt.datetime.now(dt.UTC)
    response = post(api, broker)
    after = dt.datetime.now(dt.UTC)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    quote = response.json()
    quote_id = quote["id"]
    assert quote_id.startswith("q_")
    assert response.headers["Location"] == f"{QUOTES}/{quote_id}"
    assert "Idempotent-Replayed" not in response.headers

    created_at = dt.datetime.fromisoformat(quote["created_at"])
    assert created_at.tzinfo is not None
    assert before - dt.timedelta(seconds=1) <= created_at <= after + dt.timedelta(seconds=1)
    # Quotes are made on the insurer's business date (the fixture's pinned one).
    business_date = api.settings.clock.today()
    assert dt.date.fromisoformat(quote["valid_until"]) == business_date + dt.timedelta(days=30)
    assert quote["links"] == {
        "self": f"{QUOTES}/{quote_id}",
        "members_csv": f"{QUOTES}/{quote_id}/members.csv",
        "members_xlsx": f"{QUOTES}/{quote_id}/members.xlsx",
        "request": f"{QUOTES}/{quote_id}/request",
    }

    assert quote["status"] == "accepted"
    assert quote["currency"] == "CNY"
    assert quote["as_of"] == business_date.isoformat()
    assert quote["tariff"]["version"] == "2026.2"
    assert quote["tariff"]["hash"].startswith("sha256:")
    assert quote["headcount"] == 2
    # Amounts are decimal strings with two places.
    for amount in (quote["total_premium"], quote["total_vat"]):
        assert isinstance(amount, str)
        assert Decimal(amount) == Decimal(amount).quantize(Decimal("0.01"))
    assert Decimal(quote["total_premium"]) > 0

    members = quote["members"]
    assert [m["member_id"] for m in members] == ["E001", "E002"]
    assert [m["country"] for m in members] == ["ID", "KE"]
    assert sum(Decimal(m["premium"]) for m in members) == Decimal(quote["total_premium"])
    for member in members:
        assert member["lines"], member
        assert sum(Decimal(line["premium"]) for line in member["lines"]) == Decimal(
            member["premium"]
        )
        for line in member["lines"]:
            assert line["cover"]
            assert isinstance(line["factors"], dict)
            assert line["factors"]["gross_up_divisor"] > 0
            assert line["factors"]["premium_per_member"] > 0


def test_get_by_id_returns_the_same_json_as_the_create(api: Api) -> None:
    broker = api.account()
    created = create(api, broker)
    response = api.client.get(created["links"]["self"], headers=broker.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    fetched = response.json()
    assert fetched == created
    assert fetched["total_premium"] == created["total_premium"]
    assert fetched["total_vat"] == created["total_vat"]


def test_list_is_newest_first_with_total_and_pagination(api: Api) -> None:
    broker = api.account()
    ids = [create(api, broker)["id"] for _ in range(3)]

    page = api.client.get(QUOTES, headers=broker.headers).json()
    assert [item["id"] for item in page["items"]] == ids[::-1]
    assert page["total"] == 3
    assert page["offset"] == 0
    assert page["next"] is None
    first = page["items"][0]
    stored = api.client.get(f"{QUOTES}/{first['id']}", headers=broker.headers).json()
    for key in ("status", "currency", "total_premium", "total_vat", "credit_code", "headcount"):
        assert first[key] == stored[key]
    assert first["tariff_version"] == "2026.2"
    assert first["links"]["self"] == f"{QUOTES}/{first['id']}"

    page = api.client.get(QUOTES, params={"limit": 2}, headers=broker.headers).json()
    assert [item["id"] for item in page["items"]] == [ids[2], ids[1]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert page["next"] == f"{QUOTES}?limit=2&offset=2"

    page = api.client.get(page["next"], headers=broker.headers).json()
    assert [item["id"] for item in page["items"]] == [ids[0]]
    assert (page["total"], page["offset"]) == (3, 2)
    assert page["next"] is None

    page = api.client.get(QUOTES, params={"offset": 10}, headers=broker.headers).json()
    assert page["items"] == []
    assert page["total"] == 3


def test_list_filters_by_status(api: Api) -> None:
    broker = api.account()
    accepted = create(api, broker)
    referred = create(api, broker, referred_body())
    assert referred["status"] == "referred"

    def listed(status: str) -> tuple[list[str], int]:
        page = api.client.get(QUOTES, params={"status": status}, headers=broker.headers).json()
        return [item["id"] for item in page["items"]], page["total"]

    assert listed("accepted") == ([accepted["id"]], 1)
    assert listed("referred") == ([referred["id"]], 1)
    assert listed("declined") == ([], 0)


def test_list_filters_by_creation_day(api: Api) -> None:
    broker = api.account()
    quotes = [create(api, broker) for _ in range(2)]
    ids = [q["id"] for q in quotes]
    day = dt.datetime.fromisoformat(quotes[0]["created_at"]).astimezone(dt.UTC).date()
    tomorrow = day + dt.timedelta(days=1)

    def listed(**params: str) -> list[str]:
        page = api.client.get(QUOTES, params=params, headers=broker.headers)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    assert listed(created_from=day.isoformat()) == ids[::-1]
    assert listed(created_from=tomorrow.isoformat()) == []
    assert listed(created_to=day.isoformat()) == []  # exclusive
    assert listed(created_to=tomorrow.isoformat()) == ids[::-1]
    assert listed(created_from=day.isoformat(), created_to=tomorrow.isoformat()) == ids[::-1]

    # The next link keeps the filters.
    page = api.client.get(
        QUOTES, params={"limit": 1, "created_from": day.isoformat()}, headers=broker.headers
    ).json()
    assert page["total"] == 2
    assert f"created_from={day.isoformat()}" in page["next"]
    rest = api.client.get(page["next"], headers=broker.headers).json()
    assert [item["id"] for item in rest["items"]] == [ids[0]]


def test_request_endpoint_returns_the_request_as_received_with_as_of(api: Api) -> None:
    broker = api.account(commission="0.12")
    sent = request_body()
    assert "as_of" not in sent and "commission" not in sent
    quote = create(api, broker, sent)

    response = api.client.get(quote["links"]["request"], headers=broker.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    priced = response.json()
    assert priced["as_of"] == quote["as_of"] == api.settings.clock.today().isoformat()
    assert priced.get("commission") is None  # the broker's commission comes from its account
    assert quote["commission"] == 0.12
    assert priced["policyholder"] == sent["policyholder"]
    assert priced["period"] == sent["period"]
    assert priced["currency"] == sent["currency"]
    assert [m["member_id"] for m in priced["census"]["members"]] == ["E001", "E002"]
    assert [p["name"] for p in priced["plans"]] == [p["name"] for p in sent["plans"]]
    assert "id" not in priced


def test_a_broker_can_post_the_priced_request_again(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    priced = api.client.get(quote["links"]["request"], headers=broker.headers).json()
    again = post(api, broker, priced)
    assert again.status_code == 201, again.text
    assert again.json()["total_premium"] == quote["total_premium"]


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_members_csv_has_bom_header_and_one_row_per_member(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    response = api.client.get(quote["links"]["members_csv"], headers=broker.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert f"{quote['id']}-members.csv" in response.headers["content-disposition"]

    header, *rows = _csv_rows(response.content)
    assert header[:3] == ["member_id", "name", "headcount"]
    assert header[-2:] == ["premium", "vat"]
    assert len(rows) == len(quote["members"]) == 2
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["member_id"] for r in records] == ["E001", "E002"]
    assert [r["name"] for r in records] == ["李娜", "Wang Qiang"]
    assert sum(Decimal(r["premium"]) for r in records) == Decimal(quote["total_premium"])
    for record, member in zip(records, quote["members"], strict=True):
        assert Decimal(record["premium"]) == Decimal(member["premium"])
        assert Decimal(record["vat"]) == Decimal(member["vat"])
        for line in member["lines"]:
            assert Decimal(record[f"premium_{line['cover']}"]) == Decimal(line["premium"])


def test_members_csv_content_type_names_the_charset_once(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    response = api.client.get(quote["links"]["members_csv"], headers=broker.headers)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_members_xlsx_has_the_same_rows_as_the_csv(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    xlsx = api.client.get(quote["links"]["members_xlsx"], headers=broker.headers)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith(XLSX_TYPE)
    assert f"{quote['id']}-members.xlsx" in xlsx.headers["content-disposition"]
    csv_header, *csv_rows = _csv_rows(
        api.client.get(quote["links"]["members_csv"], headers=broker.headers).content
    )

    header, *rows = _xlsx_rows(xlsx.content)
    assert header == csv_header
    assert len(rows) == len(csv_rows) == 2
    for row, csv_row in zip(rows, csv_rows, strict=True):
        for name, cell, text in zip(header, row, csv_row, strict=True):
            if name.startswith("premium") or name == "vat":
                assert isinstance(cell, int | float), (name, cell)
                assert Decimal(str(cell)).quantize(Decimal("0.01")) == Decimal(text), name
            else:
                assert str("" if cell is None else cell) == text, name
    premiums = [Decimal(str(row[header.index("premium")])) for row in rows]
    assert sum(premiums) == Decimal(quote["total_premium"])


def test_formula_like_cells_are_neutralised_in_csv_and_xlsx(api: Api) -> None:
    broker = api.account()
    body = request_body()
    members = body["census"]["members"]
    members[0]["name"] = '=HYPERLINK("x")'
    members[1]["name"] = "@SUM(A1)"
    members[1]["site"] = "+SUM(1,2)"
    members[1]["member_id"] = "-2"
    quote = create(api, broker, body)
    # The quote itself keeps the names as sent.
    assert [m["name"] for m in quote["members"]] == ['=HYPERLINK("x")', "@SUM(A1)"]

    header, *rows = _csv_rows(
        api.client.get(quote["links"]["members_csv"], headers=broker.headers).content
    )
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["name"] for r in records] == ['\'=HYPERLINK("x")', "'@SUM(A1)"]
    assert records[1]["site"] == "'+SUM(1,2)"
    assert records[1]["member_id"] == "'-2"

    content = api.client.get(quote["links"]["members_xlsx"], headers=broker.headers).content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row}
    for text in ('\'=HYPERLINK("x")', "'@SUM(A1)", "'+SUM(1,2)", "'-2"):
        assert text in cells, text
        assert cells[text].data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_a_stored_quote_survives_a_new_app_on_the_same_database(
    api: Api, api_with: ApiFactory
) -> None:
    broker = api.account()
    quote = create(api, broker)
    csv_before = api.client.get(quote["links"]["members_csv"], headers=broker.headers).content

    second = api_with()
    response = second.client.get(quote["links"]["self"], headers=broker.headers)
    assert response.status_code == 200
    assert response.json() == quote
    page = second.client.get(QUOTES, headers=broker.headers).json()
    assert [item["id"] for item in page["items"]] == [quote["id"]]
    csv_after = second.client.get(quote["links"]["members_csv"], headers=broker.headers).content
    assert csv_after == csv_before


def test_posting_the_same_request_twice_without_a_key_stores_two_quotes(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    first, second = create(api, broker), create(api, broker)
    assert first["id"] != second["id"]
    assert first["total_premium"] == second["total_premium"]
    assert api.store.count_quotes() == before + 2


def test_a_quote_in_usd_reports_the_fx_rate(api: Api) -> None:
    broker = api.account()
    body = copy.deepcopy(request_body())
    body["currency"] = "USD"
    quote = create(api, broker, body)
    assert quote["currency"] == "USD"
    tariff = api.client.get("/api/v1/tariffs/current", headers=broker.headers).json()
    assert quote["fx_rate"] == pytest.approx(tariff["fx"]["USD"])
    cny = create(api, broker)
    assert Decimal(quote["total_premium"]) < Decimal(cny["total_premium"])
