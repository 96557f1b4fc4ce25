"""Underwriting: which members are declined, what refers a quote, the quote's status and
the authority to adjust a premium. Pure rules over arrays and the tariff model.

Direction: :mod:`quoting.pricing` calls these rules (declines before pricing, referrals
from its results); underwriting imports only the tariff model, never pricing.
"""

from quoting.underwriting._authority import (
    DEFAULT_AUTHORITY,
    Authority,
    adjustment_beyond_maximum,
    adjustment_referral,
    authority_shortfalls,
)
from quoting.underwriting._book import BookBreach, BookLimits, book_breaches
from quoting.underwriting._declines import DECLINE_REASONS, decline_reasons
from quoting.underwriting._referrals import (
    ReferralResult,
    accumulation_referrals,
    backdated_referral,
    experience_discount_referral,
    experience_loss_referral,
    member_referrals,
)
from quoting.underwriting._status import QuoteStatus, quote_status

__all__ = [
    "DECLINE_REASONS",
    "DEFAULT_AUTHORITY",
    "Authority",
    "BookBreach",
    "BookLimits",
    "QuoteStatus",
    "ReferralResult",
    "accumulation_referrals",
    "adjustment_beyond_maximum",
    "adjustment_referral",
    "authority_shortfalls",
    "backdated_referral",
    "book_breaches",
    "decline_reasons",
    "experience_discount_referral",
    "experience_loss_referral",
    "member_referrals",
    "quote_status",
]
