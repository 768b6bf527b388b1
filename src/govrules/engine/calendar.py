"""Exact deadlines on the Chinese working-day calendar (State Council holiday schedule).

A day is a *working day* when it is a Monday to Friday that is not a public holiday, or when it is a
weekend day that the State Council made a working day (调休, a "make-up" working day).  The schedule
of each year is published by the General Office of the State Council (国务院办公厅关于某年部分节假日
安排的通知) and is not computable in advance.  The exact computations (:meth:`WorkdayCalendar.is_workday`,
:meth:`~WorkdayCalendar.add_working_days`, :meth:`~WorkdayCalendar.working_days_between`) refuse to
guess: a walk that needs a day of a year whose schedule is unknown raises
:class:`govrules.errors.CalendarDataMissing` instead of returning a date that might be wrong.

:meth:`WorkdayCalendar.deadline_after` and :meth:`~WorkdayCalendar.next_working_day` answer such a
walk with a *provisional* :class:`Deadline` instead: the date on the year's weekends and statutory
holidays (:func:`statutory_holidays`, per 《全国年节及纪念日放假办法》), and the interval the true date
must fall in whatever adjustments (调休) the schedule makes near those holidays.  A weekday within
:data:`BRIDGE_REACH` days of a statutory holiday may be given off, a weekend day within
:data:`MAKEUP_REACH` days may be made a working day; counting all of the former as rest days gives the
latest date, all of the latter as working days the earliest (a walk's n-th working day can only move
later when working days are taken away, earlier when they are added).  :func:`schedule_template`
writes a year's schedule file to fill in from the State Council's notice.

Data
----
The schedules of the years covered by the installed ``chinese-calendar`` package are used (read from
``chinese_calendar.constants.holidays`` and ``chinese_calendar.constants.workdays`` the first time a
calendar is asked about a day or a year; nothing is read at import time, nor when a calendar is built).
Further years, or corrections of a covered year, are supplied as :class:`YearSchedule` objects, usually
loaded from a YAML file::

    year: 2027
    holidays:            # dates or inclusive ranges "2027-10-01..2027-10-07"
      - 2027-01-01
      - 2027-10-01..2027-10-07
    workdays:            # weekend days made working days (调休)
      - 2027-09-26

Rules of the file format:

* ``year`` (required): an integer.
* ``holidays`` (required): a list whose entries are a date (``2027-01-01``) or an inclusive range
  written as a string ``"2027-10-01..2027-10-07"``.  These are the rest days that would otherwise be
  working days; the weekend days inside a holiday run may be listed too (they change nothing).
* ``workdays`` (optional, default empty): a list of dates, each a Saturday or a Sunday, that are
  working days.
* Every date must lie in ``year``; no date may be both a holiday and a workday; no date may be listed
  twice; no other key is allowed.  Any violation raises :class:`govrules.errors.CalendarError` with a
  message that names the file and the offending entry.

A supplied year replaces the package's data for that year entirely.

Counting rule
-------------
民法典 第二百零一条: when a period is counted in days, the day on which it starts (the event) is not
counted; counting starts on the next day.  Hence :meth:`WorkdayCalendar.add_working_days` returns the
n-th working day strictly after the event, and :meth:`WorkdayCalendar.working_days_between` counts the
working days in ``(start, end]``.  The two are inverse to each other.

Do not use ``chinese_calendar.find_workday`` (it counts the first working day on or after a rest day
as day 0, one day short) or ``chinese_calendar.get_workdays(include_weekends=False)`` (it drops the
make-up working days).

Calendar-day arithmetic (months, years, anniversaries) is provided by :func:`add_months`,
:func:`add_years` and :func:`annual_date`, built on :mod:`dateutil.relativedelta`.
"""

from __future__ import annotations

import functools
import re
from calendar import monthrange
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from govrules.errors import CalendarDataMissing, CalendarError

__all__ = [
    "BRIDGE_REACH",
    "MAKEUP_REACH",
    "PROVISIONAL_YEARS",
    "Deadline",
    "WorkdayCalendar",
    "YearSchedule",
    "add_months",
    "add_years",
    "annual_date",
    "load_year_schedule",
    "parse_year_schedule",
    "schedule_template",
    "statutory_holidays",
]

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RANGE_SEPARATOR = ".."
_SCHEDULE_KEYS = frozenset({"year", "holidays", "workdays"})
_REQUIRED_KEYS = ("year", "holidays")


def _as_date(value: object, what: str = "day") -> date:
    """``value`` as a plain :class:`date` (a ``datetime`` is truncated to its date)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")


# --------------------------------------------------------------------------------------------------
# Year schedules
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSchedule:
    """The State Council holiday schedule of one year.

    ``holidays`` are the rest days that would otherwise be working days (weekday holidays); weekend
    days inside a holiday run may be listed too.  ``workdays`` are the weekend days made working days
    (调休).  Construction validates the schedule and raises :class:`CalendarError` if a date is not in
    ``year``, a workday is not a Saturday or Sunday, or a date is both a holiday and a workday.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    #: where the schedule was read from (a file path), for :meth:`WorkdayCalendar.year_sources`
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise CalendarError(f"schedule year must be an integer, not {self.year!r}")
        if not date.min.year <= self.year <= date.max.year:
            raise CalendarError(f"schedule year {self.year} is out of range")
        for name in ("holidays", "workdays"):
            days: Iterable[object] = getattr(self, name)
            checked: set[date] = set()
            for day in days:
                if not isinstance(day, date) or isinstance(day, datetime):
                    raise CalendarError(f"schedule {self.year}: {name} entry {day!r} is not a date")
                if day.year != self.year:
                    raise CalendarError(
                        f"schedule {self.year}: {name} entry {day.isoformat()} is not in {self.year}"
                    )
                checked.add(day)
            object.__setattr__(self, name, frozenset(checked))
        for day in sorted(self.workdays):
            if day.weekday() < 5:
                raise CalendarError(
                    f"schedule {self.year}: workday {day.isoformat()} is a {day.strftime('%A')}, "
                    "not a Saturday or Sunday"
                )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise CalendarError(
                f"schedule {self.year}: {both[0].isoformat()} is listed both as a holiday and as a workday"
            )


#: Bounds on a schedule file (:class:`govrules.packs.yaml_io.Limits` fields): a year's schedule is a few
#: dozen lines, a mapping of lists of dates.
SCHEDULE_LIMITS: Mapping[str, int] = {"max_bytes": 100_000, "max_depth": 4, "max_nodes": 5_000,
                                      "max_scalar_chars": 200}

_Where = Callable[..., str]  # (path, key=False) -> 'file:line:col'


def load_year_schedule(path: str | Path) -> YearSchedule:
    """Load and validate a year schedule from the YAML file at ``path`` (format: see module doc).

    The file is read as data only, with the project's hardened YAML reader (:mod:`govrules.packs.yaml_io`):
    within :data:`SCHEDULE_LIMITS` (100 kB, nesting depth 4), no aliases, anchors, merge keys, tags
    or duplicate keys.  Every error raises :class:`CalendarError` whose message starts with
    ``file:line:col``.
    """
    from govrules.packs.yaml_io import Limits, YamlInputError, load_yaml, read_text

    limits = Limits(**SCHEDULE_LIMITS)
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)  # never read more than the limit allows
    except OSError as exc:
        raise CalendarError(f"{source}: cannot read schedule file: {exc}") from exc
    try:
        document = load_yaml(read_text(raw, source, limits), source, limits)
    except YamlInputError as exc:
        first = exc.diagnostics[0]
        at = f"{first.location}: " if first.location else f"{source}: "
        raise CalendarError(f"{at}invalid YAML: {first.message}"
                            + (f" ({first.hint})" if first.hint else "")) from None
    data = document.data

    def where(path: tuple[str | int, ...], key: bool = False) -> str:
        return str(document.locate(path, key=key))

    if not isinstance(data, Mapping):
        raise CalendarError(
            f"{where(())}: a schedule file must be a mapping with keys year, holidays, workdays, "
            f"not {type(data).__name__}"
        )
    schedule = _parse(data, where)
    return YearSchedule(schedule.year, schedule.holidays, schedule.workdays, source=source)


def _show(entry: object) -> str:
    """An entry as the user wrote it, for error messages."""
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return entry.isoformat()
    return repr(entry)


def _parse_date(text: str, where: str, entry: object) -> date:
    text = text.strip()
    if not _ISO_DATE.fullmatch(text):
        raise CalendarError(f"{where} {_show(entry)}: {text!r} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CalendarError(f"{where} {_show(entry)}: {exc}") from exc


def _expand_entry(entry: object, where: str, allow_range: bool) -> list[date]:
    """The dates denoted by one list entry (a date, an ISO string, or an ``a..b`` range string)."""
    if isinstance(entry, datetime):
        raise CalendarError(f"{where} {_show(entry)}: a date is expected, not a date and time")
    if isinstance(entry, date):
        return [entry]
    if not isinstance(entry, str):
        raise CalendarError(
            f"{where} {_show(entry)}: a date"
            + (" or a range 'YYYY-MM-DD..YYYY-MM-DD'" if allow_range else "")
            + f" is expected, not {type(entry).__name__}"
        )
    if _RANGE_SEPARATOR not in entry:
        return [_parse_date(entry, where, entry)]
    if not allow_range:
        raise CalendarError(f"{where} {_show(entry)}: ranges are not allowed here, list each day")
    parts = entry.split(_RANGE_SEPARATOR)
    if len(parts) != 2:
        raise CalendarError(f"{where} {_show(entry)}: a range is written 'YYYY-MM-DD..YYYY-MM-DD'")
    first = _parse_date(parts[0], where, entry)
    last = _parse_date(parts[1], where, entry)
    if last < first:
        raise CalendarError(f"{where} {_show(entry)}: the range ends before it starts")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _parse_list(data: Mapping[str, Any], key: str, year: int, where: _Where, allow_range: bool) -> dict[date, str]:
    """The dates of list ``key``, each mapped to the entry it came from."""
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise CalendarError(f"{where((key,))}: '{key}' must be a list, not {type(raw).__name__}")
    found: dict[date, str] = {}
    for index, entry in enumerate(raw):
        at = f"{where((key, index))}: {key}[{index}]"
        for day in _expand_entry(entry, at, allow_range):
            if day.year != year:
                raise CalendarError(f"{at} {_show(entry)}: {day.isoformat()} is not in year {year}")
            if day in found:
                raise CalendarError(f"{at} {_show(entry)}: {day.isoformat()} is already listed by {found[day]}")
            found[day] = f"{key}[{index}] {_show(entry)}"
    return found


def parse_year_schedule(data: Mapping[str, Any], source: str = "<schedule>") -> YearSchedule:
    """Validate a schedule already loaded from YAML (or built in code) and return it.

    ``source`` names the origin (usually the file path) in error messages.  Raises
    :class:`CalendarError` on any deviation from the format described in the module docstring.
    """
    if not isinstance(data, Mapping):
        raise CalendarError(f"{source}: a schedule must be a mapping, not {type(data).__name__}")
    return _parse(data, lambda _path, key=False: source)


def _parse(data: Mapping[str, Any], where: _Where) -> YearSchedule:
    unknown = sorted(str(key) for key in data if key not in _SCHEDULE_KEYS)
    if unknown:
        raise CalendarError(
            f"{where((unknown[0],), key=True)}: unknown key(s) {', '.join(unknown)}; "
            "allowed keys are year, holidays, workdays"
        )
    for key in _REQUIRED_KEYS:
        if key not in data:
            raise CalendarError(f"{where(())}: missing required key '{key}'")
    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise CalendarError(f"{where(('year',))}: 'year' must be an integer, not {year!r}")
    if not date.min.year <= year <= date.max.year:
        raise CalendarError(f"{where(('year',))}: 'year' {year} is out of range")
    holidays = _parse_list(data, "holidays", year, where, allow_range=True)
    workdays = _parse_list(data, "workdays", year, where, allow_range=False)
    for day, origin in sorted(workdays.items()):
        at = where(("workdays", int(origin.split("[", 1)[1].split("]", 1)[0])))
        if day.weekday() < 5:
            raise CalendarError(
                f"{at}: {origin}: {day.isoformat()} is a {day.strftime('%A')}; "
                "a workday (调休) must be a Saturday or Sunday"
            )
        if day in holidays:
            raise CalendarError(f"{at}: {origin}: {day.isoformat()} is also a holiday ({holidays[day]})")
    return YearSchedule(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays))


# --------------------------------------------------------------------------------------------------
# Statutory holidays, and provisional deadlines for a year without a schedule
# --------------------------------------------------------------------------------------------------

#: The years for which statutory holidays are computed (and so a provisional deadline can be given).
PROVISIONAL_YEARS = range(2000, 2101)
#: How far from a statutory holiday a weekday may be given off (a bridge day, or the day off that
#: makes up for a holiday falling on a weekend), and a weekend day may be made a working day.  These
#: are the largest distances in every published schedule of 2008-2026 (5 days: 2009-10-08, 2020-10-08;
#: 10 days: Saturday 2024-05-11 after 劳动节), so they hold for every year the present law has run;
#: one-off days off by special decision (2015-09-03/04, the 70th anniversary) follow no pattern.
BRIDGE_REACH = 5
MAKEUP_REACH = 10


def _lunar_new_year(year: int) -> date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, 1, 1).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@functools.cache
def _statutory(year: int) -> tuple[tuple[date, str], ...]:
    if year not in PROVISIONAL_YEARS:
        raise CalendarDataMissing(year)
    new_year = _lunar_new_year(year)
    eve = new_year - _ONE_DAY  # 除夕, the last day of the lunar year
    days: list[tuple[date, str]] = [(date(year, 1, 1), "元旦")]
    if year >= 2025:  # 2024 amendment (国务院令第795号): 春节 from 除夕, 劳动节 two days
        spring = [(eve, "春节（除夕）")] + [(new_year + i * _ONE_DAY, f"春节（正月初{'一二三'[i]}）") for i in range(3)]
        labour = [1, 2]
    elif year >= 2014:  # 2013 amendment: 春节 初一 to 初三
        spring = [(new_year + i * _ONE_DAY, f"春节（正月初{'一二三'[i]}）") for i in range(3)]
        labour = [1]
    elif year >= 2008:  # 2007 amendment: 春节 除夕 to 初二, 清明 端午 中秋 added
        spring = [(eve, "春节（除夕）")] + [(new_year + i * _ONE_DAY, f"春节（正月初{'一二'[i]}）") for i in range(2)]
        labour = [1]
    else:  # 1999 amendment: 劳动节 three days, no traditional festivals but 春节
        spring = [(new_year + i * _ONE_DAY, f"春节（正月初{'一二三'[i]}）") for i in range(3)]
        labour = [1, 2, 3]
    days += spring
    if year >= 2008:
        days.append((_qingming(year), "清明节"))
    days += [(date(year, 5, d), "劳动节") for d in labour]
    if year >= 2008:
        days += [(_lunar(year, 5, 5), "端午节"), (_lunar(year, 8, 15), "中秋节")]
    days += [(date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    named: dict[date, str] = {}
    for day, name in days:  # 中秋 may fall on 国庆 (2009, 2020): one day, both names
        named[day] = f"{named[day]}、{name}" if day in named else name
    return tuple(sorted(named.items()))


def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory holidays of ``year`` (《全国年节及纪念日放假办法》), each with its festival's name.

    The law in force that year is used: from 2025 the 2024 amendment (元旦 1 day; 春节 4 days from
    除夕; 清明 1; 劳动节 May 1-2; 端午 1; 中秋 1; 国庆 October 1-3), 2014-2024 the 2013 amendment,
    2008-2013 the 2007 amendment, before that the 1999 text.  Lunar dates and 清明 (the solar term)
    come from the ``lunar_python`` package.  These are the days the State Council's yearly schedule
    always gives off; it adds bridge days and make-up working days (调休) that cannot be computed.
    Years outside :data:`PROVISIONAL_YEARS` raise :class:`CalendarDataMissing`.
    """
    return dict(_statutory(year))


@dataclass(frozen=True)
class _Provisional:
    """Rest-day sets of a year without a schedule: the statutory days, and the days 调休 may change."""

    statutory: frozenset[date]
    bridges: frozenset[date]  # weekdays that may be given off
    makeups: frozenset[date]  # weekend days that may be made working days


@functools.cache
def _provisional(year: int) -> _Provisional:
    statutory = frozenset(d for d, _ in _statutory(year))
    near = [d for y in (year - 1, year + 1) if y in PROVISIONAL_YEARS for d, _ in _statutory(y)]
    anchors = sorted(statutory.union(near))
    bridges: set[date] = set()
    makeups: set[date] = set()
    for anchor in anchors:
        for offset in range(-MAKEUP_REACH, MAKEUP_REACH + 1):
            day = anchor + timedelta(days=offset)
            if day.year != year or day in statutory:
                continue
            if day.weekday() >= 5:
                makeups.add(day)
            elif abs(offset) <= BRIDGE_REACH:
                bridges.add(day)
    return _Provisional(statutory, frozenset(bridges), frozenset(makeups))


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline on the working-day calendar, exact or provisional.

    ``due`` is the date.  When every day it depends on lies in a year whose schedule is known,
    ``earliest == due == latest`` and ``unknown_years`` is empty.  Otherwise ``due`` is computed with
    the weekends and the statutory holidays of the unknown years only (:func:`statutory_holidays`),
    and ``[earliest, latest]`` holds the true date whatever bridge days and make-up working days
    (within :data:`BRIDGE_REACH` and :data:`MAKEUP_REACH` days of a statutory holiday) the State
    Council's schedule of those years turns out to have.
    """

    due: date
    earliest: date
    latest: date
    unknown_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        """Whether the date waits for the State Council's schedule of ``unknown_years``."""
        return bool(self.unknown_years)


_WEEKDAYS = "一二三四五六日"


def schedule_template(year: int) -> str:
    """A schedule file for ``year`` to fill in from the State Council's notice (YAML, format: see the
    module doc), with the statutory holidays of :func:`statutory_holidays` filled in and comments
    saying what to add.  Loaded as it is, it holds the statutory holidays only."""
    groups: list[tuple[date, date, list[str]]] = []
    for day, name in sorted(statutory_holidays(year).items()):
        base = name.split("（", 1)[0]
        if groups and groups[-1][1] + _ONE_DAY == day and groups[-1][2][0].split("（", 1)[0] == base:
            groups[-1] = (groups[-1][0], day, [*groups[-1][2], name])
        else:
            groups.append((day, day, [name]))
    lines = [
        f"# {year}年节假日安排：govrules 工作日日历文件（govrules evaluate --calendar 本文件）",
        "#",
        f"# 已预填《全国年节及纪念日放假办法》规定的{year}年法定节假日。请按《国务院办公厅关于{year}年",
        "# 部分节假日安排的通知》补全调休：",
        "#   holidays: 补上通知中其余的放假日（与周末连休的工作日、补休日），单日写作 YYYY-MM-DD，",
        "#             连续几日可写作区间 \"YYYY-MM-DD..YYYY-MM-DD\"（周末日可一并写入）；",
        "#   workdays: 填写通知中调休上班的星期六、星期日。",
        "# 载入后本年度的工作日即按本文件确切计算（不再推算），请补全后再使用。",
        f"# Fill in from the State Council's notice for {year}: the other days off under holidays,",
        "# the Saturdays and Sundays worked under workdays.",
        f"year: {year}",
        "holidays:",
    ]
    for first, last, names in groups:
        if first == last:
            entry, label = first.isoformat(), names[0]
            when = f"星期{_WEEKDAYS[first.weekday()]}"
        else:
            entry = f'"{first.isoformat()}..{last.isoformat()}"'
            base = names[0].split("（", 1)[0]
            parts = [n.split("（", 1)[1].rstrip("）") for n in (names[0], names[-1]) if "（" in n]
            label = f"{base}（{parts[0]}至{parts[1]}）" if len(parts) == 2 else base
            when = f"星期{_WEEKDAYS[first.weekday()]}至星期{_WEEKDAYS[last.weekday()]}"
        lines.append(f"  - {entry:<26} # {label}，{when}")
    lines += [
        "  # 调休放假日，照通知补上，例如：",
        f'  # - "{year}-10-04..{year}-10-07"',
        "workdays: []",
        "  # 调休上班的星期六、星期日，照通知填写（把上一行改为 workdays:），例如：",
        f"  # - {year}-09-26",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]


@functools.cache
def _package_tables() -> _Tables:
    """The chinese-calendar data as frozensets (built once, on first use)."""
    from chinese_calendar import constants

    holidays = frozenset(_as_date(d, "chinese_calendar holiday") for d in constants.holidays)
    workdays = frozenset(_as_date(d, "chinese_calendar workday") for d in constants.workdays)
    present = {d.year for d in holidays | workdays}
    if not present:  # pragma: no cover - a broken installation
        return _Tables(frozenset(), frozenset(), frozenset())
    # chinese-calendar supports exactly the years from its first to its last table year; a year is
    # covered only if the tables hold data for it (every published schedule has a New Year holiday).
    years = frozenset(y for y in range(min(present), max(present) + 1) if y in present)
    return _Tables(holidays, workdays, years)


class WorkdayCalendar:
    """Working days per the State Council schedule, plus years supplied by the user.

    Instances are immutable: :meth:`with_year` returns a new calendar.  The schedule data of the
    installed ``chinese-calendar`` package is always included; a year in ``extra_years`` replaces the
    package data of that year (or adds a year the package does not know).
    """

    __slots__ = ("_added", "_excluded", "_extra", "_holidays", "_provisional", "_workdays", "_years")

    def __init__(self, extra_years: Mapping[int, YearSchedule] | None = None, *,
                 exclude_years: Iterable[int] = ()) -> None:
        self._added: dict[tuple[date, int], date] = {}  # add_working_days answers: the walk is ~1 µs a day
        self._provisional: dict[tuple[date, int], Deadline] = {}
        extra: dict[int, YearSchedule] = {}
        for year, schedule in (extra_years or {}).items():
            if not isinstance(schedule, YearSchedule):
                raise TypeError(
                    f"extra_years[{year!r}] must be a YearSchedule, not {type(schedule).__name__}"
                )
            if schedule.year != year:
                raise CalendarError(f"extra_years[{year!r}] holds the schedule of {schedule.year}")
            extra[year] = schedule
        self._extra: Mapping[int, YearSchedule] = extra
        # Years of the package's data left out (as if the package did not know them): to see what a
        # deadline would be before a schedule is published.  A year in extra_years is kept.
        self._excluded = frozenset(exclude_years)
        # The tables are built on first use (the package's data is read then): a verdict that counts
        # no working days does not pay for importing it.
        self._holidays: frozenset[date] | None = None
        self._workdays: frozenset[date] = frozenset()
        self._years: frozenset[int] = frozenset()

    def _tables(self) -> frozenset[int]:
        """The covered years, the tables built first if they are not yet."""
        if self._holidays is None:
            base = _package_tables()
            extra = self._extra
            replaced = self._excluded | frozenset(extra)
            if not replaced:
                self._workdays = base.workdays
                self._years = base.years
                self._holidays = base.holidays
            else:
                self._workdays = frozenset(
                    {d for d in base.workdays if d.year not in replaced}.union(*(s.workdays for s in extra.values()))
                )
                self._years = (base.years - self._excluded) | frozenset(extra)
                self._holidays = frozenset(
                    {d for d in base.holidays if d.year not in replaced}.union(*(s.holidays for s in extra.values()))
                )
        return self._years

    @classmethod
    def default(cls) -> WorkdayCalendar:
        """The shared calendar built from the installed chinese-calendar data (created on first use)."""
        return _default_calendar()

    def with_year(self, schedule: YearSchedule) -> WorkdayCalendar:
        """A new calendar that also holds ``schedule`` (replacing this calendar's data for its year)."""
        if not isinstance(schedule, YearSchedule):
            raise TypeError(f"schedule must be a YearSchedule, not {type(schedule).__name__}")
        return WorkdayCalendar({**self._extra, schedule.year: schedule}, exclude_years=self._excluded)

    def covers(self, year: int) -> bool:
        """Whether the holiday schedule of ``year`` is known."""
        return year in self._tables()

    @property
    def covered_years(self) -> range | frozenset[int]:
        """The years whose schedule is known: a ``range`` when they are contiguous, else a frozenset."""
        years = self._tables()
        if not years:
            return range(0)
        low, high = min(years), max(years)
        if len(years) == high - low + 1:
            return range(low, high + 1)
        return years

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; raises :class:`CalendarDataMissing` if its year is unknown."""
        day = _as_date(day)
        holidays = self._holidays
        if holidays is None:
            self._tables()
            holidays = self._holidays
            assert holidays is not None
        if day.year not in self._years:
            raise CalendarDataMissing(day.year)
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in holidays

    def _days_after(self, event: date) -> Iterator[date]:
        day = event
        while True:
            try:
                day += _ONE_DAY
            except OverflowError:
                raise CalendarDataMissing(date.max.year + 1) from None
            yield day

    def add_working_days(self, event: date, n: int) -> date:
        """The ``n``-th working day strictly after ``event``; the event day itself is not counted.

        This is the rule of 民法典 第二百零一条.

        ``n`` must be at least 1.  ``event`` itself may be any day, including a rest day or a day of a
        year whose schedule is unknown; every day walked over after it must be in a covered year, else
        :class:`CalendarDataMissing` is raised for the first uncovered year reached.
        """
        event = _as_date(event, "event")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an integer, not {type(n).__name__}")
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        found = self._added.get((event, n))
        if found is not None:
            return found
        remaining = n
        for day in self._days_after(event):
            if self.is_workday(day):
                remaining -= 1
                if remaining == 0:
                    if len(self._added) < 100_000:
                        self._added[(event, n)] = day
                    return day
        raise AssertionError("unreachable")  # pragma: no cover

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in ``(start, end]``, counted as :meth:`add_working_days` counts.

        ``working_days_between(e, add_working_days(e, n)) == n``.  When ``end`` is before ``start`` the
        result is the negative of ``working_days_between(end, start)``; it is 0 when they are equal.
        Raises :class:`CalendarDataMissing` if a day in the interval is in an uncovered year.
        """
        start = _as_date(start, "start")
        end = _as_date(end, "end")
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_workday(day):
                count += 1
        return count

    def year_sources(self) -> dict[int, str]:
        """Each covered year, in order, with where its schedule comes from: the installed
        ``chinese-calendar`` package (with its version and location), or a supplied schedule's file."""
        years = self._tables()
        package = _package_description()
        return {year: (self._extra[year].source or "supplied in code") if year in self._extra else package
                for year in sorted(years)}

    # ---------------------------------------------------------------------------------------------
    # Deadlines that may be provisional

    def deadline_after(self, event: date, n: int) -> Deadline:
        """The ``n``-th working day strictly after ``event`` (民法典 第二百零一条), as a :class:`Deadline`.

        Exact (``earliest == due == latest``) when every day walked over is in a covered year, as
        :meth:`add_working_days`.  When the walk reaches a year without a schedule, the deadline is
        provisional: ``due`` counts that year's weekends and statutory holidays as rest days, and
        ``[earliest, latest]`` allows for any bridge days and make-up working days near its holidays.
        Raises :class:`CalendarDataMissing` only for a year outside :data:`PROVISIONAL_YEARS`.
        """
        try:
            day = self.add_working_days(event, n)
        except CalendarDataMissing as exc:
            if exc.year not in PROVISIONAL_YEARS:
                raise
            return self._provisional_deadline(_as_date(event, "event"), n)
        return Deadline(day, day, day)

    def next_working_day(self, day: date) -> Deadline:
        """The first working day on or after ``day`` (民法典 第二百零三条: a period whose last day is a
        rest day ends on the next working day), as a :class:`Deadline`, provisional as in
        :meth:`deadline_after` when a day it needs is in a year without a schedule."""
        day = _as_date(day)
        try:
            found = day
            while not self.is_workday(found):
                found += _ONE_DAY
        except CalendarDataMissing as exc:
            if exc.year not in PROVISIONAL_YEARS:
                raise
            return self._provisional_deadline(day, 0)
        except OverflowError:
            raise CalendarDataMissing(date.max.year + 1) from None
        return Deadline(found, found, found)

    def _provisional_deadline(self, start: date, n: int) -> Deadline:
        key = (start, n)
        found = self._provisional.get(key)
        if found is None:
            unknown: set[int] = set()
            due = self._walk(start, n, _STATUTORY, unknown)
            earliest = self._walk(start, n, _EARLIEST, unknown)
            latest = self._walk(start, n, _LATEST, unknown)
            found = Deadline(due, earliest, latest, tuple(sorted(unknown)))
            if len(self._provisional) < 100_000:
                self._provisional[key] = found
        return found

    def _walk(self, start: date, n: int, mode: int, unknown: set[int]) -> date:
        """The ``n``-th working day after ``start`` (``n == 0``: the first on or after it), counting the
        days of years without a schedule as ``mode`` says."""
        years = self._tables()
        day = start
        remaining = n
        if n > 0:
            day = self._next_day(day)
        while True:
            if day.year in years:
                working = self.is_workday(day)
            else:
                info = _provisional(day.year)  # raises CalendarDataMissing outside PROVISIONAL_YEARS
                unknown.add(day.year)
                if mode == _EARLIEST and day in info.makeups:
                    working = True
                else:
                    working = day.weekday() < 5 and day not in info.statutory and not (
                        mode == _LATEST and day in info.bridges)
            if working:
                if remaining <= 1:
                    return day
                remaining -= 1
            day = self._next_day(day)

    @staticmethod
    def _next_day(day: date) -> date:
        try:
            return day + _ONE_DAY
        except OverflowError:
            raise CalendarDataMissing(date.max.year + 1) from None

    def __repr__(self) -> str:
        years = self.covered_years
        if isinstance(years, range):
            shown = f"{years.start}..{years.stop - 1}" if years else "none"
        else:
            shown = ", ".join(str(y) for y in sorted(years))
        return f"WorkdayCalendar(covered_years={shown})"


_STATUTORY, _EARLIEST, _LATEST = 0, 1, 2  # how _walk counts a day of a year without a schedule


@functools.cache
def _package_description() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import chinese_calendar

    try:
        number = version("chinese_calendar")
    except PackageNotFoundError:  # pragma: no cover - an unusual installation
        number = getattr(chinese_calendar, "__version__", "?")
    return f"chinese-calendar {number} ({Path(chinese_calendar.__file__).parent})"


@functools.cache
def _default_calendar() -> WorkdayCalendar:
    return WorkdayCalendar()


# --------------------------------------------------------------------------------------------------
# Calendar-day arithmetic
# --------------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (2025-01-31 + 1 = 2025-02-28)."""
    result: date = _as_date(day) + relativedelta(months=months)
    return result


def add_years(day: date, years: int) -> date:
    """``day`` plus ``years`` calendar years; February 29 becomes February 28 in a common year."""
    result: date = _as_date(day) + relativedelta(years=years)
    return result


def annual_date(year: int, month: int, day: int) -> date:
    """The date of the yearly recurring day ``month``/``day`` in ``year``.

    February 29 falls on February 28 in a common year.  A day that no year has (such as April 31 or
    February 30) raises :class:`ValueError`.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, not {month}")
    longest = _month_length(2000, month)  # 2000 is a leap year
    if not 1 <= day <= longest:
        raise ValueError(f"day must be in 1..{longest} for month {month}, not {day}")
    return date(year, month, min(day, _month_length(year, month)))


def _month_length(year: int, month: int) -> int:
    return monthrange(year, month)[1]
