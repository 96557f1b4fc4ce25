"""Rounding: the one place where float money becomes whole cents."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

__all__ = ["cents_to_text", "round_half_up_cents", "text_to_cents"]

# Float results like 267.49999999999997 (that is 2.675 * 100) are meant as 267.5; rounding to
# 6 decimals first removes that noise so half-up applies to the intended value.
_NOISE_DECIMALS = 6


def round_half_up_cents(amount: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Round non-negative amounts half-up to 0.01 and return them as integer cents."""
    scaled = np.round(np.asarray(amount, dtype=np.float64) * 100.0, _NOISE_DECIMALS)
    return np.floor(scaled + 0.5).astype(np.int64)


def cents_to_text(cents: int) -> str:
    """Exact decimal string with two places (``123456`` → ``"1234.56"``)."""
    cents = int(cents)
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def text_to_cents(text: str) -> int:
    """Inverse of :func:`cents_to_text` for any amount with at most two decimals."""
    return int(Decimal(text).scaleb(2).to_integral_exact())
