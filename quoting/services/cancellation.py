"""Cancellation (退保): the whole policy ends on a date, refunded by the tariff's
short-period scale when the policyholder asks, pro rata by days when the insurer cancels.

A cancellation is the policy's last endorsement: it takes the next endorsement number,
makes the last version (every segment ended the day before the effective date), is
idempotent with ``Idempotency-Key`` like an endorsement, ends the policy's exposure rows
in the same transaction and writes a ``policy.cancelled`` event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from quoting.errors import Problem, RequestError
from quoting.policies import (
    SegmentRefund,
    cancellation_refunds,
    check_cancellation,
    endorsement_number,
    in_force,
    version_total_cents,
)
from quoting.pricing import cents_to_text
from quoting.schemas import (
    CancellationRequest,
    CancellationTerms,
    EndorsementMember,
    EndorsementRequest,
    PolicyTotals,
    PricedEndorsement,
    VersionMember,
)
from quoting.services._context import Context
from quoting.services.endorsements import (
    _ATTEMPTS,
    StoredEndorsement,
    _replay,
    _rows,
    _State,
    _state,
    _store,
    refuse_if_cancelled,
    refuse_while_pending,
    replace_exposure,
)
from quoting.services.quotation import request_fingerprint
from quoting.store import Conflict, UnitOfWorkFactory
from quoting.tariff.registry import registry_for
from quoting.validation import decode_body

__all__ = ["Cancel", "cancel_policy"]

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel a policy with a JSON :class:`CancellationRequest`."""

    policy_id: str
    raw_request: bytes
    idempotency_key: str | None = None


def _decode(raw: bytes) -> CancellationRequest:
    return decode_body(raw, CancellationRequest)


def _cents(text: str) -> int:
    return int(Decimal(text).scaleb(2).to_integral_exact())


def _part(refund: SegmentRefund) -> EndorsementMember:
    """A segment's refund as a member part of the cancellation."""
    old, ended = refund.segment, refund.ended
    return EndorsementMember(
        member_id=old.member.member_id,
        name=old.member.name,
        action="cancel",
        kind="refund",
        start=ended.end + _DAY,
        end=old.end,
        days=(old.end - ended.end).days,
        premium=cents_to_text(sum(_cents(x.premium) for x in refund.lines)),
        vat=cents_to_text(sum(_cents(x.vat) for x in refund.lines)),
        lines=refund.lines,
    )


def _priced(
    ctx: Context, state: _State, request: CancellationRequest
) -> tuple[PricedEndorsement, list[VersionMember]]:
    """The cancellation of ``state`` as the client sees it, and the last version's
    segments; nothing is stored."""
    if state.request.census.members is None:
        raise RequestError(
            Problem(
                "this policy insures a headcount grid without named members; its "
                "cancellation is made by the insurer's staff, not through this route",
                path=(),
            )
        )
    quote = state.quote
    last_endorsed = max((e.effective for e in state.endorsements), default=None)
    period = (quote.period_start, quote.period_end)
    check_cancellation(request.effective, period, ctx.today(), last_endorsed)
    tariff = registry_for(ctx.tariff_root).by_hash(quote.tariff.hash)
    scale = list(tariff.params.cancellation.short_period_scale)
    members, refunds = cancellation_refunds(
        state.members,
        request.effective,
        request.initiator,
        scale=scale,
        bound_scale=list(tariff.params.short_period.factors),
    )
    parts = [_part(r) for r in refunds]
    seq = len(state.endorsements) + 1
    premium, vat = version_total_cents(members, state.adjustment_cents)
    record = PricedEndorsement(
        number=endorsement_number(state.policy.policy_number, seq),
        seq=seq,
        policy_id=state.policy.id,
        policy_number=state.policy.policy_number,
        status="accepted",
        effective=request.effective,
        reason=request.reason,
        currency=quote.currency,
        premium=cents_to_text(sum(_cents(p.premium) for p in parts)),
        vat=cents_to_text(sum(_cents(p.vat) for p in parts)),
        base_version=state.version,
        policy_version=state.version + 1,
        members=parts,
        referrals=[],
        totals=PolicyTotals(
            version=state.version + 1,
            premium=cents_to_text(premium),
            vat=cents_to_text(vat),
            headcount=len(in_force(members, request.effective)),
        ),
        created_at=ctx.now(),
        created_by=ctx.acting().id,
        request=EndorsementRequest(effective=request.effective, reason=request.reason),
        cancellation=CancellationTerms(
            initiator=request.initiator,
            basis="short_period_scale" if request.initiator == "policyholder" else "pro_rata_days",
            short_period_scale=scale if request.initiator == "policyholder" else [],
            retained_adjustment=cents_to_text(state.adjustment_cents[0]),
        ),
        cancellation_request=request,
    )
    return record, members


def cancel_policy(uow: UnitOfWorkFactory, ctx: Context, command: Cancel) -> StoredEndorsement:
    """Cancel a policy the acting account may see from ``effective`` (the first day
    without cover): every member's segment ends the day before and is refunded, by the
    tariff's short-period scale (policyholder) or pro rata by days (insurer); the bound
    quote's minimum-premium adjustment stays earned. The cancellation is the policy's
    last endorsement and version; its exposure rows end the day before ``effective``; a
    ``policy.cancelled`` event is written in the same transaction.

    Raises :class:`RequestError` (path ``effective``), :class:`NotFound`,
    :class:`PolicyCancelled`, :class:`EndorsementPending` or
    :class:`IdempotencyKeyReused`; the same key and body again return the cancellation
    (``created=False``).
    """
    request = _decode(command.raw_request)
    fingerprint = request_fingerprint(command.raw_request, None)
    key = command.idempotency_key
    for _ in range(_ATTEMPTS):
        with uow() as work:
            state = _state(work, ctx, command.policy_id)
            earlier = _replay(work, state.policy.id, key, fingerprint)
        if earlier is not None:
            return StoredEndorsement(earlier, False)
        refuse_if_cancelled(state)
        refuse_while_pending(state)
        record, members = _priced(ctx, state, request)
        row, version = _rows(record, members, key, fingerprint)
        tariff = registry_for(ctx.tariff_root).by_hash(state.quote.tariff.hash)
        exposure = replace_exposure(state, members, tariff)
        try:
            if _store(uow, ctx, state, row, version, "policy.cancelled", exposure):
                return StoredEndorsement(record, True)
        except Conflict:
            continue
    raise Conflict(f"policy {command.policy_id} kept changing while it was cancelled")
