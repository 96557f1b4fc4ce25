"""What the quote pages show of the tariff: the countries to pick from (in both
languages, declined ones marked), the covers' names and the age bands; and a stored
quote's referral and decline reasons in the customer's words (the documents' texts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec

from quoting.documents import Condition, CustomerText, conditions, decline_texts
from quoting.errors import TariffError
from quoting.schemas import Quote, QuoteRequest
from quoting.services._context import Context
from quoting.store import QuoteRow
from quoting.tariff import COVER_CODES, Tariff
from quoting.tariff.registry import registry_for, tariff_in_force

__all__ = [
    "CountryChoice",
    "CoverName",
    "CustomerReasons",
    "TariffChoices",
    "customer_reasons",
    "tariff_choices",
]


@dataclass(frozen=True, slots=True)
class CountryChoice:
    """A country of the tariff: ISO code, names, and ``accept``, ``refer`` or ``decline``."""

    code: str
    name_en: str
    name_zh: str
    status: str


@dataclass(frozen=True, slots=True)
class CoverName:
    """A cover's code and names."""

    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class TariffChoices:
    """The tariff's version, countries (by English name), covers and age bands."""

    version: str
    countries: list[CountryChoice]
    covers: list[CoverName]
    age_bands: list[str]

    def country(self, code: str) -> CountryChoice | None:
        """The country with this ISO code, if the tariff has it."""
        return next((c for c in self.countries if c.code == code), None)

    def cover(self, code: str) -> CoverName | None:
        """The cover with this code, if the tariff has it."""
        return next((c for c in self.covers if c.code == code), None)


def _choices(tariff: Tariff) -> TariffChoices:
    params = tariff.params
    low, bands = params.ages.min, []
    for high in params.ages.band_upper:
        bands.append(f"{low}-{high}")
        low = high + 1
    return TariffChoices(
        version=tariff.version,
        countries=sorted(
            (CountryChoice(c.code, c.name_en, c.name_zh, c.status) for c in tariff.countries),
            key=lambda c: c.name_en,
        ),
        covers=[
            CoverName(code, params.covers[code].name_en, params.covers[code].name_zh)
            for code in COVER_CODES
            if code in params.covers
        ],
        age_bands=bands,
    )


def _tariff_of(ctx: Context, on: dt.date | None, tariff_hash: str | None) -> Tariff:
    if tariff_hash is not None:
        try:
            return registry_for(ctx.tariff_root).by_hash(tariff_hash)
        except TariffError:
            pass  # a version no longer on file: its names are those of today's
    return tariff_in_force(on or ctx.today(), ctx.tariff_root)


def tariff_choices(
    ctx: Context, on: dt.date | None = None, tariff_hash: str | None = None
) -> TariffChoices:
    """The choices of the tariff with ``tariff_hash`` (a stored quote's own version) if it
    is still on file, else of the tariff in force on ``on`` (default: the business date)."""
    return _choices(_tariff_of(ctx, on, tariff_hash))


@dataclass(frozen=True, slots=True)
class CustomerReasons:
    """A quote's referrals (each ``pending`` until approved, then ``agreed``) and, by
    member id, why each declined member is not insured: the texts its documents print."""

    conditions: list[Condition]
    declined: dict[str, list[CustomerText]]


def customer_reasons(ctx: Context, row: QuoteRow) -> CustomerReasons:
    """The customer texts of a stored quote (read in full) under its own tariff version
    (:mod:`quoting.documents._wording`, the one home of those words)."""
    assert row.result_json is not None and row.request_json is not None
    quote = msgspec.json.decode(row.result_json, type=Quote)
    request = msgspec.json.decode(row.request_json, type=QuoteRequest)
    tariff = _tariff_of(ctx, quote.as_of, quote.tariff.hash)
    return CustomerReasons(
        conditions(quote, request, tariff), decline_texts(quote, request, tariff)
    )
