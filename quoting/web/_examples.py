"""Examples for the OpenAPI document, computed from the shipped example request so that
they are real quotes of the current tariff rather than hand-written JSON."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import Example

from quoting.errors import QuotingError
from quoting.resources import shipped
from quoting.services import decode_request, quote_request
from quoting.tariff.files import DEFAULT_TARIFF_ROOT

__all__ = [
    "PendingExample",
    "example",
    "example_request",
    "examples",
    "resolve_examples",
    "static_example",
]

_REQUEST = shipped("examples") / "small_request.json"
log = logging.getLogger("quoting.web")
_QUOTE_ID = "q_2f1c9a7e5b3d4c6a8e0f1a2b"
_CREATED = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC)


def _links(quote_id: str) -> dict[str, str]:
    base = f"/api/v1/quotes/{quote_id}"
    return {
        "self": base,
        "members_csv": f"{base}/members.csv",
        "members_xlsx": f"{base}/members.xlsx",
        "request": f"{base}/request",
    }


@functools.cache
def example_request() -> dict[str, Any]:
    try:
        data: dict[str, Any] = msgspec.json.decode(_REQUEST.read_bytes())
    except (OSError, msgspec.DecodeError):  # pragma: no cover - shipped with the project
        return {}
    return data


@functools.cache
def _priced() -> dict[str, Any]:
    """The examples that are a priced quote: the shipped example request under the shipped
    tariff. Computed the first time the OpenAPI document is built, never at import."""
    try:
        request = decode_request(msgspec.json.encode(example_request()))
        quote = quote_request(request, tariff_root=DEFAULT_TARIFF_ROOT, today=_CREATED.date())
    except (QuotingError, OSError) as exc:
        # The document is still served, without these two examples; say why.
        log.warning("the OpenAPI examples of a quote could not be priced: %s", exc)
        return {}
    record = {
        "id": _QUOTE_ID,
        "created_at": _CREATED.isoformat(),
        "valid_until": (_CREATED.date() + dt.timedelta(days=30)).isoformat(),
        "links": _links(_QUOTE_ID),
        **msgspec.to_builtins(quote),
    }
    return {
        "quote": record,
        "page": {
            "items": [
                {
                    "id": _QUOTE_ID,
                    "created_at": record["created_at"],
                    "valid_until": record["valid_until"],
                    "status": quote.status,
                    "currency": quote.currency,
                    "total_premium": quote.total_premium,
                    "total_vat": quote.total_vat,
                    "policyholder": quote.policyholder,
                    "credit_code": quote.credit_code,
                    "headcount": quote.headcount,
                    "tariff_version": quote.tariff.version,
                    "links": _links(_QUOTE_ID),
                }
            ],
            "total": 1,
            "limit": 50,
            "offset": 0,
            "next": None,
        },
        "tariff": {
            "version": quote.tariff.version,
            "effective_date": quote.tariff.effective_date.isoformat(),
            "hash": quote.tariff.hash,
            "base_currency": "CNY",
            "quote_validity_days": 30,
            "fx_as_of": "2026-09-30",
            "fx": {"USD": 7.12},
        },
    }


@functools.cache
def _static() -> dict[str, Any]:
    """The examples that need no pricing."""
    return {
        "request": {**example_request(), "as_of": _CREATED.date().isoformat()},
        "countries": [
            {
                "code": "ID",
                "alpha3": "IDN",
                "name_en": "Indonesia",
                "name_zh": "印度尼西亚",
                "tier": 2,
                "status": "accept",
            },
            {
                "code": "AF",
                "alpha3": "AFG",
                "name_en": "Afghanistan",
                "name_zh": "阿富汗",
                "tier": 5,
                "status": "decline",
            },
        ],
        "health": {
            "status": "ok",
            "database": True,
            "version": "0.1.0",
            "dependencies": {
                "database": {"status": "ok", "detail": "postgresql"},
                "rate_limit_store": {"status": "ok", "detail": "redis"},
            },
        },
        "health-degraded": {
            "status": "degraded",
            "database": True,
            "version": "0.1.0",
            "dependencies": {
                "database": {"status": "ok", "detail": "postgresql"},
                "rate_limit_store": {
                    "status": "degraded",
                    "detail": "Redis not answering; counting in-process",
                },
            },
        },
        "problem": {
            "type": "/problems/invalid-request",
            "title": "Invalid quote request",
            "status": 422,
            "detail": "2 problems with the request; see errors.",
            "instance": "/api/v1/quotes",
            "errors": [
                {
                    "detail": "check character does not match",
                    "pointer": "/policyholder/credit_code",
                },
                {
                    "detail": "unknown country 'Narnia' (use an ISO code, or the English or Chinese name)",
                    "pointer": "/census/members/3/country",
                },
            ],
        },
    }


@dataclass(frozen=True, slots=True)
class PendingExample:
    """Stands for a priced example until the OpenAPI document is built (see
    :func:`resolve_examples`), so that importing the web layer prices nothing."""

    name: str


_PRICED_NAMES = ("quote", "page", "tariff")


def static_example(name: str) -> Any:
    """An example body that needs no pricing (``None`` for an unknown name)."""
    return _static().get(name)


def examples() -> dict[str, Any]:
    """Every example body by name (pricing the example quote if not done yet)."""
    return {**_priced(), **_static()}


def example(name: str, summary: str) -> list[Example]:
    """One named example for a ResponseSpec; a priced one is a :class:`PendingExample`
    until the document is built."""
    if name in _PRICED_NAMES:
        return [Example(summary=summary, value=PendingExample(name))]
    value = _static().get(name)
    return [Example(summary=summary, value=value)] if value is not None else []


def resolve_examples(media: dict[str, Any]) -> None:
    """Replace the pending examples of one response's media types by their values (or
    drop them when the example quote could not be priced)."""
    for content in media.values():
        found = getattr(content, "examples", None)
        if not found:
            continue
        for key, item in list(found.items()):
            if isinstance(item.value, PendingExample):
                value = _priced().get(item.value.name)
                if value is None:
                    del found[key]
                else:
                    item.value = value
