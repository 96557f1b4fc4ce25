"""What the quote page shows of a stored quote, in the user's language: the tables by
cover, country and class with the tariff's names, the charts (server-side SVG), the
referral and decline reasons in plain words and the documents to download."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import markupsafe

from quoting.charts import bar_chart
from quoting.documents import POLICY_DOCUMENTS, QUOTE_DOCUMENTS
from quoting.schemas import Quote, SummaryRow
from quoting.services.lookups import CustomerReasons, TariffChoices
from quoting.store import PolicyRow
from quoting.web.pages._i18n import PageLocale
from quoting.web.pages._messages import say

__all__ = [
    "MEMBERS_PER_PAGE",
    "Download",
    "Reason",
    "Row",
    "breakdowns",
    "charts",
    "downloads",
    "reasons",
]

MEMBERS_PER_PAGE = 50


def _(message: str) -> str:
    return message  # marks a text for the catalogues; :func:`say` translates it


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a summary table: its label in the user's language, headcount, premium
    and VAT (Decimal strings)."""

    key: str
    label: str
    headcount: int
    premium: str
    vat: str


def _label(kind: str, row: SummaryRow, choices: TariffChoices, locale: PageLocale) -> str:
    zh = locale != "en"
    if kind == "cover" and (cover := choices.cover(row.key)):
        return cover.name_zh if zh else cover.name_en
    if kind == "country" and (country := choices.country(row.key)):
        return f"{country.name_zh if zh else country.name_en} ({row.key})"
    if kind == "class":
        return say(locale, _("Class %(n)s")) % {"n": row.key}
    return row.label


def breakdowns(quote: Quote, choices: TariffChoices, locale: PageLocale) -> dict[str, list[Row]]:
    """The quote's premiums by ``cover``, ``country`` and ``class``, labelled."""
    summary = quote.summary
    tables = {"cover": summary.by_cover, "country": summary.by_country, "class": summary.by_class}
    return {
        kind: [
            Row(r.key, _label(kind, r, choices, locale), r.headcount, r.premium, r.vat)
            for r in rows
        ]
        for kind, rows in tables.items()
    }


def charts(
    tables: dict[str, list[Row]], currency: str, locale: PageLocale
) -> dict[str, markupsafe.Markup]:
    """Bar charts of the premium by country and by cover (the charts escape their texts)."""
    titles = {"country": _("Premium by country"), "cover": _("Premium by cover")}
    return {
        kind: markupsafe.Markup(
            bar_chart(
                [(r.label, float(Decimal(r.premium))) for r in tables[kind]],
                title=say(locale, title),
                unit_label=currency,
            )
        )
        for kind, title in titles.items()
    }


@dataclass(frozen=True, slots=True)
class Reason:
    """A referral or a declined member in the customer's words (the documents' texts),
    with the engine's own detail for the agent."""

    words: str
    detail: str
    members: list[str] = field(default_factory=list)
    headcount: int = 0


def reasons(
    quote: Quote, customer: CustomerReasons, approved: bool, locale: PageLocale
) -> tuple[list[Reason], list[Reason]]:
    """The referral reasons (as agreed once an underwriter approved) and the declined
    members, said plainly in ``locale``."""
    zh = locale != "en"
    referrals = [
        Reason(
            text.zh if zh else text.en,
            next((r.message for r in quote.referrals if r.code == c.code), ""),
        )
        for c in customer.conditions
        for text in [c.agreed if approved else c.pending]
    ]
    declined = [
        Reason(
            "；".join(t.zh for t in texts) if zh else "; ".join(t.en for t in texts),
            "; ".join(x.message for x in d.reasons),
            [f"{d.member_id} {d.name}"],
            d.headcount,
        )
        for d in quote.declined
        for texts in [customer.declined.get(d.member_id, [])]
    ]
    return referrals, declined


@dataclass(frozen=True, slots=True)
class Download:
    """A file to download: its link and what it is."""

    href: str
    label: str
    kind: str


_NAMES = {
    "quote-letter": _("Quote letter"),
    "benefits": _("Schedule of benefits"),
    "policy-schedule": _("Policy schedule"),
    "member-list": _("Member list"),
    "certificates": _("Certificates of insurance"),
}


def downloads(
    quote_id: str, policy: PolicyRow | None, named_members: bool, locale: PageLocale
) -> list[Download]:
    """Every document of the quote (and of its policy once bound) and the member list."""
    found = [
        Download(f"/quotes/{quote_id}/documents/{name}.pdf", say(locale, _NAMES[name]), "PDF")
        for name in QUOTE_DOCUMENTS
    ]
    found.append(
        Download(f"/quotes/{quote_id}/members.xlsx", say(locale, _("Member premiums")), "XLSX")
    )
    if policy is not None:
        found += [
            Download(
                f"/policies/{policy.id}/documents/{name}.pdf", say(locale, _NAMES[name]), "PDF"
            )
            for name in POLICY_DOCUMENTS
            if name != "certificates" or named_members
        ]
    return found
