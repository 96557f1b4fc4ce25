"""Claim corrections through the broker API on SQLite and PostgreSQL: a claim's paid and
outstanding amounts and status as they stand now (``PATCH …/claims/{n}``), checked as a
new claim is, kept as history (``claim.corrected`` events with before and after), the
summary following, idempotent by nature, and other brokers see nothing. The policy is
bound on 1 December 2026; the claims are handled by an app whose business date is
15 April 2027 (on the same database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from quoting.clock import FixedClock
from tests.api.conftest import Api, ApiFactory, Caller
from tests.api.test_binding_api import assert_problem
from tests.api.test_endorsements_api import POLICIES, policy_of

BUSINESS_DATE = dt.date(2026, 12, 1)


@pytest.fixture
def api(api_with: ApiFactory) -> Api:
    """The app on a business date before the policy's period (1 December 2026)."""
    return api_with(clock=FixedClock.on(BUSINESS_DATE))


def correct(api: Api, caller: Caller, policy_id: str, seq: int, body: dict[str, Any]) -> Any:
    return api.client.patch(
        f"{POLICIES}/{policy_id}/claims/{seq}", json=body, headers=caller.headers
    )


def summary(api: Api, caller: Caller, policy_id: str) -> dict[str, Any]:
    response = api.client.get(f"{POLICIES}/{policy_id}/claims", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_claim_is_corrected_kept_as_history_and_the_summary_follows(
    api: Api, api_with: ApiFactory
) -> None:
    broker = api.account("broker")
    pid = policy_of(api, broker)["id"]
    april = api_with(clock=FixedClock.on(dt.date(2027, 4, 15)))
    claims = [
        {"member_id": "E001", "cover": "amed", "loss_date": "2027-03-20", "outstanding": "1500"},
        {"member_id": "E002", "cover": "add", "loss_date": "2027-04-02", "paid": "200.00"},
    ]
    made = april.client.post(
        f"{POLICIES}/{pid}/claims", json={"claims": claims}, headers=broker.headers
    )
    assert made.status_code == 201, made.text
    number = made.json()["items"][0]["number"]
    before = summary(april, broker, pid)["summary"]
    assert before["incurred"] == "1700.00"  # 1,500 reserved + 200 paid

    # The hospital's final bill: 1,350.00 paid, nothing left, the claim closed.
    body = {"paid": "1350.00", "outstanding": "0", "status": "closed", "reason": "final bill"}
    corrected = correct(april, broker, pid, 1, body)
    assert corrected.status_code == 200, corrected.text
    claim = corrected.json()
    assert (claim["number"], claim["seq"]) == (number, 1)  # keeps its number
    assert (claim["paid"], claim["outstanding"], claim["incurred"], claim["status"]) == (
        "1350.00",
        "0.00",
        "1350.00",
        "closed",
    )
    assert claim["corrected_by"] == broker.id and claim["corrected_at"] is not None
    assert claim["created_at"].endswith("Z")  # read back with its time zone, also on SQLite
    [entry] = claim["corrections"]
    assert entry["before"] == {"paid": "0.00", "outstanding": "1500.00", "status": "open"}
    assert entry["after"] == {"paid": "1350.00", "outstanding": "0.00", "status": "closed"}
    assert entry["reason"] == "final bill"

    after = summary(april, broker, pid)
    assert after["summary"]["incurred"] == "1550.00"  # 1,350 paid + 200 paid
    assert after["summary"]["earned_premium"] == before["earned_premium"]
    earned = Decimal(after["summary"]["earned_premium"])
    assert Decimal(after["summary"]["loss_ratio"]) == (Decimal("1550.00") / earned).quantize(
        Decimal("0.0001")
    )
    listed = {c["seq"]: c for c in after["items"]}
    assert listed[1]["corrected_by"] == broker.id and listed[2]["corrected_at"] is None

    # The same values again: nothing changes, no second event.
    again = correct(april, broker, pid, 1, body)
    assert again.status_code == 200 and len(again.json()["corrections"]) == 1
    events = [e for e in april.store.events(pid) if e.kind == "claim.corrected"]
    assert [(e.data["number"], e.data["after"]["paid"]) for e in events] == [(number, "1350.00")]

    # Only the outstanding amount of the other claim: the rest is kept.
    reserved = correct(april, broker, pid, 2, {"outstanding": "80.5"})
    assert reserved.status_code == 200, reserved.text
    assert (reserved.json()["paid"], reserved.json()["outstanding"]) == ("200.00", "80.50")
    assert april.client.get(f"{POLICIES}/{pid}/claims/2", headers=broker.headers).json()[
        "corrections"
    ][0]["before"] == {"paid": "200.00", "outstanding": "0.00", "status": "open"}


def test_a_bad_correction_names_the_field_and_changes_nothing(
    api: Api, api_with: ApiFactory
) -> None:
    broker, other = api.account("broker"), api.account("broker")
    pid = policy_of(api, broker)["id"]
    april = api_with(clock=FixedClock.on(dt.date(2027, 4, 15)))
    claim = {"member_id": "E001", "cover": "amed", "loss_date": "2027-03-20", "outstanding": "900"}
    made = april.client.post(
        f"{POLICIES}/{pid}/claims", json={"claims": [claim]}, headers=broker.headers
    )
    assert made.status_code == 201, made.text

    def pointers(body: dict[str, Any]) -> list[str]:
        problem = assert_problem(correct(april, broker, pid, 1, body), 422, "invalid-request")
        return [e["pointer"] for e in problem["errors"]]

    assert pointers({"paid": "-1", "outstanding": "1.005"}) == ["/paid", "/outstanding"]
    assert pointers({"status": "closed"}) == ["/status"]  # 900.00 still outstanding
    assert pointers({"status": "closed", "outstanding": "5"}) == ["/outstanding"]
    assert pointers({"status": "settled"}) == ["/status"]
    unknown = correct(april, broker, pid, 1, {"member_id": "E002"})  # not correctable
    assert "member_id" in assert_problem(unknown, 422, "invalid-request")["errors"][0]["detail"]
    assert pointers({}) == [""]
    [stored] = april.client.get(f"{POLICIES}/{pid}/claims", headers=broker.headers).json()["items"]
    assert (stored["outstanding"], stored["status"], stored["corrected_at"]) == (
        "900.00",
        "open",
        None,
    )
    assert not [e for e in april.store.events(pid) if e.kind == "claim.corrected"]
    assert_problem(correct(april, broker, pid, 7, {"paid": "1"}), 404, "not-found")
    assert_problem(correct(april, other, pid, 1, {"paid": "1"}), 404, "not-found")
    assert_problem(
        april.client.get(f"{POLICIES}/{pid}/claims/1", headers=other.headers), 404, "not-found"
    )
    text = april.client.patch(
        f"{POLICIES}/{pid}/claims/1",
        content=b"paid=1",
        headers={**broker.headers, "Content-Type": "text/plain"},
    )
    assert text.status_code == 415
