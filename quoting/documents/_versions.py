"""A policy's documents as of a version of its member list: the members, premiums and
totals of that version in place of the bound quote's, so that the same templates print
the policy schedule, member list and certificates after any endorsement."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from quoting.documents._data import DocumentData, MemberRow, VersionNote, member_row
from quoting.rating_input import months_begun
from quoting.schemas import MemberQuote, QuoteLine, QuoteSummary, SummaryRow, VersionMember
from quoting.tariff import COVER_CODES, Tariff

__all__ = [
    "SegmentTerms",
    "certificate_numbers",
    "certificates_from",
    "certificates_per_member",
    "version_data",
]


@dataclass(frozen=True, slots=True)
class SegmentTerms:
    """A member's segment of cover in a version with what the documents print that a
    segment stored before they were kept may not say itself: its ISO country code, plan,
    occupation class and age at the segment's start."""

    segment: VersionMember
    country: str
    plan: str
    occupation_class: int
    age: int


def certificate_numbers(segments: Iterable[VersionMember]) -> dict[str, int]:
    """Each member's certificate number: the bound members 1 … n in the bound quote's
    order, then those who joined, in the order they joined. A version only appends
    segments (a member who leaves keeps the segment that ended), so a number, once
    given, is the same in every later version."""
    numbers: dict[str, int] = {}
    for segment in segments:
        numbers.setdefault(segment.member.member_id, len(numbers) + 1)
    return numbers


def _member_quote(terms: SegmentTerms) -> MemberQuote:
    s = terms.segment
    return MemberQuote(
        member_id=s.member.member_id,
        name=s.member.name,
        headcount=1,
        country=terms.country,
        occupation_class=terms.occupation_class,
        age=terms.age,
        plan=terms.plan,
        start=s.start,
        end=s.end,
        months=months_begun(s.start, s.end),
        premium=s.premium,
        vat=s.vat,
        lines=[QuoteLine(cover=x.cover, premium=x.premium, vat=x.vat, factors={}) for x in s.lines],
        site=s.member.site,
    )


def _grouped(
    members: list[MemberQuote],
    key: Callable[[MemberQuote, str], str],
    label: Callable[[str], str],
    order: Callable[[str], int] | Callable[[str], str],
) -> list[SummaryRow]:
    """Summary rows of the members' lines by ``key`` (of a member and a line's cover):
    distinct members, premium and VAT summed exactly."""
    heads: dict[str, set[str]] = {}
    sums: dict[str, list[Decimal]] = {}
    for m in members:
        for line in m.lines:
            k = key(m, line.cover)
            heads.setdefault(k, set()).add(m.member_id)
            total = sums.setdefault(k, [Decimal(0), Decimal(0)])
            total[0] += Decimal(line.premium)
            total[1] += Decimal(line.vat)
    return [
        SummaryRow(
            key=k,
            label=label(k),
            headcount=len(heads[k]),
            premium=f"{sums[k][0]:.2f}",
            vat=f"{sums[k][1]:.2f}",
        )
        for k in sorted(sums, key=order)
    ]


def _summary(members: list[MemberQuote], bound: QuoteSummary, tariff: Tariff) -> QuoteSummary:
    """The version's member lines grouped as a quote's are (by cover, country, class)."""
    cover_labels = {r.key: r.label for r in bound.by_cover}
    country = tariff.countries
    return QuoteSummary(
        by_cover=_grouped(
            members,
            lambda _, cover: cover,
            lambda k: cover_labels.get(k) or tariff.params.covers[k].name_en,
            lambda k: COVER_CODES.index(k) if k in COVER_CODES else len(COVER_CODES),
        ),
        by_country=_grouped(
            members,
            lambda m, _: m.country,
            lambda k: country[tariff.country_index[k]].name_en,
            lambda k: k,
        ),
        by_class=_grouped(
            members, lambda m, _: str(m.occupation_class), lambda k: f"Class {k}", lambda k: k
        ),
    )


def version_data(
    data: DocumentData,
    terms: list[SegmentTerms],
    *,
    premium: str,
    vat: str,
    note: VersionNote,
    secret: str,
) -> DocumentData:
    """The documents' data (of the bound policy) as of a version: one member-list row per
    segment that covers any day, by certificate number and start — a member who changed
    has one with the old terms to the day before and one with the new; a member who left
    keeps theirs to the last day covered — with the version's totals and its member lines
    summed by cover, country and class. The bound quote's adjustment lines (minimum
    premiums) are in every version."""
    numbers = certificate_numbers(t.segment for t in terms)
    covered = sorted(
        (t for t in terms if t.segment.start <= t.segment.end),
        key=lambda t: (numbers[t.segment.member.member_id], t.segment.start),
    )
    quotes = [_member_quote(t) for t in covered]
    quote = msgspec.structs.replace(
        data.quote,
        members=quotes,
        headcount=len({q.member_id for q in quotes}),
        total_premium=premium,
        total_vat=vat,
        summary=_summary(quotes, data.quote.summary, data.tariff),
    )
    rows = [
        member_row(
            i,
            numbers[q.member_id],
            q,
            t.segment.member,
            data.plans,
            data.tariff,
            data.policy_number,
            secret,
            data.policy_id,
        )
        for i, (q, t) in enumerate(zip(quotes, covered, strict=True), start=1)
    ]
    codes = sorted({q.country for q in quotes})
    countries = [
        (c, data.tariff.countries[i].name_zh, data.tariff.countries[i].name_en)
        for c in codes
        for i in (data.tariff.country_index[c],)
    ]
    return dataclasses.replace(data, quote=quote, members=rows, countries=countries, version=note)


def certificates_per_member(data: DocumentData) -> DocumentData:
    """One certificate per member (of a version's data), by certificate number: the terms
    of the member's last segment, covered from the first day of the unbroken cover that
    ends with it (a change of site or class does not break cover; leaving and joining
    again does)."""
    by_member: dict[str, list[MemberRow]] = {}
    for row in data.members:
        by_member.setdefault(row.quote.member_id, []).append(row)
    out = []
    for rows in by_member.values():
        rows.sort(key=lambda r: r.quote.start)
        start = rows[-1].quote.start
        for earlier in reversed(rows[:-1]):
            if earlier.quote.end + dt.timedelta(days=1) != start:
                break
            start = earlier.quote.start
        last = rows[-1]
        out.append(
            dataclasses.replace(last, quote=msgspec.structs.replace(last.quote, start=start))
        )
    out.sort(key=lambda r: r.certificate_number)
    return dataclasses.replace(data, members=out)


def certificates_from(data: DocumentData, member_ids: set[str], first_day: dt.date) -> DocumentData:
    """The certificates of the members ``member_ids`` whose cover starts on ``first_day``
    (those an endorsement added, or changed to new terms, from its effective date), in
    certificate number order."""
    rows = [
        r for r in data.members if r.quote.member_id in member_ids and r.quote.start == first_day
    ]
    rows.sort(key=lambda r: r.certificate_number)
    return dataclasses.replace(data, members=rows)
