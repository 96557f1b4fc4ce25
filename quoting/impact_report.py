"""An impact report as a terminal table, as plain data for JSON, and as an HTML page with
SVG charts (``templates/reports/impact.html``, autoescaped, around the body it shares with
the web page ``/tariffs/impact``: ``templates/pages/tariffs/_impact.html``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jinja2

from quoting.charts import bar_chart, histogram
from quoting.impact import Breakdown, ImpactReport, QuoteMove
from quoting.resources import shipped

__all__ = ["impact_as_dict", "impact_charts", "impact_html", "impact_table"]

#: Histogram edges of the per-quote change in % (values beyond fall in the end bins).
_HISTOGRAM_EDGES = [-30.0, -20.0, -10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0, 20.0, 30.0]


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _signed(value: Decimal) -> str:
    return f"{value:+,.2f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} %"


def _breakdown_lines(title: str, rows: list[Breakdown], limit: int = 15) -> list[str]:
    lines = [f"{title} (CNY)"]
    width = max((len(f"{r.key} {r.label}") for r in rows[:limit]), default=10)
    for r in rows[:limit]:
        name = f"{r.key} {r.label}" if r.label != r.key else r.key
        lines.append(
            f"  {name:<{width}}  {_money(r.old_premium):>16} → {_money(r.new_premium):>16}  "
            f"{_signed(r.change):>14}  {_pct(r.change_percent):>10}"
        )
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more")
    return lines


def _move_line(m: QuoteMove) -> str:
    status = m.old_status if m.old_status == m.new_status else f"{m.old_status}→{m.new_status}"
    return (
        f"  {m.name:<28} {m.headcount:>6}  {_money(m.old_premium):>15} → "
        f"{_money(m.new_premium):>15}  {_signed(m.change):>13}  {_pct(m.change_percent):>10}  {status}"
    )


def impact_table(report: ImpactReport, seconds: float | None = None) -> str:
    """The report for a terminal: totals, distribution, breakdowns, movers, status changes."""
    affected = report.affected
    old_aff = sum((m.old_premium for m in affected), Decimal(0))
    new_aff = sum((m.new_premium for m in affected), Decimal(0))
    lines = [
        f"tariff impact {report.old_version} → {report.new_version}",
        f"quotes: {len(report.moves)} priced, {len(affected)} affected "
        f"(premium {_money(old_aff)} → {_money(new_aff)} CNY), {len(report.failures)} failed",
        f"total premium (CNY): {_money(report.total_old)} → {_money(report.total_new)} "
        f"({_signed(report.total_new - report.total_old)}, {_pct(report.total_change_percent)})",
    ]
    if seconds is not None:
        lines.append(f"priced under both versions in {seconds:.2f} s")
    if report.percentiles:
        lines.append(
            "change per quote, percentiles: "
            + ", ".join(f"p{q} {v:+.2f} %" for q, v in report.percentiles.items())
        )
    lines.append("change per quote, bands: " + ", ".join(f"{b}: {n}" for b, n in report.bands))
    for title, rows in (
        ("by country", report.by_country),
        ("by occupation class", report.by_class),
        ("by cover", report.by_cover),
    ):
        lines += ["", *_breakdown_lines(title, rows)]
    lines += ["", f"quotes moving most (top {len(report.top)}, CNY)"]
    lines += [_move_line(m) for m in report.top] or ["  none"]
    lines += ["", "status changes"]
    lines += [f"  {m.name}: {m.old_status} → {m.new_status}" for m in report.status_changes] or [
        "  none"
    ]
    lines += ["", "members newly declined"]
    lines += [
        f"  {m.name}: {len(m.newly_declined)} ({', '.join(m.newly_declined[:10])})"
        for m in report.newly_declined
    ] or ["  none"]
    if report.failures:
        lines += ["", "could not be priced"]
        lines += [
            f"  {name} under {version}: {message}" for name, version, message in report.failures
        ]
    return "\n".join(lines) + "\n"


def _breakdown_dict(rows: list[Breakdown]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "label": r.label,
            "old_premium": str(r.old_premium),
            "new_premium": str(r.new_premium),
            "change": str(r.change),
            "change_percent": r.change_percent,
        }
        for r in rows
    ]


def _move_dict(m: QuoteMove) -> dict[str, Any]:
    return {
        "name": m.name,
        "policyholder": m.policyholder,
        "currency": m.currency,
        "headcount": m.headcount,
        "old_premium": str(m.old_premium),
        "new_premium": str(m.new_premium),
        "change": str(m.change),
        "change_percent": m.change_percent,
        "old_status": m.old_status,
        "new_status": m.new_status,
        "newly_declined": m.newly_declined,
    }


def impact_as_dict(report: ImpactReport, seconds: float | None = None) -> dict[str, Any]:
    """The report as plain data (amounts in CNY as decimal strings, changes in %)."""
    affected = report.affected
    return {
        "old": report.old_version,
        "new": report.new_version,
        "currency": "CNY",
        "seconds": seconds,
        "quotes": len(report.moves),
        "quotes_affected": len(affected),
        "premium_affected_old": str(sum((m.old_premium for m in affected), Decimal(0))),
        "premium_affected_new": str(sum((m.new_premium for m in affected), Decimal(0))),
        "total_premium_old": str(report.total_old),
        "total_premium_new": str(report.total_new),
        "total_change_percent": report.total_change_percent,
        "percentiles": {f"p{q}": v for q, v in report.percentiles.items()},
        "bands": [{"band": b, "quotes": n} for b, n in report.bands],
        "by_country": _breakdown_dict(report.by_country),
        "by_class": _breakdown_dict(report.by_class),
        "by_cover": _breakdown_dict(report.by_cover),
        "top": [_move_dict(m) for m in report.top],
        "status_changes": [_move_dict(m) for m in report.status_changes],
        "newly_declined": [_move_dict(m) for m in report.newly_declined],
        "failures": [{"name": n, "version": v, "message": msg} for n, v, msg in report.failures],
        "moves": [_move_dict(m) for m in report.moves],
    }


def _grouped(amount: str) -> str:
    """A decimal string with thousands separators: 1234567.5 → 1,234,567.50."""
    return f"{Decimal(amount):,.2f}"


def _(message: str) -> str:
    return message  # marks a chart text for the pages' catalogues (translated when shown)


#: The charts' texts (message ids of the pages' catalogues; English in the HTML report).
HISTOGRAM_TITLE = _(
    "Change in premium of the %(moved)d quotes that moved (%(unchanged)d unchanged)"
)
HISTOGRAM_AXIS = _("change in per cent (beyond ±30 counted in the end bins)")
BANDS_TITLE = _("Quotes per band")
QUOTES_UNIT = _("quotes")
COUNTRY_TITLE = _("Change in premium by country (largest 15)")
CLASS_TITLE = _("Change in premium by occupation class")
COVER_TITLE = _("Change in premium by cover")


@functools.cache
def _environment() -> jinja2.Environment:
    # The report's own page, and the body it shares with the web page (templates/pages/
    # tariffs/_impact.html), in English: gettext without a catalogue.
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(shipped("templates") / "reports"),
                jinja2.FileSystemLoader(shipped("templates") / "pages"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def _clamped(values: list[float]) -> list[float]:
    lo, hi = _HISTOGRAM_EDGES[0], _HISTOGRAM_EDGES[-1]
    return [min(max(v, lo), hi) for v in values]


def impact_charts(report: ImpactReport, gettext: Callable[[str], str] = str) -> dict[str, str]:
    """The report's SVG charts (histogram of the change per quote; bars of the quotes per
    band and of the change by country, class and cover), their texts through ``gettext``."""
    # Unchanged quotes are most of a book after a targeted change: they would flatten
    # the histogram into one bar at 0, so it shows the quotes that moved (the bands count all).
    moved = [c for m in report.moves if (c := m.change_percent) is not None and c != 0]
    unchanged = sum(1 for m in report.moves if m.change_percent == 0)
    cny = "CNY"
    return {
        "histogram": histogram(
            _clamped(moved),
            _HISTOGRAM_EDGES,
            title=gettext(HISTOGRAM_TITLE) % {"moved": len(moved), "unchanged": unchanged},
            x_label=gettext(HISTOGRAM_AXIS),
        ),
        "bands": bar_chart(
            [(b, float(n)) for b, n in report.bands],
            title=gettext(BANDS_TITLE),
            unit_label=gettext(QUOTES_UNIT),
        ),
        "country": bar_chart(
            [(f"{r.key} {r.label}", float(r.change)) for r in report.by_country[:15]],
            title=gettext(COUNTRY_TITLE),
            unit_label=cny,
        ),
        "class": bar_chart(
            [(r.label, float(r.change)) for r in report.by_class],
            title=gettext(CLASS_TITLE),
            unit_label=cny,
        ),
        "cover": bar_chart(
            [(r.label, float(r.change)) for r in report.by_cover],
            title=gettext(COVER_TITLE),
            unit_label=cny,
        ),
    }


def impact_html(report: ImpactReport, seconds: float | None = None) -> str:
    """The report as a self-contained HTML page: tables and server-side SVG charts
    (histogram of the change per quote, bars of the change by country, class and cover)."""
    data = impact_as_dict(report, seconds)
    return (
        _environment()
        .get_template("impact.html")
        .render(report=data, charts=impact_charts(report), amount=_grouped)
    )
