"""Render documents: one jinja2 template per document, as HTML or as PDF (WeasyPrint; the
long ones, the member list and the certificates, by Typst: ``_typst.py``).

Templates live in ``templates/documents/`` and are autoescaped; dates, money and numbers
are formatted with Babel (CLDR) for Chinese and English. Fonts ship with the project
(``templates/fonts/``), so Chinese text renders the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple

import jinja2
import markupsafe
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from quoting.documents._data import DocumentData
from quoting.documents._numerals import capital_amount
from quoting.resources import shipped
from quoting.schemas import printable

__all__ = [
    "CANCELLATION_DOCUMENTS",
    "DOCUMENTS",
    "ENDORSEMENT_DOCUMENTS",
    "FONTS",
    "POLICY_DOCUMENTS",
    "QUOTE_DOCUMENTS",
    "TEMPLATES",
    "Font",
    "font_file",
    "font_files",
    "qr_svg",
    "render_html",
    "render_pdf",
]

TEMPLATES = shipped("templates")
QUOTE_DOCUMENTS = ("quote-letter", "benefits")
POLICY_DOCUMENTS = ("policy-schedule", "member-list", "certificates")
#: Documents of one endorsement of a policy (rendered with ``e``, the endorsement; not in
#: ``DOCUMENTS``, the documents made from a quote or policy alone).
ENDORSEMENT_DOCUMENTS = ("endorsement",)
#: The document of a policy's cancellation (its last endorsement, rendered with ``e``).
CANCELLATION_DOCUMENTS = ("cancellation",)
DOCUMENTS = QUOTE_DOCUMENTS + POLICY_DOCUMENTS
Locale = Literal["zh", "en"]


class Font(NamedTuple):
    family: str
    weight: int
    file: str


#: The shipped fonts (templates/fonts/), in the fallback order of documents.css: Latin
#: from Noto Sans, Chinese and the rest from Noto Sans SC.
FONTS = (
    Font("Noto Sans", 400, "NotoSans-Regular.ttf"),
    Font("Noto Sans", 700, "NotoSans-Bold.ttf"),
    Font("Noto Sans SC", 400, "NotoSansSC-Regular.ttf"),
    Font("Noto Sans SC", 700, "NotoSansSC-Bold.ttf"),
)
FONT_DIR = TEMPLATES / "fonts"


@functools.cache
def font_files() -> dict[str, Path]:
    """The shipped fonts by their published name, which carries a hash of the content
    (``NotoSans-Regular.1a2b3c4d5e6f.ttf``): a browser may cache one for ever, and a
    rebuilt font gets a new name. Read on first use, never at import."""
    out: dict[str, Path] = {}
    for font in FONTS:
        path = FONT_DIR / font.file
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stem, _, ext = font.file.rpartition(".")
        out[f"{stem}.{digest}.{ext}"] = path
    return out


def font_file(name: str) -> Path | None:
    """The shipped font published as ``name``, or None: only those files, by exact name."""
    return font_files().get(name)


def _font_faces(fonts_url: str | None) -> str:
    """The @font-face rules: file URLs (PDF), or ``fonts_url`` + published name (HTML
    served to a browser)."""
    published = {path.name: name for name, path in font_files().items()}
    rules = []
    for font in FONTS:
        if fonts_url is None:
            url = (FONT_DIR / font.file).as_uri()
        else:
            url = fonts_url.rstrip("/") + "/" + published[font.file]
        rules.append(
            f'@font-face {{ font-family: "{font.family}"; font-weight: {font.weight}; '
            f'src: url("{url}") format("truetype"); }}'
        )
    return "\n".join(rules) + "\n"


def _money(value: Decimal | str | float | None, currency: str | None = None) -> str:
    if value is None or value == "":
        return ""
    text = format_decimal(Decimal(str(value)), format="#,##0.00", locale="en")
    return f"{currency} {text}" if currency else text


def _amount(value: Decimal | str | float | None) -> str:
    """A sum insured or limit: grouped, without needless decimals."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    pattern = "#,##0" if number == number.to_integral_value() else "#,##0.00"
    return format_decimal(number, format=pattern, locale="en")


def _date(value: dt.date | None, locale: Locale = "en") -> str:
    if value is None:
        return ""
    return format_date(value, format="long", locale="zh_CN" if locale == "zh" else "en")


def _datetime(value: dt.datetime | None, locale: Locale = "en") -> str:
    if value is None:
        return ""
    return format_datetime(
        value, format="medium", tzinfo=dt.UTC, locale="zh_CN" if locale == "zh" else "en"
    )


def _percent(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    return format_percent(Decimal(str(value)), format="#,##0.##%", locale="en")


def _number(value: int | float) -> str:
    return format_decimal(value, locale="en")


def _full_stop(text: str) -> str:
    """An English sentence's end: a full stop, unless the text ends with one already
    ("… Co., Ltd." does not become "Ltd..")."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


@functools.lru_cache(maxsize=4096)
def qr_svg(url: str) -> str:
    """A QR code of ``url`` (segno, error correction M, segno's best mask) as inline SVG
    (no file, no script; sized by the stylesheet). Encoding one takes segno about 4 ms,
    most of a certificate's cost, so the last few thousand are kept (2.4 KB each): a
    policy's next version or format reuses them."""
    import segno

    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(omitsize=True, border=2, svgclass="qr", lineclass=None)
    return svg


def _qr(url: str) -> markupsafe.Markup:
    return markupsafe.Markup(qr_svg(url))


def _printable(value: Any) -> Any:
    # Text stored before control characters were refused must not reach the HTML (a NUL
    # or U+0001 is not a valid HTML character); markup we made ourselves is left alone.
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return printable(value)
    return value


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "documents"),
        autoescape=True,  # every value a user typed (names!) is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )
    env.filters.update(
        money=_money,
        amount=_amount,
        date=_date,
        datetime=_datetime,
        percent=_percent,
        number=_number,
        full_stop=_full_stop,
        capital=capital_amount,
        qr=_qr,
    )
    return env


def render_html(
    document: str, data: DocumentData, *, fonts_url: str | None = None, **extra: Any
) -> str:
    """The document as a standalone HTML page (styles inline). Fonts are file URLs, or
    come from ``fonts_url`` (the web route that serves them, for a browser)."""
    known = DOCUMENTS + ENDORSEMENT_DOCUMENTS + CANCELLATION_DOCUMENTS
    if document not in known:
        raise ValueError(f"unknown document {document!r}; known: {', '.join(known)}")
    template = environment().get_template(f"{document}.html")
    css = _font_faces(fonts_url) + (TEMPLATES / "documents" / "documents.css").read_text(
        encoding="utf-8"
    )
    return template.render(d=data, q=data.quote, css=css, document=document, **extra)


_local = threading.local()
# Without the system's HarfBuzz subsetting library WeasyPrint subsets fonts with fontTools
# (a little slower, same result) and warns on every document; once is enough to know.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def _font_config() -> Any:
    # One per thread: fonts are loaded once per thread, never shared across threads.
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


def render_pdf(document: str, data: DocumentData, **extra: Any) -> bytes:
    """The document as PDF, with the Chinese glyphs it uses embedded."""
    from quoting.documents._typst import TYPST_DOCUMENTS, render_typst_pdf

    if document in TYPST_DOCUMENTS and not extra:
        return render_typst_pdf(document, data)
    from weasyprint import HTML

    html = render_html(document, data, **extra)
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES / "documents")).write_pdf(
        font_config=_font_config()
    )
    return pdf
