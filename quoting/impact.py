"""The premium impact of a tariff change on a book of quotes: each request priced under
the old and the new version, summed up the way an underwriter reads it.

Pure: the figures of each quote under both versions in, an :class:`ImpactReport` out.
The figures come straight from the engine's columns (:func:`figures_from_columns`: no
member or line objects are built, which would cost more than the pricing itself) or
from a built quote (:func:`figures_of_quote`); both give the same figures. Amounts are
converted into the tariff's base currency (CNY) at each quote's own FX rate and added as
``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from quoting.pricing import PricedCensus, cents_to_text
from quoting.quote_builder import quote_outcome
from quoting.rating_input import ResolvedRequest
from quoting.schemas import Quote, SummaryRow
from quoting.tariff import COVER_CODES

__all__ = [
    "BANDS",
    "PERCENTILES",
    "TOP_MOVERS",
    "Breakdown",
    "ImpactReport",
    "PricedPair",
    "QuoteFigures",
    "QuoteMove",
    "band_of",
    "figures_from_columns",
    "figures_of_quote",
    "summarise",
]

#: How many of the quotes moving most (by premium change in CNY, either way) are listed.
TOP_MOVERS = 20
#: The percentiles of the per-quote change reported.
PERCENTILES = (0, 5, 25, 50, 75, 95, 100)
#: The bands of per-quote change in %: (label, lower bound, upper bound); a change on a
#: bound falls in the band nearer zero, and exactly 0 % is its own band.
BANDS: tuple[tuple[str, float, float], ...] = (
    ("< −10 %", -np.inf, -10.0),
    ("−10…−5 %", -10.0, -5.0),
    ("−5…0 %", -5.0, 0.0),
    ("0 %", 0.0, 0.0),
    ("0…+5 %", 0.0, 5.0),
    ("+5…+10 %", 5.0, 10.0),
    ("> +10 %", 10.0, np.inf),
)
_CENT = Decimal("0.01")


def band_of(change_percent: float) -> str:
    """The label of the band a per-quote change (in %) falls in."""
    if change_percent == 0:
        return "0 %"
    if change_percent < 0:
        if change_percent < -10:
            return BANDS[0][0]
        return BANDS[1][0] if change_percent <= -5 else BANDS[2][0]
    if change_percent > 10:
        return BANDS[6][0]
    return BANDS[5][0] if change_percent > 5 else BANDS[4][0]


#: Premium by key (country code, class, cover code): (label, premium in the quote currency)
Premiums = dict[str, tuple[str, Decimal]]


@dataclass(frozen=True, slots=True)
class QuoteFigures:
    """What the impact needs of one priced quote (amounts in the quote's currency)."""

    policyholder: str
    currency: str
    fx_rate: float
    total_premium: Decimal
    status: str
    #: accepted and declined members
    headcount: int
    declined: frozenset[str]
    by_country: Premiums
    by_class: Premiums
    by_cover: Premiums


def _premiums(rows: Iterable[SummaryRow]) -> Premiums:
    return {r.key: (r.label, Decimal(r.premium)) for r in rows}


def figures_of_quote(quote: Quote) -> QuoteFigures:
    """The figures of a built quote."""
    return QuoteFigures(
        policyholder=quote.policyholder,
        currency=quote.currency,
        fx_rate=quote.fx_rate,
        total_premium=Decimal(quote.total_premium),
        status=quote.status,
        headcount=quote.headcount + quote.declined_headcount,
        declined=frozenset(d.member_id for d in quote.declined),
        by_country=_premiums(quote.summary.by_country),
        by_class=_premiums(quote.summary.by_class),
        by_cover=_premiums(quote.summary.by_cover),
    )


def _sums(keys: np.ndarray, cents: np.ndarray, present: np.ndarray) -> dict[int, Decimal]:
    """Cents summed per key (non-negative indices), for every key in ``present``. Exact:
    whole cents in float64 add exactly below 2**53 (90 trillion of the currency)."""
    wanted = np.unique(present)
    if not len(wanted):
        return {}
    size = int(max(wanted.max(), keys.max(initial=0))) + 1
    sums = np.bincount(keys, weights=cents.astype(np.float64), minlength=size)
    totals: list[int] = np.rint(sums).astype(np.int64).tolist()
    return {k: Decimal(cents_to_text(totals[k])) for k in wanted.tolist()}


def figures_from_columns(
    resolved: ResolvedRequest, priced: PricedCensus, today: dt.date
) -> QuoteFigures:
    """The figures of a priced census, from the engine's columns (the same as
    :func:`figures_of_quote` of the quote built from them)."""
    tariff, rating = resolved.tariff, resolved.rating
    status, _ = quote_outcome(resolved, priced, today)
    declined_rows = np.flatnonzero(priced.declined).tolist()
    accepted = priced.declined == 0
    rows_of_lines = priced.line_row
    cents = priced.premium_cents
    by_country = _sums(rating.country[rows_of_lines], cents, rating.country[accepted])
    by_class = _sums(
        rating.occupation_class[rows_of_lines], cents, rating.occupation_class[accepted]
    )
    by_cover = _sums(priced.line_cover, cents, priced.line_cover)
    covers = tariff.params.covers
    return QuoteFigures(
        policyholder=resolved.request.policyholder.name,
        currency=resolved.request.currency,
        fx_rate=rating.fx_rate,
        total_premium=Decimal(cents_to_text(priced.total_premium_cents)),
        status=status,
        headcount=int(rating.headcount.sum()),
        declined=frozenset(resolved.rows[i].member_id for i in declined_rows),
        by_country={
            tariff.countries[k].code: (tariff.countries[k].name_en, v)
            for k, v in by_country.items()
        },
        by_class={str(k): (f"Class {k}", v) for k, v in by_class.items()},
        by_cover={COVER_CODES[k]: (covers[COVER_CODES[k]].name_en, v) for k, v in by_cover.items()},
    )


@dataclass(frozen=True, slots=True)
class PricedPair:
    """One request of the book priced under both versions (``None`` with the error when
    it could not be priced under one)."""

    name: str
    old: QuoteFigures | None
    new: QuoteFigures | None
    old_error: str | None = None
    new_error: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteMove:
    """One quote's premium under both versions, in CNY."""

    name: str
    policyholder: str
    currency: str
    headcount: int
    old_premium: Decimal
    new_premium: Decimal
    old_status: str
    new_status: str
    #: members declined under the new version but not under the old
    newly_declined: list[str] = field(default_factory=list)

    @property
    def change(self) -> Decimal:
        """New minus old premium (CNY)."""
        return self.new_premium - self.old_premium

    @property
    def change_percent(self) -> float | None:
        """The change as a % of the old premium (None when the old premium is 0)."""
        if self.old_premium == 0:
            return 0.0 if self.new_premium == 0 else None
        return float(self.change / self.old_premium * 100)

    @property
    def affected(self) -> bool:
        """Its premium, status or declines differ."""
        return bool(self.change or self.old_status != self.new_status or self.newly_declined)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Premium under both versions of one country, occupation class or cover (CNY)."""

    key: str
    label: str
    old_premium: Decimal
    new_premium: Decimal

    @property
    def change(self) -> Decimal:
        return self.new_premium - self.old_premium

    @property
    def change_percent(self) -> float | None:
        return float(self.change / self.old_premium * 100) if self.old_premium else None


@dataclass(frozen=True, slots=True)
class ImpactReport:
    """The impact of ``new`` against ``old`` on a book."""

    old_version: str
    new_version: str
    moves: list[QuoteMove]
    by_country: list[Breakdown]
    by_class: list[Breakdown]
    by_cover: list[Breakdown]
    #: requests that could not be priced under a version: (name, version, message)
    failures: list[tuple[str, str, str]]
    percentiles: dict[int, float]
    bands: list[tuple[str, int]]

    @property
    def affected(self) -> list[QuoteMove]:
        """The quotes whose premium, status or declines change."""
        return [m for m in self.moves if m.affected]

    @property
    def total_old(self) -> Decimal:
        return sum((m.old_premium for m in self.moves), Decimal(0))

    @property
    def total_new(self) -> Decimal:
        return sum((m.new_premium for m in self.moves), Decimal(0))

    @property
    def total_change_percent(self) -> float | None:
        old = self.total_old
        return float((self.total_new - old) / old * 100) if old else None

    @property
    def top(self) -> list[QuoteMove]:
        """The quotes moving most, by the size of their premium change (CNY)."""
        return sorted(self.affected, key=lambda m: (-abs(m.change), m.name))[:TOP_MOVERS]

    @property
    def status_changes(self) -> list[QuoteMove]:
        return [m for m in self.moves if m.old_status != m.new_status]

    @property
    def newly_declined(self) -> list[QuoteMove]:
        return [m for m in self.moves if m.newly_declined]


def _cny(amount: str | Decimal, fx_rate: float) -> Decimal:
    """An amount of the quote's currency in CNY, to the cent (repr: the float's own digits)."""
    return (Decimal(amount) * Decimal(repr(fx_rate))).quantize(_CENT, ROUND_HALF_UP)


def _move(pair: PricedPair, old: QuoteFigures, new: QuoteFigures) -> QuoteMove:
    return QuoteMove(
        name=pair.name,
        policyholder=old.policyholder,
        currency=old.currency,
        headcount=old.headcount,
        old_premium=_cny(old.total_premium, old.fx_rate),
        new_premium=_cny(new.total_premium, new.fx_rate),
        old_status=old.status,
        new_status=new.status,
        newly_declined=sorted(new.declined - old.declined),
    )


def _add(into: dict[str, list[object]], premiums: Premiums, fx_rate: float, side: int) -> None:
    for key, (label, premium) in premiums.items():
        entry = into.setdefault(key, [label, Decimal(0), Decimal(0)])
        entry[side] = entry[side] + _cny(premium, fx_rate)  # type: ignore[operator]


def _breakdown(
    pairs: Sequence[tuple[QuoteFigures, QuoteFigures]], attribute: str
) -> list[Breakdown]:
    """Premium by ``attribute`` (by_country…), largest change first."""
    acc: dict[str, list[object]] = {}
    for old, new in pairs:
        _add(acc, getattr(old, attribute), old.fx_rate, 1)
        _add(acc, getattr(new, attribute), new.fx_rate, 2)
    rows = [Breakdown(k, str(v[0]), v[1], v[2]) for k, v in acc.items()]  # type: ignore[arg-type]
    return sorted(rows, key=lambda b: (-abs(b.change), -b.old_premium, b.key))


def summarise(old_version: str, new_version: str, pairs: Sequence[PricedPair]) -> ImpactReport:
    """The impact report of a book priced under both versions. Requests that failed under
    either version are listed in ``failures`` and left out of every figure."""
    priced: list[tuple[QuoteFigures, QuoteFigures]] = []
    moves: list[QuoteMove] = []
    failures: list[tuple[str, str, str]] = []
    for pair in pairs:
        if pair.old is None or pair.new is None:
            if pair.old_error:
                failures.append((pair.name, old_version, pair.old_error))
            if pair.new_error:
                failures.append((pair.name, new_version, pair.new_error))
            continue
        priced.append((pair.old, pair.new))
        moves.append(_move(pair, pair.old, pair.new))
    changes = [p for m in moves if (p := m.change_percent) is not None]
    percentiles = (
        {q: float(v) for q, v in zip(PERCENTILES, np.percentile(changes, PERCENTILES), strict=True)}
        if changes
        else {}
    )
    counts = {label: 0 for label, _, _ in BANDS}
    for c in changes:
        counts[band_of(c)] += 1
    return ImpactReport(
        old_version,
        new_version,
        moves,
        _breakdown(priced, "by_country"),
        _breakdown(priced, "by_class"),
        _breakdown(priced, "by_cover"),
        failures,
        percentiles,
        list(counts.items()),
    )
