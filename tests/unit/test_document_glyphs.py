"""Every character a document prints has a glyph in the fonts it ships (issue 13, finding 1).

A census of names with characters outside GB 2312 (王喆, 李堃, 张玥, 刘镕, 赟, 昇) and sites
with Latin accents (Đorđevo, Bačka, železnička, Hải Phòng, Constanța, İzmit) is priced and
bound, and each of the five documents is rendered as PDF. Each PDF must embed only the
shipped fonts (a character none of them had would make the renderer reach for a system
font, or print a box), and every character of its text must be in the cmap of a shipped
font, in the fallback order the stylesheet declares.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pypdf
import pytest
from fontTools.ttLib import TTFont

from quoting.documents import DOCUMENTS, DocumentData, document_data, render_html, render_pdf
from quoting.documents._render import FONT_DIR, FONTS
from quoting.services import decode_request, quote_request
from tests.support import ROOT, TARIFF_DIR

EXAMPLE = ROOT / "examples" / "construction_company.json"
RARE_NAMES = ["王喆", "李堃", "张玥", "刘镕", "赵赟", "陈昇"]
#: Member E900 of the example is declined (its country): the quote letter names it.
DECLINED_NAME = "欧阳喆"
SITES = [
    "Đorđevo depot",
    "Bačka Palanka bridge",
    "Beograd železnička stanica",
    "Hải Phòng port",
    "Constanța terminal",
    "İzmit yard",
]
#: What the PDF calls the shipped faces (WeasyPrint names an embedded subset after its
#: family and weight, behind a six-letter subset tag).
# The four shipped faces, as WeasyPrint names them (by family) and as Typst does (by their
# PostScript names: the member list and the certificates).
EMBEDDED = {"Noto-Sans", "Noto-Sans-Bold", "Noto-Sans-SC", "Noto-Sans-SC-Bold"} | {
    "NotoSans-Regular",
    "NotoSans-Bold",
    "NotoSansCJKsc-Regular",
    "NotoSansCJKsc-Bold",
}


def rare_request() -> Any:
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    members = body["census"]["members"]
    for member, name in zip(members, RARE_NAMES, strict=False):
        member["name"] = name
    for member, site in zip(members[len(RARE_NAMES) :], SITES, strict=False):
        member["site"] = site
    next(m for m in members if m["member_id"] == "E900")["name"] = DECLINED_NAME
    return decode_request(json.dumps(body).encode(), tariff_root=TARIFF_DIR)


@pytest.fixture(scope="module")
def rare() -> DocumentData:
    request = rare_request()
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    return document_data(
        quote_id="q_0123456789abcdef01234567",
        created_at=dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC),
        valid_until=dt.date(2026, 12, 29),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Harbour Insurance Brokers",
        arranged_role="broker",
        tariff_root=TARIFF_DIR,
        policy_number="GA20260000123",
        bound_at=dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC),
        approved=True,
    )


@pytest.fixture(scope="module")
def cmaps() -> list[tuple[str, set[int]]]:
    """The shipped fonts' characters, in the stylesheet's fallback order."""
    return [(font.file, set(TTFont(str(FONT_DIR / font.file)).getBestCmap())) for font in FONTS]


@pytest.fixture(scope="module")
def pdfs(rare: DocumentData) -> dict[str, bytes]:
    return {document: render_pdf(document, rare) for document in DOCUMENTS}


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts a PDF embeds, without their subset tags."""
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            names.add(re.sub(r"^[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"])[1:]))
    return names


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def missing(text: str, cmaps: list[tuple[str, set[int]]]) -> list[str]:
    """Characters of ``text`` that no shipped font has (white space aside)."""
    return sorted(
        {ch for ch in text if not ch.isspace() and not any(ord(ch) in cmap for _, cmap in cmaps)}
    )


def test_the_names_and_sites_are_chosen_to_need_the_new_fonts(
    cmaps: list[tuple[str, set[int]]],
) -> None:
    # Outside GB 2312 (the old subset), so the test means something …
    for name in ["喆", "堃", "玥", "镕", "赟", "昇"]:
        with pytest.raises(UnicodeEncodeError):
            name.encode("gb2312")
    # … and the accented letters are not in Noto Sans CJK: they come from Noto Sans.
    cjk = dict(cmaps)["NotoSansSC-Regular.ttf"]
    assert not {ord(c) for c in "čžśțİả"} & cjk
    latin = dict(cmaps)["NotoSans-Regular.ttf"]
    assert {ord(c) for c in "ĐđčžšțİảƯ"} <= latin


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_character_of_a_pdf_has_a_shipped_glyph(
    document: str, pdfs: dict[str, bytes], cmaps: list[tuple[str, set[int]]]
) -> None:
    pdf = pdfs[document]
    assert embedded_fonts(pdf) <= EMBEDDED, "a character fell back to a system font"
    text = pdf_text(pdf)
    assert missing(text, cmaps) == []
    compact = "".join(text.split())
    if document in ("member-list", "certificates"):
        for name in RARE_NAMES:
            assert name in compact
    if document == "member-list":
        for site in SITES:
            assert "".join(site.split()) in compact
    if document == "quote-letter":
        assert DECLINED_NAME in compact


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_character_of_an_html_document_has_a_shipped_glyph(
    document: str, rare: DocumentData, cmaps: list[tuple[str, set[int]]]
) -> None:
    html = render_html(document, rare)
    body = html[html.index("<body") :]
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    assert missing(text, cmaps) == []


def test_the_shipped_fonts_stay_small() -> None:
    sizes = {path.name: path.stat().st_size for path in Path(FONT_DIR).glob("*.ttf")}
    assert set(sizes) == {font.file for font in FONTS}
    assert sum(sizes.values()) < 15_000_000
