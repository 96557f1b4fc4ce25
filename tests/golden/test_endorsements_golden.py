"""Golden endorsement cases computed by hand from tariff 2026.2, on the in-memory store.

The policy: calendar year 2027, one plan with sickness death 100,000 only (per mille, no
country factors, not the accumulation cover), 40 members in Serbia, class 2, age 40.
Figures (see tests/golden/test_golden.py): rate 0.60 ‰ for classes 1–3 and 0.65 ‰ for
class 4, age factor 1.00 (36–45), group-size band 30–99 → 1.00, expenses 0.12 + profit
0.05 + commission 0.15 → divisor 0.68, volatility α = 0.03, VAT 6 %.

Bound: P = 100000/1000 × 0.60 = 60.00; every claim pays the SI, so V = 40 · P · SI and the
loading per member is α·√(P·SI/40) = 0.03·√150000 = 11.618950; (60 + 11.618950)/0.68 × 1.06
= 111.641304 → 111.64 a member, 4,465.60 for 40.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest

from quoting.clock import FixedClock
from quoting.errors import EndorsementPending, RequestError, SelfApproval
from quoting.services import Context, CreateQuote
from quoting.services.binding import bind_quote
from quoting.services.endorsements import (
    Endorse,
    approve_endorsement,
    endorse,
    list_endorsements,
    members_on,
    policy_version,
)
from quoting.services.quotation import create_quote
from quoting.store import Account
from quoting.store.memory import InMemoryDatabase
from tests.support import TARIFF_DIR

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
BROKER = Account("acc_broker", "Broker", "broker", "0.15", NOW, False)
UNDERWRITER = Account("acc_uw", "Underwriter", "underwriter", None, NOW, False)
DIVISOR = 0.68
ALPHA = 0.03
SI = 100_000.0


def money(x: float) -> Decimal:
    """Half-up to the cent (of the value to 8 decimals, as the engine)."""
    return Decimal(repr(round(x, 8))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def vat_of(premium: Decimal) -> Decimal:
    return money(float(premium) * 0.06 / 1.06)


def member(i: int, **extra: object) -> dict[str, object]:
    return {
        "member_id": f"E{i:03d}",
        "name": f"Worker {i}",
        "age": 40,
        "occupation_class": 2,
        "country": "RS",
        **extra,
    }


def ctx(account: Account = BROKER) -> Context:
    return Context(FixedClock.on(TODAY), TARIFF_DIR, account)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.accounts.add(UNDERWRITER)
        uow.commit()
    return database


def bound_policy(db: InMemoryDatabase, members: int = 40) -> str:
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": [member(i) for i in range(1, members + 1)]},
    }
    stored = create_quote(db.unit_of_work, ctx(), CreateQuote(json.dumps(body).encode()))
    assert stored.quote.total_premium == "4465.60"  # 40 × 111.64, see the module docstring
    return bind_quote(db.unit_of_work, ctx(), stored.quote.id).policy.id


def post(db: InMemoryDatabase, policy_id: str, body: dict[str, object], **kw: object):
    command = Endorse(policy_id, json.dumps(body).encode(), **kw)  # type: ignore[arg-type]
    return endorse(db.unit_of_work, ctx(), command).endorsement


def test_a_member_added_on_1_july_pays_184_of_365_days_of_the_annual_premium(db):
    """E041 joins on 1 July 2027: days 1 Jul–31 Dec = 31+31+30+31+30+31 = 184.

    Priced in the new version's group: 39 stay (the bound 39 of E001–E040 minus E040, who
    leaves the same day) + E041 = 40 on the effective date, so the annual line is the
    bound one, 111.641304 (unrounded); × 184/365 = 56.278630 → 56.28, VAT 56.28·0.06/1.06
    = 3.19. E040's last covered day is 30 June: refund 111.64 × 184/365 = 56.27846 → 56.28.
    """
    policy_id = bound_policy(db)
    annual = (60.0 + ALPHA * math.sqrt(60.0 * SI / 40)) / DIVISOR * 1.06
    assert money(annual) == Decimal("111.64")
    result = post(
        db,
        policy_id,
        {
            "effective": "2027-07-01",
            "add": [member(41)],
            "remove": [{"member_id": "E040"}],
        },
    )
    assert result.status == "accepted" and result.number.endswith("-E01")
    refund, added = result.members
    assert (refund.kind, refund.member_id, refund.days) == ("refund", "E040", 184)
    assert refund.premium == str(-money(111.64 * 184 / 365)) == "-56.28"
    assert (added.kind, added.member_id, added.days, added.start) == (
        "addition",
        "E041",
        184,
        dt.date(2027, 7, 1),
    )
    assert added.premium == str(money(annual * 184 / 365)) == "56.28"
    assert added.vat == str(vat_of(Decimal("56.28"))) == "3.19"
    line = added.lines[0]
    assert line.factors["term_days"] == 184.0
    assert line.factors["pro_rata_factor"] == pytest.approx(184 / 365)
    assert line.factors["term_factor"] == 1.0
    assert result.premium == "0.00"  # 56.28 − 56.28
    assert result.totals.premium == "4465.60" and result.totals.headcount == 40


def test_a_member_whose_last_day_is_30_september_is_refunded_92_of_365(db):
    """Effective 1 October: unused days 1 Oct–31 Dec = 31+30+31 = 92 of 365 covered.
    Refund 111.64 × 92/365 = 28.13929 → 28.14, VAT 28.14·0.06/1.06 = 1.59283 → 1.59.
    New total 4,465.60 − 28.14 = 4,437.46."""
    policy_id = bound_policy(db)
    result = post(db, policy_id, {"effective": "2027-10-01", "remove": [{"member_id": "E007"}]})
    [gone] = result.members
    assert (gone.days, gone.start, gone.end) == (92, dt.date(2027, 10, 1), dt.date(2027, 12, 31))
    assert gone.premium == str(-money(111.64 * 92 / 365)) == "-28.14"
    assert gone.vat == "-1.59"
    assert (result.premium, result.vat) == ("-28.14", "-1.59")
    assert result.totals.premium == "4437.46"
    on = [
        m.member.member_id
        for m in members_on(db.unit_of_work, ctx(), policy_id, dt.date(2027, 9, 30))
    ]
    assert "E007" in on and len(on) == 40
    on = [
        m.member.member_id
        for m in members_on(db.unit_of_work, ctx(), policy_id, dt.date(2027, 10, 1))
    ]
    assert "E007" not in on and len(on) == 39


def test_a_class_change_mid_term_is_a_refund_and_an_addition_on_the_same_day(db):
    """E010 becomes class 4 from 1 July (184 days left).

    Refund of the class-2 segment: 111.64 × 184/365 = 56.27846 → −56.28 (VAT −3.19).
    Addition at class 4 in the group of 39 class-2 + 1 class-4 members:
      P4 = 100000/1000 × 0.65 = 65; V = (39·60 + 65)·SI = 240,500,000;
      loading = α·P4·SI/√V = 0.03·6,500,000/15,508.0624 = 12.574101;
      annual (65 + 12.574101)/0.68 × 1.06 = 120.924333; × 184/365 = 60.959176 → 60.96.
    Endorsement premium 60.96 − 56.28 = 4.68.
    """
    policy_id = bound_policy(db)
    result = post(
        db,
        policy_id,
        {"effective": "2027-07-01", "change": [{"member_id": "E010", "occupation_class": 4}]},
    )
    old, new = result.members
    assert (old.kind, old.action, old.premium) == ("refund", "change", "-56.28")
    p4 = 65.0
    loading = ALPHA * p4 * SI / math.sqrt((39 * 60.0 + p4) * SI)
    annual = (p4 + loading) / DIVISOR * 1.06
    assert (new.kind, new.action) == ("addition", "change")
    assert new.premium == str(money(annual * 184 / 365)) == "60.96"
    assert result.premium == "4.68"
    version = policy_version(db.unit_of_work, ctx(), policy_id)
    segments = [m for m in version.members if m.member.member_id == "E010"]
    assert [(s.start, s.end, s.member.occupation_class) for s in segments] == [
        (dt.date(2027, 1, 1), dt.date(2027, 6, 30), 2),
        (dt.date(2027, 7, 1), dt.date(2027, 12, 31), 4),
    ]


def test_versions_reconcile_to_the_cent_and_never_change(db):
    policy_id = bound_policy(db)
    bodies = [
        {"effective": "2027-03-15", "add": [member(41), member(42, site="Belgrade bypass")]},
        {"effective": "2027-06-01", "remove": [{"member_id": "E001"}, {"member_id": "E041"}]},
        {"effective": "2027-09-01", "change": [{"member_id": "E002", "site": "Novi Sad"}]},
        {"effective": "2027-11-20", "add": [member(43, occupation_class=4)]},
    ]
    seen = {1: policy_version(db.unit_of_work, ctx(), policy_id, 1).premium_cents}
    for n, body in enumerate(bodies, start=2):
        result = post(db, policy_id, body)
        assert result.policy_version == n
        seen[n] = policy_version(db.unit_of_work, ctx(), policy_id, n).premium_cents
        assert seen[n] == seen[n - 1] + int(Decimal(result.premium) * 100)
        assert Decimal(result.totals.premium) * 100 == seen[n]
    premiums = [Decimal(e.premium) for e in list_endorsements(db.unit_of_work, ctx(), policy_id)]
    assert Decimal(seen[5]) / 100 == Decimal("4465.60") + sum(premiums)
    for n, cents in seen.items():  # earlier versions are as they were made
        assert policy_version(db.unit_of_work, ctx(), policy_id, n).premium_cents == cents


def test_an_endorsement_adding_a_member_in_a_refer_country_waits_for_an_underwriter(db):
    """Belarus is a `refer` country in tariff 2026.2."""
    policy_id = bound_policy(db)
    result = post(db, policy_id, {"effective": "2027-07-01", "add": [member(41, country="BY")]})
    assert result.status == "referred" and result.policy_version is None
    assert [r.code for r in result.referrals] == ["country_refer"]
    assert result.referrals[0].member_ids == ["E041"]
    assert policy_version(db.unit_of_work, ctx(), policy_id).number == 1
    with pytest.raises(EndorsementPending):
        post(db, policy_id, {"effective": "2027-08-01", "remove": [{"member_id": "E001"}]})
    approved = approve_endorsement(db.unit_of_work, ctx(UNDERWRITER), policy_id, 1)
    assert approved.status == "approved" and approved.policy_version == 2
    version = policy_version(db.unit_of_work, ctx(), policy_id)
    assert version.number == 2 and Decimal(version.premium_cents) / 100 == Decimal(
        "4465.60"
    ) + Decimal(result.premium)


def test_an_underwriter_cannot_approve_their_own_endorsement(db):
    policy_id = bound_policy(db)
    command = Endorse(
        policy_id,
        json.dumps({"effective": "2027-07-01", "add": [member(41, country="BY")]}).encode(),
    )
    endorse(db.unit_of_work, ctx(UNDERWRITER), command)
    with pytest.raises(SelfApproval):
        approve_endorsement(db.unit_of_work, ctx(UNDERWRITER), policy_id, 1)


def test_bad_rows_are_refused_with_their_place_in_the_request(db):
    policy_id = bound_policy(db)
    with pytest.raises(RequestError) as caught:
        post(
            db,
            policy_id,
            {
                "effective": "2027-07-01",
                "add": [member(1)],
                "remove": [{"member_id": "E999"}, {"member_id": "E002"}],
                "change": [{"member_id": "E002", "site": "x"}],
            },
        )
    where = {p.path: p.message for p in caught.value.problems}
    assert where == {
        ("add", 0, "member_id"): "E001 is a member already (2027-01-01 to 2027-12-31)",
        ("remove", 0, "member_id"): "E999 is not covered on 2027-07-01",
        ("change", 0, "member_id"): "E002 is already named at remove.1",
    }
    with pytest.raises(RequestError) as caught:
        post(db, policy_id, {"effective": "2027-07-01", "change": [{"member_id": "E002"}]})
    assert [p.path for p in caught.value.problems] == [("change", 0)]
    with pytest.raises(RequestError) as caught:
        post(db, policy_id, {"effective": "2028-01-05", "remove": [{"member_id": "E002"}]})
    [problem] = caught.value.problems
    assert problem.path == ("effective",)
    assert problem.message == "2028-01-05 is outside the policy period 2027-01-01 to 2027-12-31"
    with pytest.raises(RequestError) as caught:
        post(db, policy_id, {"effective": "2027-07-01", "add": [member(50, country="Atlantis")]})
    assert [p.path for p in caught.value.problems] == [("add", 0, "country")]
    with pytest.raises(RequestError) as caught:  # Afghanistan: the tariff declines it
        post(
            db,
            policy_id,
            {"effective": "2027-07-01", "add": [member(52), member(51, country="AF")]},
        )
    [problem] = caught.value.problems
    assert problem.path == ("add", 1)
    assert problem.message.startswith("cannot be covered: ")


def test_an_idempotent_replay_returns_the_endorsement_and_stores_nothing_new(db):
    policy_id = bound_policy(db)
    body = {"effective": "2027-10-01", "remove": [{"member_id": "E007"}]}
    first = post(db, policy_id, body, idempotency_key="k1")
    again = post(db, policy_id, body, idempotency_key="k1")
    assert again == first
    assert len(list_endorsements(db.unit_of_work, ctx(), policy_id)) == 1
