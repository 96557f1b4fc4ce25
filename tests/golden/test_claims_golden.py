"""Golden claims-experience cases computed by hand, on the in-memory store.

The policy of tests/golden/test_endorsements_golden.py: calendar year 2027, 40 members
at 111.64 with VAT 6.32 in it, so 105.32 net of VAT each; its only cover is sdeath.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from quoting.clock import FixedClock
from quoting.errors import RequestError
from quoting.services import Context, CreateQuote
from quoting.services.binding import bind_quote
from quoting.services.claims import RecordClaims, claims_report, record_claims
from quoting.services.endorsements import Endorse, endorse
from quoting.services.quotation import create_quote
from quoting.store.memory import InMemoryDatabase
from tests.golden.test_cancellation_golden import cancel
from tests.golden.test_endorsements_golden import (
    BROKER,
    TARIFF_DIR,
    UNDERWRITER,
    bound_policy,
    member,
)

APRIL = Context(FixedClock.on(dt.date(2027, 4, 15)), TARIFF_DIR, BROKER)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.accounts.add(UNDERWRITER)
        uow.commit()
    return database


def record(db: InMemoryDatabase, policy_id: str, *claims: dict[str, object]):
    body = json.dumps({"claims": list(claims)}).encode()
    return record_claims(db.unit_of_work, APRIL, RecordClaims(policy_id, body))


def test_earned_premium_and_loss_ratio_at_the_end_of_march(db):
    """To 31 March: 31 + 28 + 31 = 90 days of 365. Earned 40 × 105.32 × 90/365 =
    379,152/365 = 1,038.7726 → 1,038.77. Claims: 500.00 paid + 250.00 outstanding on E001,
    120.00 paid (closed) on E002 → incurred 870.00; loss ratio 870 / 1,038.77 = 0.837529
    → 0.8375.
    Member-years 40 × 90/365 = 9.86301 → 9.8630."""
    policy_id = bound_policy(db)
    made = record(
        db,
        policy_id,
        {"member_id": "E001", "cover": "sdeath", "loss_date": "2027-02-10", "paid": "500",
         "outstanding": "250.00"},
        {"member_id": "E002", "cover": "sdeath", "loss_date": "2027-03-05", "paid": "120.00",
         "status": "closed"},
    )  # fmt: skip
    assert [c.number[-5:] for c in made] == ["-C001", "-C002"]
    assert (made[0].incurred, made[0].paid) == ("750.00", "500.00")
    summary = claims_report(db.unit_of_work, APRIL, policy_id, dt.date(2027, 3, 31)).summary
    assert (summary.count, summary.paid, summary.outstanding, summary.incurred) == (
        2,
        "620.00",
        "250.00",
        "870.00",
    )
    assert summary.earned_premium == "1038.77"
    assert summary.loss_ratio == "0.8375" and summary.member_years == "9.8630"
    early = claims_report(db.unit_of_work, APRIL, policy_id, dt.date(2027, 2, 28)).summary
    assert (early.count, early.incurred) == (1, "750.00")  # E002's loss is later


def test_after_the_insurer_cancels_from_1_july_the_kept_premium_is_earned_by_30_june(db):
    """Each member keeps 111.64 − 56.28 = 55.36 with VAT 6.32 − 3.19 = 3.13, net 52.23,
    earned over 1 Jan–30 Jun (181 days): by 31 December 40 × 52.23 = 2,089.20; by 31
    March 2,089.20 × 90/181 = 188,028/181 = 1,038.8287 → 1,038.83 (the cancellation re-spreads the
    kept premium over the shorter cover)."""
    policy_id = bound_policy(db)
    cancel(db, policy_id, "2027-07-01", "insurer")
    end = claims_report(db.unit_of_work, APRIL, policy_id, dt.date(2027, 12, 31)).summary
    assert end.earned_premium == "2089.20" and end.loss_ratio == "0.0000"
    march = claims_report(db.unit_of_work, APRIL, policy_id, dt.date(2027, 3, 31)).summary
    assert march.earned_premium == "1038.83"


def test_every_bad_claim_is_named_and_nothing_is_recorded(db):
    policy_id = bound_policy(db)
    with pytest.raises(RequestError) as raised:
        record(
            db,
            policy_id,
            {"member_id": "E999", "cover": "sdeath", "loss_date": "2027-02-10"},
            {"member_id": "E001", "cover": "amed", "loss_date": "2027-02-10"},
            {"member_id": "E002", "cover": "sdeath", "loss_date": "2027-05-01"},
            {"member_id": "E003", "cover": "sdeath", "loss_date": "2027-02-10", "paid": "1.005"},
            {"member_id": "E004", "cover": "sdeath", "loss_date": "2027-02-10",
             "outstanding": "10", "status": "closed"},
        )  # fmt: skip
    assert [(p.path, p.message.split(" ")[0]) for p in raised.value.problems] == [
        (("claims", 0, "member_id"), "E999"),
        (("claims", 1, "cover"), "E001's"),
        (("claims", 2, "loss_date"), "2027-05-01"),
        (("claims", 3, "paid"), "at"),
        (("claims", 4, "outstanding"), "a"),
    ]
    assert claims_report(db.unit_of_work, APRIL, policy_id).summary.count == 0


def test_a_member_who_leaves_after_a_claim_is_refunded_nothing_when_the_tariff_says_so(
    db, tmp_path
):
    """A copy of 2026.2 with `[endorsements] no_refund_with_claim = true`. E007 had a claim
    in February; from 1 October E007 and E008 leave: E008 is refunded 111.64 × 92/365 =
    28.139 → −28.14, E007 nothing (the line says `withheld_for_claim`). E001, who also had
    a claim, changes class on the same day: a change is not a leaving, so E001's old
    segment is refunded as usual (−28.14) and the new one priced."""
    folder = tmp_path / "2026.2"
    shutil.copytree(TARIFF_DIR, folder)
    toml = folder / "tariff.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + "\n[endorsements]\nno_refund_with_claim = true\n",
        encoding="utf-8",
    )
    december = Context(FixedClock.on(dt.date(2026, 12, 1)), folder, BROKER)
    april = Context(FixedClock.on(dt.date(2027, 4, 15)), folder, BROKER)
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": [member(i) for i in range(1, 41)]},
    }
    stored = create_quote(db.unit_of_work, december, CreateQuote(json.dumps(body).encode()))
    assert stored.quote.total_premium == "4465.60"  # the same rates as 2026.2
    policy_id = bind_quote(db.unit_of_work, december, stored.quote.id).policy.id
    claims = [
        {"member_id": m, "cover": "sdeath", "loss_date": "2027-02-10", "outstanding": "100"}
        for m in ("E007", "E001")
    ]
    record_claims(
        db.unit_of_work, april, RecordClaims(policy_id, json.dumps({"claims": claims}).encode())
    )
    change = {
        "effective": "2027-10-01",
        "remove": [{"member_id": "E007"}, {"member_id": "E008"}],
        "change": [{"member_id": "E001", "occupation_class": 4}],
    }
    made = endorse(
        db.unit_of_work, april, Endorse(policy_id, json.dumps(change).encode())
    ).endorsement
    refunds = {(p.member_id, p.action): p for p in made.members if p.kind == "refund"}
    assert refunds[("E008", "remove")].premium == "-28.14"
    assert refunds[("E007", "remove")].premium == "0.00"
    assert refunds[("E007", "remove")].lines[0].factors["withheld_for_claim"] == "yes"
    assert refunds[("E001", "change")].premium == "-28.14"
