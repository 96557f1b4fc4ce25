"""Renewal quotes (续保): the next period of a policy, for the members it covers at its end,
on its plans, channel and terms, priced under the tariff in force on the renewal date with
the claims experience of the policy and of the policyholder's earlier policies (SPEC §3
step 3), and the change against the expiring premium split into census, tariff and
experience so that the parts add up to the renewal premium to the cent.

A renewal quote is a quote like any other (documents, referral, binding); binding it makes
the renewal policy, which names the policy it renews (``renewal_of``); a policy is renewed
at most once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from quoting.errors import PolicyRenewed, Problem, RequestError, TariffError
from quoting.policies import member_days, version_total_cents
from quoting.pricing import cents_to_text, price
from quoting.quote_builder import build_quote_columns
from quoting.quote_columns import QuoteColumns
from quoting.rating_input import age_last_birthday, resolve
from quoting.schemas import (
    AsOfOverride,
    Census,
    Experience,
    Plan,
    QuoteRequest,
    RenewalChange,
    RenewalExperience,
    TariffRef,
)
from quoting.schemas._request import MIN_MEMBER_YEARS
from quoting.services._context import Context
from quoting.services.endorsements import (
    _State,
    _state,
    refuse_if_cancelled,
    refuse_while_pending,
)
from quoting.services.intake import EXPERIENCE_DAYS_BACK, decode_request
from quoting.services.quotation import (
    StoredQuote,
    channel_terms,
    fx_rate,
    new_quote_row,
    quote_columns_request,
    replay_quote,
    request_fingerprint,
    store_quote,
)
from quoting.store import Account, UnitOfWork, UnitOfWorkFactory
from quoting.tariff import Tariff
from quoting.tariff.registry import registry_for, tariff_in_force

__all__ = ["RenewPolicy", "renewal_fingerprint", "renewal_period", "renewal_quote"]

_FOUR = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class RenewPolicy:
    """Prepare the renewal quote of a policy the acting account may see."""

    policy_id: str
    idempotency_key: str | None = None


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, the day clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return dt.date(year, month + 1, min(day.day, (first_of_next - dt.timedelta(days=1)).day))


def renewal_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period after ``start``–``end``: from the next day, as many calendar months as
    the expiring period when it is whole months (a year stays a year, leap day or not; a
    period from a day the shorter month lacks — 29 February to 28 February, 31 January to
    28 February — counts as whole months too), else as many days."""
    first = end + dt.timedelta(days=1)
    for months in range(1, 37):
        month_on = _add_months(start, months)
        if month_on == first or (month_on == end and start.day > 28):
            return first, _add_months(first, months) - dt.timedelta(days=1)
    return first, first + (end - start)


def _renewal_census(state: _State, new_start: dt.date) -> Census:
    """The members covered on the expiring policy's last day, covered for the whole new
    period (their own cover dates dropped). A stated age (no date of birth) grows by the
    whole years from the member's first day of cover on the expiring policy (a joiner's
    age was stated on joining) to the new start; a date of birth gives the age at the
    new start. A headcount grid's stated ages grow by the years between the starts (age
    bands stay)."""
    census = state.request.census
    if census.groups is not None:
        years = age_last_birthday(state.quote.period_start, new_start)
        return Census(
            groups=[
                msgspec.structs.replace(g, age=None if g.age is None else g.age + years)
                for g in census.groups
            ]
        )
    first_day: dict[str, dt.date] = {}
    for m in state.members:
        if m.start <= m.end:
            day = first_day.get(m.member.member_id, m.start)
            first_day[m.member.member_id] = min(day, m.start)
    last = state.quote.period_end
    staying = [m.member for m in state.members if m.start <= m.end and m.end == last]
    if not staying:
        raise RequestError(Problem.of("renewal.no_members", policy=state.policy.policy_number))
    return Census(
        members=[
            msgspec.structs.replace(
                m,
                start=None,
                end=None,
                age=m.age + age_last_birthday(first_day[m.member_id], new_start)
                if m.age is not None and m.date_of_birth is None
                else m.age,
            )
            for m in staying
        ]
    )


def _chain(work: UnitOfWork, state: _State) -> set[str]:
    """The ids of the policies the expiring one renews, back to the first."""
    chain: set[str] = set()
    policy = state.policy
    while policy.renewal_of is not None and policy.renewal_of not in chain:
        chain.add(policy.renewal_of)
        found = work.policies.get(policy.renewal_of)
        if found is None:
            break
        policy = found
    return chain


def _earlier(work: UnitOfWork, ctx: Context, state: _State) -> list[_State]:
    """The policies whose experience a renewal counts: the expiring one, the ones it
    renews, and the policyholder's other policies of the same owner (broker or agent)
    that ended before the expiring one began. A policy running alongside (another
    project's group) is not this group's experience, and another owner's book is not
    read (nor shown)."""
    chain = _chain(work, state)
    insurer = dataclasses.replace(ctx, account=None)
    found = [state]
    for policy, _ in work.policies.of_policyholder(state.quote.credit_code):
        if policy.id == state.policy.id:
            continue
        if policy.id not in chain and policy.owner_id != state.policy.owner_id:
            continue
        other = _state(work, insurer, policy.id)
        if other.quote.period_end < state.quote.period_start:
            found.append(other)
    return found


def _experience(
    work: UnitOfWork, ctx: Context, state: _State, tariff: Tariff, covers: set[str]
) -> tuple[Experience | None, RenewalExperience | None]:
    """The claims experience of the :func:`_earlier` policies begun within the experience
    window, to the business date: days of cover of their newest versions, and the claims
    of the renewal's covers with a date of loss by then, incurred (paid + outstanding)
    converted to the quote's currency by the renewal tariff's rates. None before any
    cover was earned."""
    today = ctx.today()
    low = today - dt.timedelta(days=EXPERIENCE_DAYS_BACK)
    currency = state.quote.currency
    days, count, incurred = 0, 0, Decimal(0)
    numbers, spans = [], []
    for other in _earlier(work, ctx, state):
        start, end = other.quote.period_start, other.quote.period_end
        if not low <= start <= today:
            continue
        as_of = min(today, end)
        days += member_days(other.members, as_of)
        rate = Decimal(1)
        if other.quote.currency != currency:
            base = fx_rate(tariff, other.quote.currency) / fx_rate(tariff, currency)
            rate = Decimal(repr(base))
        for claim in work.claims.for_policy(other.policy.id):
            if claim.loss_date <= as_of and claim.cover in covers:
                count += 1
                incurred += (Decimal(claim.paid) + Decimal(claim.outstanding)) * rate
        numbers.append(other.policy.policy_number)
        spans.append((start, as_of))
    member_years = days / 365
    if member_years < MIN_MEMBER_YEARS:
        return None, None
    incurred = incurred.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    stated = Experience(first, last, member_years, count, incurred)
    shown = RenewalExperience(
        policies=sorted(numbers),
        start=first,
        end=last,
        member_years=f"{(Decimal(days) / 365).quantize(_FOUR, rounding=ROUND_HALF_UP)}",
        claim_count=count,
        incurred_claims=f"{incurred:.2f}",
    )
    return stated, shown


def _received(
    state: _State, owner: Account, new_start: dt.date, new_end: dt.date
) -> dict[str, Any]:
    """The renewal request as the policy's owner would send it: the policy's request for
    the new period and census, its plans (member lists kept to the members who renew)
    and its channel's commission (a broker's comes from its account)."""
    census = _renewal_census(state, new_start)
    ids = {m.member_id for m in census.members or ()}
    plans = [
        p
        if p.member_ids is None
        else msgspec.structs.replace(p, member_ids=[i for i in p.member_ids if i in ids])
        for p in state.request.plans
    ]
    plans = [p for p in plans if p.member_ids != [] or p.classes] or plans
    request = msgspec.structs.replace(
        state.request,
        period=msgspec.structs.replace(state.request.period, start=new_start, end=new_end),
        census=census,
        plans=plans,
        as_of=None,
        experience=None,
        commission=None if owner.role == "broker" else state.request.commission,
        underwriter_adjustment=None,
    )
    return msgspec.to_builtins(request)


def _total_cents(
    request: QuoteRequest, tariff: Tariff, factor: float | None, today: dt.date
) -> int:
    """The premium of ``request`` (no experience input) under ``tariff`` with the
    experience factor fixed at ``factor`` (None: 1)."""
    resolved = resolve(request, tariff, fx_rate=fx_rate(tariff, request.currency))
    rating = dataclasses.replace(resolved.rating, fixed_experience_factor=factor)
    resolved = dataclasses.replace(resolved, rating=rating)
    assert request.as_of is not None
    header = build_quote_columns(
        resolved, price(rating, tariff), request.as_of, today=today, trace=False
    ).header
    return _cents(header.total_premium)


def _cents(text: str) -> int:
    """Cents of a decimal money string."""
    return int(Decimal(text).scaleb(2).to_integral_exact())


@dataclass(frozen=True, slots=True)
class _Basis:
    """What a renewal quote is compared with: the expiring premium, and the renewal
    census priced with the expiring experience factor under the expiring tariff and
    terms, under the renewal tariff and the expiring terms, and under the renewal tariff
    and terms."""

    expiring_cents: int
    expiring_tariff: TariffRef
    expiring_factor: float
    census_cents: int
    tariff_cents: int
    terms_cents: int


def _basis(state: _State, ctx: Context, request: QuoteRequest, expiring: int) -> _Basis:
    """The steps from the expiring premium to the renewal (see :class:`_Basis`)."""
    today = ctx.today()
    assert request.as_of is not None
    new = tariff_in_force(request.as_of, ctx.tariff_root)
    experience = state.quote.rating.experience
    factor = experience.factor if experience is not None else None
    plain = msgspec.structs.replace(request, experience=None)
    as_bound = msgspec.structs.replace(
        plain,
        commission=Decimal(repr(state.quote.commission)),
        underwriter_adjustment=state.request.underwriter_adjustment,
    )
    under_new = _total_cents(as_bound, new, factor, today)
    try:
        old = registry_for(ctx.tariff_root).by_hash(state.quote.tariff.hash)
        under_old = _total_cents(as_bound, old, factor, today)
    except (RequestError, TariffError):
        # The renewal census is not valid under the expiring tariff (say, a plan option
        # it did not have), or that version is gone: the tariff's change cannot be told
        # from the census's, and the census step is priced under the renewal tariff.
        under_old = under_new
    return _Basis(
        expiring,
        state.quote.tariff,
        factor if factor is not None else 1.0,
        under_old,
        under_new,
        _total_cents(plain, new, factor, today),
    )


def _change(
    state: _State, basis: _Basis, columns: QuoteColumns, shown: RenewalExperience | None
) -> RenewalChange:
    """The renewal's record of what it renews and how its premium differs."""
    header = columns.header
    total = _cents(header.total_premium)
    experience = header.rating.experience
    return RenewalChange(
        renewal_of=state.policy.id,
        policy_number=state.policy.policy_number,
        expiring_premium=cents_to_text(basis.expiring_cents),
        expiring_tariff=basis.expiring_tariff,
        expiring_experience_factor=basis.expiring_factor,
        experience_factor=experience.factor if experience is not None else 1.0,
        census_change=cents_to_text(basis.census_cents - basis.expiring_cents),
        tariff_change=cents_to_text(basis.tariff_cents - basis.census_cents),
        terms_change=cents_to_text(basis.terms_cents - basis.tariff_cents),
        experience_change=cents_to_text(total - basis.terms_cents),
        experience=shown,
    )


def renewal_fingerprint(state: _State) -> str:
    """What a renewal quote is priced on: the policy and the version of its member list
    (binding refuses a renewal quote whose policy changed since)."""
    body = msgspec.json.encode({"renewal_of": state.policy.id, "version": state.version})
    return request_fingerprint(body, None)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a renewal is priced from, read in one unit of work."""

    state: _State
    owner: Account
    start: dt.date
    end: dt.date
    experience: tuple[Experience | None, RenewalExperience | None]


def _facts(work: UnitOfWork, ctx: Context, state: _State) -> _Facts:
    """The policy as it stands, refused when it cannot be renewed."""
    renewed = work.policies.renewal_for(state.policy.id)
    if renewed is not None:
        raise PolicyRenewed(
            f"policy {state.policy.policy_number} is renewed already, as policy "
            f"{renewed.policy_number}"
        )
    refuse_if_cancelled(state)
    refuse_while_pending(state)
    owner = work.accounts.get(state.policy.owner_id)
    assert owner is not None, "a policy's owner is an account"
    start, end = renewal_period(state.quote.period_start, state.quote.period_end)
    tariff = tariff_in_force(start, ctx.tariff_root)
    covers = {code for plan in state.request.plans for code in _cover_codes(plan)}
    return _Facts(state, owner, start, end, _experience(work, ctx, state, tariff, covers))


def _cover_codes(plan: Plan) -> list[str]:
    """The codes of the covers a plan has."""
    return [name for name in plan.covers.__struct_fields__ if getattr(plan.covers, name)]


def renewal_quote(uow: UnitOfWorkFactory, ctx: Context, command: RenewPolicy) -> StoredQuote:
    """Price and store the renewal quote of a policy the acting account may see (see the
    module's docstring), for the policy's owner (a broker's policy renewed by an
    underwriter stays in the broker's book, on the broker's terms), with its
    ``quote.created`` event; the quote's ``renewal`` says what it renews and how its
    premium differs from the expiring one. The expiring quote's underwriter adjustment is
    carried: beyond the tariff's automatic authority it refers the renewal, as any quote.

    Raises :class:`NotFound`, :class:`PolicyRenewed` (renewed already),
    :class:`PolicyCancelled`, :class:`EndorsementPending`, :class:`RequestError` (the
    renewal request is not valid under the renewal tariff: each problem at its path) or
    :class:`IdempotencyKeyReused`. With an idempotency key seen before on a renewal of the
    same version of the policy: the earlier quote (``created=False``).
    """
    ctx.acting()
    today = ctx.today()
    key = command.idempotency_key
    with uow() as work:
        state = _state(work, ctx, command.policy_id)
        fingerprint = renewal_fingerprint(state)
        earlier = replay_quote(work, state.policy.owner_id, key, fingerprint) if key else None
        if earlier is not None:
            return StoredQuote(earlier, False)
        facts = _facts(work, ctx, state)
    stated, shown = facts.experience
    body = _received(state, facts.owner, facts.start, facts.end)
    if stated is not None:
        body["experience"] = msgspec.to_builtins(stated)
    received = decode_request(msgspec.json.encode(body), tariff_root=ctx.tariff_root, today=today)
    request, _ = channel_terms(received, facts.owner, today)
    # The tariff in force on the renewal date prices it (not the business date's), on the
    # expiring quote's adjustment (the insurer's decision, not the client's input).
    carried = {"as_of": facts.start, "underwriter_adjustment": state.request.underwriter_adjustment}
    request = msgspec.structs.replace(request, **carried)
    received = msgspec.structs.replace(received, **carried)
    columns = quote_columns_request(request, tariff_root=ctx.tariff_root, today=today)
    premium, _vat = version_total_cents(state.members, state.adjustment_cents)
    change = _change(state, _basis(state, ctx, request, premium), columns, shown)
    # Priced as of the renewal date on the business date: recorded, so that re-pricing it
    # judges it on the day it was made.
    override = AsOfOverride(business_date=today, set_by="renewal")
    header = msgspec.structs.replace(columns.header, renewal=change, as_of_override=override)
    columns = dataclasses.replace(columns, header=header)
    row, columns = new_quote_row(ctx, facts.owner, received, columns, fingerprint, key)
    return store_quote(uow, ctx, row, columns)
