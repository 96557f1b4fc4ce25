"""Problems carry their place as structure (path, file, row, column), filled in by the
code that found them; the web layer and the intake service read the structure, never
text, and people still read the same locations."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from quoting.errors import CensusError, Problem, RequestError, TariffError
from quoting.services import decode_request, merge_census_file, relocate_to_file_rows
from quoting.tariff.registry import TariffRegistry
from quoting.web._problems import error_item
from tests.support import ROOT, TARIFF_DIR

REQUEST = (ROOT / "examples" / "small_request.json").read_bytes()
TODAY = dt.date(2026, 11, 29)


def test_a_path_is_a_json_pointer_with_rfc6901_escapes():
    problem = Problem("bad", path=("plans", 0, "covers", "a/b~c"))
    assert problem.pointer == "/plans/0/covers/a~1b~0c"
    assert problem.location == "plans[0].covers.a/b~c"
    assert str(problem) == "plans[0].covers.a/b~c: bad"
    assert Problem("whole request").pointer == ""
    assert str(Problem("whole request")) == "whole request"


def test_locations_read_as_before_for_files_rows_and_keys():
    assert Problem("x", row=7, column="date_of_birth").location == "row 7, column date_of_birth"
    assert (
        Problem("x", file="countries.csv", row=12, column="tier").location
        == "countries.csv row 12, column tier"
    )
    assert (
        Problem("x", file="tariff.toml", path=("volatility", "alpha")).location
        == "tariff.toml [volatility.alpha]"
    )
    assert Problem("x", file="staff.xlsx").location == "staff.xlsx"


def test_a_bad_census_field_in_json_has_its_path_and_pointer():
    body = json.loads(REQUEST)
    body["census"]["members"][1]["date_of_birth"] = "1990-13-01"
    with pytest.raises(RequestError) as exc:
        decode_request(json.dumps(body), tariff_root=TARIFF_DIR, today=TODAY)
    [problem] = exc.value.problems
    assert problem.path == ("census", "members", 1, "date_of_birth")
    item = error_item(problem)
    assert (item.pointer, item.row, item.column) == ("/census/members/1/date_of_birth", None, None)


def test_census_file_problems_have_row_and_column_and_point_at_the_census():
    csv = (
        b"member_id,name,date_of_birth,occupation_class,country\n"
        b"1,A,1990-02-30,2,Indonesia\n"  # row 2: no such date
        b"2,B,1990-01-01,2,Narnia\n"  # row 3: a tariff check, made on the structure
    )
    with pytest.raises(CensusError) as exc:
        merge_census_file(
            REQUEST, csv, "staff.csv", tariff_root=TARIFF_DIR, today=TODAY, replace=True
        )
    date, problem = exc.value.problems
    assert (date.row, date.column) == (2, "date_of_birth")
    assert (problem.row, problem.column, problem.path) == (3, "country", ())
    item = error_item(problem, census_file=True)
    assert (item.pointer, item.row, item.column) == ("/census", 3, "country")


def test_a_problem_of_the_whole_file_points_at_the_census_and_names_the_file():
    with pytest.raises(CensusError) as exc:
        merge_census_file(
            REQUEST, b"", "staff.csv", tariff_root=TARIFF_DIR, today=TODAY, replace=True
        )
    [problem] = exc.value.problems
    assert problem.file == "staff.csv"
    assert error_item(problem, census_file=True).pointer == "/census"


def test_problems_of_census_entries_move_to_the_files_rows():
    error = RequestError(
        [
            Problem("appears more than once", path=("census", "members", 1, "member_id")),
            Problem("no plan applies", path=("census", "members", 0)),
            Problem("is outside the window", path=("period", "start")),
        ]
    )
    moved = relocate_to_file_rows(error, [2, 5])
    assert [(p.row, p.column, p.path) for p in moved.problems] == [
        (5, "member_id", ()),
        (2, None, ()),
        (None, None, ("period", "start")),
    ]
    assert type(moved) is RequestError


def test_with_several_versions_a_tariff_problem_names_its_folder(tmp_path: Path):
    root = tmp_path / "tariffs"
    shutil.copytree(TARIFF_DIR, root / "2026.2")
    occupations = root / "2026.2" / "occupations.csv"
    lines = occupations.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",", ",,", 1)  # one field too many on row 2
    occupations.write_text("\n".join(lines) + "\n", encoding="utf-8")
    later = root / "2027.1"
    shutil.copytree(TARIFF_DIR, later)
    toml = later / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('version = "2026.2"', 'version = "2027.1"')
    text = text.replace("effective_date = 2026-", "effective_date = 2027-")
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(TariffError) as exc:
        TariffRegistry(root).in_force(dt.date(2026, 12, 1))
    [problem] = exc.value.problems
    assert (problem.file, problem.row) == ("2026.2/occupations.csv", 2)
    assert problem.location == "2026.2/occupations.csv row 2"
