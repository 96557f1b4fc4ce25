"""Benchmark census file reading on hostile and normal files.

    .venv/bin/python bench/census_files.py
    .venv/bin/python bench/census_files.py --only xlsx_2m_cells csv_wide

Builds each file once (hostile shapes the way an attacker would: XML streamed into a zip at
deflate level 9), then reads every file with ``quoting.census.read_census`` in a fresh
process and prints the outcome, the seconds and the growth of the peak resident memory of
that process over what it had before reading. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.spreadsheets import HEADER_ROW, repeated, workbook  # noqa: E402

HEADER = ["member_id", "name", "sex", "date_of_birth", "occupation_class", "country", "site"]


def _members(count: int) -> Iterator[list[object]]:
    rng = random.Random(7)
    for i in range(count):
        yield [
            f"E{i:06d}",
            f"Worker {rng.randrange(10**6)}",
            rng.choice("MF"),
            dt.date(1960 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 29)),
            rng.randrange(1, 7),
            rng.choice(["ID", "KE", "VN", "TH", "NG"]),
            f"Site {rng.randrange(40)}",
        ]


def normal_xlsx(count: int) -> bytes:
    """What Excel saves: shared strings, date cells (openpyxl's normal, non-streaming mode)."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in _members(count):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def normal_csv(count: int) -> bytes:
    lines = [",".join(HEADER)]
    lines += [",".join(str(v) for v in row) for row in _members(count)]
    return ("\n".join(lines) + "\n").encode()


def _rows_of(cells: int, per_row: int) -> Iterator[bytes]:
    yield HEADER_ROW
    row = b"<row>" + b"<c><v>1</v></c>" * per_row + b"</row>"
    yield from repeated(row, cells // per_row, 1000)


def _random_rows(cells: int, per_row: int) -> Iterator[bytes]:
    """Cells of random numbers: they compress only 3 to 1, so no ratio cap stops them."""
    rng = random.Random(11)
    yield HEADER_ROW
    for _ in range(cells // per_row):
        yield (
            b"<row>"
            + b"".join(b"<c><v>%d</v></c>" % rng.randrange(10**4) for _ in range(per_row))
            + b"</row>"
        )


SHAPES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "xlsx_20m_cells_one_row": (
        "xlsx",
        lambda: workbook([HEADER_ROW, b"<row>", *repeated(b"<c/>", 20_000_000), b"</row>"]),
    ),
    "xlsx_20m_cells_lying_sizes": (
        "xlsx",
        lambda: _lying(
            workbook([HEADER_ROW, b"<row>", *repeated(b"<c/>", 20_000_000), b"</row>"], zip64=False)
        ),
    ),
    "xlsx_1_5gb_shared_string": (
        "xlsx",
        lambda: workbook(
            [HEADER_ROW, b'<row><c t="s"><v>0</v></c></row>'],
            [b"<si><t>", *repeated(b"A" * 1024 * 1024, 1536, 1), b"</t></si>"],
        ),
    ),
    "xlsx_2m_cells": ("xlsx", lambda: workbook(list(_rows_of(2_000_000, 100)))),
    "xlsx_2m_cells_random": ("xlsx", lambda: workbook(_random_rows(2_100_000, 100))),
    "xlsx_1m_rows": ("xlsx", lambda: workbook(list(_rows_of(1_000_000, 1)))),
    "csv_wide": ("csv", lambda: b"member_id,name\n1," + b"," * 9_000_000 + b"\n"),
    "xlsx_5000_members": ("xlsx", lambda: normal_xlsx(5_000)),
    "xlsx_100000_members": ("xlsx", lambda: normal_xlsx(100_000)),
    "csv_5000_members": ("csv", lambda: normal_csv(5_000)),
    "csv_100000_members": ("csv", lambda: normal_csv(100_000)),
}


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries that over
    from the parent across exec, hiding the child's own growth."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lying(data: bytes) -> bytes:
    """``data`` with every large zip entry declaring 1 MB inflated (central directory)."""
    out = bytearray(data)
    entry = out.find(b"PK\x01\x02")
    while entry >= 0:
        declared = int.from_bytes(out[entry + 24 : entry + 28], "little")
        if 1 << 20 < declared < 0xFFFFFFFF:
            out[entry + 24 : entry + 28] = (1 << 20).to_bytes(4, "little")
        entry = out.find(b"PK\x01\x02", entry + 4)
    return bytes(out)


def measure(path: str, name: str) -> None:
    """Child process: read one file, print seconds, peak RSS growth and the outcome."""
    from quoting.census import read_census
    from quoting.errors import CensusError

    data = Path(path).read_bytes()
    before = _peak_rss_mb()
    started = time.perf_counter()
    try:
        census = read_census(data, name)
        rows = census.members or census.groups or []
        outcome = f"read {len(rows):,} rows"
    except CensusError as exc:
        first = exc.problems[0]
        outcome = f"refused: {first.location}: {first.message}"[:110]
    seconds = time.perf_counter() - started
    grown = _peak_rss_mb() - before
    print(json.dumps({"seconds": round(seconds, 3), "rss_mb": round(grown, 1), "outcome": outcome}))


def main() -> None:
    """Build the files, read each in its own process, print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SHAPES), default=None)
    parser.add_argument("--measure", nargs=2, metavar=("PATH", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for shape in args.only or SHAPES:
            suffix, build = SHAPES[shape]
            data = build()
            path = Path(folder) / f"{shape}.{suffix}"
            path.write_bytes(data)
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), path.name],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            result["file_kb"] = round(len(data) / 1024)
            results[shape] = result
            print(
                f"{shape:26} {result['file_kb']:>8,} KB {result['seconds']:>7.2f} s "
                f"{result['rss_mb']:>7.1f} MB  {result['outcome']}",
                flush=True,
            )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
