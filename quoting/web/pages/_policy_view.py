"""What the policy pages show of a policy, pure: its history of versions (from the bound
quote and the endorsements that made a version), the members an endorsement may remove or
change, and the links to each version's and endorsement's documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from quoting.documents import POLICY_DOCUMENTS
from quoting.schemas import PricedEndorsement, Quote, VersionMember

__all__ = [
    "VERSION_DOCUMENTS",
    "VersionRow",
    "covered_members",
    "endorsement_document_href",
    "version_document_href",
    "versions",
]

#: The documents of a version the history links (certificates: on the policy's own list).
VERSION_DOCUMENTS = tuple(n for n in POLICY_DOCUMENTS if n in ("policy-schedule", "member-list"))


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version of the policy's member list: from when, the endorsement that made it
    (None: as bound), its totals, and the members covered from its effective date."""

    number: int
    effective: dt.date
    endorsement: str | None
    premium: str
    vat: str
    headcount: int


def versions(quote: Quote, endorsements: list[PricedEndorsement]) -> list[VersionRow]:
    """Version 1 as bound, then each version an accepted or approved endorsement made, in
    order (a referred endorsement makes none until it is approved)."""
    rows = [
        VersionRow(
            1, quote.period_start, None, quote.total_premium, quote.total_vat, quote.headcount
        )
    ]
    made = sorted(
        (e for e in endorsements if e.policy_version is not None),
        key=lambda e: e.policy_version or 0,
    )
    rows += [
        VersionRow(
            e.totals.version,
            e.effective,
            e.number,
            e.totals.premium,
            e.totals.vat,
            e.totals.headcount,
        )
        for e in made
    ]
    return rows


def covered_members(members: list[VersionMember], today: dt.date) -> list[VersionMember]:
    """Each member's last segment in a version, if it still runs on ``today`` or later:
    the members an endorsement may remove or change (in the version's order)."""
    last: dict[str, VersionMember] = {}
    for segment in members:
        member_id = segment.member.member_id
        if member_id not in last or segment.start >= last[member_id].start:
            last[member_id] = segment
    return [s for s in last.values() if s.start <= s.end and s.end >= today]


def version_document_href(policy_id: str, name: str, version: int) -> str:
    """A version's document on the pages (``?version=N``; session sign-in, as the quote
    page's downloads)."""
    return f"/policies/{policy_id}/documents/{name}.pdf?version={version}"


def endorsement_document_href(policy_id: str, seq: int) -> str:
    """An endorsement's document (批单) on the pages."""
    return f"/policies/{policy_id}/endorsements/{seq}/documents/endorsement.pdf"
