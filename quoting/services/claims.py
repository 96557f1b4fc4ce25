"""Claims experience of a policy: claims recorded from JSON or a CSV/XLSX file (checked
against the policy's members and covers, every problem at once with its pointer or file
row and column), and the summary — count, incurred, premium earned by days, loss ratio.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from quoting.census import read_table
from quoting.errors import CensusError, NotFound, Problem, RequestError
from quoting.policies import check_claims, check_correction, earned_cents, member_days
from quoting.pricing import cents_to_text
from quoting.schemas import (
    Claim,
    ClaimCorrection,
    ClaimCorrectionEntry,
    ClaimDetail,
    ClaimInput,
    ClaimsRequest,
    ClaimsSummary,
    ClaimValues,
)
from quoting.services._context import Context
from quoting.services.endorsements import _state
from quoting.services.quotation import CensusUpload
from quoting.store import ClaimRow, UnitOfWork, UnitOfWorkFactory
from quoting.validation import decode_body, problem_from_validation

__all__ = [
    "ClaimsReport",
    "CorrectClaim",
    "RecordClaims",
    "claims_report",
    "correct_claim",
    "get_claim",
    "record_claims",
]

#: The event of a claim's correction (its subject is the policy, as for recorded claims).
CORRECTED = "claim.corrected"

#: Headers a claims file may use for each field (English and Chinese), as for censuses.
CLAIM_COLUMNS: dict[str, tuple[str, ...]] = {
    "member_id": ("id", "member id", "工号", "编号", "被保险人编号"),
    "cover": ("险种", "保障", "责任"),
    "loss_date": ("date of loss", "loss date", "出险日期", "事故日期"),
    "paid": ("paid amount", "已决赔款", "已付金额", "已赔付"),
    "outstanding": ("outstanding amount", "未决赔款", "未决金额"),
    "status": ("状态", "案件状态"),
    "reference": ("claim no", "claim number", "赔案号", "报案号"),
}
_STATUS = {"未结": "open", "已结": "closed", "结案": "closed"}


@dataclass(frozen=True, slots=True)
class RecordClaims:
    """Record claims on a policy: a JSON :class:`ClaimsRequest`, or a claims file."""

    policy_id: str
    raw_request: bytes = b""
    file: CensusUpload | None = None


@dataclass(frozen=True, slots=True)
class CorrectClaim:
    """Correct claim ``seq`` of a policy with a JSON :class:`ClaimCorrection`."""

    policy_id: str
    seq: int
    raw_request: bytes


@dataclass(frozen=True, slots=True)
class ClaimsReport:
    """A policy's claims and their summary."""

    claims: list[Claim]
    summary: ClaimsSummary


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        text = value.strip()
        return _STATUS.get(text, text) or None
    return value


def _from_file(upload: CensusUpload) -> tuple[list[ClaimInput], list[int]]:
    """The file's claims and their row numbers; problems at row and column."""
    rows = read_table(upload.data, upload.filename, CLAIM_COLUMNS, frozenset({"loss_date"}))
    if not rows:
        raise CensusError(Problem("the file has no claims", file=upload.filename))
    claims, numbers, problems = [], [], []
    for number, cells in rows:
        values = {k: _cell(v) for k, v in cells.items() if _cell(v) is not None}
        try:
            claims.append(msgspec.convert(values, ClaimInput, strict=False))
            numbers.append(number)
        except msgspec.ValidationError as exc:
            p = problem_from_validation(exc)
            column = str(p.path[0]) if p.path else None
            problems.append(Problem(p.message, row=number, column=column))
    if problems:
        raise CensusError(problems)
    return claims, numbers


def _decode(command: RecordClaims) -> tuple[list[ClaimInput], list[int]]:
    if command.file is not None:
        return _from_file(command.file)
    return decode_body(command.raw_request, ClaimsRequest).claims, []


def _claim(row: ClaimRow, names: dict[str, str], last: ClaimCorrectionEntry | None = None) -> Claim:
    incurred = Decimal(row.paid) + Decimal(row.outstanding)
    return Claim(
        number=row.number,
        seq=row.seq,
        member_id=row.member_id,
        name=names.get(row.member_id, ""),
        cover=row.cover,
        loss_date=row.loss_date,
        paid=row.paid,
        outstanding=row.outstanding,
        incurred=f"{incurred:.2f}",
        status=row.status,  # type: ignore[arg-type]
        reference=row.reference,
        created_at=row.created_at,
        created_by=row.created_by,
        corrected_at=last.corrected_at if last else None,
        corrected_by=last.corrected_by if last else None,
    )


def _corrections(work: UnitOfWork, policy_id: str) -> dict[int, list[ClaimCorrectionEntry]]:
    """Every correction of the policy's claims, by claim, oldest first (from the audit
    trail: the ``claim.corrected`` events of the policy)."""
    found: dict[int, list[ClaimCorrectionEntry]] = {}
    for event in work.events.all(policy_id):
        if event.kind != CORRECTED:
            continue
        entry = ClaimCorrectionEntry(
            corrected_at=event.occurred_at,
            corrected_by=event.account_id,
            before=msgspec.convert(event.data["before"], ClaimValues),
            after=msgspec.convert(event.data["after"], ClaimValues),
            reason=str(event.data.get("reason", "")),
        )
        found.setdefault(int(event.data["seq"]), []).append(entry)
    return found


def record_claims(uow: UnitOfWorkFactory, ctx: Context, command: RecordClaims) -> list[Claim]:
    """Record claims on a policy the acting account may see, all or none: each is checked
    against the newest version (a member of the policy, covered on the date of loss, the
    cover in their plan, the date within the period and not after the business date).
    Numbered ``{policy number}-C{nnn}`` in order; a ``policy.claims_recorded`` event in
    the same transaction. Raises :class:`RequestError` (pointers) or :class:`CensusError`
    (file rows and columns) with every problem, or :class:`NotFound`."""
    claims, numbers = _decode(command)
    with uow() as work:
        state = _state(work, ctx, command.policy_id)
        period = (state.quote.period_start, state.quote.period_end)
        problems = check_claims(claims, state.members, period, ctx.today())
        if problems and numbers:
            raise CensusError(
                [
                    dataclasses.replace(
                        p, path=(), row=numbers[int(p.path[1])], column=str(p.path[2])
                    )
                    for p in problems
                ]
            )
        if problems:
            raise RequestError(problems)
        work.endorsements.lock_policy(state.policy.id)
        first = len(work.claims.for_policy(state.policy.id)) + 1
        now, who = ctx.now(), ctx.acting().id
        rows = [
            ClaimRow(
                policy_id=state.policy.id,
                seq=first + i,
                number=f"{state.policy.policy_number}-C{first + i:03d}",
                member_id=c.member_id,
                cover=c.cover,
                loss_date=c.loss_date,
                paid=f"{c.paid:.2f}",
                outstanding=f"{c.outstanding:.2f}",
                status=c.status,
                reference=c.reference,
                created_at=now,
                created_by=who,
            )
            for i, c in enumerate(claims)
        ]
        work.claims.add(rows)
        work.events.add(
            ctx.event(
                "policy.claims_recorded",
                state.policy.id,
                count=len(rows),
                numbers=[rows[0].number, rows[-1].number],
            )
        )
        work.commit()
    names = {m.member.member_id: m.member.name for m in state.members}
    return [_claim(r, names) for r in rows]


def claims_report(
    uow: UnitOfWorkFactory, ctx: Context, policy_id: str, as_of: dt.date | None = None
) -> ClaimsReport:
    """A policy's claims and their summary on ``as_of`` (default: the business date):
    count, paid, outstanding, incurred, the premium net of VAT earned by days to that
    date under the newest version (so after endorsements and a cancellation), the loss
    ratio incurred / earned and the member-years of cover."""
    day = as_of or ctx.today()
    with uow() as work:
        state = _state(work, ctx, policy_id)
        rows = work.claims.for_policy(state.policy.id)
        history = _corrections(work, state.policy.id)
    names = {m.member.member_id: m.member.name for m in state.members}
    last = {seq: entries[-1] for seq, entries in history.items()}
    claims = [_claim(r, names, last.get(r.seq)) for r in rows if r.loss_date <= day]
    period = (state.quote.period_start, state.quote.period_end)
    adjustment = state.adjustment_cents[0] - state.adjustment_cents[1]
    earned = earned_cents(state.members, adjustment, period, day)
    paid = sum(Decimal(c.paid) for c in claims)
    outstanding = sum(Decimal(c.outstanding) for c in claims)
    incurred = Decimal(paid) + Decimal(outstanding)
    four = Decimal("0.0001")
    ratio = (incurred * 100 / earned).quantize(four, ROUND_HALF_UP) if earned > 0 else None
    years = (Decimal(member_days(state.members, day)) / 365).quantize(four, ROUND_HALF_UP)
    summary = ClaimsSummary(
        as_of=day,
        count=len(claims),
        paid=f"{paid:.2f}",
        outstanding=f"{outstanding:.2f}",
        incurred=f"{incurred:.2f}",
        earned_premium=cents_to_text(earned),
        loss_ratio=None if ratio is None else f"{ratio}",
        member_years=f"{years}",
    )
    return ClaimsReport(claims, summary)


def _values(row: ClaimRow) -> ClaimValues:
    return ClaimValues(paid=row.paid, outstanding=row.outstanding, status=row.status)  # type: ignore[arg-type]


def _claim_row(work: UnitOfWork, policy_id: str, policy_number: str, seq: int) -> ClaimRow:
    for row in work.claims.for_policy(policy_id):
        if row.seq == seq:
            return row
    raise NotFound(f"No claim {seq} of policy {policy_number}.")


def correct_claim(uow: UnitOfWorkFactory, ctx: Context, command: CorrectClaim) -> ClaimDetail:
    """Correct a claim of a policy the acting account may see: its paid and outstanding
    amounts and status become those given (checked as a new claim's are); it keeps its
    number. The change is kept as a ``claim.corrected`` event (before, after, reason) in
    the same transaction; the same values again change nothing and add no event. Raises
    :class:`RequestError` (pointers ``/paid``, ``/outstanding``, ``/status``) or
    :class:`NotFound`."""
    correction = decode_body(command.raw_request, ClaimCorrection)
    with uow() as work:
        state = _state(work, ctx, command.policy_id)
        work.endorsements.lock_policy(state.policy.id)
        row = _claim_row(work, state.policy.id, state.policy.policy_number, command.seq)
        before = _values(row)
        after, problems = check_correction(before, correction)
        if problems:
            raise RequestError(problems)
        if after != before:
            work.claims.update(
                dataclasses.replace(
                    row, paid=after.paid, outstanding=after.outstanding, status=after.status
                )
            )
            work.events.add(
                ctx.event(
                    CORRECTED,
                    state.policy.id,
                    number=row.number,
                    seq=row.seq,
                    before=msgspec.to_builtins(before),
                    after=msgspec.to_builtins(after),
                    reason=correction.reason,
                )
            )
            work.commit()
    return get_claim(uow, ctx, command.policy_id, command.seq)


def get_claim(uow: UnitOfWorkFactory, ctx: Context, policy_id: str, seq: int) -> ClaimDetail:
    """One claim of a policy the acting account may see, with its corrections."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
        row = _claim_row(work, state.policy.id, state.policy.policy_number, seq)
        history = _corrections(work, state.policy.id).get(seq, [])
    names = {m.member.member_id: m.member.name for m in state.members}
    claim = _claim(row, names, history[-1] if history else None)
    return ClaimDetail(**msgspec.structs.asdict(claim), corrections=history)
