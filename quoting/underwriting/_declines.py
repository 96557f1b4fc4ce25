"""Declines (SPEC §3, underwriting decisions first): members excluded from pricing."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quoting.tariff import COUNTRY_STATUSES, Tariff

__all__ = ["DECLINE_REASONS", "decline_reasons"]

IntArray = npt.NDArray[np.int64]

#: Decline reasons as bits of a row's decline code: (bit, code, message).
DECLINE_REASONS: tuple[tuple[int, str, str], ...] = (
    (1, "country_declined", "the tariff declines cover in this country"),
    (2, "occupation_uninsurable", "occupation class 9 is not insurable"),
    (4, "age_out_of_range", "age is outside the tariff's limits"),
    (8, "period_outside_policy", "the member's period lies outside the policy period"),
)
_DECLINE = COUNTRY_STATUSES.index("decline")


def decline_reasons(
    tariff: Tariff,
    *,
    country: IntArray,
    occupation_class: IntArray,
    age_low: IntArray,
    age_high: IntArray,
    outside_period: npt.NDArray[np.bool_],
) -> IntArray:
    """Per census row: 0 when the row can be priced, else an OR of ``DECLINE_REASONS`` bits
    (country declined, occupation class 9, an age outside the tariff's limits, a member
    period outside the policy period)."""
    ages = tariff.params.ages
    declined = np.zeros(country.shape[0], dtype=np.int64)
    declined |= np.where(tariff.country_status[country] == _DECLINE, 1, 0)
    declined |= np.where(occupation_class == 9, 2, 0)
    declined |= np.where((age_low < ages.min) | (age_high > ages.max), 4, 0)
    declined |= np.where(outside_period, 8, 0)
    return declined
