"""The tariff model: versioned rates as pure data, frozen for pricing.

This package exports only the model. Reading tariff folders is
:mod:`quoting.tariff.files` (load, validate, content hash); the versions in force are
:mod:`quoting.tariff.registry` (:class:`~quoting.tariff.registry.TariffRegistry`).
"""

from quoting.tariff.model import (
    COUNTRY_FACTORS,
    COUNTRY_STATUSES,
    COVER_CODES,
    RATING_METHODS,
    Country,
    CoverParams,
    FrequencySeverityCover,
    GammaSeverity,
    LognormalSeverity,
    Occupation,
    PerMemberCover,
    PerMilleCover,
    Severity,
    Tariff,
    TariffParams,
    normalise_name,
)

__all__ = [
    "COUNTRY_FACTORS",
    "COUNTRY_STATUSES",
    "COVER_CODES",
    "RATING_METHODS",
    "Country",
    "CoverParams",
    "FrequencySeverityCover",
    "GammaSeverity",
    "LognormalSeverity",
    "Occupation",
    "PerMemberCover",
    "PerMilleCover",
    "Severity",
    "Tariff",
    "TariffParams",
    "normalise_name",
]
