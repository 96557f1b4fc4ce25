"""The tariff pages in a real browser, on a server of their own with a temporary copy of
the tariff root: an underwriter uploads an edited countries.csv (Indonesia's accident
factor raised), sees its check, the highlighted change and its impact, publishes it for
next month and finds it among the versions as a future one."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quoting.clock import Clock
from tests.browser.conftest import PASSWORD, LiveServer, _free_port, _wait_until_up, screenshot
from tests.support import ROOT, StoreProbe, root_with_2026_2
from tests.unit.test_tariff_tools import set_cell


@pytest.fixture(scope="module")
def tariff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """A live server whose tariff root is a temporary copy (publishing writes into it)."""
    folder = tmp_path_factory.mktemp("tariff-live")
    root = root_with_2026_2(folder)
    url = f"sqlite:///{folder / 'quoting.sqlite3'}"
    store = StoreProbe(url)
    store.database.upgrade()
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QUOTING_DATABASE_URL": url,
        "QUOTING_TARIFFS": str(root),
        "QUOTING_ACCESS_LOG": "off",
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
        yield LiveServer(base, store), root
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        store.dispose()


@pytest.fixture
def uw_page(browser: Any, tariff_server: tuple[LiveServer, Path]) -> Iterator[Any]:
    server, _root = tariff_server
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_upload_diff_impact_publish(
    uw_page: Any, tariff_server: tuple[LiveServer, Path], tmp_path: Path
) -> None:
    server, root = tariff_server
    page = uw_page
    underwriter = server.user("李娜 tariffs", "underwriter")
    page.goto("/tariffs")
    page.fill("#name", underwriter.name)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(server.url + "/tariffs")
    assert page.locator("#version-2026\\.2 .badge").inner_text() == "现行"
    screenshot(page, "tariffs-zh")

    edited = tmp_path / "countries.csv"
    shutil.copyfile(ROOT / "tariffs" / "2026.2" / "countries.csv", edited)
    set_cell(tmp_path, "countries.csv", "ID", "accident", "1.35")
    page.set_input_files("#draft", str(edited))
    page.click("#upload")
    page.wait_for_url(f"{server.url}/tariffs/drafts/d_*")
    assert page.locator("#check-ok").is_visible()
    change = page.locator("#diff-changes tbody tr")
    assert change.count() == 1
    assert page.locator("#diff-changes ins").inner_text() == "1.35"
    assert page.locator("#impact-top tbody tr").count() > 0
    screenshot(page, "tariff-draft-zh")

    today = Clock().today()  # the server's business date (its clock, Asia/Shanghai)
    effective = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    page.fill("#version", "2027.5")
    page.fill("#effective_date", effective.isoformat())
    page.click("#publish")
    page.wait_for_url(f"{server.url}/tariffs?published=2027.5*")
    assert page.locator("#version-2027\\.5 .badge").inner_text() == "未来"
    assert (root / "2027.5" / "countries.csv").is_file()
    screenshot(page, "tariffs-published-zh")

    page.click("#language-switch")
    page.wait_for_load_state()
    page.click("#diff-2027\\.5")
    page.wait_for_url(f"{server.url}/tariffs/diff*")
    assert page.locator("#diff-changes tbody tr").count() == 3
    screenshot(page, "tariff-diff-en")
    page.goto("/tariffs/impact?old=2026.2&new=2027.5")
    assert page.locator("#impact-top tbody tr").count() > 0
    screenshot(page, "tariff-impact-en")
