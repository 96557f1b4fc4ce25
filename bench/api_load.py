"""Load-test the broker API: real ``quoting serve`` processes, concurrent clients, 50-member quotes.

    .venv/bin/python bench/api_load.py
    .venv/bin/python bench/api_load.py --seconds 10 --clients 32 --workers 2
    .venv/bin/python bench/api_load.py --backend sqlite

For each backend — SQLite (a file in a temporary folder) and, when reachable, PostgreSQL (a
fresh temporary database on the server of QUOTING_BENCH_POSTGRES_URL, default the local
``test`` database as user postgres) — this starts ``quoting serve --workers N`` on a free
port of 127.0.0.1 with a rate limit no client reaches, creates a broker key with
``quoting accounts create-broker``, warms up, then has ``--clients`` concurrent clients
(httpx on asyncio, one connection each) post a 50-member quote request (the members of
examples/construction_company.json, cycled) for ``--seconds``. A response other than
``201``, or a failed connection, is an error.

Prints one JSON line per backend (``backend``, ``workers``, ``clients``, ``members``,
``seconds``, ``requests``, ``errors``, ``throughput_rps``, ``p50_ms``, ``p99_ms``, ...).
The last line is one JSON object summarising every backend: ``runs`` holds the
per-backend lines; its own ``requests`` and ``errors`` are the sums over the runs and
``throughput_rps``, ``p50_ms`` and ``p99_ms`` are the worst of the runs (lowest
throughput, highest latencies). Servers and temporary databases are removed at the end,
also on Ctrl-C or SIGTERM. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import math
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "construction_company.json"
_VENV_QUOTING = ROOT / ".venv" / "bin" / "quoting"
QUOTING = [str(_VENV_QUOTING)] if _VENV_QUOTING.exists() else [sys.executable, "-m", "quoting.cli"]
PG_ADMIN_URL = os.environ.get(
    "QUOTING_BENCH_POSTGRES_URL",
    os.environ.get("QUOTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- request


def build_request(members: int) -> bytes:
    """One realistic request: the construction company's plans and ``members`` of its
    census members, cycled (member ids made unique)."""
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    pool = body["census"]["members"]
    census = []
    for i in range(members):
        member = copy.deepcopy(pool[i % len(pool)])
        if i >= len(pool):
            member["member_id"] = f"{member['member_id']}-{i // len(pool)}"
            if member.get("passport_no"):
                member["passport_no"] = f"{member['passport_no'][:-2]}{i % 100:02d}"
        census.append(member)
    body["census"] = {"members": census}
    return json.dumps(body, ensure_ascii=False).encode()


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTING_")}
    env.update(
        QUOTING_DATABASE_URL=database_url,
        QUOTING_RATE_LIMIT="100000000/minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def create_broker(database_url: str) -> str:
    proc = subprocess.run(
        [*QUOTING, "accounts", "create-broker", "Load test broker", "--commission", "0.15"],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    match = re.search(r"^api key: (\S+)$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"create-broker failed ({proc.returncode}): {proc.stderr.strip()}")
    return match.group(1)


class Server:
    """``quoting serve`` in a session of its own, so every worker can be stopped."""

    def __init__(self, database_url: str, workers: int, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                *QUOTING,
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=server_env(database_url),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self._tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer /health in {STARTUP_TIMEOUT} s:\n{self._tail()}")

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # any worker left in its session
        self._log.close()


@contextlib.contextmanager
def running_server(database_url: str, workers: int, log_path: Path) -> Iterator[Server]:
    server = Server(database_url, workers, log_path)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def temporary_postgres() -> Iterator[str]:
    import psycopg

    name = f"quoting_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- load


async def drive(
    url: str, key: str, body: bytes, clients: int, warmup: float, seconds: float
) -> tuple[list[float], int, float, float, list[str]]:
    """Warm up, then post for ``seconds``; returns (latencies of 201s in s, errors,
    elapsed s, this process's CPU s while measuring, a few error samples)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    measuring = False

    async def client_loop(until: float) -> None:
        nonlocal errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=url, headers=headers, timeout=REQUEST_TIMEOUT, limits=limits
        ) as client:
            while time.perf_counter() < until:
                started = time.perf_counter()
                try:
                    r = await client.post("/api/v1/quotes", content=body)
                    status, text = r.status_code, r.text[:200] if r.status_code != 201 else ""
                except httpx.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                if not measuring:
                    continue
                if status == 201:
                    latencies.append(elapsed)
                else:
                    errors += 1
                    if len(samples) < 5:
                        samples.append(f"{status} {text}")

    if warmup > 0:
        await asyncio.gather(*(client_loop(time.perf_counter() + warmup) for _ in range(clients)))
    measuring = True
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    await asyncio.gather(*(client_loop(start + seconds) for _ in range(clients)))
    elapsed = time.perf_counter() - start
    return latencies, errors, elapsed, _cpu_seconds() - cpu_start, samples


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def run_backend(
    backend: str, database_url: str, args: argparse.Namespace, body: bytes, tmp: Path
) -> dict[str, Any]:
    log(f"[{backend}] creating a broker key and starting {args.workers} worker(s)")
    key = create_broker(database_url)
    with running_server(database_url, args.workers, tmp / f"server-{backend}.log") as server:
        log(
            f"[{backend}] {server.url}: {args.clients} clients, {args.members} members, "
            f"{args.warmup:g} s warm-up, {args.seconds:g} s measured"
        )
        latencies, errors, elapsed, client_cpu, samples = asyncio.run(
            drive(server.url, key, body, args.clients, args.warmup, args.seconds)
        )
    for sample in samples:
        log(f"[{backend}] error: {sample}")
    latencies.sort()
    requests = len(latencies) + errors
    ms = [v * 1000 for v in latencies]
    return {
        "backend": backend,
        "workers": args.workers,
        "clients": args.clients,
        "members": args.members,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "errors": errors,
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ms, 0.50), 1),
        "p90_ms": round(percentile(ms, 0.90), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "max_ms": round(ms[-1], 1) if ms else float("nan"),
        "request_bytes": len(body),
        # The load generator shares the machine: its CPU use in cores (1.0 = one core busy).
        "client_cpu_cores": round(client_cpu / elapsed, 2) if elapsed else 0.0,
    }


def summary(runs: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    return {
        "benchmark": "api_load",
        "backend": "+".join(r["backend"] for r in runs),
        "workers": args.workers,
        "clients": args.clients,
        "members": args.members,
        "requests": sum(r["requests"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "throughput_rps": min((r["throughput_rps"] for r in runs), default=0.0),
        "p50_ms": max((r["p50_ms"] for r in runs), default=float("nan")),
        "p99_ms": max((r["p99_ms"] for r in runs), default=float("nan")),
        "cpus": os.cpu_count(),
        "runs": runs,
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15.0, help="measured time per backend")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up per backend (not counted)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients")
    p.add_argument("--workers", type=int, default=2, help="`quoting serve --workers`")
    p.add_argument("--members", type=int, default=50, help="members per quote request")
    p.add_argument(
        "--backend",
        choices=("all", "sqlite", "postgresql"),
        default="all",
        help="all: SQLite, and PostgreSQL when reachable",
    )
    return p


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the clean-up below


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.seconds <= 0 or args.clients < 1 or args.workers < 1 or args.members < 1:
        raise SystemExit("--seconds, --clients, --workers and --members must be positive")
    signal.signal(signal.SIGTERM, _terminate)
    body = build_request(args.members)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="quoting-bench-") as folder:
        tmp = Path(folder)
        if args.backend in ("all", "sqlite"):
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            runs.append(run_backend("sqlite", url, args, body, tmp))
            print(json.dumps(runs[-1]), flush=True)
        if args.backend in ("all", "postgresql"):
            if postgres_reachable():
                with temporary_postgres() as url:
                    runs.append(run_backend("postgresql", url, args, body, tmp))
                print(json.dumps(runs[-1]), flush=True)
            elif args.backend == "postgresql":
                raise SystemExit(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
            else:
                log("PostgreSQL is not reachable: skipped")
    print(json.dumps(summary(runs, args)), flush=True)
    return 1 if not runs or any(r["errors"] for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
