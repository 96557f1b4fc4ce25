"""Cancellation through the broker API on SQLite and PostgreSQL: the refund reconciles
with the policy's lines, the policy shows it is cancelled, nothing changes it afterwards,
retries are idempotent, problems name the field, other brokers see nothing, and the
退保批单 prints. The hand-computed figures are in tests/golden/test_cancellation_golden.py."""

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


def cancel(api: Api, caller: Caller, policy_id: str, body: dict[str, Any], **headers: str) -> Any:
    return api.client.post(
        f"{POLICIES}/{policy_id}/cancel", json=body, headers={**caller.headers, **headers}
    )


BODY = {"effective": "2027-07-01", "reason": "project finished early", "initiator": "insurer"}


def test_a_cancellation_refunds_the_unused_days_and_closes_the_policy(api: Api) -> None:
    broker = api.account("broker")
    policy = policy_of(api, broker)
    pid, bound_total = policy["id"], Decimal(policy["total_premium"])
    added = endorse(api, broker, pid, {"effective": "2027-03-01", "add": [joiner("E003")]})
    assert added.status_code == 201, added.text
    response = cancel(api, broker, pid, BODY, **{"Idempotency-Key": "cancel-1"})
    assert response.status_code == 201, response.text
    result = response.json()
    assert response.headers["location"] == f"{POLICIES}/{pid}/endorsements/2"
    assert result["number"] == f"{policy['policy_number']}-E02"
    assert result["cancellation"]["basis"] == "pro_rata_days"
    assert sorted(m["member_id"] for m in result["members"]) == ["E001", "E002", "E003"]
    for part in result["members"]:
        assert (part["action"], part["kind"], part["start"], part["days"]) == (
            "cancel",
            "refund",
            "2027-07-01",
            184,
        )
        assert Decimal(part["premium"]) == sum(Decimal(x["premium"]) for x in part["lines"])
    assert Decimal(result["premium"]) < 0
    after = bound_total + Decimal(added.json()["premium"]) + Decimal(result["premium"])
    assert Decimal(result["totals"]["premium"]) == after
    shown = api.client.get(f"{POLICIES}/{pid}", headers=broker.headers).json()
    assert (shown["status"], shown["cancelled_from"], shown["version"]) == (
        "cancelled",
        "2027-07-01",
        3,
    )
    assert Decimal(shown["total_premium"]) == after
    [listed] = api.client.get(POLICIES, headers=broker.headers).json()["items"]
    assert (listed["status"], listed["cancelled_from"], listed["total_premium"]) == (
        "cancelled",
        "2027-07-01",
        shown["total_premium"],
    )
    members = api.client.get(f"{POLICIES}/{pid}/members?on=2027-07-01", headers=broker.headers)
    assert members.json()["count"] == 0
    replay = cancel(api, broker, pid, BODY, **{"Idempotency-Key": "cancel-1"})
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == result
    assert_problem(cancel(api, broker, pid, BODY), 409, "policy-cancelled")
    later = endorse(api, broker, pid, {"effective": "2027-08-01", "add": [joiner("E004")]})
    assert_problem(later, 409, "policy-cancelled")


def test_problems_name_the_field_and_other_brokers_see_nothing(api: Api) -> None:
    broker, other = api.account("broker"), api.account("broker")
    pid = policy_of(api, broker)["id"]
    bad = cancel(api, broker, pid, {**BODY, "initiator": "someone", "effective": "2027-07-01"})
    problem = assert_problem(bad, 422, "invalid-request")
    assert [e["pointer"] for e in problem["errors"]] == ["/initiator"]
    outside = cancel(api, broker, pid, {**BODY, "effective": "2028-01-01"})
    assert [e["pointer"] for e in assert_problem(outside, 422, "invalid-request")["errors"]] == [
        "/effective"
    ]
    assert_problem(cancel(api, other, pid, BODY), 404, "not-found")
    text = api.client.post(
        f"{POLICIES}/{pid}/cancel",
        content=b"x",
        headers={**broker.headers, "content-type": "text/plain"},
    )
    assert_problem(text, 415, "unsupported-media-type")
    shown = api.client.get(f"{POLICIES}/{pid}", headers=broker.headers).json()
    assert (shown["status"], shown["cancelled_from"], shown["version"]) == ("in_force", None, 1)


def test_the_cancellation_document_shows_the_basis_and_the_refund(api: Api) -> None:
    broker = api.account("broker")
    pid = policy_of(api, broker)["id"]
    body = {**BODY, "initiator": "policyholder", "reason": "项目提前结束 <early>"}
    result = cancel(api, broker, pid, body).json()
    base = f"{POLICIES}/{pid}/endorsements/1/documents"
    html = api.client.get(f"{base}/endorsement.html", headers=broker.headers)
    assert html.status_code == 200, html.text
    text = html.text
    assert "退保批单" in text and "短期费率" in text and "85%" in text
    assert "项目提前结束 &lt;early&gt;" in text  # escaped
    assert f"{abs(Decimal(result['premium'])):,.2f}" in text
    assert f"{Decimal(result['totals']['premium']):,.2f}" in text
    pdf = api.client.get(f"{base}/endorsement.pdf", headers=broker.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="{result["number"]}-cancellation.pdf"'
    )
