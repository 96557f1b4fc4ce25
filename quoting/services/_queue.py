"""How a stored quote enters the referral queue (used when a quote is stored and when
its binding is referred; kept apart so that quotation and binding need not import the
referral service, which imports them)."""

from __future__ import annotations

import datetime as dt

import msgspec

from quoting.quote_columns import ColumnarQuote
from quoting.store import QuoteRow, ReferralRow

__all__ = ["queue_entry"]


class _Reason(msgspec.Struct):
    code: str
    message: str


class _Country(msgspec.Struct):
    key: str


class _Summary(msgspec.Struct):
    by_country: list[_Country] = []


class _Result(msgspec.Struct):
    referrals: list[_Reason] = []
    # the quoted members' countries (each member's country is in the summary by country)
    summary: _Summary = msgspec.field(default_factory=_Summary)


def queue_entry(
    row: QuoteRow, at: dt.datetime, extra: list[tuple[str, str]] | None = None
) -> ReferralRow:
    """A stored quote (read in full) entering the queue at ``at``, waiting for an
    underwriter, with its referral reasons (and ``extra`` ones, e.g. book accumulation)
    and its members' countries."""
    if row.result_columns is not None:
        result_json = ColumnarQuote(row.result_columns).header_json
    else:
        assert row.result_json is not None
        result_json = row.result_json
    result = msgspec.json.decode(result_json, type=_Result)
    reasons = [(r.code, r.message) for r in result.referrals] + list(extra or [])
    return ReferralRow(
        quote_id=row.id,
        state="waiting",
        reasons=tuple(reasons),
        countries=tuple(sorted({c.key for c in result.summary.by_country})),
        entered_at=at,
        updated_at=at,
    )
