"""Claims through the broker API on SQLite and PostgreSQL: recorded as JSON or a CSV
file, every problem with its pointer or file row and column and nothing recorded, the
claims experience after an endorsement, and other brokers see nothing. The policy is
bound on 1 December 2026; the claims are recorded by an app whose business date is 15 April 2027
(on the same database), when the losses have happened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from quoting.clock import FixedClock
from tests.api.conftest import Api, ApiFactory, Caller
from tests.api.test_binding_api import assert_problem
from tests.api.test_endorsements_api import POLICIES, endorse, joiner, policy_of

BUSINESS_DATE = dt.date(2026, 12, 1)


@pytest.fixture
def api(api_with: ApiFactory) -> Api:
    """The app on a business date before the policies' period (1 December 2026), whatever
    day the tests run on."""
    return api_with(clock=FixedClock.on(BUSINESS_DATE))


def post(api: Api, caller: Caller, policy_id: str, claims: list[dict[str, Any]]) -> Any:
    return api.client.post(
        f"{POLICIES}/{policy_id}/claims", json={"claims": claims}, headers=caller.headers
    )


def test_claims_are_recorded_checked_and_summed(api: Api, api_with: ApiFactory) -> None:
    broker, other = api.account("broker"), api.account("broker")
    policy = policy_of(api, broker)
    pid = policy["id"]
    assert (
        endorse(api, broker, pid, {"effective": "2027-03-01", "add": [joiner("E003")]}).status_code
        == 201
    )
    april = api_with(clock=FixedClock.on(dt.date(2027, 4, 15)))
    bad = post(
        april,
        broker,
        pid,
        [
            {"member_id": "E003", "cover": "amed", "loss_date": "2027-02-10"},
            {"member_id": "E001", "cover": "amed", "loss_date": "2027-05-10"},
            {"member_id": "E001", "cover": "xyz", "loss_date": "2027-03-10"},
        ],
    )
    problem = assert_problem(bad, 422, "invalid-request")
    assert [e["pointer"] for e in problem["errors"]] == ["/claims/2/cover"]  # decoding first
    bad = post(
        april,
        broker,
        pid,
        [
            {"member_id": "E003", "cover": "amed", "loss_date": "2027-02-10"},
            {"member_id": "E001", "cover": "amed", "loss_date": "2027-05-10"},
        ],
    )
    problem = assert_problem(bad, 422, "invalid-request")
    assert [e["pointer"] for e in problem["errors"]] == [
        "/claims/0/loss_date",
        "/claims/1/loss_date",
    ]
    assert "E003 was not covered on 2027-02-10" in problem["errors"][0]["detail"]
    made = post(
        april,
        broker,
        pid,
        [{"member_id": "E003", "cover": "amed", "loss_date": "2027-03-20", "paid": "800.50"}],
    )
    assert made.status_code == 201, made.text
    assert made.json()["items"][0]["number"] == f"{policy['policy_number']}-C001"
    csv = (
        "工号,险种,出险日期,已决赔款,未决赔款,案件状态,赔案号\n"
        "E001,smed,2027-04-01,0,1500,未结,R-1\n"
        "E002,add,2027/04/02,200.00,0,已结,R-2\n"
    )
    files = {"claims": ("claims.csv", csv.encode(), "text/csv")}
    uploaded = april.client.post(f"{POLICIES}/{pid}/claims", files=files, headers=broker.headers)
    assert uploaded.status_code == 201, uploaded.text
    assert [c["number"][-4:] for c in uploaded.json()["items"]] == ["C002", "C003"]
    wrong = "工号,险种,出险日期,已决赔款\nE001,smed,2027-04-01,abc\nE009,smed,2027-04-01,1\n"
    files = {"claims": ("claims.csv", wrong.encode(), "text/csv")}
    refused = april.client.post(f"{POLICIES}/{pid}/claims", files=files, headers=broker.headers)
    errors = assert_problem(refused, 422, "invalid-census")["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "paid")]
    report = april.client.get(f"{POLICIES}/{pid}/claims?as_of=2027-04-14", headers=broker.headers)
    body = report.json()
    assert body["total"] == 3 and body["summary"]["count"] == 3
    assert body["summary"]["incurred"] == "2500.50"  # 800.50 + 1,500 + 200
    earned = Decimal(body["summary"]["earned_premium"])
    assert earned > 0
    assert Decimal(body["summary"]["loss_ratio"]) == (Decimal("2500.50") / earned).quantize(
        Decimal("0.0001")
    )
    assert_problem(
        april.client.get(f"{POLICIES}/{pid}/claims", headers=other.headers), 404, "not-found"
    )
    assert_problem(
        post(
            april, other, pid, [{"member_id": "E001", "cover": "amed", "loss_date": "2027-04-01"}]
        ),
        404,
        "not-found",
    )
