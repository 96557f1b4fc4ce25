"""Referral triggers (SPEC §3): each rule returns the referrals it makes (none or one per
trigger), so that any fired trigger makes the quote ``referred``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from quoting.tariff import COUNTRY_STATUSES, COVER_CODES, Tariff, TariffParams

__all__ = [
    "ReferralResult",
    "accumulation_referrals",
    "backdated_referral",
    "experience_discount_referral",
    "experience_loss_referral",
    "member_referrals",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_REFER = COUNTRY_STATUSES.index("refer")


@dataclass(frozen=True, slots=True)
class ReferralResult:
    """A referral trigger that fired; ``rows`` are the census rows concerned (may be empty)."""

    code: str
    message: str
    rows: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def member_referrals(
    tariff: Tariff,
    *,
    accepted: BoolArray,
    country: IntArray,
    occupation_class: IntArray,
    plan: IntArray,
    plan_present: BoolArray,
    plan_amount: FloatArray,
) -> list[ReferralResult]:
    """Referrals of accepted members: a country the tariff refers, an occupation class
    above the automatic limit, and per cover a plan amount above the cover's automatic
    limit. ``plan_present``/``plan_amount`` are per (plan, cover in ``COVER_CODES`` order)."""
    uw = tariff.params.underwriting
    out: list[ReferralResult] = []
    refer_country = np.flatnonzero(accepted & (tariff.country_status[country] == _REFER))
    if refer_country.size:
        codes = sorted({tariff.countries[i].code for i in country[refer_country]})
        out.append(
            ReferralResult(
                "country_refer",
                f"the tariff refers cover in {', '.join(codes)} to an underwriter",
                refer_country,
            )
        )
    high_class = np.flatnonzero(accepted & (occupation_class > uw.auto_max_class))
    if high_class.size:
        out.append(
            ReferralResult(
                "occupation_class",
                f"occupation class above {uw.auto_max_class} needs an underwriter",
                high_class,
            )
        )
    used_plans = np.unique(plan[accepted])
    for c, code in enumerate(COVER_CODES):
        limit = tariff.params.covers[code].auto_limit
        over = [int(p) for p in used_plans if plan_present[p, c] and plan_amount[p, c] > limit]
        if over:
            out.append(
                ReferralResult(
                    "sum_insured_limit",
                    f"{code}: amount above the automatic limit of {limit:,.0f}",
                    np.flatnonzero(accepted & np.isin(plan, over)),
                )
            )
    return out


def accumulation_referrals(
    params: TariffParams,
    *,
    accepted: BoolArray,
    site: IntArray,
    has_cover: BoolArray,
    site_ids: IntArray,
    site_sum_insured: FloatArray,
) -> list[ReferralResult]:
    """Referrals of the accumulation cover's sums insured: the group's total above its
    limit, and sites whose total is above the site limit (``site_ids`` with their totals
    ``site_sum_insured``; ``has_cover`` per census row)."""
    uw = params.underwriting
    cover = params.accumulation.cover
    out: list[ReferralResult] = []
    group_si = float(site_sum_insured.sum())
    if group_si > uw.group_sum_insured_limit:
        out.append(
            ReferralResult(
                "group_sum_insured",
                f"{cover}: group total sum insured {group_si:,.0f} "
                f"above {uw.group_sum_insured_limit:,.0f}",
            )
        )
    over_sites = site_ids[site_sum_insured > uw.site_accumulation_limit]
    if over_sites.size:
        out.append(
            ReferralResult(
                "site_accumulation",
                f"{over_sites.size} site(s) with total sum insured above "
                f"{uw.site_accumulation_limit:,.0f}",
                np.flatnonzero(accepted & np.isin(site, over_sites) & has_cover),
            )
        )
    return out


def experience_loss_referral(
    params: TariffParams, actual_to_expected: float | None
) -> list[ReferralResult]:
    """Claims experience worse than the tariff's referral loss ratio."""
    if actual_to_expected is None or actual_to_expected <= params.experience.refer_loss_ratio:
        return []
    return [
        ReferralResult(
            "experience_loss_ratio",
            f"claims experience at {actual_to_expected:.0%} of expected",
        )
    ]


def experience_discount_referral(
    params: TariffParams, experience_factor: float | None
) -> list[ReferralResult]:
    """A discount for claims experience beyond the automatic threshold: experience is
    stated by the client, so a large discount on its strength needs an underwriter to see
    the claims record."""
    threshold = params.experience.refer_discount
    # A small margin keeps a factor of exactly 1 − threshold (float noise aside) automatic.
    if experience_factor is None or experience_factor >= 1.0 - threshold - 1e-12:
        return []
    return [
        ReferralResult(
            "experience_discount",
            f"claims experience lowers the premium by {1 - experience_factor:.1%}, "
            f"more than the automatic {threshold:.0%}",
        )
    ]


def backdated_referral(start: dt.date, today: dt.date) -> list[ReferralResult]:
    """Cover that has already begun when it is quoted: an underwriter checks that nothing
    is known to have happened since. Judged on the business date ``today``, whatever date
    the quote is priced as of."""
    if start >= today:
        return []
    return [
        ReferralResult(
            "backdated_period",
            f"the policy period starts on {start}, before the business date {today}",
        )
    ]
