"""Binding, approval, policies and documents of the broker API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from quoting.documents import POLICY_DOCUMENTS, QUOTE_DOCUMENTS
from quoting.errors import NotFound
from quoting.services import binding, documents, endorsements
from quoting.services.binding import BoundPolicy
from quoting.services.documents import MAX_CERTIFICATES, MAX_DOCUMENT_MEMBERS
from quoting.store import PolicyVersionRow
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._fonts import fonts_url
from quoting.web._openapi import ApiOperation, binary, header, operation, problem, text
from quoting.web._quotes import BASE, ERRORS, NOT_FOUND, _links
from quoting.web._schemas import Approval, PolicyLinks, PolicyPage, PolicyRecord

__all__ = ["DocumentsController", "PoliciesController"]

POLICIES = "/api/v1/policies"
_MEDIA = {"pdf": "application/pdf", "html": "text/html"}
_DOCUMENT_RESPONSES = {
    200: ResponseSpec(
        data_container=bytes,
        description="The document: a .pdf name gives application/pdf (an attachment, fonts "
        "embedded), an .html name text/html in UTF-8 (shown inline; its fonts load from "
        "`/documents/fonts/`, no key needed)",
        media_type="application/pdf",
        generate_examples=False,
    ),
    **ERRORS,
    404: problem(
        404,
        "No such quote or policy among yours, no document of that name, or (a policy's) "
        "no such version",
        "No document 'letter.pdf'; there are quote-letter.pdf, benefits.pdf (and .html).",
    ),
}
#: A policy's member list and certificates are not made on request for every policy.
_POLICY_DOCUMENT_RESPONSES = {
    **_DOCUMENT_RESPONSES,
    422: problem(
        422,
        f"`document-not-available`: a member list of more than {MAX_DOCUMENT_MEMBERS:,} "
        f"members or certificates of more than {MAX_CERTIFICATES:,} are not made on request, "
        "nor certificates of an aggregated census (no named members)",
        "certificates need a census of named members; this policy has an aggregated census",
        kind="document-not-available",
        instance=f"{POLICIES}/pol_3c1d9e2f4a6b8c0d2e4f6a8b/documents/certificates.pdf",
    ),
}
_DocumentOperation = operation(
    "_DocumentOperation",
    headers={
        200: {
            "Content-Disposition": header(
                "`attachment` for PDF, `inline` for HTML, with the file name.",
                examples=['attachment; filename="BJ-2026-000001-certificates.pdf"'],
            )
        }
    },
    content={200: {"application/pdf": binary("PDF"), "text/html": text("HTML, UTF-8")}},
)
_POLICY_NOT_FOUND = problem(
    404,
    "No policy with this id among yours",
    "No policy pol_3c1d9e2f4a6b8c0d2e4f6a8b among yours.",
    instance=f"{POLICIES}/pol_3c1d9e2f4a6b8c0d2e4f6a8b",
)
_BIND_REFUSED = problem(
    409,
    "The quote cannot be bound: `already-bound`, `quote-declined`, `quote-referred` (not "
    "approved), `quote-expired` or `quote-period-over`; a renewal quote also "
    "`policy-renewed` (its policy is renewed already), `policy-cancelled` or "
    "`renewal-outdated` (its policy changed since: prepare the renewal again)",
    "quote q_2f1c9a7e5b3d4c6a8e0f1a2b was declined; it cannot be bound",
    kind="quote-declined",
    title="Quote cannot be bound",
    instance=f"{BASE}/q_2f1c9a7e5b3d4c6a8e0f1a2b/bind",
)
_NOT_REFERRED = problem(
    409,
    "`not-referred`: only a referred quote needs (and can get) an approval",
    "quote q_2f1c9a7e5b3d4c6a8e0f1a2b is accepted; only referred quotes need approval",
    kind="not-referred",
    title="Nothing to approve",
    instance=f"{BASE}/q_2f1c9a7e5b3d4c6a8e0f1a2b/approve",
)
_BindOperation = operation(
    "_BindOperation",
    headers={201: {"Location": header("Where the new policy is.", examples=[f"{POLICIES}/pol_…"])}},
)


def _policy_record(bound: BoundPolicy) -> PolicyRecord:
    policy, quote, period = bound.policy, bound.quote, bound.period
    base = f"{POLICIES}/{policy.id}"
    return PolicyRecord(
        id=policy.id,
        policy_number=policy.policy_number,
        quote_id=quote.id,
        created_at=policy.created_at,
        status="in_force",
        policyholder=quote.policyholder,
        credit_code=quote.credit_code,
        period_start=period[0],
        period_end=period[1],
        currency=quote.currency,
        total_premium=quote.total_premium,
        total_vat=quote.total_vat,
        headcount=quote.headcount,
        tariff_version=quote.tariff_version,
        renewal_of=policy.renewal_of,
        renewed_by=bound.renewed_by.id if bound.renewed_by else None,
        links=PolicyLinks(
            self=base,
            quote=f"{BASE}/{quote.id}",
            documents={
                f"{name}.{fmt}": f"{base}/documents/{name}.{fmt}"
                for name in POLICY_DOCUMENTS
                for fmt in ("pdf", "html")
            },
        ),
    )


def _as_endorsed(
    record: PolicyRecord, newest: PolicyVersionRow | None, cancelled_from: dt.date | None = None
) -> PolicyRecord:
    """A policy's record with its newest version's totals (as bound without one), and
    cancelled from a date if it is."""
    if newest is None:
        return record
    return msgspec.structs.replace(
        record,
        total_premium=newest.total_premium,
        total_vat=newest.total_vat,
        headcount=newest.headcount,
        version=newest.version,
        latest_version=newest.version,
        status="in_force" if cancelled_from is None else "cancelled",
        cancelled_from=cancelled_from,
    )


def _split(filename: str, allowed: tuple[str, ...]) -> tuple[str, str]:
    name, _, fmt = filename.rpartition(".")
    if name not in allowed or fmt not in _MEDIA:
        raise NotFound(
            f"No document {filename!r}; there are "
            + ", ".join(f"{n}.pdf" for n in allowed)
            + " (and .html).",
        )
    return name, fmt


def _document_response(body: bytes, filename: str, fmt: str) -> Response[bytes]:
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={
            "Content-Disposition": f'{"attachment" if fmt == "pdf" else "inline"}; filename="{filename}"'
        },
    )


class DocumentsController(Controller):
    """Endpoints under a quote: bind, approve, documents."""

    path = BASE
    tags = ["Quotes"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @post(
        "/{quote_id:str}/bind",
        operation_id="bindQuote",
        operation_class=_BindOperation,
        summary="Bind a quote into a policy",
        description="Turns an accepted quote (or a referred one an underwriter approved) into a "
        "policy with a new policy number, within the quote's validity. The quote can then no "
        "longer change. `409` for a declined, unapproved, expired or already bound quote.",
        status_code=201,
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            201: ResponseSpec(data_container=PolicyRecord, description="The new policy"),
            **ERRORS,
            404: NOT_FOUND,
            409: _BIND_REFUSED,
        },
    )
    async def bind(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Response[PolicyRecord]:
        bound = await anyio.to_thread.run_sync(binding.bind_quote, uow, context, quote_id)
        record = _policy_record(bound)
        return Response(record, status_code=201, headers={"Location": record.links.self})

    @post(
        "/{quote_id:str}/approve",
        operation_id="approveQuote",
        operation_class=ApiOperation,
        summary="Approve a referred quote (underwriters)",
        description="Records the underwriter's approval of a referred quote so that its owner can "
        "bind it. `409` for a quote that is not referred.",
        status_code=200,
        guards=[requires_role("underwriter")],
        responses={**ERRORS, 404: NOT_FOUND, 409: _NOT_REFERRED},
    )
    async def approve(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
    ) -> Approval:
        row = await anyio.to_thread.run_sync(binding.approve_quote, uow, context, quote_id)
        assert row.approved_by is not None and row.approved_at is not None
        return Approval(
            quote_id=row.id,
            approved_by=row.approved_by,
            approved_at=row.approved_at,
            links=_links(row.id),
        )

    @get(
        "/{quote_id:str}/documents/{filename:str}",
        operation_id="getQuoteDocument",
        operation_class=_DocumentOperation,
        summary="A quote's document: quote-letter or benefits, .pdf or .html",
        description="The bilingual quote letter (报价函) or schedule of benefits (保障计划表), as PDF "
        "(Chinese fonts embedded) or HTML.",
        sync_to_thread=True,
        responses=_DOCUMENT_RESPONSES,
    )
    def quote_document(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        quote_id: FromPath[str],
        filename: FromPath[str],
    ) -> Response[bytes]:
        name, fmt = _split(filename, QUOTE_DOCUMENTS)
        body, download = documents.quote_document(
            uow, context, quote_id, name, fmt, fonts_url(request)
        )
        return _document_response(body, download, fmt)


class PoliciesController(Controller):
    path = POLICIES
    tags = ["Policies"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @get(
        "/",
        operation_id="listPolicies",
        operation_class=ApiOperation,
        summary="Your policies, newest first",
        description="Brokers and agents see their own policies; underwriters and admins see all. "
        "Totals and headcount are those of each policy's newest version (after its applied "
        "endorsements).",
        sync_to_thread=True,
        responses={**ERRORS},
    )
    def list_policies(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="page size")] = 50,
        offset: Annotated[
            int, QueryParameter(ge=0, le=10_000_000, description="policies to skip")
        ] = 0,
    ) -> PolicyPage:
        bound, total = binding.list_policies(uow, context, limit, offset)
        current = endorsements.current_versions(uow, [b.policy.id for b in bound])
        cancelled = endorsements.cancellations(uow, current)
        items = [
            _as_endorsed(_policy_record(b), current.get(b.policy.id), cancelled.get(b.policy.id))
            for b in bound
        ]
        following = (
            f"{POLICIES}?limit={limit}&offset={offset + limit}"
            if offset + len(items) < total
            else None
        )
        return PolicyPage(items=items, total=total, limit=limit, offset=offset, next=following)

    @get(
        "/{policy_id:str}",
        operation_id="getPolicy",
        operation_class=ApiOperation,
        summary="One policy, as of a version of its member list",
        description="The totals are those of the version asked for (default: the newest, "
        "after every applied endorsement): the bound premium plus the premiums of the "
        "endorsements up to it; `headcount` counts the members insured at any time under "
        "it. 404 for a policy that does not exist or is not yours, or a version it does "
        "not have.",
        sync_to_thread=True,
        responses={**ERRORS, 404: _POLICY_NOT_FOUND},
    )
    def get_policy(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        version: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=100_000,
                description="A version of the member list (1: as bound; default: the newest)",
            ),
        ] = None,
    ) -> PolicyRecord:
        record = _policy_record(binding.get_policy(uow, context, policy_id))
        shown = endorsements.policy_version(uow, context, policy_id, version)
        return msgspec.structs.replace(
            record,
            total_premium=shown.premium,
            total_vat=shown.vat,
            headcount=endorsements.insured_count(shown.members)
            if shown.members
            else record.headcount,
            version=shown.number,
            latest_version=shown.latest,
            status="in_force" if shown.cancelled_from is None else "cancelled",
            cancelled_from=shown.cancelled_from,
        )

    @get(
        "/{policy_id:str}/documents/{filename:str}",
        operation_id="getPolicyDocument",
        operation_class=_DocumentOperation,
        summary="A policy's document: policy-schedule, member-list or certificates, .pdf or .html",
        description="The bilingual policy schedule (保险单), member list (被保险人清单, repeated "
        "headers, fit for 1,000+ members) or member certificates (保险凭证, one page each, "
        "English first), as PDF or HTML, as of a version of the member list (default: the "
        "newest, after every applied endorsement; version 1 is the policy as bound). Under "
        "a later version the member list has a row per member and period of cover (a "
        "member who changed site or class has one to the day before the change and one "
        "from it; a member who left is shown covered to their last day), the totals are "
        "the version's, and the schedule states the version and the endorsement it "
        "follows; certificates are one per member with their current terms. Once the "
        "policy has several versions the file is named `{policy number}-v{N}-{document}`. "
        "404 for a version the policy does not have.",
        sync_to_thread=True,
        responses=_POLICY_DOCUMENT_RESPONSES,
    )
    def policy_document(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        filename: FromPath[str],
        version: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=100_000,
                description="A version of the member list (1: as bound; default: the newest)",
            ),
        ] = None,
    ) -> Response[bytes]:
        name, fmt = _split(filename, POLICY_DOCUMENTS)
        body, download = documents.policy_document(
            uow, context, policy_id, name, fmt, fonts_url(request), version
        )
        return _document_response(body, download, fmt)
