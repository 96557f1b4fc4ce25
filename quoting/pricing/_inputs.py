"""What the engine prices: a census as arrays, plan tables and quote-level terms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ExperienceInput", "PlanTable", "RatingInput"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PlanTable:
    """Benefit amounts per plan (rows) and cover (columns, in ``COVER_CODES`` order).

    ``amount`` is the sum insured (add, sdeath), the limit (amed, smed, evac) or the
    daily benefit (hcash), converted to the base currency. ``max_days`` is for hcash.
    """

    present: npt.NDArray[np.bool_]
    amount: FloatArray
    deductible: FloatArray
    coinsurance: FloatArray
    max_days: IntArray


@dataclass(frozen=True, slots=True)
class ExperienceInput:
    """Past claims of the group, amounts in the base currency."""

    member_years: float
    claim_count: int
    incurred_claims: float


@dataclass(frozen=True, slots=True)
class RatingInput:
    """A census as columns (one element per census row) plus the quote's terms.

    A row is one member, or ``headcount`` identical members of an aggregated census;
    each of them is priced as a member and the row's lines are per-member premiums
    times ``headcount``.
    """

    country: IntArray
    occupation_class: IntArray
    #: age rated at (a group's band midpoint)
    age: IntArray
    headcount: IntArray
    plan: IntArray
    #: months of cover begun (1..12), from the member's own start and end
    months: IntArray
    #: accumulation site of each row (members without a site share one per country)
    site: IntArray
    #: True where the member's period lies outside the policy period
    outside_period: npt.NDArray[np.bool_]
    plans: PlanTable
    #: whole months of the policy period (VAT exemption of medical policies of a year)
    policy_whole_months: int
    commission: float
    adjustment: float
    #: base currency per one unit of the quote currency
    fx_rate: float
    experience: ExperienceInput | None = None
    #: youngest and oldest age of each row (a group's age band; else both equal ``age``)
    age_low: IntArray | None = None
    age_high: IntArray | None = None
    #: days each row's members are covered (start to end inclusive) and the days of the
    #: policy period: member presence t = covered_days / policy_days (accumulation by
    #: presence, SPEC §3 step 6); None counts every member as present all period
    covered_days: IntArray | None = None
    policy_days: int = 1

    def presence_days(self) -> tuple[IntArray, int]:
        """(covered days per row, policy days): whole-period presence when not given."""
        if self.covered_days is None:
            return np.ones(len(self), dtype=np.int64), 1
        return self.covered_days, self.policy_days

    def __len__(self) -> int:
        return int(self.country.shape[0])
