"""Rebuild the document fonts: Noto Sans CJK SC (regular and bold), subset to the
characters a Chinese/English insurance document uses.

Usage: python templates/fonts/subset_fonts.py NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc

The .ttc files come from the Noto CJK fonts (SIL Open Font License 1.1, see OFL.txt);
the subset keeps ASCII, Latin-1, general punctuation, currency signs, CJK symbols and
punctuation, full-width forms and the 6,763 hanzi of GB 2312, so every name a census is
likely to hold renders; PDFs embed only the glyphs they use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

HERE = Path(__file__).parent


def gb2312_hanzi() -> list[int]:
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def codepoints() -> set[int]:
    ranges = [
        (0x20, 0x7E),
        (0xA0, 0xFF),
        (0x2000, 0x206F),  # general punctuation
        (0x20A0, 0x20CF),  # currency symbols
        (0x2100, 0x214F),  # letterlike (№, ℃)
        (0x2190, 0x21FF),  # arrows
        (0x2460, 0x24FF),  # enclosed numbers
        (0x25A0, 0x25FF),  # shapes (□ ■ ○)
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF00, 0xFFEF),  # full-width forms
    ]
    points = {cp for lo, hi in ranges for cp in range(lo, hi + 1)}
    return points | set(gb2312_hanzi())


def to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by TrueType (quadratic) ones: PDF writers subset those
    several times faster, which is most of the time a document takes to render."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def build(ttc: Path, out: Path) -> None:
    collection = TTCollection(str(ttc))
    font = next(f for f in collection.fonts if "CJK SC" in f["name"].getDebugName(1))
    options = subset.Options()
    # No OpenType layout features: horizontal Chinese and Latin text needs none, and
    # keeping them drags in thousands of vertical and regional variant glyphs.
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)
    to_truetype(font)
    font.save(str(out))
    print(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB, {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    regular, bold = (Path(p) for p in sys.argv[1:3])
    build(regular, HERE / "NotoSansSC-Regular.ttf")
    build(bold, HERE / "NotoSansSC-Bold.ttf")
