"""Bilingual quote and policy documents as HTML and PDF, usable outside HTTP."""

from quoting.documents._data import Brand, DocumentData, document_data, verification_code
from quoting.documents._render import (
    DOCUMENTS,
    POLICY_DOCUMENTS,
    QUOTE_DOCUMENTS,
    font_file,
    font_files,
    render_html,
    render_pdf,
)

__all__ = [
    "DOCUMENTS",
    "POLICY_DOCUMENTS",
    "QUOTE_DOCUMENTS",
    "Brand",
    "DocumentData",
    "document_data",
    "font_file",
    "font_files",
    "render_html",
    "render_pdf",
    "verification_code",
]
