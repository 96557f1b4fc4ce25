"""Quotes: price a request (offline for the CLI, or stored for an account with
idempotency), fetch and list them, export their members."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

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
from quoting.quote_builder import build_quote, build_quote_columns
from quoting.quote_columns import (
    MAX_MEMBERS_PAGE,
    ColumnarQuote,
    JsonQuote,
    QuoteColumns,
    QuoteSource,
    encode_columns,
)
from quoting.rating_input import ResolvedRequest, resolve
from quoting.schemas import AsOfOverride, MemberQuote, Quote, QuoteRequest
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
T = TypeVar("T", Quote, QuoteColumns)

__all__ = [
    "REPRICING_ROLES",
    "CensusUpload",
    "CreateQuote",
    "MemberPage",
    "OfflineQuote",
    "QuoteView",
    "StoredQuote",
    "columns_offline",
    "create_quote",
    "find_quote",
    "fx_rate",
    "get_quote",
    "get_quote_source",
    "list_quotes",
    "member_export",
    "price_columns",
    "price_offline",
    "price_under",
    "quote_member",
    "quote_members",
    "quote_request",
    "quote_source",
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


def quote_columns_request(
    request: QuoteRequest,
    *,
    tariff_root: str | Path = DEFAULT_TARIFF_ROOT,
    today: dt.date | None = None,
    trace: bool = True,
) -> QuoteColumns:
    """:func:`quote_request` as the engine's columns: the same checks and errors, the
    same quote (:meth:`QuoteColumns.quote`), no object per line."""
    today = today or request.as_of or Clock.from_env().today()
    problems = date_problems(request, today)
    if any(p.path == ("as_of",) for p in problems):
        raise RequestError(problems)
    tariff = tariff_in_force(request.as_of or today, tariff_root)
    resolved, priced = price_columns(request, tariff, today=today, problems=problems)
    return build_quote_columns(resolved, priced, request.as_of or today, today=today, trace=trace)


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
    return _offline(ctx, command, quote_request)


def columns_offline(ctx: Context, command: OfflineQuote) -> tuple[QuoteRequest, QuoteColumns]:
    """:func:`price_offline` as the engine's columns (to stream a large quote without
    building it)."""
    return _offline(ctx, command, quote_columns_request)


def _offline(
    ctx: Context, command: OfflineQuote, pricing: Callable[..., T]
) -> tuple[QuoteRequest, T]:
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
        result = pricing(request, tariff_root=ctx.tariff_root, today=today, trace=command.trace)
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
    return request, _with_override(result, today, "cli")


def _with_override(result: T, today: dt.date, set_by: str) -> T:
    """The quote (or its columns) recording an as-of date other than the business date."""
    header = result if isinstance(result, Quote) else result.header
    if header.as_of == today:
        return result
    header = msgspec.structs.replace(
        header, as_of_override=AsOfOverride(business_date=today, set_by=set_by)
    )
    if isinstance(result, Quote):
        return header
    return dataclasses.replace(result, header=header)


# -- stored quotes ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateQuote:
    """Price and store a request for the acting account."""

    raw_request: bytes
    census: CensusUpload | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A stored quote and whether this call stored it (False: an idempotent replay), with
    its columns when this call priced it."""

    quote: QuoteRow
    created: bool
    columns: QuoteColumns | None = None


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


def channel_terms(
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


def replay_quote(uow: UnitOfWork, owner_id: str, key: str, fingerprint: str) -> QuoteRow | None:
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
    return uow.quotes.get(earlier.id, expand=False)


def _priced(
    ctx: Context, account: Account, command: CreateQuote, fingerprint: str
) -> tuple[QuoteRow, QuoteColumns]:
    """Decode, check and price the request under the account's terms: the row to store
    (its result the engine's columns) and the columns."""
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
        request, override = channel_terms(received, account, today)
        # Stored as received (with its as-of date fixed), so that posting it again prices
        # the same quote; the channel's terms are applied again on every pricing.
        received = msgspec.structs.replace(received, as_of=request.as_of)
        columns = quote_columns_request(request, tariff_root=ctx.tariff_root, today=today)
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
    if override is not None:
        header = msgspec.structs.replace(columns.header, as_of_override=override)
        columns = dataclasses.replace(columns, header=header)
    return new_quote_row(ctx, account, received, columns, fingerprint, command.idempotency_key)


def new_quote_row(
    ctx: Context,
    account: Account,
    received: QuoteRequest,
    columns: QuoteColumns,
    fingerprint: str,
    idempotency_key: str | None,
) -> tuple[QuoteRow, QuoteColumns]:
    """The row to store for a priced quote of ``account`` (not yet numbered): ``received``
    is the request as it is kept, its result the engine's columns."""
    quote = columns.header
    today = ctx.today()
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
        idempotency_key=idempotency_key,
        request_json=msgspec.json.encode(received),
        result_columns=encode_columns(columns),
    ), columns


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
            earlier = replay_quote(work, account.id, key, fingerprint)
        if earlier is not None:
            return StoredQuote(earlier, False)
    row, columns = _priced(ctx, account, command, fingerprint)
    return store_quote(uow, ctx, row, columns)


def store_quote(
    uow: UnitOfWorkFactory, ctx: Context, row: QuoteRow, columns: QuoteColumns
) -> StoredQuote:
    """Number and store a priced quote with its ``quote.created`` event (and its place in
    the referral queue when referred), in one transaction; with the row's idempotency key
    taken meanwhile by the same request, the earlier quote (``created=False``)."""
    key = row.idempotency_key
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
            earlier = replay_quote(work, row.owner_id, key, row.input_hash)
        if earlier is None:  # pragma: no cover - the constraint said it exists
            raise
        return StoredQuote(earlier, False)
    return StoredQuote(row, True, columns)


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A stored quote (with its documents) and the policy it was bound as, if any."""

    quote: QuoteRow
    policy: PolicyRow | None


def find_quote(work: UnitOfWork, ctx: Context, quote_id: str, *, expand: bool = True) -> QuoteRow:
    """One of the quotes the acting account may see, in full (a columnar one without its
    wire JSON unless ``expand``); else :class:`NotFound`."""
    row = work.quotes.get(quote_id, owner_id=visible_owner(ctx.acting()), expand=expand)
    if row is None:
        raise NotFound(f"No quote {quote_id} among yours.")
    return row


def get_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> QuoteView:
    """A quote the acting account may see, with its policy."""
    with uow() as work:
        row = find_quote(work, ctx, quote_id)
        return QuoteView(row, work.policies.for_quote(row.id))


def quote_source(row: QuoteRow) -> QuoteSource:
    """A stored quote (read in full) to read member by member: its columns, or the JSON
    of a quote stored before quotes were columnar."""
    if row.result_columns is not None:
        return ColumnarQuote(row.result_columns)
    assert row.result_json is not None
    return JsonQuote(row.result_json)


def get_quote_source(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> QuoteView:
    """:func:`get_quote` without building the wire JSON of a columnar quote (read it with
    :func:`quote_source`)."""
    with uow() as work:
        row = find_quote(work, ctx, quote_id, expand=False)
        return QuoteView(row, work.policies.for_quote(row.id))


@dataclass(frozen=True, slots=True)
class MemberPage:
    """Some of a quote's members (their premium per cover, no trace) and how many it has."""

    members: list[MemberQuote]
    total: int


def quote_members(
    uow: UnitOfWorkFactory, ctx: Context, quote_id: str, offset: int, limit: int
) -> MemberPage:
    """Members ``offset`` to ``offset + limit`` of a quote the acting account may see
    (``limit`` at most :data:`MAX_MEMBERS_PAGE`); :class:`NotFound` otherwise."""
    with uow() as work:
        source = quote_source(find_quote(work, ctx, quote_id, expand=False))
    limit = min(limit, MAX_MEMBERS_PAGE)
    return MemberPage(source.member_quotes(offset, offset + limit, trace=False), len(source))


def quote_header(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> Quote:
    """The whole header (no members) of a quote the acting account may see: every
    declined member and every site's rating; :class:`NotFound` otherwise."""
    with uow() as work:
        source = quote_source(find_quote(work, ctx, quote_id, expand=False))
    return msgspec.json.decode(source.header_json, type=Quote)


def quote_member(
    uow: UnitOfWorkFactory, ctx: Context, quote_id: str, member_id: str
) -> MemberQuote:
    """One member of a quote the acting account may see, with every line's factors (the
    explanation trace); :class:`NotFound` for another quote or member."""
    with uow() as work:
        source = quote_source(find_quote(work, ctx, quote_id, expand=False))
    member = source.find_member(member_id)
    if member is None:
        raise NotFound(f"No member {member_id} among the quoted members of quote {quote_id}.")
    return member


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
