"""Census uploads: CSV, XLSX and JSON read into a Census, every problem reported at once."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from quoting.census import MAX_CENSUS_BYTES, MAX_CENSUS_ROWS, census_from_rows, read_census
from quoting.errors import CensusError
from quoting.schemas import Census, CensusGroup, CensusMember

GOOD_CSV = (
    "member_id,name,sex,date_of_birth,occupation_class,country,site,start,end\n"
    "E001,Wang Wei,M,1985-03-14,3,ID,Morowali,2025-01-01,2025-12-31\n"
    "E002,Li Na,female,1990/07/02,2,Indonesia,,,\n"
    "E003,Zhang San,男,19781130,4,印度尼西亚,Jakarta,,\n"
)


def problems_of(exc: pytest.ExceptionInfo[CensusError]) -> dict[str, str]:
    return {p.location: p.message for p in exc.value.problems}


def locations(exc: pytest.ExceptionInfo[CensusError]) -> set[str]:
    return {p.location for p in exc.value.problems}


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- CSV


def test_good_csv_with_english_headers() -> None:
    census = read_census(GOOD_CSV.encode(), "staff.csv")
    assert census.groups is None
    assert census.members is not None
    assert [m.member_id for m in census.members] == ["E001", "E002", "E003"]
    first, second, third = census.members
    assert first == CensusMember(
        member_id="E001",
        name="Wang Wei",
        sex="M",
        date_of_birth=dt.date(1985, 3, 14),
        occupation_class=3,
        country="ID",
        site="Morowali",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
    )
    assert second.sex == "F"
    assert second.date_of_birth == dt.date(1990, 7, 2)
    assert second.site is None  # empty cell -> absent
    assert third.sex == "M"
    assert third.date_of_birth == dt.date(1978, 11, 30)
    assert third.country == "印度尼西亚"


def test_csv_with_bom_and_aliases_in_mixed_case() -> None:
    text = (
        "\ufeff ID , Full Name ,Gender,DOB,Class,Country Code,Passport Number\n"
        "1,A,f,1990.01.05,1,vn,E123\n"
    )
    census = read_census(text.encode("utf-8"), "a.csv")
    assert census.members is not None
    (member,) = census.members
    assert (member.member_id, member.name, member.sex) == ("1", "A", "F")
    assert member.date_of_birth == dt.date(1990, 1, 5)
    assert member.passport_no == "E123"
    assert member.country == "vn"


CHINESE_CSV = (
    "工号,姓名,性别,出生日期,职业类别,派驻国家,项目地点,起保日期,终止日期\n"
    "A01,王伟,男,1985-03-14,3,印度尼西亚,莫罗瓦利工业园,2025-01-01,2025-12-31\n"
    "A02,李娜,女,1992-11-20,1,越南,河内,,\n"
)


def test_csv_with_chinese_headers() -> None:
    census = read_census(CHINESE_CSV.encode("utf-8"), "人员清单.csv")
    assert census.members is not None
    assert [(m.member_id, m.name, m.sex, m.country) for m in census.members] == [
        ("A01", "王伟", "M", "印度尼西亚"),
        ("A02", "李娜", "F", "越南"),
    ]
    assert census.members[0].site == "莫罗瓦利工业园"
    assert census.members[0].end == dt.date(2025, 12, 31)


def test_gbk_encoded_csv() -> None:
    data = CHINESE_CSV.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    census = read_census(data, "export.csv")
    assert census.members is not None
    assert [m.name for m in census.members] == ["王伟", "李娜"]
    assert census.members[1].country == "越南"


def test_semicolon_delimiter() -> None:
    text = "member_id;name;age;occupation_class;country\n1;Ann;34;2;TH\n2;Ben;51;5;KE\n"
    census = read_census(text.encode(), "semi.csv")
    assert census.members is not None
    assert [(m.name, m.age, m.occupation_class) for m in census.members] == [
        ("Ann", 34, 2),
        ("Ben", 51, 5),
    ]


def test_tab_delimiter() -> None:
    text = "member_id\tname\tage\toccupation_code\tcountry\n7\tAnn, Jr.\t40\t0701\tTH\n"
    census = read_census(text.encode(), "tabs.csv")
    assert census.members is not None
    assert census.members[0].name == "Ann, Jr."
    assert census.members[0].occupation_code == "0701"


def test_empty_rows_are_skipped_and_row_numbers_kept() -> None:
    text = (
        "member_id,name,age,occupation_class,country\n"
        "1,Ann,30,2,TH\n"
        ",,,,\n"
        "\n"
        "  ,  , , ,\n"
        "2,Ben,abc,2,TH\n"
    )
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "gaps.csv")
    # line 6 in the spreadsheet, although only the 2nd data row
    assert problems_of(exc) == {"row 6, column age": "'abc' is not a whole number"}

    good = text.replace("abc", "31")
    census = read_census(good.encode(), "gaps.csv")
    assert census.members is not None
    assert [m.member_id for m in census.members] == ["1", "2"]


def test_every_bad_row_is_reported_at_once() -> None:
    text = (
        "member_id,name,sex,date_of_birth,occupation_class,country\n"
        "1,Ann,F,1990-01-01,2,TH\n"  # row 2: fine
        "2,Ben,M,1990-13-01,2,TH\n"  # row 3: bad date
        "3,Cat,X,1991-02-03,2,TH\n"  # row 4: bad sex
        "4,,F,1992-04-05,2,TH\n"  # row 5: missing name
        "5,Dan,M,1993-06-07,2,TH\n"  # row 6: fine
        "6,,Q,31/12/1990,2,TH\n"  # row 7: three problems
    )
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "bad.csv")
    assert locations(exc) == {
        "row 3, column date_of_birth",
        "row 4, column sex",
        "row 5, column name",
        "row 7, column name",
        "row 7, column sex",
        "row 7, column date_of_birth",
    }
    problems = problems_of(exc)
    assert problems["row 3, column date_of_birth"] == "'1990-13-01' is not a date (use YYYY-MM-DD)"
    assert problems["row 4, column sex"].startswith("'X' is not a sex")
    assert "required" in problems["row 5, column name"]
    assert problems["row 7, column date_of_birth"] == "'31/12/1990' is not a date (use YYYY-MM-DD)"
    assert len(exc.value.problems) == 6


def test_cross_field_and_range_errors_name_the_row() -> None:
    text = (
        "member_id,name,age,occupation_class,country,start,end\n"
        "1,Ann,30,,TH,,\n"  # no class nor code
        "2,Ben,30,7,TH,,\n"  # class 7 not allowed
        "3,Cat,130,2,TH,,\n"  # age above 120
        "4,Dan,30,2,TH,2025-06-01,2025-01-01\n"  # end before start
    )
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "x.csv")
    assert problems_of(exc) == {
        "row 2": "give occupation_class or occupation_code",
        "row 3, column occupation_class": "must be 1-6 or 9",
        "row 4, column age": "'130' is out of range (must be at most 120)",
        "row 5, column end": "must not be before start",
    }


def test_missing_required_column() -> None:
    text = "member_id,sex,age,occupation_class,country\n1,M,30,2,TH\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "x.csv")
    assert len(exc.value.problems) == 1
    problem = exc.value.problems[0]
    assert problem.location == "row 1"
    assert "'name'" in problem.message
    assert "姓名" in problem.message


def test_several_missing_required_columns_each_reported() -> None:
    text = "sex,age,occupation_class\nM,30,2\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "x.csv")
    messages = [p.message for p in exc.value.problems]
    assert len(messages) == 3
    for field in ("member_id", "name", "country"):
        assert sum(f"'{field}'" in m for m in messages) == 1


def test_unknown_column() -> None:
    text = "member_id,name,age,occupation_class,country,Salary\n1,Ann,30,2,TH,5000\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "x.csv")
    assert locations(exc) == {"row 1, column Salary"}
    message = exc.value.problems[0].message
    assert "'Salary'" in message
    assert "member_id" in message and "date_of_birth" in message


def test_unknown_column_reported_together_with_row_problems() -> None:
    text = "member_id,name,age,occupation_class,country,备注\n1,Ann,x,2,TH,hi\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "x.csv")
    assert locations(exc) == {"row 1, column 备注", "row 2, column age"}


def test_duplicate_meaning_columns() -> None:
    text = "id,member_id,name,age,occupation_class,country\n1,1,Ann,30,2,TH\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "x.csv")
    assert locations(exc) == {"row 1, column member_id"}
    assert "both mean member_id" in exc.value.problems[0].message


def test_groups_via_headcount_column() -> None:
    text = "country,class,人数,年龄段,age\nID,3,120,30-39,\nVN,2,15,,45\n"
    census = read_census(text.encode(), "grid.csv")
    assert census.members is None
    assert census.groups == [
        CensusGroup(country="ID", occupation_class=3, headcount=120, age_band="30-39"),
        CensusGroup(country="VN", occupation_class=2, headcount=15, age=45),
    ]


def test_group_rows_errors_and_member_only_column() -> None:
    text = "country,occupation_class,headcount,age,name\nID,3,0,30,x\nVN,2,5,,\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "grid.csv")
    assert locations(exc) == {"row 1, column name", "row 2, column headcount", "row 3"}
    problems = problems_of(exc)
    assert "does not belong in an aggregated census" in problems["row 1, column name"]
    assert problems["row 3"] == "give exactly one of age and age_band"


def test_csv_empty_file() -> None:
    with pytest.raises(CensusError) as exc:
        read_census(b"", "empty.csv")
    assert exc.value.problems[0].location == "empty.csv"
    assert "empty" in exc.value.problems[0].message


def test_csv_header_only_is_empty_census() -> None:
    with pytest.raises(CensusError) as exc:
        read_census(b"member_id,name,age,occupation_class,country\n", "h.csv")
    assert [p.message for p in exc.value.problems] == ["the census is empty (no data rows)"]


# --------------------------------------------------------------------------- XLSX

XLSX_HEADER = ["序号", "姓名", "性别", "出生日期", "职业类别", "国家", "护照号码", "起保日期"]


def test_xlsx_good_file_with_date_cells() -> None:
    data = xlsx_bytes(
        [
            XLSX_HEADER,
            [
                1,
                "王伟",
                "男",
                dt.datetime(1985, 3, 14),
                3.0,
                "印度尼西亚",
                "E1234567",
                dt.date(2025, 1, 1),
            ],
            [None] * 8,
            [12.0, "Li Na", "F", dt.datetime(1990, 7, 2), 2, "VN", 98765432, None],
        ]
    )
    census = read_census(data, "census.xlsx")
    assert census.members is not None
    first, second = census.members
    assert first.member_id == "1"
    assert first.date_of_birth == dt.date(1985, 3, 14)
    assert type(first.date_of_birth) is dt.date
    assert first.occupation_class == 3
    assert first.start == dt.date(2025, 1, 1)
    assert second.member_id == "12"
    assert second.passport_no == "98765432"
    assert second.sex == "F"


def test_xlsx_header_need_not_be_on_the_first_row() -> None:
    data = xlsx_bytes(
        [
            [],
            [],
            ["member_id", "name", "age", "occupation_class", "country"],
            ["1", "Ann", 30, 2, "TH"],
            ["2", "Ben", "old", 2, "TH"],
        ]
    )
    with pytest.raises(CensusError) as exc:
        read_census(data, "x.xlsx")
    assert locations(exc) == {"row 5, column age"}


def test_xlsx_formula_cell_is_reported() -> None:
    data = xlsx_bytes(
        [
            ["member_id", "name", "age", "occupation_class", "country"],
            ["1", "Ann", 30, "=1+2", "TH"],
            ["2", "Ben", 40, 2, "TH"],
            ["3", "Cat", "=YEAR(TODAY())-1990", 2, "TH"],
        ]
    )
    with pytest.raises(CensusError) as exc:
        read_census(data, "x.xlsx")
    assert locations(exc) == {"row 2, column occupation_class", "row 4, column age"}
    message = problems_of(exc)["row 2, column occupation_class"]
    assert "'=1+2'" in message
    assert "formulas are not accepted" in message


def test_xlsx_calculated_formula_uses_its_cached_value() -> None:
    data = xlsx_bytes(
        [
            ["member_id", "name", "age", "occupation_class", "country"],
            ["1", "Ann", 30, "=1+2", "TH"],
        ]
    )
    # Simulate a workbook saved by Excel: the formula carries its calculated value.
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>1+2</f><v />" in body
                body = body.replace(b"<f>1+2</f><v />", b"<f>1+2</f><v>3</v>")
            dst.writestr(item, body)
    census = read_census(out.getvalue(), "calc.xlsx")
    assert census.members is not None
    assert census.members[0].occupation_class == 3


def test_xlsx_text_that_looks_like_a_formula_is_reported() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["member_id", "name", "age", "occupation_class", "country"])
    ws.append(["1", "Ann", 30, 2, "TH"])
    ws["B2"].value = "=HYPERLINK(1)"
    ws["B2"].data_type = "s"  # a text cell, as a cached value would be
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(CensusError) as exc:
        read_census(buf.getvalue(), "x.xlsx")
    assert locations(exc) == {"row 2, column name"}
    assert "formulas are not accepted" in exc.value.problems[0].message


def test_xlsx_corrupt_bytes() -> None:
    with pytest.raises(CensusError) as exc:
        read_census(b"this is not a zip file at all", "broken.xlsx")
    (problem,) = exc.value.problems
    assert problem.location == "broken.xlsx"
    assert "xlsx" in problem.message


def test_xlsx_truncated_file() -> None:
    data = xlsx_bytes([["member_id", "name", "age", "occupation_class", "country"]])
    with pytest.raises(CensusError) as exc:
        read_census(data[: len(data) // 2], "cut.xlsx")
    assert locations(exc) == {"cut.xlsx"}


def test_xlsx_groups_and_blank_sheet() -> None:
    data = xlsx_bytes([["Country", "Class", "Count", "Age"], ["KE", 5.0, 40.0, 33]])
    census = read_census(data, "g.xlsx")
    assert census.groups == [CensusGroup(country="KE", occupation_class=5, headcount=40, age=33)]

    with pytest.raises(CensusError) as exc:
        read_census(xlsx_bytes([]), "blank.xlsx")
    assert locations(exc) == {"blank.xlsx"}


def test_xlsx_value_under_no_header() -> None:
    data = xlsx_bytes(
        [
            ["member_id", "name", "age", "occupation_class", "country", None],
            ["1", "Ann", 30, 2, "TH", None],
            ["2", "Ben", 30, 2, "TH", "stray"],
        ]
    )
    with pytest.raises(CensusError) as exc:
        read_census(data, "x.xlsx")
    assert locations(exc) == {"row 3, column 6"}


# --------------------------------------------------------------------------- JSON

MEMBER = {"member_id": "1", "name": "Ann", "age": 30, "occupation_class": 2, "country": "TH"}


def test_json_object_with_members() -> None:
    doc = {"members": [MEMBER, {**MEMBER, "member_id": "2", "date_of_birth": "1990-01-01"}]}
    doc["members"][1].pop("age")
    census = read_census(json.dumps(doc).encode(), "c.json")
    assert census.members is not None
    assert [m.member_id for m in census.members] == ["1", "2"]
    assert census.members[1].date_of_birth == dt.date(1990, 1, 1)


def test_json_bare_list() -> None:
    census = read_census(json.dumps([MEMBER]).encode(), "c.json")
    assert census == Census(members=[CensusMember(**MEMBER)])  # type: ignore[arg-type]


def test_json_groups() -> None:
    doc = {"groups": [{"country": "ID", "occupation_class": 3, "headcount": 9, "age": 40}]}
    census = read_census(json.dumps(doc).encode(), "g.json")
    assert census.groups == [CensusGroup(country="ID", occupation_class=3, headcount=9, age=40)]


def test_json_row_errors_collected() -> None:
    rows = [
        MEMBER,
        {**MEMBER, "date_of_birth": "1990-13-01", "age": None},  # row 2
        {k: v for k, v in MEMBER.items() if k != "name"},  # row 3
        {**MEMBER, "sex": "X"},  # row 4
        {**MEMBER, "occupation_class": None},  # row 5: cross-field
        "not an object",  # row 6
        {**MEMBER, "salary": 1},  # row 7
    ]
    rows[1].pop("age")
    with pytest.raises(CensusError) as exc:
        read_census(json.dumps(rows).encode(), "c.json")
    problems = problems_of(exc)
    assert set(problems) == {
        "row 2, column date_of_birth",
        "row 3, column name",
        "row 4, column sex",
        "row 5",
        "row 6",
        "row 7, column salary",
    }
    assert problems["row 2, column date_of_birth"] == "'1990-13-01' is not a date (use YYYY-MM-DD)"
    assert problems["row 4, column sex"] == "'X' is not one of the accepted values"


def test_json_cross_field_error_has_no_column() -> None:
    row = {k: v for k, v in MEMBER.items() if k != "occupation_class"}
    with pytest.raises(CensusError) as exc:
        read_census(json.dumps({"members": [MEMBER, row]}).encode(), "c.json")
    assert problems_of(exc) == {"row 2": "give occupation_class or occupation_code"}


def test_json_malformed_and_wrong_shape() -> None:
    with pytest.raises(CensusError) as exc:
        read_census(b"[1,", "c.json")
    assert locations(exc) == {"c.json"}
    assert "not valid JSON" in exc.value.problems[0].message

    with pytest.raises(CensusError) as exc:
        read_census(b'{"people": []}', "c.json")
    assert locations(exc) == {"c.json"}
    assert "people" in exc.value.problems[0].message

    with pytest.raises(CensusError) as exc:
        read_census(b"[]", "c.json")
    assert [p.message for p in exc.value.problems] == ["the census is empty (no data rows)"]


# --------------------------------------------------------------------------- limits and types


def test_file_too_large() -> None:
    data = b"member_id,name,age,occupation_class,country\n" + b"x" * MAX_CENSUS_BYTES
    with pytest.raises(CensusError) as exc:
        read_census(data, "huge.csv")
    (problem,) = exc.value.problems
    assert problem.location == "huge.csv"
    assert "10 MB" in problem.message


def test_too_many_rows() -> None:
    rows = [MEMBER] * (MAX_CENSUS_ROWS + 1)
    with pytest.raises(CensusError) as exc:
        read_census(json.dumps(rows).encode(), "many.json")
    assert "100,000" in exc.value.problems[0].message

    text = "member_id,name,age,occupation_class,country\n" + "1,A,30,2,TH\n" * (MAX_CENSUS_ROWS + 1)
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "many.csv")
    assert "100,000" in exc.value.problems[0].message


@pytest.mark.parametrize("name", ["census.xls", "census.txt", "census", "census.pdf"])
def test_unsupported_extension(name: str) -> None:
    with pytest.raises(CensusError) as exc:
        read_census(GOOD_CSV.encode(), name)
    (problem,) = exc.value.problems
    assert problem.location == name
    for fmt in (".csv", ".xlsx", ".json"):
        assert fmt in problem.message


def test_extension_is_case_insensitive() -> None:
    census = read_census(GOOD_CSV.encode(), "STAFF.CSV")
    assert census.members is not None
    assert len(census.members) == 3


# --------------------------------------------------------------------------- census_from_rows


def test_census_from_rows_directly() -> None:
    rows: list[dict[str, object]] = [
        {"ID": 7.0, "Name": " Ann ", "DOB": dt.datetime(1990, 1, 2), "class": "3", "国家": "TH"},
        {"ID": None, "Name": "", "DOB": None, "class": None, "国家": None},
        {"ID": "8", "Name": "Ben", "DOB": "1991-05-06", "class": 1, "国家": "VN"},
    ]
    census = census_from_rows(rows, first_row_number=10)
    assert census.members is not None
    assert [(m.member_id, m.name, m.occupation_class) for m in census.members] == [
        ("7", "Ann", 3),
        ("8", "Ben", 1),
    ]

    rows[2]["class"] = 2.5
    with pytest.raises(CensusError) as exc:
        census_from_rows(rows, first_row_number=10)
    assert problems_of(exc) == {"row 12, column occupation_class": "'2.5' is not a whole number"}


# --------------------------------------------------------------------------- passport names


def test_the_passport_name_column_in_csv_xlsx_and_json() -> None:
    text = "序号,姓名,姓名拼音,职业类别,国家,年龄\nE1,张玥,ZHANG YUE,2,KE,30\nE2,吕堃,,2,KE,40\n"
    census = read_census(text.encode(), "c.csv")
    assert census.members is not None
    assert [m.name_en for m in census.members] == ["ZHANG YUE", None]
    rows: list[list[object]] = [
        ["member_id", "name", "passport name", "occupation_class", "country", "age"],
        ["E1", "张玥", "Zhang Yue", 2, "KE", 30],
    ]
    from_xlsx = read_census(xlsx_bytes(rows), "c.xlsx")
    assert from_xlsx.members is not None and from_xlsx.members[0].name_en == "Zhang Yue"
    member = {**MEMBER, "name_en": "ĐORĐE PETROVIĆ"}
    from_json = read_census(json.dumps([member]).encode(), "c.json")
    assert from_json.members is not None and from_json.members[0].name_en == "ĐORĐE PETROVIĆ"


def test_a_passport_name_with_digits_or_chinese_is_refused_at_its_cell() -> None:
    text = "member_id,name,name_en,occupation_class,country,age\n1,张玥,ZHANG3,2,KE,30\n2,吕堃,吕堃,2,KE,40\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "c.csv")
    assert locations(exc) == {"row 2, column name_en", "row 3, column name_en"}
