"""Endorsements, the pure rules: a policy's member list as versions of cover segments,
what an endorsement request changes in it, and the pro-rata refund of a member leaving.

An endorsement never edits a version: it makes the next one from the previous one's
segments. Pricing the members who join is the rating engine's (the service calls it);
here are the checks that need no tariff, and the refund arithmetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import msgspec

from quoting.errors import FieldPath, NotReferred, Problem, RequestError, SelfApproval
from quoting.pricing import cents_to_text, round_half_up_cents
from quoting.schemas import (
    CensusMember,
    EndorsementRequest,
    MemberChange,
    MemberQuote,
    Quote,
    QuoteLine,
    QuoteRequest,
    VersionLine,
    VersionMember,
)

__all__ = [
    "EndorsementPlan",
    "Joining",
    "Leaving",
    "check_endorsement_approval",
    "end_segment",
    "endorsement_number",
    "in_force",
    "plan_endorsement",
    "priced_segment",
    "refund",
    "version_one",
    "version_total_cents",
]

Action = Literal["add", "remove", "change"]
#: The fields of a member a change may set.
_CHANGEABLE = ("name", "country", "occupation_class", "occupation_code", "site", "passport_no")


def check_endorsement_approval(number: str, created_by: str, status: str, underwriter: str) -> None:
    """Refuse an underwriter's approval of an endorsement they made, or of one that is
    not referred (the rules of quote approval)."""
    if created_by == underwriter:
        raise SelfApproval(
            "an underwriter cannot approve an endorsement they made; ask another underwriter"
        )
    if status != "referred":
        raise NotReferred(f"endorsement {number} is {status}; only referred ones need approval")


def endorsement_number(policy_number: str, seq: int) -> str:
    """The number of a policy's ``seq``-th endorsement: ``GA20270000001-E01``."""
    return f"{policy_number}-E{seq:02d}"


def _cents(text: str) -> int:
    return int(Decimal(text).scaleb(2).to_integral_exact())


def version_one(request: QuoteRequest, quote: Quote) -> list[VersionMember]:
    """The bound quote's priced members as version 1: each member's census row as covered,
    its period and its lines. An aggregated census (no named members) has no version 1."""
    by_id = {m.member_id: m for m in request.census.members or ()}
    out = []
    for priced in quote.members:
        member = by_id.get(priced.member_id)
        if member is None:  # a headcount group: endorsements need named members
            continue
        as_covered = msgspec.structs.replace(member, start=priced.start, end=priced.end)
        out.append(priced_segment(as_covered, priced, 0))
    return out


def priced_segment(member: CensusMember, priced: MemberQuote, term_days: int) -> VersionMember:
    """A member's segment as the engine priced it (``term_days`` 0: by the short-period
    table, as bound; else by days/365)."""
    return VersionMember(
        member=member,
        start=priced.start,
        end=priced.end,
        term_days=term_days,
        premium=priced.premium,
        vat=priced.vat,
        lines=[_version_line(line) for line in priced.lines],
        plan=priced.plan,
        country_code=priced.country,
    )


def _version_line(line: QuoteLine) -> VersionLine:
    rate = line.factors.get("vat_rate")
    if not isinstance(rate, float | int):  # a quote without its trace: the rate its VAT shows
        net = _cents(line.premium) - _cents(line.vat)
        rate = round(_cents(line.vat) / net, 4) if net else 0.0
    return VersionLine(cover=line.cover, premium=line.premium, vat=line.vat, vat_rate=float(rate))


def version_total_cents(
    members: list[VersionMember], adjustment_cents: tuple[int, int]
) -> tuple[int, int]:
    """A version's premium and VAT in cents: every segment plus the bound quote's
    adjustment lines (minimum premiums), exact integer sums."""
    premium = sum(_cents(m.premium) for m in members) + adjustment_cents[0]
    vat = sum(_cents(m.vat) for m in members) + adjustment_cents[1]
    return premium, vat


def in_force(members: list[VersionMember], on: dt.date) -> list[VersionMember]:
    """The segments covering ``on``: who was covered that day."""
    return [m for m in members if m.start <= on <= m.end]


@dataclass(frozen=True, slots=True)
class Leaving:
    """A segment that ends the day before the effective date (a removal, or the old terms
    of a change): its index in the previous version and where the request names it."""

    index: int
    action: Action
    path: FieldPath


@dataclass(frozen=True, slots=True)
class Joining:
    """A census row covered from the effective date (an addition, or the new terms of a
    change) to the policy end or its own earlier end; priced by days/365."""

    member: CensusMember
    action: Action
    path: FieldPath

    @property
    def days(self) -> int:
        """Days of cover, both ends included."""
        assert self.member.start is not None and self.member.end is not None
        return (self.member.end - self.member.start).days + 1


@dataclass(frozen=True, slots=True)
class EndorsementPlan:
    """What a request changes: the segments that end, the rows that join, and the rows
    in force on the effective date afterwards (the group the additions are priced in)."""

    effective: dt.date
    leaving: list[Leaving]
    joining: list[Joining]
    staying: list[int] = field(default_factory=list)


def plan_endorsement(
    members: list[VersionMember], request: EndorsementRequest, period: tuple[dt.date, dt.date]
) -> EndorsementPlan:
    """Check a request against the current version and the policy period; raise every
    problem at once as a :class:`RequestError` (paths into the request)."""
    effective = request.effective
    problems: list[Problem] = []
    if not period[0] <= effective <= period[1]:
        problems.append(
            Problem(
                f"{effective} is outside the policy period {period[0]} to {period[1]}",
                path=("effective",),
            )
        )
    if problems:  # outside the period, nothing else can be judged
        raise RequestError(problems)
    if not (request.add or request.remove or request.change):
        problems.append(Problem("add, remove or change at least one member", path=()))
    index_of = {id(m): i for i, m in enumerate(members)}
    covering = in_force(members, effective)
    segment_of = {m.member.member_id: index_of[id(m)] for m in covering}
    named: dict[str, FieldPath] = {}
    leaving: list[Leaving] = []
    joining: list[Joining] = []
    for i, gone in enumerate(request.remove):
        path: FieldPath = ("remove", i, "member_id")
        if _named_once(gone.member_id, path, named, problems):
            _leave(gone.member_id, "remove", path, segment_of, effective, leaving, problems)
    for i, changed in enumerate(request.change):
        path = ("change", i, "member_id")
        if not any(getattr(changed, f) is not None for f in _CHANGEABLE):
            problems.append(
                Problem(f"say what changes: one of {', '.join(_CHANGEABLE)}", path=("change", i))
            )
        elif _named_once(changed.member_id, path, named, problems) and _leave(
            changed.member_id, "change", path, segment_of, effective, leaving, problems
        ):
            old = members[segment_of[changed.member_id]]
            joining.append(Joining(_changed(old, changed, effective), "change", ("change", i)))
    for i, added in enumerate(request.add):
        path = ("add", i, "member_id")
        if _named_once(added.member_id, path, named, problems):
            joined = _joining_row(added, ("add", i), members, effective, period, problems)
            if joined is not None:
                joining.append(Joining(joined, "add", ("add", i)))
    if problems:
        raise RequestError(problems)
    ending = {leave.index for leave in leaving}
    staying = [index_of[id(m)] for m in covering if index_of[id(m)] not in ending]
    return EndorsementPlan(effective, leaving, joining, staying)


def _named_once(
    member_id: str, path: FieldPath, named: dict[str, FieldPath], problems: list[Problem]
) -> bool:
    if member_id in named:
        first = ".".join(map(str, named[member_id][:2]))
        problems.append(Problem(f"{member_id} is already named at {first}", path=path))
        return False
    named[member_id] = path
    return True


def _leave(
    member_id: str,
    action: Action,
    path: FieldPath,
    segment_of: dict[str, int],
    effective: dt.date,
    leaving: list[Leaving],
    problems: list[Problem],
) -> bool:
    index = segment_of.get(member_id)
    if index is None:
        problems.append(Problem(f"{member_id} is not covered on {effective}", path=path))
        return False
    leaving.append(Leaving(index, action, path))
    return True


def _changed(old: VersionMember, change: MemberChange, effective: dt.date) -> CensusMember:
    """The member's census row with the changed fields, covered from ``effective``."""
    updates = {f: getattr(change, f) for f in _CHANGEABLE if getattr(change, f) is not None}
    if "occupation_class" in updates and "occupation_code" not in updates:
        updates["occupation_code"] = None
    if "occupation_code" in updates and "occupation_class" not in updates:
        updates["occupation_class"] = None
    return msgspec.structs.replace(old.member, **updates, start=effective, end=old.end)


def _joining_row(
    added: CensusMember,
    where: FieldPath,
    members: list[VersionMember],
    effective: dt.date,
    period: tuple[dt.date, dt.date],
    problems: list[Problem],
) -> CensusMember | None:
    """An added row covered from the effective date to its own end or the policy end;
    refused if the member is covered on any of those days already."""
    bad = len(problems)
    if added.start is not None and added.start != effective:
        problems.append(
            Problem(
                f"an added member is covered from the effective date {effective}; leave start out",
                path=(*where, "start"),
            )
        )
    end = added.end or period[1]
    if end > period[1] or end < effective:
        problems.append(
            Problem(
                f"must lie between the effective date {effective} and the policy end {period[1]}",
                path=(*where, "end"),
            )
        )
    for m in members:
        if m.member.member_id == added.member_id and m.start <= end and effective <= m.end:
            problems.append(
                Problem(
                    f"{added.member_id} is a member already ({m.start} to {m.end})",
                    path=(*where, "member_id"),
                )
            )
            break
    if len(problems) > bad:
        return None
    return msgspec.structs.replace(added, start=effective, end=end)


def refund(
    segment: VersionMember,
    effective: dt.date,
    *,
    retention: float,
    withheld: bool,
) -> tuple[VersionMember, list[QuoteLine]]:
    """A segment ended the day before ``effective``, and its refund lines (negative).

    Each line refunds its paid premium × unused days / covered days (the segment's own
    days, both ends included) × (1 − retention), rounded half-up once per line; its VAT
    is ``round(refund × v / (1 + v))`` as for any line. ``withheld`` (a member with a
    claim, when the tariff says so) refunds nothing.
    """
    covered = (segment.end - segment.start).days + 1
    unused = (segment.end - effective).days + 1
    share = 0.0 if withheld else unused / covered * (1.0 - retention)
    factors: dict[str, float | str] = {
        "method": "pro_rata_refund",
        "unused_days": float(unused),
        "covered_days": float(covered),
        "refund_retention": retention,
        "withheld_for_claim": "yes" if withheld else "no",
    }
    return end_segment(segment, effective - dt.timedelta(days=1), share, factors)


def end_segment(
    segment: VersionMember,
    last_day: dt.date,
    share: float,
    factors: dict[str, float | str],
) -> tuple[VersionMember, list[QuoteLine]]:
    """A segment whose last covered day becomes ``last_day``, refunding ``share`` of each
    line's paid premium (rounded half-up once per line; VAT ``round(refund × v/(1+v))``),
    and its refund lines (negative), each with ``factors`` in its trace."""
    kept: list[VersionLine] = []
    lines: list[QuoteLine] = []
    for line in segment.lines:
        paid = _cents(line.premium)
        back = int(round_half_up_cents(paid / 100.0 * share))
        v = line.vat_rate
        back_vat = int(round_half_up_cents(back / 100.0 * v / (1.0 + v)))
        net, net_vat = paid - back, _cents(line.vat) - back_vat
        kept.append(
            VersionLine(
                cover=line.cover,
                premium=cents_to_text(net),
                vat=cents_to_text(net_vat),
                vat_rate=v,
            )
        )
        trace: dict[str, float | str] = {
            "method": factors["method"],
            "paid_premium": paid / 100.0,
            **factors,
            "vat_rate": v,
        }
        lines.append(
            QuoteLine(
                cover=line.cover,
                premium=cents_to_text(-back),
                vat=cents_to_text(-back_vat),
                factors=trace,
            )
        )
    ended = msgspec.structs.replace(
        segment,
        end=last_day,
        premium=cents_to_text(sum(_cents(k.premium) for k in kept)),
        vat=cents_to_text(sum(_cents(k.vat) for k in kept)),
        lines=kept,
    )
    return ended, lines
