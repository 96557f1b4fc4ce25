"""Reusable constrained types; their constraints flow into the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from msgspec import Meta

from quoting.errors import Problem, ProblemValueError

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "TEXT_PATTERN",
    "Currency",
    "Money",
    "MoneyText",
    "OccupationClass",
    "ShortText",
    "Text",
    "credit_code_check_char",
    "is_valid_credit_code",
    "printable",
    "require",
    "text_problem",
]

Currency = Literal["CNY", "USD"]

#: One line of text: no control character (C0, DEL, C1 — so no NUL, tab or line break), no
#: lone surrogate and no U+FFFE/U+FFFF. Such characters are invisible in a form, cannot be
#: written to a spreadsheet or an XML document and break databases (NUL); every free-text
#: field of a request or a census row is a ``Text``, so this rule has one home and gives
#: the field's pointer (JSON) or the file's row and column (census files).
TEXT_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufffe\\uffff]*$"
Text = Annotated[str, Meta(pattern=TEXT_PATTERN)]
ShortText = Annotated[Text, Meta(min_length=1, max_length=200)]
Identifier = Annotated[Text, Meta(min_length=1, max_length=64)]

_BAD_TEXT = re.compile(TEXT_PATTERN.replace("^[^", "[").removesuffix("]*$") + "]")


def printable(value: str) -> str:
    """``value`` with each character that :data:`Text` refuses replaced by U+FFFD, for
    writing text stored before the rule existed into spreadsheets and documents."""
    return _BAD_TEXT.sub("\ufffd", value)


def text_problem(value: str) -> Problem | None:
    """The problem of the first character of ``value`` that :data:`Text` refuses."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    char = found[0]
    name = " (NUL)" if char == "\0" else ""
    return Problem.of("text.control_character", char=f"U+{ord(char):04X}{name}")


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


def require(condition: bool, code: str, /, field: str | None = None, **params: Any) -> None:
    """Unless ``condition``, raise the problem ``code`` (with ``params``) of ``field`` as the
    ``ValueError`` msgspec reports with the path (:class:`ProblemValueError`)."""
    if not condition:
        raise ProblemValueError(Problem.of(code, **params), field)


def inclusive_days(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1
