"""API keys, roles and isolation between brokers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from quoting.clock import FixedClock
from quoting.tariff.registry import tariff_in_force
from tests.api.conftest import Api, ApiFactory, Caller, example_request

QUOTES = "/api/v1/quotes"


def request_body() -> dict[str, Any]:
    return json.loads(example_request())


def create(api: Api, caller: Caller, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.client.post(QUOTES, json=body or request_body(), headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: Any, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")
    if kind is not None:
        assert problem["type"] == f"/problems/{kind}"
    assert problem["title"]
    assert problem["detail"]
    return problem


def assert_unauthenticated(response: Any) -> None:
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def api_operations(api: Api, quote_id: str, policy_id: str = "pol_none") -> list[tuple[str, str]]:
    """Every (method, path) of /api/v1 in the OpenAPI document, with real ids and an HTML
    document name for the document routes."""
    schema = api.client.get("/schema/openapi.json").json()
    document = {
        "quotes": "quote-letter.html",
        "policies": "policy-schedule.html",
        "endorsements": "endorsement.html",
    }
    kind = lambda path: (  # noqa: E731
        "endorsements" if "{seq}" in path else "policies" if "{policy_id}" in path else "quotes"
    )
    operations = [
        (
            method.upper(),
            path.replace("{quote_id}", quote_id)
            .replace("{policy_id}", policy_id)
            .replace("{seq}", "1")
            .replace("{member_id}", "E001")  # a member of the example quote
            .replace("{filename}", document[kind(path)])
            + ("?on=2027-07-01" if path.endswith("/members") else ""),
        )
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
    ]
    assert len(operations) >= 8
    return operations


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic dXNlcjpwYXNz",
        "Token qk_whatever",
        "Bearer",
        "Bearer ",
        "qk_only_the_key",
        "Bearer qk_not_a_key_we_issued",
    ],
    ids=["none", "basic", "token", "bearer-only", "bearer-empty", "no-scheme", "bad-key"],
)
def test_missing_or_wrong_credentials_get_401_with_www_authenticate(
    api: Api, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_unauthenticated(api.client.get(QUOTES, headers=headers))
    assert_unauthenticated(api.client.post(QUOTES, content=example_request(), headers=headers))


def test_every_api_endpoint_requires_auth(api: Api) -> None:
    broker = api.account()
    quote_id = create(api, broker)["id"]
    before = api.store.count_quotes()
    for method, path in api_operations(api, quote_id):
        body = example_request() if method == "POST" else None
        for headers in ({}, {"Authorization": "Bearer qk_bad"}):
            response = api.client.request(method, path, content=body, headers=headers)
            assert response.status_code == 401, (method, path, response.status_code)
            assert_unauthenticated(response)
    assert api.store.count_quotes() == before


def test_health_and_docs_need_no_auth(api: Api) -> None:
    assert api.client.get("/health").status_code == 200
    assert api.client.get("/schema/openapi.json").status_code == 200
    assert api.client.get("/schema").status_code == 200


def test_a_valid_key_reaches_every_read_endpoint(api: Api, api_with: ApiFactory) -> None:
    broker = api.account()
    quote_id = create(api, broker)["id"]
    bound = api.client.post(f"{QUOTES}/{quote_id}/bind", headers=broker.headers)
    assert bound.status_code == 201, bound.text
    policy_id = bound.json()["id"]
    leaving = {"effective": "2027-07-01", "remove": [{"member_id": "E002"}]}
    endorsed = api.client.post(
        f"/api/v1/policies/{policy_id}/endorsements", json=leaving, headers=broker.headers
    )
    assert endorsed.status_code == 201, endorsed.text
    # A claim to read back (a date of loss in the period: recorded on a later day).
    april = api_with(clock=FixedClock.on(dt.date(2027, 4, 15)))
    claim = {"member_id": "E001", "cover": "amed", "loss_date": "2027-03-20", "paid": "10"}
    recorded = april.client.post(
        f"/api/v1/policies/{policy_id}/claims", json={"claims": [claim]}, headers=broker.headers
    )
    assert recorded.status_code == 201, recorded.text
    underwriter = api.account("underwriter")
    underwriters_only = ("/api/v1/referrals", "/api/v1/audit", "/api/v1/exposure")
    for method, path in api_operations(api, quote_id, policy_id):
        if method == "GET":
            caller = underwriter if path in underwriters_only else broker
            response = api.client.get(path, headers=caller.headers)
            assert response.status_code == 200, (path, response.text)


def test_a_broker_cannot_see_another_brokers_quote(api: Api) -> None:
    broker_a, broker_b = api.account(), api.account()
    quote = create(api, broker_b)
    mine = create(api, broker_a)

    for link in ("self", "request", "members_csv", "members_xlsx"):
        response = api.client.get(quote["links"][link], headers=broker_a.headers)
        problem = assert_problem(response, 404, "not-found")
        assert problem["instance"] == quote["links"][link]
        # B still sees it.
        assert api.client.get(quote["links"][link], headers=broker_b.headers).status_code == 200

    page = api.client.get(QUOTES, headers=broker_a.headers).json()
    assert [item["id"] for item in page["items"]] == [mine["id"]]
    assert page["total"] == 1
    page = api.client.get(QUOTES, headers=broker_b.headers).json()
    assert [item["id"] for item in page["items"]] == [quote["id"]]


def _all_listed(api: Api, caller: Caller) -> set[str]:
    ids: set[str] = set()
    url: str | None = f"{QUOTES}?limit=200"
    while url:
        page = api.client.get(url, headers=caller.headers).json()
        ids.update(item["id"] for item in page["items"])
        url = page["next"]
    return ids


@pytest.mark.parametrize("role", ["underwriter", "admin"])
def test_underwriters_and_admins_see_every_quote(api: Api, role: str) -> None:
    broker_a, broker_b = api.account(), api.account()
    quote_a, quote_b = create(api, broker_a), create(api, broker_b)
    reader = api.account(role)
    for quote in (quote_a, quote_b):
        for link in ("self", "request", "members_csv", "members_xlsx"):
            response = api.client.get(quote["links"][link], headers=reader.headers)
            assert response.status_code == 200, (link, response.text)
    assert {quote_a["id"], quote_b["id"]} <= _all_listed(api, reader)


def test_an_admin_cannot_create_quotes(api: Api) -> None:
    admin = api.account("admin")
    before = api.store.count_quotes()
    response = api.client.post(QUOTES, json=request_body(), headers=admin.headers)
    problem = assert_problem(response, 403, "forbidden")
    assert problem["instance"] == QUOTES
    assert api.store.count_quotes() == before


@pytest.mark.parametrize(
    ("extra", "pointers"),
    [
        ({"commission": "0.20"}, ["/commission"]),
        ({"underwriter_adjustment": "0.10"}, ["/underwriter_adjustment"]),
        (
            {"commission": "0.05", "underwriter_adjustment": "-0.10"},
            ["/commission", "/underwriter_adjustment"],
        ),
    ],
)
def test_a_broker_may_not_set_commission_or_adjustment(
    api: Api, extra: dict[str, str], pointers: list[str]
) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    response = api.client.post(QUOTES, json={**request_body(), **extra}, headers=broker.headers)
    problem = assert_problem(response, 422)
    assert sorted(e["pointer"] for e in problem["errors"]) == pointers
    assert api.store.count_quotes() == before


def test_an_underwriter_may_set_commission_and_adjustment(api: Api) -> None:
    underwriter = api.account("underwriter")
    plain = create(api, underwriter)
    adjusted = create(api, underwriter, {**request_body(), "underwriter_adjustment": "0.10"})
    assert float(adjusted["total_premium"]) > float(plain["total_premium"])
    low = create(api, underwriter, {**request_body(), "commission": "0.05"})
    assert low["commission"] == pytest.approx(0.05)


def test_the_broker_commission_comes_from_its_account(api: Api) -> None:
    low, high = api.account(commission="0.10"), api.account(commission="0.20")
    loadings = tariff_in_force(api.settings.clock.today(), api.settings.tariff_root).params
    expenses_and_profit = loadings.loadings.expenses + loadings.loadings.profit

    quotes = {}
    for commission, broker in (("0.10", low), ("0.20", high)):
        quote = create(api, broker)
        quotes[commission] = quote
        assert quote["commission"] == pytest.approx(float(commission))
        divisor = 1 - float(commission) - float(expenses_and_profit)
        for member in quote["members"]:
            for line in member["lines"]:
                assert line["factors"]["gross_up_divisor"] == pytest.approx(divisor)
    assert float(quotes["0.20"]["total_premium"]) > float(quotes["0.10"]["total_premium"])


def test_a_broker_account_with_commission_beyond_the_tariff_bounds_is_refused(api: Api) -> None:
    broker = api.account(commission="0.40")
    before = api.store.count_quotes()
    response = api.client.post(QUOTES, json=request_body(), headers=broker.headers)
    problem = assert_problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/commission"]
    assert api.store.count_quotes() == before
