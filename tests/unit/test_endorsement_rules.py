"""The pure endorsement rules and the engine's days mode, without a store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from quoting.policies import endorsement_number, refund
from quoting.pricing import price
from quoting.rating_input import resolve
from quoting.schemas import CensusMember, VersionLine, VersionMember
from quoting.tariff.registry import tariff_in_force
from tests.support import TARIFF_DIR, make_request

YEAR = (dt.date(2027, 1, 1), dt.date(2027, 12, 31))


def segment(*lines: tuple[str, str, str]) -> VersionMember:
    member = CensusMember(member_id="E001", name="Li Na", country="KE", age=40, occupation_class=2)
    return VersionMember(
        member=member,
        start=YEAR[0],
        end=YEAR[1],
        term_days=0,
        premium="0.00",
        vat="0.00",
        lines=[VersionLine(cover=c, premium=p, vat=v, vat_rate=0.06) for c, p, v in lines],
    )


def test_a_refund_is_the_unused_share_of_each_paid_line_less_the_retention() -> None:
    """Last covered day 30 September: 92 unused days of 365. add 1,000.00 × 92/365 ×
    (1 − 0.25) = 189.041 → 189.04, VAT 189.04 × 0.06/1.06 = 10.70; sdeath 111.64 × 92/365
    × 0.75 = 21.104 → 21.10, VAT 1.19. Net segment: 810.96 + 90.54."""
    paid = segment(("add", "1000.00", "56.60"), ("sdeath", "111.64", "6.32"))
    ended, lines = refund(paid, dt.date(2027, 10, 1), retention=0.25, withheld=False)
    assert [(x.premium, x.vat) for x in lines] == [("-189.04", "-10.70"), ("-21.10", "-1.19")]
    assert ended.end == dt.date(2027, 9, 30) and ended.start == YEAR[0]
    assert [(x.premium, x.vat) for x in ended.lines] == [("810.96", "45.90"), ("90.54", "5.13")]
    assert (ended.premium, ended.vat) == ("901.50", "51.03")


def test_a_member_with_a_claim_gets_no_refund_when_the_tariff_says_so() -> None:
    paid = segment(("add", "1000.00", "56.60"))
    ended, lines = refund(paid, dt.date(2027, 10, 1), retention=0.0, withheld=True)
    assert [(x.premium, x.vat) for x in lines] == [("0.00", "0.00")]
    assert lines[0].factors["withheld_for_claim"] == "yes"
    assert ended.premium == "1000.00" and ended.end == dt.date(2027, 9, 30)


def test_endorsement_numbers_follow_the_policy_number() -> None:
    assert endorsement_number("GA20270000012", 3) == "GA20270000012-E03"


def test_rows_priced_by_days_take_their_annual_line_times_days_over_365() -> None:
    """Two identical members; the second priced by 184 days: its per-member premium is the
    first's annual one × 184/365, line by line, and the first is as without the mode."""
    tariff = tariff_in_force(dt.date(2026, 12, 1), TARIFF_DIR)
    request = make_request(
        {
            "members": [
                {"member_id": m, "name": m, "age": 40, "occupation_class": 2, "country": "RS"}
                for m in ("A", "B")
            ]
        },
        {"add": {"sum_insured": "500000"}, "sdeath": {"sum_insured": "100000"}},
    )
    resolved = resolve(request, tariff, fx_rate=1.0)
    annual = price(resolved.rating, tariff)
    days = dataclasses.replace(resolved.rating, term_days=np.array([0, 184]))
    mixed = price(days, tariff)
    per_member = mixed.trace["premium_per_member"]
    first, second = mixed.line_row == 0, mixed.line_row == 1
    assert np.allclose(per_member[first], annual.trace["premium_per_member"][first])
    assert np.allclose(per_member[second], annual.trace["premium_per_member"][second] * 184 / 365)
    assert np.all(mixed.trace["term_factor"] == 1.0)
    assert "term_days" not in annual.trace


def test_under_accumulation_by_presence_a_row_priced_by_days_is_annual_then_pro_rata() -> None:
    """Tariff 2027.1 counts a site's exposure by presence. Of 40 members on one site the
    last joins on 1 July (184 days): priced by days, it counts as present all period in
    steps 2–6 and then pays 184/365 of that annual premium, so its line is the full-year
    member's × 184/365 (not presence × pro rata twice)."""
    from tests.support import ROOT

    tariff = tariff_in_force(dt.date(2027, 1, 1), ROOT / "tariffs")
    assert tariff.params.accumulation.exposure == "presence"
    people: list[dict[str, object]] = [
        {
            "member_id": f"M{i}",
            "name": "W",
            "age": 40,
            "occupation_class": 3,
            "country": "KE",
            "site": "S",
        }
        for i in range(40)
    ]
    covers = {"add": {"sum_insured": "1000000"}}
    year = resolve(make_request({"members": people}, covers), tariff, fx_rate=1.0)
    people[-1]["start"] = "2027-07-01"
    joined = resolve(make_request({"members": people}, covers), tariff, fx_rate=1.0)
    by_days = dataclasses.replace(joined.rating, term_days=np.array([0] * 39 + [184]))
    annual = price(year.rating, tariff).trace
    mixed = price(by_days, tariff).trace
    assert mixed["accumulation_loading"][39] > 0
    assert np.isclose(mixed["premium_per_member"][39], annual["premium_per_member"][39] * 184 / 365)
    assert np.allclose(mixed["premium_per_member"][:39], annual["premium_per_member"][:39])
