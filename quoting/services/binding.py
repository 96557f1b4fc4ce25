"""Binding quotes into policies, approving referred quotes, and reading policies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

import msgspec

from quoting.errors import (
    AlreadyBound,
    AuthorityExceeded,
    BookAccumulation,
    NotFound,
    PolicyRenewed,
    ReferralClosed,
    RenewalOutdated,
)
from quoting.policies import BindFacts, check_approval, check_bindable, policy_number
from quoting.services._context import Context, visible_owner
from quoting.services._queue import queue_entry
from quoting.services.authority import authority_of
from quoting.services.endorsements import _state, refuse_if_cancelled
from quoting.services.exposure import book_check, exposure_rows, quote_amounts
from quoting.services.renewal import renewal_fingerprint
from quoting.store import (
    Conflict,
    PolicyRow,
    QuoteRow,
    ReferralRow,
    UnitOfWork,
    UnitOfWorkFactory,
    new_id,
)
from quoting.underwriting import authority_shortfalls

__all__ = [
    "BoundPolicy",
    "approve_quote",
    "bind_quote",
    "get_policy",
    "list_policies",
    "quote_period",
]


class _Period(msgspec.Struct):
    period_start: dt.date
    period_end: dt.date


class _Renews(msgspec.Struct):
    renewal_of: str


class _Renewal(msgspec.Struct):
    renewal: _Renews | None = None


def quote_period(quote: QuoteRow) -> tuple[dt.date, dt.date]:
    """First and last day of a quote's policy period (read from its stored result)."""
    assert quote.result_json is not None, "read the quote in full"
    period = msgspec.json.decode(quote.result_json, type=_Period)
    return period.period_start, period.period_end


@dataclass(frozen=True, slots=True)
class BoundPolicy:
    """A policy, its quote and the quote's policy period."""

    policy: PolicyRow
    quote: QuoteRow
    period: tuple[dt.date, dt.date]
    #: the policy that renews it (read with one policy only)
    renewed_by: PolicyRow | None = None


def bind_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> BoundPolicy:
    """Bind one of the acting account's quotes on the business date, with the year's next
    policy number and a ``quote.bound`` event, in one transaction.

    Raises :class:`NotFound` or a :class:`BindRefused` (see
    :func:`quoting.policies.check_bindable`; a quote an underwriter declined is
    declined). Two binds of one quote at once: the store's unique constraint lets exactly
    one win; the other is :class:`AlreadyBound`.

    Book accumulation is checked here, at binding, against the policies then in force:
    a quote (not yet approved) whose AD&D sums insured would push a site or country of
    the book over its limit is referred (``book_accumulation``, committed with a
    ``referral.opened`` event) and :class:`BookAccumulation` names the figures.
    """
    account = ctx.acting()
    today = ctx.today()
    try:
        with uow() as work:
            quote = work.quotes.get(quote_id, owner_id=visible_owner(account))
            if quote is None:
                raise NotFound(f"No quote {quote_id} among yours.")
            period = quote_period(quote)
            bound = work.policies.for_quote(quote_id)
            referral = work.referrals.get(quote_id)
            approved = quote.approved_at is not None
            facts = BindFacts(
                quote_id=quote_id,
                status=_bind_status(quote, referral),
                approved=approved,
                valid_until=quote.valid_until,
                period_end=period[1],
                bound_as=bound.policy_number if bound else None,
            )
            check_bindable(facts, today)
            renews = _renews(work, ctx, quote)
            if not approved:
                _check_book(work, ctx, quote, referral)
            number = policy_number(today.year, work.policies.next_number(today.year))
            policy = PolicyRow(
                new_id("pol"), quote_id, quote.owner_id, number, ctx.now(), renewal_of=renews
            )
            work.policies.add(policy)
            work.exposures.add(exposure_rows(quote, policy.id))
            work.events.add(
                ctx.event("quote.bound", quote_id, policy_id=policy.id, policy_number=number)
            )
            work.commit()
    except Conflict:
        with uow() as work:
            existing = work.policies.for_quote(quote_id)
            if existing is None and (renewed := _renewed(work, quote_id)) is not None:
                raise PolicyRenewed(
                    f"the policy quote {quote_id} renews was renewed meanwhile, as policy "
                    f"{renewed.policy_number}"
                ) from None
        if existing is None:  # pragma: no cover - a number clash would be our bug
            raise
        number = existing.policy_number
        raise AlreadyBound(
            f"quote {quote_id} is already bound as policy {number}", number
        ) from None
    return BoundPolicy(policy, quote, period)


def _renews(work: UnitOfWork, ctx: Context, quote: QuoteRow) -> str | None:
    """The policy a renewal quote renews (None for another quote), refused when it is
    renewed already or cancelled."""
    assert quote.result_json is not None, "read the quote in full"
    renewal = msgspec.json.decode(quote.result_json, type=_Renewal).renewal
    if renewal is None:
        return None
    # Held until the bind commits: no endorsement or cancellation slips in between.
    work.endorsements.lock_policy(renewal.renewal_of)
    renewed = work.policies.renewal_for(renewal.renewal_of)
    if renewed is not None:
        raise PolicyRenewed(
            f"the policy this quote renews is renewed already, as policy {renewed.policy_number}"
        )
    # The insurer's view: the renewed policy may be another owner's (a broker's book moved).
    state = _state(work, replace(ctx, account=None), renewal.renewal_of)
    refuse_if_cancelled(state)
    if quote.input_hash != renewal_fingerprint(state):
        raise RenewalOutdated(
            f"policy {state.policy.policy_number} changed (version {state.version}) since "
            f"quote {quote.id} renewed it; prepare the renewal again"
        )
    return renewal.renewal_of


def _renewed(work: UnitOfWork, quote_id: str) -> PolicyRow | None:
    """The policy that renewed the policy quote ``quote_id`` renews, if any."""
    quote = work.quotes.get(quote_id)
    if quote is None or quote.result_json is None:
        return None
    renewal = msgspec.json.decode(quote.result_json, type=_Renewal).renewal
    return work.policies.renewal_for(renewal.renewal_of) if renewal else None


def _bind_status(quote: QuoteRow, referral: ReferralRow | None) -> str:
    """The status binding goes by: an underwriter's decline declines the quote, an open
    referral (e.g. book accumulation of an accepted quote) refers it."""
    if referral is None or referral.state == "approved":
        return quote.status
    return "declined" if referral.state == "declined" else "referred"


def _check_book(
    work: UnitOfWork, ctx: Context, quote: QuoteRow, referral: ReferralRow | None
) -> None:
    """Refer the quote (committed) and refuse the bind when it would break a book limit."""
    breaches = book_check(work, quote, ctx.book_limits)
    if not breaches:
        return
    message = "; ".join(b.message for b in breaches)
    reason = ("book_accumulation", message)
    if referral is None:
        work.referrals.add(queue_entry(quote, ctx.now(), [reason]))
    else:
        kept = tuple(r for r in referral.reasons if r[0] != "book_accumulation")
        work.referrals.save(replace(referral, reasons=(*kept, reason), updated_at=ctx.now()))
    figures = [
        {"scope": b.scope, "country": b.country, "site": b.site, "book": b.book}
        | {"quote": b.quote, "limit": b.limit}
        for b in breaches
    ]
    work.events.add(
        ctx.event("referral.opened", quote.id, reason="book_accumulation", breaches=figures)
    )
    work.commit()
    raise BookAccumulation(
        f"quote {quote.id} is referred for book accumulation ({message}); an underwriter "
        "must approve it first"
    )


def approve_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> QuoteRow:
    """The acting underwriter approves a referred quote (not their own, within their
    authority: see :func:`quoting.services.referrals.decide` for approvals with an
    adjustment or conditions) so that it can be bound; a ``quote.approved`` event records
    it. Approving again keeps the first approval."""
    account = ctx.acting()
    with uow() as work:
        row = work.quotes.get(quote_id)
        if row is None:
            raise NotFound(f"No quote {quote_id}.")
        referral = work.referrals.get(quote_id)
        status = "referred" if referral is not None else row.status
        check_approval(quote_id, row.owner_id, status, account.id)
        if referral is not None and referral.state == "declined":
            raise ReferralClosed(f"quote {quote_id} was declined already")
        if row.approved_at is None:
            _check_authority(ctx, row)
            work.quotes.approve(quote_id, account.id, ctx.now())
            work.events.add(ctx.event("quote.approved", quote_id))
            if referral is not None:
                now = ctx.now()
                decided = replace(referral, state="approved", decided_by=account.id, decided_at=now)
                work.referrals.save(replace(decided, updated_at=now))
        approved = work.quotes.get(quote_id)
        work.commit()
    assert approved is not None
    return approved


class _Adjustment(msgspec.Struct):
    underwriter_adjustment: Decimal | None = None


def _check_authority(ctx: Context, row: QuoteRow) -> None:
    """Refuse an approval of a quote whose adjustment or sums insured are beyond the
    acting account's authority."""
    assert row.request_json is not None
    adjustment = msgspec.json.decode(row.request_json, type=_Adjustment).underwriter_adjustment
    amounts = quote_amounts(row)
    shortfalls = authority_shortfalls(
        authority_of(ctx.acting()),
        adjustment=float(adjustment or 0),
        member_sum_insured=amounts.member_max_cents / 100,
        group_sum_insured=amounts.group_cents / 100,
    )
    if shortfalls:
        raise AuthorityExceeded(
            "; ".join(shortfalls)
            + f"; refer quote {row.id} to an underwriter with enough authority"
        )


def get_policy(uow: UnitOfWorkFactory, ctx: Context, policy_id: str) -> BoundPolicy:
    """A policy the acting account may see."""
    with uow() as work:
        policy = work.policies.get(policy_id, owner_id=visible_owner(ctx.acting()))
        if policy is None:
            raise NotFound(f"No policy {policy_id} among yours.")
        quote = work.quotes.get(policy.quote_id)
        renewed_by = work.policies.renewal_for(policy.id)
    assert quote is not None
    return BoundPolicy(policy, quote, quote_period(quote), renewed_by)


def list_policies(
    uow: UnitOfWorkFactory, ctx: Context, limit: int, offset: int
) -> tuple[list[BoundPolicy], int]:
    """A page of the policies the acting account may see, newest first, and the total."""
    owner = visible_owner(ctx.acting())
    with uow() as work:
        rows, total = work.policies.find(owner, limit, offset)
        # The list shows each policy's period, which only the quote's result holds.
        full = [(policy, work.quotes.get(quote.id)) for policy, quote in rows]
    items = []
    for (policy, summary), (_, quote) in zip(rows, full, strict=True):
        assert quote is not None
        items.append(BoundPolicy(policy, summary, quote_period(quote)))
    return items, total
