"""Errors on the pages: HTML pages in the user's language with the other language beside
it, never a stack trace; the JSON API keeps its problem details (quoting/web/_problems.py).

- an anonymous visitor on a page that needs a user → 303 to ``/signin?next=…``;
- a form without its CSRF token → 403 "the form has expired";
- a role that may not open the page → 403; an unknown thing → 404;
- anything else of ours → 500 with an incident number, logged with its traceback.

Answers made before any route is found (an unknown path: 404; a known path with another
method: 405) come from the app's own handlers: :func:`unrouted_exception_handlers` gives
them the HTML page too, unless the path is one of the API's (``/api``, ``/schema``,
``/health``, the documents' fonts), which keeps its problem details. No page middleware
ran for them, so the page is the anonymous visitor's, in the language of the sign-in page's
choice (Chinese by default) with the other language beside it.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from quoting.errors import QuotingError
from quoting.web._headers import PAGE_ERROR_STATE_KEY
from quoting.web._problems import INCIDENT_STATE_KEY
from quoting.web.pages._csrf import CsrfRefused
from quoting.web.pages._render import render
from quoting.web.pages._session import PageForbidden, SignInRequired, signin_url

__all__ = [
    "API_PREFIXES",
    "is_api_path",
    "page_exception_handlers",
    "unrouted_exception_handlers",
]

#: Paths that answer as the API does (problem details), never with an HTML page.
API_PREFIXES = ("/api", "/schema", "/health", "/documents/fonts")


log = logging.getLogger("quoting.web.pages")


def _error_page(
    request: Request[Any, Any, Any], status: int, kind: str, **context: Any
) -> Response[str]:
    return render(request, "error.html", status_code=status, kind=kind, status=status, **context)


def is_api_path(path: str) -> bool:
    """True for a path of the API (or its docs, health check and fonts)."""
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


def _sign_in_first(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    return Redirect(signin_url(exc.next_path), status_code=303)


def _csrf(request: Request[Any, Any, Any], exc: CsrfRefused) -> Response[str]:
    return _error_page(request, 403, "csrf")


def _forbidden(request: Request[Any, Any, Any], exc: PageForbidden) -> Response[str]:
    return _error_page(request, 403, "forbidden")


def _quoting(request: Request[Any, Any, Any], exc: QuotingError) -> Response[str]:
    if exc.status >= 500:
        return _internal(request, exc)
    kind = {403: "forbidden", 404: "not-found"}.get(exc.status, "bad-request")
    return _error_page(request, exc.status, kind)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
    status = exc.status_code
    if status >= 500:
        return _internal(request, exc)
    kinds = {403: "forbidden", 404: "not-found", 405: "bad-request", 413: "too-large"}
    return _error_page(request, status, kinds.get(status, "bad-request"))


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    incident = secrets.token_hex(6)
    request.scope.setdefault("state", {})[INCIDENT_STATE_KEY] = incident
    log.exception("incident %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    try:
        return _error_page(request, 500, "internal", incident=incident)
    except Exception:  # the error page itself failed: still no trace for the user
        log.exception("incident %s: the error page failed too", incident)
        return Response(
            f"Internal error / 内部错误 (incident {incident})",
            status_code=500,
            media_type="text/plain",
        )


def unrouted_exception_handlers(api_handlers: dict[Any, Any]) -> dict[Any, Any]:
    """The app's handlers: ``api_handlers`` (problem details), except that an
    :class:`HTTPException` (404, 405…) on a path outside the API gets the HTML error page
    of the pages (the routes of the pages' router have their own handlers already)."""
    api_http = api_handlers[HTTPException]

    def either(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        if is_api_path(request.url.path):
            return api_http(request, exc)
        request.scope.setdefault("state", {})[PAGE_ERROR_STATE_KEY] = True
        response = _http(request, exc)
        if exc.status_code == 405 and exc.headers:
            response.headers.update({k: v for k, v in exc.headers.items() if k.lower() == "allow"})
        return response

    return {**api_handlers, HTTPException: either}


page_exception_handlers: dict[Any, Any] = {
    SignInRequired: _sign_in_first,
    CsrfRefused: _csrf,
    PageForbidden: _forbidden,
    QuotingError: _quoting,
    HTTPException: _http,
    Exception: _internal,
}
