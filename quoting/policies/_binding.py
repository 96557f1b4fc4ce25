"""Binding a quote into a policy and approving a referred quote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from quoting.errors import (
    AlreadyBound,
    NotReferred,
    QuoteDeclined,
    QuoteExpired,
    QuotePeriodOver,
    QuoteReferred,
    SelfApproval,
)

__all__ = ["BindFacts", "check_approval", "check_bindable", "policy_number", "quote_number"]


@dataclass(frozen=True, slots=True)
class BindFacts:
    """What binding a quote depends on."""

    quote_id: str
    status: str
    approved: bool
    valid_until: dt.date
    period_end: dt.date
    #: The number of the policy the quote is bound as already, if it is.
    bound_as: str | None = None


def check_bindable(quote: BindFacts, today: dt.date) -> None:
    """Refuse to bind on the business date ``today`` a quote whose policy period is over,
    that is bound already, declined, referred without an underwriter's approval or past
    its validity (checked in that order); return when it may be bound."""
    qid = quote.quote_id
    if today > quote.period_end:
        raise QuotePeriodOver(
            f"the policy period of quote {qid} ended on {quote.period_end}; it cannot be bound"
        )
    if quote.bound_as is not None:
        raise AlreadyBound(
            f"quote {qid} is already bound as policy {quote.bound_as}", quote.bound_as
        )
    if quote.status == "declined":
        raise QuoteDeclined(f"quote {qid} was declined; it cannot be bound")
    if quote.status == "referred" and not quote.approved:
        raise QuoteReferred(f"quote {qid} is referred; an underwriter must approve it first")
    if today > quote.valid_until:
        raise QuoteExpired(f"quote {qid} was valid until {quote.valid_until}; ask for a new quote")


def policy_number(year: int, counter: int) -> str:
    """The policy number of the year's ``counter``-th policy: ``GA2027`` and seven digits."""
    return f"GA{year}{counter:07d}"


#: The letters in front of a quote number (the issuing branch, Beijing).
QUOTE_NUMBER_PREFIX = "BJ"


def quote_number(year: int, counter: int) -> str:
    """The number people quote for the year's ``counter``-th quote: ``BJ2026-000123``
    (six digits, more once a year has a million quotes)."""
    return f"{QUOTE_NUMBER_PREFIX}{year}-{counter:06d}"


def check_approval(quote_id: str, owner_id: str, status: str, underwriter_id: str) -> None:
    """Refuse an underwriter's approval of their own quote, or of a quote that is not
    referred."""
    if owner_id == underwriter_id:
        raise SelfApproval(
            "an underwriter cannot approve a quote they made; ask another underwriter"
        )
    if status != "referred":
        raise NotReferred(f"quote {quote_id} is {status}; only referred quotes need approval")
