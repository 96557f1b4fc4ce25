"""The cancellation rules without a store: the share of a segment's paid premium each
kind of cancellation refunds, the dates it may take effect, the tariff's scale."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import msgspec
import pytest

from quoting.errors import RequestError, TariffError
from quoting.policies import cancellation_refunds, check_cancellation, refund_share
from quoting.schemas import CensusMember, VersionLine, VersionMember
from quoting.tariff.files import load_tariff
from quoting.tariff.model import DEFAULT_CANCELLATION_SCALE
from quoting.tariff.registry import registry_for
from tests.support import ROOT, TARIFF_DIR

YEAR = (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
SCALE = list(DEFAULT_CANCELLATION_SCALE)


def segment(start: dt.date, end: dt.date, term_days: int = 0) -> VersionMember:
    member = CensusMember(member_id="E001", name="Li Na", country="KE", age=40, occupation_class=2)
    return VersionMember(
        member=member,
        start=start,
        end=end,
        term_days=term_days,
        premium="111.64",
        vat="6.32",
        lines=[VersionLine(cover="sdeath", premium="111.64", vat="6.32", vat_rate=0.06)],
    )


def share(seg: VersionMember, effective: dt.date, initiator: str) -> float:
    return refund_share(seg, effective, initiator, scale=SCALE, bound_scale=SCALE)  # type: ignore[arg-type]


def test_the_default_scale_is_the_usual_short_period_table() -> None:
    """1 month 10 %, … 8 → 80 %, 9 → 85 %, 10 → 90 %, 11 → 95 %, 12 → 100 % earned;
    the published tariffs (no [cancellation] section) carry it."""
    assert SCALE == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]
    versions = {t.version: t for t in registry_for(ROOT / "tariffs").versions()}
    assert {"2026.2", "2027.1"} <= versions.keys()
    for tariff in versions.values():
        assert tariff.params.cancellation.short_period_scale == SCALE


def test_a_full_year_segment_refunds_what_the_scale_leaves_unearned() -> None:
    """Cancelled from 1 July: 1 Jan–30 Jun is 6 months begun → 60 % earned, 40 % back.
    From 16 July: 7 months begun (16 July starts the 7th) → 30 % back. Insurer from
    1 July: 184 unused of 365 days."""
    full = segment(*YEAR)
    assert share(full, dt.date(2027, 7, 1), "policyholder") == pytest.approx(0.40)
    assert share(full, dt.date(2027, 7, 16), "policyholder") == pytest.approx(0.30)
    assert share(full, dt.date(2027, 7, 1), "insurer") == pytest.approx(184 / 365)


def test_a_short_period_segment_is_refunded_on_the_term_it_paid_for() -> None:
    """Bound 1 Jan–30 Jun: 6 months at 60 % of the annual premium. The policyholder
    cancels from 1 March: 2 months begun → 20 % of the annual earned, so 1 − 0.20/0.60
    = 2/3 of the paid premium back. The insurer: 1 Mar–30 Jun = 31+30+31+30 = 122 of
    181 days."""
    half = segment(YEAR[0], dt.date(2027, 6, 30))
    assert share(half, dt.date(2027, 3, 1), "policyholder") == pytest.approx(2 / 3)
    assert share(half, dt.date(2027, 3, 1), "insurer") == pytest.approx(122 / 181)


def test_a_segment_added_by_days_is_refunded_on_its_days_over_365() -> None:
    """Added 1 July for 184 days (paid 184/365 of the annual premium); the policyholder
    cancels from 1 October: 3 months begun → 30 % earned; 1 − 0.30 × 365/184 = 0.404891.
    After 11 months begun the scale (95 %) earns more than it paid: no refund, not a
    negative one."""
    added = segment(dt.date(2027, 7, 1), YEAR[1], term_days=184)
    assert share(added, dt.date(2027, 10, 1), "policyholder") == pytest.approx(1 - 0.3 * 365 / 184)
    late = segment(dt.date(2027, 1, 15), YEAR[1], term_days=351)
    assert share(late, dt.date(2027, 12, 20), "policyholder") == 0.0


def test_segments_over_are_untouched_and_those_not_begun_are_refunded_in_full() -> None:
    over = segment(YEAR[0], dt.date(2027, 3, 31))
    later = msgspec.structs.replace(segment(dt.date(2027, 9, 1), YEAR[1]), term_days=122)
    members, refunds = cancellation_refunds(
        [over, later], dt.date(2027, 7, 1), "policyholder", scale=SCALE, bound_scale=SCALE
    )
    assert members[0] is over and [r.index for r in refunds] == [1]
    assert refunds[0].lines[0].premium == "-111.64" and refunds[0].lines[0].vat == "-6.32"
    assert members[1].end < members[1].start  # never covered
    assert (members[1].premium, members[1].vat) == ("0.00", "0.00")


def test_the_effective_date_lies_in_the_period_from_today_and_after_the_last_change() -> None:
    today = dt.date(2027, 3, 2)
    check_cancellation(dt.date(2027, 3, 2), YEAR, today, dt.date(2027, 3, 2))
    cases = {
        dt.date(2028, 1, 1): "outside the policy period",
        dt.date(2027, 3, 1): "on or after the business date 2027-03-02",
        dt.date(2027, 4, 1): "the latest endorsement takes effect on 2027-05-01",
    }
    for effective, words in cases.items():
        with pytest.raises(RequestError) as raised:
            check_cancellation(effective, YEAR, today, dt.date(2027, 5, 1))
        [problem] = raised.value.problems
        assert problem.path == ("effective",) and words in problem.message


def _with_section(tmp_path: Path, section: str) -> Path:
    folder = tmp_path / "2026.2"
    shutil.copytree(TARIFF_DIR, folder)
    toml = folder / "tariff.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + section, encoding="utf-8")
    return folder


def test_a_future_tariff_states_its_own_scale_and_it_is_checked(tmp_path: Path) -> None:
    own = [0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.9, 0.95, 1.0, 1.0]
    loaded = load_tariff(
        _with_section(tmp_path / "a", f"\n[cancellation]\nshort_period_scale = {own}\n")
    )
    assert loaded.params.cancellation.short_period_scale == own
    bad = [0.2, 0.1, *own[2:]]
    with pytest.raises(TariffError) as raised:
        load_tariff(
            _with_section(tmp_path / "b", f"\n[cancellation]\nshort_period_scale = {bad}\n")
        )
    [problem] = raised.value.problems
    assert problem.location == "tariff.toml [cancellation.short_period_scale]"
    assert "must not decrease" in problem.message
    with pytest.raises(TariffError) as raised:
        load_tariff(_with_section(tmp_path / "c", "\n[cancellation]\nshort_period_scale = [0.5]\n"))
    assert "cancellation" in raised.value.problems[0].location
