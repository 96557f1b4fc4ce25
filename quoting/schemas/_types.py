"""Reusable constrained types; their constraints flow into the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from msgspec import Meta

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "Currency",
    "Money",
    "MoneyText",
    "OccupationClass",
    "ShortText",
    "credit_code_check_char",
    "is_valid_credit_code",
    "require",
]

Currency = Literal["CNY", "USD"]
ShortText = Annotated[str, Meta(min_length=1, max_length=200)]
Identifier = Annotated[str, Meta(min_length=1, max_length=64)]
OccupationClass = Annotated[
    int, Meta(ge=1, le=9, description="1 (office) … 6 (heavy); 9 = not insurable")
]
Money = Annotated[
    Decimal,
    Meta(
        description='An amount as a decimal string, e.g. "500000" or "1250.50".',
        examples=["500000"],
    ),
]
MoneyText = Annotated[
    str,
    Meta(pattern=r"^-?\d+\.\d{2}$", description="Exact amount, 2 decimals.", examples=["1234.56"]),
]

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015) from its first 17."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * w
        for ch, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` is 18 characters of the code alphabet with a correct check character."""
    return (
        len(code) == 18
        and all(ch in CREDIT_CODE_ALPHABET for ch in code)
        and code[8:].isalnum()
        and credit_code_check_char(code[:17]) == code[17]
    )


def require(condition: bool, message: str) -> None:
    """Raise ``ValueError`` (reported by msgspec with the field path) unless ``condition``."""
    if not condition:
        raise ValueError(message)


def inclusive_days(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1
