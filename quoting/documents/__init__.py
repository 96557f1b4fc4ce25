"""Bilingual quote and policy documents as HTML and PDF, usable outside HTTP."""

from quoting.documents._cache import DocumentCache, renderer_version
from quoting.documents._data import (
    Brand,
    DocumentData,
    VersionNote,
    document_data,
    verification_code,
)
from quoting.documents._names import LatinName, initials, latin_name
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
from quoting.documents._verify import certificate_code, parse_certificate_code, tag_matches
from quoting.documents._versions import (
    SegmentTerms,
    certificate_numbers,
    certificates_from,
    certificates_per_member,
    version_data,
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
    "DocumentCache",
    "DocumentData",
    "LatinName",
    "SegmentTerms",
    "VersionNote",
    "certificate_code",
    "certificate_numbers",
    "certificates_from",
    "certificates_per_member",
    "conditions",
    "decline_texts",
    "document_data",
    "font_file",
    "font_files",
    "initials",
    "latin_name",
    "parse_certificate_code",
    "render_html",
    "render_pdf",
    "renderer_version",
    "tag_matches",
    "verification_code",
    "version_data",
]
