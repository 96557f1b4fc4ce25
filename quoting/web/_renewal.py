"""Renewal of a policy in the broker API (续保): the next period's quote."""

from __future__ import annotations

import anyio
from litestar import Controller, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from quoting.services import renewal
from quoting.web._auth import requires_role
from quoting.web._deps import ServiceContext, UnitsOfWork
from quoting.web._endorsements import _EXAMPLE_POLICY, _NOT_FOUND, POLICIES
from quoting.web._openapi import ApiOperation, IdempotencyKeyHeader, header, operation, problem
from quoting.web._quotes import BASE, ERRORS, _json, _record_json
from quoting.web._schemas import QuoteRecord

__all__ = ["RenewalController"]

_RenewalOperation = operation(
    "_RenewalOperation",
    base=ApiOperation,
    headers={
        201: {
            "Location": header("The renewal quote.", examples=["/api/v1/quotes/q_3f9a…"]),
            "Idempotent-Replayed": header(
                "`true` when an earlier request with the same Idempotency-Key made this "
                "quote for the same version of the policy (nothing new was stored).",
                required=False,
                enum=["true"],
            ),
        }
    },
)

_DESCRIPTION = (
    "Prices and stores the quote for the policy's next period: from the day after it ends, "
    "as long as it (a year stays a year), for the members it covers on its last day "
    "(their own cover dates dropped; a stated age grows by the whole years from the "
    "member's first day of cover to the new start, a date of birth gives the age at the "
    "new start), on its plans, currency, channel terms (an agent's commission as bound, a "
    "broker's from its account now) and underwriter adjustment (beyond the tariff's "
    "automatic authority it refers the renewal, as any quote), under the tariff in force "
    "on the renewal date. The quote belongs to the policy's owner, whoever prepares it. "
    "Its `experience` (SPEC §3 step 3) is the days of cover and the claims of its covers "
    "(paid + outstanding) to the business date of this policy, of the policies it renews "
    "and of the same owner's earlier policies for the policyholder (same credit code, "
    "ended before it began, begun within ten years), listed in "
    "`renewal.experience.policies`; none before any cover was earned. `renewal` splits "
    "the change against the expiring premium (the policy's newest version), each step "
    "with the expiring experience factor until the last: `census_change` (the renewal "
    "census under the expiring tariff and terms), `tariff_change` (under the renewal "
    "tariff), `terms_change` (on the renewal's terms) and `experience_change` (with the "
    "new experience); `expiring_premium` plus the four is `total_premium` to the cent. "
    "The answer is the stored quote as `POST /api/v1/quotes` returns it; binding it makes "
    "the renewal policy, whose `renewal_of` is this policy (a `409 renewal-outdated` if "
    "the policy changed since). No body. Send `Idempotency-Key` to make retries safe."
)


class RenewalController(Controller):
    """The renewal quote of a policy."""

    path = POLICIES
    tags = ["Policies"]

    @post(
        "/{policy_id:str}/renewal-quote",
        operation_id="createRenewalQuote",
        operation_class=_RenewalOperation,
        summary="Prepare the renewal quote of a policy (续保), with its claims experience",
        description=_DESCRIPTION,
        status_code=201,
        guards=[requires_role("broker", "agent", "underwriter")],
        responses={
            201: ResponseSpec(data_container=QuoteRecord, description="The renewal quote"),
            **ERRORS,
            404: _NOT_FOUND,
            409: problem(
                409,
                "`policy-renewed`: the policy is renewed already; `policy-cancelled`: it is "
                "cancelled; `endorsement-pending`: an endorsement awaits an underwriter",
                "policy GA20270000001 is renewed already, as policy GA20270000112",
                kind="policy-renewed",
                title="The policy is renewed already",
                instance=f"{_EXAMPLE_POLICY}/renewal-quote",
            ),
            422: problem(
                422,
                "The renewal is not valid under the renewal tariff (`errors` lists each "
                "problem at its pointer into the renewal request), the policy covers nobody "
                "on its last day, no tariff is in force on the renewal date, or "
                "`idempotency-key-reused` for a key used on another version of the policy",
                "policy GA20270000001 covers no member on its last day: there is nobody to renew",
                instance=f"{_EXAMPLE_POLICY}/renewal-quote",
            ),
        },
    )
    async def renewal_quote(
        self,
        uow: UnitsOfWork,
        context: ServiceContext,
        policy_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[QuoteRecord]:
        command = renewal.RenewPolicy(policy_id, idempotency_key)
        stored = await anyio.to_thread.run_sync(renewal.renewal_quote, uow, context, command)
        row = stored.quote
        headers = {"Location": f"{BASE}/{row.id}"}
        if not stored.created:
            headers["Idempotent-Replayed"] = "true"
        return _json(_record_json(row), 201, headers)
