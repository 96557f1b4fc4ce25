"""Member lists of a quote as CSV and XLSX, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from openpyxl import Workbook

from quoting.schemas import Quote, printable
from quoting.tariff import COVER_CODES

__all__ = ["members_csv", "members_rows", "members_xlsx", "neutralise"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Make a text cell inert and writable in spreadsheets: a leading = + - @ (or tab, CR)
    would start a formula, so such cells get a leading apostrophe; control characters
    (in quotes stored before they were refused) cannot be written to XLSX at all, so they
    become U+FFFD."""
    value = printable(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _columns(quote: Quote) -> list[str]:
    covers = [
        c for c in COVER_CODES if any(line.cover == c for m in quote.members for line in m.lines)
    ]
    return [
        "member_id",
        "name",
        "headcount",
        "country",
        "occupation_class",
        "age",
        "plan",
        "site",
        "start",
        "end",
        "months",
        *(f"premium_{c}" for c in covers),
        "premium",
        "vat",
    ]


def members_rows(quote: Quote) -> Iterator[list[str | int | Decimal]]:
    """Header, then one row per priced census row; amounts in the quote currency."""
    header = _columns(quote)
    covers = [h.removeprefix("premium_") for h in header if h.startswith("premium_")]
    yield list(header)
    for m in quote.members:
        by_cover = {line.cover: line.premium for line in m.lines}
        yield [
            neutralise(m.member_id),
            neutralise(m.name),
            m.headcount,
            m.country,
            m.occupation_class,
            m.age,
            neutralise(m.plan),
            neutralise(m.site or ""),
            m.start.isoformat(),
            m.end.isoformat(),
            m.months,
            *(Decimal(by_cover[c]) if c in by_cover else Decimal(0) for c in covers),
            Decimal(m.premium),
            Decimal(m.vat),
        ]


def members_csv(quote: Quote) -> bytes:
    """UTF-8 CSV with a byte-order mark, so spreadsheet programs read Chinese names right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in members_rows(quote):
        writer.writerow(str(v) if isinstance(v, Decimal) else v for v in row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def members_xlsx(quote: Quote) -> bytes:
    """An XLSX workbook with one sheet; amounts are numbers with two decimals."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Members")
    for i, row in enumerate(members_rows(quote)):
        if i == 0:
            sheet.append(row)
            continue
        # openpyxl would store a text starting with "=" as a formula: neutralised above.
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
