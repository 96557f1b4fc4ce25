"""Claims experience, the pure rules: the checks of reported claims against the policy's
member segments, and the premium earned by days to a date (after endorsements and a
cancellation, since it reads the newest version's segments)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from quoting.errors import FieldPath, Problem
from quoting.schemas import ClaimCorrection, ClaimInput, ClaimStatus, ClaimValues, VersionMember

__all__ = ["check_claims", "check_correction", "earned_cents", "member_days"]

#: The largest claim amount taken (ten billion in the policy currency).
_MAX_AMOUNT = 10**10


def _covered_days(segment: VersionMember, as_of: dt.date) -> tuple[int, int]:
    """Days of the segment up to ``as_of`` (inclusive), and all its days."""
    days = (segment.end - segment.start).days + 1
    elapsed = (min(as_of, segment.end) - segment.start).days + 1
    return max(0, min(days, elapsed)), max(days, 0)


def earned_cents(
    members: list[VersionMember],
    adjustment_net_cents: int,
    period: tuple[dt.date, dt.date],
    as_of: dt.date,
) -> int:
    """The premium net of VAT earned by days up to ``as_of``: each segment's net premium
    × its days elapsed / its days of cover, plus the bound quote's adjustment lines over
    the period the policy covered anyone; summed exactly, rounded half-up once."""
    total = Decimal(0)
    last = max((m.end for m in members if m.start <= m.end), default=period[1])
    for m in members:
        elapsed, days = _covered_days(m, as_of)
        if days <= 0 or elapsed <= 0:
            continue
        net = Decimal(m.premium) - Decimal(m.vat)
        total += net * elapsed / days
    if adjustment_net_cents:
        days = (last - period[0]).days + 1
        elapsed = max(0, min(days, (min(as_of, last) - period[0]).days + 1))
        total += Decimal(adjustment_net_cents) / 100 * elapsed / days
    return int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def member_days(members: list[VersionMember], as_of: dt.date) -> int:
    """Days of cover of all members up to ``as_of``."""
    return sum(_covered_days(m, as_of)[0] for m in members if m.start <= m.end)


def check_claims(
    claims: list[ClaimInput],
    members: list[VersionMember],
    period: tuple[dt.date, dt.date],
    today: dt.date,
) -> list[Problem]:
    """Every problem of the claims at once, at ``("claims", i, field)``: a member the
    policy never covered, a date of loss outside the period, after the business date or
    on a day the member was not covered, a cover not in the member's plan, amounts
    below the cent, a closed claim with an amount outstanding."""
    by_member: dict[str, list[VersionMember]] = {}
    for m in members:
        by_member.setdefault(m.member.member_id, []).append(m)
    problems: list[Problem] = []
    for i, claim in enumerate(claims):
        where: FieldPath = ("claims", i)
        segments = by_member.get(claim.member_id)
        if segments is None:
            problems.append(
                Problem(
                    f"{claim.member_id} is not a member of this policy", path=(*where, "member_id")
                )
            )
            continue
        problems += _date_problems(claim, segments, period, today, where)
        problems += _amount_problems(claim.paid, (*where, "paid"))
        problems += _amount_problems(claim.outstanding, (*where, "outstanding"))
        if claim.status == "closed" and claim.outstanding:
            problems.append(Problem.of("claim.closed_outstanding", path=(*where, "outstanding")))
    return problems


def _amount_problems(value: Decimal, path: FieldPath) -> list[Problem]:
    """A claim amount: finite, from 0 to ten billion, to the cent."""
    if not value.is_finite() or value < 0 or value > _MAX_AMOUNT:
        return [Problem.of("claim.amount_range", path=path)]
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        return [Problem.of("claim.amount_cents", path=path)]
    return []


def check_correction(
    before: ClaimValues, correction: ClaimCorrection
) -> tuple[ClaimValues, list[Problem]]:
    """A claim's values after ``correction`` (the fields it gives replace the claim's), or
    ``before`` and every problem of it at once, checked as a new claim is (amounts from 0
    to the cent, a closed claim has nothing outstanding; paths are the correction's
    fields)."""
    given = [f for f in ("paid", "outstanding", "status") if getattr(correction, f) is not None]
    if not given:
        return before, [Problem.of("claim.correction_empty")]
    problems: list[Problem] = []
    for name in ("paid", "outstanding"):
        value: Decimal | None = getattr(correction, name)
        if value is not None:
            problems += _amount_problems(value, (name,))
    if problems:
        return before, problems
    paid = before.paid if correction.paid is None else f"{correction.paid:.2f}"
    outstanding = (
        before.outstanding if correction.outstanding is None else f"{correction.outstanding:.2f}"
    )
    status: ClaimStatus = correction.status or before.status
    if status == "closed" and Decimal(outstanding):
        if correction.outstanding is not None:
            problems.append(Problem.of("claim.closed_outstanding", path=("outstanding",)))
        else:
            problems.append(
                Problem.of("claim.close_with_outstanding", path=("status",), amount=outstanding)
            )
    if problems:
        return before, problems
    return ClaimValues(paid=paid, outstanding=outstanding, status=status), []


def _date_problems(
    claim: ClaimInput,
    segments: list[VersionMember],
    period: tuple[dt.date, dt.date],
    today: dt.date,
    where: FieldPath,
) -> list[Problem]:
    loss = claim.loss_date
    if not period[0] <= loss <= period[1]:
        message = f"{loss} is outside the policy period {period[0]} to {period[1]}"
        return [Problem(message, path=(*where, "loss_date"))]
    if loss > today:
        return [Problem(f"{loss} is after the business date {today}", path=(*where, "loss_date"))]
    covering = [s for s in segments if s.start <= loss <= s.end]
    if not covering:
        spans = ", ".join(f"{s.start} to {s.end}" for s in segments if s.start <= s.end)
        message = f"{claim.member_id} was not covered on {loss} (covered {spans or 'never'})"
        return [Problem(message, path=(*where, "loss_date"))]
    covers = [line.cover for line in covering[0].lines]
    if claim.cover not in covers:
        message = f"{claim.member_id}'s plan has no cover {claim.cover}; it has {', '.join(covers)}"
        return [Problem(message, path=(*where, "cover"))]
    return []
