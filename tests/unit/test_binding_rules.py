"""Binding and approval on the in-memory unit of work and a fixed clock: each refusal,
success, policy numbers, one policy per quote, the events written (milliseconds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from quoting.clock import FixedClock
from quoting.errors import (
    AlreadyBound,
    BindRefused,
    NotFound,
    NotReferred,
    QuoteDeclined,
    QuoteExpired,
    QuotePeriodOver,
    QuoteReferred,
    SelfApproval,
)
from quoting.policies import BindFacts, check_bindable, policy_number
from quoting.services import Context
from quoting.services.binding import approve_quote, bind_quote, get_policy, list_policies
from quoting.store import Account, Conflict, PolicyRow, QuoteRow
from quoting.store.memory import InMemoryDatabase, InMemoryUnitOfWork
from tests.support import TARIFF_DIR

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
BROKER = Account("acc_broker", "Broker", "broker", "0.15", NOW, False)
OTHER = Account("acc_other", "Other broker", "broker", "0.15", NOW, False)
UNDERWRITER = Account("acc_uw", "Underwriter", "underwriter", None, NOW, False)


def ctx(account: Account, day: dt.date = TODAY) -> Context:
    return Context(FixedClock.on(day), TARIFF_DIR, account)


def quote(quote_id: str = "q_one", status: str = "accepted", **changes: object) -> QuoteRow:
    row = QuoteRow(
        id=quote_id,
        owner_id=BROKER.id,
        created_at=NOW,
        valid_until=TODAY + dt.timedelta(days=30),
        status=status,
        currency="CNY",
        total_premium="1000.00",
        total_vat="60.00",
        policyholder="测试公司",
        credit_code="91110000MA01ABCD52",
        headcount=2,
        tariff_version="2026.2",
        tariff_hash="sha256:x",
        input_hash="sha256:y",
        idempotency_key=None,
        request_json=b"{}",
        result_json=b'{"period_start": "2027-01-01", "period_end": "2027-12-31"}',
    )
    return replace(row, **changes)  # type: ignore[arg-type]


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with InMemoryUnitOfWork(database) as uow:
        for account in (BROKER, OTHER, UNDERWRITER):
            uow.accounts.add(account)
        uow.quotes.add(quote())
        uow.quotes.add(quote("q_declined", "declined"))
        uow.quotes.add(quote("q_referred", "referred"))
        uow.quotes.add(quote("q_mine", "referred", owner_id=UNDERWRITER.id))
        uow.commit()
    return database


def test_an_accepted_quote_binds_with_the_years_next_number_and_an_event(
    db: InMemoryDatabase,
) -> None:
    bound = bind_quote(db.unit_of_work, ctx(BROKER), "q_one")
    assert bound.policy.policy_number == "GA20260000001"
    assert bound.period == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert get_policy(db.unit_of_work, ctx(BROKER), bound.policy.id).policy == bound.policy
    with db.unit_of_work() as uow:
        [event] = uow.events.all("q_one")
    assert (event.kind, event.account_id) == ("quote.bound", BROKER.id)
    assert event.data["policy_number"] == "GA20260000001"


@pytest.mark.parametrize(
    ("quote_id", "refusal", "wording"),
    [
        ("q_declined", QuoteDeclined, "was declined"),
        ("q_referred", QuoteReferred, "an underwriter must approve it first"),
    ],
)
def test_declined_and_unapproved_referred_quotes_are_refused(
    db: InMemoryDatabase, quote_id: str, refusal: type[BindRefused], wording: str
) -> None:
    with pytest.raises(refusal, match=wording) as refused:
        bind_quote(db.unit_of_work, ctx(BROKER), quote_id)
    assert refused.value.status == 409
    with db.unit_of_work() as uow:
        assert uow.policies.for_quote(quote_id) is None
        assert uow.events.all(quote_id) == []


def test_a_quote_binds_on_its_last_valid_day_and_not_the_day_after(db: InMemoryDatabase) -> None:
    last = TODAY + dt.timedelta(days=30)
    with pytest.raises(QuoteExpired, match=f"valid until {last}"):
        bind_quote(db.unit_of_work, ctx(BROKER, last + dt.timedelta(days=1)), "q_one")
    assert bind_quote(db.unit_of_work, ctx(BROKER, last), "q_one").policy.quote_id == "q_one"


def test_a_quote_whose_period_is_over_is_refused_first() -> None:
    facts = BindFacts("q_x", "declined", False, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    with pytest.raises(QuotePeriodOver, match="ended on 2027-12-31"):
        check_bindable(facts, dt.date(2028, 1, 1))
    check_bindable(replace(facts, status="accepted"), dt.date(2027, 1, 1))


def test_a_quote_is_bound_once(db: InMemoryDatabase) -> None:
    first = bind_quote(db.unit_of_work, ctx(BROKER), "q_one")
    with pytest.raises(AlreadyBound) as again:
        bind_quote(db.unit_of_work, ctx(BROKER), "q_one")
    assert again.value.policy_number == first.policy.policy_number
    assert again.value.problem_type == "already-bound"
    assert list_policies(db.unit_of_work, ctx(BROKER), 50, 0)[1] == 1


def test_a_policy_written_meanwhile_by_another_unit_is_a_conflict(db: InMemoryDatabase) -> None:
    mine, theirs = db.unit_of_work(), db.unit_of_work()
    with mine, theirs:
        for uow, policy_id in ((mine, "pol_a"), (theirs, "pol_b")):
            uow.policies.add(PolicyRow(policy_id, "q_one", BROKER.id, policy_id, NOW))
        theirs.commit()
        with pytest.raises(Conflict):
            mine.commit()


def test_policy_numbers_count_per_year_from_the_counter(db: InMemoryDatabase) -> None:
    assert policy_number(2027, 42) == "GA20270000042"
    with db.unit_of_work() as uow:
        uow.quotes.add(quote("q_two"))
        uow.commit()
    numbers = [
        bind_quote(db.unit_of_work, ctx(BROKER), q).policy.policy_number for q in ("q_one", "q_two")
    ]
    assert numbers == ["GA20260000001", "GA20260000002"]


def test_another_brokers_quote_is_not_found(db: InMemoryDatabase) -> None:
    with pytest.raises(NotFound, match="No quote q_one among yours"):
        bind_quote(db.unit_of_work, ctx(OTHER), "q_one")


def test_an_approved_referred_quote_binds(db: InMemoryDatabase) -> None:
    approved = approve_quote(db.unit_of_work, ctx(UNDERWRITER), "q_referred")
    assert (approved.approved_by, approved.approved_at) == (UNDERWRITER.id, NOW.replace(hour=4))
    assert bind_quote(db.unit_of_work, ctx(BROKER), "q_referred").quote.id == "q_referred"
    with db.unit_of_work() as uow:
        kinds = [e.kind for e in uow.events.all("q_referred")]
    assert kinds == ["quote.approved", "quote.bound"]


def test_an_underwriter_cannot_approve_their_own_quote(db: InMemoryDatabase) -> None:
    with pytest.raises(SelfApproval) as refused:
        approve_quote(db.unit_of_work, ctx(UNDERWRITER), "q_mine")
    assert (refused.value.status, refused.value.problem_type) == (403, "forbidden")


def test_only_referred_quotes_are_approved(db: InMemoryDatabase) -> None:
    with pytest.raises(NotReferred, match="q_one is accepted"):
        approve_quote(db.unit_of_work, ctx(UNDERWRITER), "q_one")
    with pytest.raises(NotFound):
        approve_quote(db.unit_of_work, ctx(UNDERWRITER), "q_nope")


def test_nothing_is_kept_without_a_commit(db: InMemoryDatabase) -> None:
    with db.unit_of_work() as uow:
        uow.quotes.add(quote("q_dropped"))
    with db.unit_of_work() as uow:
        assert uow.quotes.get("q_dropped") is None
