"""The accumulation book follows a policy's changes, on SQLite and PostgreSQL: members who
join, leave or change site count on the site from the endorsement's effective date, and
a cancelled policy drops out of the book from its cancellation date. Site names carry
this test's own tag (the PostgreSQL database is shared by the session's tests)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from quoting.clock import FixedClock
from tests.api.conftest import Api, ApiFactory, Caller
from tests.api.test_binding_api import bound, create, small_body
from tests.api.test_cancellation_api import cancel
from tests.api.test_endorsements_api import endorse, joiner

BUSINESS_DATE = dt.date(2026, 12, 1)


@pytest.fixture
def api(api_with: ApiFactory) -> Api:
    """The app on a business date before the policies' period (1 December 2026), whatever
    day the tests run on."""
    return api_with(clock=FixedClock.on(BUSINESS_DATE))


def sites_on(api: Api, underwriter: Caller, on: str, tag: str) -> dict[str, tuple[int, str]]:
    response = api.client.get("/api/v1/exposure", params={"on": on}, headers=underwriter.headers)
    assert response.status_code == 200, response.text
    return {
        s["site"].removesuffix(f" {tag}"): (s["headcount"], s["add_sum_insured"])
        for s in response.json()["sites"]
        if s["site"] and s["site"].endswith(tag)
    }


def test_the_book_on_a_date_follows_endorsements_and_the_cancellation(api: Api) -> None:
    tag = secrets.token_hex(3)
    broker, underwriter = api.account("broker"), api.account("underwriter")
    body: dict[str, Any] = small_body()
    body["census"]["members"][0]["site"] = f"Morowali {tag}"  # plan A: AD&D 1,000,000
    body["census"]["members"][1]["site"] = f"Mombasa {tag}"  # class 4, plan B: 500,000
    pid = bound(api, broker, create(api, broker, body)["id"])["id"]
    change = {
        "effective": "2027-07-01",
        "add": [joiner("E003", site=f"Mombasa {tag}")],  # class 3, plan B
        "change": [{"member_id": "E002", "site": f"Lamu {tag}"}],
    }
    response = endorse(api, broker, pid, change)
    assert response.status_code == 201 and response.json()["status"] == "accepted", response.text
    before = {"Morowali": (1, "1000000.00"), "Mombasa": (1, "500000.00")}
    assert sites_on(api, underwriter, "2027-06-30", tag) == before
    after = {**before, "Lamu": (1, "500000.00")}  # E003 in Mombasa, E002 moved to Lamu
    assert sites_on(api, underwriter, "2027-07-01", tag) == after
    ended = cancel(
        api, broker, pid, {"effective": "2027-10-01", "reason": "x", "initiator": "insurer"}
    )
    assert ended.status_code == 201, ended.text
    assert sites_on(api, underwriter, "2027-09-30", tag) == after
    assert sites_on(api, underwriter, "2027-10-01", tag) == {}
