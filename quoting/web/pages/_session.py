"""Who is signed in to the pages: the session cookie, :class:`PageUser`, the guards.

:class:`PageSessionMiddleware` (on the pages' router only) reads the ``quoting_session``
cookie, resumes its session through the sessions service and puts a :class:`PageUser` in
``request.user`` (None for anonymous visitors) and the open session in ``request.auth``.
It never looks at ``Authorization``: an API key opens no page. The API's middleware never
looks at cookies: a page session opens no API route.

Guards: :func:`signed_in` sends anonymous visitors to ``/signin?next=<this page>``;
``require_role("underwriter", ...)`` does that and answers other roles with a 403 page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from quoting.services import Context
from quoting.services.sessions import OpenSession, SessionPolicy, resume_session
from quoting.settings import Settings
from quoting.store import Account
from quoting.web.pages._i18n import PageLocale, as_locale

__all__ = [
    "LANGUAGE_COOKIE",
    "SESSION_COOKIE",
    "PageForbidden",
    "PageSessionMiddleware",
    "PageUser",
    "SignInRequired",
    "page_locale",
    "page_user",
    "require_role",
    "safe_next",
    "session_cookie",
    "session_policy",
    "signed_in",
    "signin_url",
]

SESSION_COOKIE = "quoting_session"
#: The language chosen before signing in (signed-in users keep theirs in the session).
LANGUAGE_COOKIE = "quoting_lang"


@dataclass(frozen=True, slots=True)
class PageUser:
    """The signed-in user of a page: ``request.user`` on the pages' routes.

    ``account`` is the store's record (give it to a service's :class:`Context`, e.g. the
    ``context`` dependency does); ``locale`` the language of the pages; ``session_id`` the
    id hash of the session (never the browser's token)."""

    account: Account
    locale: PageLocale
    session_id: str

    @property
    def id(self) -> str:
        """The account id."""
        return self.account.id

    @property
    def name(self) -> str:
        """The account's name, as typed at sign-in."""
        return self.account.name

    @property
    def role(self) -> str:
        """``agent``, ``underwriter`` or ``admin``."""
        return self.account.role

    @classmethod
    def of(cls, opened: OpenSession) -> PageUser:
        """The user of an open session."""
        return cls(opened.account, as_locale(opened.locale), opened.session.id_hash)


class SignInRequired(Exception):
    """An anonymous visitor asked for a page that needs a user (a redirect to sign-in)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """The user's role may not open this page (a 403 page)."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__(", ".join(roles))
        self.roles = roles


def session_policy(settings: Settings) -> SessionPolicy:
    """The session lengths of the settings."""
    pages = settings.pages
    return SessionPolicy(
        idle=dt.timedelta(seconds=pages.session_idle_seconds),
        lifetime=dt.timedelta(seconds=pages.session_lifetime_seconds),
    )


def session_cookie(settings: Settings, token: str | None) -> Cookie:
    """The session cookie carrying ``token`` (None: the cookie that deletes it)."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token or "",
        path="/",
        max_age=settings.pages.session_lifetime_seconds if token else 0,
        httponly=True,
        samesite="lax",
        secure=settings.pages.secure_cookies,
    )


class PageSessionMiddleware(AbstractAuthenticationMiddleware):
    """The session cookie → ``request.user`` (:class:`PageUser` or None)."""

    def __init__(self, app: ASGIApp) -> None:
        """Every request of the pages' routes, any method (the API's ``exclude_from_auth``
        marker on them is not ours)."""
        super().__init__(
            app, exclude_from_auth_key="exclude_from_page_session", exclude_http_methods=[]
        )

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """The user of the cookie's session, or an anonymous visitor."""
        token = connection.cookies.get(SESSION_COOKIE)
        if not token:
            return AuthenticationResult(user=None, auth=None)
        state = connection.app.state
        settings: Settings = state.settings
        ctx = Context(clock=settings.clock, tariff_root=settings.tariff_root, brand=settings.brand)
        opened = await anyio.to_thread.run_sync(
            resume_session, state.units_of_work, ctx, state.session_policy, token
        )
        if opened is None:
            return AuthenticationResult(user=None, auth=None)
        return AuthenticationResult(user=PageUser.of(opened), auth=opened)


def page_user(connection: ASGIConnection[Any, Any, Any, Any]) -> PageUser | None:
    """The signed-in user, or None."""
    user = connection.scope.get("user")
    return user if isinstance(user, PageUser) else None


def page_locale(connection: ASGIConnection[Any, Any, Any, Any]) -> PageLocale:
    """The language of this request's page: the user's, else the one chosen on the sign-in
    page, else Chinese."""
    user = page_user(connection)
    if user is not None:
        return user.locale
    return as_locale(connection.cookies.get(LANGUAGE_COOKIE))


def safe_next(value: object, default: str = "/") -> str:
    """``value`` if it is a path of this site (``/quotes?page=2``), else ``default``: no
    scheme, no host, no ``//`` or backslash tricks, no control characters."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or len(value) > 2000:
        return default
    return value


def _this_page(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    query = connection.url.query
    return connection.url.path + (f"?{query}" if query else "")


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: anonymous visitors go to ``/signin?next=<this page>``."""
    if page_user(connection) is None:
        raise SignInRequired(_this_page(connection))


def require_role(
    *roles: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """Guard: signed in (else to sign-in) with one of ``roles`` (else a 403 page)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        signed_in(connection, handler)
        user = page_user(connection)
        if user is not None and user.role not in roles:
            raise PageForbidden(roles)

    return guard


def signin_url(next_path: str) -> str:
    """The sign-in page that comes back to ``next_path``."""
    return f"/signin?next={quote(safe_next(next_path), safe='/')}"
