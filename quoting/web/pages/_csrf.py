"""CSRF protection of the pages' forms: a signed double-submit token.

The token is ``nonce.mac`` with ``mac = HMAC-SHA256(key, binding | nonce)``, where the key
is the application's own (made once, kept in the database, shared by every process) and
the binding is the session's id hash (``anonymous`` before sign-in). The browser holds the
token in an HttpOnly, SameSite=Lax cookie; every page form carries it in a hidden field
(``_csrf``) and scripts may send it as ``X-CSRF-Token``. A POST, PUT, PATCH or DELETE to a
page is refused (403) unless the sent token equals the cookie's and its MAC is right for
the current session, so a token from another session or one planted by a sibling site is
worth nothing. The JSON API under ``/api`` takes no cookies and needs no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler

from quoting.services.sessions import OpenSession

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CsrfRefused",
    "csrf_cookie",
    "csrf_guard",
    "csrf_token",
]

CSRF_COOKIE = "quoting_csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_STATE_TOKEN = "csrf_token"
_STATE_FRESH = "csrf_fresh"


class CsrfRefused(Exception):
    """A page form came without the right token (answered with a 403 page)."""


def _binding(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    auth = connection.scope.get("auth")
    return auth.session.id_hash if isinstance(auth, OpenSession) else "anonymous"


def _mac(key: bytes, binding: str, nonce: str) -> str:
    return hmac.new(key, f"{binding}|{nonce}".encode(), hashlib.sha256).hexdigest()


def _valid(key: bytes, binding: str, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _mac(key, binding, nonce))


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token of this request's forms: the cookie's while it is valid for the session,
    else a new one (which :func:`csrf_cookie` then gives the browser)."""
    state = connection.scope.setdefault("state", {})
    if _STATE_TOKEN in state:
        return str(state[_STATE_TOKEN])
    key: bytes = connection.app.state.page_secret
    binding = _binding(connection)
    token = connection.cookies.get(CSRF_COOKIE, "")
    if not _valid(key, binding, token):
        nonce = secrets.token_urlsafe(18)
        token = f"{nonce}.{_mac(key, binding, nonce)}"
        state[_STATE_FRESH] = True
    state[_STATE_TOKEN] = token
    return token


def csrf_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> Cookie | None:
    """The cookie to send when this request made a new token, else None."""
    state = connection.scope.get("state", {})
    if not state.get(_STATE_FRESH):
        return None
    return Cookie(
        key=CSRF_COOKIE,
        value=str(state[_STATE_TOKEN]),
        path="/",
        httponly=True,
        samesite="lax",
        secure=connection.app.state.settings.pages.secure_cookies,
    )


async def csrf_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse an unsafe request to a page without the token of the browser's cookie."""
    if connection.scope.get("method", "GET") in _SAFE_METHODS:
        return
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent:
        form = await connection.form() if isinstance(connection, Request) else {}
        sent = str(form.get(CSRF_FIELD, ""))
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    key: bytes = connection.app.state.page_secret
    if not (sent and cookie and hmac.compare_digest(sent, cookie)) or not _valid(
        key, _binding(connection), cookie
    ):
        raise CsrfRefused()
