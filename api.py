"""The Litestar application.

For now it serves the health check and the OpenAPI document; the broker API and the
agent web app are wired here as they are built.
"""

from __future__ import annotations

import msgspec
from litestar import Litestar, get
from litestar.openapi import OpenAPIConfig

from quoting import __version__
from quoting.tariff import DEFAULT_TARIFF_ROOT, tariff_versions

__all__ = ["app", "create_app"]


class Health(msgspec.Struct):
    status: str
    version: str
    tariffs: list[str]


@get("/health", operation_id="health", summary="Liveness and tariff check", sync_to_thread=False)
def health() -> Health:
    """Says the app is up and which tariff versions it has loaded."""
    return Health(
        status="ok",
        version=__version__,
        tariffs=[t.version for t in tariff_versions(DEFAULT_TARIFF_ROOT)],
    )


def create_app() -> Litestar:
    """Build the application with its routes and OpenAPI document (served at /schema)."""
    return Litestar(
        route_handlers=[health],
        openapi_config=OpenAPIConfig(
            title="Overseas group insurance quoting", version=__version__, path="/schema"
        ),
    )


app = create_app()
