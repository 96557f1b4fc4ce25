"""The HTML documents in a real browser (Chromium through Playwright): every font a document
asks for answers 200 as a font, under the document's Content-Security-Policy, and is used
(loaded by the page, with glyphs for the Chinese names it prints).

The browser talks to the app through the test client (``page.route``), so no port is
opened; the API key goes only to ``/api`` requests, the fonts are fetched without one.
Skipped where Playwright or a Chromium is not installed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api import create_app
from tests.api.conftest import Api, example_request, make_settings
from tests.support import StoreProbe

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine"),
]

ORIGIN = "http://testserver.local"
QUOTES = "/api/v1/quotes"
POLICIES = "/api/v1/policies"


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Any, list[str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'quoting.sqlite3'}"
    settings = make_settings(url, QUOTING_RATE_LIMIT="10000/minute")
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        api = Api(client, store, settings)
        broker = api.account(name="Harbour Insurance Brokers")
        quote = client.post(QUOTES, json=json.loads(example_request()), headers=broker.headers)
        assert quote.status_code == 201, quote.text
        qid = quote.json()["id"]
        policy = client.post(f"{QUOTES}/{qid}/bind", headers=broker.headers).json()
        paths = [f"{QUOTES}/{qid}/documents/{n}.html" for n in ("quote-letter", "benefits")] + [
            f"{POLICIES}/{policy['id']}/documents/{n}.html"
            for n in ("policy-schedule", "member-list", "certificates")
        ]
        yield api, broker, paths
        store.dispose()


def open_in_browser(api: Api, broker: Any, path: str, screenshot: Path | None = None) -> Any:
    """Open one document; return what the page loaded and the fonts it used."""
    fetched: list[tuple[str, int, str]] = []

    def serve(route: Any, request: Any) -> None:
        where = request.url.removeprefix(ORIGIN)
        headers = broker.headers if where.startswith("/api/") else {}
        response = api.client.get(where, headers=headers)
        fetched.append((where, response.status_code, response.headers.get("content-type", "")))
        route.fulfill(
            status=response.status_code, headers=dict(response.headers), body=response.content
        )

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            violations: list[str] = []
            page.on(
                "console",
                lambda m: violations.append(m.text) if "Content Security" in m.text else None,
            )
            page.route(f"{ORIGIN}/**", serve)
            page.goto(ORIGIN + path, wait_until="load")
            page.evaluate("document.fonts.ready")
            faces = page.evaluate(
                "[...document.fonts].map(f => [f.family.replaceAll('\"', ''), f.weight, f.status])"
            )
            chinese = page.evaluate("document.fonts.check('16px \"Noto Sans SC\"', '中路海外工程')")
            width = page.evaluate("document.body.getBoundingClientRect().width")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    return fetched, faces, chinese, violations, width


@pytest.mark.parametrize("index", range(5))
def test_an_html_document_uses_the_served_fonts_in_a_browser(
    documents: tuple[Api, Any, list[str]], index: int
) -> None:
    api, broker, paths = documents
    fetched, faces, chinese, violations, width = open_in_browser(api, broker, paths[index])
    fonts = [(p, s, t) for p, s, t in fetched if p.startswith("/documents/fonts/")]
    assert fonts, fetched
    assert all(s == 200 and t == "font/ttf" for _, s, t in fonts), fonts
    assert [s for p, s, _ in fetched if not p.startswith("/documents/fonts/")] == [200]
    # The page loaded the Chinese and the Latin face it asked for, and no CSP refusal.
    loaded = {(family, weight) for family, weight, status in faces if status == "loaded"}
    assert {("Noto Sans SC", "400"), ("Noto Sans", "400")} <= loaded, faces
    assert {status for _, _, status in faces} <= {"loaded", "unloaded"}, faces
    assert chinese is True
    assert violations == []
    # The screen stylesheet: a centred sheet, not the whole window.
    assert width < 1280
