"""Bilingual quote and policy documents as HTML and PDF, usable outside HTTP."""

from quoting.documents._data import Brand, DocumentData, document_data, verification_code
from quoting.documents._render import (
    CANCELLATION_DOCUMENTS,
    DOCUMENTS,
    ENDORSEMENT_DOCUMENTS,
    POLICY_DOCUMENTS,
    QUOTE_DOCUMENTS,
    font_file,
    font_files,
    render_html,
    render_pdf,
)
from quoting.documents._wording import Condition, CustomerText, conditions, decline_texts

__all__ = [
    "CANCELLATION_DOCUMENTS",
    "DOCUMENTS",
    "ENDORSEMENT_DOCUMENTS",
    "POLICY_DOCUMENTS",
    "QUOTE_DOCUMENTS",
    "Brand",
    "Condition",
    "CustomerText",
    "DocumentData",
    "conditions",
    "decline_texts",
    "document_data",
    "font_file",
    "font_files",
    "render_html",
    "render_pdf",
    "verification_code",
]
