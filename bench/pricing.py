"""Benchmark the pricing core against the reference implementation.

    .venv/bin/python bench/pricing.py --members 100000
    .venv/bin/python bench/pricing.py --members 20000 --repeat 5

Builds a synthetic census of N members over many countries, all six covers, three plans
and many sites; times the vectorised engine (``quoting.pricing.price`` on the resolved
arrays, best of --repeat), the steps around it (resolving the request, building the
wire quote), and the per-member reference implementation of tests/reference.py on the
same census; and, unless --no-end-to-end, the whole command a user runs — census CSV file
to quote JSON on disk (``quoting quote req.json --census N.csv --format json``), and the
same with the table output (``--formats``) — in a child process, with its wall time, CPU
time and peak memory (the child's max RSS). ``end_to_end_seconds`` and
``end_to_end_peak_mb`` in the last line are those of the JSON quote. Prints figures; the
last line is one JSON object. Figures of the last run: bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# This checkout's quoting, not whichever one the virtualenv has installed.
sys.path.insert(0, str(ROOT))

from quoting.pricing import price  # noqa: E402
from quoting.quote_builder import build_quote  # noqa: E402
from quoting.rating_input import resolve  # noqa: E402
from quoting.schemas import QuoteRequest, credit_code_check_char  # noqa: E402
from quoting.services import fx_rate  # noqa: E402
from quoting.tariff.files import load_tariff  # noqa: E402

AS_OF = dt.date(2026, 11, 29)
PLANS = [
    {
        "name": "Management",
        "classes": [1, 2],
        "covers": {
            "add": {"sum_insured": "1000000"},
            "amed": {"limit": "100000", "deductible": "100", "coinsurance": "0.9"},
            "smed": {"limit": "1000000"},
            "evac": {"limit": "500000"},
            "sdeath": {"sum_insured": "200000"},
            "hcash": {"daily_benefit": "200", "max_days": 180},
        },
    },
    {
        "name": "Skilled",
        "classes": [3, 4],
        "covers": {
            "add": {"sum_insured": "600000"},
            "amed": {"limit": "50000", "deductible": "200", "coinsurance": "0.8"},
            "smed": {"limit": "300000", "deductible": "500", "coinsurance": "0.8"},
            "evac": {"limit": "300000"},
            "sdeath": {"sum_insured": "100000"},
            "hcash": {"daily_benefit": "100", "max_days": 90},
        },
    },
    {
        "name": "Heavy",
        "covers": {
            "add": {"sum_insured": "500000"},
            "amed": {"limit": "30000", "deductible": "300", "coinsurance": "0.8"},
            "smed": {"limit": "200000", "deductible": "500", "coinsurance": "0.7"},
            "evac": {"limit": "200000"},
            "sdeath": {"sum_insured": "100000"},
            "hcash": {"daily_benefit": "100", "max_days": 60},
        },
    },
]


def synthetic_request(n: int, seed: int = 2026) -> QuoteRequest:
    """A request with ``n`` members spread over 60 countries and n/40 sites."""
    rng = random.Random(seed)
    tariff = load_tariff(ROOT / "tariffs" / "2026.2")
    countries = [c.code for c in tariff.countries if c.status == "accept"][:55]
    countries += [c.code for c in tariff.countries if c.status != "accept"][:5]
    n_sites = max(1, n // 40)
    members = []
    for i in range(n):
        country = rng.choice(countries)
        member: dict[str, object] = {
            "member_id": f"M{i:06d}",
            "name": f"Member {i}",
            "sex": rng.choice("MF"),
            "date_of_birth": dt.date(
                rng.randint(1958, 2008), rng.randint(1, 12), rng.randint(1, 28)
            ).isoformat(),
            "occupation_class": rng.choice([1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 9]),
            "country": country,
        }
        if rng.random() < 0.8:
            member["site"] = f"site-{rng.randrange(n_sites)}"
        if rng.random() < 0.1:
            member["start"] = dt.date(2027, rng.randint(2, 11), 1).isoformat()
        members.append(member)
    code = "91110000MA01ABCD5"
    body = {
        "policyholder": {
            "name": "Benchmark Construction Co.",
            "credit_code": code + credit_code_check_char(code),
        },
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "as_of": AS_OF.isoformat(),
        "plans": PLANS,
        "census": {"members": members},
    }
    return msgspec.convert(body, QuoteRequest)


def best_of(repeat: int, fn):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def end_to_end(request: QuoteRequest, fmt: str) -> tuple[float, float, int, float]:
    """Run ``quoting quote`` on the request with its census as a CSV file, output to a file,
    in a fresh child process: (wall seconds, the child's peak RSS in MB, output bytes, the
    child's CPU seconds, which other work on a busy machine inflates less)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        body = msgspec.to_builtins(request)
        members = body.pop("census")["members"]
        (folder / "req.json").write_bytes(msgspec.json.encode(body))
        columns = sorted({key for m in members for key in m})
        with (folder / "census.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(members)
        out = folder / "quote.out"
        command = [sys.executable, "-m", "quoting.cli", "quote", str(folder / "req.json")]
        command += ["--census", str(folder / "census.csv"), "--format", fmt]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # Started by a small launcher: a child forked from this process (which holds the
        # whole census and its quote) would count this process's memory as its own peak.
        launch = [sys.executable, "-c", _LAUNCHER, str(out), *command]
        figures = subprocess.run(launch, env=env, cwd=folder, capture_output=True, text=True)
        if figures.returncode != 0:
            raise SystemExit(f"quoting quote failed: {figures.stderr[-2000:]}")
        seconds, peak_kb, cpu = map(float, figures.stdout.split())
        return seconds, peak_kb / 1024, out.stat().st_size, cpu


#: Runs a command with its output to a file; prints its wall seconds, its own peak RSS (kB)
#: and CPU seconds.
_LAUNCHER = """
import os, subprocess, sys, time
with open(sys.argv[1], "wb") as sink:
    t0 = time.perf_counter()
    child = subprocess.Popen(sys.argv[2:], stdout=sink)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
if status != 0:
    sys.exit(f"status {status}")
print(seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def best_of_end_to_end(
    request: QuoteRequest, fmt: str, repeat: int
) -> tuple[float, float, int, float]:
    """The fastest of ``repeat`` runs of :func:`end_to_end` (its peak memory and output)."""
    return min((end_to_end(request, fmt) for _ in range(repeat)), key=lambda r: r[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true", help="skip the (slow) reference run")
    parser.add_argument(
        "--no-end-to-end", action="store_true", help="skip the CLI runs (census file -> quote)"
    )
    parser.add_argument(
        "--formats",
        default="json,table",
        help="output formats of the CLI runs, comma-separated (default json,table)",
    )
    parser.add_argument(
        "--tariff",
        default="2026.2",
        help="tariff version folder under tariffs/ (2027.1 declares the engine variants: "
        "evacuation by class and age band, presence-weighted accumulation)",
    )
    args = parser.parse_args()

    tariff = load_tariff(ROOT / "tariffs" / args.tariff)
    t0 = time.perf_counter()
    request = synthetic_request(args.members)
    build_seconds = time.perf_counter() - t0
    resolve_seconds, resolved = best_of(
        1, lambda: resolve(request, tariff, fx_rate=fx_rate(tariff, "CNY"))
    )
    engine_seconds, priced = best_of(args.repeat, lambda: price(resolved.rating, tariff))
    quote_seconds, quote = best_of(1, lambda: build_quote(resolved, priced, AS_OF))
    lines = int(priced.line_row.size)
    print(
        f"census: {args.members} members, {lines} lines (synthetic census built in {build_seconds:.2f} s)"
    )
    print(f"resolve request -> arrays: {resolve_seconds:.3f} s")
    print(
        f"engine (price, best of {args.repeat}): {engine_seconds:.4f} s  ({lines / engine_seconds:,.0f} lines/s)"
    )
    print(f"build wire quote objects: {quote_seconds:.3f} s; total premium {quote.total_premium}")

    reference_seconds = None
    speedup = None
    if not args.no_reference:
        from reference import reference_quote  # tests/reference.py

        t0 = time.perf_counter()
        ref = reference_quote(request, tariff, max(AS_OF, tariff.effective_date))
        reference_seconds = time.perf_counter() - t0
        speedup = reference_seconds / engine_seconds
        agree = ref.total_premium_cents == priced.total_premium_cents
        print(f"reference: {reference_seconds:.2f} s; totals agree to the cent: {agree}")
        print(f"speedup engine vs reference: {speedup:,.0f}x")

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    e2e: dict[str, float | None] = {}
    for fmt in ("json", "table"):
        if args.no_end_to_end or fmt not in args.formats.split(","):
            e2e |= {
                f"end_to_end_{fmt}_{figure}": None
                for figure in ("seconds", "cpu_seconds", "peak_mb")
            }
            continue
        seconds, peak, size, cpu = best_of_end_to_end(request, fmt, args.repeat)
        print(
            f"end to end, census CSV -> quote {fmt} on disk (child process, best of "
            f"{args.repeat}): {seconds:.2f} s ({cpu:.2f} s CPU), peak {peak:,.0f} MB, "
            f"{size / 1e6:,.1f} MB written"
        )
        e2e |= {
            f"end_to_end_{fmt}_seconds": round(seconds, 2),
            f"end_to_end_{fmt}_cpu_seconds": round(cpu, 2),
            f"end_to_end_{fmt}_peak_mb": round(peak, 1),
        }
    print(
        json.dumps(
            {
                "members": args.members,
                "lines": lines,
                "engine_seconds": round(engine_seconds, 4),
                "resolve_seconds": round(resolve_seconds, 3),
                "build_quote_seconds": round(quote_seconds, 3),
                "reference_seconds": None
                if reference_seconds is None
                else round(reference_seconds, 2),
                "speedup": None if speedup is None else round(speedup, 1),
                "peak_rss_mb": round(peak_rss_mb, 1),
                # Census CSV file -> quote JSON on disk, in a child process: its wall time
                # and peak memory (the child's max RSS).
                "end_to_end_seconds": e2e["end_to_end_json_seconds"],
                "end_to_end_peak_mb": e2e["end_to_end_json_peak_mb"],
                **e2e,
            }
        )
    )


if __name__ == "__main__":
    main()
