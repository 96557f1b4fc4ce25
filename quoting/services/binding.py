"""Binding quotes into policies, approving referred quotes, and reading policies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec

from quoting.errors import AlreadyBound, NotFound
from quoting.policies import BindFacts, check_approval, check_bindable, policy_number
from quoting.services._context import Context, visible_owner
from quoting.store import Conflict, PolicyRow, QuoteRow, UnitOfWorkFactory, new_id

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


def bind_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> BoundPolicy:
    """Bind one of the acting account's quotes on the business date, with the year's next
    policy number and a ``quote.bound`` event, in one transaction.

    Raises :class:`NotFound` or a :class:`BindRefused` (see
    :func:`quoting.policies.check_bindable`). Two binds of one quote at once: the store's
    unique constraint lets exactly one win; the other is :class:`AlreadyBound`.
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
            facts = BindFacts(
                quote_id=quote_id,
                status=quote.status,
                approved=quote.approved_at is not None,
                valid_until=quote.valid_until,
                period_end=period[1],
                bound_as=bound.policy_number if bound else None,
            )
            check_bindable(facts, today)
            number = policy_number(today.year, work.policies.next_number(today.year))
            policy = PolicyRow(new_id("pol"), quote_id, quote.owner_id, number, ctx.now())
            work.policies.add(policy)
            work.events.add(
                ctx.event("quote.bound", quote_id, policy_id=policy.id, policy_number=number)
            )
            work.commit()
    except Conflict:
        with uow() as work:
            existing = work.policies.for_quote(quote_id)
        if existing is None:  # pragma: no cover - a number clash would be our bug
            raise
        number = existing.policy_number
        raise AlreadyBound(
            f"quote {quote_id} is already bound as policy {number}", number
        ) from None
    return BoundPolicy(policy, quote, period)


def approve_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> QuoteRow:
    """The acting underwriter approves a referred quote (not their own) so that it can be
    bound; a ``quote.approved`` event records it. Approving again keeps the first approval."""
    account = ctx.acting()
    with uow() as work:
        row = work.quotes.get(quote_id)
        if row is None:
            raise NotFound(f"No quote {quote_id}.")
        check_approval(quote_id, row.owner_id, row.status, account.id)
        if row.approved_at is None:
            work.quotes.approve(quote_id, account.id, ctx.now())
            work.events.add(ctx.event("quote.approved", quote_id))
        approved = work.quotes.get(quote_id)
        work.commit()
    assert approved is not None
    return approved


def get_policy(uow: UnitOfWorkFactory, ctx: Context, policy_id: str) -> BoundPolicy:
    """A policy the acting account may see."""
    with uow() as work:
        policy = work.policies.get(policy_id, owner_id=visible_owner(ctx.acting()))
        if policy is None:
            raise NotFound(f"No policy {policy_id} among yours.")
        quote = work.quotes.get(policy.quote_id)
    assert quote is not None
    return BoundPolicy(policy, quote, quote_period(quote))


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
