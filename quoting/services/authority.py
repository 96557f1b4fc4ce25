"""Each account's underwriting authority: its own when set, else its role's default, and
setting it (an ``account.authority_set`` event with before and after)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from quoting.errors import NotFound, Problem, QuotingError
from quoting.services._context import Context
from quoting.store import Account, UnitOfWorkFactory
from quoting.tariff.registry import tariff_in_force
from quoting.underwriting import DEFAULT_AUTHORITY, Authority

__all__ = ["SetAuthority", "authority_of", "authority_record", "set_authority"]

#: The largest sum insured an authority may name (beyond any book).
_MAX_SUM_INSURED = Decimal("1e13")


def authority_of(account: Account) -> Authority:
    """The account's authority: each figure its own if set, else its role's default."""
    default = DEFAULT_AUTHORITY.get(account.role, Authority(0.0, 0.0, 0.0))
    return Authority(
        float(account.adjustment_authority)
        if account.adjustment_authority is not None
        else default.adjustment,
        float(account.sum_insured_authority)
        if account.sum_insured_authority is not None
        else default.member_sum_insured,
        float(account.group_sum_insured_authority)
        if account.group_sum_insured_authority is not None
        else default.group_sum_insured,
    )


def authority_record(account: Account) -> dict[str, str]:
    """The account's authority as Decimal strings (events, the CLI, the API)."""
    a = authority_of(account)
    return {
        "adjustment": f"{Decimal(repr(a.adjustment)).normalize():f}",
        "sum_insured": f"{Decimal(repr(a.member_sum_insured)).quantize(Decimal(1)):f}",
        "group_sum_insured": f"{Decimal(repr(a.group_sum_insured)).quantize(Decimal(1)):f}",
    }


@dataclass(frozen=True, slots=True)
class SetAuthority:
    """An account's new authority; a figure left None keeps its current value."""

    account_id: str
    adjustment: str | None = None
    sum_insured: str | None = None
    group_sum_insured: str | None = None


def _amount(text: str | None, field: str, high: Decimal) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise QuotingError(Problem(f"{text!r} is not a number", path=(field,))) from None
    if not value.is_finite() or not 0 <= value <= high:
        raise QuotingError(Problem(f"must be a number from 0 to {high:,}", path=(field,)))
    return value


def set_authority(uow: UnitOfWorkFactory, ctx: Context, command: SetAuthority) -> Account:
    """Give an account its own authority (the insurer's tools; an admin through the
    API): the adjustment up to the tariff's maximum (``adjustment_max`` of the tariff in
    force today), sums insured in the base currency."""
    if ctx.account is not None and ctx.account.role != "admin":
        raise QuotingError(Problem("only admins set authorities", path=("account_id",)))
    most = tariff_in_force(ctx.today(), ctx.tariff_root).params.underwriting.adjustment_max
    adjustment = _amount(command.adjustment, "adjustment", Decimal(repr(most)))
    member = _amount(command.sum_insured, "sum_insured", _MAX_SUM_INSURED)
    group = _amount(command.group_sum_insured, "group_sum_insured", _MAX_SUM_INSURED)
    with uow() as work:
        account = work.accounts.get(command.account_id)
        if account is None:
            raise NotFound(f"no account {command.account_id}")
        before = authority_record(account)

        def kept(new: Decimal | None, old: str | None) -> str | None:
            return old if new is None else f"{new:f}"

        work.accounts.set_authority(
            account.id,
            kept(adjustment, account.adjustment_authority),
            kept(member, account.sum_insured_authority),
            kept(group, account.group_sum_insured_authority),
        )
        changed = work.accounts.get(account.id)
        assert changed is not None
        work.events.add(
            ctx.event(
                "account.authority_set",
                account.id,
                before=before,
                after=authority_record(changed),
            )
        )
        work.commit()
    return changed
