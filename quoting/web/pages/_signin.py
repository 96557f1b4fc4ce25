"""Sign-in, sign-out, the language switch and the home page.

Failed sign-ins count per typed name (normalised) and per client address in moving
windows (``QUOTING_SIGNIN_ACCOUNT_LIMIT``, default 5 per 15 minutes;
``QUOTING_SIGNIN_ADDRESS_LIMIT``, 20): past either, the sign-in page answers 429 with
``Retry-After`` and checks no password until the window has room again. A name that
belongs to no account counts like one that does, and the answer is always the same
"wrong name or password", so the page tells nobody which names exist.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from quoting.services import Context
from quoting.services.sessions import (
    OpenSession,
    SignIn,
    end_session,
    set_session_data,
    sign_in,
    signin_name,
)
from quoting.settings import Settings
from quoting.web._auth import client_address
from quoting.web._ratelimit import RateLimiter
from quoting.web.pages._i18n import LOCALES
from quoting.web.pages._render import render
from quoting.web.pages._session import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    page_user,
    safe_next,
    session_cookie,
    signed_in,
)

__all__ = ["SignInController"]

log = logging.getLogger("quoting.web.pages")
#: Longest name and password read from the form (longer ones cannot match).
_MAX_NAME = 200
_MAX_PASSWORD = 256


def _context(settings: Settings) -> Context:
    return Context(clock=settings.clock, tariff_root=settings.tariff_root, brand=settings.brand)


def _signin_page(
    request: Request[Any, Any, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[str]:
    context.setdefault("name", "")
    context.setdefault("next", safe_next(request.query_params.get("next")))
    context.setdefault("error", None)
    context.setdefault("minutes", 0)
    return render(request, "signin.html", status_code=status, headers=headers, **context)


async def _locked_for(limiter: RateLimiter, address: str, name: str) -> int:
    """Seconds until a sign-in from this address for this name may be tried, or 0."""
    wait = await limiter.exhausted("signin_address", address)
    if name:
        wait = max(wait, await limiter.exhausted("signin_name", name))
    return wait


class SignInController(Controller):
    """``/signin``, ``/signout``, ``/language`` and ``/``."""

    path = "/"
    include_in_schema = False

    @get("/signin", name="signin", sync_to_thread=False)
    def signin_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The sign-in form; a signed-in user goes on to ``next``."""
        if page_user(request) is not None:
            return Redirect(safe_next(request.query_params.get("next")), status_code=303)
        return _signin_page(request)

    @post("/signin", name="signin-submit", status_code=303)
    async def signin_submit(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Check the name and password; on success a new session and on to ``next``."""
        form = await request.form()
        name = str(form.get("name", ""))[:_MAX_NAME]
        password = str(form.get("password", ""))[:_MAX_PASSWORD]
        target = safe_next(form.get("next"))
        state = request.app.state
        limiter: RateLimiter = state.rate_limiter
        address, key = client_address(request), signin_name(name)
        if wait := await _locked_for(limiter, address, key):
            minutes = max(1, -(-wait // 60))
            headers = {"Retry-After": str(wait)}
            return _signin_page(
                request, 429, headers, name=name, next=target, error="locked", minutes=minutes
            )
        command = SignIn(
            name,
            password,
            request.cookies.get(LANGUAGE_COOKIE),
            request.cookies.get(SESSION_COOKIE),
        )
        settings: Settings = state.settings
        started = await anyio.to_thread.run_sync(
            sign_in, state.units_of_work, _context(settings), state.session_policy, command
        )
        if started is None:
            await limiter.hit("signin_address", address)
            if key:
                await limiter.hit("signin_name", key)
            log.info("failed sign-in from %s", address)
            return _signin_page(request, 400, name=name, next=target, error="wrong")
        if key:
            await limiter.clear("signin_name", key)
        response = Redirect(target, status_code=303)
        response.set_cookie(session_cookie(settings, started.token))
        response.delete_cookie(LANGUAGE_COOKIE, path="/")
        return response

    @post("/signout", name="signout", status_code=303)
    async def signout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """End the session; back to the sign-in page."""
        settings: Settings = request.app.state.settings
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await anyio.to_thread.run_sync(
                end_session, request.app.state.units_of_work, _context(settings), token
            )
        response = Redirect("/signin", status_code=303)
        response.set_cookie(session_cookie(settings, None))
        return response

    @post("/language", name="language", status_code=303)
    async def language(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Switch the pages to ``locale`` (zh_Hans_CN or en) and go back to ``next``:
        kept in the session and for the account, or before sign-in in a cookie."""
        form = await request.form()
        locale = str(form.get("locale", ""))
        response = Redirect(safe_next(form.get("next")), status_code=303)
        if locale not in LOCALES:
            return response
        opened = request.scope.get("auth")
        settings: Settings = request.app.state.settings
        if isinstance(opened, OpenSession):
            await anyio.to_thread.run_sync(
                lambda: set_session_data(
                    request.app.state.units_of_work, _context(settings), opened, locale=locale
                )
            )
        else:
            response.set_cookie(
                Cookie(
                    key=LANGUAGE_COOKIE,
                    value=locale,
                    path="/",
                    max_age=365 * 86400,
                    httponly=True,
                    samesite="lax",
                    secure=settings.pages.secure_cookies,
                )
            )
        return response

    @get("/", name="home", guards=[signed_in], sync_to_thread=False)
    def home(self, request: Request[Any, Any, Any]) -> Response[str]:
        """The signed-in user's home page (their name and role, and sign-out)."""
        opened: OpenSession = request.scope["auth"]
        return render(
            request,
            "home.html",
            signed_in_at=opened.session.created_at,
            session_ends_at=opened.session.expires_at,
        )
