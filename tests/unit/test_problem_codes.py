"""Problems are said in the customer's language by their code, never by their text: every
code a producer can raise is in the catalogue of messages with a Chinese translation; a
census file and the new-quote form give only coded problems; the English message (the
API's text) stays what it was."""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
from pathlib import Path

import msgspec
import openpyxl
import pytest

from quoting.census import read_census
from quoting.errors import CensusError, Problem, RequestError
from quoting.problem_messages import PARAM_WORDS, PROBLEM_MESSAGES
from quoting.services.intake import decode_request
from quoting.web.pages._i18n import translations
from quoting.web.pages._messages import say_problem
from tests.support import ROOT

#: The calls that make a problem from a code (first argument): Problem.of, the schemas'
#: require (second argument), a census cell's _BadValue and the XLSX reader's XlsxError.
_PRODUCERS = {"of": 0, "require": 1, "_BadValue": 0, "XlsxError": 0}
TARIFFS = ROOT / "tariffs"


def _codes_used() -> tuple[set[str], list[re.Pattern[str]]]:
    """Every code a producer in quoting/ names: literal codes, and the patterns of codes
    made with an f-string (``f"census.column_unknown_{kind}"``)."""
    literal: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for path in sorted((ROOT / "quoting").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            index = _PRODUCERS.get(name)
            if index is None or len(node.args) <= index:
                continue
            if name == "of" and not (isinstance(func, ast.Attribute) and _is_problem(func)):
                continue
            arg = node.args[index]
            branches = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for arg in branches:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    literal.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    parts = [
                        re.escape(v.value) if isinstance(v, ast.Constant) else r"\w+"
                        for v in arg.values
                    ]
                    patterns.append(re.compile("".join(parts)))
    return literal, patterns


def _is_problem(func: ast.Attribute) -> bool:
    return isinstance(func.value, ast.Name) and func.value.id == "Problem"


def test_every_code_a_producer_raises_is_in_the_catalogue_and_every_entry_is_used() -> None:
    literal, patterns = _codes_used()
    assert len(literal) > 80 and len(patterns) >= 4
    assert sorted(literal - set(PROBLEM_MESSAGES)) == []
    for pattern in patterns:  # each f-string code can name an entry
        assert any(pattern.fullmatch(code) for code in PROBLEM_MESSAGES), pattern.pattern
    unused = [
        code
        for code in PROBLEM_MESSAGES
        if code not in literal and not any(p.fullmatch(code) for p in patterns)
    ]
    assert unused == []


@pytest.mark.parametrize("code", sorted(PROBLEM_MESSAGES))
def test_every_code_has_a_chinese_message_with_the_same_parameters(code: str) -> None:
    english = PROBLEM_MESSAGES[code]
    chinese = translations("zh_Hans_CN").gettext(english)
    assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese), code
    names = sorted(re.findall(r"%\((\w+)\)s", english))
    assert sorted(re.findall(r"%\((\w+)\)s", chinese)) == names
    assert translations("en").gettext(english) == english


def test_the_words_of_ours_in_parameters_are_translated() -> None:
    for word in PARAM_WORDS:
        assert translations("zh_Hans_CN").gettext(word) != word, word


def test_a_coded_problem_keeps_the_english_message_and_says_it_in_chinese() -> None:
    problem = Problem.of("country.unknown", path=("census", "groups", 0, "country"), country="'X'")
    assert problem.message == (
        "unknown country 'X' (use an ISO code, or the English or Chinese name)"
    )
    assert say_problem("zh_Hans_CN", problem) == "未知国家 'X'（请用 ISO 代码或中英文名称）"
    assert say_problem("en", problem) == problem.message
    # Words of ours in a parameter are translated, the user's value is not.
    typed = Problem.of("value.type", expected="a whole number", got="text")
    assert say_problem("zh_Hans_CN", typed) == "应为整数，而不是文字"
    ranged = Problem.of("number.at_least", value="the value", bound="1")
    assert say_problem("zh_Hans_CN", ranged) == "该值 超出范围（不能小于 1）"
    # A problem without a code (a message no rule knows) is shown as it is.
    assert say_problem("zh_Hans_CN", Problem("something new")) == "something new"


_BAD_CSV = (
    "member_id,name,sex,date_of_birth,occupation_class,country,start,end,shoe_size\n"
    "1,Wang Wei,X,1990-02-30,7,KE,2027-01-01,2026-01-01,42\n"
    "2,,M,,2,ID,,,\n"
    "3,Li Na,F,=A1,abc,Narnia,,,\n"
    "4,Zhao Lei,M,1985-05-05,2,\x01KE,,,\n"
)


def _all_coded(problems: list[Problem]) -> None:
    uncoded = [str(p) for p in problems if p.code not in PROBLEM_MESSAGES]
    assert uncoded == []
    for p in problems:  # and each is said in Chinese
        assert re.search(r"[\u4e00-\u9fff]", say_problem("zh_Hans_CN", p)), p


def test_every_problem_of_a_bad_csv_census_is_coded() -> None:
    with pytest.raises(CensusError) as caught:
        read_census(_BAD_CSV.encode(), "census.csv")
    problems = caught.value.problems
    assert len(problems) >= 8
    codes = {p.code for p in problems}
    assert {"census.column_unknown_members", "census.cell_sex", "date.invalid"} <= codes
    assert {"census.cell_whole_number", "census.cell_empty"} <= codes
    _all_coded(problems)


def test_every_problem_of_a_bad_xlsx_census_and_of_bad_files_is_coded() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["人数", "国家", "职业类别", "年龄段", "颜色"])
    sheet.append(["many", "KE", 2, "30-39", "red"])
    sheet.append([5, "=A1", 2, "", ""])
    sheet.append([dt.datetime(2026, 1, 1, 9, 30), "ID", True, "40-49", ""])
    data = io.BytesIO()
    book.save(data)
    problems: list[Problem] = []
    for content, name in (
        (data.getvalue(), "census.xlsx"),
        (b"PK\x03\x04 not really", "census.xlsx"),
        (b"", "census.csv"),
        (b"\xff\xfe\x00", "census.xls"),
        (b"a,b\n", "census.txt"),
        (b"member_id,member_id\n1,2\n", "census.csv"),
    ):
        with pytest.raises(CensusError) as caught:
            read_census(content, name)
        problems += caught.value.problems
    codes = {p.code for p in problems}
    assert {"census.column_unknown_groups", "census.cell_whole_number"} <= codes
    assert "census.cell_formula" in codes
    assert {"census.file_type_xls", "census.file_type", "census.column_twice"} <= codes
    _all_coded(problems)


def _request(**changes: object) -> bytes:
    body: dict[str, object] = {
        "policyholder": {"name": "中路海外", "credit_code": "91110000MA01ABCD53"},
        "period": {"start": "2027-02-01", "end": "2027-01-01"},
        "currency": "CNY",
        "commission": "0.95",
        "experience": {
            "start": "2024-01-01",
            "end": "2023-01-01",
            "member_years": 0,
            "claim_count": -1,
            "incurred_claims": "x",
        },
        "plans": [
            {"name": "A", "covers": {}},
            {"name": "A", "covers": {"add": {"sum_insured": "0"}}, "classes": [2]},
        ],
        "census": {
            "groups": [
                {"country": "Narnia", "occupation_class": 12, "headcount": 0, "age_band": "a"},
                {"country": "KE", "occupation_class": 2, "headcount": "12"},
                {"country": "KE", "occupation_class": 2, "headcount": 3, "age_band": "30-200"},
            ]
        },
    }
    return msgspec.json.encode(body | changes)


def test_every_problem_of_a_bad_form_request_is_coded() -> None:
    problems: list[Problem] = []
    for data in (
        _request(),
        _request(plans=[{"name": "A", "covers": {"add": {"sum_insured": "500000"}}}]),
        _request(shoe_size=42, plans=[]),
    ):
        with pytest.raises(RequestError) as caught:
            decode_request(data, tariff_root=TARIFFS, today=dt.date(2026, 12, 3))
        problems += caught.value.problems
    codes = {p.code for p in problems}
    assert {"credit_code.check_character", "date.end_before_start", "number.at_least"} <= codes
    assert {"field.unknown", "group.age_or_band", "value.format"} <= codes
    _all_coded(problems)


def test_the_api_text_of_a_check_in_a_struct_is_what_it_was() -> None:
    """``require`` raises the problem msgspec reports as ``field: message``."""
    with pytest.raises(RequestError) as caught:
        decode_request(_request(), tariff_root=None)
    by_path = {p.path: p for p in caught.value.problems}
    assert by_path[("policyholder", "credit_code")].message == "check character does not match"
    assert by_path[("period", "end")].message == "must not be before start"
    assert by_path[("period", "end")].code == "date.end_before_start"


def test_the_code_catalogue_module_has_no_dependencies() -> None:
    source = Path(ROOT / "quoting" / "problem_messages.py").read_text(encoding="utf-8")
    imports = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [getattr(n, "module", None) for n in imports] == ["__future__"]


def test_no_message_names_a_parameter_after_a_place() -> None:
    """``Problem.of`` takes ``path``, ``file``, ``row`` and ``column`` as the place."""
    for code, template in PROBLEM_MESSAGES.items():
        names = set(re.findall(r"%\((\w+)\)s", template))
        assert not names & {"path", "file", "row", "column"}, code


def test_every_producer_gives_the_parameters_its_message_names() -> None:
    """A missing parameter would be a server error when the problem is made."""
    places = {"path", "file", "row", "column"}
    checked = 0
    for path in sorted((ROOT / "quoting").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            index = _PRODUCERS.get(name)
            if index is None or len(node.args) <= index or name == "_BadValue":
                continue
            if name == "of" and not (isinstance(func, ast.Attribute) and _is_problem(func)):
                continue
            arg = node.args[index]
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                continue
            if any(k.arg is None for k in node.keywords):  # **params: checked by callers
                continue
            given = {k.arg for k in node.keywords} - places
            wanted = set(re.findall(r"%\((\w+)\)s", PROBLEM_MESSAGES[arg.value]))
            assert given == wanted, f"{path.name} line {node.lineno}: {arg.value}"
            checked += 1
    assert checked > 60
    # _BadValue fills in the one parameter of its codes, the cell's value.
    for code in ("census.cell_sex", "census.cell_formula", "date.invalid"):
        assert re.findall(r"%\((\w+)\)s", PROBLEM_MESSAGES[code]) == ["value"]
