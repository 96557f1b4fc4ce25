"""Book accumulation: the insurer's aggregate accumulation-cover sum insured per site and
per country across every policyholder, against the book limits. A quote whose members
would push a site or a country over its limit is referred (``book_accumulation``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["BookBreach", "BookLimits", "book_breaches"]

#: A site of the book: (country code, site name or None for members without a site).
SiteKey = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class BookLimits:
    """The largest aggregate accumulation-cover sum insured the insurer keeps on one site
    and in one country (base currency)."""

    site_sum_insured: float = 200_000_000.0
    country_sum_insured: float = 2_000_000_000.0


@dataclass(frozen=True, slots=True)
class BookBreach:
    """A site or country the quote would push over its limit: the book's sum insured
    there before, the quote's, and the limit."""

    scope: str  # "site" or "country"
    country: str
    site: str | None
    book: float
    quote: float
    limit: float

    @property
    def message(self) -> str:
        """The breach in words, with its figures."""
        where = (
            f"site {self.site or '(no site)'} in {self.country}"
            if self.scope == "site"
            else f"country {self.country}"
        )
        return (
            f"{where}: book {self.book:,.0f} + this quote {self.quote:,.0f} = "
            f"{self.book + self.quote:,.0f}, above the book limit of {self.limit:,.0f}"
        )


def book_breaches(
    limits: BookLimits,
    *,
    book_sites: Mapping[SiteKey, float],
    quote_sites: Mapping[SiteKey, float],
) -> list[BookBreach]:
    """The sites and countries where the book's sum insured (``book_sites``, of the
    policies in force over the quote's period) plus the quote's (``quote_sites``) is
    above the limits, sites first."""
    out: list[BookBreach] = []
    for (country, site), amount in sorted(quote_sites.items(), key=lambda kv: str(kv[0])):
        book = book_sites.get((country, site), 0.0)
        if book + amount > limits.site_sum_insured:
            out.append(BookBreach("site", country, site, book, amount, limits.site_sum_insured))
    countries = sorted({c for c, _ in quote_sites})
    for country in countries:
        mine = sum(v for (c, _), v in quote_sites.items() if c == country)
        book = sum(v for (c, _), v in book_sites.items() if c == country)
        if book + mine > limits.country_sum_insured:
            out.append(BookBreach("country", country, None, book, mine, limits.country_sum_insured))
    return out
