"""Compare ways of reading a census file into columns: the project's readers against the
libraries that could replace them (measured only where installed; none is a dependency).

    .venv/bin/python bench/census_readers.py [--members 100000] [--repeat 3]
    PYTHONPATH=/some/folder/with/pyarrow .venv/bin/python bench/census_readers.py

CSV: the stdlib ``csv`` module into columns, ``quoting.census.read_census`` (cleaned and
validated census entries), pyarrow's and polars' CSV readers (every column as text).
XLSX: ``read_census``, openpyxl read-only (values only), python-calamine. Each figure is
the CPU time of the best of --repeat in this process; a library's import time is printed
once, as a CLI run pays it. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from census_files import normal_csv, normal_xlsx  # noqa: E402

from quoting.census import read_census  # noqa: E402


def best(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def optional(name: str) -> tuple[Any, float | None]:
    """The module and its import time, or (None, None) when it is not installed."""
    t0 = time.process_time()
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None, None
    return module, time.process_time() - t0


def csv_figures(data: bytes, repeat: int) -> dict[str, float | None]:
    def stdlib() -> object:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        return list(zip(*rows[1:], strict=True))

    figures: dict[str, float | None] = {
        "csv_stdlib_columns": best(repeat, stdlib),
        "csv_read_census": best(repeat, lambda: read_census(data, "census.csv")),
    }
    pacsv, seconds = optional("pyarrow.csv")
    figures["pyarrow_import"] = seconds
    if pacsv is not None:
        names = data.split(b"\n", 1)[0].decode().strip().split(",")
        pa = importlib.import_module("pyarrow")
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        figures["csv_pyarrow"] = best(
            repeat, lambda: pacsv.read_csv(io.BytesIO(data), convert_options=options)
        )
    pl, seconds = optional("polars")
    figures["polars_import"] = seconds
    if pl is not None:
        figures["csv_polars"] = best(repeat, lambda: pl.read_csv(data, infer_schema=False))
    return figures


def xlsx_figures(data: bytes, repeat: int) -> dict[str, float | None]:
    import openpyxl

    def read_only() -> object:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return list(book.worksheets[0].iter_rows(values_only=True))

    figures: dict[str, float | None] = {
        "xlsx_read_census": best(repeat, lambda: read_census(data, "census.xlsx")),
        "xlsx_openpyxl_read_only": best(1, read_only),
    }
    calamine, seconds = optional("python_calamine")
    figures["calamine_import"] = seconds
    if calamine is not None:

        def with_calamine() -> object:
            book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            return book.get_sheet_by_index(0).to_python()

        figures["xlsx_calamine"] = best(repeat, with_calamine)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"members": args.members}
    figures |= csv_figures(normal_csv(args.members), args.repeat)
    figures |= xlsx_figures(normal_xlsx(args.members), args.repeat)
    for key, value in figures.items():
        print(f"{key}: {'not installed' if value is None else round(value, 3)}")
    print(json.dumps({k: None if v is None else round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
