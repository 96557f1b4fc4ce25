"""Endorsements (批改): members joining, leaving and changing on a bound policy, priced
by days under the policy's own tariff and terms, each making a new policy version; and
reading a policy's versions, endorsements and members on a date.

Pricing runs outside any transaction; the write then holds the policy's row and checks
that the version it priced on is still the newest, else it prices again (two
endorsements of one policy at once: the second is priced on the first's result).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import msgspec
import numpy as np

from quoting.census import read_census_numbered
from quoting.errors import (
    EndorsementPending,
    IdempotencyKeyReused,
    NotFound,
    PolicyCancelled,
    PolicyChanged,
    Problem,
    RequestError,
)
from quoting.policies import (
    EndorsementPlan,
    check_endorsement_approval,
    endorsement_number,
    in_force,
    plan_endorsement,
    priced_segment,
    refund,
    version_one,
    version_total_cents,
)
from quoting.pricing import PricedCensus, cents_to_text, price
from quoting.quote_builder import build_quote
from quoting.rating_input import resolve
from quoting.schemas import (
    Census,
    CensusMember,
    EndorsementMember,
    EndorsementRequest,
    EndorsementStatus,
    MemberQuote,
    PolicyTotals,
    PricedEndorsement,
    Quote,
    QuoteRequest,
    Referral,
    VersionMember,
)
from quoting.services._context import Context, visible_owner
from quoting.services.documents import cached_document, policy_document_inputs
from quoting.services.exposure import version_exposure_rows
from quoting.services.quotation import CensusUpload, fx_rate, request_fingerprint
from quoting.store import (
    Conflict,
    EndorsementRow,
    PolicyRow,
    PolicyVersionRow,
    QuoteRow,
    UnitOfWork,
    UnitOfWorkFactory,
)
from quoting.tariff import Tariff
from quoting.tariff.registry import registry_for
from quoting.validation import decode_body

__all__ = [
    "Endorse",
    "PolicyVersion",
    "StoredEndorsement",
    "approve_endorsement",
    "cancellations",
    "current_versions",
    "endorse",
    "endorsement_document",
    "get_endorsement",
    "insured_count",
    "list_endorsements",
    "members_on",
    "policy_version",
    "preview_endorsement",
    "version_members",
]

#: How often an endorsement is priced again when another one of its policy won the race.
_ATTEMPTS = 5
#: Group-level referrals the bound quote settled already (or that concern the quote).
_SETTLED = frozenset(
    {"backdated_period", "experience_loss_ratio", "experience_discount", "adjustment_authority"}
)
_MEMBERS = msgspec.json.Decoder(list[VersionMember])


@dataclass(frozen=True, slots=True)
class Endorse:
    """Endorse a policy with a JSON :class:`EndorsementRequest`; ``census`` is a census
    file of the members who join (then the JSON has no ``add``). ``expected_seq``: the
    endorsement's sequence number as a preview showed it (the pages' "Confirm"): the
    policy may have had no other endorsement since, else :class:`PolicyChanged`."""

    policy_id: str
    raw_request: bytes
    idempotency_key: str | None = None
    census: CensusUpload | None = None
    expected_seq: int | None = None


@dataclass(frozen=True, slots=True)
class StoredEndorsement:
    """A stored endorsement and whether this call stored it (False: an idempotent replay)."""

    endorsement: PricedEndorsement
    created: bool


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One version of a policy's member list, with its totals."""

    policy: PolicyRow
    quote: Quote
    number: int
    latest: int
    members: list[VersionMember]
    premium_cents: int
    vat_cents: int
    #: the first day without cover of a cancelled policy
    cancelled_from: dt.date | None = None

    @property
    def premium(self) -> str:
        """The version's premium (VAT included) as a decimal string."""
        return cents_to_text(self.premium_cents)

    @property
    def vat(self) -> str:
        """The VAT in it as a decimal string."""
        return cents_to_text(self.vat_cents)


@dataclass(frozen=True, slots=True)
class _State:
    """What an endorsement is priced on: the policy, its bound request and quote, and
    its newest version."""

    policy: PolicyRow
    request: QuoteRequest
    quote: Quote
    version: int
    members: list[VersionMember]
    adjustment_cents: tuple[int, int]
    endorsements: list[EndorsementRow]
    quote_row: QuoteRow
    #: the members with a claim recorded on the policy
    claimed: frozenset[str] = frozenset()


def insured_count(members: list[VersionMember]) -> int:
    """How many members a version insures at some time in the period."""
    return len({m.member.member_id for m in members if m.start <= m.end})


def _decode(raw: bytes, census: CensusUpload | None) -> tuple[EndorsementRequest, list[int]]:
    """The request, with a census file's members as ``add``; each added row's line in
    the file (empty without a file)."""
    request = decode_body(raw, EndorsementRequest)
    if census is None:
        return request, []
    if request.add:
        raise RequestError(
            Problem("send the members who join either as add or as a file, not both", path=("add",))
        )
    rows, numbers = read_census_numbered(census.data, census.filename)
    if rows.members is None:
        raise RequestError(
            Problem("the file must list named members (member_id, name, …), not a headcount grid")
        )
    return msgspec.structs.replace(request, add=rows.members), numbers


def _at_file_rows(error: RequestError, numbers: list[int]) -> RequestError:
    """Problems of added rows (``("add", i, field)``) at the census file's row and column."""
    moved = []
    for p in error.problems:
        i = p.path[1] if p.path[:1] == ("add",) and len(p.path) > 1 else None
        if isinstance(i, int) and i < len(numbers):
            column = str(p.path[2]) if len(p.path) > 2 else None
            moved.append(Problem(p.message, row=numbers[i], column=column))
        else:
            moved.append(p)
    return RequestError(moved)


def _state(work: UnitOfWork, ctx: Context, policy_id: str) -> _State:
    """The policy (one the acting account may see) as it stands in this unit."""
    # The insurer's own tools (no account, e.g. the CLI) see every policy.
    owner = None if ctx.account is None else visible_owner(ctx.account)
    policy = work.policies.get(policy_id, owner_id=owner)
    if policy is None:
        raise NotFound(f"No policy {policy_id} among yours.")
    quote_row = work.quotes.get(policy.quote_id)
    assert quote_row is not None and quote_row.request_json and quote_row.result_json
    request = msgspec.json.decode(quote_row.request_json, type=QuoteRequest)
    quote = msgspec.json.decode(quote_row.result_json, type=Quote)
    first = version_one(request, quote)
    member_total = version_total_cents(first, (0, 0))
    adjustments = (
        _cents(quote.total_premium) - member_total[0],
        _cents(quote.total_vat) - member_total[1],
    )
    latest = work.endorsements.latest_version(policy_id)
    number, members = (
        (1, first) if latest is None else (latest.version, _MEMBERS.decode(latest.members_json))
    )
    return _State(
        policy,
        request,
        quote,
        number,
        members,
        adjustments,
        work.endorsements.all(policy_id),
        quote_row,
        frozenset(c.member_id for c in work.claims.for_policy(policy_id)),
    )


def _cents(text: str) -> int:
    return int(Decimal(text).scaleb(2).to_integral_exact())


def _context_request(state: _State, plan: EndorsementPlan) -> QuoteRequest:
    """The bound request with the census of the new version on the effective date: the
    members who stay (as they are covered) and those who join, on the quote's terms as
    priced (its commission; the as-of date and adjustment are the stored request's)."""
    staying = [state.members[i] for i in plan.staying]
    census = [msgspec.structs.replace(m.member, start=m.start, end=m.end) for m in staying]
    census += [j.member for j in plan.joining]
    ids = {m.member_id for m in census}
    plans = [
        p
        if p.member_ids is None
        else msgspec.structs.replace(p, member_ids=[i for i in p.member_ids if i in ids])
        for p in state.request.plans
    ]
    return msgspec.structs.replace(
        state.request,
        census=Census(members=census),
        plans=plans,
        experience=None,
        commission=Decimal(repr(state.quote.commission)),
    )


def _moved(problem: Problem, plan: EndorsementPlan, first_joining: int) -> Problem:
    """A census problem of the context request, put where the request named the row."""
    path = problem.path
    if len(path) >= 3 and path[:2] == ("census", "members") and isinstance(path[2], int):
        k = path[2] - first_joining
        where = plan.joining[k].path if 0 <= k < len(plan.joining) else ("census",)
        return dataclasses.replace(problem, path=(*where, *path[3:]))
    return problem


def _priced_context(
    state: _State, plan: EndorsementPlan, tariff: Tariff, today: dt.date
) -> tuple[Quote, int]:
    """The new version's census priced under the policy's tariff and terms: members who
    join by days/365 of their days of cover, the rest as they are covered; the quote's
    experience factor as priced. Returns the quote and the index of the first joiner."""
    request = _context_request(state, plan)
    first = len(plan.staying)
    try:
        resolved = resolve(request, tariff, fx_rate=fx_rate(tariff, request.currency))
    except RequestError as exc:
        raise RequestError([_moved(p, plan, first) for p in exc.problems]) from None
    days = [state.members[i].term_days for i in plan.staying] + [j.days for j in plan.joining]
    experience = state.quote.rating.experience
    rating = dataclasses.replace(
        resolved.rating,
        term_days=np.array(days, dtype=np.int64),
        fixed_experience_factor=experience.factor if experience is not None else None,
    )
    resolved = dataclasses.replace(resolved, rating=rating)
    priced = _joiners_lines(price(rating, tariff), first)
    quote = build_quote(resolved, priced, state.quote.as_of, today=today)
    return quote, first


def _joiners_lines(priced: PricedCensus, first: int) -> PricedCensus:
    """The priced census with only the joiners' lines (rows from ``first``): the members
    who stay were priced for the group's sake only, and building their lines' objects
    would cost most of the time of a large policy's endorsement."""
    keep = priced.line_row >= first
    return dataclasses.replace(
        priced,
        line_row=priced.line_row[keep],
        line_cover=priced.line_cover[keep],
        premium_cents=priced.premium_cents[keep],
        vat_cents=priced.vat_cents[keep],
        trace={k: np.asarray(v)[keep] for k, v in priced.trace.items()},
    )


def _underwriting(
    state: _State, plan: EndorsementPlan, quote: Quote, today: dt.date
) -> list[Referral]:
    """Declined joiners are problems of the request; the referrals that are the
    endorsement's: those naming a joiner, group-level ones the bound quote did not have,
    and a backdated effective date."""
    joining = {j.member.member_id: j for j in plan.joining}
    problems = [
        Problem(
            "cannot be covered: " + "; ".join(r.message for r in d.reasons),
            path=joining[d.member_id].path,
        )
        for d in quote.declined
        if d.member_id in joining
    ]
    if problems:
        raise RequestError(problems)
    had = {r.code for r in state.quote.referrals}
    referrals = [
        msgspec.structs.replace(r, member_ids=[m for m in r.member_ids if m in joining])
        for r in quote.referrals
        if (set(r.member_ids) & joining.keys())
        or (not r.member_ids and r.code not in had and r.code not in _SETTLED)
    ]
    if plan.effective < today:
        referrals.append(
            Referral(
                code="backdated_endorsement",
                message=f"the endorsement takes effect on {plan.effective}, before the "
                f"business date {today}",
            )
        )
    return referrals


@dataclass(frozen=True, slots=True)
class _Change:
    """An endorsement's effect: the new member list and the endorsement's member parts."""

    members: list[VersionMember]
    parts: list[EndorsementMember]
    premium_cents: int
    vat_cents: int


def _changed_members(
    state: _State,
    plan: EndorsementPlan,
    quote: Quote,
    tariff: Tariff,
    claimed: frozenset[str],
) -> _Change:
    """Refund the segments that end, add the priced segments of those who join."""
    rules = tariff.params.endorsements
    members = list(state.members)
    parts: list[EndorsementMember] = []
    for leave in plan.leaving:
        old = members[leave.index]
        member_id = old.member.member_id
        # A member who leaves after a claim (not one whose terms change) when the tariff
        # says so.
        withheld = rules.no_refund_with_claim and leave.action == "remove" and member_id in claimed
        ended, lines = refund(
            old, plan.effective, retention=rules.refund_retention, withheld=withheld
        )
        members[leave.index] = ended
        parts.append(
            EndorsementMember(
                member_id=member_id,
                name=old.member.name,
                action=leave.action,
                kind="refund",
                start=plan.effective,
                end=old.end,
                days=(old.end - plan.effective).days + 1,
                premium=cents_to_text(sum(_cents(x.premium) for x in lines)),
                vat=cents_to_text(sum(_cents(x.vat) for x in lines)),
                lines=lines,
            )
        )
    priced: dict[str, MemberQuote] = {m.member_id: m for m in quote.members}
    for join in plan.joining:
        row = priced[join.member.member_id]
        members.append(priced_segment(join.member, row, join.days))
        parts.append(
            EndorsementMember(
                member_id=row.member_id,
                name=row.name,
                action=join.action,
                kind="addition",
                start=row.start,
                end=row.end,
                days=join.days,
                premium=row.premium,
                vat=row.vat,
                lines=row.lines,
            )
        )
    premium = sum(_cents(p.premium) for p in parts)
    vat = sum(_cents(p.vat) for p in parts)
    return _Change(members, parts, premium, vat)


def _priced(
    ctx: Context, state: _State, request: EndorsementRequest
) -> tuple[_Change, list[Referral]]:
    """Plan, price and underwrite an endorsement on ``state``; nothing is stored."""
    if state.request.census.members is None:
        raise RequestError(
            Problem(
                "this policy insures a headcount grid without named members; endorsements "
                "add, remove and change named members",
                path=(),
            )
        )
    period = (state.quote.period_start, state.quote.period_end)
    plan = plan_endorsement(state.members, request, period)
    tariff = registry_for(ctx.tariff_root).by_hash(state.quote.tariff.hash)
    today = ctx.today()
    if plan.joining:
        quote, _ = _priced_context(state, plan, tariff, today)
        referrals = _underwriting(state, plan, quote, today)
    else:
        quote, referrals = state.quote, _underwriting(state, plan, state.quote, today)
    return _changed_members(state, plan, quote, tariff, state.claimed), referrals


def _record(
    ctx: Context,
    state: _State,
    request: EndorsementRequest,
    change: _Change,
    referrals: list[Referral],
) -> PricedEndorsement:
    """The endorsement as the client sees it (``policy_version`` None while referred)."""
    seq = len(state.endorsements) + 1
    status: EndorsementStatus = "referred" if referrals else "accepted"
    premium, vat = version_total_cents(change.members, state.adjustment_cents)
    return PricedEndorsement(
        number=endorsement_number(state.policy.policy_number, seq),
        seq=seq,
        policy_id=state.policy.id,
        policy_number=state.policy.policy_number,
        status=status,
        effective=request.effective,
        reason=request.reason,
        currency=state.quote.currency,
        premium=cents_to_text(change.premium_cents),
        vat=cents_to_text(change.vat_cents),
        base_version=state.version,
        policy_version=None if referrals else state.version + 1,
        members=change.parts,
        referrals=referrals,
        totals=PolicyTotals(
            version=state.version + 1,
            premium=cents_to_text(premium),
            vat=cents_to_text(vat),
            headcount=len(in_force(change.members, request.effective)),
        ),
        created_at=ctx.now(),
        created_by=ctx.acting().id,
        request=request,
    )


def _rows(
    record: PricedEndorsement,
    members: list[VersionMember],
    idempotency_key: str | None,
    fingerprint: str,
) -> tuple[EndorsementRow, PolicyVersionRow]:
    members_json = msgspec.json.encode(members)
    version = PolicyVersionRow(
        policy_id=record.policy_id,
        version=record.totals.version,
        created_at=record.created_at,
        endorsement_seq=record.seq,
        total_premium=record.totals.premium,
        total_vat=record.totals.vat,
        headcount=insured_count(members),
        members_json=members_json,
    )
    row = EndorsementRow(
        policy_id=record.policy_id,
        seq=record.seq,
        number=record.number,
        effective=record.effective,
        status=record.status,
        premium=record.premium,
        vat=record.vat,
        base_version=record.base_version,
        policy_version=record.policy_version,
        created_by=record.created_by,
        created_at=record.created_at,
        idempotency_key=idempotency_key,
        input_hash=fingerprint,
        result_json=msgspec.json.encode(record),
        pending_json=members_json if record.status == "referred" else None,
    )
    return row, version


def _replay(
    work: UnitOfWork, policy_id: str, key: str | None, fingerprint: str
) -> PricedEndorsement | None:
    if key is None:
        return None
    earlier = work.endorsements.by_idempotency_key(policy_id, key)
    if earlier is None:
        return None
    if earlier.input_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was used for endorsement {earlier.number} with a "
            "different request; use a new key for a new request."
        )
    return msgspec.json.decode(earlier.result_json, type=PricedEndorsement)


def cancellation_of(state: _State) -> PricedEndorsement | None:
    """The policy's cancellation (always its last endorsement), if it is cancelled."""
    if not state.endorsements:
        return None
    last = msgspec.json.decode(state.endorsements[-1].result_json, type=PricedEndorsement)
    return last if last.cancellation is not None else None


def refuse_if_cancelled(state: _State) -> None:
    """Refuse any change of a cancelled policy (``409 policy-cancelled``)."""
    cancelled = cancellation_of(state)
    if cancelled is not None:
        raise PolicyCancelled(
            f"policy {state.policy.policy_number} is cancelled from {cancelled.effective} "
            f"({cancelled.number}); it takes no further endorsement or cancellation"
        )


def _plan_for(request: QuoteRequest, member: CensusMember, tariff: Tariff) -> str:
    """The plan that applies to a census row (member ids, then classes, then the plan
    without either), as the rating input assigns it."""
    cls = member.occupation_class
    if cls is None and member.occupation_code in tariff.occupations:
        cls = tariff.occupations[member.occupation_code].occupation_class
    for plan in request.plans:
        if member.member_id in (plan.member_ids or ()):
            return plan.name
    for plan in request.plans:
        if cls in (plan.classes or ()):
            return plan.name
    rest = [p.name for p in request.plans if p.classes is None and p.member_ids is None]
    return rest[0] if rest else request.plans[0].name


def segment_place(state: _State, tariff: Tariff) -> Callable[[VersionMember], tuple[str, str]]:
    """A segment's ISO country code and plan: as priced (kept on the segment), else the
    bound quote's for the member, else from the census row under the tariff."""
    bound = {m.member_id: (m.country, m.plan) for m in state.quote.members}
    as_bound = {_terms(m): m.member_id for m in state.request.census.members or ()}

    def place(segment: VersionMember) -> tuple[str, str]:
        if segment.country_code is not None and segment.plan is not None:
            return segment.country_code, segment.plan
        row = segment.member
        if as_bound.get(_terms(row)) == row.member_id and row.member_id in bound:
            return bound[row.member_id]
        index = tariff.resolve_country(row.country)
        code = tariff.countries[index].code if index is not None else row.country[:2].upper()
        return code, _plan_for(state.request, row, tariff)

    return place


def _terms(row: CensusMember) -> tuple[str, str, int | None, str | None]:
    """What decides a row's country and plan."""
    return row.member_id, row.country, row.occupation_class, row.occupation_code


def replace_exposure(
    state: _State, members: list[VersionMember], tariff: Tariff
) -> Callable[[UnitOfWork], None]:
    """In the unit that stores a new version: the policy's exposure rows become those of
    the version (members joining, leaving, changing site or country; a cancellation)."""
    rows = version_exposure_rows(
        state.quote_row, state.policy.id, members, segment_place(state, tariff)
    )

    def write(work: UnitOfWork) -> None:
        work.exposures.replace(state.policy.id, rows)

    return write


def refuse_while_pending(state: _State) -> None:
    pending = [e for e in state.endorsements if e.status == "referred"]
    if pending:
        raise EndorsementPending(
            f"endorsement {pending[0].number} awaits an underwriter's approval; the policy "
            "changes again once it is approved"
        )


def _draft(
    ctx: Context, state: _State, request: EndorsementRequest, file_rows: list[int]
) -> tuple[PricedEndorsement, _Change]:
    """The endorsement ``request`` makes on ``state``, priced and underwritten, as it would
    be stored (and the new member list); nothing is stored. The checks of :func:`endorse`:
    no change while another endorsement is referred or after a cancellation, every
    problem of the request at its path (a census file's at its row and column)."""
    refuse_while_pending(state)
    refuse_if_cancelled(state)
    try:
        change, referrals = _priced(ctx, state, request)
    except RequestError as exc:
        raise _at_file_rows(exc, file_rows) if file_rows else exc from None
    return _record(ctx, state, request, change, referrals), change


def _refuse_if_changed(state: _State, expected_seq: int | None) -> None:
    if expected_seq is not None and expected_seq != len(state.endorsements) + 1:
        raise PolicyChanged(
            f"policy {state.policy.policy_number} has had endorsement "
            f"{endorsement_number(state.policy.policy_number, len(state.endorsements))} since "
            "the preview; preview the change again"
        )


def preview_endorsement(
    uow: UnitOfWorkFactory, ctx: Context, command: Endorse
) -> PricedEndorsement:
    """The endorsement :func:`endorse` would store for ``command`` now — its number,
    status, premium, VAT, member lines and the policy's new totals — with the same checks
    and errors, but nothing stored and no event (the idempotency key is not looked at)."""
    request, file_rows = _decode(command.raw_request, command.census)
    with uow() as work:
        state = _state(work, ctx, command.policy_id)
    return _draft(ctx, state, request, file_rows)[0]


def endorse(uow: UnitOfWorkFactory, ctx: Context, command: Endorse) -> StoredEndorsement:
    """Price and store an endorsement of a policy the acting account may see: a new
    policy version at once when accepted, or a referred endorsement that waits for an
    underwriter; a ``policy.endorsed`` event in the same transaction.

    Raises :class:`RequestError` (paths into the request), :class:`NotFound`,
    :class:`EndorsementPending`, :class:`PolicyCancelled`, :class:`PolicyChanged` or
    :class:`IdempotencyKeyReused`. With an idempotency key seen before on the policy and
    the same request: the earlier endorsement (``created=False``). Concurrent endorsements
    of one policy are serialised: each is priced on the version the other made.
    """
    request, file_rows = _decode(command.raw_request, command.census)
    fingerprint = request_fingerprint(command.raw_request, command.census)
    key = command.idempotency_key
    for _ in range(_ATTEMPTS):
        with uow() as work:
            state = _state(work, ctx, command.policy_id)
            earlier = _replay(work, state.policy.id, key, fingerprint)
        if earlier is not None:
            return StoredEndorsement(earlier, False)
        _refuse_if_changed(state, command.expected_seq)
        record, change = _draft(ctx, state, request, file_rows)
        row, version = _rows(record, change.members, key, fingerprint)
        exposure = None
        if row.status == "accepted":
            tariff = registry_for(ctx.tariff_root).by_hash(state.quote.tariff.hash)
            exposure = replace_exposure(state, change.members, tariff)
        try:
            if _store(uow, ctx, state, row, version, "policy.endorsed", exposure):
                return StoredEndorsement(record, True)
        except Conflict:
            continue
    raise Conflict(f"policy {command.policy_id} kept changing while it was endorsed")


def _store(
    uow: UnitOfWorkFactory,
    ctx: Context,
    state: _State,
    row: EndorsementRow,
    version: PolicyVersionRow,
    event: str = "policy.endorsed",
    also: Callable[[UnitOfWork], None] | None = None,
) -> bool:
    """Write the endorsement (and its version when accepted) and its ``event``, and do
    ``also`` in the same unit, if the policy is still at the version it was priced on;
    False when another endorsement came first."""
    with uow() as work:
        work.endorsements.lock_policy(state.policy.id)
        latest = work.endorsements.latest_version(state.policy.id)
        if (latest.version if latest else 1) != state.version or len(
            work.endorsements.all(state.policy.id)
        ) != len(state.endorsements):
            return False
        work.endorsements.add(row)
        if row.status == "accepted":
            work.endorsements.add_version(version)
        if also is not None:
            also(work)
        work.events.add(
            ctx.event(
                event,
                state.policy.id,
                number=row.number,
                status=row.status,
                premium=row.premium,
                policy_version=row.policy_version,
            )
        )
        work.commit()
    return True


def approve_endorsement(
    uow: UnitOfWorkFactory, ctx: Context, policy_id: str, seq: int
) -> PricedEndorsement:
    """The acting underwriter approves a referred endorsement (not their own): the
    version it was priced to make becomes the policy's newest, with a
    ``policy.endorsement_approved`` event. Approving again returns it as approved."""
    account = ctx.acting()
    with uow() as work:
        work.endorsements.lock_policy(policy_id)
        row = work.endorsements.get(policy_id, seq) if work.policies.get(policy_id) else None
        if row is None:
            raise NotFound(f"No endorsement {seq} of policy {policy_id}.")
        record = msgspec.json.decode(row.result_json, type=PricedEndorsement)
        if row.status == "approved":
            return record
        check_endorsement_approval(row.number, row.created_by, row.status, account.id)
        assert row.pending_json is not None
        pending = _MEMBERS.decode(row.pending_json)
        state = _state(work, ctx, policy_id)
        tariff = registry_for(ctx.tariff_root).by_hash(state.quote.tariff.hash)
        replace_exposure(state, pending, tariff)(work)
        now = ctx.now()
        record = msgspec.structs.replace(
            record,
            status="approved",
            policy_version=record.totals.version,
            approved_by=account.id,
            approved_at=now,
        )
        totals = record.totals
        work.endorsements.add_version(
            PolicyVersionRow(
                policy_id=policy_id,
                version=totals.version,
                created_at=now,
                endorsement_seq=seq,
                total_premium=totals.premium,
                total_vat=totals.vat,
                headcount=insured_count(pending),
                members_json=row.pending_json,
            )
        )
        work.endorsements.update(
            dataclasses.replace(
                row,
                status="approved",
                policy_version=totals.version,
                approved_by=account.id,
                approved_at=now,
                result_json=msgspec.json.encode(record),
                pending_json=None,
            )
        )
        work.events.add(ctx.event("policy.endorsement_approved", policy_id, number=row.number))
        work.commit()
    return record


def get_endorsement(
    uow: UnitOfWorkFactory, ctx: Context, policy_id: str, seq: int
) -> PricedEndorsement:
    """One endorsement of a policy the acting account may see."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
        row = work.endorsements.get(state.policy.id, seq)
    if row is None:
        raise NotFound(f"No endorsement {seq} of policy {policy_id}.")
    return msgspec.json.decode(row.result_json, type=PricedEndorsement)


def list_endorsements(
    uow: UnitOfWorkFactory, ctx: Context, policy_id: str
) -> list[PricedEndorsement]:
    """A policy's endorsements in order."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
    return [msgspec.json.decode(e.result_json, type=PricedEndorsement) for e in state.endorsements]


def policy_version(
    uow: UnitOfWorkFactory, ctx: Context, policy_id: str, number: int | None = None
) -> PolicyVersion:
    """Version ``number`` of a policy (default: the newest), never changed by later
    endorsements."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
        wanted = state.version if number is None else number
        members = version_members(work, state, wanted)
    premium, vat = version_total_cents(members, state.adjustment_cents)
    cancelled = cancellation_of(state)
    return PolicyVersion(
        state.policy,
        state.quote,
        wanted,
        state.version,
        members,
        premium,
        vat,
        cancelled.effective if cancelled is not None else None,
    )


def version_members(work: UnitOfWork, state: _State, number: int) -> list[VersionMember]:
    """The member list of version ``number`` of the policy of ``state``, read in ``work``;
    :class:`NotFound` for a version the policy does not have."""
    if number == state.version:
        return state.members
    if number == 1:
        return version_one(state.request, state.quote)
    row = work.endorsements.version(state.policy.id, number) if number > 1 else None
    if row is None or number > state.version:
        raise NotFound(f"Policy {state.policy.policy_number} has versions 1 to {state.version}.")
    return _MEMBERS.decode(row.members_json)


def members_on(
    uow: UnitOfWorkFactory, ctx: Context, policy_id: str, on: dt.date
) -> list[VersionMember]:
    """Who the policy's newest version covers on ``on`` (none outside the period)."""
    return in_force(policy_version(uow, ctx, policy_id).members, on)


def endorsement_document(
    uow: UnitOfWorkFactory,
    ctx: Context,
    policy_id: str,
    seq: int,
    fmt: str,
    fonts_url: str | None = None,
) -> tuple[bytes, str]:
    """The endorsement's bilingual document (批单: what changed, from when, the premium
    due or refunded, the policy's new totals; for a cancellation the 退保批单 with its
    refund basis) as ``pdf`` or ``html``, with a file name; an HTML document loads its
    fonts from ``fonts_url`` when given."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
        row = work.endorsements.get(state.policy.id, seq)
        if row is None:
            raise NotFound(f"No endorsement {seq} of policy {policy_id}.")
        inputs = policy_document_inputs(work, ctx, state.policy, state.quote_row)
    record = msgspec.json.decode(row.result_json, type=PricedEndorsement)
    document = "endorsement" if record.cancellation is None else "cancellation"
    body = cached_document(ctx, document, fmt, inputs, fonts_url, e=record)
    return body, f"{record.number}-{document}.{fmt}"


def cancellations(
    uow: UnitOfWorkFactory, newest: dict[str, PolicyVersionRow]
) -> dict[str, dt.date]:
    """The first day without cover of each of these policies that is cancelled, read from
    the endorsement that made its newest version (a cancellation is always the last)."""
    found: dict[str, dt.date] = {}
    with uow() as work:
        for policy_id, version in newest.items():
            row = work.endorsements.get(policy_id, version.endorsement_seq)
            if row is None:
                continue
            record = msgspec.json.decode(row.result_json, type=PricedEndorsement)
            if record.cancellation is not None:
                found[policy_id] = record.effective
    return found


def current_versions(uow: UnitOfWorkFactory, policy_ids: list[str]) -> dict[str, PolicyVersionRow]:
    """The newest stored version of each of these policies (those that have one), read
    without their member lists: for totals in a list of policies."""
    with uow() as work:
        return work.endorsements.latest_totals(policy_ids)
