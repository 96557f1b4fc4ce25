"""Accounts and their API keys: create brokers and users, issue and revoke keys, disable
and enable accounts, list them, find the account of a key, and set the password and the
language of the pages (agents, underwriters and admins; brokers have no password)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from quoting.errors import NotFound, Problem, QuotingError
from quoting.services._context import Context
from quoting.services._passwords import PAGE_ROLES, check_password, hash_password, signin_name
from quoting.store import (
    ROLES,
    Account,
    ApiKeyRow,
    Conflict,
    NewApiKey,
    UnitOfWork,
    UnitOfWorkFactory,
    hash_api_key,
    new_api_key,
    new_id,
)
from quoting.tariff.registry import tariff_in_force

__all__ = [
    "IssuedKey",
    "NewAccount",
    "authenticate",
    "create_account",
    "issue_key",
    "list_accounts",
    "revoke_key",
    "set_disabled",
    "set_password",
]

#: The languages of the pages.
LOCALES = ("zh_Hans_CN", "en")


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An account to create: brokers need a commission (a fraction, e.g. 0.15); agents,
    underwriters and admins may have a password for the pages."""

    name: str
    role: str
    commission: Decimal | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """An account and a new key of it: the key is shown this once, never stored."""

    account: Account
    key: str
    key_id: str


def _check_commission(ctx: Context, commission: Decimal) -> None:
    """A broker's commission lies within the bounds of the tariff in force today, under
    the context's tariffs (``QUOTING_TARIFFS``)."""
    bounds = tariff_in_force(ctx.today(), ctx.tariff_root).params.loadings
    low, high = Decimal(str(bounds.commission_min)), Decimal(str(bounds.commission_max))
    if not low <= commission <= high:
        raise QuotingError(
            Problem(
                f"{commission} is outside the tariff's bounds "
                f"[{bounds.commission_min}, {bounds.commission_max}]",
                path=("commission",),
            )
        )


def _add_key(work: UnitOfWork, ctx: Context, account: Account) -> IssuedKey:
    key = new_api_key()
    row = ApiKeyRow(new_id("key"), account.id, key[:10], ctx.now(), None)
    work.accounts.add_key(NewApiKey(row, hash_api_key(key)))
    work.events.add(ctx.event("key.issued", row.id, account=account.id))
    return IssuedKey(account, key, row.id)


def create_account(uow: UnitOfWorkFactory, ctx: Context, command: NewAccount) -> IssuedKey:
    """Create an account and its first API key."""
    if command.role not in ROLES:
        raise QuotingError(Problem(f"must be one of {', '.join(ROLES)}", path=("role",)))
    commission = None
    if command.role == "broker":
        if command.commission is None:
            raise QuotingError(Problem("a broker needs a commission", path=("commission",)))
        _check_commission(ctx, command.commission)
        commission = str(command.commission)
    if command.password is not None:
        _check_can_have_password(command.role, command.password)
    account = Account(new_id("acc"), command.name, command.role, commission, ctx.now(), False)
    with uow() as work:
        work.accounts.add(account)
        work.events.add(ctx.event("account.created", account.id, role=account.role))
        issued = _add_key(work, ctx, account)
        if command.password is not None:
            _store_password(work, ctx, account, command.password)
        work.commit()
    return issued


def _check_can_have_password(role: str, password: str) -> None:
    if role not in PAGE_ROLES:
        raise QuotingError(
            Problem(f"a {role} has no password: brokers use the API with keys", path=("password",))
        )
    check_password(password)


def _store_password(work: UnitOfWork, ctx: Context, account: Account, password: str) -> None:
    """Hash and store the password; the account's page sessions end (a changed password
    signs out everyone who had the old one)."""
    name = signin_name(account.name)
    taken = work.accounts.by_signin_name(name)
    if taken is not None and taken[0].id != account.id:
        raise QuotingError(
            Problem(
                f"account {taken[0].id} ({taken[0].name}) already signs in with this name; "
                "accounts that sign in need names of their own",
                path=("name",),
            )
        )
    try:
        work.accounts.set_password(account.id, name, hash_password(password))
    except Conflict:
        raise QuotingError(
            Problem(f"another account signs in with the name {account.name!r}", path=("name",))
        ) from None
    work.sessions.delete_for_account(account.id)
    work.events.add(ctx.event("account.password_set", account.id))


def set_password(uow: UnitOfWorkFactory, ctx: Context, account_id: str, password: str) -> Account:
    """Set (or change) the password an agent, underwriter or admin signs in to the pages
    with; every session of the account ends."""
    with uow() as work:
        account = work.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        _check_can_have_password(account.role, password)
        _store_password(work, ctx, account, password)
        work.commit()
    return account


def issue_key(uow: UnitOfWorkFactory, ctx: Context, account_id: str) -> IssuedKey:
    """Another API key for an existing account (older keys stay valid)."""
    with uow() as work:
        account = work.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        issued = _add_key(work, ctx, account)
        work.commit()
    return issued


def revoke_key(uow: UnitOfWorkFactory, ctx: Context, key_id: str) -> ApiKeyRow:
    """Revoke a key for good (revoking it again keeps the first time)."""
    with uow() as work:
        row = work.accounts.revoke_key(key_id, ctx.now())
        if row is None:
            raise NotFound(f"no API key {key_id}")
        work.events.add(ctx.event("key.revoked", key_id, account=row.account_id))
        work.commit()
    return row


def set_disabled(uow: UnitOfWorkFactory, ctx: Context, account_id: str, disabled: bool) -> Account:
    """Disable an account (all its keys are refused) or enable it again."""
    with uow() as work:
        account = work.accounts.set_disabled(account_id, disabled)
        if account is None:
            raise NotFound(f"no account {account_id}")
        kind = "account.disabled" if disabled else "account.enabled"
        work.events.add(ctx.event(kind, account_id))
        work.commit()
    return account


def list_accounts(uow: UnitOfWorkFactory) -> list[tuple[Account, list[ApiKeyRow]]]:
    """Every account, oldest first, with its keys."""
    with uow() as work:
        keys: dict[str, list[ApiKeyRow]] = {}
        for key in work.accounts.api_keys():
            keys.setdefault(key.account_id, []).append(key)
        return [(a, keys.get(a.id, [])) for a in work.accounts.all()]


def authenticate(uow: UnitOfWorkFactory, key: str) -> Account | None:
    """The enabled account owning ``key``, if the key is valid and not revoked."""
    with uow() as work:
        account = work.accounts.by_key_hash(hash_api_key(key))
    if account is None or account.disabled:
        return None
    return account
