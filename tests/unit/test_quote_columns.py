"""The columnar quote: stored as the engine's columns, it gives back byte for byte the
wire quote the object builder makes — whole, by page, one member, streamed as text."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from quoting.pricing import price
from quoting.quote_builder import build_quote, build_quote_columns
from quoting.quote_columns import (
    CHUNK_MEMBERS,
    ColumnarQuote,
    JsonQuote,
    encode_columns,
    write_json,
)
from quoting.rating_input import resolve
from quoting.schemas import QuoteRequest
from quoting.services import fx_rate
from quoting.tariff.files import load_tariff
from tests.support import ROOT, TARIFF_DIR

BOOK = sorted((ROOT / "tariffs" / "book").glob("*.json"))
TARIFF = load_tariff(TARIFF_DIR)


def _priced(request: QuoteRequest) -> tuple[Any, Any, dt.date]:
    as_of = request.as_of or dt.date(2026, 11, 29)
    resolved = resolve(request, TARIFF, fx_rate=fx_rate(TARIFF, request.currency))
    return resolved, price(resolved.rating, TARIFF), as_of


def _request(path: Path, copies: int = 1) -> QuoteRequest:
    body = json.loads(path.read_text(encoding="utf-8"))
    body["as_of"] = "2026-11-29"
    if copies == 1:  # as it is (some census are groups, not members)
        return msgspec.convert(body, QuoteRequest)
    members = body["census"]["members"]
    many = []
    for i in range(copies):
        for m in members:
            m = copy.deepcopy(m)
            m["member_id"] = f"{m['member_id']}-{i}"
            m.pop("passport_no", None)
            many.append(m)
    body["census"]["members"] = many
    return msgspec.convert(body, QuoteRequest)


@pytest.mark.parametrize("path", BOOK, ids=lambda p: p.stem)
@pytest.mark.parametrize("trace", [True, False])
def test_stored_columns_give_the_same_wire_quote_as_the_objects(path: Path, trace: bool) -> None:
    resolved, priced, as_of = _priced(_request(path))
    expected = msgspec.json.encode(build_quote(resolved, priced, as_of, trace=trace))
    columns = build_quote_columns(resolved, priced, as_of, trace=trace)
    assert msgspec.json.encode(columns.quote()) == expected
    assert ColumnarQuote(encode_columns(columns)).quote_json() == expected


def test_a_large_quote_is_chunked_compressed_and_read_by_page_and_member() -> None:
    request = _request(ROOT / "examples" / "construction_company.json", copies=60)
    resolved, priced, as_of = _priced(request)
    quote = build_quote(resolved, priced, as_of)
    members = len(quote.members)
    assert members > 2 * CHUNK_MEMBERS  # three chunks at least, compressed
    stored = ColumnarQuote(encode_columns(build_quote_columns(resolved, priced, as_of)))
    assert stored.quote_json() == msgspec.json.encode(quote)
    # A page across a chunk boundary, without the trace: premiums per cover as the quote's.
    lo, hi = CHUNK_MEMBERS - 3, CHUNK_MEMBERS + 4
    page = stored.member_quotes(lo, hi, trace=False)
    assert [m.member_id for m in page] == [m.member_id for m in quote.members[lo:hi]]
    assert [[(x.cover, x.premium, x.vat) for x in m.lines] for m in page] == [
        [(x.cover, x.premium, x.vat) for x in m.lines] for m in quote.members[lo:hi]
    ]
    assert all(x.factors == {} for m in page for x in m.lines)
    # One member's trace, and its premium recomputed from it (SPEC step 10: per-member
    # amount rounded half up to the cent, times headcount).
    last = quote.members[-1]
    assert stored.find_member(last.member_id) == last
    line = last.lines[0]
    per_member = float(line.factors["premium_per_member"])
    assert f"{per_member * int(line.factors['headcount']):.2f}" == line.premium
    assert stored.find_member("no such member") is None
    assert stored.member_quotes(members, members + 10, trace=True) == []


def test_the_stream_is_the_formatted_quote_text() -> None:
    request = _request(ROOT / "examples" / "construction_company.json", copies=25)
    resolved, priced, as_of = _priced(request)
    quote = build_quote(resolved, priced, as_of)
    assert len(quote.members) > CHUNK_MEMBERS
    out = io.StringIO()
    write_json(build_quote_columns(resolved, priced, as_of), out.write)
    assert (
        out.getvalue() == msgspec.json.format(msgspec.json.encode(quote).decode(), indent=2) + "\n"
    )


def test_a_quote_stored_as_json_reads_the_same_way() -> None:
    resolved, priced, as_of = _priced(_request(BOOK[0]))
    quote = build_quote(resolved, priced, as_of)
    old = JsonQuote(msgspec.json.encode(quote))
    assert len(old) == len(quote.members)
    assert old.find_member(quote.members[0].member_id) == quote.members[0]
    assert all(x.factors == {} for m in old.member_quotes(0, 5, trace=False) for x in m.lines)
    assert msgspec.json.decode(old.header_json, type=type(quote)).members == []
