"""The authority to adjust a premium (SPEC §3 step 8): within the tariff's automatic
authority a quote stays automatic; beyond it an underwriter sees it; beyond the maximum
the request is refused."""

from __future__ import annotations

from quoting.tariff import TariffParams
from quoting.underwriting._referrals import ReferralResult

__all__ = ["adjustment_beyond_maximum", "adjustment_referral"]


def adjustment_beyond_maximum(adjustment: float, params: TariffParams) -> str | None:
    """Why an underwriter adjustment cannot be quoted at all, or None when it can."""
    most = params.underwriting.adjustment_max
    if abs(adjustment) > most:
        return f"{adjustment:+g} is beyond the maximum of ±{most:g}"
    return None


def adjustment_referral(adjustment: float, params: TariffParams) -> list[ReferralResult]:
    """The referral of an adjustment beyond the automatic authority (none within it)."""
    authority = params.underwriting.adjustment_authority
    # A small margin keeps an adjustment of exactly the authority (float noise aside) automatic.
    if abs(adjustment) <= authority + 1e-12:
        return []
    return [
        ReferralResult(
            "adjustment_authority",
            f"adjustment {adjustment:+.1%} beyond the automatic authority of ±{authority:.0%}",
        )
    ]
