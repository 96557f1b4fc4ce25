"""Helpers shared by the tests: the default tariff's folder and a request builder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from quoting.schemas import QuoteRequest, credit_code_check_char

ROOT = Path(__file__).resolve().parents[1]
TARIFF_DIR = ROOT / "tariffs" / "2026.2"
AS_OF = dt.date(2026, 11, 29)
CREDIT_CODE = "91110000MA01ABCD5" + credit_code_check_char("91110000MA01ABCD5")


def make_request(census: dict[str, Any], covers: dict[str, Any], **extra: Any) -> QuoteRequest:
    """A one-plan request for 2027 under the default tariff; ``extra`` overrides fields."""
    body: dict[str, Any] = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": CREDIT_CODE},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "as_of": AS_OF.isoformat(),
        "plans": [{"name": "Plan", "covers": covers}],
        "census": census,
    }
    body.update(extra)
    return msgspec.convert(body, QuoteRequest)
