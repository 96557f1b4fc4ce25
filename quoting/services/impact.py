"""The premium impact of a new tariff version: a book of quote requests (a folder of
request files, every stored quote, or the bound policies) priced under two versions."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import msgspec

from quoting.errors import Problem, QuotingError, RequestError
from quoting.impact import (
    ImpactReport,
    PricedPair,
    QuoteFigures,
    figures_from_columns,
    summarise,
)
from quoting.resources import shipped
from quoting.schemas import Quote, QuoteRequest
from quoting.services._context import Context
from quoting.services.quotation import price_columns
from quoting.services.repricing import request_as_priced
from quoting.services.tariffs import version_folder
from quoting.store import QuoteFilter, QuoteRow, UnitOfWorkFactory
from quoting.tariff import Tariff
from quoting.tariff.files import content_hash, load_tariff

__all__ = [
    "BookRequest",
    "Impact",
    "book_from_folder",
    "book_from_store",
    "cached_impact",
    "tariff_impact",
]

_PAGE = 200
#: How many impacts of the reference book the process keeps (see :func:`cached_impact`).
_CACHED = 16
_cache: OrderedDict[tuple[str, str, str, dt.date], Impact] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class BookRequest:
    """One request of a book, named (file name or quote id), and the business date it is
    judged on (its as-of date, or the date a stored quote was priced on)."""

    name: str
    request: QuoteRequest | None
    today: dt.date
    #: why a stored quote could not be read back (then ``request`` is None): it counts
    #: as failed under both versions instead of stopping the whole impact
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class Impact:
    """The report and how long pricing the book under both versions took."""

    report: ImpactReport
    seconds: float
    requests: int


def book_from_folder(folder: Path, today: dt.date) -> list[BookRequest]:
    """Every ``*.json`` quote request in ``folder`` (sorted by name), each judged on its
    own ``as_of`` date, else ``today``. Raises :class:`RequestError` naming each file
    that is not a valid request."""
    book: list[BookRequest] = []
    problems: list[Problem] = []
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise RequestError(Problem("holds no quote request (*.json)", file=str(folder)))
    for path in files:
        try:
            request = msgspec.json.decode(path.read_bytes(), type=QuoteRequest)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            problems.append(Problem(str(exc), file=path.name))
            continue
        book.append(BookRequest(path.stem, request, request.as_of or today))
    if problems:
        raise RequestError(problems)
    return book


def book_from_store(uow: UnitOfWorkFactory, *, bound_only: bool = False) -> list[BookRequest]:
    """Every stored quote's request (or only the bound policies' quotes) as it was priced:
    with its commission, on its business date."""
    rows: list[QuoteRow] = []
    with uow() as work:
        offset = 0
        while True:
            if bound_only:
                page, total = work.policies.find(None, _PAGE, offset)
                ids = [quote.id for _, quote in page]
            else:
                found, total = work.quotes.find(QuoteFilter(None, limit=_PAGE, offset=offset))
                ids = [q.id for q in found]
            rows += [r for i in ids if (r := work.quotes.get(i)) is not None]
            offset += _PAGE
            if offset >= total:
                break
    book = []
    for row in sorted(rows, key=lambda r: r.created_at):
        try:
            assert row.result_json is not None
            stored = msgspec.json.decode(row.result_json, type=Quote)
            request, today = request_as_priced(row, stored)
        except (AssertionError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            # a row an older version wrote in a form this one cannot read
            reason = f"the stored quote cannot be read: {exc}"
            book.append(BookRequest(row.id, None, row.created_at.date(), unreadable=reason))
            continue
        book.append(BookRequest(row.id, request, today))
    return book


def _price(item: BookRequest, tariff: Tariff) -> tuple[QuoteFigures | None, str | None]:
    if item.request is None:
        return None, item.unreadable
    try:
        resolved, priced = price_columns(item.request, tariff, today=item.today)
    except QuotingError as exc:
        return None, str(exc)
    return figures_from_columns(resolved, priced, item.today), None


def price_book(old: Tariff, new: Tariff, book: list[BookRequest]) -> list[PricedPair]:
    """Each request priced under both versions, as the figures the impact needs (the
    engine's columns summed; no member or line objects are built)."""
    pairs = []
    for item in book:
        a, a_error = _price(item, old)
        b, b_error = _price(item, new)
        pairs.append(PricedPair(item.name, a, b, a_error, b_error))
    return pairs


def tariff_impact(
    ctx: Context, old: str | Path, new: str | Path, book: list[BookRequest]
) -> Impact:
    """Price ``book`` under versions ``old`` and ``new`` (folders, or version names under
    the tariff root; both are validated in full, so a draft must pass ``tariff check``)
    and summarise the change. Raises :class:`TariffError` for an invalid version."""
    root = Path(ctx.tariff_root)
    old_tariff = load_tariff(version_folder(root, old))
    new_tariff = load_tariff(version_folder(root, new))
    started = time.perf_counter()
    pairs = price_book(old_tariff, new_tariff, book)
    report = summarise(old_tariff.version, new_tariff.version, pairs)
    return Impact(report, time.perf_counter() - started, len(book))


def cached_impact(
    ctx: Context,
    old: str | Path,
    new: str | Path,
    *,
    from_store: UnitOfWorkFactory | None = None,
    book: Path | None = None,
) -> tuple[Impact, bool]:
    """:func:`tariff_impact` of the reference book (``book``, default ``tariffs/book``), or
    of every stored quote with ``from_store``, and whether it came from the cache.

    The reference book's impact depends only on the two versions' contents and the
    business date, so the process keeps the last few by (old hash, new hash, book, date):
    a page shown again, or a draft's page after a refused publication, does not price the
    book again. The stored quotes change with every quote, so their impact is always
    priced anew."""
    root = Path(ctx.tariff_root)
    if from_store is not None:
        return tariff_impact(ctx, old, new, book_from_store(from_store)), False
    folder = book or shipped("tariffs") / "book"
    today = ctx.today()
    key = (
        content_hash(version_folder(root, old)),
        content_hash(version_folder(root, new)),
        str(folder),
        today,
    )
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit, True
    impact = tariff_impact(ctx, old, new, book_from_folder(folder, today))
    with _cache_lock:
        _cache[key] = impact
        while len(_cache) > _CACHED:
            _cache.popitem(last=False)
    return impact, False
