"""Remake the screenshots in this folder: every document of examples/construction_company.json
as PDF pages (pdftoppm, poppler-utils) and as HTML in Chromium (Playwright), plus the CLI's
draft quote letter.

    PYTHONPATH=. .venv/bin/python docs/screenshots/render.py

The quote is bound as policy GA20260000123 after an underwriter approved its referral
(class 6 workers), numbered BJ2026-000123, as the API would show it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from quoting.documents import DOCUMENTS, document_data, render_html, render_pdf  # noqa: E402
from quoting.services import decode_request, quote_request  # noqa: E402

HERE = Path(__file__).parent
TARIFFS = ROOT / "tariffs"
#: Pages of each PDF to show.
PAGES = {
    "quote-letter": (1, 3),
    "benefits": (1, 1),
    "policy-schedule": (1, 3),
    "member-list": (1, 1),
    "certificates": (1, 2),
}


def data(draft: bool = False):  # type: ignore[no-untyped-def]
    request = decode_request(
        (ROOT / "examples/construction_company.json").read_bytes(), tariff_root=TARIFFS
    )
    quote = quote_request(request, tariff_root=TARIFFS)
    return document_data(
        quote_id="DRAFT-3F2A9C1E07" if draft else "q_0123456789abcdef01234567",
        quote_number=None if draft else "BJ2026-000123",
        created_at=dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC),
        valid_until=dt.date(2026, 12, 29),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="" if draft else "Harbour Insurance Brokers",
        arranged_role="broker",
        tariff_root=TARIFFS,
        policy_number=None if draft else "GA20260000123",
        bound_at=None if draft else dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC),
        approved=not draft,
        secret="screenshots",
        draft=draft,
        policy_id=None if draft else "pol_0123456789abcdef01234567",
    )


def pdf_pages(name: str, pdf: bytes, first: int, last: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                str(first),
                "-l",
                str(last),
                str(path),
                str(Path(tmp) / "page"),
            ],
            check=True,
        )
        for n, png in enumerate(sorted(Path(tmp).glob("page-*.png")), start=first):
            shutil.move(png, HERE / f"{name}-pdf-p{n}.png")


def browser(shots: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        engine = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = engine.new_page(viewport={"width": 1280, "height": 1000})
        for name, html in shots.items():
            path = Path(tmp) / f"{name}.html"
            path.write_text(html, encoding="utf-8")
            page.goto(path.as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(HERE / f"{name}-browser.png"))
        engine.close()


def verify_pages() -> dict[str, str]:
    """The public verification page of a certificate of the small example, bound through
    the API on a scratch SQLite database, in Chinese and English (the page's stylesheet
    inlined as a file URL: the screenshot is taken from a file)."""
    import json
    import re

    from litestar.testing import TestClient

    from api import create_app
    from quoting.clock import FixedClock
    from quoting.settings import Settings
    from tests.support import StoreProbe

    pages = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screens.sqlite3"
        settings = Settings.from_env({"QUOTING_DATABASE_URL": url})
        store = StoreProbe(url)
        body = json.loads((ROOT / "examples/small_request.json").read_bytes())
        with TestClient(app=create_app(settings)) as client:  # its start-up makes the tables
            _, key = store.create_account("Harbour Insurance Brokers", "broker", "0.15")
            headers = {"Authorization": f"Bearer {key}"}
            quote = client.post("/api/v1/quotes", json=body, headers=headers).json()
            policy = client.post(f"/api/v1/quotes/{quote['id']}/bind", headers=headers).json()
            html = client.get(
                f"/api/v1/policies/{policy['id']}/documents/certificates.html", headers=headers
            ).text
        code = re.findall(r"/verify/([0-9a-f]{24}-[0-9]+-[A-Z2-7]{16})", html)[0]
        on_the_day = replace(settings, clock=FixedClock.on(dt.date(2027, 8, 15)))
        css = (ROOT / "quoting/web/static/app.css").as_uri()
        with TestClient(app=create_app(on_the_day)) as client:
            for locale in ("zh", "en"):
                client.cookies.set("quoting_lang", "en" if locale == "en" else "zh_Hans_CN")
                page = client.get(f"/verify/{code}").text
                pages[f"verify-{locale}"] = re.sub(
                    r'href="/static/app\.css[^"]*"', f'href="{css}"', page
                )
        store.dispose()
    return pages


def main() -> None:
    d = data()
    for name in DOCUMENTS if "--browser-only" not in sys.argv else ():
        start = time.perf_counter()
        pdf = render_pdf(name, d)
        print(f"{name}: {time.perf_counter() - start:.2f} s, {len(pdf) / 1024:.0f} KiB")
        pdf_pages(name, pdf, *PAGES[name])
    if "--browser-only" not in sys.argv:
        pdf_pages("draft-quote-letter", render_pdf("quote-letter", data(draft=True)), 1, 1)
    browser(
        {
            name: render_html(name, d)
            for name in ("quote-letter", "policy-schedule", "member-list", "certificates")
        }
        | verify_pages()
    )


if __name__ == "__main__":
    main()
