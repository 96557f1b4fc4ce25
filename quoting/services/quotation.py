"""Quotes: price a request (offline for the CLI, or stored for an account with
idempotency), fetch and list them, export their members."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from quoting.clock import Clock
from quoting.errors import (
    IdempotencyKeyReused,
    NotFound,
    Problem,
    ProblemValueError,
    QuotingError,
    RequestError,
)
from quoting.exports import members_csv, members_xlsx
from quoting.policies import quote_number
from quoting.pricing import PricedCensus, price
from quoting.quote_builder import build_quote
from quoting.rating_input import ResolvedRequest, resolve
from quoting.schemas import AsOfOverride, Quote, QuoteRequest
from quoting.services._context import Context, visible_owner
from quoting.services._queue import queue_entry
from quoting.services.intake import (
    date_problems,
    decode_request,
    merge_census_file,
    relocate_to_file_rows,
)
from quoting.store import (
    Account,
    Conflict,
    PolicyRow,
    QuoteFilter,
    QuoteRow,
    UnitOfWork,
    UnitOfWorkFactory,
    new_id,
)
from quoting.tariff import Tariff
from quoting.tariff.registry import DEFAULT_TARIFF_ROOT, tariff_in_force

_log = logging.getLogger("quoting.quotes")

__all__ = [
    "REPRICING_ROLES",
    "CensusUpload",
    "CreateQuote",
    "OfflineQuote",
    "QuoteView",
    "StoredQuote",
    "create_quote",
    "find_quote",
    "fx_rate",
    "get_quote",
    "list_quotes",
    "member_export",
    "price_columns",
    "price_offline",
    "price_under",
    "quote_request",
    "request_fingerprint",
]

#: Roles that may price a quote as of another date than the business date.
REPRICING_ROLES = ("underwriter", "admin")


def fx_rate(tariff: Tariff, currency: str) -> float:
    """Base currency per one unit of ``currency`` under ``tariff``."""
    return (
        1.0
        if currency == tariff.params.tariff.base_currency
        else float(getattr(tariff.params.fx, currency))
    )


def quote_request(
    request: QuoteRequest,
    *,
    tariff_root: str | Path = DEFAULT_TARIFF_ROOT,
    today: dt.date | None = None,
    trace: bool = True,
) -> Quote:
    """Price a validated request under the tariff in force on its as-of date.

    ``today`` is the business date the quote is made on: the request's dates must lie in
    their windows around it (:func:`date_problems`) and a period starting before it is
    referred as backdated. It defaults to the request's ``as_of`` (re-pricing a stored
    request as it was priced), else to the insurer's clock as configured
    (``Clock.from_env``). The as-of date is the request's ``as_of``, else ``today``.
    ``trace=False`` leaves out the per-line factor trace. Raises :class:`RequestError` or
    :class:`TariffError` for problems a user can fix.
    """
    today = today or request.as_of or Clock.from_env().today()
    problems = date_problems(request, today)
    if any(p.path == ("as_of",) for p in problems):
        raise RequestError(problems)  # no tariff is looked up for a date out of bounds
    tariff = tariff_in_force(request.as_of or today, tariff_root)
    return price_under(request, tariff, today=today, trace=trace, problems=problems)


def price_under(
    request: QuoteRequest,
    tariff: Tariff,
    *,
    today: dt.date,
    trace: bool = True,
    problems: list[Problem] | None = None,
) -> Quote:
    """Price a validated request under ``tariff``, whatever its effective date (re-pricing
    with a stored quote's own version, or a book under two versions), as of the request's
    ``as_of`` (else ``today``) and judged against the business date ``today`` like
    :func:`quote_request`. ``problems`` are the request's date problems if already known.
    Raises :class:`RequestError` for problems a user can fix."""
    resolved, priced = price_columns(request, tariff, today=today, problems=problems)
    return build_quote(resolved, priced, request.as_of or today, today=today, trace=trace)


def price_columns(
    request: QuoteRequest,
    tariff: Tariff,
    *,
    today: dt.date,
    problems: list[Problem] | None = None,
) -> tuple[ResolvedRequest, PricedCensus]:
    """The request resolved against ``tariff`` and the engine's columnar result, without
    building the wire quote (for figures over many quotes, such as a tariff impact).
    Same checks and errors as :func:`price_under`."""
    if problems is None:
        problems = date_problems(request, today)
        if any(p.path == ("as_of",) for p in problems):
            raise RequestError(problems)
    try:
        resolved = resolve(request, tariff, fx_rate=fx_rate(tariff, request.currency))
    except RequestError as exc:
        raise RequestError([*problems, *exc.problems]) from None
    if problems:
        raise RequestError(problems)
    return resolved, price(resolved.rating, tariff)


@dataclass(frozen=True, slots=True)
class CensusUpload:
    """A census file as uploaded: its name (which says its format) and bytes."""

    filename: str
    data: bytes


# -- offline (the CLI) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfflineQuote:
    """Price a request file without storing it: the underwriter's tool, which may price
    as of any date in the window (``as_of``) and replace the census by a file."""

    raw_request: bytes
    census: CensusUpload | None = None
    as_of: dt.date | None = None
    trace: bool = True


def price_offline(ctx: Context, command: OfflineQuote) -> tuple[QuoteRequest, Quote]:
    """The request as priced and its quote; a quote as of another date than the business
    date records it (``as_of_override``, set by ``cli``). Raises :class:`QuotingError`."""
    today = ctx.today()
    raw, rows = command.raw_request, list[int]()
    if command.census is not None:
        raw, rows = merge_census_file(
            raw,
            command.census.data,
            command.census.filename,
            tariff_root=ctx.tariff_root,
            today=command.as_of or today,
            replace=True,
        )
    try:
        request = decode_request(raw, tariff_root=ctx.tariff_root, today=command.as_of or today)
        if command.as_of is not None:
            try:
                request = msgspec.structs.replace(request, as_of=command.as_of)
            except ValueError as exc:  # the request's own check of the date
                found = exc.problem if isinstance(exc, ProblemValueError) else Problem(str(exc))
                raise RequestError(dataclasses.replace(found, path=("as_of",))) from None
        quote = quote_request(
            request, tariff_root=ctx.tariff_root, today=today, trace=command.trace
        )
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
    if quote.as_of != today:
        override = AsOfOverride(business_date=today, set_by="cli")
        quote = msgspec.structs.replace(quote, as_of_override=override)
    return request, quote


# -- stored quotes ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateQuote:
    """Price and store a request for the acting account."""

    raw_request: bytes
    census: CensusUpload | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A stored quote and whether this call stored it (False: an idempotent replay)."""

    quote: QuoteRow
    created: bool


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
        problems.append(Problem.of("commission.set_by_broker", path=("commission",)))
    if request.underwriter_adjustment is not None and account.role not in ("underwriter", "admin"):
        problems.append(
            Problem.of("adjustment.underwriters_only", path=("underwriter_adjustment",))
        )
    other_date = request.as_of is not None and request.as_of != today
    if other_date and account.role not in REPRICING_ROLES:
        problems.append(Problem.of("as_of.today_only", path=("as_of",), today=str(today)))
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


def _replay(uow: UnitOfWork, owner_id: str, key: str, fingerprint: str) -> QuoteRow | None:
    """The owner's quote stored under ``key``, if the request was the same; refused when
    the key came with another request."""
    earlier = uow.quotes.by_idempotency_key(owner_id, key)
    if earlier is None:
        return None
    if earlier.input_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was used for quote {earlier.id} with a different "
            "request; use a new key for a new request."
        )
    return uow.quotes.get(earlier.id)


def _priced(ctx: Context, account: Account, command: CreateQuote, fingerprint: str) -> QuoteRow:
    """Decode, check and price the request under the account's terms: the row to store."""
    today = ctx.today()
    body, rows = command.raw_request, list[int]()
    if command.census is not None:
        body, rows = merge_census_file(
            body,
            command.census.data,
            command.census.filename,
            tariff_root=ctx.tariff_root,
            today=today,
        )
    try:
        received = decode_request(body, tariff_root=ctx.tariff_root, today=today)
        request, override = _channel_terms(received, account, today)
        # Stored as received (with its as-of date fixed), so that posting it again prices
        # the same quote; the channel's terms are applied again on every pricing.
        received = msgspec.structs.replace(received, as_of=request.as_of)
        quote = quote_request(request, tariff_root=ctx.tariff_root, today=today)
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
    if override is not None:
        quote = msgspec.structs.replace(quote, as_of_override=override)
    validity = tariff_in_force(quote.as_of, ctx.tariff_root).params.tariff.quote_validity_days
    return QuoteRow(
        id=new_id("q"),
        owner_id=account.id,
        created_at=ctx.now(),
        valid_until=today + dt.timedelta(days=validity),
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
        idempotency_key=command.idempotency_key,
        request_json=msgspec.json.encode(received),
        result_json=msgspec.json.encode(quote),
    )


def create_quote(uow: UnitOfWorkFactory, ctx: Context, command: CreateQuote) -> StoredQuote:
    """Price a request for the acting account and store it, with its ``quote.created``
    event; returns once committed.

    Quotes are priced as of the business date (only underwriters may set another
    ``as_of``; the quote then records it), backdating is judged and validity counted from
    it. With an idempotency key seen before from the same account: the earlier quote
    (``created=False``) when the request is the same, else :class:`IdempotencyKeyReused`;
    concurrent requests with one key are settled by the store's unique constraint.
    Pricing runs outside any transaction. Raises :class:`QuotingError` for invalid input.
    """
    account = ctx.acting()
    key = command.idempotency_key
    fingerprint = request_fingerprint(command.raw_request, command.census)
    if key is not None:
        with uow() as work:
            earlier = _replay(work, account.id, key, fingerprint)
        if earlier is not None:
            return StoredQuote(earlier, False)
    row = _priced(ctx, account, command, fingerprint)
    try:
        with uow() as work:
            # Numbered in the transaction that stores it: a quote refused by the store
            # (idempotency key reused meanwhile) gives its number back.
            year = ctx.today().year
            row = dataclasses.replace(row, number=quote_number(year, work.quotes.next_number(year)))
            work.quotes.add(row)
            work.events.add(
                ctx.event(
                    "quote.created",
                    row.id,
                    number=row.number,
                    status=row.status,
                    total_premium=row.total_premium,
                    currency=row.currency,
                    tariff_version=row.tariff_version,
                )
            )
            if row.status == "referred":
                work.referrals.add(queue_entry(row, row.created_at))
            work.commit()
    except Conflict:
        assert key is not None  # the only unique constraint a new quote can hit
        with uow() as work:
            earlier = _replay(work, account.id, key, fingerprint)
        if earlier is None:  # pragma: no cover - the constraint said it exists
            raise
        return StoredQuote(earlier, False)
    return StoredQuote(row, True)


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A stored quote (with its documents) and the policy it was bound as, if any."""

    quote: QuoteRow
    policy: PolicyRow | None


def find_quote(work: UnitOfWork, ctx: Context, quote_id: str) -> QuoteRow:
    """One of the quotes the acting account may see, in full; else :class:`NotFound`."""
    row = work.quotes.get(quote_id, owner_id=visible_owner(ctx.acting()))
    if row is None:
        raise NotFound(f"No quote {quote_id} among yours.")
    return row


def get_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> QuoteView:
    """A quote the acting account may see, with its policy."""
    with uow() as work:
        row = find_quote(work, ctx, quote_id)
        return QuoteView(row, work.policies.for_quote(row.id))


def list_quotes(
    uow: UnitOfWorkFactory, ctx: Context, where: QuoteFilter
) -> tuple[list[QuoteRow], int]:
    """A page of the quotes the acting account may see (``where.owner_id`` is set from the
    account), newest first, and how many match."""
    mine = dataclasses.replace(where, owner_id=visible_owner(ctx.acting()))
    with uow() as work:
        return work.quotes.find(mine)


_EXPORTS = {"csv": members_csv, "xlsx": members_xlsx}


def member_export(
    uow: UnitOfWorkFactory, ctx: Context, quote_id: str, fmt: str
) -> tuple[bytes, str]:
    """A quote's per-member premiums as ``csv`` or ``xlsx``, with a file name."""
    with uow() as work:
        row = find_quote(work, ctx, quote_id)
    assert row.result_json is not None
    quote = msgspec.json.decode(row.result_json, type=Quote)
    return _EXPORTS[fmt](quote), f"{row.id}-members.{fmt}"
