"""The Litestar application: ``create_app()`` wires settings, store, routes and errors.

It lives in the package so that an installed copy can serve (``quoting serve`` runs
``quoting.web.app:create_app`` under uvicorn); the top-level ``api.py`` re-exports it.
Nothing is built at import: call ``create_app()``. Configuration comes from the environment
(see quoting/settings.py and the README): SQLite and in-process rate limits by default,
PostgreSQL and Redis when their URLs are set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag

from quoting import __version__
from quoting.services.sessions import page_secret
from quoting.settings import Settings
from quoting.store import Database, RedisSessionStore, SqlUnitOfWork
from quoting.web import (
    AccessLogMiddleware,
    ApiKeyAuthMiddleware,
    CancellationController,
    ClaimsController,
    DocumentsController,
    EndorsementsController,
    KeyCache,
    PoliciesController,
    QuoteReferralController,
    QuotesController,
    RateLimiter,
    ReferenceController,
    RenewalController,
    SwaggerUIPlugin,
    UnderwritingController,
    add_security_headers,
    docs_static_router,
    document_font,
    exception_handlers,
    health,
    provide_context,
)
from quoting.web.pages import (
    PageRenderer,
    PolicyPagesController,
    QuotePagesController,
    TariffPagesController,
    UnderwritingPagesController,
    VerifyController,
    pages_router,
    session_policy,
    static_router,
    unrouted_exception_handlers,
)

__all__ = ["create_app"]

API_DESCRIPTION = """\
Group accident and medical insurance quotes for overseas workers.

Authenticate with `Authorization: Bearer <API key>` (ask the insurer for a broker key).
Errors are RFC 9457 problem details (`application/problem+json`); validation errors list
every problem with a JSON pointer or a census file row and column. Amounts are decimal
strings with two places. Rate limits answer `429` with `Retry-After`.
"""


#: The broker API's controllers, in the order the OpenAPI document lists them.
_API_CONTROLLERS = (
    QuotesController,
    DocumentsController,
    PoliciesController,
    EndorsementsController,
    CancellationController,
    RenewalController,
    ClaimsController,
    QuoteReferralController,
    UnderwritingController,
    ReferenceController,
)


#: The pages: agents' quotes and policies, underwriters' referrals and tariffs, the public certificate check.
_PAGE_CONTROLLERS = [
    QuotePagesController,
    PolicyPagesController,
    UnderwritingPagesController,
    TariffPagesController,
    VerifyController,
]


def _openapi_config() -> OpenAPIConfig:
    """The OpenAPI document's metadata, security scheme, tags and docs UI."""
    return OpenAPIConfig(
        title="Overseas group insurance quoting API",
        version=__version__,
        description=API_DESCRIPTION,
        path="/schema",
        # Swagger UI from the package's own static files at /schema and /schema/swagger.
        render_plugins=[SwaggerUIPlugin(path=["/", "/swagger"])],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(
                    type="http", scheme="bearer", description="API key issued to your account"
                )
            }
        ),
        security=[{"apiKey": []}],
        tags=[
            Tag(name="Quotes", description="Price, store and fetch group quotes"),
            Tag(name="Policies", description="Bound quotes and their documents"),
            Tag(
                name="Underwriting",
                description="Referral queue and decisions, audit trail, book exposure",
            ),
            Tag(name="Reference data", description="Tariff and countries"),
            Tag(name="Health", description="Liveness"),
        ],
    )


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application. ``settings`` default to the environment's."""
    settings = settings or Settings.from_env()
    database = Database(settings.database.url)

    # The pages' sessions live in Redis when one is configured (else in the database).
    redis_url = settings.rate_limit.redis_url
    session_store = RedisSessionStore(redis_url) if redis_url else None

    def units_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(database, session_store)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        import anyio

        await anyio.to_thread.run_sync(database.upgrade)
        app.state.page_secret = await anyio.to_thread.run_sync(page_secret, units_of_work)
        limits = settings.rate_limit
        app.state.rate_limiter = RateLimiter(
            (limits.requests, limits.window_seconds),
            (limits.auth_fail_requests, limits.auth_fail_window_seconds),
            limits.redis_url,
            signin=(settings.pages.signin_account_limit, settings.pages.signin_address_limit),
        )
        try:
            yield
        finally:
            await app.state.rate_limiter.close()
            if session_store is not None:
                session_store.close()
            database.dispose()

    app = Litestar(
        route_handlers=[
            health,
            *_API_CONTROLLERS,
            docs_static_router(),
            document_font,
            pages_router(_PAGE_CONTROLLERS),
            static_router(),
        ],
        lifespan=[lifespan],
        state=State(
            {
                "database": database,
                "units_of_work": units_of_work,
                "settings": settings,
                "key_cache": KeyCache(),
                "page_renderer": PageRenderer(timezone=settings.clock.timezone),
                "session_policy": session_policy(settings),
            }
        ),
        dependencies={
            "database": Provide(lambda: database, sync_to_thread=False),
            "uow": Provide(lambda: units_of_work, sync_to_thread=False),
            "context": Provide(provide_context, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
        },
        middleware=[DefineMiddleware(ApiKeyAuthMiddleware, exclude=["^/health$", "^/schema"])],
        # Problem details for the API; HTML error pages for unknown paths outside it.
        exception_handlers=unrouted_exception_handlers(exception_handlers),
        before_send=[add_security_headers],
        request_max_body_size=settings.api.max_body_bytes,
        # The new-quote form posts a field per amount and per grid cell.
        multipart_form_part_limit=5000,
        openapi_config=_openapi_config(),
        debug=False,
    )
    if settings.api.access_log:
        # Around Litestar's own outermost layer (where it puts CORS), not in `middleware`:
        # route middleware never sees 404/405 or the 401/429 of the auth middleware.
        app.asgi_handler = AccessLogMiddleware(app.asgi_handler)
    return app
