"""The underwriters' pages: the referral queue, the review of a referred quote with its
decisions (approve with a loading or discount and special conditions, decline, ask),
the audit trail and the book's accumulation. Thin: the work is in the services
(referrals, review, audit, exposure), as for the API.

Routes (underwriters and admins; agents get the 403 page, anonymous visitors sign in):

- ``GET /referrals`` — the queue, oldest first; ``status`` filters, ``q`` searches the
  policyholder's name or credit code, ``page`` pages;
- ``GET /referrals/{id}`` — the review: the quote, its reasons, messages and answers, the
  policyholder's other quotes and policies, and the decision forms;
- ``POST /referrals/{id}/approve`` (``approve_reason``, ``adjustment_kind`` loading /
  discount, ``adjustment_percent``, ``conditions_zh``, ``conditions_en``), ``POST
  /referrals/{id}/decline`` (``decline_reason``), ``POST /referrals/{id}/ask``
  (``question``) — a 303 back to the review with a status line, or the review again with
  the problem (422 beside its field; 403 beyond one's authority, which refers the quote
  upward, or for one's own quote; 409 once decided);
- ``GET /audit`` — the trail, newest page last as the API's; ``subject``, ``account``,
  ``kind``, ``since``, ``until`` (dates, ``until`` included), ``page``;
- ``GET /exposure`` — the book on ``on`` (default today), optionally one ``country``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import anyio
import msgspec
from babel.dates import format_timedelta
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from quoting.errors import (
    AuthorityExceeded,
    NotFound,
    QuotingError,
    Refusal,
    RequestError,
)
from quoting.schemas import Quote
from quoting.services import audit, exposure, referrals
from quoting.services.lookups import customer_reasons
from quoting.services.quote_actions import quote_history
from quoting.services.review import account_names, review_referral, waiting_count
from quoting.store import EventFilter, ReferralFilter
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web.pages._messages import STATUS_WORDS, sayer
from quoting.web.pages._quote_view import reasons
from quoting.web.pages._render import render
from quoting.web.pages._session import page_locale, require_role
from quoting.web.pages._uw_view import (
    EVENT_WORDS,
    QUEUE_STATES,
    REASON_WORDS,
    DecisionForm,
    audit_detail,
    day_bounds,
    queue_state,
    state_words,
)

__all__ = ["UnderwritingPagesController"]

REFERRALS_PER_PAGE = 20
EVENTS_PER_PAGE = 50
MEMBERS_SHOWN = 20
#: On each route rather than the controller: the automatic OPTIONS answer stays unguarded.
_UNDERWRITERS = [require_role("underwriter", "admin")]
#: The status line after a decision (``?done=``).
_DONE = {"approved", "declined", "asked"}


def _(message: str) -> str:
    return message  # marks a text for the catalogues (the templates translate it)


def _page(value: object) -> int:
    try:
        return max(1, min(int(str(value or 1)), 100_000))
    except ValueError:
        return 1


def _age(age: dt.timedelta, locale: str) -> str:
    return format_timedelta(age, threshold=1.5, locale=locale)


def _review_context(
    request: Request[Any, Any, Any],
    uow: UnitsOfWork,
    context: ServiceContext,
    quote_id: str,
    form: DecisionForm | None = None,
) -> dict[str, Any]:
    """Everything the review page shows of one quote."""
    locale = page_locale(request)
    review = review_referral(uow, context, quote_id)
    row = review.view.quote
    assert row.result_json is not None
    quote = msgspec.json.decode(row.result_json, type=Quote)
    customer = customer_reasons(context, row)
    shown_reasons, declined = reasons(quote, customer, row.approved_at is not None, locale)
    history = quote_history(uow, context, quote_id)
    done = str(request.query_params.get("done") or "")
    return {
        "review": review,
        "row": row,
        "quote": quote,
        "referral": review.referral,
        "state": queue_state(review.referral) if review.referral else None,
        "reasons": shown_reasons,
        "declined": declined,
        "events": [e for e in history.events if e.kind.startswith(("referral.", "quote."))],
        "names": review.names | history.names,
        "members": quote.members[:MEMBERS_SHOWN],
        "form": form or DecisionForm(),
        "error": None,
        "escalated": None,
        "done": done if done in _DONE else None,
        "own": row.owner_id == context.acting().id,
        "queue_waiting": waiting_count(uow, context),
        "status_words": STATUS_WORDS,
        "event_words": EVENT_WORDS,
        "state_words": state_words,
        "say": sayer(locale),
    }


class UnderwritingPagesController(Controller):
    """The underwriter pages (see the module's docstring for the routes)."""

    path = "/"
    include_in_schema = False

    @get("/referrals", name="referrals", sync_to_thread=True, guards=_UNDERWRITERS)
    def queue(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[str]:
        """The referral queue, oldest first, filtered by status and paged."""
        params = request.query_params
        status = str(params.get("status") or "open")
        status = status if status in QUEUE_STATES else "open"
        search = str(params.get("q") or "").strip()[:100]
        page = _page(params.get("page"))
        where = ReferralFilter(
            QUEUE_STATES[status][0],
            limit=REFERRALS_PER_PAGE,
            offset=(page - 1) * REFERRALS_PER_PAGE,
            search=search or None,
        )
        items, total = referrals.list_referrals(uow, context, where)
        ids = [i.referral.sent_by or i.quote.owner_id for i in items]
        locale = page_locale(request)
        return render(
            request,
            "underwriting/queue.html",
            items=[
                {
                    "item": i,
                    "state": queue_state(i.referral),
                    "age": _age(i.age, locale),
                    "asked_by": i.referral.sent_by or i.quote.owner_id,
                }
                for i in items
            ],
            names=account_names(uow, context, ids),
            total=total,
            page=page,
            pages=max(1, math.ceil(total / REFERRALS_PER_PAGE)),
            status=status,
            search=search,
            queue_states=QUEUE_STATES,
            reason_words=REASON_WORDS,
            state_words=state_words,
            queue_waiting=waiting_count(uow, context),
            say=sayer(locale),
        )

    @get("/referrals/{quote_id:str}", name="referral", sync_to_thread=True, guards=_UNDERWRITERS)
    def review(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[str]:
        """A quote under review with its history, the policyholder's other business and
        the decision forms."""
        page = _review_context(request, uow, context, quote_id)
        return render(request, "underwriting/review.html", **page)

    def _decide(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: str,
        form: DecisionForm,
    ) -> Response[Any]:
        """Give the form's decision to the service: a 303 back with a status line, or the
        review again saying why not."""
        decision = form.decision()
        try:
            if decision is None:
                raise RequestError([])
            referrals.decide(uow, context, quote_id, decision)
        except QuotingError as exc:
            if isinstance(exc, NotFound) or exc.status >= 500:
                raise
            page = _review_context(request, uow, context, quote_id, form)
            if isinstance(exc, AuthorityExceeded):
                page["escalated"] = exc.message
            elif isinstance(exc, Refusal):
                page["error"] = exc.message
            else:
                form.refused(exc.problems)
            status = exc.status if isinstance(exc, Refusal) else 422
            return render(request, "underwriting/review.html", status_code=status, **page)
        done = {"approve": "approved", "decline": "declined", "ask": "asked"}[form.action]
        return Redirect(f"/referrals/{quote_id}?done={done}", status_code=303)

    @post(
        "/referrals/{quote_id:str}/{action:str}",
        name="referral-decide",
        guards=_UNDERWRITERS,
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        """``approve``, ``decline`` or ``ask`` (the review page's three forms)."""
        if action not in ("approve", "decline", "ask"):
            raise NotFound(f"No action {action!r} on a referral.")
        form = DecisionForm.parse(action, await request.form())
        return await anyio.to_thread.run_sync(self._decide, request, uow, context, quote_id, form)

    @get("/audit", name="audit", sync_to_thread=True, guards=_UNDERWRITERS)
    def audit_trail(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[str]:
        """The audit trail filtered by subject, user, action and dates, paged."""
        params = request.query_params
        typed = {k: str(params.get(k) or "").strip()[:60] for k in _AUDIT_FILTERS}
        zone = ZoneInfo(request.app.state.settings.clock.timezone)
        since, until, errors = day_bounds(typed["since"], typed["until"], zone)
        page = _page(params.get("page"))
        where = EventFilter(
            subject_id=typed["subject"] or None,
            kind=typed["kind"] or None,
            account_id=typed["account"] or None,
            since=since,
            until=until,
            limit=EVENTS_PER_PAGE,
            offset=(page - 1) * EVENTS_PER_PAGE,
        )
        events, total = audit.audit_trail(uow, context, where)
        names = account_names(uow, context, [e.account_id for e in events])
        return render(
            request,
            "underwriting/audit.html",
            status_code=422 if errors else 200,
            entries=[(e, audit_detail(e.data)) for e in events],
            names=names,
            typed=typed,
            errors=errors,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / EVENTS_PER_PAGE)),
            query=urlencode({k: v for k, v in typed.items() if v}),
            event_words=EVENT_WORDS,
            queue_waiting=waiting_count(uow, context),
            say=sayer(page_locale(request)),
        )

    @get("/exposure", name="exposure", sync_to_thread=True, guards=_UNDERWRITERS)
    def book(
        self, request: Request[Any, Any, Any], uow: UnitsOfWork, context: ServiceContext
    ) -> Response[str]:
        """The book's AD&D and evacuation exposure per site and country on a date."""
        params = request.query_params
        typed_on = str(params.get("on") or "").strip()[:10]
        country = str(params.get("country") or "").strip().upper()[:2]
        errors: dict[str, str] = {}
        on = context.today()
        if typed_on:
            try:
                on = dt.date.fromisoformat(typed_on)
            except ValueError:
                errors["on"] = _("a date like 2027-01-31")
        if country and not _COUNTRY.fullmatch(country):
            errors["country"] = _("a two-letter country code, e.g. ID")
            country = ""
        found = exposure.book_exposure(uow, context, on, country or None)
        return render(
            request,
            "underwriting/exposure.html",
            status_code=422 if errors else 200,
            book=found,
            typed_on=typed_on or on.isoformat(),
            country=country,
            errors=errors,
            queue_waiting=waiting_count(uow, context),
            say=sayer(page_locale(request)),
        )


_AUDIT_FILTERS = ("subject", "account", "kind", "since", "until")
_COUNTRY = re.compile(r"[A-Z]{2}")
