"""The pages' router: every page controller under one roof with the session middleware,
the CSRF guard, the HTML error pages and the markers that keep the API's key middleware
off them (``exclude_from_auth``) and give them the pages' CSP (``page``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.middleware.base import DefineMiddleware
from litestar.static_files import create_static_files_router

from quoting.web._docs import STATIC_DIR
from quoting.web.pages._csrf import csrf_guard
from quoting.web.pages._errors import page_exception_handlers
from quoting.web.pages._render import STATIC_PATH
from quoting.web.pages._session import PageSessionMiddleware
from quoting.web.pages._signin import SignInController

__all__ = ["PAGE_OPT", "pages_router", "static_router"]

#: Route options of every page: no API key middleware; the pages' security headers.
PAGE_OPT = {"exclude_from_auth": True, "page": True}


def pages_router(controllers: Sequence[Any] = ()) -> Router:
    """The router of the pages: sign-in and home, plus ``controllers`` (the next pages)."""
    return Router(
        path="/",
        route_handlers=[SignInController, *controllers],
        middleware=[DefineMiddleware(PageSessionMiddleware)],
        guards=[csrf_guard],
        exception_handlers=page_exception_handlers,
        opt=PAGE_OPT,
        include_in_schema=False,
    )


def static_router() -> Router:
    """``/static/…``: the pages' stylesheet (and scripts), cacheable for a day; their URLs
    carry the version, so a release is fetched anew."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="page-static",
        cache_control=CacheControlHeader(max_age=86_400, public=True),
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
