"""Wire schemas of the underwriting endpoints: the referral queue, decisions, the audit
trail and the book's exposure."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "AnswerBody",
    "ApproveBody",
    "AskBody",
    "AuditEntry",
    "AuditPage",
    "ConditionsBody",
    "CountryExposureItem",
    "DecisionBody",
    "DeclineBody",
    "ExposureReport",
    "ReferralEvent",
    "ReferralItem",
    "ReferralPage",
    "ReferralReason",
    "ReferralRecord",
    "SendBody",
    "SiteExposureItem",
]

#: A free text with at least one character that is not a space.
_Long = Annotated[str, Meta(min_length=1, max_length=4000, pattern=r"\S")]


class SendBody(msgspec.Struct):
    """Send a referred quote to underwriting."""

    message: Annotated[_Long, Meta(description="What the underwriter should know.")]


class AnswerBody(msgspec.Struct):
    """Answer the underwriter's open question."""

    answer: _Long


class ConditionsBody(msgspec.Struct):
    """Special conditions in both languages of the documents."""

    zh: Annotated[_Long, Meta(description="简体中文")]
    en: Annotated[_Long, Meta(description="English")]


class _Decision(msgspec.Struct, tag_field="decision"):
    reason: Annotated[_Long, Meta(description="Why you decide so; kept in the audit trail.")]


class ApproveBody(_Decision, tag="approve"):
    """Approve the quote: it can then be bound."""

    adjustment: (
        Annotated[
            float,
            Meta(
                ge=-0.3,
                le=0.3,
                description="Approve with this underwriter adjustment (loading +, discount −, "
                "a fraction such as 0.2) within your authority: the quote is re-priced with it "
                "(every line's `adjustment_factor`) and the decision's `adjustment_premium` "
                "shows what it added. Left out: the quote's own adjustment stays.",
            ),
        ]
        | None
    ) = None
    conditions: Annotated[
        ConditionsBody | None,
        Meta(description="Special conditions put on the quote (and its documents)."),
    ] = None


class DeclineBody(_Decision, tag="decline"):
    """Decline the quote: it cannot be bound."""


class AskBody(msgspec.Struct, tag_field="decision", tag="ask"):
    """Ask the quote's owner a question; the quote waits for the answer."""

    question: _Long


#: An underwriter's decision on a referred quote, told apart by ``decision``.
DecisionBody = ApproveBody | DeclineBody | AskBody


class ReferralReason(msgspec.Struct):
    code: str
    message: str


class ReferralEvent(msgspec.Struct):
    """One step of a referral: who did what when, with its facts (message, question,
    answer, reason, before and after)."""

    kind: str
    occurred_at: dt.datetime
    account_id: str | None
    data: dict[str, Any]


class ReferralRecord(msgspec.Struct):
    """A quote's referral: its state, reasons, the messages exchanged and the decision."""

    quote_id: str
    state: Annotated[
        Literal["none", "waiting", "information_requested", "approved", "declined"],
        Meta(
            description="`none` (never referred), `waiting` for an underwriter, "
            "`information_requested` (waiting for your answer), `approved` or `declined`."
        ),
    ]
    reasons: list[ReferralReason]
    countries: list[str]
    entered_at: dt.datetime | None
    sent_by: str | None
    sent_at: dt.datetime | None
    message: str | None
    question: Annotated[str | None, Meta(description="The underwriter's open question")] = None
    answer: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    escalation: Annotated[
        str | None,
        Meta(
            description="Set when a decision was beyond an underwriter's authority: what it needs"
        ),
    ] = None
    history: list[ReferralEvent] = []


class ReferralItem(msgspec.Struct):
    """A referred quote in the queue."""

    quote_id: str
    policyholder: str
    credit_code: str
    headcount: int
    currency: str
    total_premium: str
    state: str
    reasons: list[ReferralReason]
    countries: list[str]
    entered_at: dt.datetime
    age_hours: Annotated[float, Meta(description="Hours since the quote entered the queue")]
    asked_by: Annotated[str, Meta(description="Who sent it to underwriting, else its owner")]
    owner_id: str
    message: str | None
    question: str | None
    answer: str | None
    escalation: str | None
    quote: str
    referral: str


class ReferralPage(msgspec.Struct):
    items: list[ReferralItem]
    total: int
    limit: int
    offset: int
    next: str | None


class AuditEntry(msgspec.Struct):
    """One event of the trail: who (account, None for the insurer's tools), when, what
    (kind, subject) and its facts, with ``before`` and ``after`` for changes."""

    id: int
    occurred_at: dt.datetime
    kind: str
    subject_id: str
    account_id: str | None
    data: dict[str, Any]


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    total: int
    limit: int
    offset: int
    next: str | None


class SiteExposureItem(msgspec.Struct):
    """The book on one site (``site`` null: members in the country without a site)."""

    country: str
    site: str | None
    policyholders: list[str]
    policies: int
    headcount: int
    add_sum_insured: Annotated[str, Meta(description="AD&D sum insured, CNY")]
    evac_sum_insured: Annotated[str, Meta(description="Evacuation limits, CNY")]
    limit: str
    utilisation: Annotated[float, Meta(description="AD&D sum insured / limit")]
    over_limit: bool


class CountryExposureItem(msgspec.Struct):
    country: str
    policies: int
    headcount: int
    add_sum_insured: str
    evac_sum_insured: str
    limit: str
    utilisation: float
    over_limit: bool


class ExposureReport(msgspec.Struct):
    """The insurer's accumulation book on a date, largest AD&D sum insured first."""

    on: dt.date
    currency: str
    site_limit: str
    country_limit: str
    sites: list[SiteExposureItem]
    countries: list[CountryExposureItem]
