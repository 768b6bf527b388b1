"""Exact money: parse yuan amounts written the way project records write them.

Amounts are ``Decimal`` yuan, never float: a threshold such as 500,000 yuan (含) must compare
exactly. Accepted spellings: ``480000``, ``"480000"``, ``"480,000元"``, ``"48万元"``, ``"48.5万"``,
``"0.5亿元"``. A negative, non-finite or non-numeric amount is an error; an amount with more than
two decimals of a yuan (below one fen) is refused rather than rounded silently.

Both parsers bound what they return: a value is finite, not negative (``-0.0`` included), no larger
than a plausible maximum and no finer than a fixed number of decimal places, and it is returned with
an exponent in that range, so ``0E-999999999`` becomes ``0.00`` instead of a billion characters when
a verdict writes it out.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

from govrules.errors import MoneyFormatError as MoneyFormatError  # a GovrulesError, still importable from here
from govrules.printable import shorten

_UNITS: dict[str, Decimal] = {"": Decimal(1), "元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000),
                              "亿": Decimal(100_000_000), "亿元": Decimal(100_000_000)}
#: The longest amount or ratio written as text (spaces included): ``"人民币 1,000,000,000,000.00 元"`` is 29.
#: Checked before any pattern runs, so that a hostile value costs time in proportion to this, not to itself.
MAX_TEXT = 100
# Matched (fullmatch) against the stripped text: no pattern starts or ends with spaces, and no two runs
# that can match the same characters follow one another, so a match or a failure takes linear time.
_AMOUNT = re.compile(r"(?:人民币|￥|¥)?\s*([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万元|万|亿元|亿|元)?")
FEN = Decimal("0.01")
#: Larger than any municipal IT budget by orders of magnitude; guards against unit slips.
MAX_AMOUNT = Decimal("1e12")
#: Ratios (and the counts of days, months, years parsed with them): far above any real one.
MAX_RATIO = Decimal("1e6")
#: Decimal places a ratio may have (``"8.5%"`` is 0.085: three); 28 is the precision of Decimal arithmetic.
RATIO_PLACES = 28
_RATIO = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([%％])?")
#: Enough precision to quantize any bounded value exactly.
_WIDE = Context(prec=60)


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
        text = _bounded(value, "an amount")
        if text.startswith(("-", "－")):
            raise MoneyFormatError(f"an amount cannot be negative (`{shorten(value)}`)")
        match = _AMOUNT.fullmatch(text)
        if match is None:
            raise MoneyFormatError(f"`{shorten(value)}` is not an amount: write yuan as 480000, \"480,000元\", "
                                   "\"48万元\" or \"48.5万\"")
        digits, unit = match.group(1), match.group(2) or ""
        if "," in digits or "，" in digits:
            groups = re.split(r"[,，]", digits.split(".")[0])
            if any(len(g) != 3 for g in groups[1:]) or not 1 <= len(groups[0]) <= 3:
                raise MoneyFormatError(f"`{shorten(value)}`: thousands separators must group three digits")
            digits = digits.replace(",", "").replace("，", "")
        try:
            amount = Decimal(digits) * _UNITS[unit]
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
            raise MoneyFormatError(f"`{shorten(value)}` is not an amount") from exc
    else:
        raise MoneyFormatError(f"an amount must be a number or a string, not {type(value).__name__}")
    if not amount.is_finite():
        raise MoneyFormatError("an amount must be finite")
    if amount.is_signed():
        raise MoneyFormatError(f"an amount cannot be negative ({_short(amount)})")
    if amount > MAX_AMOUNT:
        raise MoneyFormatError(f"{_short(amount)} yuan is beyond any plausible project amount (check the unit)")
    exact = _within_places(amount, 2)
    if exact is None:
        raise MoneyFormatError(f"{_short(amount)} yuan has more precision than one fen (0.01)")
    return exact


def parse_ratio(value: object) -> Decimal:
    """Return a ratio as exact ``Decimal``; accepts ``0.08``, ``"0.08"`` and ``"8%"``.

    A string is ASCII digits with an optional fraction and ``%``: no sign, exponent, ``_`` or
    full-width digits (which :class:`~decimal.Decimal` itself would accept).

    >>> parse_ratio("8.5%")
    Decimal('0.085')
    """
    if isinstance(value, bool):
        raise MoneyFormatError("a ratio must be a number, not true/false")
    if isinstance(value, str):
        text = _bounded(value, "a ratio")
        if text.startswith(("-", "－")):
            raise MoneyFormatError(f"a ratio cannot be negative (`{_short(value)}`)")
        match = _RATIO.fullmatch(text)
        if match is None:
            raise MoneyFormatError(f"`{_short(value)}` is not a ratio: write 0.08 or \"8%\"")
        digits, percent = match.groups()
        if len(digits) > 40:
            raise MoneyFormatError(f"`{_short(value)}` has too many digits for a ratio")
        ratio = Decimal(digits)
        if percent:
            ratio = ratio.scaleb(-2, _WIDE)  # exact: moves the decimal point, never rounds
    elif isinstance(value, float):
        ratio = Decimal(repr(value))
    elif isinstance(value, int | Decimal):
        ratio = Decimal(value)
    else:
        raise MoneyFormatError(f"a ratio must be a number or a string, not {type(value).__name__}")
    if not ratio.is_finite() or ratio.is_signed():
        raise MoneyFormatError(f"a ratio must be finite and not negative ({_short(value)})")
    if ratio > MAX_RATIO:
        raise MoneyFormatError(f"{_short(ratio)} is beyond any plausible ratio or count (at most {MAX_RATIO})")
    exact = _within_places(ratio, RATIO_PLACES)
    if exact is None:
        raise MoneyFormatError(f"{_short(ratio)} has more than {RATIO_PLACES} decimal places")
    return exact


#: Parameter units that count whole days, months, years or items.
COUNT_UNITS = frozenset({"days", "working_days", "months", "years", "count"})


def parse_count(value: object) -> Decimal:
    """Return a count (of days, months, years, items) as a whole, positive ``Decimal``.

    ``5.9`` days, ``0``, ``0.5`` and ``"50%"`` are refused rather than truncated or read as a ratio:
    a period of 5.9 days has no due date the measure would recognise.

    >>> parse_count("5")
    Decimal('5')
    """
    if isinstance(value, str) and _bounded(value, "a count").endswith(("%", "％")):
        raise MoneyFormatError(f"`{shorten(value)}` is not a count: write a whole number such as 5, not a percentage")
    count = parse_ratio(value)
    if count != count.to_integral_value():
        raise MoneyFormatError(f"`{shorten(value)}` is not a whole number: a count of days, months, years or items "
                               "is written without a fraction")
    if count < 1:
        raise MoneyFormatError(f"`{shorten(value)}`: a count of days, months, years or items is at least 1")
    return count.quantize(Decimal(1))


def parse_parameter(unit: str, value: object) -> Decimal:
    """A parameter's value given by a user, read as its ``unit`` says: yuan (``CNY``), a ratio, or a count."""
    if unit == "CNY":
        return parse_money(value)
    if unit in COUNT_UNITS:
        return parse_count(value)
    return parse_ratio(value)


def _within_places(value: Decimal, places: int) -> Decimal | None:
    """``value`` with at most ``places`` decimals, or None if that would change it.

    ``value`` is finite and bounded, so quantizing at 60 digits of precision is exact. Values that
    already have no more decimals are returned as they are (``Decimal("485000.0")`` stays so).
    """
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= -places:
        return value
    quantized = value.quantize(Decimal(1).scaleb(-places), context=_WIDE)
    return quantized if quantized == value else None


def _bounded(value: str, what: str) -> str:
    """``value`` stripped of surrounding spaces, refused first if it is longer than :data:`MAX_TEXT`."""
    if len(value) > MAX_TEXT:
        raise MoneyFormatError(f"`{shorten(value)}` is too long for {what} (at most {MAX_TEXT} characters)")
    return value.strip()


_short = shorten
