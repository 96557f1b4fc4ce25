"""A policy's year through the broker API on SQLite and PostgreSQL, then its renewal:
three endorsements (workers joining, leaving, changing site), claims imported from a
file, and the renewal quote whose change against the expiring premium adds up to the
cent; binding it links the policies and a policy renews once. The hand-computed renewal
figures are in tests/golden/test_renewal_golden.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quoting.clock import FixedClock
from tests.api.conftest import Api, ApiFactory
from tests.api.test_binding_api import QUOTES, assert_problem, bind
from tests.api.test_endorsements_api import POLICIES, endorse, joiner, policy_of

BUSINESS_DATE = dt.date(2026, 12, 1)


@pytest.fixture
def api(api_with: ApiFactory) -> Api:
    return api_with(clock=FixedClock.on(BUSINESS_DATE))


def test_a_year_of_changes_and_claims_then_the_renewal_on_its_experience(
    api: Api, api_with: ApiFactory
) -> None:
    broker, other = api.account("broker"), api.account("broker")
    policy = policy_of(api, broker)
    pid = policy["id"]
    bodies = [
        {"effective": "2027-03-01", "add": [joiner("E003"), joiner("E004")], "reason": "join"},
        {"effective": "2027-06-01", "remove": [{"member_id": "E002"}], "reason": "rotated home"},
        {"effective": "2027-09-01", "change": [{"member_id": "E003", "site": "Mombasa port"}],
         "reason": "new site"},
    ]  # fmt: skip
    premiums = []
    for body in bodies:
        made = endorse(api, broker, pid, body)
        assert made.status_code == 201, made.text
        premiums.append(Decimal(made.json()["premium"]))
    expiring = Decimal(policy["total_premium"]) + sum(premiums)
    shown = api.client.get(f"{POLICIES}/{pid}", headers=broker.headers).json()
    assert Decimal(shown["total_premium"]) == expiring and shown["version"] == 4

    october = api_with(clock=FixedClock.on(dt.date(2027, 10, 20)))
    csv = "工号,险种,出险日期,已决赔款,未决赔款,案件状态\nE001,smed,2027-04-01,0,1500,未结\n"
    files = {"claims": ("claims.csv", csv.encode(), "text/csv")}
    imported = october.client.post(f"{POLICIES}/{pid}/claims", files=files, headers=broker.headers)
    assert imported.status_code == 201, imported.text

    november = api_with(clock=FixedClock.on(dt.date(2027, 11, 15)))
    url = f"{POLICIES}/{pid}/renewal-quote"
    headers = {**broker.headers, "Idempotency-Key": "renew-2028"}
    response = november.client.post(url, headers=headers)
    assert response.status_code == 201, response.text
    quote = response.json()
    assert response.headers["location"] == f"{QUOTES}/{quote['id']}"
    assert (quote["period_start"], quote["period_end"]) == ("2028-01-01", "2028-12-31")
    assert quote["headcount"] == 3  # E001, E003, E004: E002 left in June
    assert sorted(m["member_id"] for m in quote["members"]) == ["E001", "E003", "E004"]
    renewal = quote["renewal"]
    assert renewal["renewal_of"] == pid and Decimal(renewal["expiring_premium"]) == expiring
    parts = ("census_change", "tariff_change", "experience_change")
    assert expiring + sum(Decimal(renewal[p]) for p in parts) == Decimal(quote["total_premium"])
    experience = renewal["experience"]
    assert experience["policies"] == [policy["policy_number"]]
    assert (experience["claim_count"], experience["incurred_claims"]) == (1, "1500.00")
    assert quote["rating"]["experience"]["claim_count"] == 1
    assert Decimal(renewal["experience_change"]) != 0
    site = {m["member_id"]: m.get("site") for m in quote["members"]}
    assert site["E003"] == "Mombasa port"

    replay = november.client.post(url, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == quote["id"]
    assert november.client.post(url, headers=other.headers).status_code == 404

    bound = bind(november, broker, quote["id"])
    assert bound.status_code == 201, bound.text
    assert bound.json()["renewal_of"] == pid
    old = november.client.get(f"{POLICIES}/{pid}", headers=broker.headers).json()
    assert old["renewed_by"] == bound.json()["id"]
    assert_problem(november.client.post(url, headers=broker.headers), 409, "policy-renewed")
