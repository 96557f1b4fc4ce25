"""Plain-text tables of quotes and country tables, for the terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from quoting.schemas import Quote
from quoting.tariff import Tariff

__all__ = ["countries_table", "quote_table"]


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        w = _width(ch)
        if used + w > width:
            return out[:-1] + "…" if out else ""
        out += ch
        used += w
    return out


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int], max_width: int = 40
) -> str:
    cells = [[_fit(str(c), max_width) for c in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            parts.append(pad + v if i in right else v + pad)
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in cells)]) + "\n"


def _money(text: str) -> str:
    return f"{Decimal(text):,.2f}"


def quote_table(quote: Quote) -> str:
    """A readable summary of a quote: header, summaries, members, adjustments, decisions."""
    cur = quote.currency
    out = [
        f"Quote for {quote.policyholder} ({quote.credit_code})",
        f"Period {quote.period_start} to {quote.period_end} · tariff {quote.tariff.version} "
        f"({quote.tariff.hash[:19]}…) · as of {quote.as_of} · currency {cur}",
        f"Status: {quote.status.upper()} · {quote.headcount} members priced, "
        f"{quote.declined_headcount} declined",
        "",
    ]
    if quote.members:
        out.extend(_priced_sections(quote))
    _decisions(quote, out)
    out.append(f"Total premium (VAT included): {cur} {_money(quote.total_premium)}")
    out.append(f"of which VAT:                 {cur} {_money(quote.total_vat)}")
    return "\n".join(out) + "\n"


def _priced_sections(quote: Quote) -> list[str]:
    cur = quote.currency
    out = ["By cover"]
    summary_headers = ("", "members", f"premium {cur}", f"VAT {cur}")
    out.append(
        _table(
            summary_headers,
            [
                (r.label, str(r.headcount), _money(r.premium), _money(r.vat))
                for r in quote.summary.by_cover
            ],
            {1, 2, 3},
            max_width=56,
        )
    )
    out.append("By country")
    out.append(
        _table(
            summary_headers,
            [
                (f"{r.key} {r.label}", str(r.headcount), _money(r.premium), _money(r.vat))
                for r in quote.summary.by_country
            ],
            {1, 2, 3},
        )
    )
    out.append("By occupation class")
    out.append(
        _table(
            summary_headers,
            [
                (r.label, str(r.headcount), _money(r.premium), _money(r.vat))
                for r in quote.summary.by_class
            ],
            {1, 2, 3},
        )
    )
    out.append("Members")
    out.append(
        _table(
            (
                "id",
                "name",
                "n",
                "country",
                "class",
                "age",
                "months",
                "plan",
                *(["covers"]),
                f"premium {cur}",
            ),
            [
                (
                    m.member_id,
                    m.name,
                    str(m.headcount),
                    m.country,
                    str(m.occupation_class),
                    str(m.age),
                    str(m.months),
                    m.plan,
                    ",".join(line.cover for line in m.lines),
                    _money(m.premium),
                )
                for m in quote.members
            ],
            {2, 4, 5, 6, 9},
            max_width=32,
        )
    )
    return out


def _decisions(quote: Quote, out: list[str]) -> None:
    cur = quote.currency
    if quote.adjustments:
        out.append("Adjustments")
        out.append(
            _table(
                ("kind", "member", "reason", f"premium {cur}"),
                [
                    (a.kind, a.member_id or "", a.reason, _money(a.premium))
                    for a in quote.adjustments
                ],
                {3},
                max_width=70,
            )
        )
    if quote.declined:
        out.append("Declined")
        out.append(
            _table(
                ("id", "name", "n", "reasons"),
                [
                    (d.member_id, d.name, str(d.headcount), "; ".join(r.message for r in d.reasons))
                    for d in quote.declined
                ],
                {2},
                max_width=70,
            )
        )
    if quote.referrals:
        out.append("Referred to an underwriter because")
        for r in quote.referrals:
            who = (
                f" ({', '.join(r.member_ids[:8])}{' …' if len(r.member_ids) > 8 else ''})"
                if r.member_ids
                else ""
            )
            out.append(f"  - [{r.code}] {r.message}{who}")
        out.append("")


def countries_table(tariff: Tariff) -> str:
    """The country risk table of ``tariff`` as text."""
    rows = [
        (
            c.code,
            c.alpha3,
            c.name_en,
            c.name_zh,
            str(c.tier),
            f"{c.accident:.2f}",
            f"{c.medical_cost:.2f}",
            f"{c.evacuation:.2f}",
            f"{c.security:.2f}",
            c.status,
        )
        for c in tariff.countries
    ]
    headers = (
        "code",
        "a3",
        "name",
        "中文名",
        "tier",
        "accident",
        "medical",
        "evac",
        "security",
        "status",
    )
    return f"Tariff {tariff.version} — {len(rows)} countries\n" + _table(
        headers, rows, {4, 5, 6, 7, 8}, max_width=28
    )
