"""Golden renewal cases computed by hand, on the in-memory store.

The policy of tests/golden/test_endorsements_golden.py: calendar year 2027 under 2026.2,
one plan with sickness death 100,000 only, 40 members in Serbia, class 2, age 40, each
111.64 (pure premium P = 60.00, loading α·√(P·SI/n) with n members, divisor 0.68, VAT 6 %).
The renewal is quoted on 15 November 2027: 1 January to 15 November is 319 days.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import msgspec
import pytest

from quoting.clock import FixedClock
from quoting.errors import (
    EndorsementPending,
    NotFound,
    PolicyCancelled,
    PolicyRenewed,
    RenewalOutdated,
)
from quoting.schemas import QuoteRequest
from quoting.services import Context, CreateQuote
from quoting.services.binding import bind_quote, get_policy
from quoting.services.claims import RecordClaims, record_claims
from quoting.services.quotation import create_quote
from quoting.services.referrals import Decision, decide
from quoting.services.renewal import RenewPolicy, renewal_period, renewal_quote
from quoting.store import Account
from quoting.store.memory import InMemoryDatabase
from tests.golden.test_cancellation_golden import cancel
from tests.golden.test_endorsements_golden import (
    ALPHA,
    BROKER,
    DIVISOR,
    NOW,
    SI,
    TARIFF_DIR,
    UNDERWRITER,
    bound_policy,
    member,
    money,
    post,
)
from tests.support import ROOT

NOVEMBER = dt.date(2027, 11, 15)
#: z_{(1+p)/2} for p = 0.90 (scipy.stats.norm.ppf(0.95)), k = 0.05: n_full = (z/k)².
Z_95 = 1.6448536269514722
OTHER_BROKER = Account("acc_other", "Other broker", "broker", "0.15", NOW, False)


def on(day: dt.date, account: Account = BROKER, root=TARIFF_DIR) -> Context:
    return Context(FixedClock.on(day), root, account)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        for account in (BROKER, UNDERWRITER, OTHER_BROKER):
            uow.accounts.add(account)
        uow.commit()
    return database


def renew(db: InMemoryDatabase, policy_id: str, context: Context | None = None, key=None):
    command = RenewPolicy(policy_id, key)
    return renewal_quote(db.unit_of_work, context or on(NOVEMBER), command)


def test_the_next_period_is_as_long_as_the_expiring_one():
    year = renewal_period(dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert year == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))  # 366 days in 2028
    assert renewal_period(dt.date(2027, 3, 1), dt.date(2028, 2, 29)) == (
        dt.date(2028, 3, 1),
        dt.date(2029, 2, 28),
    )
    # From a day the shorter month lacks: still whole months, no drift.
    assert renewal_period(dt.date(2028, 2, 29), dt.date(2029, 2, 28)) == (
        dt.date(2029, 3, 1),
        dt.date(2030, 2, 28),
    )
    assert renewal_period(dt.date(2027, 1, 31), dt.date(2027, 2, 28)) == (
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 31),
    )
    assert renewal_period(dt.date(2027, 1, 10), dt.date(2027, 2, 19)) == (
        dt.date(2027, 2, 20),
        dt.date(2027, 4, 1),  # 41 days, not whole months
    )


def test_claims_experience_lowers_the_renewal_and_the_parts_add_up(db):
    """E001's claim (500 paid + 250 outstanding = 750 incurred) on 10 February.

    Member-years 40 × 319/365 = 34.958904; expected claims 34.958904 × P 60 = 2,097.5342;
    A/E = 750/2,097.5342 = 0.357563; n_full = (1.644854/0.05)² = 1,082.2174 (2026.2:
    classic standard); Z = √(1/1,082.2174) = 0.030398; f = Z·A/E + 1 − Z = 0.980471.
    A member: (60 × 0.980471 + 11.618950)/0.68 × 1.06 = 109.814797 → 109.81 (the loading is
    not experience-rated), 40 × 109.81 = 4,392.40. The census (the same 40, age 41, still
    in the 36–45 band) and the tariff (2026.2 again) change nothing: the experience is
    4,392.40 − 4,465.60 = −73.20.
    """
    policy_id = bound_policy(db)
    claim = {"member_id": "E001", "cover": "sdeath", "loss_date": "2027-02-10", "paid": "500",
             "outstanding": "250"}  # fmt: skip
    body = json.dumps({"claims": [claim]}).encode()
    record_claims(db.unit_of_work, on(dt.date(2027, 4, 15)), RecordClaims(policy_id, body))

    stored = renew(db, policy_id)
    quote = stored.columns.header
    member_years = 40 * 319 / 365
    ratio = 750 / (member_years * 60.0)
    z = math.sqrt(1 / (Z_95 / 0.05) ** 2)
    factor = z * ratio + 1 - z
    assert factor == pytest.approx(0.980471, abs=1e-6)
    annual = (60.0 * factor + ALPHA * math.sqrt(60.0 * SI / 40)) / DIVISOR * 1.06
    assert str(money(annual)) == "109.81"
    assert quote.total_premium == "4392.40" and quote.status == "accepted"
    assert (quote.period_start, quote.period_end) == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert quote.rating.experience is not None
    assert quote.rating.experience.factor == pytest.approx(factor, rel=1e-9)
    change = quote.renewal
    assert change is not None and change.renewal_of == policy_id
    assert (change.expiring_premium, change.census_change, change.tariff_change) == (
        "4465.60",
        "0.00",
        "0.00",
    )
    assert change.experience_change == "-73.20"
    assert change.experience is not None
    assert (change.experience.member_years, change.experience.claim_count) == ("34.9589", 1)
    assert change.experience.incurred_claims == "750.00"
    assert (change.experience.start, change.experience.end) == (dt.date(2027, 1, 1), NOVEMBER)
    request = msgspec.json.decode(stored.quote.request_json, type=QuoteRequest)
    assert request.experience is not None and request.experience.claim_count == 1
    rows = request.census.members or []
    assert {(r.age, r.start, r.end) for r in rows} == {(41, None, None)}


def test_members_who_joined_and_left_make_the_census_change(db):
    """From 1 July E040 leaves and E041, E042 join (184 days left, 41 members after).

    Each joiner: (60 + 0.03·√(6,000,000/41))/0.68 × 1.06 = 111.419063 a year, × 184/365 =
    56.166720 → 56.17; E040 is refunded 111.64 × 184/365 = 56.28. Expiring premium
    4,465.60 − 56.28 + 2 × 56.17 = 4,521.66.
    The renewal: E001–E039, E041, E042 (41, E040 left) at 111.419063 → 111.42, 41 × 111.42
    = 4,568.22; no claims (Z = 0, f = 1). Census change 4,568.22 − 4,521.66 = 46.56.
    Member-days to 15 November: 39 × 319 + E040's 181 (1 Jan–30 Jun) + 2 × 138 (1 Jul–15
    Nov) = 12,898 → 35.3370 member-years.
    """
    policy_id = bound_policy(db)
    joining = {"effective": "2027-07-01", "add": [member(41), member(42)],
               "remove": [{"member_id": "E040"}]}  # fmt: skip
    endorsed = post(db, policy_id, joining)
    annual = (60.0 + ALPHA * math.sqrt(60.0 * SI / 41)) / DIVISOR * 1.06
    assert str(money(annual * 184 / 365)) == "56.17"
    assert endorsed.premium == "56.06" and endorsed.totals.premium == "4521.66"

    stored = renew(db, policy_id)
    quote = stored.columns.header
    assert quote.headcount == 41
    request = msgspec.json.decode(stored.quote.request_json, type=QuoteRequest)
    ids = [m.member_id for m in request.census.members or []]
    assert len(ids) == 41 and "E040" not in ids and ids[-2:] == ["E041", "E042"]
    assert quote.total_premium == str(41 * money(annual)) == "4568.22"
    change = quote.renewal
    assert change is not None and change.expiring_premium == "4521.66"
    assert (change.census_change, change.tariff_change, change.experience_change) == (
        "46.56",
        "0.00",
        "0.00",
    )
    assert change.experience is not None and change.experience.member_years == "35.3370"
    assert change.experience.claim_count == 0 and change.experience_factor == 1.0


def test_the_tariff_in_force_on_the_renewal_date_prices_it(db):
    """Bound on 1 December 2026 under 2026.2 (the business date's tariff); the renewal from
    1 January 2028 is priced under 2027.1. The tariff's part is the renewal census under
    2027.1 less the same census under 2026.2 (no claims, so no experience effect): the
    renewal census quoted under 2027.1 on its own gives the same premium."""
    root = ROOT / "tariffs"
    policy_id = bound_policy(db)
    stored = renew(db, policy_id, on(NOVEMBER, root=root))
    quote = stored.columns.header
    change = quote.renewal
    assert change is not None
    assert (quote.tariff.version, change.expiring_tariff.version) == ("2027.1", "2026.2")
    assert change.census_change == "0.00" and change.experience_change == "0.00"
    assert change.terms_change == "0.00"  # the broker's commission is still 15 %
    parts = [change.expiring_premium, change.census_change, change.tariff_change]
    total = sum(money(float(p)) for p in [*parts, change.terms_change, change.experience_change])
    assert str(total) == quote.total_premium
    assert change.tariff_change != "0.00"
    assert quote.as_of == dt.date(2028, 1, 1)


def test_binding_the_renewal_links_the_policies_and_a_policy_renews_once(db):
    policy_id = bound_policy(db)
    first = renew(db, policy_id)
    second = renew(db, policy_id)  # an agent may quote the renewal twice
    renewal = bind_quote(db.unit_of_work, on(NOVEMBER), first.quote.id).policy
    assert renewal.renewal_of == policy_id
    assert get_policy(db.unit_of_work, on(NOVEMBER), policy_id).renewed_by == renewal
    with pytest.raises(PolicyRenewed):
        bind_quote(db.unit_of_work, on(NOVEMBER), second.quote.id)
    with pytest.raises(PolicyRenewed):
        renew(db, policy_id)


def test_the_renewal_of_a_renewal_counts_both_policies_experience(db):
    """The 2027 policy (40 × 365 days) and its renewal to 30 June 2028 (40 × 182 days:
    31+29+31+30+31+30): 21,880 member-days / 365 = 59.9452 member-years."""
    policy_id = bound_policy(db)
    renewal = bind_quote(db.unit_of_work, on(NOVEMBER), renew(db, policy_id).quote.id).policy
    june = on(dt.date(2028, 6, 30))
    quote = renewal_quote(db.unit_of_work, june, RenewPolicy(renewal.id)).columns.header
    assert quote.renewal is not None and quote.renewal.experience is not None
    experience = quote.renewal.experience
    assert len(experience.policies) == 2 and experience.member_years == "59.9452"
    assert experience.start == dt.date(2027, 1, 1) and experience.end == dt.date(2028, 6, 30)
    assert (quote.period_start, quote.period_end) == (dt.date(2029, 1, 1), dt.date(2029, 12, 31))


def test_idempotent_renewal_and_who_may_renew(db):
    policy_id = bound_policy(db)
    first = renew(db, policy_id, key="renew-1")
    again = renew(db, policy_id, key="renew-1")
    assert (again.created, again.quote.id) == (False, first.quote.id)
    with pytest.raises(NotFound):
        renew(db, policy_id, on(NOVEMBER, OTHER_BROKER))


def test_a_cancelled_policy_is_not_renewed(db):
    policy_id = bound_policy(db)
    cancel(db, policy_id, "2027-07-01", "insurer")
    with pytest.raises(PolicyCancelled):
        renew(db, policy_id)


def test_a_renewal_quote_of_a_policy_cancelled_meanwhile_does_not_bind(db):
    policy_id = bound_policy(db)
    stored = renew(db, policy_id, on(dt.date(2026, 12, 1)))
    cancel(db, policy_id, "2027-07-01", "insurer")
    with pytest.raises(PolicyCancelled):
        bind_quote(db.unit_of_work, on(dt.date(2026, 12, 1)), stored.quote.id)


def test_no_renewal_while_an_endorsement_awaits_an_underwriter(db):
    """Belarus is a `refer` country in 2026.2: the endorsement adding E041 there waits."""
    policy_id = bound_policy(db)
    waiting = post(db, policy_id, {"effective": "2027-07-01", "add": [member(41, country="BY")]})
    assert waiting.status == "referred"
    with pytest.raises(EndorsementPending):
        renew(db, policy_id)


def test_a_headcount_census_is_renewed_with_its_ages_grown(db):
    """A grid of 30 members aged 40 in Serbia: renewed as 30 aged 41 (no named members,
    so no member-days: no experience)."""
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"groups": [{"country": "RS", "occupation_class": 2, "headcount": 30,
                               "age": 40}]},
    }  # fmt: skip
    today = on(dt.date(2026, 12, 1))
    stored = create_quote(db.unit_of_work, today, CreateQuote(json.dumps(body).encode()))
    policy_id = bind_quote(db.unit_of_work, today, stored.quote.id).policy.id
    renewed = renew(db, policy_id)
    request = msgspec.json.decode(renewed.quote.request_json, type=QuoteRequest)
    assert [(g.headcount, g.age) for g in request.census.groups or []] == [(30, 41)]
    assert renewed.columns.header.renewal is not None
    assert renewed.columns.header.renewal.experience is None


def test_a_date_of_birth_gives_the_age_at_the_new_start(db):
    """Born 1987-06-30: 39 on 1 January 2027, 40 on 1 January 2028 — the row keeps its
    date of birth and no stated age."""
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": [
            {**member(1), "age": None, "date_of_birth": "1987-06-30"},
            *[member(i) for i in range(2, 31)],
        ]},
    }  # fmt: skip
    today = on(dt.date(2026, 12, 1))
    stored = create_quote(db.unit_of_work, today, CreateQuote(json.dumps(body).encode()))
    policy_id = bind_quote(db.unit_of_work, today, stored.quote.id).policy.id
    renewed = renew(db, policy_id)
    first = msgspec.json.decode(renewed.quote.request_json, type=QuoteRequest).census.members
    assert first is not None
    assert (first[0].date_of_birth, first[0].age) == (dt.date(1987, 6, 30), None)
    quoted = renewed.columns.quote().members[0]
    assert (quoted.member_id, quoted.age) == ("E001", 40)


def test_a_renewal_quote_of_a_policy_endorsed_since_does_not_bind(db):
    """Quoted on version 1 (40 members); E041 and E042 join after: binding would leave
    them without cover next year, so it is refused until the renewal is quoted again."""
    policy_id = bound_policy(db)
    stale = renew(db, policy_id, on(dt.date(2026, 12, 1)))
    post(db, policy_id, {"effective": "2027-07-01", "add": [member(41), member(42)]})
    with pytest.raises(RenewalOutdated):
        bind_quote(db.unit_of_work, on(dt.date(2026, 12, 1)), stale.quote.id)
    fresh = renew(db, policy_id, on(dt.date(2026, 12, 1)))
    assert fresh.columns.header.headcount == 42
    bound = bind_quote(db.unit_of_work, on(dt.date(2026, 12, 1)), fresh.quote.id).policy
    assert bound.renewal_of == policy_id


def test_an_underwriter_renews_a_brokers_policy_into_the_brokers_book_with_its_loading(db):
    """The broker's quote (E040 in Belarus, a refer country) is approved by an underwriter
    with a +15 % loading. The underwriter's renewal belongs to the broker and keeps the
    loading; the broker's own renewal keeps it too (the insurer's decision, not the
    broker's input) and is referred: +15 % is beyond the tariff's automatic 10 %."""
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": [*[member(i) for i in range(1, 40)], member(40, country="BY")]},
    }
    today = on(dt.date(2026, 12, 1))
    stored = create_quote(db.unit_of_work, today, CreateQuote(json.dumps(body).encode()))
    assert stored.quote.status == "referred"
    loading = Decision("approve", reason="Belarus site risk", adjustment=Decimal("0.15"))
    decide(db.unit_of_work, on(dt.date(2026, 12, 1), UNDERWRITER), stored.quote.id, loading)
    policy_id = bind_quote(db.unit_of_work, today, stored.quote.id).policy.id
    by_underwriter = renew(db, policy_id, on(NOVEMBER, UNDERWRITER))
    assert by_underwriter.quote.owner_id == BROKER.id
    request = msgspec.json.decode(by_underwriter.quote.request_json, type=QuoteRequest)
    assert request.underwriter_adjustment == Decimal("0.15")
    by_broker = renew(db, policy_id).columns.header
    assert by_broker.total_premium == by_underwriter.columns.header.total_premium
    assert {"adjustment_authority", "country_refer"} <= {r.code for r in by_broker.referrals}


def test_another_owners_policy_for_the_same_policyholder_is_not_read(db):
    """A policy of the same credit code in another broker's book, ended before 2027: not
    counted, not listed."""
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2026-10-01", "end": "2026-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": [member(i) for i in range(1, 41)]},
    }
    early = on(dt.date(2026, 10, 1), OTHER_BROKER)
    stored = create_quote(db.unit_of_work, early, CreateQuote(json.dumps(body).encode()))
    bind_quote(db.unit_of_work, early, stored.quote.id)
    policy_id = bound_policy(db)
    experience = renew(db, policy_id).columns.header.renewal.experience
    assert experience is not None and len(experience.policies) == 1
    assert experience.member_years == "34.9589"  # 40 × 319/365: this policy only
