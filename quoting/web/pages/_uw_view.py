"""What the underwriter pages show, as plain data (pure, unit tested): the decision forms
read into a :class:`quoting.services.referrals.Decision` and the service's problems put
beside their fields, the queue's states and reason codes in words, and an audit event's
before → after as rows people read.

``_`` only marks a text for the catalogues; the templates translate it (``say``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from quoting.errors import Problem
from quoting.services.referrals import Decision
from quoting.store import ReferralRow

__all__ = [
    "EVENT_WORDS",
    "QUEUE_STATES",
    "REASON_WORDS",
    "AuditDetail",
    "DecisionForm",
    "audit_detail",
    "day_bounds",
    "queue_state",
    "state_words",
]


def _(message: str) -> str:
    return message


#: The queue's status filter: its value → (the referral states, the words).
QUEUE_STATES: dict[str, tuple[tuple[str, ...], str]] = {
    "open": (("waiting", "information_requested"), _("Open (waiting or asked)")),
    "waiting": (("waiting",), _("Waiting for an underwriter")),
    "information_requested": (("information_requested",), _("Asked, waiting for the answer")),
    "approved": (("approved",), _("Approved")),
    "declined": (("declined",), _("Declined")),
    "all": (("waiting", "information_requested", "approved", "declined"), _("All")),
}

#: A referral line's status in words: waiting, asked, answered (waiting again), decided.
_STATE_WORDS = {
    "waiting": _("Waiting"),
    "asked": _("Asked"),
    "answered": _("Answered"),
    "approved": _("Approved"),
    "declined": _("Declined"),
}

#: The referral reason codes (quoting.underwriting, book accumulation at binding) in words.
REASON_WORDS = {
    "country_refer": _("Country needs an underwriter"),
    "occupation_class": _("Occupation class above the automatic limit"),
    "sum_insured_limit": _("Sum insured above the automatic limit"),
    "group_sum_insured": _("Group sum insured above the automatic limit"),
    "site_accumulation": _("Too many members on one site"),
    "experience_loss_ratio": _("Loss experience"),
    "experience_discount": _("Experience discount beyond the automatic limit"),
    "backdated_period": _("Backdated start"),
    "adjustment_authority": _("Adjustment beyond the automatic authority"),
    "book_accumulation": _("Book accumulation limit"),
}

#: The audit trail's actions in words (others show as their code).
EVENT_WORDS = {
    "quote.created": _("Quote created"),
    "quote.approved": _("Quote approved"),
    "quote.bound": _("Quote bound"),
    "referral.sent": _("Sent to underwriting"),
    "referral.information_requested": _("Question asked"),
    "referral.answered": _("Question answered"),
    "referral.approved": _("Referral approved"),
    "referral.declined": _("Referral declined"),
    "referral.escalated": _("Referred upward (beyond authority)"),
    "referral.opened": _("Referred at binding (book accumulation)"),
    "tariff.published": _("Tariff published"),
    "account.created": _("Account created"),
    "account.authority_set": _("Authority set"),
    "account.password_set": _("Password set"),
    "account.disabled": _("Account disabled"),
    "account.enabled": _("Account enabled"),
    "key.issued": _("API key issued"),
    "key.revoked": _("API key revoked"),
    "session.started": _("Signed in"),
    "session.ended": _("Signed out"),
    "policy.endorsed": _("Policy endorsed"),
}

#: The service's problems with a decision (quoting.services.referrals), translated.
_PROBLEMS = (
    _("must not be empty"),
    _("at most 4000 characters"),
    _("special conditions need both languages"),
    _("must be a fraction from -1 to 1, e.g. 0.2"),
    _("an underwriter cannot approve a quote they made; ask another underwriter"),
)
_PERCENT_TEXT = _("type the percentage, e.g. 10 for 10%")
_PERCENT_RANGE = _("a percentage above 0 and at most 100")
_KIND_MISSING = _("choose a loading or a discount for this percentage")

#: Where the service's problem paths go on the forms (else: at the top).
_FIELDS = {
    "approve": {
        "reason": "approve_reason",
        "adjustment": "adjustment_percent",
        "conditions_zh": "conditions_zh",
        "conditions_en": "conditions_en",
    },
    "decline": {"reason": "decline_reason"},
    "ask": {"question": "question"},
}


def queue_state(referral: ReferralRow) -> str:
    """``waiting``, ``asked``, ``answered`` (waiting again), ``approved`` or ``declined``."""
    if referral.state == "information_requested":
        return "asked"
    if referral.state == "waiting" and referral.answer:
        return "answered"
    return referral.state


def state_words(state: str) -> str:
    """The words of a :func:`queue_state`."""
    return _STATE_WORDS.get(state, state)


@dataclass
class DecisionForm:
    """The three decision forms of the review page as typed, and their problems (field →
    message; ``""`` for a problem of no field)."""

    action: str = "approve"
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, action: str, submitted: Mapping[str, Any]) -> DecisionForm:
        """The form of ``action`` (approve, decline, ask) from the posted fields."""
        names = (
            "approve_reason",
            "adjustment_kind",
            "adjustment_percent",
            "conditions_zh",
            "conditions_en",
            "decline_reason",
            "question",
        )
        values = {n: str(submitted.get(n) or "") for n in names}
        return cls(action, values)

    def value(self, name: str) -> str:
        """What was typed in the field (empty when nothing)."""
        return self.values.get(name, "")

    def _adjustment(self) -> Decimal | None:
        kind = self.value("adjustment_kind")
        text = self.value("adjustment_percent").strip().replace("%", "").replace(",", "")
        if not text:
            return None
        try:
            percent = Decimal(text)
        except InvalidOperation:
            self.errors["adjustment_percent"] = _PERCENT_TEXT
            return None
        if not percent.is_finite() or not 0 < percent <= 100:
            self.errors["adjustment_percent"] = _PERCENT_RANGE
            return None
        if kind not in ("loading", "discount"):
            self.errors["adjustment_kind"] = _KIND_MISSING
            return None
        fraction = (percent / 100).normalize()
        return fraction if kind == "loading" else -fraction

    def decision(self) -> Decision | None:
        """The decision to give the service, or None when the form has problems of its own
        (then in :attr:`errors`)."""
        if self.action == "decline":
            return Decision("decline", reason=self.value("decline_reason"))
        if self.action == "ask":
            return Decision("ask", question=self.value("question"))
        adjustment = self._adjustment()
        if self.errors:
            return None
        return Decision(
            "approve",
            reason=self.value("approve_reason") or None,
            adjustment=adjustment,
            conditions_zh=self.value("conditions_zh") or None,
            conditions_en=self.value("conditions_en") or None,
        )

    def refused(self, problems: list[Problem]) -> None:
        """Put the service's problems beside the fields they name."""
        fields = _FIELDS.get(self.action, {})
        for problem in problems:
            name = fields.get(str(problem.path[0]) if problem.path else "", "")
            self.errors.setdefault(name, problem.message)


@dataclass(frozen=True, slots=True)
class Change:
    """One value an event changed (or recorded): its name, before and after."""

    name: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        """Before and after differ."""
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class AuditDetail:
    """An event's data for people: the before → after rows, and the other facts."""

    changes: list[Change]
    facts: list[tuple[str, str]]


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def audit_detail(data: Mapping[str, Any]) -> AuditDetail:
    """The rows of an event's ``before`` and ``after`` (every name of either, in their
    order) and its other facts, as text (``—`` for nothing)."""
    before = data.get("before") if isinstance(data.get("before"), dict) else {}
    after = data.get("after") if isinstance(data.get("after"), dict) else {}
    assert isinstance(before, dict) and isinstance(after, dict)
    names = list(dict.fromkeys([*before, *after]))
    changes = [Change(n, _text(before.get(n)), _text(after.get(n))) for n in names]
    facts = [(k, _text(v)) for k, v in data.items() if k not in ("before", "after")]
    return AuditDetail(changes, facts)


def day_bounds(
    since: str, until: str, zone: ZoneInfo
) -> tuple[dt.datetime | None, dt.datetime | None, dict[str, str]]:
    """The audit filter's dates (``YYYY-MM-DD``, in the insurer's time zone, ``until``
    included) as the instants the trail is filtered by, and the problems of each field."""
    errors: dict[str, str] = {}
    bounds: list[dt.datetime | None] = []
    for name, text, days in (("since", since, 0), ("until", until, 1)):
        if not text:
            bounds.append(None)
            continue
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            errors[name] = _("a date like 2027-01-31")
            bounds.append(None)
            continue
        start = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=zone)
        bounds.append(start)
    return bounds[0], bounds[1], errors
