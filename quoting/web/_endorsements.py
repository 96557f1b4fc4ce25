"""Endorsements of the broker API: members joining, leaving and changing on a policy, its
endorsements, and who it covers on a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from quoting.documents import ENDORSEMENT_DOCUMENTS
from quoting.schemas import PolicyMember, PricedEndorsement, VersionMember
from quoting.services import endorsements, policy_documents
from quoting.store import Account
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._fonts import fonts_url
from quoting.web._openapi import (
    ApiOperation,
    IdempotencyKeyHeader,
    header,
    json_or_census_file,
    operation,
    problem,
)
from quoting.web._policies import (
    _DOCUMENT_RESPONSES,
    _document_response,
    _DocumentOperation,
    _split,
)
from quoting.web._quotes import _CREATE_PROBLEMS, ERRORS, _read_body

__all__ = ["EndorsementsController", "MembersOnDate"]

POLICIES = "/api/v1/policies"
_EXAMPLE_POLICY = f"{POLICIES}/pol_3c1d9e2f4a6b8c0d2e4f6a8b"
_NOT_FOUND = problem(
    404,
    "No policy with this id among yours, or no endorsement of that number",
    "No policy pol_3c1d9e2f4a6b8c0d2e4f6a8b among yours.",
    instance=_EXAMPLE_POLICY,
)
_EXAMPLE_BODY = {
    "effective": "2027-07-01",
    "add": [
        {
            "member_id": "E003",
            "name": "Zhao Lei",
            "date_of_birth": "1990-05-20",
            "occupation_class": 3,
            "country": "Kenya",
            "site": "Mombasa port",
        }
    ],
    "remove": [{"member_id": "E002"}],
    "change": [{"member_id": "E001", "site": "Weda Bay"}],
    "reason": "rotation of July",
}


class MembersOnDate(msgspec.Struct):
    """Who a policy covers on a date (its newest version)."""

    on: dt.date
    count: int
    members: list[PolicyMember]


class EndorsementPage(msgspec.Struct):
    """A policy's endorsements, in order."""

    items: list[PricedEndorsement]
    total: int


@dataclass
class _EndorsementBody(ApiOperation):
    """Documents the bodies the handler reads itself, JSON or multipart (so that every
    problem of them is a ``422`` with a pointer or a file row, as for quotes)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = json_or_census_file(
            "Members joining (census rows), leaving and changing on one date, as JSON; or "
            "multipart/form-data with a `request` part (the same JSON without `add`) and a "
            "`census` file (.csv, .xlsx or .json, at most 10 MB) of the members who join.",
            schema="EndorsementRequest",
            example=("july", "One joins, one leaves, one moves", _EXAMPLE_BODY),
            without="add",
            census="Census file of the members who join",
        )


_EndorseOperation = operation(
    "_EndorseOperation",
    base=_EndorsementBody,
    headers={
        201: {
            "Location": header(
                "Where the endorsement is.", examples=[f"{_EXAMPLE_POLICY}/endorsements/1"]
            ),
            "Idempotent-Replayed": header(
                "`true` when an earlier request with the same Idempotency-Key and body made "
                "this endorsement (nothing new was stored).",
                required=False,
                enum=["true"],
            ),
        }
    },
)


def _member(segment: VersionMember) -> PolicyMember:
    m = segment.member
    return PolicyMember(
        member_id=m.member_id,
        name=m.name,
        country=m.country,
        occupation_class=m.occupation_class,
        occupation_code=m.occupation_code,
        site=m.site,
        start=segment.start,
        end=segment.end,
        premium=segment.premium,
    )


class EndorsementsController(Controller):
    """Endorsements under a policy, and its members on a date."""

    path = POLICIES
    tags = ["Policies"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @post(
        "/{policy_id:str}/endorsements",
        operation_id="endorsePolicy",
        operation_class=_EndorseOperation,
        summary="Endorse a policy: members join, leave or change (批改)",
        description=(
            "`effective` is the first day of the change: an added member is covered from it "
            "to the policy end (or their own `end`), a removed member's last covered day is "
            "the day before, a changed member carries the new terms from it (a change is a "
            "refund and an addition on the same day). Additions are priced under the "
            "policy's own tariff version and terms (commission, adjustment, experience "
            "factor as bound) in the group of the new version on the effective date: the "
            "annual line premium × days/365, rounded half-up per member-cover line. Removals "
            "refund the paid line premium × unused days / covered days, less the tariff's "
            "refund retention. `premium` and `vat` are negative for a net refund. The "
            "quote's underwriting rules apply: a declined member is a `422`; a referral "
            "(refer country, class or sum insured above the automatic limits, site "
            "accumulation, a backdated effective date) makes the endorsement `referred`, and "
            "the policy changes only when another underwriter approves it. Send "
            "`Idempotency-Key` to make retries safe. Concurrent endorsements of one policy "
            "are applied one after the other. `409` while an earlier endorsement awaits "
            "approval."
        ),
        status_code=201,
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            201: ResponseSpec(data_container=PricedEndorsement, description="The endorsement"),
            **ERRORS,
            404: _NOT_FOUND,
            413: _CREATE_PROBLEMS[413],
            415: _CREATE_PROBLEMS[415],
            409: problem(
                409,
                "`endorsement-pending`: an earlier endorsement awaits an underwriter",
                "endorsement GA20260000001-E01 awaits an underwriter's approval; the policy "
                "changes again once it is approved",
                kind="endorsement-pending",
                title="An endorsement awaits approval",
                instance=f"{_EXAMPLE_POLICY}/endorsements",
            ),
            422: problem(
                422,
                "The request is not valid: `errors` lists every problem with a JSON pointer "
                "(unknown or duplicate member, effective date outside the period, a declined "
                "member, …); `idempotency-key-reused` for a key used with another body",
                "E999 is not covered on 2027-07-01",
                instance=f"{_EXAMPLE_POLICY}/endorsements",
            ),
        },
    )
    async def endorse(
        self,
        request: Request[Account, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[PricedEndorsement]:
        body = await _read_body(request)
        command = endorsements.Endorse(policy_id, body.raw, idempotency_key, body.census)
        stored = await anyio.to_thread.run_sync(endorsements.endorse, uow, context, command)
        record = stored.endorsement
        headers = {"Location": f"{POLICIES}/{record.policy_id}/endorsements/{record.seq}"}
        if not stored.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(record, status_code=201, headers=headers)

    @get(
        "/{policy_id:str}/endorsements",
        operation_id="listEndorsements",
        operation_class=ApiOperation,
        summary="A policy's endorsements, in order",
        description="Every endorsement of the policy, accepted, referred or approved, as "
        "its `POST` returned it (an approved one with its approval). 404 for a policy that "
        "is not yours.",
        sync_to_thread=True,
        responses={**ERRORS, 404: _NOT_FOUND},
    )
    def list_endorsements(
        self, uow: UnitsOfWork, context: ServiceContext, policy_id: FromPath[str]
    ) -> EndorsementPage:
        items = endorsements.list_endorsements(uow, context, policy_id)
        return EndorsementPage(items=items, total=len(items))

    @get(
        "/{policy_id:str}/endorsements/{seq:int}",
        operation_id="getEndorsement",
        operation_class=ApiOperation,
        summary="One endorsement of a policy (1, 2, …)",
        description="The endorsement numbered `seq` (the `nn` of `{policy number}-E{nn}`). "
        "404 for a policy that is not yours or an endorsement it does not have.",
        sync_to_thread=True,
        responses={**ERRORS, 404: _NOT_FOUND},
    )
    def get_endorsement(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
    ) -> PricedEndorsement:
        return endorsements.get_endorsement(uow, context, policy_id, seq)

    @post(
        "/{policy_id:str}/endorsements/{seq:int}/approve",
        operation_id="approveEndorsement",
        operation_class=ApiOperation,
        summary="Approve a referred endorsement (underwriters)",
        description="Applies a referred endorsement: the policy version it was priced to make "
        "becomes the newest. Not for the underwriter who made it (`403`); `409` for an "
        "endorsement that is not referred. Approving an approved one returns it.",
        status_code=200,
        guards=[requires_role("underwriter")],
        responses={
            **ERRORS,
            404: _NOT_FOUND,
            409: problem(
                409,
                "`not-referred`: only a referred endorsement needs (and can get) an approval",
                "endorsement GA20260000001-E01 is accepted; only referred ones need approval",
                kind="not-referred",
                title="Nothing to approve",
                instance=f"{_EXAMPLE_POLICY}/endorsements/1/approve",
            ),
        },
    )
    async def approve(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
    ) -> PricedEndorsement:
        return await anyio.to_thread.run_sync(
            endorsements.approve_endorsement, uow, context, policy_id, seq
        )

    @get(
        "/{policy_id:str}/members",
        operation_id="getPolicyMembers",
        operation_class=ApiOperation,
        summary="Who the policy covers on a date",
        description="The members covered on `on` under the policy's newest version, each with "
        "the segment of cover the date falls in (none outside the policy period).",
        sync_to_thread=True,
        responses={**ERRORS, 404: _NOT_FOUND},
    )
    def members(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        on: Annotated[dt.date, QueryParameter(description="The date, e.g. 2027-07-01")],
    ) -> MembersOnDate:
        found = endorsements.members_on(uow, context, policy_id, on)
        return MembersOnDate(on=on, count=len(found), members=[_member(m) for m in found])

    @get(
        "/{policy_id:str}/endorsements/{seq:int}/documents/{filename:str}",
        operation_id="getEndorsementDocument",
        operation_class=_DocumentOperation,
        summary="An endorsement's documents: endorsement (批单) or certificates, .pdf or .html",
        description="`endorsement`: the bilingual endorsement — what changed for whom, from "
        "when, the premium due or refunded with its VAT, and the policy's totals after it "
        "(a referred endorsement says it awaits underwriting; a cancellation is the 退保批单). "
        "`certificates`: the certificates of insurance (保险凭证, the template of the policy's "
        "certificates, one page each) of the members the endorsement added or changed to "
        "new terms, each covered from the effective date, with their certificate numbers "
        "(a member keeps theirs; a joiner gets the next one) and verification codes. An "
        "endorsement that adds nobody (removals only, a cancellation) has none: `409 "
        "no-certificates`; a referred endorsement's certificates are refused until it is "
        "approved: `409 endorsement-referred`.",
        sync_to_thread=True,
        responses={
            **_DOCUMENT_RESPONSES,
            409: problem(
                409,
                "`no-certificates`: the endorsement adds or changes no member (removals "
                "only, or the cancellation); `endorsement-referred`: it awaits an "
                "underwriter's approval",
                "endorsement GA20270000001-E02 only removes members; it adds no member and "
                "has no certificates",
                kind="no-certificates",
                title="The endorsement has no certificates",
                instance=f"{_EXAMPLE_POLICY}/endorsements/2/documents/certificates.pdf",
            ),
        },
    )
    def endorsement_document(
        self,
        request: Request[Any, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
        filename: FromPath[str],
    ) -> Response[bytes]:
        name, fmt = _split(filename, (*ENDORSEMENT_DOCUMENTS, "certificates"))
        if name == "certificates":
            body, download = policy_documents.endorsement_certificates(
                uow, context, policy_id, seq, fmt, fonts_url(request)
            )
        else:
            body, download = endorsements.endorsement_document(
                uow, context, policy_id, seq, fmt, fonts_url(request)
            )
        return _document_response(body, download, fmt)
