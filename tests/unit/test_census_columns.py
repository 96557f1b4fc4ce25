"""Large census files are read and resolved column by column; a file with problems is
read row by row from the first chunk of rows that has one. Whichever way a row is read,
the census and its problems are the same: the row-by-row reader (``census_from_rows``,
and the rating input's entry-by-entry resolution) is the oracle here."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random

import pytest
from openpyxl import Workbook

from quoting.census import census_from_rows, read_census, read_census_numbered
from quoting.errors import CensusError, Problem
from quoting.rating_input import _assign_plans, _member_rows, _rows_one_by_one, resolve
from quoting.schemas import Census
from quoting.tariff import Tariff
from quoting.tariff.files import load_tariff
from tests.support import TARIFF_DIR, make_request

HEADER = ["member_id", "name", "sex", "date_of_birth", "occupation_class", "country", "site"]
#: More rows than one chunk of the column reader (4,096), so that the second chunk counts.
ROWS = 9_000


def members(n: int, seed: int = 14) -> list[list[str]]:
    rng = random.Random(seed)
    countries = ["ID", "Indonesia", "印度尼西亚", "VN", "KE", "pk", " SA "]
    return [
        [
            f"M{i:05d}",
            f"Member {i}",
            rng.choice(["M", "F", "male", "女", ""]),
            rng.choice(
                ["1985-03-14", "1990/7/2", "19781130", f"19{rng.randint(60, 99)}-01-0{i % 9 + 1}"]
            ),
            rng.choice(["1", "2", "3.0", " 4 ", "9"]),
            rng.choice(countries),
            rng.choice(["", "Morowali", " morowali ", "Jakarta"]),
        ]
        for i in range(n)
    ]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def row_by_row(rows: list[list[object]], header: list[str] = HEADER) -> Census | list[Problem]:
    """The census (or its problems) as the row-by-row reader makes it, rows from row 2."""
    try:
        return census_from_rows(
            [dict(zip(header, r, strict=True)) for r in rows], first_row_number=2
        )
    except CensusError as exc:
        return exc.problems


def problems(data: bytes, name: str) -> list[Problem]:
    with pytest.raises(CensusError) as exc:
        read_census(data, name)
    return exc.value.problems


def test_a_large_good_csv_is_the_census_the_row_by_row_reader_makes() -> None:
    rows = members(ROWS)
    census, numbers = read_census_numbered(csv_bytes(rows), "staff.csv")
    assert census == row_by_row(rows)
    assert numbers == list(range(2, ROWS + 2))


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (10, "sex", "X"),  # in the first chunk
        (4_097, "date_of_birth", "1990-02-30"),  # the first row of the second chunk
        (8_999, "occupation_class", "2.5"),  # in the last chunk
        (6_000, "name", ""),  # a required cell empty
        (7_000, "country", "A"),  # msgspec refuses it (shorter than 2)
    ],
)
def test_a_bad_cell_anywhere_is_reported_as_the_row_by_row_reader_reports_it(
    row: int, column: str, value: str
) -> None:
    rows = members(ROWS)
    rows[row - 2][HEADER.index(column)] = value
    rows[200][HEADER.index("date_of_birth")] = "not a date"  # and one more, early on
    found = problems(csv_bytes(rows), "staff.csv")
    assert found == row_by_row(rows)
    assert {(p.row, p.column) for p in found} >= {(row, column), (202, "date_of_birth")}


def test_the_valid_rows_of_a_file_with_problems_are_kept_for_the_tariff_checks() -> None:
    rows = members(ROWS)
    rows[5_000][HEADER.index("sex")] = "X"
    with pytest.raises(CensusError) as exc:
        read_census(csv_bytes(rows), "staff.csv")
    # Every row is there, in file order: the bad one with the fields that converted.
    assert [number for number, _ in exc.value.rows] == list(range(2, ROWS + 2))


def test_a_value_under_no_header_far_down_is_one_problem_at_its_first_cell() -> None:
    rows: list[list[str]] = [[*r] for r in members(ROWS)]
    rows[6_000].append("stray")
    rows[7_000].append("another")
    found = problems(csv_bytes(rows), "staff.csv")
    assert [(p.code, p.row, p.column) for p in found] == [
        ("census.value_without_header", 6_002, "8")
    ]


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_spreadsheet_cells_equal_in_python_are_still_cleaned_each_by_its_type() -> None:
    # 1, 1.0 and True are one dict key; only the first two are an occupation class, and a
    # date cell is not a name even after the text of that date was one.
    good: list[object] = ["E1", "Ann", "F", dt.datetime(1990, 1, 1), 1, "ID", "1990-01-01"]
    rows = [
        good,
        ["E2", "Bo", "M", dt.datetime(1991, 1, 1), 1.0, "ID", "1990-01-01"],
        ["E3", "Cy", "M", dt.datetime(1992, 1, 1), True, "ID", dt.datetime(1990, 1, 1)],
    ]
    found = problems(xlsx([HEADER, *rows]), "staff.xlsx")
    assert [(p.code, p.row, p.column) for p in found] == [
        ("census.cell_whole_number", 4, "occupation_class"),
        ("census.cell_date_not_text", 4, "site"),
    ]
    census = read_census(xlsx([HEADER, *rows[:2]]), "staff.xlsx")
    assert [m.occupation_class for m in census.members or []] == [1, 1]


def test_a_large_spreadsheet_is_the_census_the_row_by_row_reader_makes() -> None:
    rows: list[list[object]] = [
        [
            r[0],
            r[1],
            r[2] or None,
            dt.datetime(1980 + i % 20, 1 + i % 12, 1),
            int(float(r[4])),
            r[5],
            r[6] or None,
        ]
        for i, r in enumerate(members(5_000))
    ]
    assert read_census(xlsx([HEADER, *rows]), "staff.xlsx") == row_by_row(rows)


# --------------------------------------------------------------------------- resolving


@pytest.fixture(scope="module")
def tariff() -> Tariff:
    return load_tariff(TARIFF_DIR)


COVERS = {"add": {"sum_insured": "500000"}, "amed": {"limit": "30000"}}


def test_member_rows_resolved_column_by_column_are_those_resolved_one_by_one(
    tariff: Tariff,
) -> None:
    rng = random.Random(7)
    entries = [
        {
            "member_id": f"M{i}",
            "name": f"Member {i}",
            "country": rng.choice(["ID", "Indonesia", "vn", "Kenya", "SA"]),
            "occupation_class": rng.choice([1, 2, 3, 4, 9]),
            "date_of_birth": dt.date(rng.randint(1960, 2000), rng.randint(1, 12), 28).isoformat(),
            **({"site": rng.choice(["A", " a ", "B", ""])} if i % 3 else {}),
            **({"start": "2027-03-01"} if i % 7 == 0 else {}),
            **({"end": "2027-06-30"} if i % 11 == 0 else {}),
        }
        for i in range(2_000)
    ]
    request = make_request({"members": entries}, COVERS)
    assignment = _assign_plans(request, [])
    fast = _member_rows(request, tariff, assignment)
    assert fast is not None
    slow, _ = _rows_one_by_one(request, tariff, assignment, [])
    assert dataclasses.astuple(fast) == dataclasses.astuple(slow)


@pytest.mark.parametrize(
    "change",
    [
        {"country": "Atlantis"},
        {"occupation_code": "NOPE"},
        {"date_of_birth": "2027-06-01"},
        {"member_id": "M1"},
    ],
)
def test_a_member_with_a_problem_is_reported_as_when_resolved_one_by_one(
    tariff: Tariff, change: dict[str, str]
) -> None:
    entries = [
        {"member_id": f"M{i}", "name": "A", "country": "ID", "occupation_class": 2, "age": 30}
        for i in range(50)
    ]
    entries[40] |= change
    if "date_of_birth" in change:
        del entries[40]["age"]  # one of the two
    request = make_request({"members": entries}, COVERS)
    with pytest.raises(Exception) as exc:
        resolve(request, tariff, fx_rate=1.0)
    expected: list[Problem] = []
    _rows_one_by_one(request, tariff, _assign_plans(request, []), expected)
    assert exc.value.problems == expected  # type: ignore[attr-defined]
    assert expected and all(p.path[:3] == ("census", "members", 40) for p in expected)
