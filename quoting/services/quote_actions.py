"""What the quote page offers besides the quote itself: sending a referred quote to the
underwriters with a message, answering an underwriter's question, what has happened to a
quote since it was made (its events), and whether it may be bound today."""

from __future__ import annotations

from dataclasses import dataclass

from quoting.errors import BindRefused, NotReferred, Problem, RequestError
from quoting.policies import BindFacts, check_bindable
from quoting.services._context import Context
from quoting.services.binding import quote_period
from quoting.services.quotation import QuoteView, find_quote
from quoting.services.referrals import answer_question, get_referral, send_to_underwriter
from quoting.store import Event, ReferralRow, UnitOfWorkFactory

__all__ = [
    "ANSWERED_EVENT",
    "DECISION_EVENTS",
    "MAX_REFERRAL_MESSAGE",
    "REFERRED_EVENT",
    "QuoteHistory",
    "answer_underwriter",
    "bind_refusal",
    "open_question",
    "quote_history",
    "refer_quote",
]

#: The event of a quote sent to the underwriters (see quoting.services.referrals).
REFERRED_EVENT = "referral.sent"
#: The events of an underwriter's decision on a referred quote: the approval of the
#: quote pages and the API (``quote.approved``) and the queue's decisions.
DECISION_EVENTS = (
    "quote.approved",
    "referral.approved",
    "referral.declined",
    "referral.information_requested",
)
#: The event of the owner's answer to an underwriter's question.
ANSWERED_EVENT = "referral.answered"
#: Longest message to the underwriter (and answer to their question).
MAX_REFERRAL_MESSAGE = 2000


def _page_text(text: str, field: str) -> str:
    """``text`` stripped, 1 to :data:`MAX_REFERRAL_MESSAGE` characters, else a
    :class:`RequestError` at ``field`` (``message`` or ``answer``)."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_REFERRAL_MESSAGE:
        most = f"{MAX_REFERRAL_MESSAGE:,}"
        raise RequestError(Problem.of(f"referral.{field}_length", path=(field,), most=most))
    return stripped


def refer_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str, message: str) -> ReferralRow:
    """The acting account sends one of its referred quotes to the underwriters' queue with
    ``message`` (1 to 2,000 characters): :func:`quoting.services.referrals.send_to_underwriter`,
    which records a ``referral.sent`` event.

    Raises :class:`NotFound` (not among the account's quotes), :class:`NotReferred`
    (accepted or declined quotes need no underwriter), :class:`ReferralClosed` (decided
    already) or :class:`RequestError` (the message, at ``message``)."""
    text = _page_text(message, "message")
    with uow() as work:
        row = find_quote(work, ctx, quote_id)
    if row.status != "referred":
        raise NotReferred(
            f"quote {quote_id} is {row.status}; only referred quotes go to an underwriter"
        )
    return send_to_underwriter(uow, ctx, quote_id, text)


def answer_underwriter(
    uow: UnitOfWorkFactory, ctx: Context, quote_id: str, answer: str
) -> ReferralRow:
    """The acting account answers the underwriter's open question on one of its quotes
    with ``answer`` (1 to 2,000 characters, as a message):
    :func:`quoting.services.referrals.answer_question`, which records a
    ``referral.answered`` event and puts the quote back in the underwriters' queue.

    Raises :class:`NotFound` (not among the account's quotes), :class:`ReferralClosed`
    (no open question) or :class:`RequestError` (the answer, at ``answer``)."""
    return answer_question(uow, ctx, quote_id, _page_text(answer, "answer"))


def open_question(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> str | None:
    """The underwriter's question waiting for an answer on a quote the acting account may
    see, or None (no referral, or no question open)."""
    referral = get_referral(uow, ctx, quote_id).referral
    if referral is None or referral.state != "information_requested":
        return None
    return referral.question


@dataclass(frozen=True, slots=True)
class QuoteHistory:
    """A quote's events oldest first, with the names of who did each."""

    events: list[Event]
    names: dict[str, str]

    def of(self, *kinds: str) -> list[Event]:
        """The events of these kinds."""
        return [e for e in self.events if e.kind in kinds]


def quote_history(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> QuoteHistory:
    """The events of a quote the acting account may see (:class:`NotFound` otherwise)."""
    with uow() as work:
        find_quote(work, ctx, quote_id)
        events = work.events.all(quote_id)
        names = {}
        for account_id in {e.account_id for e in events if e.account_id}:
            account = work.accounts.get(account_id)
            if account is not None:
                names[account_id] = account.name
    return QuoteHistory(events, names)


def bind_refusal(ctx: Context, view: QuoteView) -> BindRefused | None:
    """Why :func:`quoting.services.binding.bind_quote` would refuse this quote on the
    business date (the same rules), or None when it may be bound."""
    quote = view.quote
    facts = BindFacts(
        quote_id=quote.id,
        status=quote.status,
        approved=quote.approved_at is not None,
        valid_until=quote.valid_until,
        period_end=quote_period(quote)[1],
        bound_as=view.policy.policy_number if view.policy else None,
    )
    try:
        check_bindable(facts, ctx.today())
    except BindRefused as refused:
        return refused
    return None
