"""Re-price a stored quote with its own tariff version (found by its content hash, also
after newer versions are published) and say whether it gives the same result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from quoting.errors import Forbidden
from quoting.schemas import Quote, QuoteRequest
from quoting.services._context import Context
from quoting.services.quotation import REPRICING_ROLES, find_quote, price_under
from quoting.store import QuoteRow, UnitOfWorkFactory
from quoting.tariff.registry import registry_for

__all__ = [
    "MAX_DIFFERENCES",
    "Difference",
    "Repriced",
    "as_priced",
    "quote_differences",
    "reprice_quote",
    "request_as_priced",
    "with_records",
]

#: Differences listed at most (a tariff or engine change can move every line).
MAX_DIFFERENCES = 200


@dataclass(frozen=True, slots=True)
class Difference:
    """One figure that differs: where (``total_premium``, ``members[E001].add.premium``…),
    as stored and as re-priced."""

    field: str
    stored: str
    repriced: str


@dataclass(frozen=True, slots=True)
class Repriced:
    """A stored quote and the fresh result of pricing its request again."""

    stored: QuoteRow
    quote: Quote
    differences: list[Difference]

    @property
    def same_as_stored(self) -> bool:
        """Every amount, status and decision is what was stored, to the cent."""
        return not self.differences


def request_as_priced(row: QuoteRow, stored: Quote) -> tuple[QuoteRequest, dt.date]:
    """A stored quote's request as it was priced — with the commission it was priced with
    (a broker's comes from its account, which may have changed since) — and the business
    date it was priced on."""
    assert row.request_json is not None
    request = msgspec.json.decode(row.request_json, type=QuoteRequest)
    if request.commission is None:
        # repr is the shortest text that gives the float back: 0.15, not 0.1499…
        request = msgspec.structs.replace(request, commission=Decimal(repr(stored.commission)))
    today = stored.as_of_override.business_date if stored.as_of_override else stored.as_of
    return request, today


def as_priced(row: QuoteRow, stored: Quote, tariff_root: Path, trace: bool = True) -> Quote:
    """The stored request priced again as it was (:func:`request_as_priced`) under the
    version it was priced with, found by its content hash."""
    request, today = request_as_priced(row, stored)
    tariff = registry_for(tariff_root).by_hash(row.tariff_hash)
    return with_records(price_under(request, tariff, today=today, trace=trace), stored)


def with_records(quote: Quote, stored: Quote) -> Quote:
    """A re-priced quote with what the stored one records beyond its figures: who set
    another as-of date, and what a renewal quote renews."""
    return msgspec.structs.replace(
        quote, as_of_override=stored.as_of_override, renewal=stored.renewal
    )


def reprice_quote(uow: UnitOfWorkFactory, ctx: Context, quote_id: str) -> Repriced:
    """Price a stored quote's request again with its own tariff version (loaded by content
    hash, in force or not) as of its own dates and with its owner's channel terms; nothing
    is stored. Underwriters and admins only (:class:`Forbidden` for others),
    :class:`NotFound` for an unknown quote, :class:`TariffError` when no version under the
    tariff root has the quote's content hash any more."""
    account = ctx.acting()
    if account.role not in REPRICING_ROLES:
        raise Forbidden(
            f"Re-pricing needs one of the roles {', '.join(REPRICING_ROLES)}; your account "
            f"is a {account.role}."
        )
    with uow() as work:
        row = find_quote(work, ctx, quote_id)
    assert row.result_json is not None
    stored = msgspec.json.decode(row.result_json, type=Quote)
    quote = as_priced(row, stored, ctx.tariff_root)
    return Repriced(row, quote, quote_differences(stored, quote))


def quote_differences(stored: Quote, repriced: Quote) -> list[Difference]:
    """The figures in which two quotes of one request differ: status, totals, headcounts,
    each member's premium and VAT and each line's, adjustments, declines and referrals
    (at most :data:`MAX_DIFFERENCES`)."""
    out: list[Difference] = []

    def compare(name: str, a: object, b: object) -> None:
        if a != b and len(out) < MAX_DIFFERENCES:
            out.append(Difference(name, _text(a), _text(b)))

    for name in ("status", "currency", "total_premium", "total_vat", "headcount"):
        compare(name, getattr(stored, name), getattr(repriced, name))
    compare("declined_headcount", stored.declined_headcount, repriced.declined_headcount)
    compare("tariff.hash", stored.tariff.hash, repriced.tariff.hash)
    new_members = {m.member_id: m for m in repriced.members}
    for m in stored.members:
        n = new_members.pop(m.member_id, None)
        where = f"members[{m.member_id}]"
        if n is None:
            compare(where, m.premium, None)
            continue
        compare(f"{where}.premium", m.premium, n.premium)
        compare(f"{where}.vat", m.vat, n.vat)
        lines = {line.cover: line for line in n.lines}
        for line in m.lines:
            other = lines.get(line.cover)
            compare(f"{where}.{line.cover}.premium", line.premium, other and other.premium)
    for member_id, n in new_members.items():
        compare(f"members[{member_id}]", None, n.premium)
    compare("adjustments", _adjustments(stored), _adjustments(repriced))
    compare("declined", _declined(stored), _declined(repriced))
    compare(
        "referrals",
        sorted(r.code for r in stored.referrals),
        sorted(r.code for r in repriced.referrals),
    )
    return out


def _adjustments(q: Quote) -> list[tuple[str, str, str | None]]:
    return [(a.kind, str(a.premium), a.member_id) for a in q.adjustments]


def _declined(q: Quote) -> list[str]:
    return sorted(d.member_id for d in q.declined)


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
