"""Quotes as a service: validate, price under the channel's terms, store, fetch.

The web layer and the CLI call these; they fetch, call the domain and commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from quoting.errors import Problem, QuotingError, RequestError
from quoting.schemas import QuoteRequest
from quoting.service import (
    decode_request,
    merge_census_file,
    quote_request,
    relocate_to_file_rows,
)
from quoting.store import Account, IdempotencyConflict, NewQuote, QuoteRow, Store
from quoting.tariff import tariff_in_force

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


def _channel_terms(request: QuoteRequest, account: Account) -> QuoteRequest:
    """Apply who is asking: a broker's commission is its account's, and only
    underwriters may adjust the premium."""
    problems = []
    if account.role == "broker" and request.commission is not None:
        problems.append(Problem("commission", "is set by your broker account; leave it out"))
    if request.underwriter_adjustment is not None and account.role not in ("underwriter", "admin"):
        problems.append(Problem("underwriter_adjustment", "only underwriters may adjust a premium"))
    if problems:
        raise RequestError(problems)
    if account.role == "broker" and account.commission is not None:
        return msgspec.structs.replace(request, commission=Decimal(account.commission))
    return request


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
    today = today or dt.datetime.now(dt.UTC).date()
    body, rows = raw_request, list[int]()
    if census is not None:
        body, rows = merge_census_file(
            raw_request, census.data, census.filename, tariff_root=tariff_root, today=today
        )
    try:
        received = decode_request(body, tariff_root=tariff_root, today=today)
        # Stored as received (with its as-of date fixed), so that posting it again prices
        # the same quote; the channel's terms are applied again on every pricing.
        received = msgspec.structs.replace(received, as_of=received.as_of or today)
        request = _channel_terms(received, account)
        assert request.as_of is not None
        tariff = tariff_in_force(request.as_of, tariff_root)
        quote = quote_request(request, tariff_root=tariff_root)
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
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
