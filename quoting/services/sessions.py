"""Sign-in to the pages and their server-side sessions: start one with a name and a
password, resume it from the browser's token, keep what the pages store in it, end it.

The browser holds a random token (256 bits); the database holds only its SHA-256, the
account, when the session began and was last used, its absolute end and a little JSON.
A session ends at its absolute end (``lifetime`` after sign-in) or after ``idle`` without
use, whichever comes first, and at once when its account is disabled or its password
changes. Signing in always starts a new session (a new token): a token planted in the
browser before sign-in is worth nothing after it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from typing import Any

from quoting.services._context import Context
from quoting.services._passwords import hash_password, signin_name, verify_password
from quoting.services.accounts import LOCALES
from quoting.store import Account, Event, UnitOfWorkFactory, WebSession, hash_api_key

__all__ = [
    "OpenSession",
    "SessionPolicy",
    "SignIn",
    "StartedSession",
    "end_session",
    "page_secret",
    "resume_session",
    "set_session_data",
    "sign_in",
    "signin_name",
]

_MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions last: ``idle`` without use, ``lifetime`` at most; the time of last
    use is written at most once per ``touch_every`` (not on every page)."""

    idle: dt.timedelta = dt.timedelta(hours=8)
    lifetime: dt.timedelta = dt.timedelta(hours=24)
    touch_every: dt.timedelta = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SignIn:
    """A name and password typed at sign-in. ``locale``: a language chosen on the sign-in
    page (it becomes the account's); ``replacing``: the token the browser held before, if
    any (that session ends)."""

    name: str
    password: str
    locale: str | None = None
    replacing: str | None = None


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A session in use and its account."""

    session: WebSession
    account: Account

    @property
    def locale(self) -> str:
        """The language of the session's pages (the account's unless switched since)."""
        chosen = self.session.data.get("locale")
        return chosen if chosen in LOCALES else self.account.locale


@dataclass(frozen=True, slots=True)
class StartedSession:
    """A new session and the token the browser keeps (its cookie); shown once."""

    token: str
    open: OpenSession


def _token_hash(token: str) -> str | None:
    return hash_api_key(token) if 0 < len(token) <= _MAX_TOKEN_LENGTH else None


def _check_credentials(uow: UnitOfWorkFactory, command: SignIn) -> Account | None:
    """The enabled account that signs in with this name and password, else None (every
    refusal takes the time of one argon2 verification)."""
    name = signin_name(command.name)
    with uow() as work:
        found = work.accounts.by_signin_name(name) if name else None
    matches, rehash = verify_password(found[1] if found else None, command.password)
    if found is None or not matches or found[0].disabled:
        return None
    if rehash:
        with uow() as work:
            work.accounts.set_password(found[0].id, name, hash_password(command.password))
            work.commit()
    return found[0]


def sign_in(
    uow: UnitOfWorkFactory, ctx: Context, policy: SessionPolicy, command: SignIn
) -> StartedSession | None:
    """A new session for the account with this name and password; None when they do not
    match an enabled account (the caller says only "wrong name or password")."""
    account = _check_credentials(uow, command)
    if account is None:
        return None
    now = ctx.now()
    locale = command.locale if command.locale in LOCALES else account.locale
    token = secrets.token_urlsafe(32)
    session = WebSession(
        hash_api_key(token), account.id, now, now, now + policy.lifetime, {"locale": locale}
    )
    with uow() as work:
        if command.replacing and (old := _token_hash(command.replacing)):
            work.sessions.delete(old)
        work.sessions.purge(now, now - policy.idle)
        if locale != account.locale:
            work.accounts.set_locale(account.id, locale)
            account = replace(account, locale=locale)
        work.sessions.add(session)
        work.events.add(Event("session.started", account.id, account.id, now, {}))
        work.commit()
    return StartedSession(token, OpenSession(session, account))


def resume_session(
    uow: UnitOfWorkFactory, ctx: Context, policy: SessionPolicy, token: str
) -> OpenSession | None:
    """The open session of a browser's token; None if unknown, past its end, idle too
    long, or its account is disabled (such a session is deleted)."""
    id_hash = _token_hash(token)
    if id_hash is None:
        return None
    with uow() as work:
        session = work.sessions.get(id_hash)
        if session is None:
            return None
        now = ctx.now()
        account = work.accounts.get(session.account_id)
        if (
            account is None
            or account.disabled
            or session.expires_at <= now
            or session.last_seen_at + policy.idle <= now
        ):
            work.sessions.delete(id_hash)
            work.commit()
            return None
        if now - session.last_seen_at >= policy.touch_every:
            work.sessions.touch(id_hash, now)
            work.commit()
            session = replace(session, last_seen_at=now)
    return OpenSession(session, account)


def set_session_data(
    uow: UnitOfWorkFactory, ctx: Context, open_session: OpenSession, **changes: Any
) -> OpenSession:
    """Store ``changes`` in the session's data (JSON values); ``locale`` is remembered for
    the account as well."""
    data = {**open_session.session.data, **changes}
    account = open_session.account
    with uow() as work:
        work.sessions.set_data(open_session.session.id_hash, data)
        locale = changes.get("locale")
        if locale in LOCALES and locale != account.locale:
            work.accounts.set_locale(account.id, locale)
            account = replace(account, locale=locale)
        work.commit()
    return OpenSession(replace(open_session.session, data=data), account)


def end_session(uow: UnitOfWorkFactory, ctx: Context, token: str) -> None:
    """Sign out: the session of this token ends (nothing happens for an unknown token)."""
    id_hash = _token_hash(token)
    if id_hash is None:
        return
    with uow() as work:
        session = work.sessions.get(id_hash)
        if session is None:
            return
        work.sessions.delete(id_hash)
        work.events.add(Event("session.ended", session.account_id, session.account_id, ctx.now()))
        work.commit()


def page_secret(uow: UnitOfWorkFactory) -> bytes:
    """The key the pages sign their form tokens with: made once, kept in the database, the
    same for every process."""
    with uow() as work:
        value = work.secrets.get_or_create("page-forms", lambda: secrets.token_hex(32))
        work.commit()
    return bytes.fromhex(value)
