"""Benchmark `tariff impact`: the reference book priced under two versions.

    .venv/bin/python bench/tariff_impact.py            # 2026.2 against a copy with ID's accident factor raised
    .venv/bin/python bench/tariff_impact.py --repeat 5

Copies the shipped tariff into a temporary folder, raises Indonesia's accident factor
(0.98 → 1.35), and times pricing every request of tariffs/book under both versions
plus the summary (what `quoting tariff impact` does between reading and printing), best
of --repeat. Prints the seconds for the whole book; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This checkout's quoting, not whichever one the virtualenv has installed.
sys.path.insert(0, str(ROOT))

from quoting.impact import summarise  # noqa: E402
from quoting.services.impact import book_from_folder, price_book  # noqa: E402
from quoting.tariff.files import load_tariff  # noqa: E402


def _draft(folder: Path) -> Path:
    target = folder / "draft"
    shutil.copytree(ROOT / "tariffs" / "2026.2", target)
    path = target / "countries.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    column = rows[0].index("accident")
    for row in rows[1:]:
        if row[0] == "ID":
            row[column] = "1.35"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    old = load_tariff(ROOT / "tariffs" / "2026.2")
    with tempfile.TemporaryDirectory() as tmp:
        new = load_tariff(_draft(Path(tmp)))
    book = book_from_folder(ROOT / "tariffs" / "book", dt.date(2026, 11, 29))
    members = 0
    best = float("inf")
    for _ in range(args.repeat):
        started = time.perf_counter()
        report = summarise(old.version, "ID+", price_book(old, new, book))
        best = min(best, time.perf_counter() - started)
    members = sum(m.headcount for m in report.moves)
    print(f"book: {len(book)} requests, {members:,} members, priced under 2 versions")
    print(f"tariff impact: {best:.2f} s for the whole book (best of {args.repeat})")
    print(
        f"affected: {len(report.affected)} quotes; total {report.total_old} → {report.total_new} CNY"
    )
    print(json.dumps({"requests": len(book), "members": members, "seconds": round(best, 3)}))


if __name__ == "__main__":
    main()
