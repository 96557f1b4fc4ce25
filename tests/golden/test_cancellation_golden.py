"""Golden cancellation cases computed by hand from tariff 2026.2, on the in-memory store.

The policy is that of tests/golden/test_endorsements_golden.py: calendar year 2027, 40
members in Serbia at 111.64 each (VAT 6 % in it), 4,465.60 in all; no minimum premium
applies. A line's refund is rounded half-up once; its VAT is round(refund × 0.06/1.06).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from quoting.clock import FixedClock
from quoting.errors import PolicyCancelled, RequestError
from quoting.services import Context, CreateQuote
from quoting.services.binding import bind_quote
from quoting.services.cancellation import Cancel, cancel_policy
from quoting.services.endorsements import members_on, policy_version
from quoting.services.quotation import create_quote
from quoting.store.memory import InMemoryDatabase
from tests.golden.test_endorsements_golden import (
    BROKER,
    TARIFF_DIR,
    UNDERWRITER,
    bound_policy,
    ctx,
    member,
    money,
    post,
    vat_of,
)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.accounts.add(UNDERWRITER)
        uow.commit()
    return database


def cancel(
    database: InMemoryDatabase,
    policy_id: str,
    effective: str,
    initiator: str,
    context: Context | None = None,
    key: str | None = None,
):
    body = {"effective": effective, "reason": "project finished", "initiator": initiator}
    command = Cancel(policy_id, json.dumps(body).encode(), key)
    return cancel_policy(database.unit_of_work, context or ctx(), command)


def test_the_policyholder_cancelling_from_1_july_is_refunded_40_percent(db):
    """1 Jan–30 Jun is 6 months begun: the short-period scale earns 60 %, so each member
    gets 111.64 × 0.40 = 44.656 → 44.66 back, VAT 44.66 × 0.06/1.06 = 2.5279 → 2.53.
    40 members: refund 1,786.40, VAT 101.20; the policy keeps 4,465.60 − 1,786.40 =
    2,679.20."""
    policy_id = bound_policy(db)
    stored = cancel(db, policy_id, "2027-07-01", "policyholder")
    result = stored.endorsement
    assert stored.created and result.number.endswith("-E01")
    assert result.cancellation is not None
    assert result.cancellation.basis == "short_period_scale"
    first = result.members[0]
    assert (first.action, first.kind, first.start, first.end, first.days) == (
        "cancel",
        "refund",
        dt.date(2027, 7, 1),
        dt.date(2027, 12, 31),
        184,
    )
    assert first.premium == str(-money(111.64 * 0.40)) == "-44.66"
    assert first.vat == str(-vat_of(Decimal("44.66"))) == "-2.53"
    assert first.lines[0].factors["refund_share"] == pytest.approx(0.40)
    assert (result.premium, result.vat) == ("-1786.40", "-101.20")
    assert result.totals.premium == "2679.20" and result.totals.headcount == 0
    version = policy_version(db.unit_of_work, ctx(), policy_id)
    assert (version.number, version.premium, version.cancelled_from) == (
        2,
        "2679.20",
        dt.date(2027, 7, 1),
    )
    assert len(members_on(db.unit_of_work, ctx(), policy_id, dt.date(2027, 6, 30))) == 40
    assert members_on(db.unit_of_work, ctx(), policy_id, dt.date(2027, 7, 1)) == []


def test_the_insurer_cancelling_from_1_july_refunds_184_of_365_days(db):
    """1 Jul–31 Dec = 184 unused days of 365: 111.64 × 184/365 = 56.2785 → 56.28, VAT
    3.19 a member; 40 members: 2,251.20 and VAT 127.60; the policy keeps 2,214.40."""
    policy_id = bound_policy(db)
    result = cancel(db, policy_id, "2027-07-01", "insurer").endorsement
    assert result.members[0].premium == str(-money(111.64 * 184 / 365)) == "-56.28"
    assert result.members[0].vat == "-3.19"
    assert (result.premium, result.vat, result.totals.premium) == ("-2251.20", "-127.60", "2214.40")
    assert result.cancellation is not None and result.cancellation.short_period_scale == []


def test_after_an_endorsement_each_segment_is_refunded_on_the_term_it_paid(db):
    """E01 on 1 July: E041 joins (56.28, 184 days) and E040 leaves (−56.28); see the
    endorsement golden case. The policyholder cancels from 1 October:

    - E001–E039, full year: 1 Jan–30 Sep is 9 months begun → 85 % earned; 111.64 × 0.15
      = 16.746 → 16.75, VAT 0.948 → 0.95;
    - E041, paid 184/365 of the annual line: 1 Jul–30 Sep is 3 months → 30 % earned;
      1 − 0.30 × 365/184 = 0.404891; 56.28 × 0.404891 = 22.7873 → 22.79, VAT 1.29;
    - E040 ended on 30 June: untouched.
    Refund 39 × 16.75 + 22.79 = 676.04, VAT 39 × 0.95 + 1.29 = 38.34; the policy
    keeps 4,465.60 + 0.00 − 676.04 = 3,789.56."""
    policy_id = bound_policy(db)
    post(
        db,
        policy_id,
        {"effective": "2027-07-01", "add": [member(41)], "remove": [{"member_id": "E040"}]},
    )
    result = cancel(db, policy_id, "2027-10-01", "policyholder").endorsement
    by_id = {m.member_id: m for m in result.members}
    assert "E040" not in by_id and len(by_id) == 40
    assert (by_id["E001"].premium, by_id["E001"].vat) == ("-16.75", "-0.95")
    assert str(-money(56.28 * (1 - 0.30 * 365 / 184))) == by_id["E041"].premium == "-22.79"
    assert by_id["E041"].vat == "-1.29"
    assert (result.premium, result.vat) == ("-676.04", "-38.34")
    assert (result.base_version, result.totals.version, result.totals.premium) == (2, 3, "3789.56")


def test_a_cancelled_policy_takes_no_endorsement_and_no_second_cancellation(db):
    policy_id = bound_policy(db)
    first = cancel(db, policy_id, "2027-07-01", "policyholder", key="k1")
    again = cancel(db, policy_id, "2027-07-01", "policyholder", key="k1")
    assert not again.created and again.endorsement == first.endorsement
    with pytest.raises(PolicyCancelled, match="cancelled from 2027-07-01"):
        cancel(db, policy_id, "2027-08-01", "insurer")
    with pytest.raises(PolicyCancelled):
        post(db, policy_id, {"effective": "2027-08-01", "add": [member(41)]})


def test_the_policy_exposure_ends_the_day_before_the_cancellation(db):
    policy_id = bound_policy(db)
    with db.unit_of_work() as work:
        assert {r.period_end for r in work.exposures.for_policy(policy_id)} == {
            dt.date(2027, 12, 31)
        }
    cancel(db, policy_id, "2027-07-01", "insurer")
    with db.unit_of_work() as work:
        rows = work.exposures.for_policy(policy_id)
        assert rows and {r.period_end for r in rows} == {dt.date(2027, 6, 30)}
        assert work.exposures.in_force(dt.date(2027, 7, 1), dt.date(2027, 7, 1)) == []
        kinds = [e.kind for e in work.events.all(policy_id)]
    assert kinds[-1] == "policy.cancelled"


def test_a_backdated_or_early_cancellation_is_refused_at_effective(db):
    """The business date 1 August 2027: a cancellation from 1 July would refund time
    already on risk; one before an endorsement's effective date is refused too."""
    policy_id = bound_policy(db)
    post(db, policy_id, {"effective": "2027-03-01", "remove": [{"member_id": "E040"}]})
    later = Context(FixedClock.on(dt.date(2027, 8, 1)), TARIFF_DIR, BROKER)
    for effective, context in (("2027-07-01", later), ("2027-02-01", None)):
        with pytest.raises(RequestError) as raised:
            cancel(db, policy_id, effective, "policyholder", context)
        assert [p.path for p in raised.value.problems] == [("effective",)]
    with pytest.raises(RequestError) as raised:
        cancel(db, policy_id, "2027-09-01", "nobody")
    assert raised.value.problems[0].path == ("initiator",)


def test_a_policy_insuring_a_headcount_grid_is_not_cancelled_here(db):
    """Without named members there are no segments to refund: a clear 422, nothing stored."""
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {
            "groups": [{"country": "RS", "occupation_class": 2, "headcount": 40, "age": 40}]
        },
    }
    stored = create_quote(db.unit_of_work, ctx(), CreateQuote(json.dumps(body).encode()))
    policy_id = bind_quote(db.unit_of_work, ctx(), stored.quote.id).policy.id
    with pytest.raises(RequestError, match="headcount grid"):
        cancel(db, policy_id, "2027-07-01", "insurer")
    assert policy_version(db.unit_of_work, ctx(), policy_id).cancelled_from is None
