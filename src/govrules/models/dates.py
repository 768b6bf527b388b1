"""Reading a calendar date from text: ``YYYY-MM-DD`` and nothing else.

``date.fromisoformat`` also reads ``20250101`` and ISO weeks (``2025-W01-1`` is 2024-12-30), so a
record, a fact, a parameter or ``--as-of`` could name some other day than its writer meant. Every
date read from user text goes through :func:`parse_date`, which takes exactly four, two and two ASCII
digits, and says whether a refused date is written wrongly or names a day that does not exist.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from govrules.printable import shorten

_YYYY_MM_DD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_date(text: str) -> dt.date:
    """``text`` (surrounding spaces aside) as a date written ``YYYY-MM-DD``; ``ValueError`` otherwise.

    >>> parse_date("2025-03-01")
    datetime.date(2025, 3, 1)
    """
    if len(text) > 40:  # spaces around a date: a longer text is no date, and is not scanned further
        raise ValueError(f"`{shorten(text)}` is not a date: write YYYY-MM-DD")
    match = _YYYY_MM_DD.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"`{shorten(text)}` is not a date: write YYYY-MM-DD")
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        raise ValueError(f"`{text.strip()}` is not a date: the year 0000 does not exist (years start at 0001)")
    if not 1 <= month <= 12:
        raise ValueError(f"`{text.strip()}` is not a date: the month {month:02d} does not exist")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(f"`{text.strip()}` is not a date: the day does not exist "
                         f"({year:04d}-{month:02d} has {last} days)")
    return dt.date(year, month, day)
