"""A demo set-up for a newcomer: one agent and one underwriter who can sign in to the
pages, with fresh passwords each time the demo starts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from quoting.services._context import Context
from quoting.services._passwords import signin_name
from quoting.services.accounts import NewAccount, create_account, set_password
from quoting.store import Account, UnitOfWorkFactory

__all__ = ["DEMO_USERS", "DemoUser", "prepare_demo_users"]

#: The demo's users: sign-in name and role.
DEMO_USERS = (("演示代理人 Demo agent", "agent"), ("演示核保人 Demo underwriter", "underwriter"))


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A demo account and the password it signs in with (shown to whoever starts the demo)."""

    account: Account
    password: str


def prepare_demo_users(uow: UnitOfWorkFactory, ctx: Context) -> list[DemoUser]:
    """Create the demo agent and underwriter if they are not there yet, and give each a new
    random password (so a demo database never keeps a password anyone has seen before)."""
    users = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        with uow() as work:
            found = work.accounts.by_signin_name(signin_name(name))
        if found is None:
            account = create_account(uow, ctx, NewAccount(name, role, password=password)).account
        else:
            account = set_password(uow, ctx, found[0].id, password)
        users.append(DemoUser(account, password))
    return users
