"""The docs UI: Swagger UI from the package's own pinned static files, no CDN.

``/schema`` and ``/schema/swagger`` serve a page that loads only files under
``/schema/static/`` (vendored swagger-ui-dist, see ``static/swagger-ui/VENDORED.md``, and
a small initializer), so it works without outside network and under a strict
Content-Security-Policy (no inline script or style).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

__all__ = ["STATIC_DIR", "STATIC_PATH", "SWAGGER_UI_VERSION", "SwaggerUIPlugin"]

SWAGGER_UI_VERSION = "5.35.0"
#: Inside the package (shipped in the wheel), next to this module.
STATIC_DIR = Path(__file__).with_name("static")
STATIC_PATH = "/schema/static"


class SwaggerUIPlugin(OpenAPIRenderPlugin):
    """Renders the docs page at the given paths and serves its static files."""

    def __init__(self, path: str | list[str]) -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The docs page: Swagger UI reading the OpenAPI document from this server."""
        title = html.escape(str(openapi_schema["info"]["title"]))
        openapi_url = html.escape(self.get_openapi_json_route(request))
        assets = f"{STATIC_PATH}/swagger-ui"
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="stylesheet" href="{STATIC_PATH}/docs.css">
</head>
<body>
<noscript>The API documentation needs JavaScript; the OpenAPI document is at
<a href="{openapi_url}">{openapi_url}</a>.</noscript>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{STATIC_PATH}/docs.js"></script>
</body>
</html>
""".encode()


def static_router() -> Router:
    """``/schema/static/…``: the docs UI's files, cacheable for a day (they carry no personal
    data and change only with a new release)."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="docs-static",
        cache_control=CacheControlHeader(max_age=86_400, public=True),
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
