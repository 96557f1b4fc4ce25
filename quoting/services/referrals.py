"""The referral queue and underwriters' decisions (SPEC §3 referrals, §6 underwriter).

A referred quote enters the queue when it is stored (or when its binding is referred for
book accumulation). Its owner may send it to underwriting with a message; an underwriter
(never the quote's own maker) approves it — optionally with an adjustment within their
authority, which re-prices the quote through the engine, and special conditions in
Chinese and English — declines it, or asks a question that the owner answers. Every step
writes an event with what changed, before and after, in the step's own transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

import msgspec

from quoting.errors import (
    AuthorityExceeded,
    NotFound,
    Problem,
    ReferralClosed,
    RequestError,
)
from quoting.policies import check_approval
from quoting.schemas import Quote, QuoteRequest, SpecialConditions, UnderwriterDecision
from quoting.services._context import Context, visible_owner
from quoting.services.authority import authority_of
from quoting.services.exposure import quote_amounts, require_underwriter
from quoting.services.quotation import price_under
from quoting.services.repricing import request_as_priced, with_records
from quoting.store import (
    Event,
    QuoteRow,
    ReferralFilter,
    ReferralRow,
    UnitOfWork,
    UnitOfWorkFactory,
)
from quoting.tariff.registry import registry_for
from quoting.underwriting import authority_shortfalls

__all__ = [
    "MAX_TEXT",
    "Decision",
    "QueueItem",
    "ReferralView",
    "answer_question",
    "decide",
    "get_referral",
    "list_referrals",
    "send_to_underwriter",
]

#: The longest message, question, answer, reason or condition text (characters).
MAX_TEXT = 4000
_OPEN = ("waiting", "information_requested")


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    """A free text of a referral step: stripped, at most :data:`MAX_TEXT` characters."""
    text = (value or "").strip()
    if not text:
        if required:
            raise RequestError(Problem.of("text.empty", path=(field,)))
        return None
    if len(text) > MAX_TEXT:
        raise RequestError(Problem.of("text.at_most", path=(field,), max=MAX_TEXT))
    return text


def _referral(work: UnitOfWork, ctx: Context, quote_id: str) -> tuple[QuoteRow, ReferralRow]:
    """A quote the acting account may see (in full) and its referral."""
    row = work.quotes.get(quote_id, owner_id=visible_owner(ctx.acting()))
    if row is None:
        raise NotFound(f"No quote {quote_id} among yours.")
    referral = work.referrals.get(quote_id)
    if referral is None:
        raise ReferralClosed(f"quote {quote_id} is {row.status}; it is not referred")
    return row, referral


def send_to_underwriter(
    uow: UnitOfWorkFactory, ctx: Context, quote_id: str, message: str
) -> ReferralRow:
    """The quote's owner (or an underwriter) sends a referred quote to underwriting with
    a message; sending again replaces the message. A ``referral.sent`` event records it."""
    text = _text(message, "message", required=True)
    with uow() as work:
        _, referral = _referral(work, ctx, quote_id)
        if referral.state not in _OPEN:
            raise ReferralClosed(f"quote {quote_id} was {referral.state} already")
        now = ctx.now()
        sent = replace(referral, sent_by=ctx.acting().id, sent_at=now, message=text, updated_at=now)
        work.referrals.save(sent)
        work.events.add(ctx.event("referral.sent", quote_id, message=text))
        work.commit()
    return sent


def answer_question(
    uow: UnitOfWorkFactory, ctx: Context, quote_id: str, answer: str
) -> ReferralRow:
    """The quote's owner answers the underwriter's open question; the quote waits for an
    underwriter again (``referral.answered`` with the question and answer)."""
    text = _text(answer, "answer", required=True)
    with uow() as work:
        _, referral = _referral(work, ctx, quote_id)
        if referral.state != "information_requested":
            raise ReferralClosed(f"quote {quote_id} has no open question to answer")
        now = ctx.now()
        answered = replace(referral, state="waiting", answer=text, updated_at=now)
        work.referrals.save(answered)
        work.events.add(
            ctx.event(
                "referral.answered",
                quote_id,
                question=referral.question,
                answer=text,
                before={"state": referral.state},
                after={"state": "waiting"},
            )
        )
        work.commit()
    return answered


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One referred quote in the queue, with its quote's summary and age."""

    referral: ReferralRow
    quote: QuoteRow
    age: dt.timedelta


def list_referrals(
    uow: UnitOfWorkFactory, ctx: Context, where: ReferralFilter
) -> tuple[list[QueueItem], int]:
    """A page of the queue, oldest first, and how many match (underwriters and admins)."""
    require_underwriter(ctx, "The referral queue")
    now = ctx.now()
    with uow() as work:
        rows, total = work.referrals.find(where)
    return [QueueItem(r, q, now - r.entered_at) for r, q in rows], total


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A quote's referral (None: the quote was never referred) and its history (every
    referral event, oldest first)."""

    quote_id: str
    referral: ReferralRow | None
    history: list[Event]


def get_referral(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> ReferralView:
    """The referral of a quote the acting account may see, with its history."""
    with uow() as work:
        row = work.quotes.get(quote_id, owner_id=visible_owner(ctx.acting()))
        if row is None:
            raise NotFound(f"No quote {quote_id} among yours.")
        referral = work.referrals.get(quote_id)
        history = [e for e in work.events.all(quote_id) if e.kind.startswith("referral.")]
    return ReferralView(quote_id, referral, history)


@dataclass(frozen=True, slots=True)
class Decision:
    """An underwriter's decision: ``approve`` (with an optional ``adjustment``, which then
    needs a ``reason``, and optional ``conditions_zh`` and ``conditions_en``, both or
    neither), ``decline`` (with a ``reason``) or ``ask`` (a ``question``)."""

    action: Literal["approve", "decline", "ask"]
    reason: str | None = None
    adjustment: Decimal | None = None
    conditions_zh: str | None = None
    conditions_en: str | None = None
    question: str | None = None


def _checked(decision: Decision) -> Decision:
    """The decision with its texts stripped; :class:`RequestError` naming each field."""
    reason = _text(
        decision.reason,
        "reason",
        required=decision.action == "decline" or decision.adjustment is not None,
    )
    question = _text(decision.question, "question", required=decision.action == "ask")
    zh = _text(decision.conditions_zh, "conditions_zh", required=False)
    en = _text(decision.conditions_en, "conditions_en", required=False)
    problems = []
    adjustment = decision.adjustment
    if adjustment is not None and not (adjustment.is_finite() and abs(adjustment) <= 1):
        problems.append(Problem("must be a fraction from -1 to 1, e.g. 0.2", path=("adjustment",)))
    if (zh is None) != (en is None):
        missing = "conditions_en" if en is None else "conditions_zh"
        problems.append(Problem("special conditions need both languages", path=(missing,)))
    if decision.action != "approve":
        for name, value in (("adjustment", decision.adjustment), ("conditions_zh", zh)):
            if value is not None:
                problems.append(Problem("only an approval carries this", path=(name,)))
    if problems:
        raise RequestError(problems)
    return replace(decision, reason=reason, question=question, conditions_zh=zh, conditions_en=en)


def _state(
    referral: ReferralRow,
    row: QuoteRow,
    adjustment: Decimal | None = None,
    conditions: SpecialConditions | None = None,
) -> dict[str, Any]:
    """What the audit trail records before and after a decision."""
    return {
        "state": referral.state,
        "status": row.status,
        "total_premium": row.total_premium,
        "adjustment": None if adjustment is None else f"{adjustment:f}",
        "conditions": {"zh": conditions.zh, "en": conditions.en} if conditions else None,
    }


def decide(uow: UnitOfWorkFactory, ctx: Context, quote_id: str, decision: Decision) -> QuoteRow:
    """The acting underwriter decides a referred quote (see :class:`Decision`), in one
    transaction with a ``referral.approved`` / ``referral.declined`` /
    ``referral.information_requested`` event holding the before and after.

    Refused: :class:`Forbidden` for other roles, :class:`SelfApproval` for one's own
    quote, :class:`ReferralClosed` once decided, :class:`AuthorityExceeded` for an
    adjustment or sums insured beyond the underwriter's authority (the referral then
    records what it needs, with a ``referral.escalated`` event, for a senior)."""
    require_underwriter(ctx, "Deciding a referral")
    account = ctx.acting()
    decision = _checked(decision)
    with uow() as work:
        row, referral = _referral(work, ctx, quote_id)
        check_approval(quote_id, row.owner_id, "referred", account.id)
        if referral.state not in _OPEN:
            raise ReferralClosed(f"quote {quote_id} was {referral.state} already")
        if decision.action == "approve":
            row = _approve(work, ctx, row, referral, decision)
        else:
            _decline_or_ask(work, ctx, row, referral, decision)
        work.commit()
    return row


def _decline_or_ask(
    work: UnitOfWork, ctx: Context, row: QuoteRow, referral: ReferralRow, decision: Decision
) -> None:
    now = ctx.now()
    if decision.action == "decline":
        after = replace(
            referral,
            state="declined",
            escalation=None,
            decided_by=ctx.acting().id,
            decided_at=now,
            decision_reason=decision.reason,
            updated_at=now,
        )
        kind, facts = "referral.declined", {"reason": decision.reason}
    else:
        after = replace(
            referral,
            state="information_requested",
            question=decision.question,
            answer=None,
            updated_at=now,
        )
        kind, facts = "referral.information_requested", {"question": decision.question}
    work.referrals.save(after)
    work.events.add(
        ctx.event(
            kind,
            row.id,
            **facts,
            before=_state(referral, row),
            after=_state(after, row),
        )
    )


def _escalate(
    work: UnitOfWork, ctx: Context, referral: ReferralRow, shortfalls: list[str]
) -> AuthorityExceeded:
    """Record that the referral needs more authority than the acting underwriter's, and
    the refusal to raise once that record is committed."""
    needs = "; ".join(shortfalls)
    work.referrals.save(replace(referral, escalation=needs, updated_at=ctx.now()))
    work.events.add(ctx.event("referral.escalated", referral.quote_id, needs=needs))
    work.commit()
    return AuthorityExceeded(
        f"{needs}; refer quote {referral.quote_id} to an underwriter with enough authority"
    )


def _approve(
    work: UnitOfWork, ctx: Context, row: QuoteRow, referral: ReferralRow, decision: Decision
) -> QuoteRow:
    """Check the authority, re-price with the adjustment if it changes, put the decision
    on the quote and record the approval."""
    assert row.request_json is not None and row.result_json is not None
    stored = msgspec.json.decode(row.result_json, type=Quote)
    received = msgspec.json.decode(row.request_json, type=QuoteRequest)
    current = received.underwriter_adjustment or Decimal(0)
    adjustment = current if decision.adjustment is None else decision.adjustment
    amounts = quote_amounts(row)
    shortfalls = authority_shortfalls(
        authority_of(ctx.acting()),
        adjustment=float(adjustment),
        member_sum_insured=amounts.member_max_cents / 100,
        group_sum_insured=amounts.group_cents / 100,
    )
    if shortfalls:
        raise _escalate(work, ctx, referral, shortfalls)
    quote, request_json = stored, row.request_json
    if adjustment != current:
        received = msgspec.structs.replace(received, underwriter_adjustment=adjustment)
        request_json = msgspec.json.encode(received)
        quote = _repriced(replace(row, request_json=request_json), stored, ctx)
    now = ctx.now()
    conditions = (
        SpecialConditions(zh=decision.conditions_zh, en=decision.conditions_en)
        if decision.conditions_zh and decision.conditions_en
        else None
    )
    quote = msgspec.structs.replace(
        quote,
        underwriting=UnderwriterDecision(
            decided_by=ctx.acting().id,
            decided_at=now,
            reason=decision.reason,
            adjustment=float(adjustment),
            premium_before=stored.total_premium,
            adjustment_premium=f"{Decimal(quote.total_premium) - Decimal(stored.total_premium):.2f}",
            conditions=conditions,
        ),
    )
    approved = replace(
        row,
        status=quote.status,
        total_premium=quote.total_premium,
        total_vat=quote.total_vat,
        request_json=request_json,
        result_json=msgspec.json.encode(quote),
    )
    work.quotes.reprice(approved)
    work.quotes.approve(row.id, ctx.acting().id, now)
    after = replace(
        referral, state="approved", decided_by=ctx.acting().id, decided_at=now, updated_at=now
    )
    after = replace(after, decision_reason=decision.reason, escalation=None)
    work.referrals.save(after)
    work.events.add(
        ctx.event(
            "referral.approved",
            row.id,
            reason=decision.reason,
            before=_state(referral, row, current),
            after=_state(after, approved, adjustment, conditions),
        )
    )
    found = work.quotes.get(row.id)
    assert found is not None
    return found


def _repriced(row: QuoteRow, stored: Quote, ctx: Context) -> Quote:
    """The quote's request (with its new adjustment) priced again as it was priced —
    same tariff version by content hash, same as-of and business dates, same commission."""
    request, today = request_as_priced(row, stored)
    tariff = registry_for(ctx.tariff_root).by_hash(row.tariff_hash)
    return with_records(price_under(request, tariff, today=today), stored)
