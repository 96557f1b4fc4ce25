"""The underwriting endpoints: the referral queue, sending, deciding and answering a
referral, the audit trail and the book's exposure. Thin: the work is in the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlencode

import anyio
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from quoting.services import audit, exposure, referrals
from quoting.services.referrals import Decision, ReferralView
from quoting.store import EventFilter, ReferralFilter, ReferralRow
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._openapi import ApiOperation, problem
from quoting.web._quotes import BASE, ERRORS, NOT_FOUND
from quoting.web._uw_schemas import (
    AnswerBody,
    ApproveBody,
    AskBody,
    AuditEntry,
    AuditPage,
    CountryExposureItem,
    DeclineBody,
    ExposureReport,
    ReferralEvent,
    ReferralItem,
    ReferralPage,
    ReferralReason,
    ReferralRecord,
    SendBody,
    SiteExposureItem,
)

__all__ = ["QuoteReferralController", "UnderwritingController"]

_CLOSED = problem(
    409,
    "`referral-closed`: the quote is not referred, its referral is decided already, or "
    "there is no open question to answer",
    "quote q_2f1c9a7e5b3d4c6a8e0f1a2b was approved already",
    kind="referral-closed",
    title="Referral not open for this",
)
_INVALID = problem(
    422,
    "A text is empty or too long, a decline or an adjustment has no reason, conditions "
    "lack a language, or the adjustment is beyond the tariff's maximum; `errors` names it",
    "1 problem with the request; see errors.",
)
_AUTHORITY = problem(
    403,
    "`forbidden` for your role or your own quote; `authority-exceeded` when the adjustment "
    "or the sums insured are beyond your authority (the message names each limit; the "
    "referral records what it needs)",
    "the adjustment +20.0% is beyond your adjustment authority of ±15%; refer quote "
    "q_2f1c9a7e5b3d4c6a8e0f1a2b to an underwriter with enough authority",
    kind="authority-exceeded",
    title="Beyond your authority",
)
_STATES: dict[str, tuple[str, ...]] = {
    "open": ("waiting", "information_requested"),
    "all": ("waiting", "information_requested", "approved", "declined"),
}


def _record(view: ReferralView | ReferralRow) -> ReferralRecord:
    row = view.referral if isinstance(view, ReferralView) else view
    history = view.history if isinstance(view, ReferralView) else []
    if row is None:
        assert isinstance(view, ReferralView)
        return ReferralRecord(view.quote_id, "none", [], [], None, None, None, None)
    return ReferralRecord(
        quote_id=row.quote_id,
        state=row.state,  # type: ignore[arg-type]
        reasons=[ReferralReason(code, message) for code, message in row.reasons],
        countries=list(row.countries),
        entered_at=row.entered_at,
        sent_by=row.sent_by,
        sent_at=row.sent_at,
        message=row.message,
        question=row.question,
        answer=row.answer,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        escalation=row.escalation,
        history=[ReferralEvent(e.kind, e.occurred_at, e.account_id, e.data) for e in history],
    )


def _decision(data: ApproveBody | DeclineBody | AskBody) -> Decision:
    if isinstance(data, AskBody):
        return Decision("ask", question=data.question)
    if isinstance(data, DeclineBody):
        return Decision("decline", reason=data.reason)
    return Decision(
        "approve",
        reason=data.reason,
        # repr is the shortest text giving the float back: 0.2, not 0.2000000000000000111.
        adjustment=None if data.adjustment is None else Decimal(repr(data.adjustment)),
        conditions_zh=data.conditions.zh if data.conditions else None,
        conditions_en=data.conditions.en if data.conditions else None,
    )


def _next(
    path: str, offset: int, limit: int, shown: int, total: int, **query: object
) -> str | None:
    """The link to the next page with every filter of this one, or None on the last page.
    Values are URL-encoded (a time's ``+08:00`` would otherwise read as a space)."""
    if offset + shown >= total:
        return None
    pairs = {
        k: v.isoformat() if isinstance(v, dt.datetime) else v
        for k, v in query.items()
        if v is not None
    }
    pairs.update(limit=limit, offset=offset + limit)
    return path + "?" + urlencode(pairs)


class QuoteReferralController(Controller):
    """A quote's referral: send it, read it, decide it, answer it."""

    path = BASE
    tags = ["Underwriting"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @post(
        "/{quote_id:str}/referral",
        operation_id="sendToUnderwriter",
        operation_class=ApiOperation,
        status_code=200,
        summary="Send a referred quote to underwriting with a message",
        description="For the quote's owner (or an underwriter): the message goes with the "
        "quote in the referral queue; sending again replaces it. `409` when the quote is not "
        "referred or its referral is decided.",
        responses={**ERRORS, 404: NOT_FOUND, 409: _CLOSED, 422: _INVALID},
    )
    async def send(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        data: JSONBody[SendBody],
    ) -> ReferralRecord:
        row = await anyio.to_thread.run_sync(
            referrals.send_to_underwriter, uow, context, quote_id, data.message
        )
        return _record(row)

    @get(
        "/{quote_id:str}/referral",
        operation_id="getReferral",
        operation_class=ApiOperation,
        summary="A quote's referral: state, reasons, question and answer, decision, history",
        description="What the broker or agent sees of underwriting: `none` for a quote that "
        "was never referred, `waiting`, `information_requested` "
        "with the `question` to answer (POST …/answers), or the decision. An approval's "
        "adjustment and conditions are also on the quote (`underwriting`).",
        sync_to_thread=True,
        responses={**ERRORS, 404: NOT_FOUND},
    )
    def get_referral(
        self, uow: UnitsOfWork, context: ServiceContext, quote_id: FromPath[str]
    ) -> ReferralRecord:
        return _record(referrals.get_referral(uow, context, quote_id))

    @post(
        "/{quote_id:str}/decision",
        operation_id="decideReferral",
        operation_class=ApiOperation,
        status_code=200,
        guards=[requires_role("underwriter", "admin")],
        summary="Approve, decline or question a referred quote (underwriters)",
        description="`decision`: `approve` with a `reason` (optionally an `adjustment` and "
        "`conditions` in Chinese and English): the quote can be bound; an adjustment re-prices "
        "it under its own tariff version, so its figures stay exact and explainable. "
        "`decline` with a `reason`: it cannot be bound. `ask` a `question`: the quote waits "
        "for its owner's answer. Not your own quotes; within your authority (adjustment, a "
        "member's and the group's AD&D sum insured).",
        responses={**ERRORS, 403: _AUTHORITY, 404: NOT_FOUND, 409: _CLOSED, 422: _INVALID},
    )
    async def decide(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        data: JSONBody[ApproveBody | DeclineBody | AskBody],
    ) -> ReferralRecord:
        decision = _decision(data)
        await anyio.to_thread.run_sync(referrals.decide, uow, context, quote_id, decision)
        view = await anyio.to_thread.run_sync(referrals.get_referral, uow, context, quote_id)
        return _record(view)

    @post(
        "/{quote_id:str}/answers",
        operation_id="answerReferral",
        operation_class=ApiOperation,
        status_code=200,
        summary="Answer the underwriter's question on a referred quote",
        description="The quote waits for an underwriter again. `409` without an open question.",
        responses={**ERRORS, 404: NOT_FOUND, 409: _CLOSED, 422: _INVALID},
    )
    async def answer(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        data: JSONBody[AnswerBody],
    ) -> ReferralRecord:
        row = await anyio.to_thread.run_sync(
            referrals.answer_question, uow, context, quote_id, data.answer
        )
        return _record(row)


class UnderwritingController(Controller):
    """The queue, the audit trail and the book, for underwriters and admins."""

    path = "/api/v1"
    tags = ["Underwriting"]
    guards = [requires_role("underwriter", "admin")]

    @get(
        "/referrals",
        operation_id="listReferrals",
        operation_class=ApiOperation,
        summary="The referral queue, oldest first (underwriters)",
        description="Referred quotes with policyholder, headcount, premium, reasons, age in "
        "the queue and who asked. `state`: `open` (default: waiting for an underwriter or for "
        "an answer), one state, or `all`; filter by a reason `code` and a member `country`.",
        sync_to_thread=True,
        responses={**ERRORS},
    )
    def list_referrals(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        decision_state: Annotated[
            Literal["open", "waiting", "information_requested", "approved", "declined", "all"],
            QueryParameter(name="state", description="which referrals"),
        ] = "open",
        reason: Annotated[
            str | None,
            QueryParameter(
                pattern=r"^[a-z_]{1,40}$", description="a reason code, e.g. country_refer"
            ),
        ] = None,
        country: Annotated[
            str | None, QueryParameter(pattern=r"^[A-Z]{2}$", description="ISO country code")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="page size")] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="to skip")] = 0,
    ) -> ReferralPage:
        states = _STATES.get(decision_state, (decision_state,))
        where = ReferralFilter(states, reason, country, limit, offset)
        found, total = referrals.list_referrals(uow, context, where)
        items = [
            ReferralItem(
                quote_id=q.id,
                policyholder=q.policyholder,
                credit_code=q.credit_code,
                headcount=q.headcount,
                currency=q.currency,
                total_premium=q.total_premium,
                state=r.state,
                reasons=[ReferralReason(c, m) for c, m in r.reasons],
                countries=list(r.countries),
                entered_at=r.entered_at,
                age_hours=round(item.age.total_seconds() / 3600, 1),
                asked_by=r.sent_by or q.owner_id,
                owner_id=q.owner_id,
                message=r.message,
                question=r.question,
                answer=r.answer,
                escalation=r.escalation,
                quote=f"{BASE}/{q.id}",
                referral=f"{BASE}/{q.id}/referral",
            )
            for item in found
            for r, q in [(item.referral, item.quote)]
        ]
        following = _next(
            "/api/v1/referrals",
            offset,
            limit,
            len(items),
            total,
            state=decision_state,
            reason=reason,
            country=country,
        )
        return ReferralPage(items, total, limit, offset, following)

    @get(
        "/audit",
        operation_id="listAuditTrail",
        operation_class=ApiOperation,
        summary="The audit trail, oldest first (underwriters)",
        description="Every event: quote created, referral sent / approved / declined / "
        "questioned / answered / escalated, quote approved and bound, account and key "
        "changes, tariff published: who (`account_id`), when, what, and for changes "
        "`before` and `after`. Append-only: the database refuses UPDATE and DELETE. Filter by "
        "`subject` (a quote, account… id), `kind` (`referral` also matches `referral.*`), "
        "`account`, and time (`since` inclusive, `until` exclusive).",
        sync_to_thread=True,
        responses={**ERRORS},
    )
    def audit(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        subject: Annotated[
            str | None, QueryParameter(pattern=r"^[A-Za-z0-9_.:-]{1,40}$", description="subject id")
        ] = None,
        kind: Annotated[
            str | None, QueryParameter(pattern=r"^[a-z_.]{1,40}$", description="event kind")
        ] = None,
        account: Annotated[
            str | None, QueryParameter(pattern=r"^[A-Za-z0-9_]{1,40}$", description="who")
        ] = None,
        since: Annotated[
            dt.datetime | None, QueryParameter(description="at or after (ISO 8601)")
        ] = None,
        until: Annotated[dt.datetime | None, QueryParameter(description="before")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="page size")] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="to skip")] = 0,
    ) -> AuditPage:
        def utc(value: dt.datetime | None) -> dt.datetime | None:
            # In UTC, as the events are stored: SQLite compares the times as text, so a
            # +08:00 time left as it is would filter eight hours off. Naive times are UTC.
            if value is None:
                return None
            return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)

        where = EventFilter(subject, kind, account, utc(since), utc(until), limit, offset)
        events, total = audit.audit_trail(uow, context, where)
        items = [
            AuditEntry(e.id or 0, e.occurred_at, e.kind, e.subject_id, e.account_id, e.data)
            for e in events
        ]
        following = _next(
            "/api/v1/audit",
            offset,
            limit,
            len(items),
            total,
            subject=subject,
            kind=kind,
            account=account,
            since=where.since,
            until=where.until,
        )
        return AuditPage(items, total, limit, offset, following)

    @get(
        "/exposure",
        operation_id="getBookExposure",
        operation_class=ApiOperation,
        summary="The book's AD&D and evacuation exposure per site and country (underwriters)",
        description="Sums insured of every bound policy in force on `on` (default today), "
        "across policyholders, per site (members without a site: one per country) and per "
        "country, largest first, against the book limits (QUOTING_BOOK_SITE_LIMIT, "
        "QUOTING_BOOK_COUNTRY_LIMIT). Binding a quote that would push a site or country over "
        "its limit refers it (`book_accumulation`).",
        sync_to_thread=True,
        responses={**ERRORS},
    )
    def exposure(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        on: Annotated[dt.date | None, QueryParameter(description="the date")] = None,
        country: Annotated[
            str | None, QueryParameter(pattern=r"^[A-Z]{2}$", description="ISO country code")
        ] = None,
    ) -> ExposureReport:
        book = exposure.book_exposure(uow, context, on, country)

        def share(amount: Decimal, limit: Decimal) -> float:
            return round(float(amount / limit), 4)

        return ExposureReport(
            on=book.on,
            currency="CNY",
            site_limit=f"{book.limits.site_sum_insured:.2f}",
            country_limit=f"{book.limits.country_sum_insured:.2f}",
            sites=[
                SiteExposureItem(
                    s.country,
                    s.site,
                    s.policyholders,
                    s.policies,
                    s.headcount,
                    str(s.add_sum_insured),
                    str(s.evac_sum_insured),
                    str(s.limit),
                    share(s.add_sum_insured, s.limit),
                    s.over_limit,
                )
                for s in book.sites
            ],
            countries=[
                CountryExposureItem(
                    c.country,
                    c.policies,
                    c.headcount,
                    str(c.add_sum_insured),
                    str(c.evac_sum_insured),
                    str(c.limit),
                    share(c.add_sum_insured, c.limit),
                    c.over_limit,
                )
                for c in book.countries
            ],
        )
