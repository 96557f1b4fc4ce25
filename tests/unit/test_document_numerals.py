"""Amounts in Chinese capital numerals (大写金额), the policy schedule's premium in words.
Expected values follow the People's Bank of China's rules and its worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quoting.documents._numerals import capital_amount


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # The example's total premium: 67|0651.94 → 陆拾柒万, 零 (the group is < 1,000), 陆佰伍拾壹元.
        ("670651.94", "人民币陆拾柒万零陆佰伍拾壹元玖角肆分"),
        ("107000.53", "人民币壹拾万柒仟元伍角叁分"),  # PBoC example; 壹拾 in full
        ("325.04", "人民币叁佰贰拾伍元零肆分"),  # PBoC example: 零 before 分 without 角
        ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),
        ("100000", "人民币壹拾万元整"),
        ("1000005", "人民币壹佰万零伍元整"),  # a run of zeros is one 零
        ("1005", "人民币壹仟零伍元整"),
        ("1050", "人民币壹仟零伍拾元整"),
        ("16", "人民币壹拾陆元整"),
        ("0.50", "人民币伍角整"),
        ("0.05", "人民币伍分"),
        ("0", "人民币零元整"),
        ("100000000.05", "人民币壹亿元零伍分"),
        ("20000001.10", "人民币贰仟万零壹元壹角整"),
    ],
)
def test_capital_numerals(amount: str, words: str) -> None:
    assert capital_amount(Decimal(amount)) == words


def test_the_currency_is_named_and_the_fen_rounded() -> None:
    assert capital_amount("30000", "USD") == "美元叁万元整"
    assert capital_amount("12.345") == "人民币壹拾贰元叁角伍分"  # half up to the fen
