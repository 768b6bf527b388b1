"""Exact money: parse yuan amounts written the way project records write them.

Amounts are ``Decimal`` yuan, never float: a threshold such as 500,000 yuan (含) must compare
exactly. Accepted spellings: ``480000``, ``"480000"``, ``"480,000元"``, ``"48万元"``, ``"48.5万"``,
``"0.5亿元"``. A negative, non-finite or non-numeric amount is an error; an amount with more than
two decimals of a yuan (below one fen) is refused rather than rounded silently.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_UNITS: dict[str, Decimal] = {"": Decimal(1), "元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000),
                              "亿": Decimal(100_000_000), "亿元": Decimal(100_000_000)}
_AMOUNT = re.compile(r"^\s*(?:人民币|￥|¥)?\s*([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万元|万|亿元|亿|元)?\s*$")
FEN = Decimal("0.01")
#: Larger than any municipal IT budget by orders of magnitude; guards against unit slips.
MAX_AMOUNT = Decimal("1e12")


class MoneyFormatError(ValueError):
    """An amount that is not a valid, non-negative yuan figure."""


def parse_money(value: object) -> Decimal:
    """Return ``value`` as exact ``Decimal`` yuan.

    >>> parse_money("48.5万")
    Decimal('485000.0')
    >>> parse_money(500000)
    Decimal('500000')
    """
    if isinstance(value, bool):
        raise MoneyFormatError("an amount must be a number of yuan, not true/false")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # repr() gives the shortest string that round-trips: 0.1 stays 0.1, not 0.1000000000000000055...
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        if value.strip().startswith(("-", "－")):
            raise MoneyFormatError(f"an amount cannot be negative (`{value}`)")
        match = _AMOUNT.match(value)
        if match is None:
            raise MoneyFormatError(
                f"`{value}` is not an amount: write yuan as 480000, \"480,000元\", \"48万元\" or \"48.5万\"")
        digits, unit = match.group(1), match.group(2) or ""
        if "," in digits or "，" in digits:
            groups = re.split(r"[,，]", digits.split(".")[0])
            if any(len(g) != 3 for g in groups[1:]) or not 1 <= len(groups[0]) <= 3:
                raise MoneyFormatError(f"`{value}`: thousands separators must group three digits")
            digits = digits.replace(",", "").replace("，", "")
        try:
            amount = Decimal(digits) * _UNITS[unit]
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
            raise MoneyFormatError(f"`{value}` is not an amount") from exc
    else:
        raise MoneyFormatError(f"an amount must be a number or a string, not {type(value).__name__}")
    if not amount.is_finite():
        raise MoneyFormatError("an amount must be finite")
    if amount < 0:
        raise MoneyFormatError(f"an amount cannot be negative ({amount})")
    if amount > MAX_AMOUNT:
        raise MoneyFormatError(f"{amount} yuan is beyond any plausible project amount (check the unit)")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(FEN):
        raise MoneyFormatError(f"{amount} yuan has more precision than one fen (0.01)")
    return amount


def parse_ratio(value: object) -> Decimal:
    """Return a ratio as exact ``Decimal``; accepts ``0.08``, ``"0.08"`` and ``"8%"``."""
    if isinstance(value, bool):
        raise MoneyFormatError("a ratio must be a number, not true/false")
    if isinstance(value, str):
        text = value.strip()
        try:
            ratio = Decimal(text[:-1]) / 100 if text.endswith(("%", "％")) else Decimal(text)
        except InvalidOperation as exc:
            raise MoneyFormatError(f"`{value}` is not a ratio: write 0.08 or \"8%\"") from exc
    elif isinstance(value, float):
        ratio = Decimal(repr(value))
    elif isinstance(value, int | Decimal):
        ratio = Decimal(value)
    else:
        raise MoneyFormatError(f"a ratio must be a number or a string, not {type(value).__name__}")
    if not ratio.is_finite() or ratio < 0:
        raise MoneyFormatError(f"a ratio must be finite and not negative ({value})")
    return ratio
