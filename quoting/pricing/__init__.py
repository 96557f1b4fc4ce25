"""The pricing core: census arrays and a tariff model in, priced lines out. No I/O.

Imports only the tariff model (:mod:`quoting.tariff`), the underwriting rules
(:mod:`quoting.underwriting`), numpy and scipy.
"""

from quoting.pricing._engine import PricedCensus, price
from quoting.pricing._inputs import ExperienceInput, PlanTable, RatingInput
from quoting.pricing._loadings import ExperienceResult, SiteAccumulation
from quoting.pricing._money import cents_to_text, round_half_up_cents

__all__ = [
    "ExperienceInput",
    "ExperienceResult",
    "PlanTable",
    "PricedCensus",
    "RatingInput",
    "SiteAccumulation",
    "cents_to_text",
    "price",
    "round_half_up_cents",
]
