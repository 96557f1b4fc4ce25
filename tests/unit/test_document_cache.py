"""The document cache (``QUOTING_DOCUMENT_CACHE``) and the Typst renderer of the long
documents, without HTTP.

A cached document is keyed by everything it shows, so a change of any input (approval,
binding, the brand, the stored quote, the endorsement) or of the renderer is a new
document, never a stale one; with the cache off nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
from pathlib import Path
from typing import Any

import msgspec
import pypdf
import pytest
import segno

from quoting.branding import Brand
from quoting.clock import Clock
from quoting.documents import DocumentCache, document_data, render_html, render_pdf
from quoting.documents._typst import TASKS_PER_CHILD, _compile, _pool, literal, typst_source
from quoting.services import Context, quote_request
from quoting.services.documents import cache_key, cached_document
from quoting.settings import Settings
from tests.support import TARIFF_DIR, make_request

POLICY_ID = "pol_0123456789abcdef01234567"
# Typst markup and code a census might contain by accident or on purpose: each must print
# as typed (the source holds it as a string literal), never run or format.
HOSTILE_NAMES = [
    '#panic("boom")',
    "*bold* _italic_ $x^2$ `raw`",
    'back\\slash "quoted" ] [ } {',
    "@label <anchor> // comment /* c */",
]


def census(names: list[str], occupation_class: int = 2) -> dict[str, Any]:
    return {
        "members": [
            {
                "member_id": f"H{i}",
                "name": name,
                "sex": "MF"[i % 2],
                "date_of_birth": "1990-04-02",
                "passport_no": f"E{i:08d}",
                "occupation_class": occupation_class,
                "country": "Kenya",
            }
            for i, name in enumerate(names, start=1)
        ]
    }


def inputs(
    names: list[str] | None = None, occupation_class: int = 2, **changes: Any
) -> dict[str, Any]:
    """The arguments of ``document_data`` for a bound two-member policy, as the services
    read them from the store (``_inputs``)."""
    members = census(names or ["张玥", "吕堃"], occupation_class)
    request = make_request(members, {"add": {"sum_insured": "712000"}})
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    return {
        "quote_id": "q_cache",
        "created_at": dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC),
        "valid_until": dt.date(2026, 12, 29),
        "result_json": msgspec.json.encode(quote),
        "request_json": msgspec.json.encode(request),
        "arranged_by": "Harbour Insurance Brokers",
        "arranged_role": "broker",
        "tariff_root": TARIFF_DIR,
        "brand": Brand(),
        "policy_number": "GA20260000888",
        "policy_id": POLICY_ID,
        "bound_at": dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC),
        "approved": False,
        "secret": "test-secret",
        "quote_number": "BJ2026-000888",
        **changes,
    }


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    return inputs()


def context(cache: Path | None) -> Context:
    return Context(
        clock=Clock(),
        tariff_root=TARIFF_DIR,
        document_cache=DocumentCache(cache) if cache else None,
    )


def stored(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def pages(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


# --------------------------------------------------------------------------- the cache


def test_a_rendered_document_is_kept_and_served_from_the_cache(
    policy: dict[str, Any], tmp_path: Path
) -> None:
    ctx = context(tmp_path)
    first = cached_document(ctx, "member-list", "pdf", policy)
    assert first.startswith(b"%PDF-")
    [kept] = stored(tmp_path)
    assert kept.name == cache_key("member-list", "pdf", policy, None) + ".pdf"
    assert kept.read_bytes() == first
    # Served from the file, not rendered again: what the file holds is what comes back.
    kept.write_bytes(b"%PDF-1.7 the cached copy")
    assert cached_document(ctx, "member-list", "pdf", policy) == b"%PDF-1.7 the cached copy"


def test_every_document_format_and_font_address_has_its_own_entry(
    policy: dict[str, Any], tmp_path: Path
) -> None:
    ctx = context(tmp_path)
    pdf = cached_document(ctx, "certificates", "pdf", policy)
    html = cached_document(ctx, "certificates", "html", policy)
    served = cached_document(ctx, "certificates", "html", policy, "https://q.example/fonts/")
    assert pdf.startswith(b"%PDF-") and html.startswith(b"<!DOCTYPE html>")
    assert b"https://q.example/fonts/" in served and b"https://q.example/fonts/" not in html
    assert len(stored(tmp_path)) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"approved": True},  # a referral approved: the status printed changes
        {"policy_number": None, "policy_id": None, "bound_at": None},  # before binding
        {"arranged_by": "Another Broker"},  # the owner's name, read at each request
        {"brand": Brand(name_en="Renamed Department")},  # the deployment's settings
        {"secret": "rotated"},  # the verification codes
        {"result_json": b"{}"},  # another stored quote (another version)
    ],
)
def test_any_change_of_what_a_document_shows_is_a_new_key(
    policy: dict[str, Any], change: dict[str, Any]
) -> None:
    assert cache_key("quote-letter", "pdf", {**policy, **change}, None) != cache_key(
        "quote-letter", "pdf", policy, None
    )


def test_the_key_names_the_document_format_fonts_and_endorsement(policy: dict[str, Any]) -> None:
    key = cache_key("policy-schedule", "pdf", policy, None)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == cache_key("policy-schedule", "pdf", dict(reversed(policy.items())), None)
    others = {
        cache_key("member-list", "pdf", policy, None),
        cache_key("policy-schedule", "html", policy, None),
        cache_key("policy-schedule", "html", policy, "https://q.example/fonts/"),
        cache_key("endorsement", "pdf", policy, None, e={"seq": 1}),
        cache_key("endorsement", "pdf", policy, None, e={"seq": 2}),
    }
    assert key not in others and len(others) == 5


def test_a_quote_letter_is_never_stale_after_approval(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    # Class 6 workers are referred to an underwriter: the letter says so until approved.
    referred = inputs(occupation_class=6, policy_number=None, policy_id=None, bound_at=None)
    before = " ".join(pages(cached_document(ctx, "quote-letter", "pdf", referred)))
    after = " ".join(
        pages(cached_document(ctx, "quote-letter", "pdf", {**referred, "approved": True}))
    )
    bound = " ".join(pages(cached_document(ctx, "quote-letter", "pdf", inputs())))
    assert "待核保" in before and "核保已同意" not in before
    assert "核保已同意" in after
    assert "已承保" not in before and "已承保" in bound
    assert len(stored(tmp_path)) == 3


def test_with_the_cache_off_nothing_is_written(policy: dict[str, Any], tmp_path: Path) -> None:
    ctx = context(None)
    assert cached_document(ctx, "benefits", "html", policy).startswith(b"<!DOCTYPE html>")
    assert stored(tmp_path) == []


def test_a_folder_that_cannot_be_written_still_serves_the_document(
    policy: dict[str, Any], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    body = cached_document(context(blocker), "benefits", "html", policy)
    assert body.startswith(b"<!DOCTYPE html>")


def test_the_setting() -> None:
    def folder(**env: str) -> Path | None:
        return Settings.from_env(env).documents.cache_dir

    assert folder() == Path("var/documents")  # beside the default var/quoting.sqlite3
    assert folder(QUOTING_DATABASE_URL="sqlite:////srv/q/data.db") == Path("/srv/q/documents")
    assert folder(QUOTING_DATABASE_URL="postgresql+psycopg://h/q") == Path("var/documents")
    assert folder(QUOTING_DOCUMENT_CACHE="/cache/docs") == Path("/cache/docs")
    assert folder(QUOTING_DOCUMENT_CACHE="off") is None
    assert Settings().documents.cache_dir is None  # made in code (tests): off


# --------------------------------------------------------------------------- Typst


def test_typst_string_literals_escape_everything_markup_could_use() -> None:
    assert literal('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert literal(None) == '""'
    # Control characters never reach the source (as in the HTML: a replacement mark).
    assert literal("x\x00y\nz") == '"x\ufffdy\ufffdz"'


def test_typst_markup_in_names_prints_as_typed() -> None:
    data = document_data(**inputs(HOSTILE_NAMES))
    members = " ".join(pages(render_pdf("member-list", data)))
    certificates = pages(render_pdf("certificates", data))
    assert len(certificates) == len(HOSTILE_NAMES)
    for name, page in zip(HOSTILE_NAMES, certificates, strict=True):
        assert name in page
        # a narrow column may wrap a name anywhere
        assert "".join(name.split()) in "".join(members.split())


def test_the_certificates_qr_code_is_segnos_symbol_of_the_verification_address() -> None:
    data = document_data(**inputs())
    source = typst_source("certificates", data)
    images = re.findall(r'image\(bytes\((".*?[^\\]")\), format: "svg"', source)
    assert len(images) == len(data.members) == 2
    for image, member in zip(images, data.members, strict=True):
        url = f"http://localhost:8000/verify/{member.verify_code}"
        svg = segno.make(url, error="m", micro=False).svg_inline(
            omitsize=True, border=2, svgclass="qr", lineclass=None
        )
        assert image == literal(svg)  # the HTML certificates' very symbol
        assert svg in render_html("certificates", data)


def test_certificates_without_a_policy_id_have_no_qr_code() -> None:
    data = dataclasses.replace(document_data(**inputs(policy_id=None)))
    assert "image(" not in typst_source("certificates", data)
    assert len(pages(render_pdf("certificates", data))) == 2


def test_typst_compiles_in_a_child_process_and_its_errors_come_back() -> None:
    # Typst's memo cache grows with every document it lays out and cannot be emptied, so
    # it runs in child processes that are replaced; an error there still reaches the caller.
    pool = _pool(TASKS_PER_CHILD["certificates"])
    with pytest.raises(RuntimeError, match="boom"):
        pool.submit(_compile, b'#panic("boom")').result()
    child = pool.submit(os.getpid).result()
    assert child != os.getpid()
