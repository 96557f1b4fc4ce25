"""Quote requests priced as of the business date, and bounded, on SQLite and PostgreSQL:
brokers and agents cannot choose an as-of date, underwriters can (and it is recorded),
and numbers or dates out of bounds are a 422 naming the field, never a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from quoting.settings import FixedClock
from tests.api.conftest import Api, ApiFactory, Caller, example_request
from tests.support import BUSINESS_DATE

QUOTES = "/api/v1/quotes"


def body(**changes: Any) -> dict[str, Any]:
    data = json.loads(example_request())
    data.update(changes)
    return data


def post(api: Api, caller: Caller, data: dict[str, Any]) -> Any:
    return api.client.post(QUOTES, json=data, headers=caller.headers)


def pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


def period_from(start: dt.date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": (start + dt.timedelta(days=364)).isoformat()}


@pytest.mark.parametrize("role", ["broker", "agent"])
@pytest.mark.parametrize("days", [-30, 30])
def test_brokers_and_agents_cannot_quote_as_of_another_date(api: Api, role: str, days: int) -> None:
    # The period began ten days ago; an as-of date before it used to hide that.
    today = BUSINESS_DATE
    data = body(
        period=period_from(today - dt.timedelta(days=10)),
        as_of=(today + dt.timedelta(days=days)).isoformat(),
    )
    before = api.store.count_quotes()
    response = post(api, api.account(role), data)
    assert pointers(response) == ["/as_of"]
    detail = response.json()["errors"][0]["detail"]
    assert "priced as of today" in detail and "only underwriters" in detail
    assert api.store.count_quotes() == before


def test_a_far_future_as_of_is_refused(api: Api) -> None:
    for caller in (api.account(), api.account("underwriter")):
        assert pointers(post(api, caller, body(as_of="9999-12-31"))) == ["/as_of"]


def test_an_as_of_of_today_is_harmless(api: Api) -> None:
    response = post(api, api.account(), body(as_of=BUSINESS_DATE.isoformat()))
    assert response.status_code == 201, response.text
    assert response.json()["as_of"] == BUSINESS_DATE.isoformat()
    assert response.json()["as_of_override"] is None


def test_backdating_is_judged_on_the_business_date_not_on_as_of(api: Api) -> None:
    today = BUSINESS_DATE
    response = post(api, api.account(), body(period=period_from(today - dt.timedelta(days=10))))
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["status"] == "referred"
    assert "backdated_period" in [r["code"] for r in quote["referrals"]]


def test_an_underwriter_may_reprice_as_of_another_date_and_it_is_recorded(api: Api) -> None:
    underwriter = api.account("underwriter")
    today = BUSINESS_DATE
    as_of = today - dt.timedelta(days=20)
    data = body(period=period_from(today - dt.timedelta(days=10)), as_of=as_of.isoformat())
    response = post(api, underwriter, data)
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["as_of"] == as_of.isoformat()
    assert quote["as_of_override"] == {"business_date": today.isoformat(), "set_by": underwriter.id}
    # Priced as of a date before the period starts, but it began before today.
    assert "backdated_period" in [r["code"] for r in quote["referrals"]]
    stored = api.client.get(quote["links"]["request"], headers=underwriter.headers).json()
    assert stored["as_of"] == as_of.isoformat()
    again = api.client.get(quote["links"]["self"], headers=underwriter.headers).json()
    assert again["as_of_override"]["set_by"] == underwriter.id


def test_a_huge_headcount_grid_is_a_422_on_every_database(api: Api) -> None:
    before = api.store.count_quotes()
    group = {"country": "ID", "occupation_class": 2, "age": 40}
    huge = body(census={"groups": [{**group, "headcount": 1_000_000}] * 2200})
    found = pointers(post(api, api.account(), huge))
    assert found and all(p.startswith("/census/groups") for p in found)
    assert "/census/groups/0/headcount" in found
    # 2,200 bad rows: checking stops at 1,000 problems, the last one saying so.
    assert len(found) == 1_000 and found[-1] == "/census/groups"
    # Each group within bounds, but together more members than a census holds.
    many = body(census={"groups": [{**group, "headcount": 100_000}] * 2})
    response = post(api, api.account(), many)
    assert pointers(response) == ["/census/groups"]
    assert "at most 100,000" in response.json()["errors"][0]["detail"]
    assert api.store.count_quotes() == before


def test_a_period_in_year_9999_is_a_422(api: Api) -> None:
    data = body(period={"start": "9999-01-01", "end": "9999-12-31"})
    assert pointers(post(api, api.account(), data)) == ["/period/start"]


def test_a_period_years_back_or_ahead_is_a_422(api: Api) -> None:
    today = BUSINESS_DATE
    for start in (today - dt.timedelta(days=800), today + dt.timedelta(days=1200)):
        response = post(api, api.account(), body(period=period_from(start)))
        assert pointers(response) == ["/period/start"]
        assert "outside the window" in response.json()["errors"][0]["detail"]


def test_an_absurd_claim_count_is_a_422_not_a_discount(api: Api) -> None:
    today = BUSINESS_DATE
    experience = {
        "start": (today - dt.timedelta(days=730)).isoformat(),
        "end": (today - dt.timedelta(days=366)).isoformat(),
        "member_years": 2,
        "claim_count": 2**63 - 1,
        "incurred_claims": "1",
    }
    response = post(api, api.account(), body(experience=experience))
    assert pointers(response) == ["/experience/claim_count"]


def test_the_openapi_document_states_the_rules_and_bounds(api: Api) -> None:
    doc = api.client.get("/schema/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["CensusGroup"]["properties"]["headcount"]["maximum"] == 100_000
    assert schemas["Experience"]["properties"]["claim_count"]["minimum"] == 0
    assert "only underwriters" in schemas["QuoteRequest"]["properties"]["as_of"]["description"]
    assert "business date" in schemas["Period"]["properties"]["start"]["description"]
    create = doc["paths"][QUOTES]["post"]["description"]
    assert "as of today" in create and "as_of_override" in create


def test_binding_is_judged_on_the_business_date(api_with: ApiFactory) -> None:
    # On the insurer's 29 November a period ending on 30 November can still be bound,
    # whatever the date of the server running the test.
    api = api_with(clock=FixedClock.on(dt.date(2026, 11, 29)))
    broker, underwriter = api.account(), api.account("underwriter")
    data = body(period={"start": "2025-12-01", "end": "2026-11-30"})
    quote = post(api, broker, data).json()
    assert quote["as_of"] == "2026-11-29"
    assert quote["valid_until"] == "2026-12-29"
    url = f"{QUOTES}/{quote['id']}"
    assert api.client.post(f"{url}/approve", headers=underwriter.headers).status_code == 200
    response = api.client.post(f"{url}/bind", headers=broker.headers)
    assert response.status_code == 201, response.text
