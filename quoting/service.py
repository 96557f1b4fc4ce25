"""Quoting as a service: decode a request, pick the tariff, price, build the quote.

Entry points (CLI, API, web form) call these and only translate their results.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from quoting.errors import Problem, RequestError
from quoting.pricing import price
from quoting.quote_builder import build_quote
from quoting.rating_input import resolve
from quoting.schemas import CensusGroup, CensusMember, Quote, QuoteRequest
from quoting.tariff import DEFAULT_TARIFF_ROOT, Tariff, tariff_in_force

__all__ = ["decode_request", "fx_rate", "problem_from_validation", "quote_request"]


def problem_from_validation(exc: msgspec.ValidationError, prefix: str = "") -> Problem:
    """Turn msgspec's ``message - at `$.a.b[0]``` into a Problem located at ``a.b[0]``."""
    text = str(exc)
    message, sep, where = text.rpartition(" - at `$")
    if not sep:
        return Problem(prefix.rstrip("."), text)
    path = where.rstrip("`").lstrip(".")
    location = f"{prefix}{path}" if not path.startswith("[") else f"{prefix.rstrip('.')}{path}"
    return Problem(location.rstrip("."), message)


def _row_problems(raw: Any) -> list[Problem]:
    """Validate census rows one by one so that every bad row is reported, not just the first."""
    problems: list[Problem] = []
    census = raw.get("census") if isinstance(raw, dict) else None
    if not isinstance(census, dict):
        return problems
    for key, model in (("members", CensusMember), ("groups", CensusGroup)):
        rows = census.get(key)
        if not isinstance(rows, list):
            continue
        for i, row in enumerate(rows):
            try:
                msgspec.convert(row, model)
            except msgspec.ValidationError as exc:
                problems.append(problem_from_validation(exc, f"census.{key}[{i}]."))
    return problems


def decode_request(data: bytes | str) -> QuoteRequest:
    """Decode and validate a JSON quote request; every bad census row is reported at once."""
    try:
        return msgspec.json.decode(data, type=QuoteRequest)
    except msgspec.ValidationError as exc:
        first = problem_from_validation(exc)
    except msgspec.DecodeError as exc:
        raise RequestError(Problem("", f"the request is not valid JSON: {exc}")) from None
    rows = _row_problems(msgspec.json.decode(data))
    problems = rows if any(p.location == first.location for p in rows) else [first, *rows]
    raise RequestError(problems)


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

    The as-of date is the request's ``as_of``, else ``today`` (else the system date).
    ``trace=False`` leaves out the per-line factor trace.
    Raises :class:`RequestError` or :class:`TariffError` for problems a user can fix.
    """
    as_of = request.as_of or today or dt.date.today()
    tariff = tariff_in_force(as_of, tariff_root)
    resolved = resolve(request, tariff, fx_rate=fx_rate(tariff, request.currency))
    priced = price(resolved.rating, tariff)
    return build_quote(resolved, priced, as_of, trace=trace)
