"""Census templates to download: a CSV or XLSX file with the headers the census readers
take (Chinese or English) and three example members, which price as they are."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook

__all__ = ["TEMPLATE_FIELDS", "census_template"]

#: The template's columns: the census field and its Chinese header (an alias the census
#: reader accepts; tests/unit/test_census_template.py reads the templates back).
TEMPLATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("member_id", "序号"),
    ("name", "姓名"),
    ("name_en", "姓名拼音"),
    ("sex", "性别"),
    ("date_of_birth", "出生日期"),
    ("passport_no", "护照号"),
    ("occupation_class", "职业类别"),
    ("country", "国家"),
    ("site", "项目"),
)
_EXAMPLES: dict[str, tuple[tuple[object, ...], ...]] = {
    "zh": (
        (
            "E001",
            "李娜",
            "LI NA",
            "女",
            dt.date(1988, 3, 14),
            "E12345678",
            2,
            "印度尼西亚",
            "莫罗瓦利工业园",
        ),
        (
            "E002",
            "王强",
            "WANG QIANG",
            "男",
            dt.date(1979, 11, 2),
            "E23456789",
            4,
            "肯尼亚",
            "蒙内铁路",
        ),
        (
            "E003",
            "张伟",
            "ZHANG WEI",
            "男",
            dt.date(1992, 6, 30),
            "E34567890",
            3,
            "肯尼亚",
            "蒙内铁路",
        ),
    ),
    "en": (
        (
            "E001",
            "Li Na",
            "LI NA",
            "F",
            dt.date(1988, 3, 14),
            "E12345678",
            2,
            "Indonesia",
            "Morowali",
        ),
        (
            "E002",
            "Wang Qiang",
            "WANG QIANG",
            "M",
            dt.date(1979, 11, 2),
            "E23456789",
            4,
            "Kenya",
            "SGR",
        ),
        (
            "E003",
            "Zhang Wei",
            "ZHANG WEI",
            "M",
            dt.date(1992, 6, 30),
            "E34567890",
            3,
            "Kenya",
            "SGR",
        ),
    ),
}


def census_template(fmt: str, language: str) -> tuple[bytes, str]:
    """The census template as ``csv`` (UTF-8 with a byte-order mark, which spreadsheet
    programs need to show Chinese) or ``xlsx``, with ``zh`` or ``en`` headers; with its
    file name. ValueError for another format or language."""
    if language not in _EXAMPLES or fmt not in ("csv", "xlsx"):
        raise ValueError(f"no census template {language}.{fmt}")
    header = [zh if language == "zh" else field for field, zh in TEMPLATE_FIELDS]
    rows = _EXAMPLES[language]
    name = f"census-template-{language}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(
            [v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in rows
        )
        return ("\ufeff" + text.getvalue()).encode("utf-8"), name
    book = Workbook(write_only=True)
    sheet = book.create_sheet("人员清单 Census" if language == "zh" else "Census")
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), name
