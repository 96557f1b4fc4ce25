"""Benchmark document rendering: the quote letter, the policy schedule, the member list
of 1,000 members and the certificates of every priced member, and the document cache.

    .venv/bin/python bench/documents.py [--members 1000] [--certificates N] [--repeat 3]

Prices a synthetic census (the same generator as bench/pricing.py), then renders each
document as PDF (best of --repeat, after a warm-up that loads the fonts of WeasyPrint
and Typst, as a running server has; the first Typst render of the process is reported
as ``member_list_cold_seconds``). The cache figures are a first download (render and
keep) and a second one (served from the folder) through the service function the API
calls, with a temporary folder. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import inspect
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import msgspec
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from pricing import synthetic_request  # noqa: E402

from quoting.clock import Clock  # noqa: E402
from quoting.documents import DocumentCache, document_data, render_pdf  # noqa: E402
from quoting.services import Context, quote_request  # noqa: E402
from quoting.services.documents import cached_document  # noqa: E402


def best(variants, fn):  # type: ignore[no-untyped-def]
    """The best time of ``fn`` over the variants, each a census of its own: Typst keeps
    what it laid out, so rendering the same data again would flatter it."""
    times, result = [], None
    for data in variants:
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(data)
        times.append(time.perf_counter() - t0)
        CPU.setdefault(getattr(fn, "document", "?"), []).append(time.process_time() - c0)
    return min(times), result


#: The CPU seconds of each render by document in this process (jinja2, QR codes, WeasyPrint;
#: Typst compiles in a child process and is not counted): on a busy machine the wall time
#: grows, these do not.
CPU: dict[str, list[float]] = {}


def rendering(document: str):  # type: ignore[no-untyped-def]
    def render(data):  # type: ignore[no-untyped-def]
        return render_pdf(document, data)

    render.document = document  # type: ignore[attr-defined]
    return render


def census_inputs(members: int, seed: int) -> dict[str, object]:
    """The inputs of the documents of a bound synthetic census (``document_data``'s
    arguments, as the services read them from the store)."""
    request = synthetic_request(members, seed=seed)
    quote = quote_request(request, tariff_root=ROOT / "tariffs")
    now = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
    return dict(
        quote_id="q_benchmark",
        created_at=now,
        valid_until=now.date() + dt.timedelta(days=30),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Benchmark Brokers",
        arranged_role="broker",
        tariff_root=ROOT / "tariffs",
        policy_number=f"GA2026999{seed:04d}",
        bound_at=now,
        # the certificates' QR codes (where this version of the code makes them)
        **(
            {"policy_id": f"pol_0123456789abcdef0123{seed:04d}"}
            if "policy_id" in inspect.signature(document_data).parameters
            else {}
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--certificates", type=int, default=None, help="default: every member")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    variants = [
        document_data(**census_inputs(args.members, seed))  # type: ignore[arg-type]
        for seed in range(7, 7 + args.repeat)
    ]
    data, quote = variants[0], variants[0].quote
    t0 = time.perf_counter()
    render_pdf("member-list", document_data(**census_inputs(args.members, 99)))  # type: ignore[arg-type]
    cold_seconds = time.perf_counter() - t0  # the process's first Typst render: fonts
    render_pdf("benefits", data)  # warm-up: WeasyPrint's fonts and templates
    letter_seconds, letter = best(variants, rendering("quote-letter"))
    schedule_seconds, schedule = best(variants, rendering("policy-schedule"))
    list_seconds, member_list = best(variants, rendering("member-list"))
    few = [dataclasses.replace(d, members=d.members[: args.certificates or None]) for d in variants]
    certificate_seconds, certificates = best(few, rendering("certificates"))
    few = few[-1:]
    cache = cache_figures([census_inputs(args.members, 50 + i) for i in range(args.repeat)])
    letter_pages = len(PdfReader(io.BytesIO(letter)).pages)
    schedule_pages = len(PdfReader(io.BytesIO(schedule)).pages)
    list_pages = len(PdfReader(io.BytesIO(member_list)).pages)
    certificate_pages = len(PdfReader(io.BytesIO(certificates)).pages)
    print(f"census: {args.members} members ({quote.headcount} priced)")
    print(
        f"quote letter: {letter_seconds:.3f} s, {letter_pages} pages, {len(letter) / 1024:.0f} KiB"
    )
    print(
        f"policy schedule: {schedule_seconds:.3f} s, {schedule_pages} pages, "
        f"{len(schedule) / 1024:.0f} KiB"
    )
    print(
        f"member list: {list_seconds:.3f} s, {list_pages} pages, {len(member_list) / 1024:.0f} KiB"
    )
    print(
        f"certificates ({len(few[0].members)}): {certificate_seconds:.3f} s, "
        f"{certificate_pages} pages, {len(certificates) / 1024:.0f} KiB"
    )
    print(f"member list, first Typst render of the process: {cold_seconds:.3f} s")
    for name, (miss, hit) in cache.items():
        print(f"cache, {name}: first download {miss:.3f} s, second {hit * 1000:.1f} ms")
    print(
        json.dumps(
            {
                "members": quote.headcount,
                "quote_letter_seconds": round(letter_seconds, 3),
                "policy_schedule_seconds": round(schedule_seconds, 3),
                "member_list_1000_seconds": round(list_seconds, 3),
                "certificates_seconds": round(certificate_seconds, 3),
                "certificates": len(few[0].members),
                "member_list_cold_seconds": round(cold_seconds, 3),
                "this_process_cpu_seconds": {
                    name: round(min(times), 3) for name, times in CPU.items()
                },
                "cache_seconds": {
                    name: {"first": round(miss, 3), "second": round(hit, 4)}
                    for name, (miss, hit) in cache.items()
                },
                "pages": {
                    "quote_letter": letter_pages,
                    "policy_schedule": schedule_pages,
                    "member_list": list_pages,
                    "certificates": certificate_pages,
                },
            }
        )
    )


def cache_figures(variants: list[dict[str, object]]) -> dict[str, tuple[float, float]]:
    """A first and a second download of the large documents through the cache the API
    uses (a fresh temporary folder each time): render and keep, then read back."""
    out: dict[str, tuple[float, float]] = {}
    for document in ("quote-letter", "member-list", "certificates"):
        misses, hits = [], []
        for inputs in variants:
            with tempfile.TemporaryDirectory() as folder:
                ctx = Context(Clock(), ROOT / "tariffs", document_cache=DocumentCache(Path(folder)))
                t0 = time.perf_counter()
                first = cached_document(ctx, document, "pdf", inputs)
                t1 = time.perf_counter()
                second = cached_document(ctx, document, "pdf", inputs)
                hits.append(time.perf_counter() - t1)
                misses.append(t1 - t0)
                assert second == first
        out[document] = (min(misses), min(hits))
    return out


if __name__ == "__main__":
    main()
