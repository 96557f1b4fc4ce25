"""Quotes as a service: validate, price under the channel's terms, store, fetch.

The web layer and the CLI call these; they fetch, call the domain and commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from quoting.errors import Problem, QuotingError, RequestError
from quoting.schemas import AsOfOverride, QuoteRequest
from quoting.service import (
    decode_request,
    merge_census_file,
    quote_request,
    relocate_to_file_rows,
)
from quoting.settings import Clock
from quoting.store import Account, IdempotencyConflict, NewQuote, QuoteRow, Store
from quoting.tariff.registry import tariff_in_force

_log = logging.getLogger(__name__)

__all__ = ["CensusUpload", "IdempotencyConflict", "create_quote", "request_fingerprint"]


@dataclass(frozen=True, slots=True)
class CensusUpload:
    filename: str
    data: bytes


def request_fingerprint(raw_request: bytes, census: CensusUpload | None) -> str:
    """Hash of what the client sent: the request JSON (key order and spacing aside) and
    the census file's bytes."""
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(raw_request), order="sorted")
    except (msgspec.DecodeError, RecursionError):
        canonical = raw_request
    digest = hashlib.sha256(canonical)
    if census is not None:
        digest.update(b"\0census\0" + census.filename.encode() + b"\0" + census.data)
    return "sha256:" + digest.hexdigest()


#: Roles that may price a quote as of another date than the business date.
REPRICING_ROLES = ("underwriter", "admin")


def _channel_terms(
    request: QuoteRequest, account: Account, today: dt.date
) -> tuple[QuoteRequest, AsOfOverride | None]:
    """Apply who is asking: a broker's commission is its account's, only underwriters
    may adjust the premium, and brokers and agents quote as of the business date
    ``today`` (an ``as_of`` of today itself is harmless, so a stored request re-posted
    the same day still works). Returns the request to price and, when an underwriter set
    another as-of date, the record of it."""
    problems = []
    if account.role == "broker" and request.commission is not None:
        problems.append(Problem("commission", "is set by your broker account; leave it out"))
    if request.underwriter_adjustment is not None and account.role not in ("underwriter", "admin"):
        problems.append(Problem("underwriter_adjustment", "only underwriters may adjust a premium"))
    other_date = request.as_of is not None and request.as_of != today
    if other_date and account.role not in REPRICING_ROLES:
        problems.append(
            Problem(
                "as_of",
                f"quotes are priced as of today, the insurer's business date ({today}); leave "
                "as_of out — only underwriters may re-price as of another date",
            )
        )
    if problems:
        raise RequestError(problems)
    override = None
    if other_date:
        _log.info(
            "quote priced as of %s (business date %s) by underwriter %s",
            request.as_of,
            today,
            account.id,
        )
        override = AsOfOverride(business_date=today, set_by=account.id)
    request = msgspec.structs.replace(request, as_of=request.as_of or today)
    if account.role == "broker" and account.commission is not None:
        request = msgspec.structs.replace(request, commission=Decimal(account.commission))
    return request, override


def create_quote(
    store: Store,
    account: Account,
    raw_request: bytes,
    *,
    census: CensusUpload | None = None,
    idempotency_key: str | None = None,
    tariff_root: str | Path,
    today: dt.date | None = None,
) -> tuple[QuoteRow, bool]:
    """Price a request for ``account`` and store it; returns (stored quote, created).

    ``today`` is the insurer's business date (default: the insurer's clock): quotes are
    priced as of it, backdating is judged and validity counted from it. Only underwriters
    may set another ``as_of``; the quote then records it (``as_of_override``).
    With an idempotency key seen before from the same account: the earlier quote
    (``created=False``) when the request is byte-for-byte the same, else
    :class:`IdempotencyConflict`. Raises :class:`QuotingError` for invalid input.
    Returns only after the quote is committed.
    """
    fingerprint = request_fingerprint(raw_request, census)
    if idempotency_key is not None:
        earlier = store.find_idempotent(account.id, idempotency_key)
        if earlier is not None:
            if earlier.input_hash != fingerprint:
                raise IdempotencyConflict(earlier)
            full = store.get_quote(earlier.id)
            assert full is not None
            return full, False
    today = today or Clock().today()
    body, rows = raw_request, list[int]()
    if census is not None:
        body, rows = merge_census_file(
            raw_request, census.data, census.filename, tariff_root=tariff_root, today=today
        )
    try:
        received = decode_request(body, tariff_root=tariff_root, today=today)
        request, override = _channel_terms(received, account, today)
        # Stored as received (with its as-of date fixed), so that posting it again prices
        # the same quote; the channel's terms are applied again on every pricing.
        received = msgspec.structs.replace(received, as_of=request.as_of)
        quote = quote_request(request, tariff_root=tariff_root, today=today)
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
    if override is not None:
        quote = msgspec.structs.replace(quote, as_of_override=override)
    tariff = tariff_in_force(quote.as_of, tariff_root)
    validity = tariff.params.tariff.quote_validity_days
    return store.insert_quote(
        NewQuote(
            owner_id=account.id,
            status=quote.status,
            currency=quote.currency,
            total_premium=quote.total_premium,
            total_vat=quote.total_vat,
            policyholder=quote.policyholder[:200],
            credit_code=quote.credit_code,
            headcount=quote.headcount,
            tariff_version=quote.tariff.version,
            tariff_hash=quote.tariff.hash,
            input_hash=fingerprint,
            valid_until=today + dt.timedelta(days=validity),
            request_json=msgspec.json.encode(received),
            result_json=msgspec.json.encode(quote),
            idempotency_key=idempotency_key,
        )
    )
