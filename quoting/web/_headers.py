"""Security headers on every response, set in one place (a ``before_send`` hook of the app).

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and a Content-Security-Policy chosen by what it is:

- API responses (JSON, problems, CSV, XLSX, PDF): nothing may load or frame them;
- HTML documents (quote letter, policy schedule, …): their own inline styles, fonts from
  this origin (``/documents/fonts/``) and embedded images, no scripts, no outside requests;
- the docs UI pages under ``/schema``: only the package's own static script and style;
- the agent and underwriter pages (routes marked ``page``): everything from this origin
  only — its stylesheet and scripts as files (no inline script or style), forms posting
  to itself, never framed.

Responses are ``Cache-Control: no-store`` unless their handler chose a policy (the docs
UI's static files do): quotes, members, requests, documents and policies all carry personal
data (passport numbers, dates of birth), and a blanket rule cannot forget a new route.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

__all__ = [
    "API_CSP",
    "DOCS_CSP",
    "DOCUMENT_CSP",
    "PAGE_CSP",
    "PAGE_ERROR_STATE_KEY",
    "add_security_headers",
]

#: Set in the request's state when an error page of the pages answers before any route
#: was found (quoting/web/pages/_errors.py): it gets the pages' CSP too.
PAGE_ERROR_STATE_KEY = "page_error"

_LOCKED = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
API_CSP = f"default-src 'none'; {_LOCKED}"
# Documents keep their stylesheet inline (one file to save or mail); fonts come from this
# origin's /documents/fonts/ route, images are embedded or from this origin. No script.
DOCUMENT_CSP = (
    f"default-src 'none'; style-src 'unsafe-inline'; font-src 'self' data:; "
    f"img-src 'self' data:; {_LOCKED}"
)
# Swagger UI: its bundle, our initializer and its stylesheet are static files of this origin;
# it fetches the OpenAPI document and sends "try it out" requests to this origin; its icons
# are data: SVGs.
DOCS_CSP = (
    f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src 'self'; {_LOCKED}"
)
# The pages: this origin only, nothing inline (their script, if any, is a static file).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PREFIX = "/schema"


def _policy(path: str, content_type: str, page: bool) -> str:
    if content_type.startswith("text/html"):
        if page:
            return PAGE_CSP
        return (
            DOCS_CSP if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/") else DOCUMENT_CSP
        )
    return API_CSP


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: add the security headers to the start of every HTTP response."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers without CSP 2
    handler = scope.get("route_handler")
    # An error page of the pages answered before any route was found (404, 405) is a page.
    page = bool(handler is not None and handler.opt.get("page")) or bool(
        scope.get("state", {}).get(PAGE_ERROR_STATE_KEY)
    )
    headers["Content-Security-Policy"] = _policy(
        str(scope.get("path", "")), headers.get("content-type", ""), page
    )
    if "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"
