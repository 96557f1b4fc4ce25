"""The plan presets of the new-quote form are valid plans under the tariff: each prices
as given, is not referred for its amounts, and names only covers of the tariff."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from quoting.plans import COVER_FIELDS, PRESETS, preset
from quoting.schemas import PlanCovers, QuoteRequest
from quoting.services.quotation import quote_request
from quoting.tariff.registry import tariff_in_force
from quoting.web.pages._quote_form import GridRow, PlanForm, QuoteForm
from tests.support import TARIFF_DIR

TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize("found", PRESETS, ids=lambda p: p.key)
def test_each_preset_prices_as_given_without_a_referral(found: object) -> None:
    """Through the form's own request builder, as the page sends it."""
    plan = preset(found.key)  # type: ignore[attr-defined]
    form = QuoteForm(
        policyholder_name="中路海外工程建设有限公司",
        credit_code="91110000MA01ABCD52",
        period_start="2027-01-01",
        period_end="2027-12-31",
        plans=[PlanForm.from_preset(plan, "zh_Hans_CN")],
        # Class 6 is referred by the tariff whatever the plan (auto_max_class = 5).
        grid=[GridRow("KE", str(c), "30-39", "8") for c in plan.classes if c <= 5],
    )
    request, _ = form.request()
    quote = quote_request(
        msgspec.json.decode(msgspec.json.encode(request), type=QuoteRequest),
        tariff_root=TARIFF_DIR,
        today=TODAY,
        trace=False,
    )
    assert quote.status == "accepted", quote.referrals
    assert quote.headcount == 8 * len([c for c in plan.classes if c <= 5])
    assert {c.key for c in quote.summary.by_cover} == set(plan.covers)


def test_preset_amounts_are_within_the_automatic_limits_and_fields_match_the_schema() -> None:
    covers = tariff_in_force(TODAY, TARIFF_DIR).params.covers
    assert set(COVER_FIELDS) == set(PlanCovers.__struct_fields__)
    for found in PRESETS:
        for code, amounts in found.covers.items():
            assert set(amounts) == {f.name for f in COVER_FIELDS[code]}, (found.key, code)
            first = COVER_FIELDS[code][0].name  # the amount the automatic limit bounds
            assert float(amounts[first]) <= covers[code].auto_limit, (found.key, code)


def test_presets_are_named_in_both_languages() -> None:
    assert [(p.name_zh, p.name_en) for p in PRESETS] == [
        ("管理人员", "Office and management"),
        ("现场人员", "Site workers"),
        ("全面保障", "Full package"),
    ]
    with pytest.raises(KeyError):
        preset("nothing")
