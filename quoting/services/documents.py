"""The documents of quotes and policies (PDF or HTML), and the draft letter of an offline
quote."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from quoting.documents import (
    DocumentData,
    document_data,
    font_file,
    render_html,
    render_pdf,
    renderer_version,
)
from quoting.errors import DocumentNotAvailable, NotFound
from quoting.schemas import Quote, QuoteRequest
from quoting.services._context import Context
from quoting.services.quotation import find_quote, quote_request
from quoting.store import PolicyRow, QuoteRow, UnitOfWork, UnitOfWorkFactory
from quoting.tariff.registry import tariff_in_force

__all__ = [
    "MAX_CERTIFICATES",
    "MAX_DOCUMENT_MEMBERS",
    "cache_key",
    "cached_document",
    "document_font",
    "document_secret",
    "draft_quote_letter",
    "keep",
    "kept_document",
    "policy_document",
    "policy_document_data",
    "policy_document_inputs",
    "quote_document",
    "render_document",
]

#: Largest census rendered on request as a member list, and as certificates (a page
#: each): bigger books are cut into several policies (their PDFs would take minutes and
#: gigabytes).
MAX_DOCUMENT_MEMBERS = 2000
MAX_CERTIFICATES = 1000
# PDF rendering is CPU- and memory-heavy: at most two at a time per process.
_RENDER_SLOTS = threading.BoundedSemaphore(2)


def document_secret(work: UnitOfWork) -> str:
    """The key of certificate verification codes: made once at random, kept in the
    database (never in the code or the repository), the same for every process."""
    return work.secrets.get_or_create("documents", lambda: secrets.token_hex(32))


def _inputs(
    work: UnitOfWork, ctx: Context, quote: QuoteRow, policy: PolicyRow | None
) -> dict[str, Any]:
    """Everything a quote's or policy's documents show, as read from the store: the
    arguments of ``document_data`` and the key of the document cache."""
    assert quote.result_json is not None and quote.request_json is not None
    owner = work.accounts.get(quote.owner_id)
    secret = document_secret(work)
    work.commit()  # the secret, made by the first document ever asked for
    return dict(
        quote_id=quote.id,
        created_at=quote.created_at,
        valid_until=quote.valid_until,
        result_json=quote.result_json,
        request_json=quote.request_json,
        arranged_by=owner.name if owner else quote.owner_id,
        arranged_role=owner.role if owner else "",
        tariff_root=ctx.tariff_root,
        brand=ctx.brand,
        policy_number=policy.policy_number if policy else None,
        policy_id=policy.id if policy else None,
        bound_at=policy.created_at if policy else None,
        approved=quote.approved_at is not None,
        secret=secret,
        quote_number=quote.number,
    )


def document_font(name: str) -> Path:
    """A shipped document font by its published (content-hashed) name; nothing else."""
    path = font_file(name)
    if path is None:
        raise NotFound(f"No font {name!r}; the documents name the fonts they use.")
    return path


def cache_key(
    document: str, fmt: str, inputs: Mapping[str, Any], fonts_url: str | None, **extra: object
) -> str:
    """The document cache's key: the renderer's version, the document, its format, the
    fonts' address (HTML) and every input (``extra`` too, e.g. the endorsement), so that a
    cached document is never stale: whatever changes, the key changes."""
    digest = hashlib.sha256()
    for part in (renderer_version(), document, fmt, fonts_url or ""):
        digest.update(part.encode() + b"\0")
    for name, value in sorted({**inputs, **extra}.items()):
        raw = value if isinstance(value, bytes) else msgspec.json.encode(value, enc_hook=str)
        digest.update(name.encode() + b"\0" + raw + b"\0")
    return digest.hexdigest()


def kept_document(
    ctx: Context,
    document: str,
    fmt: str,
    inputs: Mapping[str, Any],
    fonts_url: str | None = None,
    **extra: object,
) -> tuple[str, bytes | None]:
    """The cache key of ``document`` of these inputs and the document kept under it
    (None: render it, then ``keep`` it); ("", None) without a cache."""
    cache = ctx.document_cache
    if cache is None:
        return "", None
    key = cache_key(document, fmt, inputs, fonts_url, **extra)
    return key, cache.get(key, fmt)


def keep(ctx: Context, key: str, fmt: str, body: bytes) -> None:
    """Keep a rendered document under ``key`` (from ``kept_document``)."""
    if ctx.document_cache is not None and key:
        ctx.document_cache.put(key, fmt, body)


def cached_document(
    ctx: Context,
    document: str,
    fmt: str,
    inputs: Mapping[str, Any],
    fonts_url: str | None = None,
    **extra: object,
) -> bytes:
    """``document`` of these inputs from the document cache, or rendered (and kept there
    when one is configured)."""
    key, body = kept_document(ctx, document, fmt, inputs, fonts_url, **extra)
    if body is not None:
        return body
    data = document_data(**inputs)
    if extra:
        body = render_document(document, fmt, data, fonts_url, **extra)
    else:
        body = _render(document, fmt, data, fonts_url)
    keep(ctx, key, fmt, body)
    return body


def _render(document: str, fmt: str, data: DocumentData, fonts_url: str | None) -> bytes:
    limit = MAX_CERTIFICATES if document == "certificates" else MAX_DOCUMENT_MEMBERS
    if document in ("member-list", "certificates") and len(data.members) > limit:
        raise DocumentNotAvailable(
            f"the {document} of more than {limit:,} members is not made on request"
        )
    if document == "certificates" and data.request.census.groups is not None:
        raise DocumentNotAvailable(
            "certificates need a census of named members; this policy has an aggregated census"
        )
    return render_document(document, fmt, data, fonts_url)


def render_document(
    document: str, fmt: str, data: DocumentData, fonts_url: str | None = None, **extra: object
) -> bytes:
    """A document as ``pdf`` (at most two rendered at a time per process) or ``html``
    (fonts from ``fonts_url`` when given); ``extra`` reaches the template (e.g. ``e``,
    the endorsement)."""
    if fmt == "pdf":
        with _RENDER_SLOTS:
            return render_pdf(document, data, **extra)
    return render_html(document, data, fonts_url=fonts_url, **extra).encode("utf-8")


def quote_document(
    uow: UnitOfWorkFactory,
    ctx: Context,
    quote_id: str,
    document: str,
    fmt: str,
    fonts_url: str | None = None,
) -> tuple[bytes, str]:
    """A quote's document (``quote-letter`` or ``benefits``) as PDF or HTML, with a file
    name; rendered after the unit of work has ended. An HTML document loads its fonts
    from ``fonts_url`` when given (the web route serving them), else from files."""
    with uow() as work:
        quote = find_quote(work, ctx, quote_id)
        inputs = _inputs(work, ctx, quote, work.policies.for_quote(quote_id))
    body = cached_document(ctx, document, fmt, inputs, fonts_url)
    return body, f"{quote.id}-{document}.{fmt}"


def policy_document(
    uow: UnitOfWorkFactory,
    ctx: Context,
    policy_id: str,
    document: str,
    fmt: str,
    fonts_url: str | None = None,
    version: int | None = None,
) -> tuple[bytes, str]:
    """A policy's document (``policy-schedule``, ``member-list``, ``certificates``) as of
    version ``version`` of its member list (default: the newest, after every applied
    endorsement; a policy never endorsed has only version 1, the bound quote)."""
    # The versions are read by the endorsements service, which imports this module.
    from quoting.services.policy_documents import policy_document_as_of

    return policy_document_as_of(uow, ctx, policy_id, document, fmt, fonts_url, version)


def policy_document_data(work: UnitOfWork, ctx: Context, policy: PolicyRow) -> DocumentData:
    """What a policy's documents show (its bound quote and terms), read in ``work``."""
    return document_data(**policy_document_inputs(work, ctx, policy))


def policy_document_inputs(
    work: UnitOfWork, ctx: Context, policy: PolicyRow, quote: QuoteRow | None = None
) -> dict[str, Any]:
    """The inputs of a policy's documents (``document_data``'s arguments), read in
    ``work``; ``quote`` is its bound quote when the caller has read it in full already."""
    if quote is None:
        quote = work.quotes.get(policy.quote_id)
    assert quote is not None
    return _inputs(work, ctx, quote, policy)


def draft_quote_letter(ctx: Context, request: QuoteRequest, quote: Quote) -> bytes:
    """The quote letter of an offline quote as PDF, numbered by a hash of its request: a
    draft (it is not stored), marked DRAFT / 草稿 on every page."""
    today = ctx.today()
    if not quote.members[:1] or not quote.members[0].lines[0].factors:
        # The letter wants the trace.
        quote = msgspec.structs.replace(
            quote_request(request, tariff_root=ctx.tariff_root, today=today),
            as_of_override=quote.as_of_override,
        )
    request_json = msgspec.json.encode(request)
    validity = tariff_in_force(quote.as_of, ctx.tariff_root).params.tariff.quote_validity_days
    data = document_data(
        quote_id="DRAFT-" + hashlib.sha256(request_json).hexdigest()[:10].upper(),
        created_at=ctx.now(),
        valid_until=today + dt.timedelta(days=validity),
        result_json=msgspec.json.encode(quote),
        request_json=request_json,
        arranged_by="",
        arranged_role="",
        tariff_root=ctx.tariff_root,
        brand=ctx.brand,
        draft=True,
    )
    return render_pdf("quote-letter", data)
