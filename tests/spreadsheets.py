"""Hand-made XLSX files for the tests of hostile spreadsheets: built by streaming XML into
a zip (deflate level 9), so that a bomb of millions of cells costs the test a fraction of a
second."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

HEADER_ROW = (
    b'<row r="1"><c t="inlineStr"><is><t>member_id</t></is></c><c t="inlineStr"><is><t>name'
    b'</t></is></c><c t="inlineStr"><is><t>age</t></is></c><c t="inlineStr"><is><t>occupation'
    b'_class</t></is></c><c t="inlineStr"><is><t>country</t></is></c></row>'
)
GOOD_ROW = (
    b'<row r="2"><c t="inlineStr"><is><t>E1</t></is></c><c t="inlineStr"><is><t>Ann</t></is>'
    b'</c><c><v>30</v></c><c><v>2</v></c><c t="inlineStr"><is><t>ID</t></is></c></row>'
)
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook(
    rows: Iterable[bytes],
    shared: Iterable[bytes] | None = None,
    *,
    zip64: bool = True,
    level: int = 9,
) -> bytes:
    """A minimal XLSX whose sheet (and shared strings) are streamed from ``rows`` (and
    ``shared``) straight into the zip, deflated at level 9, as an attacker would."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr(
            "[Content_Types].xml",
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="' + REL + b'/officeDocument" '
            b'Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            b"<workbook " + NS + b' xmlns:r="' + REL + b'"><sheets><sheet name="S" sheetId="1"'
            b' r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="'
            + REL
            + b'/worksheet" Target="worksheets/sheet1.xml"/>'
            b'<Relationship Id="rId2" Type="'
            + REL
            + b'/sharedStrings" Target="sharedStrings.xml"/>'
            b"</Relationships>",
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=zip64) as sheet:
            sheet.write(b"<worksheet " + NS + b"><sheetData>")
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
        if shared is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=zip64) as strings:
                strings.write(b"<sst " + NS + b">")
                for chunk in shared:
                    strings.write(chunk)
                strings.write(b"</sst>")
    return out.getvalue()


def repeated(piece: bytes, count: int, per_chunk: int = 1 << 16) -> Iterator[bytes]:
    block = piece * per_chunk
    for _ in range(count // per_chunk):
        yield block
    yield piece * (count % per_chunk)
