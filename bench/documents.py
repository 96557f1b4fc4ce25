"""Benchmark document rendering: the quote letter, the policy schedule, the member list
of 1,000 members and the certificates of the first 100.

    .venv/bin/python bench/documents.py [--members 1000] [--certificates 100] [--repeat 3]

Prices a synthetic census (the same generator as bench/pricing.py), then renders each
document as PDF (best of --repeat, after one warm-up that loads the fonts). The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import inspect
import io
import json
import sys
import time
from pathlib import Path

import msgspec
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from pricing import synthetic_request  # noqa: E402

from quoting.documents import document_data, render_pdf  # noqa: E402
from quoting.services import quote_request  # noqa: E402


def best(repeat: int, fn):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--certificates", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    request = synthetic_request(args.members, seed=7)
    quote = quote_request(request, tariff_root=ROOT / "tariffs")
    now = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
    data = document_data(
        quote_id="q_benchmark",
        created_at=now,
        valid_until=now.date() + dt.timedelta(days=30),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Benchmark Brokers",
        arranged_role="broker",
        tariff_root=ROOT / "tariffs",
        policy_number="GA20269999999",
        bound_at=now,
        # the certificates' QR codes (where this version of the code makes them)
        **(
            {"policy_id": "pol_0123456789abcdef01234567"}
            if "policy_id" in inspect.signature(document_data).parameters
            else {}
        ),
    )
    render_pdf("benefits", data)  # warm-up: fonts and templates
    letter_seconds, letter = best(args.repeat, lambda: render_pdf("quote-letter", data))
    schedule_seconds, schedule = best(args.repeat, lambda: render_pdf("policy-schedule", data))
    list_seconds, member_list = best(args.repeat, lambda: render_pdf("member-list", data))
    few = dataclasses.replace(data, members=data.members[: args.certificates])
    certificate_seconds, certificates = best(args.repeat, lambda: render_pdf("certificates", few))
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
        f"certificates ({len(few.members)}): {certificate_seconds:.3f} s, "
        f"{certificate_pages} pages, {len(certificates) / 1024:.0f} KiB"
    )
    print(
        json.dumps(
            {
                "members": quote.headcount,
                "quote_letter_seconds": round(letter_seconds, 3),
                "policy_schedule_seconds": round(schedule_seconds, 3),
                "member_list_1000_seconds": round(list_seconds, 3),
                "certificates_seconds": round(certificate_seconds, 3),
                "pages": {
                    "quote_letter": letter_pages,
                    "policy_schedule": schedule_pages,
                    "member_list": list_pages,
                    "certificates": certificate_pages,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
