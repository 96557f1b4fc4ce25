"""The status of a quote."""

from __future__ import annotations

from typing import Literal

__all__ = ["QuoteStatus", "quote_status"]

QuoteStatus = Literal["accepted", "referred", "declined"]


def quote_status(accepted_members: int, referrals: int) -> QuoteStatus:
    """``declined`` when no member can be priced, ``referred`` when any referral fired,
    else ``accepted``."""
    if not accepted_members:
        return "declined"
    return "referred" if referrals else "accepted"
