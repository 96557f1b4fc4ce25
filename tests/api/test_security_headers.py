"""Security headers on every kind of response, and the docs UI served from the package.

Headers do not depend on the database, so one SQLite app serves the whole module: a broker
creates and binds the small example quote once, then each kind of response is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api import create_app
from tests.api.conftest import example_request, make_settings
from tests.support import StoreProbe

QUOTES = "/api/v1/quotes"


@dataclass
class Site:
    client: TestClient[Any]
    headers: dict[str, str]
    quote_id: str
    policy_id: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    path = Path(tmp_path_factory.mktemp("headers")) / "quoting.sqlite3"
    settings = make_settings(f"sqlite:///{path}", QUOTING_RATE_LIMIT="10000/minute")
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        _, key = store.create_account("Header broker", "broker", "0.15")
        store.dispose()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        created = client.post(QUOTES, content=example_request(), headers=headers)
        assert created.status_code == 201, created.text
        quote_id = created.json()["id"]
        bound = client.post(f"{QUOTES}/{quote_id}/bind", headers=headers)
        assert bound.status_code == 201, bound.text
        yield Site(client, headers, quote_id, bound.json()["id"])


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    items = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {item[0]: (item[1] if len(item) > 1 else "") for item in items}


def _assert_common(response: httpx.Response) -> dict[str, str]:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    csp = _directives(response)
    assert csp["default-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"
    return csp


def _get(site: Site, url: str, auth: bool = True) -> httpx.Response:
    return site.client.get(url, headers=site.headers if auth else None)


def _authenticated_urls(site: Site) -> dict[str, tuple[str, str]]:
    """url → (expected content type prefix, kind) for each kind of authenticated response."""
    quote, policy = f"{QUOTES}/{site.quote_id}", f"/api/v1/policies/{site.policy_id}"
    return {
        quote: ("application/json", "json"),
        f"{quote}/request": ("application/json", "json"),
        "/api/v1/policies": ("application/json", "json"),
        f"{quote}/members.csv": ("text/csv", "csv"),
        f"{quote}/members.xlsx": ("application/vnd.openxmlformats", "xlsx"),
        f"{quote}/documents/quote-letter.pdf": ("application/pdf", "pdf"),
        f"{policy}/documents/certificates.pdf": ("application/pdf", "pdf"),
        f"{QUOTES}/q_nope": ("application/problem+json", "problem"),
    }


def test_api_responses_lock_everything_down_and_are_not_stored(site: Site) -> None:
    for url, (content_type, kind) in _authenticated_urls(site).items():
        response = _get(site, url)
        assert response.headers["content-type"].startswith(content_type), (url, kind)
        csp = _assert_common(response)
        assert set(csp) == {"default-src", "frame-ancestors", "base-uri", "form-action"}, url
        assert response.headers["cache-control"] == "no-store", url


def test_html_documents_may_use_their_inline_styles_and_fonts_but_no_script(site: Site) -> None:
    for url in (
        f"{QUOTES}/{site.quote_id}/documents/quote-letter.html",
        f"/api/v1/policies/{site.policy_id}/documents/certificates.html",
    ):
        response = _get(site, url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
        assert "<style>" in response.text
        csp = _assert_common(response)
        assert csp["style-src"] == "'unsafe-inline'"
        assert "script-src" not in csp  # default-src 'none' then forbids every script
        assert set(csp["font-src"].split()) <= {"'self'", "data:"}
        assert csp["form-action"] == "'none'"
        # Passport numbers and dates of birth: never kept by a browser or proxy cache.
        assert response.headers["cache-control"] == "no-store"


def test_problems_without_authentication_and_unknown_routes_get_the_headers(site: Site) -> None:
    for url, status in ((QUOTES, 401), ("/api/v1/quotes/x/y/z", 404)):
        response = _get(site, url, auth=False)
        assert response.status_code == status, url
        csp = _assert_common(response)
        assert "script-src" not in csp
        assert response.headers["cache-control"] == "no-store"
    # Outside the API an unknown path is the pages' HTML 404: the pages' own policy.
    response = _get(site, "/no/such/route", auth=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = _directives(response)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and "unsafe-inline" not in str(csp)
    assert response.headers["cache-control"] == "no-store"


def test_health_and_the_openapi_document_get_the_headers(site: Site) -> None:
    for url in ("/health", "/schema/openapi.json"):
        response = _get(site, url, auth=False)
        assert response.status_code == 200, url
        assert "json" in response.headers["content-type"]
        _assert_common(response)
        assert response.headers["cache-control"] == "no-store"


# -- the docs UI ----------------------------------------------------------------------------


_ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


@pytest.mark.parametrize("url", ["/schema", "/schema/swagger"])
def test_the_docs_page_loads_only_pinned_files_of_its_own(site: Site, url: str) -> None:
    response = _get(site, url, auth=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "swagger-ui" in page
    assert not re.search(r"https?://", page), "no absolute URL: nothing from a CDN"
    assert "@latest" not in page
    assert "<style" not in page and "style=" not in page
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), "no inline script"
    csp = _assert_common(response)
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'"
    assert 'data-openapi-url="/schema/openapi.json"' in page
    assets = [a for a in _ASSET.findall(page) if a != "/schema/openapi.json"]
    assert all(a.startswith("/schema/static/") for a in assets), assets
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "docs.js",
        "docs.css",
    }
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for asset in assets:
        answer = _get(site, asset, auth=False)
        assert answer.status_code == 200, asset
        expected = types[Path(asset).suffix]
        assert answer.headers["content-type"].startswith(expected), asset
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "max-age" in answer.headers["cache-control"], asset


def test_the_vendored_swagger_ui_is_the_pinned_release_and_ships_with_the_package() -> None:
    import quoting.web
    from quoting.web._docs import STATIC_DIR, SWAGGER_UI_VERSION

    assert STATIC_DIR.is_relative_to(Path(quoting.web.__file__).parent)
    bundle = (STATIC_DIR / "swagger-ui" / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert len(bundle) > 1_000_000
    notes = (STATIC_DIR / "swagger-ui" / "VENDORED.md").read_text(encoding="utf-8")
    assert f"**{SWAGGER_UI_VERSION}**" in notes
    assert (STATIC_DIR / "swagger-ui" / "LICENSE").is_file()
