"""The authority to adjust a premium (SPEC §3 step 8): within the tariff's automatic
authority a quote stays automatic; beyond it an underwriter sees it; beyond the maximum
the request is refused."""

from __future__ import annotations

from dataclasses import dataclass

from quoting.tariff import TariffParams
from quoting.underwriting._referrals import ReferralResult

__all__ = [
    "DEFAULT_AUTHORITY",
    "Authority",
    "adjustment_beyond_maximum",
    "adjustment_referral",
    "authority_shortfalls",
]


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


@dataclass(frozen=True, slots=True)
class Authority:
    """What one user may accept when deciding a referred quote: the largest underwriter
    adjustment ±``adjustment`` (a fraction), the largest accumulation-cover sum insured of
    one member and the largest group total (both in the tariff's base currency)."""

    adjustment: float
    member_sum_insured: float
    group_sum_insured: float


#: Each role's authority unless the account has its own (``quoting accounts
#: set-authority``): brokers and agents decide nothing; a senior underwriter is an
#: underwriter given ±30 % and higher sums insured.
DEFAULT_AUTHORITY: dict[str, Authority] = {
    "broker": Authority(0.0, 0.0, 0.0),
    "agent": Authority(0.0, 0.0, 0.0),
    "underwriter": Authority(0.15, 5_000_000.0, 500_000_000.0),
    "admin": Authority(0.15, 5_000_000.0, 500_000_000.0),
}


def authority_shortfalls(
    authority: Authority,
    *,
    adjustment: float,
    member_sum_insured: float,
    group_sum_insured: float,
) -> list[str]:
    """Why a decision with these figures is beyond ``authority`` (none when within it);
    each message names the figure and the limit it exceeds."""
    out: list[str] = []
    # The same float margin as the tariff's automatic authority.
    if abs(adjustment) > authority.adjustment + 1e-12:
        out.append(
            f"the adjustment {adjustment:+.1%} is beyond your adjustment authority of "
            f"±{authority.adjustment:.0%}"
        )
    if member_sum_insured > authority.member_sum_insured:
        out.append(
            f"a member's sum insured of {member_sum_insured:,.0f} is beyond your authority "
            f"of {authority.member_sum_insured:,.0f} per member"
        )
    if group_sum_insured > authority.group_sum_insured:
        out.append(
            f"the group's total sum insured of {group_sum_insured:,.0f} is beyond your "
            f"authority of {authority.group_sum_insured:,.0f}"
        )
    return out
