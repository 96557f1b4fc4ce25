"""`quoting demo`: one command starts the app on the default SQLite database with a demo
agent and a demo underwriter, whose printed details sign in to the pages; every start
gives new passwords."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import BUSINESS_ENV

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')
USER_LINE = re.compile(r"^\s+(agent|underwriter)\s+(.+?)\s+password: (\S+)$")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo(folder: Path) -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    """Run ``quoting demo`` in ``folder`` (its default database lands there); yield the
    base URL and, by role, the printed (name, password)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTING_")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **BUSINESS_ENV}
    process = subprocess.Popen(
        [sys.executable, "-m", "quoting.cli", "demo", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        users: dict[str, tuple[str, str]] = {}
        assert process.stdout is not None
        for line in process.stdout:
            if m := USER_LINE.match(line.rstrip("\n")):
                users[m[1]] = (m[2], m[3])
            if line.startswith("(database"):
                break
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, users
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def sign_in(base: str, name: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, follow_redirects=True) as client:
        form = client.get("/signin")
        token = TOKEN.search(form.text)
        assert token is not None, form.text
        answer = client.post(
            "/signin", data={"name": name, "password": password, "_csrf": token[1]}
        )
        return answer


def test_the_demo_prints_users_who_can_sign_in_and_new_passwords_each_start(tmp_path: Path):
    with demo(tmp_path) as (base, users):
        assert set(users) == {"agent", "underwriter"}
        for name, password in users.values():
            home = sign_in(base, name, password)
            assert home.status_code == 200
            assert name in home.text
    assert (tmp_path / "var" / "quoting.sqlite3").exists()  # the default database
    with demo(tmp_path) as (base, again):
        name, old_password = users["agent"]
        assert again["agent"][0] == name
        assert again["agent"][1] != old_password
        assert sign_in(base, name, old_password).status_code == 400
        assert sign_in(base, name, again["agent"][1]).status_code == 200
