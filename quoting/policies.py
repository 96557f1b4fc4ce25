"""Binding quotes into policies, approving referred quotes, and documents: the service
layer between the web (or CLI) and the store and document renderer."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import msgspec

from quoting.documents import DocumentData, document_data, render_html, render_pdf
from quoting.settings import Clock
from quoting.store import Account, BindRefused, PolicyRow, QuoteRow, Store

__all__ = [
    "MAX_CERTIFICATES",
    "MAX_DOCUMENT_MEMBERS",
    "BindRefused",
    "DocumentNotAvailable",
    "NotAllowed",
    "NotFound",
    "approve_quote",
    "bind_quote",
    "policy_document",
    "quote_document",
    "quote_period",
    "visible_owner",
]


class _Period(msgspec.Struct):
    period_start: dt.date
    period_end: dt.date


def quote_period(store: Store, quote: QuoteRow) -> tuple[dt.date, dt.date]:
    """First and last day of a quote's policy period (read from its stored result)."""
    full = quote if quote.result_json is not None else store.get_quote(quote.id)
    assert full is not None and full.result_json is not None
    period = msgspec.json.decode(full.result_json, type=_Period)
    return period.period_start, period.period_end


class NotFound(Exception):
    """No such quote or policy among those the account may see."""


class NotAllowed(Exception):
    """The account may see the quote but not do this to it (e.g. approve its own quote)."""


class DocumentNotAvailable(Exception):
    """The document cannot be made for this policy (message says why)."""


#: Largest census rendered on request as a member list, and as certificates (a page
#: each): bigger books are cut into several policies (their PDFs would take minutes and
#: gigabytes).
MAX_DOCUMENT_MEMBERS = 2000
MAX_CERTIFICATES = 1000
# PDF rendering is CPU- and memory-heavy: at most two at a time per process.
_RENDER_SLOTS = threading.BoundedSemaphore(2)


def visible_owner(account: Account) -> str | None:
    """Brokers and agents see their own quotes and policies; underwriters and admins all."""
    return None if account.role in ("underwriter", "admin") else account.id


def bind_quote(
    store: Store, account: Account, quote_id: str, today: dt.date | None = None
) -> PolicyRow:
    """Bind one of the account's quotes on the business date ``today`` (default: the
    insurer's clock); raises :class:`NotFound` or :class:`BindRefused`."""
    today = today or Clock().today()
    quote = store.get_quote(quote_id, owner_id=visible_owner(account))
    if quote is None:
        raise NotFound(quote_id)
    _, period_end = quote_period(store, quote)
    if today > period_end:
        raise BindRefused(
            "period_over",
            f"the policy period of quote {quote_id} ended on {period_end}; it cannot be bound",
        )
    try:
        return store.bind_quote(quote_id, visible_owner(account), today)
    except KeyError:
        raise NotFound(quote_id) from None


def approve_quote(store: Store, account: Account, quote_id: str) -> QuoteRow:
    """An underwriter approves a referred quote so that it can be bound."""
    row = store.get_quote(quote_id)
    if row is None:
        raise NotFound(quote_id)
    if row.owner_id == account.id:
        raise NotAllowed("an underwriter cannot approve a quote they made; ask another underwriter")
    if row.status != "referred":
        raise BindRefused(
            row.status, f"quote {quote_id} is {row.status}; only referred quotes need approval"
        )
    approved = store.approve_quote(quote_id, account.id)
    assert approved is not None
    return approved


def _data(
    store: Store,
    quote: QuoteRow,
    policy: PolicyRow | None,
    tariff_root: str | Path,
    *,
    approved: bool,
) -> DocumentData:
    assert quote.result_json is not None and quote.request_json is not None
    owner = store.get_account(quote.owner_id)
    return document_data(
        quote_id=quote.id,
        created_at=quote.created_at,
        valid_until=quote.valid_until,
        result_json=quote.result_json,
        request_json=quote.request_json,
        arranged_by=owner.name if owner else quote.owner_id,
        arranged_role=owner.role if owner else "",
        tariff_root=tariff_root,
        policy_number=policy.policy_number if policy else None,
        bound_at=policy.created_at if policy else None,
        approved=approved,
        secret=store.document_secret(),
    )


def _render(document: str, fmt: str, data: DocumentData) -> bytes:
    limit = MAX_CERTIFICATES if document == "certificates" else MAX_DOCUMENT_MEMBERS
    if document in ("member-list", "certificates") and len(data.members) > limit:
        raise DocumentNotAvailable(
            f"the {document} of more than {limit:,} members is not made on request"
        )
    if document == "certificates" and data.request.census.groups is not None:
        raise DocumentNotAvailable(
            "certificates need a census of named members; this policy has an aggregated census"
        )
    if fmt == "pdf":
        with _RENDER_SLOTS:
            return render_pdf(document, data)
    return render_html(document, data).encode("utf-8")


def quote_document(
    store: Store, account: Account, quote_id: str, document: str, fmt: str, tariff_root: str | Path
) -> tuple[bytes, str]:
    """A quote's document (``quote-letter`` or ``benefits``) as PDF or HTML, with a file name."""
    quote = store.get_quote(quote_id, owner_id=visible_owner(account))
    if quote is None:
        raise NotFound(quote_id)
    policy = store.policy_for_quote(quote_id)
    data = _data(store, quote, policy, tariff_root, approved=quote.approved_at is not None)
    return _render(document, fmt, data), f"{quote.id}-{document}.{fmt}"


def policy_document(
    store: Store, account: Account, policy_id: str, document: str, fmt: str, tariff_root: str | Path
) -> tuple[bytes, str]:
    """A policy's document (``policy-schedule``, ``member-list``, ``certificates``)."""
    policy = store.get_policy(policy_id, owner_id=visible_owner(account))
    if policy is None:
        raise NotFound(policy_id)
    quote = store.get_quote(policy.quote_id)
    assert quote is not None
    body = _render(
        document,
        fmt,
        _data(store, quote, policy, tariff_root, approved=quote.approved_at is not None),
    )
    return body, f"{policy.policy_number}-{document}.{fmt}"
