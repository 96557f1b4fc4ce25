"""The census templates an agent downloads read back as the census they show, in either
language and format, and price under the tariff as they are."""

from __future__ import annotations

import datetime as dt
import io

import msgspec
import pytest
from openpyxl import load_workbook

from quoting.census import census_template, read_census
from quoting.services import decode_request, merge_census_file
from tests.support import ROOT, TARIFF_DIR

TODAY = dt.date(2026, 12, 3)
REQUEST = (ROOT / "examples" / "small_request.json").read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_template_reads_back_and_prices(fmt: str, language: str) -> None:
    data, name = census_template(fmt, language)
    assert name == f"census-template-{language}.{fmt}"
    census = read_census(data, name)
    assert census.members is not None
    assert [
        (m.member_id, m.name_en, m.sex, m.date_of_birth, m.occupation_class) for m in census.members
    ] == [
        ("E001", "LI NA", "F", dt.date(1988, 3, 14), 2),
        ("E002", "WANG QIANG", "M", dt.date(1979, 11, 2), 4),
        ("E003", "ZHANG WEI", "M", dt.date(1992, 6, 30), 3),
    ]
    body, rows = merge_census_file(
        REQUEST, data, name, tariff_root=TARIFF_DIR, today=TODAY, replace=True
    )
    request = decode_request(body, tariff_root=TARIFF_DIR, today=TODAY)
    assert rows == [2, 3, 4]
    assert len(msgspec.to_builtins(request)["census"]["members"]) == 3


def test_headers_are_chinese_or_english() -> None:
    zh, _ = census_template("csv", "zh")
    assert zh.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheet programs
    assert (
        zh.decode("utf-8-sig").splitlines()[0]
        == "序号,姓名,姓名拼音,性别,出生日期,护照号,职业类别,国家,项目"
    )
    en, _ = census_template("xlsx", "en")
    sheet = load_workbook(io.BytesIO(en), read_only=True).active
    assert sheet is not None
    header = next(sheet.iter_rows(values_only=True))
    assert header == (
        "member_id", "name", "name_en", "sex", "date_of_birth", "passport_no", "occupation_class",
        "country", "site",
    )  # fmt: skip
    with pytest.raises(ValueError, match="no census template"):
        census_template("pdf", "zh")
