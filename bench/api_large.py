"""One large quote over the API: a real ``quoting serve``, a JSON census of N members.

    .venv/bin/python bench/api_large.py --members 100000
    .venv/bin/python bench/api_large.py --members 10000 --backend postgresql

Starts ``quoting serve --workers 1`` on SQLite (or PostgreSQL), posts one quote request
with a synthetic census of ``--members`` members (bench/pricing.py's census), then reads
it back: the whole quote, the first page of members and one member's trace. Prints the
POST's wall time, request and response sizes, the server's resident memory before and
after (from /proc), the stored size of the quote's result and the GETs' times (best of
3). The last line is one JSON object. It prints, never asserts.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_load
from api_load import create_broker, log, running_server
from pricing import synthetic_request

_server_env = api_load.server_env


def _large_body_env(database_url: str) -> dict[str, str]:
    """The load test's server environment, with room for a 100k-member JSON body."""
    return {**_server_env(database_url), "QUOTING_MAX_BODY_BYTES": "64000000"}


api_load.server_env = _large_body_env


def _rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (the uvicorn worker), in MB."""
    total = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("PPid", "0").strip()) == pid or status.parent.name == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return total


def _best_get(client: httpx.Client, url: str) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(3):
        t0 = time.perf_counter()
        r = client.get(url)
        best = min(best, time.perf_counter() - t0)
        r.raise_for_status()
        size = len(r.content)
    return best, size


def run(members: int, database: str, tmp: Path) -> dict[str, Any]:
    request = msgspec.to_builtins(synthetic_request(members))
    request.pop("as_of", None)
    body = json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode()
    key = create_broker(database)
    with running_server(database, 1, tmp / "server.log") as server:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
            rss_before = _rss_mb(server.proc.pid)
            t0 = time.perf_counter()
            r = client.post("/api/v1/quotes", content=body)
            post_seconds = time.perf_counter() - t0
            if r.status_code != 201:
                raise SystemExit(f"POST gave {r.status_code}: {r.text[:500]}")
            rss_after = _rss_mb(server.proc.pid)
            quote = r.json()
            qid = quote["id"]
            first = (quote.get("members") or [{}])[0].get("member_id", "M000000")
            get_s, get_size = _best_get(client, f"/api/v1/quotes/{qid}")
            figures: dict[str, Any] = {}
            page = client.get(f"/api/v1/quotes/{qid}/members?limit=50")
            if page.status_code == 200:
                figures["members_page_seconds"], _ = _best_get(
                    client, f"/api/v1/quotes/{qid}/members?offset={members // 2}&limit=50"
                )
                figures["member_trace_seconds"], _ = _best_get(
                    client, f"/api/v1/quotes/{qid}/members/{first}"
                )
    stored = None
    if database.startswith("sqlite:///"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as db:
            stored = db.execute(
                "select length(result), length(request) from quotes where id = ?", (qid,)
            ).fetchone()
    return {
        "benchmark": "api_large",
        "members": members,
        "request_mb": round(len(body) / 1e6, 1),
        "post_seconds": round(post_seconds, 2),
        "response_mb": round(len(r.content) / 1e6, 2),
        "server_rss_mb_before": round(rss_before),
        "server_rss_mb_after": round(rss_after),
        "stored_result_mb": round(stored[0] / 1e6, 2) if stored else None,
        "stored_request_mb": round(stored[1] / 1e6, 2) if stored else None,
        "get_seconds": round(get_s, 3),
        "get_mb": round(get_size / 1e6, 2),
        **{k: round(v, 4) for k, v in figures.items()},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="quoting-bench-") as folder:
        tmp = Path(folder)
        database = args.database or f"sqlite:///{tmp / 'bench.sqlite3'}"
        log(f"posting {args.members:,} members to a server on {database.split(':')[0]}")
        figures = run(args.members, database, tmp)
    for k, v in figures.items():
        log(f"{k}: {v}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
