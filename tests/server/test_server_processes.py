"""Real ``quoting serve`` processes: two servers on one PostgreSQL, SIGKILL durability and
several uvicorn workers on SQLite.

Each server is started with ``subprocess.Popen`` in a session of its own (so workers it
spawns can be found and cleaned up) on a free port of 127.0.0.1, and is ready once
``/health`` answers 200. Every process started here is stopped in fixture teardown:
SIGTERM, then SIGKILL for whatever is left of its process group. Traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support import BUSINESS_ENV

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
_VENV_QUOTING = ROOT / ".venv" / "bin" / "quoting"
QUOTING = [str(_VENV_QUOTING)] if _VENV_QUOTING.exists() else [sys.executable, "-m", "quoting.cli"]
PG_ADMIN_URL = os.environ.get(
    "QUOTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
STARTUP_TIMEOUT = 20.0

pytestmark = pytest.mark.slow


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


POSTGRES = _postgres_reachable()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server or CLI process: this database, the tests' business
    date, in-process rate limits with a limit no test reaches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTING_")}
    env.update(
        BUSINESS_ENV,
        QUOTING_DATABASE_URL=database_url,
        QUOTING_RATE_LIMIT="1000000/minute",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def create_broker(database_url: str, name: str = "Server test broker") -> str:
    """A new broker account made with the CLI; returns its API key."""
    proc = subprocess.run(
        [*QUOTING, "accounts", "create-broker", name, "--commission", "0.15"],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"^api key: (\S+)$", proc.stdout, re.MULTILINE)
    assert match, proc.stdout
    return match.group(1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One ``quoting serve`` process (and its workers, if any)."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def serving_pids(self) -> list[int]:
        """The pids uvicorn reports as serving ("Started server process [pid]")."""
        return [int(p) for p in re.findall(r"Started server process \[(\d+)\]", self.log())]

    def children(self) -> list[int]:
        pids: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode} before answering:\n{self.log()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer /health within {timeout} s:\n{self.log()}")

    def sigkill(self) -> None:
        """SIGKILL the serving process (the Popen'd one) and reap it."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        # Workers left behind (the group is this server's own session, see start_new_session).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """``start_server(database_url, workers=1)`` → a healthy :class:`Server`; all are
    stopped at teardown."""
    started: list[Server] = []

    def start(database_url: str, workers: int = 1, **env: str) -> Server:
        last_error: Exception | None = None
        for _attempt in range(3):  # another process may take the free port first
            port = free_port()
            log_path = tmp_path / f"server-{len(started)}-{port}.log"
            log = log_path.open("wb")
            proc = subprocess.Popen(
                [*QUOTING, "serve", "--host", "127.0.0.1", "--port", str(port)]
                + (["--workers", str(workers)] if workers != 1 else []),
                cwd=ROOT,
                env=server_env(database_url, **env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            server = Server(proc, port, log_path, log)
            started.append(server)
            try:
                server.wait_healthy()
                return server
            except RuntimeError as exc:
                server.stop()
                last_error = exc
                if "address already in use" not in server.log().lower():
                    break
        raise AssertionError(str(last_error))

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not POSTGRES:
        pytest.skip("PostgreSQL is not reachable")
    name = f"quoting_srv_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database per test: an SQLite file in tmp_path, or a new PostgreSQL one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'quoting.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


# --------------------------------------------------------------------------- helpers


def quote_body(tag: str) -> bytes:
    """The small example request, its policyholder marked with ``tag`` (a distinct body)."""
    body = json.loads((EXAMPLES / "small_request.json").read_text(encoding="utf-8"))
    body["policyholder"]["name"] = f"{body['policyholder']['name']} #{tag}"
    return json.dumps(body, ensure_ascii=False).encode()


def headers(key: str, idempotency_key: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if idempotency_key is not None:
        h["Idempotency-Key"] = idempotency_key
    return h


@dataclass
class Sent:
    """One POST and its answer."""

    server: int
    idempotency_key: str | None
    status: int
    quote_id: str | None
    replayed: bool
    text: str


def post_quote(
    client: httpx.Client, server: int, base: str, key: str, body: bytes, idem: str | None
) -> Sent:
    r = client.post(f"{base}/api/v1/quotes", content=body, headers=headers(key, idem))
    quote_id = r.json().get("id") if r.status_code == 201 else None
    return Sent(
        server,
        idem,
        r.status_code,
        quote_id,
        r.headers.get("Idempotent-Replayed") == "true",
        r.text[:500],
    )


# --------------------------------------------------------------------------- (a)

UNIQUE_KEYED = 100  # each with its own Idempotency-Key
UNKEYED = 20  # no Idempotency-Key
DUP_GROUPS = 20  # keys each sent DUP_COPIES times, half to each server, all at once
DUP_COPIES = 4


def test_two_servers_sharing_postgres_lose_and_duplicate_no_quote(
    postgres_database: str, start_server: StartServer
) -> None:
    key = create_broker(postgres_database)
    servers = [start_server(postgres_database), start_server(postgres_database)]
    bases = [s.url for s in servers]
    # One client shared by every thread (httpx clients are thread-safe), with enough
    # connections that no request waits for one.
    client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=256))
    lock = threading.Lock()
    dup_results: list[Sent] = []
    dup_errors: list[BaseException] = []

    def send(i: int, body: bytes, idem: str | None) -> Sent:
        return post_quote(client, i % 2, bases[i % 2], key, body, idem)

    def send_duplicate(group: int, copy: int, barrier: threading.Barrier) -> None:
        try:
            body = quote_body(f"dup-{group}")
            barrier.wait(timeout=30)
            result = send(copy, body, f"dup-key-{group}")
            with lock:
                dup_results.append(result)
        except BaseException as exc:  # reported below
            with lock:
                dup_errors.append(exc)

    # Duplicates: DUP_COPIES threads per key, released together by a barrier, half to each
    # server. The other requests run at the same time from a pool.
    dup_threads = []
    for group in range(DUP_GROUPS):
        barrier = threading.Barrier(DUP_COPIES)
        dup_threads += [
            threading.Thread(target=send_duplicate, args=(group, copy, barrier))
            for copy in range(DUP_COPIES)
        ]
    jobs: list[tuple[bytes, str | None]] = [
        (quote_body(f"keyed-{n}"), f"unique-key-{n}") for n in range(UNIQUE_KEYED)
    ] + [(quote_body(f"unkeyed-{n}"), None) for n in range(UNKEYED)]
    with client, ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(send, i, body, idem) for i, (body, idem) in enumerate(jobs)]
        for t in dup_threads:
            t.start()
        others = [f.result(timeout=120) for f in futures]
        for t in dup_threads:
            t.join(timeout=120)

    assert not dup_errors, dup_errors
    sent = others + dup_results
    assert len(sent) == UNIQUE_KEYED + UNKEYED + DUP_GROUPS * DUP_COPIES == 200
    bad = [s for s in sent if s.status != 201]
    assert not bad, [(s.server, s.status, s.text) for s in bad[:5]]
    assert {s.server for s in sent} == {0, 1}

    # Every duplicate of one key got the same quote, and only one of them created it.
    by_key: dict[str, set[str | None]] = {}
    for s in dup_results:
        by_key.setdefault(s.idempotency_key or "", set()).add(s.quote_id)
    assert len(by_key) == DUP_GROUPS
    assert all(len(ids) == 1 for ids in by_key.values()), by_key
    created_per_key = Counter(s.idempotency_key for s in dup_results if not s.replayed)
    assert all(created_per_key[k] == 1 for k in by_key), created_per_key
    assert all(not s.replayed for s in others)

    ids = {s.quote_id for s in sent}
    expected = UNIQUE_KEYED + UNKEYED + DUP_GROUPS
    assert len(ids) == expected
    assert sum(not s.replayed for s in sent) == expected

    with psycopg.connect(postgres_database) as conn:
        rows = conn.execute("SELECT id, idempotency_key FROM quotes").fetchall()
    assert len(rows) == expected
    assert {r[0] for r in rows} == ids
    stored_keys = {r[1]: r[0] for r in rows if r[1] is not None}
    for s in sent:
        if s.idempotency_key is not None:
            assert stored_keys[s.idempotency_key] == s.quote_id

    # Every quote is readable from both servers.
    reader = httpx.Client(timeout=60)

    def fetch(pair: tuple[int, str]) -> tuple[int, str, int, Any]:
        server, quote_id = pair
        r = reader.get(f"{bases[server]}/api/v1/quotes/{quote_id}", headers=headers(key))
        return server, quote_id, r.status_code, r.json().get("id")

    pairs = [(server, str(q)) for q in ids for server in (0, 1)]
    with reader, ThreadPoolExecutor(max_workers=8) as pool:
        fetched = list(pool.map(fetch, pairs))
    missing = [f for f in fetched if f[2] != 200 or f[3] != f[1]]
    assert not missing, missing[:5]


# --------------------------------------------------------------------------- (b)


def test_quote_survives_sigkill_right_after_201(
    database_url: str, start_server: StartServer
) -> None:
    key = create_broker(database_url)
    server = start_server(database_url)
    # With one worker uvicorn serves in the process we started: no child does the work.
    assert server.serving_pids() == [server.pid], server.log()
    assert server.children() == []

    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/api/v1/quotes", content=quote_body("kill"), headers=headers(key))
        if r.status_code == 201:
            server.sigkill()  # at once, before anything else
        assert r.status_code == 201, r.text
    assert server.proc.returncode == -9
    quote = r.json()

    restarted = start_server(database_url)
    assert restarted.pid != server.pid
    with httpx.Client(base_url=restarted.url, timeout=30) as c:
        again = c.get(f"/api/v1/quotes/{quote['id']}", headers=headers(key))
    assert again.status_code == 200, again.text
    stored = again.json()
    assert stored["id"] == quote["id"]
    assert stored["total_premium"] == quote["total_premium"]
    assert stored["members"] == quote["members"]


# --------------------------------------------------------------------------- (c)


def test_two_workers_on_sqlite_answer_concurrent_clients(
    tmp_path: Path, start_server: StartServer
) -> None:
    db = tmp_path / "workers.sqlite3"
    url = f"sqlite:///{db}"
    key = create_broker(url)
    server: Server = start_server(url, workers=2)

    def one(n: int) -> Sent:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            return post_quote(c, 0, server.url, key, quote_body(f"w-{n}"), f"w-key-{n}")

    with ThreadPoolExecutor(max_workers=10) as pool:
        sent = list(pool.map(one, range(50)))
    bad = [s for s in sent if s.status != 201]
    assert not bad, [(s.status, s.text) for s in bad[:5]]
    ids = {s.quote_id for s in sent}
    assert len(ids) == 50
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM quotes").fetchone()[0] == 50
    workers = [p for p in server.serving_pids() if p != server.pid]
    assert len(set(workers)) == 2, server.log()


# --------------------------------------------------------------------------- access log


def access_lines(server: Server, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The server's JSON access-log lines other than the readiness checks of ``/health``,
    once there are ``count`` of them (workers write them a moment after answering)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [
            entry
            for entry in (
                json.loads(line)
                for line in server.log().splitlines()
                if line.startswith("{") and '"duration_ms"' in line
            )
            if entry["path"] != "/health"
        ]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_serve_writes_one_json_access_line_per_request(
    tmp_path: Path, start_server: StartServer
) -> None:
    url = f"sqlite:///{tmp_path / 'access.sqlite3'}"
    key = create_broker(url)
    server = start_server(url, workers=2)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        created = c.post("/api/v1/quotes", content=quote_body("log"), headers=headers(key))
        assert created.status_code == 201, created.text
        assert c.get("/api/v1/quotes?policyholder=Zhang").status_code == 401
    lines = access_lines(server, 2)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/api/v1/quotes", 201),
        ("GET", "/api/v1/quotes", 401),
    ], server.log()
    assert lines[0]["account"] and lines[0]["account"].startswith("acc_")
    assert lines[1]["account"] is None
    assert all(line["client"] == "127.0.0.1" for line in lines)
    log = server.log()
    assert key not in log and "Zhang" not in log
    assert "HTTP/1.1" not in log  # uvicorn's own access log stays off
