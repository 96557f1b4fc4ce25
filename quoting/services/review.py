"""What an underwriter's pages show besides the decision itself: a referred quote under
review with its policyholder's other quotes and policies, the number of quotes waiting
in the queue, and the names of the accounts an event or a queue line mentions.

Read-only: the decisions are :func:`quoting.services.referrals.decide`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quoting.errors import NotFound
from quoting.services._context import Context
from quoting.services.authority import authority_of
from quoting.services.exposure import require_underwriter
from quoting.services.quotation import QuoteView
from quoting.store import (
    PolicyRow,
    QuoteFilter,
    QuoteRow,
    ReferralFilter,
    ReferralRow,
    UnitOfWork,
    UnitOfWorkFactory,
)
from quoting.underwriting import Authority

__all__ = [
    "OTHER_QUOTES",
    "PolicyholderQuote",
    "Review",
    "account_names",
    "review_referral",
    "waiting_count",
]

#: How many of the policyholder's other quotes a review shows (newest first).
OTHER_QUOTES = 20


@dataclass(frozen=True, slots=True)
class PolicyholderQuote:
    """Another quote of the same policyholder (same credit code) and its policy, if bound."""

    quote: QuoteRow
    policy: PolicyRow | None


@dataclass(frozen=True, slots=True)
class Review:
    """A quote under an underwriter's review: the quote (in full) and its policy, its
    referral (None: never referred), the policyholder's other quotes and how many there
    are, the reviewing underwriter's authority, and the names of the accounts involved."""

    view: QuoteView
    referral: ReferralRow | None
    others: list[PolicyholderQuote]
    others_total: int
    authority: Authority
    names: dict[str, str]


def review_referral(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> Review:
    """The review of one quote by an underwriter or admin (every quote is theirs to see);
    :class:`NotFound` for an unknown quote."""
    require_underwriter(ctx, "Reviewing a referral")
    with uow() as work:
        row = work.quotes.get(quote_id)
        if row is None:
            raise NotFound(f"No quote {quote_id}.")
        referral = work.referrals.get(quote_id)
        # The credit code is the policyholder's identity (its 18 characters match only
        # itself as a prefix); one more than shown, so this quote can be left out.
        found, total = work.quotes.find(
            QuoteFilter(owner_id=None, search=row.credit_code, limit=OTHER_QUOTES + 1)
        )
        others = [
            PolicyholderQuote(q, work.policies.for_quote(q.id))
            for q in found
            if q.id != row.id and q.credit_code == row.credit_code
        ][:OTHER_QUOTES]
        ids = {row.owner_id, *(o.quote.owner_id for o in others)}
        if referral is not None:
            ids |= {i for i in (referral.sent_by, referral.decided_by) if i}
        names = _names(work, ids)
        view = QuoteView(row, work.policies.for_quote(row.id))
    return Review(view, referral, others, max(0, total - 1), authority_of(ctx.acting()), names)


def waiting_count(uow: UnitOfWorkFactory, ctx: Context) -> int:
    """How many referred quotes wait for an underwriter (not for an answer)."""
    require_underwriter(ctx, "The referral queue")
    with uow() as work:
        _rows, total = work.referrals.find(ReferralFilter(("waiting",), limit=1))
    return total


def account_names(
    uow: UnitOfWorkFactory, ctx: Context, ids: Iterable[str | None]
) -> dict[str, str]:
    """The names of these accounts (ids of no account are left out); for underwriters and
    admins, whose pages name who did what."""
    require_underwriter(ctx, "Account names")
    with uow() as work:
        return _names(work, {i for i in ids if i})


def _names(work: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    names = {}
    for account_id in sorted(ids):
        account = work.accounts.get(account_id)
        if account is not None:
            names[account_id] = account.name
    return names
