"""Claims of a policy in the broker API: record (JSON or a CSV/XLSX file) and the claims
experience (count, incurred, earned premium by days, loss ratio)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.params import FromPath, QueryParameter

from quoting.errors import MalformedRequest, TooLarge, UnsupportedMediaType
from quoting.schemas import Claim, ClaimDetail, ClaimsSummary
from quoting.services import claims as service
from quoting.services.quotation import CensusUpload
from quoting.store import Account
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._endorsements import _EXAMPLE_POLICY, _NOT_FOUND, POLICIES
from quoting.web._openapi import ApiOperation, binary, problem
from quoting.web._quotes import ERRORS

__all__ = ["ClaimsController", "ClaimsPage"]

_MAX_FILE_BYTES = 10 * 1024 * 1024


class ClaimsPage(msgspec.Struct):
    """A policy's claims (those with a date of loss up to ``summary.as_of``) and their
    summary."""

    items: list[Claim]
    total: int
    summary: ClaimsSummary


class RecordedClaims(msgspec.Struct):
    """The claims just recorded."""

    items: list[Claim]
    total: int


def _text(description: str, **extra: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, **extra)


# The ClaimsRequest body, inline: no response carries it, so it is no component.
_CLAIMS_REQUEST = Schema(
    type=OpenAPIType.OBJECT,
    required=["claims"],
    properties={
        "claims": Schema(
            type=OpenAPIType.ARRAY,
            min_items=1,
            max_items=10_000,
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["member_id", "cover", "loss_date"],
                properties={
                    "member_id": _text("A member of the policy", max_length=64),
                    "cover": _text(
                        "A cover of the member's plan",
                        enum=["add", "amed", "smed", "evac", "sdeath", "hcash"],
                    ),
                    "loss_date": _text("The date of loss", format=OpenAPIFormat.DATE),
                    "paid": _text("Paid so far, ≥ 0, to the cent (default 0)"),
                    "outstanding": _text("Reserved, ≥ 0, to the cent (default 0)"),
                    "status": _text("Default open", enum=["open", "closed"]),
                    "reference": _text("The insurer's claim number", max_length=64),
                },
            ),
        )
    },
)


@dataclass
class _ClaimsBody(ApiOperation):
    """The body the handler reads itself: JSON, or a claims file."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = RequestBody(
            required=True,
            description='`{"claims": [...]}` as JSON, or multipart/form-data with a `claims` '
            "file (.csv or .xlsx; columns member_id, cover, loss_date, paid, outstanding, "
            "status, reference — or their Chinese headers 工号, 险种, 出险日期, 已决赔款, "
            "未决赔款, 案件状态, 赔案号).",
            content={
                "application/json": OpenAPIMediaType(
                    schema=_CLAIMS_REQUEST,
                    example={
                        "claims": [
                            {
                                "member_id": "E001",
                                "cover": "amed",
                                "loss_date": "2027-03-20",
                                "paid": "800.50",
                                "outstanding": "0",
                                "status": "closed",
                                "reference": "R-2027-001",
                            }
                        ]
                    },
                ),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["claims"],
                        properties={"claims": binary("Claims file (.csv or .xlsx)")},
                    )
                ),
            },
        )


_CORRECTION = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "paid": _text("Paid so far, ≥ 0, to the cent: the new total, not an increment"),
        "outstanding": _text("Reserved now, ≥ 0, to the cent (0 on a closed claim)"),
        "status": _text("The claim's status now", enum=["open", "closed"]),
        "reason": _text("Why (kept with the correction)", max_length=500),
    },
)


@dataclass
class _CorrectionBody(ApiOperation):
    """The JSON body the handler reads itself (its problems are ``422`` with pointers)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = RequestBody(
            required=True,
            description="The claim's paid and outstanding amounts and status as they stand "
            "now (decimal strings); a field left out keeps its value; at least one of "
            "`paid`, `outstanding`, `status`.",
            content={
                "application/json": OpenAPIMediaType(
                    schema=_CORRECTION,
                    example={
                        "paid": "1350.00",
                        "outstanding": "0",
                        "status": "closed",
                        "reason": "final hospital bill received",
                    },
                )
            },
        )


_CLAIM_NOT_FOUND = problem(
    404,
    "No policy with this id among yours, or no claim of that number",
    "No claim 4 of policy GA20270000001.",
    instance=f"{_EXAMPLE_POLICY}/claims/4",
)


async def _command(request: Request[Account, Any, Any], policy_id: str) -> service.RecordClaims:
    media_type = request.content_type[0]
    if media_type == "application/json":
        return service.RecordClaims(policy_id, await request.body())
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType(
            f"Send application/json or multipart/form-data, not {media_type or 'no content type'}."
        )
    upload = (await request.form()).get("claims")
    if not isinstance(upload, UploadFile):
        raise MalformedRequest("The multipart body needs a 'claims' file part.")
    name = upload.filename or "claims"
    if not name.lower().endswith((".csv", ".xlsx")):
        raise UnsupportedMediaType(f"The claims file {name!r} must be .csv or .xlsx.")
    data = await upload.read(_MAX_FILE_BYTES + 1)
    if len(data) > _MAX_FILE_BYTES:
        raise TooLarge("The claims file is larger than 10 MB.")
    return service.RecordClaims(policy_id, file=CensusUpload(name, data))


class ClaimsController(Controller):
    """The claims of a policy."""

    path = POLICIES
    tags = ["Policies"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @post(
        "/{policy_id:str}/claims",
        operation_id="recordClaims",
        operation_class=_ClaimsBody,
        summary="Record claims on a policy (JSON or a CSV/XLSX file)",
        description="Each claim names a member of the policy, a cover of their plan, the "
        "date of loss (within the period, on a day the member was covered, not after the "
        "business date), the amounts paid and outstanding (≥ 0, to the cent) and the "
        "status (`open`, `closed`: nothing outstanding). All or none are recorded; every "
        "problem is listed at once, with a JSON pointer (`/claims/2/loss_date`) or the "
        "file's row and column. Claims are numbered `{policy number}-C{nnn}`.",
        status_code=201,
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            201: ResponseSpec(data_container=RecordedClaims, description="The claims recorded"),
            **ERRORS,
            404: _NOT_FOUND,
            413: problem(
                413,
                "The file is larger than 10 MB",
                "The claims file is larger than 10 MB.",
                instance=f"{_EXAMPLE_POLICY}/claims",
            ),
            415: problem(
                415,
                "Neither JSON nor a multipart claims file",
                "Send application/json or multipart/form-data, not text/plain.",
                instance=f"{_EXAMPLE_POLICY}/claims",
            ),
            422: problem(
                422,
                "A claim is not valid: `errors` lists every problem with a pointer or a row "
                "and column",
                "E003 was not covered on 2027-02-10 (covered 2027-03-01 to 2027-12-31)",
                instance=f"{_EXAMPLE_POLICY}/claims",
            ),
        },
    )
    async def record(
        self,
        request: Request[Account, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
    ) -> Response[RecordedClaims]:
        command = await _command(request, policy_id)
        items = await anyio.to_thread.run_sync(service.record_claims, uow, context, command)
        return Response(RecordedClaims(items=items, total=len(items)), status_code=201)

    @get(
        "/{policy_id:str}/claims",
        operation_id="listClaims",
        operation_class=ApiOperation,
        summary="A policy's claims and its claims experience",
        description="The claims with a date of loss up to `as_of` (default: the business "
        "date) and their summary: count, paid, outstanding, incurred (paid + outstanding), "
        "the premium net of VAT earned by days to `as_of` (each member segment of the "
        "newest version — so after endorsements and a cancellation — × days elapsed / its "
        "days, plus minimum-premium adjustments over the period covered), the loss ratio "
        "incurred / earned (4 places; null while nothing is earned) and the member-years "
        "of cover.",
        sync_to_thread=True,
        responses={**ERRORS, 404: _NOT_FOUND},
    )
    def list_claims(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        as_of: Annotated[
            dt.date | None,
            QueryParameter(description="The date of the summary, e.g. 2027-09-30"),
        ] = None,
    ) -> ClaimsPage:
        report = service.claims_report(uow, context, policy_id, as_of)
        return ClaimsPage(items=report.claims, total=len(report.claims), summary=report.summary)

    @get(
        "/{policy_id:str}/claims/{seq:int}",
        operation_id="getClaim",
        operation_class=ApiOperation,
        summary="One claim of a policy, with its corrections",
        description="The claim numbered `seq` (the `nnn` of `{policy number}-C{nnn}`) as it "
        "stands, `corrected_at` and `corrected_by` of its last correction, and every "
        "correction (`before`, `after`, `reason`, when, by whom), oldest first. 404 for a "
        "policy that is not yours or a claim it does not have.",
        sync_to_thread=True,
        responses={**ERRORS, 404: _CLAIM_NOT_FOUND},
    )
    def get_claim(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
    ) -> ClaimDetail:
        return service.get_claim(uow, context, policy_id, seq)

    @patch(
        "/{policy_id:str}/claims/{seq:int}",
        operation_id="correctClaim",
        operation_class=_CorrectionBody,
        summary="Correct a claim: its paid and outstanding amounts and status as they stand",
        description="The amounts given replace the claim's (they are totals now, not "
        "increments), checked as a new claim's are: ≥ 0 and to the cent, a `closed` claim "
        "has nothing outstanding (closing a claim with an amount outstanding needs "
        "`outstanding` 0 in the same request). The claim keeps its number; each correction "
        "is kept in the audit trail as a `claim.corrected` event with the values before and "
        "after, and the claims summary (incurred, loss ratio) follows. Sending the same "
        "values again changes nothing and records nothing. Same roles as recording claims; "
        "a broker corrects only claims of their own policies (404).",
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            200: ResponseSpec(data_container=ClaimDetail, description="The claim as corrected"),
            **ERRORS,
            404: _CLAIM_NOT_FOUND,
            415: problem(
                415,
                "The body is not JSON",
                "Send application/json, not text/plain.",
                instance=f"{_EXAMPLE_POLICY}/claims/1",
            ),
            422: problem(
                422,
                "The correction is not valid: `errors` lists every problem with its pointer "
                "(`/paid`, `/outstanding`, `/status`)",
                "a closed claim has nothing outstanding",
                instance=f"{_EXAMPLE_POLICY}/claims/1",
            ),
        },
    )
    async def correct(
        self,
        request: Request[Account, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        seq: FromPath[int],
    ) -> ClaimDetail:
        media_type = request.content_type[0]
        if media_type != "application/json":
            raise UnsupportedMediaType(
                f"Send application/json, not {media_type or 'no content type'}."
            )
        command = service.CorrectClaim(policy_id, seq, await request.body())
        return await anyio.to_thread.run_sync(service.correct_claim, uow, context, command)
