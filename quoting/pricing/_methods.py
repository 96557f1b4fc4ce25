"""SPEC §3 step 1: a cover's annual pure premium by its rating method.

A cover is data (one tariff struct per rating method); each method is one function here,
picked by the struct's type, so a new method is a struct and a function, not a branch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from quoting.pricing._inputs import FloatArray, IntArray, RatingInput
from quoting.pricing._severity import gamma_params, layer_moments, lognormal_params
from quoting.tariff import (
    COUNTRY_FACTORS,
    CoverParams,
    FrequencySeverityCover,
    LognormalSeverity,
    PerMemberCover,
    PerMilleCover,
    Tariff,
)

__all__ = ["CoverLines", "annual_pure_premium"]

_FACTOR_COLUMN = {name: i for i, name in enumerate(COUNTRY_FACTORS)}


@dataclass(frozen=True, slots=True)
class CoverLines:
    """One cover's lines: per-member annual pure premium, claim frequency and E[payment²],
    and the factors each line was priced with (its trace)."""

    pure: FloatArray
    frequency: FloatArray
    second_moment: FloatArray
    trace: dict[str, FloatArray]


@dataclass(frozen=True, slots=True)
class _Lines:
    """The census facts of one cover's lines (accepted rows that have the cover)."""

    inp: RatingInput
    tariff: Tariff
    c: int
    rows: IntArray
    band: IntArray

    @property
    def plan(self) -> IntArray:
        return self.inp.plan[self.rows]

    @property
    def occupation_class(self) -> IntArray:
        return self.inp.occupation_class[self.rows]

    @property
    def country(self) -> IntArray:
        return self.inp.country[self.rows]

    @property
    def amount(self) -> FloatArray:
        return self.inp.plans.amount[self.plan, self.c]

    def country_product(self, names: list[str]) -> FloatArray:
        """The product of the named country factor columns of each line's country."""
        out = np.ones(self.rows.shape[0], dtype=np.float64)
        country = self.country
        for name in names:
            out = out * self.tariff.country_factors[country, _FACTOR_COLUMN[name]]
        return out

    def by(self, basis: str, table: list[float]) -> FloatArray:
        """A tariff table looked up by occupation class or by age band."""
        values = np.asarray(table, dtype=np.float64)
        return values[self.occupation_class - 1] if basis == "class" else values[self.band]


def _per_mille(cover: PerMilleCover, lines: _Lines) -> CoverLines:
    amount = lines.amount
    rate = np.asarray(cover.rate_by_class, dtype=np.float64)[lines.occupation_class - 1]
    f_country = lines.country_product(list(cover.country_factors))
    f_age = np.asarray(cover.age_factors, dtype=np.float64)[lines.band]
    pure = amount / 1000.0 * rate * f_country * f_age
    trace = {
        "sum_insured": amount,
        "rate_per_mille": rate,
        "country_factor": f_country,
        "age_factor": f_age,
    }
    # Every claim pays the full sum insured.
    return CoverLines(pure, pure / amount, amount * amount, trace)


def _frequency_severity(cover: FrequencySeverityCover, lines: _Lines) -> CoverLines:
    sev = cover.severity
    age_trace: dict[str, FloatArray] = {}
    if cover.frequency_by == "class_and_age_band":
        # λ[class, band] = frequency[class] × frequency_age_factors[band]; the trace shows
        # both factors (frequency is then the class's).
        assert cover.frequency_age_factors is not None  # the loader checks it
        f_age = np.asarray(cover.frequency_age_factors, dtype=np.float64)[lines.band]
        class_freq = lines.by("class", cover.frequency)
        base_freq = class_freq * f_age
        age_trace = {"frequency": class_freq, "frequency_age_factor": f_age}
    else:
        base_freq = lines.by(cover.frequency_by, cover.frequency)
    f_freq = lines.country_product(list(cover.frequency_country_factors))
    scale = (
        lines.country_product([cover.severity_country_factor])
        if cover.severity_country_factor
        else np.ones(lines.rows.shape[0])
    )
    params = (
        lognormal_params(sev.mean, sev.sigma)
        if isinstance(sev, LognormalSeverity)
        else gamma_params(sev.mean, sev.cv)
    )
    plan, ctry, amount = lines.plan, lines.country, lines.amount
    deductible = lines.inp.plans.deductible[plan, lines.c]
    coins = lines.inp.plans.coinsurance[plan, lines.c]
    # The layer moments depend only on (plan, country): compute them once per pair.
    pair = plan * lines.tariff.country_factors.shape[0] + ctry
    _, first_of, where = np.unique(pair, return_index=True, return_inverse=True)
    first_u, second_u = layer_moments(
        sev.distribution, params, scale[first_of], deductible[first_of], amount[first_of]
    )
    expected_payment = coins * first_u[where]
    freq = base_freq * f_freq
    trace = {
        "frequency": base_freq,
        "frequency_country_factor": f_freq,
        "severity_scale": scale,
        "limit": amount,
        "deductible": deductible,
        "coinsurance": coins,
        "expected_payment": expected_payment,
        **age_trace,
    }
    return CoverLines(freq * expected_payment, freq, coins * coins * second_u[where], trace)


def _per_member(cover: PerMemberCover, lines: _Lines) -> CoverLines:
    amount = lines.amount
    base = lines.by(cover.amount_by, cover.amount)
    units = amount / float(cover.amount_unit)
    days = lines.inp.plans.max_days[lines.plan, lines.c]
    keys = np.array(sorted(int(k) for k in cover.max_days_factors), dtype=np.int64)
    values = np.array([cover.max_days_factors[str(k)] for k in keys], dtype=np.float64)
    f_days = values[np.searchsorted(keys, days)]
    f_country = lines.country_product(list(cover.country_factors))
    f_age = np.asarray(cover.age_factors, dtype=np.float64)[lines.band]
    pure = base * units * f_days * f_country * f_age
    size = amount * np.minimum(float(cover.mean_claim_days), days)
    trace = {
        "amount": base,
        "benefit_units": units,
        "max_days_factor": f_days,
        "country_factor": f_country,
        "age_factor": f_age,
    }
    # Every claim pays the mean claim size.
    return CoverLines(pure, pure / size, size * size, trace)


#: The rating method of each cover struct.
_METHODS: dict[type, Callable[[Any, _Lines], CoverLines]] = {
    PerMilleCover: _per_mille,
    FrequencySeverityCover: _frequency_severity,
    PerMemberCover: _per_member,
}


def annual_pure_premium(
    cover: CoverParams, c: int, inp: RatingInput, tariff: Tariff, rows: IntArray, band: IntArray
) -> CoverLines:
    """Step 1 for the census ``rows`` that have cover ``c``, by the cover's rating method
    (``band`` is each row's age band)."""
    return _METHODS[type(cover)](cover, _Lines(inp, tariff, c, rows, band))
