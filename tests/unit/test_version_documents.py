"""The documents' data as of a policy version, without HTTP or a database: version 1
rebuilt from its segments prints what the bound quote prints; after a member leaves, the
version's totals are the sum of its rows and the certificates keep their numbers; and
the pure rules of a claim correction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quoting.documents import (
    DocumentData,
    SegmentTerms,
    VersionNote,
    certificate_numbers,
    certificates_per_member,
    render_html,
    version_data,
)
from quoting.policies import check_correction, refund, version_one, version_total_cents
from quoting.pricing import cents_to_text
from quoting.schemas import ClaimCorrection, ClaimValues, VersionMember
from quoting.services import decode_request
from tests.support import ROOT, TARIFF_DIR
from tests.unit.test_documents import data_for, priced

SMALL = ROOT / "examples" / "small_request.json"


@pytest.fixture(scope="module")
def bound() -> tuple[DocumentData, list[VersionMember], tuple[int, int]]:
    request = decode_request(SMALL.read_bytes(), tariff_root=TARIFF_DIR)
    quote = priced(request)
    segments = version_one(request, quote)
    members = version_total_cents(segments, (0, 0))
    adjustments = (
        int(Decimal(quote.total_premium) * 100) - members[0],
        int(Decimal(quote.total_vat) * 100) - members[1],
    )
    return data_for(request, quote), segments, adjustments


def terms(data: DocumentData, segments: list[VersionMember]) -> list[SegmentTerms]:
    by_id = {m.member_id: m for m in data.quote.members}
    return [
        SegmentTerms(
            segment=s,
            country=s.country_code or "",
            plan=s.plan or "",
            occupation_class=by_id[s.member.member_id].occupation_class,
            age=by_id[s.member.member_id].age,
        )
        for s in segments
    ]


def as_of(
    data: DocumentData, segments: list[VersionMember], adjustments: tuple[int, int], n: int
) -> DocumentData:
    premium, vat = version_total_cents(segments, adjustments)
    return version_data(
        data,
        terms(data, segments),
        premium=cents_to_text(premium),
        vat=cents_to_text(vat),
        note=VersionNote(number=n, latest=n, endorsement=f"GA-E{n - 1:02d}"),
        secret="",  # as data_for makes the bound documents
    )


def test_version_one_from_its_segments_prints_what_the_bound_quote_prints(
    bound: tuple[DocumentData, list[VersionMember], tuple[int, int]],
) -> None:
    data, segments, adjustments = bound
    again = as_of(data, segments, adjustments, 1)
    assert again.quote.total_premium == data.quote.total_premium
    assert again.quote.total_vat == data.quote.total_vat
    assert again.quote.summary.by_cover == data.quote.summary.by_cover
    assert [(m.certificate_number, m.verification_code) for m in again.members] == [
        (m.certificate_number, m.verification_code) for m in data.members
    ]
    assert again.countries == data.countries


def test_a_member_who_left_keeps_their_row_and_the_totals_are_its_sum(
    bound: tuple[DocumentData, list[VersionMember], tuple[int, int]],
) -> None:
    data, segments, adjustments = bound
    # E002 leaves on 1 July: their last covered day is 30 June, 181 of 365 days used.
    ended, lines = refund(segments[1], dt.date(2027, 7, 1), retention=0.0, withheld=False)
    version = [segments[0], ended]
    shown = as_of(data, version, adjustments, 2)
    paid = Decimal(segments[1].premium)
    back = -sum(Decimal(x.premium) for x in lines)
    # Hand check of the refund: paid × 184 unused / 365 covered days, per line.
    assert abs(back - paid * 184 / 365) <= Decimal("0.01") * len(lines)
    rows = {(m.quote.member_id, m.quote.end) for m in shown.members}
    assert rows == {("E001", dt.date(2027, 12, 31)), ("E002", dt.date(2027, 6, 30))}
    by_cover = sum(Decimal(r.premium) for r in shown.quote.summary.by_cover)
    adjusted = by_cover + sum(Decimal(a.premium) for a in shown.quote.adjustments)
    assert adjusted == Decimal(shown.quote.total_premium)
    assert Decimal(shown.quote.total_premium) == Decimal(data.quote.total_premium) - back
    html = render_html("policy-schedule", shown)
    assert "Version 2 of 2, following endorsement GA-E01" in html


def test_certificate_numbers_never_change_as_versions_grow(
    bound: tuple[DocumentData, list[VersionMember], tuple[int, int]],
) -> None:
    data, segments, adjustments = bound
    effective = dt.date(2027, 9, 15)
    old, _ = refund(segments[0], effective, retention=0.0, withheld=False)
    moved = VersionMember(
        member=segments[0].member,
        start=effective,
        end=segments[0].end,
        term_days=108,
        premium="10.00",
        vat="0.57",
        lines=segments[0].lines[:1],
        plan=segments[0].plan,
        country_code=segments[0].country_code,
    )
    version = [old, segments[1], moved]
    assert certificate_numbers(version) == certificate_numbers(segments) == {"E001": 1, "E002": 2}
    shown = certificates_per_member(as_of(data, version, adjustments, 2))
    # One certificate each; E001's cover is unbroken from 1 January across the change.
    assert [(m.certificate_number[-5:], m.quote.start) for m in shown.members] == [
        ("00001", dt.date(2027, 1, 1)),
        ("00002", dt.date(2027, 1, 1)),
    ]


BEFORE = ClaimValues(paid="0.00", outstanding="1500.00", status="open")


def test_a_correction_replaces_the_values_given_and_keeps_the_rest() -> None:
    after, problems = check_correction(BEFORE, ClaimCorrection(paid=Decimal("200.5")))
    assert problems == [] and after == ClaimValues(
        paid="200.50", outstanding="1500.00", status="open"
    )
    closed, problems = check_correction(
        BEFORE, ClaimCorrection(outstanding=Decimal(0), status="closed")
    )
    assert problems == [] and closed.status == "closed" and closed.outstanding == "0.00"


@pytest.mark.parametrize(
    ("correction", "where", "code"),
    [
        (ClaimCorrection(), (), "claim.correction_empty"),
        (ClaimCorrection(paid=Decimal("-0.01")), ("paid",), "claim.amount_range"),
        (ClaimCorrection(outstanding=Decimal("1.234")), ("outstanding",), "claim.amount_cents"),
        (ClaimCorrection(status="closed"), ("status",), "claim.close_with_outstanding"),
        (
            ClaimCorrection(status="closed", outstanding=Decimal(1)),
            ("outstanding",),
            "claim.closed_outstanding",
        ),
    ],
)
def test_a_bad_correction_names_its_field(
    correction: ClaimCorrection, where: tuple[str, ...], code: str
) -> None:
    kept, problems = check_correction(BEFORE, correction)
    assert [(p.path, p.code) for p in problems] == [(where, code)]
    assert kept == BEFORE  # a refused correction changes nothing
