"""The pricing core: census arrays and a tariff in, priced lines out. No I/O."""

from quoting.pricing._engine import (
    DECLINE_REASONS,
    ExperienceResult,
    PricedCensus,
    ReferralResult,
    SiteAccumulation,
    price,
)
from quoting.pricing._inputs import ExperienceInput, PlanTable, RatingInput
from quoting.pricing._money import cents_to_text, round_half_up_cents

__all__ = [
    "DECLINE_REASONS",
    "ExperienceInput",
    "ExperienceResult",
    "PlanTable",
    "PricedCensus",
    "RatingInput",
    "ReferralResult",
    "SiteAccumulation",
    "cents_to_text",
    "price",
    "round_half_up_cents",
]
