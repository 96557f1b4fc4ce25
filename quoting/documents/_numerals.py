"""An amount in Chinese capital numerals (大写金额), as a policy and an invoice state the
premium: ``人民币陆拾柒万零陆佰伍拾壹元玖角肆分``.

The rules are those of the People's Bank of China for amounts in words (《支付结算办法》
附一《正确填写票据和结算凭证的基本规定》): 壹拾 is written in full, one 零 stands for any run of
zeros inside the amount, 零 comes before the 分 when there are no 角, and an amount without
分 ends in 整. Pure: a decimal in, text out.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["capital_amount"]

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_GROUPS = ("", "万", "亿", "万亿")
_CURRENCIES = {"CNY": "人民币", "USD": "美元"}


def _group(value: int) -> str:
    """1–9999 in capitals, one 零 for a run of inner zeros (1005 → 壹仟零伍)."""
    out, zero, started = "", False, False
    for digit, place in zip(f"{value:04d}", _PLACES, strict=True):
        if digit == "0":
            zero = started
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[int(digit)] + place
        started = True
    return out


def _integer(value: int) -> str:
    """A whole number of yuan in capitals ('' for 0), by groups of four digits."""
    groups = []
    while value:
        value, group = divmod(value, 10_000)
        groups.append(group)
    if len(groups) > len(_GROUPS):
        raise ValueError("amount too large for capital numerals")
    out, zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero = bool(out)  # a zero group inside the amount: one 零 before the next
            continue
        if out and (zero or group < 1000):
            out += "零"
        out += _group(group) + _GROUPS[index]
        zero = False
    return out


def capital_amount(amount: Decimal | str, currency: str = "CNY") -> str:
    """The amount (rounded to the fen) in capital numerals, after the currency's name."""
    cents = int((Decimal(amount) * 100).to_integral_value(ROUND_HALF_UP))
    sign = "负" if cents < 0 else ""
    yuan, rest = divmod(abs(cents), 100)
    jiao, fen = divmod(rest, 10)
    words = _integer(yuan)
    text = words + "元" if words else ""
    if jiao == 0 and fen == 0:
        text = (text or "零元") + "整"
    elif jiao == 0:
        text += ("零" if words else "") + _DIGITS[fen] + "分"
    else:
        text += _DIGITS[jiao] + "角" + (_DIGITS[fen] + "分" if fen else "整")
    return _CURRENCIES.get(currency, currency) + sign + text
