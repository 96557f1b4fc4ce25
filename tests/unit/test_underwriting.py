"""Underwriting rules as plain functions over the tariff model (no pricing, no request)."""

from __future__ import annotations

import datetime as dt

import pytest

from quoting.tariff import Tariff
from quoting.underwriting import (
    adjustment_beyond_maximum,
    adjustment_referral,
    backdated_referral,
    experience_discount_referral,
    quote_status,
)


@pytest.mark.parametrize(
    ("accepted", "referrals", "status"),
    [(0, 0, "declined"), (0, 2, "declined"), (5, 0, "accepted"), (5, 1, "referred")],
)
def test_quote_status(accepted: int, referrals: int, status: str) -> None:
    assert quote_status(accepted, referrals) == status


@pytest.mark.parametrize(
    ("adjustment", "refers", "refused"),
    [(0.10, False, False), (-0.10, False, False), (0.1001, True, False), (-0.30, True, False)],
)
def test_adjustment_authority_of_the_shipped_tariff(
    tariff: Tariff, adjustment: float, refers: bool, refused: bool
) -> None:
    # The shipped tariff: ±10 % automatic, ±30 % at most.
    assert bool(adjustment_referral(adjustment, tariff.params)) is refers
    assert (adjustment_beyond_maximum(adjustment, tariff.params) is not None) is refused


def test_an_adjustment_beyond_the_maximum_is_refused(tariff: Tariff) -> None:
    assert adjustment_beyond_maximum(0.31, tariff.params) == "+0.31 is beyond the maximum of ±0.3"


def test_backdated_period_is_judged_on_the_business_date() -> None:
    today = dt.date(2027, 1, 10)
    assert backdated_referral(dt.date(2027, 1, 10), today) == []
    [referral] = backdated_referral(dt.date(2027, 1, 1), today)
    assert referral.code == "backdated_period"


def test_experience_discount_at_the_threshold_stays_automatic(tariff: Tariff) -> None:
    threshold = tariff.params.experience.refer_discount
    assert experience_discount_referral(tariff.params, 1.0 - threshold) == []
    assert experience_discount_referral(tariff.params, None) == []
    [referral] = experience_discount_referral(tariff.params, 1.0 - threshold - 0.01)
    assert referral.code == "experience_discount"
