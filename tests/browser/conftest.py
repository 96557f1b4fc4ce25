"""A live server and a real headless Chromium for the browser tests.

The server is ``uvicorn`` running the app factory in a process of its own, on a free port
of 127.0.0.1, with a fresh SQLite database in a temporary folder. The browser is the
system's Chromium (``apt-get install -y chromium``; Playwright's own browser download is
not used), driven by Playwright for Python. Without Chromium the tests are skipped with
that hint.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import BUSINESS_ENV, ROOT, StoreProbe

CHROMIUM = shutil.which("chromium")
SKIP_REASON = "browser tests need Chromium: apt-get install -y chromium"
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url} within {seconds} s")


@dataclass
class LiveServer:
    """A running server, its database and a way to make users on it."""

    url: str
    store: StoreProbe

    def user(self, name: str, role: str = "agent") -> Any:
        """A new user with :data:`PASSWORD` (each test uses names of its own: the database
        lives for the whole session)."""
        account, _ = self.store.create_user(name, role, PASSWORD)
        return account


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'quoting.sqlite3'}"
    store = StoreProbe(url)
    store.database.upgrade()
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QUOTING_DATABASE_URL": url,
        "QUOTING_ACCESS_LOG": "off",
        **BUSINESS_ENV,
    }
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "quoting.web.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield LiveServer(base, store)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        store.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A new browser context (no cookies) and page on the live server."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


#: Where screenshots of the pages go when ``QUOTING_SCREENSHOTS`` names a folder
#: (e.g. ``docs/screenshots``); unset, none are taken.
def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("QUOTING_SCREENSHOTS")
    if folder:
        target = Path(folder) if Path(folder).is_absolute() else ROOT / folder
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)
