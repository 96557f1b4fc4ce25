"""The underwriter pages' pure parts: the decision forms read into the service's
Decision (a loading or discount in percent), the service's problems put beside their
fields, the queue's status words, an audit event's before → after rows and the audit
filter's dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from quoting.errors import Problem
from quoting.services.referrals import Decision
from quoting.store import ReferralRow
from quoting.web.pages._uw_view import DecisionForm, audit_detail, day_bounds, queue_state

_AT = dt.datetime(2027, 1, 15, 2, 0, tzinfo=dt.UTC)


def test_a_loading_and_a_discount_in_percent_become_signed_fractions() -> None:
    loading = DecisionForm.parse(
        "approve",
        {"adjustment_kind": "loading", "adjustment_percent": "12.5%", "approve_reason": "r",
         "conditions_zh": "夜间禁止出行", "conditions_en": "No travel at night"},
    )  # fmt: skip
    assert loading.decision() == Decision(
        "approve", reason="r", adjustment=Decimal("0.125"),
        conditions_zh="夜间禁止出行", conditions_en="No travel at night",
    )  # fmt: skip
    discount = DecisionForm.parse(
        "approve", {"adjustment_kind": "discount", "adjustment_percent": "5"}
    )
    decision = discount.decision()
    assert decision is not None and decision.adjustment == Decimal("-0.05")
    plain = DecisionForm.parse("approve", {"adjustment_kind": "", "adjustment_percent": " "})
    assert plain.decision() == Decision("approve")


def test_a_percentage_the_form_cannot_read_stays_on_the_form() -> None:
    for fields, name in (
        ({"adjustment_kind": "loading", "adjustment_percent": "ten"}, "adjustment_percent"),
        ({"adjustment_kind": "loading", "adjustment_percent": "0"}, "adjustment_percent"),
        ({"adjustment_kind": "discount", "adjustment_percent": "101"}, "adjustment_percent"),
        ({"adjustment_kind": "", "adjustment_percent": "5"}, "adjustment_kind"),
    ):
        form = DecisionForm.parse("approve", fields)
        assert form.decision() is None and list(form.errors) == [name], fields


def test_the_services_problems_go_beside_their_fields() -> None:
    form = DecisionForm.parse("approve", {})
    form.refused(
        [Problem("must not be empty", path=("reason",)),
         Problem("special conditions need both languages", path=("conditions_en",)),
         Problem("something else")]
    )  # fmt: skip
    assert form.errors == {
        "approve_reason": "must not be empty",
        "conditions_en": "special conditions need both languages",
        "": "something else",
    }
    decline = DecisionForm.parse("decline", {"decline_reason": "  "})
    decline.refused([Problem("must not be empty", path=("reason",))])
    assert decline.errors == {"decline_reason": "must not be empty"}
    assert decline.value("decline_reason") == "  "  # kept as typed


def test_the_queue_says_waiting_asked_answered() -> None:
    waiting = ReferralRow("q_1", "waiting", (), (), _AT, _AT)
    assert queue_state(waiting) == "waiting"
    asked = ReferralRow("q_1", "information_requested", (), (), _AT, _AT, question="?")
    assert queue_state(asked) == "asked"
    answered = ReferralRow("q_1", "waiting", (), (), _AT, _AT, question="?", answer="yes")
    assert queue_state(answered) == "answered"
    assert queue_state(ReferralRow("q_1", "declined", (), (), _AT, _AT)) == "declined"


def test_an_audit_event_reads_as_before_and_after_rows() -> None:
    detail = audit_detail(
        {"reason": "ok",
         "before": {"state": "waiting", "adjustment": "0", "conditions": None},
         "after": {"state": "approved", "adjustment": "0.1",
                   "conditions": {"zh": "夜间禁止出行", "en": "No travel at night"}}}
    )  # fmt: skip
    rows = [(c.name, c.before, c.after, c.changed) for c in detail.changes]
    assert rows == [
        ("state", "waiting", "approved", True),
        ("adjustment", "0", "0.1", True),
        ("conditions", "—", "zh: 夜间禁止出行; en: No travel at night", True),
    ]
    assert detail.facts == [("reason", "ok")]
    assert audit_detail({"message": "hi"}).changes == []


def test_the_audit_dates_are_whole_days_in_the_insurers_time_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    since, until, errors = day_bounds("2027-01-15", "2027-01-15", zone)
    assert since == dt.datetime(2027, 1, 15, tzinfo=zone)
    assert until == dt.datetime(2027, 1, 16, tzinfo=zone)  # the day itself included
    assert errors == {}
    assert day_bounds("", "", zone) == (None, None, {})
    _since, _until, errors = day_bounds("15/01/2027", "", zone)
    assert list(errors) == ["since"]
