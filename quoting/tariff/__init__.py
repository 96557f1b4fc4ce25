"""Tariffs: versioned rate files, validated on load and frozen for pricing."""

from quoting.tariff._load import (
    COUNTRY_STATUSES,
    DEFAULT_TARIFF_ROOT,
    Country,
    Occupation,
    Tariff,
    load_tariff,
    normalise_name,
    tariff_in_force,
    tariff_versions,
)
from quoting.tariff._model import COUNTRY_FACTORS, COVER_CODES, CoverParams, TariffParams

__all__ = [
    "COUNTRY_FACTORS",
    "COUNTRY_STATUSES",
    "COVER_CODES",
    "DEFAULT_TARIFF_ROOT",
    "Country",
    "CoverParams",
    "Occupation",
    "Tariff",
    "TariffParams",
    "load_tariff",
    "normalise_name",
    "tariff_in_force",
    "tariff_versions",
]
