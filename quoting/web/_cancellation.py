"""Cancellation of a policy in the broker API (退保)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from quoting.errors import UnsupportedMediaType
from quoting.schemas import PricedEndorsement
from quoting.services import cancellation
from quoting.store import Account
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._endorsements import _EXAMPLE_POLICY, _NOT_FOUND, POLICIES
from quoting.web._openapi import (
    ApiOperation,
    IdempotencyKeyHeader,
    header,
    json_body,
    operation,
    problem,
)
from quoting.web._quotes import ERRORS

__all__ = ["CancellationController"]


@dataclass
class _CancelBody(ApiOperation):
    """Documents the JSON body the handler reads itself (its problems are ``422`` with a
    pointer, as for endorsements)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = json_body(
            "The first day without cover, why, and who cancels.",
            schema="CancellationRequest",
            example=(
                "early_end",
                "The project ends early: the policyholder cancels from 1 July",
                {
                    "effective": "2027-07-01",
                    "reason": "project finished early",
                    "initiator": "policyholder",
                },
            ),
        )


_CancelOperation = operation(
    "_CancelOperation",
    base=_CancelBody,
    headers={
        201: {
            "Location": header(
                "The cancellation, as the policy's last endorsement.",
                examples=[f"{_EXAMPLE_POLICY}/endorsements/3"],
            ),
            "Idempotent-Replayed": header(
                "`true` when an earlier request with the same Idempotency-Key and body made "
                "this cancellation (nothing new was stored).",
                required=False,
                enum=["true"],
            ),
        }
    },
)

_DESCRIPTION = (
    "Ends the whole policy: `effective` is the first day without cover (every member's "
    "last covered day is the day before). It lies within the policy period, not before the "
    "business date and not before the latest endorsement's effective date. Each member's "
    "segment is refunded per member-cover line, rounded half-up once: when the "
    "`policyholder` cancels, the premium earned is the tariff's short-period scale "
    "(`[cancellation].short_period_scale`, by default 1 month 10 % … 9 months 85 %, 10 "
    "90 %, 11 95 %, 12 100 %) at the months begun on risk, so the refund is 1 − earned ÷ "
    "the term factor the segment paid; when the `insurer` cancels, the unused days are "
    "refunded pro rata (paid × unused days ÷ covered days). VAT is refunded line by line "
    "(`round(refund × v/(1+v))`); the bound quote's minimum-premium adjustment stays "
    "earned. The cancellation is stored as the policy's last endorsement "
    "(`{policy number}-E{nn}`, with `cancellation` set; its document, the 退保批单, is at "
    "`…/endorsements/{n}/documents/endorsement.pdf`), makes the last version, ends the "
    "policy's exposure rows, and the policy's `status` becomes `cancelled`. Afterwards an "
    "endorsement or a second cancellation is a `409 policy-cancelled`. Send "
    "`Idempotency-Key` to make retries safe."
)


class CancellationController(Controller):
    """The cancellation of a policy."""

    path = POLICIES
    tags = ["Policies"]

    @post(
        "/{policy_id:str}/cancel",
        operation_id="cancelPolicy",
        operation_class=_CancelOperation,
        summary="Cancel a policy (退保): short-period refund or pro rata by days",
        description=_DESCRIPTION,
        status_code=201,
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            201: ResponseSpec(data_container=PricedEndorsement, description="The cancellation"),
            **ERRORS,
            404: _NOT_FOUND,
            409: problem(
                409,
                "`policy-cancelled`: the policy is cancelled already; `endorsement-pending`: "
                "an endorsement awaits an underwriter",
                "policy GA20270000001 is cancelled from 2027-07-01 (GA20270000001-E03); it "
                "takes no further endorsement or cancellation",
                kind="policy-cancelled",
                title="The policy is cancelled",
                instance=f"{_EXAMPLE_POLICY}/cancel",
            ),
            415: problem(
                415,
                "The body is not JSON",
                "Send application/json, not text/plain.",
                instance=f"{_EXAMPLE_POLICY}/cancel",
            ),
            422: problem(
                422,
                "The request is not valid: `errors` lists every problem with a JSON pointer "
                "(`/effective` outside the period, before the business date or the latest "
                "endorsement; a missing `reason`; an unknown `initiator`); "
                "`idempotency-key-reused` for a key used with another body",
                "a cancellation takes effect on or after the business date 2027-03-02",
                instance=f"{_EXAMPLE_POLICY}/cancel",
            ),
        },
    )
    async def cancel(
        self,
        request: Request[Account, Any, Any],
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[PricedEndorsement]:
        media_type = request.content_type[0]
        if media_type != "application/json":
            raise UnsupportedMediaType(
                f"Send application/json, not {media_type or 'no content type'}."
            )
        command = cancellation.Cancel(policy_id, await request.body(), idempotency_key)
        stored = await anyio.to_thread.run_sync(cancellation.cancel_policy, uow, context, command)
        record = stored.endorsement
        headers = {"Location": f"{POLICIES}/{record.policy_id}/endorsements/{record.seq}"}
        if not stored.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(record, status_code=201, headers=headers)
