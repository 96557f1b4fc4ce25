"""Render the long documents (member list, certificates) as PDF with Typst.

WeasyPrint lays out a 1,000-row member list in about 7 s and a certificate in about 0.09 s
(860 certificates: 75 s); Typst does the same pages in a fraction of that (the figures are
in docs/documents.md). The Typst source is written by jinja2 from ``templates/documents/
typst/``, with the same data, filters and bundled fonts as the HTML; the HTML versions
(for a browser) stay WeasyPrint's templates.

Every value a template prints becomes a Typst *string literal* (``"…"``, backslashes and
quotes escaped), never markup: a name such as ``#import`` or ``*bold*`` prints as typed.
Markup we make ourselves is ``TypstCode`` and passes through.
"""

from __future__ import annotations

import functools
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import jinja2

from quoting.documents._data import DocumentData
from quoting.schemas import printable

__all__ = ["TASKS_PER_CHILD", "TYPST_DOCUMENTS", "TypstCode", "render_typst_pdf", "typst_source"]

#: The documents rendered by Typst as PDF (their HTML stays WeasyPrint's template).
TYPST_DOCUMENTS = ("quote-letter", "member-list", "certificates")


class TypstCode(str):
    """Typst source we wrote ourselves: printed as it is, not as a string literal."""


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def literal(value: Any) -> str:
    """``value`` as a Typst string literal (None prints as nothing)."""
    if isinstance(value, TypstCode):
        return value
    text = "" if value is None else printable(str(value))
    return '"' + text.translate(_ESCAPES) + '"'


def _qr_svg(url: str) -> TypstCode:
    """The QR code of ``url`` as a Typst image: the very SVG symbol of the HTML."""
    from quoting.documents._render import qr_svg

    return TypstCode(
        f'image(bytes({literal(qr_svg(url))}), format: "svg", width: 22mm, height: 22mm)'
    )


@functools.cache
def _environment() -> jinja2.Environment:
    from quoting.documents._render import TEMPLATES, environment

    html = environment()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "documents" / "typst"),
        autoescape=False,  # values become string literals (finalize), never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # an included file ends its last line
        finalize=literal,
    )
    env.filters.update(html.filters, qr=_qr_svg, code=TypstCode)
    return env


def typst_source(document: str, data: DocumentData) -> str:
    """The Typst source of ``document`` (one of ``TYPST_DOCUMENTS``)."""
    if document not in TYPST_DOCUMENTS:
        raise ValueError(f"{document!r} is not rendered by Typst")
    template = _environment().get_template(f"{document}.typ")
    return template.render(d=data, q=data.quote, document=document)


_local = threading.local()


@functools.cache
def _fonts() -> Any:
    import typst

    from quoting.documents._render import FONT_DIR

    # Only the shipped fonts: no system font, none of Typst's own.
    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONT_DIR)]
    )


def _compiler() -> Any:
    # One compiler per thread, kept: it keeps the parsed fonts.
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        import typst

        from quoting.documents._render import TEMPLATES

        compiler = _local.compiler = typst.Compiler(
            root=str(TEMPLATES / "documents" / "typst"),
            font_paths=_fonts(),
            ignore_system_fonts=True,
        )
    return compiler


def _compile(source: bytes) -> bytes:
    """Compile in a child process; Typst's errors come back as plain RuntimeErrors (its own
    exception type does not survive the trip between processes)."""
    import typst

    try:
        pdf: bytes = _compiler().compile(source, format="pdf", pdf_tags=False)
    except typst.TypstError as error:
        raise RuntimeError(f"Typst: {error.diagnostic or error.message}") from None
    return pdf


def _warm() -> None:
    """A child's first work: parse the four fonts (about a second) before a document
    waits for them."""
    _compile('#text(font: ("Noto Sans", "Noto Sans CJK SC"))[Aa 保险 *Bb 凭证*]'.encode())


#: Typst keeps everything it has laid out for the life of its process (its memo cache; the
#: Python binding cannot empty it): about 150 MB a 1,000-row member list, 1 GB the
#: certificates of 860 members. So Typst compiles in child processes that are replaced
#: after this many documents (the next one is started, and warmed, at once).
TASKS_PER_CHILD = {"certificates": 1, "member-list": 4, "quote-letter": 8}
_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(tasks: int, *, broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get(tasks)
        if pool is None or pool is broken:
            pool = _pools[tasks] = ProcessPoolExecutor(
                max_workers=2,  # as many PDFs as the services render at once
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=tasks,
                initializer=_warm,
            )
        return pool


def render_typst_pdf(document: str, data: DocumentData) -> bytes:
    """``document`` as PDF, compiled by Typst with the shipped fonts (in a child process)."""
    source = typst_source(document, data).encode("utf-8")
    pool = _pool(TASKS_PER_CHILD.get(document, 4))
    try:
        return pool.submit(_compile, source).result()
    except BrokenProcessPool:
        # A child died (killed, out of memory): once more in a new pool.
        retry = _pool(TASKS_PER_CHILD.get(document, 4), broken=pool)
        return retry.submit(_compile, source).result()
