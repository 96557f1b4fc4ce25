"""Rebuild the document fonts: Noto Sans CJK SC for Chinese and Noto Sans for Latin text
(regular and bold of each), subset to what a Chinese/English insurance document uses.

Usage::

    python templates/fonts/subset_fonts.py \\
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \\
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc \\
        /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf \\
        /usr/share/fonts/truetype/noto/NotoSans-Bold.ttf

(Debian: ``apt-get install fonts-noto-cjk fonts-noto-core``.) Both families are under the
SIL Open Font License 1.1, see OFL.txt.

- Noto Sans SC keeps ASCII, Latin-1, punctuation, currency signs, CJK symbols and
  punctuation, full-width forms, and every CJK Unified Ideograph U+4E00–U+9FFF (20,976 of
  the block's 20,992 have a glyph in Noto Sans CJK SC): that holds the 8,105 characters
  of the 通用规范汉字表 that lie in the BMP and GB 18030's common ideographs, so rare
  characters in names (喆, 堃, 玥, 镕) print.
- Noto Sans keeps Latin (Basic, Latin-1, Extended-A, Extended-B, Extended Additional,
  combining marks), Greek and Cyrillic, for site and person names such as Đorđevo, Bačka
  or železnička that Noto Sans CJK has no glyph for.

documents.css declares the chain "Noto Sans", "Noto Sans SC": Latin text comes from Noto
Sans (one design, accents included), Chinese from Noto Sans SC. PDFs embed only the
glyphs they use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

HERE = Path(__file__).parent

#: Shared by both fonts: punctuation and signs a bilingual document prints.
COMMON = [
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2000, 0x206F),  # general punctuation
    (0x20A0, 0x20CF),  # currency symbols
    (0x2100, 0x214F),  # letterlike (№, ℃)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers
    (0x25A0, 0x25FF),  # shapes (□ ■ ○)
]
CJK = [
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3200, 0x32FF),  # enclosed CJK letters and months
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xFF00, 0xFFEF),  # full-width forms
]
LATIN = [
    (0x0100, 0x017F),  # Latin Extended-A (č, ž, š, ć, đ, ł, ő …)
    (0x0180, 0x024F),  # Latin Extended-B (ǎ, ǐ, ǒ, ǔ of pinyin; ș, ț)
    (0x0250, 0x02FF),  # IPA extensions, spacing modifiers (ˇ ˉ ˊ ˋ)
    (0x0300, 0x036F),  # combining diacritical marks
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic (Central Asian site names)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese ạ, ế, ữ …)
]


def codepoints(ranges: list[tuple[int, int]]) -> set[int]:
    return {cp for lo, hi in ranges for cp in range(lo, hi + 1)}


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


def _subset(font: TTFont, unicodes: set[int]) -> None:
    options = subset.Options()
    # No OpenType layout features: horizontal Chinese and Latin text needs none, and
    # keeping them drags in thousands of vertical and regional variant glyphs. (Accented
    # Latin letters are precomposed in the cmap; combining marks stay as glyphs.)
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False  # PDF and screen rasterisers do without; saves a third
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


def build_cjk(ttc: Path, out: Path) -> None:
    collection = TTCollection(str(ttc))
    font = next(f for f in collection.fonts if "CJK SC" in f["name"].getDebugName(1))
    _subset(font, codepoints(COMMON + CJK))
    to_truetype(font)
    font.save(str(out))
    print(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB, {len(font.getGlyphOrder())} glyphs")


def build_latin(ttf: Path, out: Path) -> None:
    font = TTFont(str(ttf))
    _subset(font, codepoints(COMMON + LATIN))
    font.save(str(out))
    print(f"{out.name}: {out.stat().st_size / 1e6:.2f} MB, {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    cjk_regular, cjk_bold, latin_regular, latin_bold = (Path(p) for p in sys.argv[1:5])
    build_cjk(cjk_regular, HERE / "NotoSansSC-Regular.ttf")
    build_cjk(cjk_bold, HERE / "NotoSansSC-Bold.ttf")
    build_latin(latin_regular, HERE / "NotoSans-Regular.ttf")
    build_latin(latin_bold, HERE / "NotoSans-Bold.ttf")
