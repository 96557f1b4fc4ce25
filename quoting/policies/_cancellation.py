"""Cancellation of a whole policy, the pure rules: which days may be the first without
cover, and each member segment's refund by the short-period scale (the policyholder
cancels) or pro rata by days (the insurer cancels).

The refund is a share of the premium each segment *paid*: the unused days (insurer), or
what the scale leaves unearned of the term the segment was priced for (policyholder), so
that a segment bound for a short period or added mid-term by days is refunded on the
same footing as a full-year one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from quoting.errors import Problem, RequestError
from quoting.policies._endorsements import end_segment
from quoting.rating_input import months_begun
from quoting.schemas import QuoteLine, VersionMember

__all__ = [
    "Initiator",
    "SegmentRefund",
    "cancellation_refunds",
    "check_cancellation",
    "refund_share",
]

Initiator = Literal["policyholder", "insurer"]
_DAY = dt.timedelta(days=1)


def check_cancellation(
    effective: dt.date,
    period: tuple[dt.date, dt.date],
    today: dt.date,
    last_endorsed: dt.date | None,
) -> None:
    """Refuse a first day without cover outside the period, before the business date
    (a cancellation refunds no time already on risk backwards), or before the latest
    endorsement's effective date (that endorsement priced days the cancellation would
    take back)."""
    problems = []
    if not period[0] <= effective <= period[1]:
        problems.append(f"{effective} is outside the policy period {period[0]} to {period[1]}")
    elif effective < today:
        problems.append(f"a cancellation takes effect on or after the business date {today}")
    elif last_endorsed is not None and effective < last_endorsed:
        problems.append(
            f"the latest endorsement takes effect on {last_endorsed}; cancel from then or later"
        )
    if problems:
        raise RequestError([Problem(m, path=("effective",)) for m in problems])


def refund_share(
    segment: VersionMember,
    effective: dt.date,
    initiator: Initiator,
    *,
    scale: list[float],
    bound_scale: list[float],
) -> float:
    """The share of the premium a segment paid that a cancellation from ``effective``
    refunds (0 for a segment over before it, 1 for one not yet begun).

    Insurer: unused days / covered days. Policyholder: 1 − earned / paid, with earned
    = ``scale`` at the months begun from the segment's start to the day before
    ``effective`` and paid = the term factor it was priced at (days/365 for a mid-term
    addition, else ``bound_scale`` — the tariff's short-period table — at its months);
    never below 0.
    """
    if segment.end < effective:
        return 0.0
    if segment.start >= effective:
        return 1.0
    covered = (segment.end - segment.start).days + 1
    if initiator == "insurer":
        return ((segment.end - effective).days + 1) / covered
    earned = scale[months_begun(segment.start, effective - _DAY) - 1]
    if segment.term_days:
        paid = segment.term_days / 365
    else:
        paid = bound_scale[months_begun(segment.start, segment.end) - 1]
    return max(0.0, 1.0 - earned / paid)


@dataclass(frozen=True, slots=True)
class SegmentRefund:
    """One segment's part of a cancellation: its index in the version, the segment as
    ended, its refund lines and the days it loses."""

    index: int
    segment: VersionMember
    ended: VersionMember
    lines: list[QuoteLine]
    share: float


def cancellation_refunds(
    members: list[VersionMember],
    effective: dt.date,
    initiator: Initiator,
    *,
    scale: list[float],
    bound_scale: list[float],
) -> tuple[list[VersionMember], list[SegmentRefund]]:
    """The last version's segments all ended the day before ``effective`` (one not yet
    begun ends before it starts: nothing covered), and the refund of each segment that
    loses days. Lines are rounded half-up once each, as any refund."""
    out = list(members)
    refunds = []
    for i, segment in enumerate(members):
        if segment.end < effective:
            continue
        share = refund_share(segment, effective, initiator, scale=scale, bound_scale=bound_scale)
        basis = "pro_rata_days" if initiator == "insurer" else "short_period_scale"
        last_day = max(effective, segment.start) - _DAY  # before the start: never covered
        ended, lines = end_segment(
            segment,
            last_day,
            share,
            {
                "method": f"cancellation_{basis}",
                "initiator": initiator,
                "refund_share": share,
                "covered_days": float((segment.end - segment.start).days + 1),
                "unused_days": float((segment.end - max(effective, segment.start)).days + 1),
            },
        )
        out[i] = ended
        refunds.append(SegmentRefund(i, segment, ended, lines, share))
    return out, refunds
