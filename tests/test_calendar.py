"""Tests of govrules.engine.calendar: working-day deadlines on the State Council holiday schedule."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govrules.engine.calendar import (
    WorkdayCalendar,
    YearSchedule,
    add_months,
    add_years,
    annual_date,
    load_year_schedule,
    parse_year_schedule,
)
from govrules.errors import CalendarDataMissing, CalendarError

D = date


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar.default()


# The schedules as published by the General Office of the State Council, typed in by hand (not read
# from chinese-calendar) so that the package data is checked against them.
PUBLISHED: dict[int, tuple[list[tuple[date, date]], list[date]]] = {
    # 国务院办公厅关于2025年部分节假日安排的通知: holiday runs (inclusive) and make-up working days
    2025: (
        [
            (D(2025, 1, 1), D(2025, 1, 1)),  # 元旦
            (D(2025, 1, 28), D(2025, 2, 4)),  # 春节
            (D(2025, 4, 4), D(2025, 4, 6)),  # 清明节
            (D(2025, 5, 1), D(2025, 5, 5)),  # 劳动节
            (D(2025, 5, 31), D(2025, 6, 2)),  # 端午节
            (D(2025, 10, 1), D(2025, 10, 8)),  # 国庆节、中秋节
        ],
        [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)],
    ),
    # 国务院办公厅关于2026年部分节假日安排的通知
    2026: (
        [
            (D(2026, 1, 1), D(2026, 1, 3)),  # 元旦
            (D(2026, 2, 15), D(2026, 2, 23)),  # 春节
            (D(2026, 4, 4), D(2026, 4, 6)),  # 清明节
            (D(2026, 5, 1), D(2026, 5, 5)),  # 劳动节
            (D(2026, 6, 19), D(2026, 6, 21)),  # 端午节
            (D(2026, 9, 25), D(2026, 9, 27)),  # 中秋节
            (D(2026, 10, 1), D(2026, 10, 7)),  # 国庆节
        ],
        [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
    ),
}


def published_holidays(year: int) -> set[date]:
    """The rest days of the holiday runs published for ``year``."""
    return {day for first, last in PUBLISHED[year][0] for day in days(first, last)}


# --------------------------------------------------------------------------------------------------
# Data and coverage
# --------------------------------------------------------------------------------------------------


def test_covered_years_follow_the_package_data(cal: WorkdayCalendar) -> None:
    years = cal.covered_years
    assert isinstance(years, range)
    assert years.start == 2004
    assert years.stop - 1 == max(d.year for d in chinese_calendar.constants.holidays)
    assert 2026 in years
    assert cal.covers(2004) and cal.covers(2026)
    assert not cal.covers(2003)


def test_default_is_shared() -> None:
    assert WorkdayCalendar.default() is WorkdayCalendar.default()


def test_import_does_no_work() -> None:
    code = ("import sys, datetime, govrules.engine.calendar as c; "
            "assert not {'chinese_calendar', 'lunar_python', 'ruamel'} & set(sys.modules); "
            "c.WorkdayCalendar.default().deadline_after(datetime.date(2025, 1, 6), 5); "
            "assert 'lunar_python' not in sys.modules")  # exact years never need the lunar calendar
    src = str(Path(__file__).resolve().parents[1] / "src")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": src}, timeout=60)


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_published_schedule(cal: WorkdayCalendar, year: int) -> None:
    holidays, workdays = published_holidays(year), PUBLISHED[year][1]
    for day in days(D(year, 1, 1), D(year, 12, 31)):
        expected = day in workdays or (day.weekday() < 5 and day not in holidays)
        assert cal.is_workday(day) is expected, day


def test_agrees_with_chinese_calendar_on_every_covered_day(cal: WorkdayCalendar) -> None:
    for day in days(D(2004, 1, 1), D(2026, 12, 31)):
        assert cal.is_workday(day) is chinese_calendar.is_workday(day), day


def test_datetime_is_taken_as_its_date(cal: WorkdayCalendar) -> None:
    assert cal.is_workday(datetime(2025, 10, 11, 9, 30)) is True
    assert cal.add_working_days(datetime(2025, 9, 30, 18, 0), 5) == D(2025, 10, 14)


# --------------------------------------------------------------------------------------------------
# add_working_days / working_days_between
# --------------------------------------------------------------------------------------------------


def test_thirty_working_days_after_a_saturday_across_new_year_2026(cal: WorkdayCalendar) -> None:
    # Dec 22-26, 29-31 (8); Jan 1-3 off; Sun Jan 4 works (9); Jan 5 .. Jan 30 (29); Feb 2 (30).
    assert cal.add_working_days(D(2025, 12, 20), 30) == D(2026, 2, 2)
    assert cal.working_days_between(D(2025, 12, 20), D(2026, 2, 2)) == 30


def test_contract_signed_before_national_day_2025(cal: WorkdayCalendar) -> None:
    signed = D(2025, 9, 30)
    assert [cal.add_working_days(signed, n) for n in range(1, 6)] == [
        D(2025, 10, 9),
        D(2025, 10, 10),
        D(2025, 10, 11),  # Saturday, adjusted working day
        D(2025, 10, 13),
        D(2025, 10, 14),
    ]
    assert cal.working_days_between(signed, D(2025, 10, 14)) == 5


def test_deadline_on_an_adjusted_working_sunday(cal: WorkdayCalendar) -> None:
    assert D(2025, 9, 28).weekday() == 6
    assert cal.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert cal.add_working_days(D(2025, 9, 25), 2) == D(2025, 9, 28)
    assert D(2026, 1, 4).weekday() == 6
    assert cal.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 4)


def test_event_on_a_rest_day_is_not_counted(cal: WorkdayCalendar) -> None:
    # Saturday: the next Monday is day 1 (chinese_calendar.find_workday would call it day 0).
    assert cal.add_working_days(D(2025, 3, 15), 1) == D(2025, 3, 17)
    assert cal.add_working_days(D(2025, 3, 16), 5) == D(2025, 3, 21)
    # Inside a holiday run.
    assert cal.add_working_days(D(2025, 10, 3), 1) == D(2025, 10, 9)
    assert cal.add_working_days(D(2025, 10, 8), 3) == D(2025, 10, 11)
    # A make-up working day as the event is itself not counted either.
    assert cal.add_working_days(D(2025, 10, 11), 1) == D(2025, 10, 13)


def test_spring_festival_2026(cal: WorkdayCalendar) -> None:
    # Feb 15-23 off; Saturdays Feb 14 and Feb 28 are working days.
    assert cal.add_working_days(D(2026, 2, 12), 1) == D(2026, 2, 13)
    assert cal.add_working_days(D(2026, 2, 12), 2) == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)
    assert cal.add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert cal.add_working_days(D(2026, 2, 13), 6) == D(2026, 2, 28)
    assert cal.add_working_days(D(2026, 2, 18), 1) == D(2026, 2, 24)
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert cal.working_days_between(D(2026, 2, 14), D(2026, 2, 23)) == 0


@pytest.mark.parametrize(
    ("event", "n", "deadline"),
    [
        # 2025
        (D(2024, 12, 31), 5, D(2025, 1, 8)),  # New Year
        (D(2025, 1, 24), 5, D(2025, 2, 7)),  # Spring Festival, Sun Jan 26 works
        (D(2025, 1, 24), 6, D(2025, 2, 8)),  # ... and Sat Feb 8 works
        (D(2025, 1, 24), 30, D(2025, 3, 13)),
        (D(2025, 4, 3), 1, D(2025, 4, 7)),  # Qingming
        (D(2025, 4, 3), 5, D(2025, 4, 11)),
        (D(2025, 4, 25), 5, D(2025, 5, 6)),  # Labour Day, Sun Apr 27 works
        (D(2025, 4, 25), 30, D(2025, 6, 11)),  # ... and Dragon Boat May 31-Jun 2
        (D(2025, 5, 30), 1, D(2025, 6, 3)),  # Dragon Boat
        (D(2025, 9, 26), 5, D(2025, 10, 10)),  # National Day + Mid-Autumn
        (D(2025, 9, 26), 30, D(2025, 11, 13)),
        # 2026
        (D(2025, 12, 31), 5, D(2026, 1, 8)),  # New Year, Sun Jan 4 works
        (D(2026, 2, 13), 30, D(2026, 4, 2)),  # Spring Festival
        (D(2026, 4, 3), 1, D(2026, 4, 7)),  # Qingming
        (D(2026, 4, 30), 5, D(2026, 5, 11)),  # Labour Day, Sat May 9 works
        (D(2026, 6, 18), 1, D(2026, 6, 22)),  # Dragon Boat
        (D(2026, 9, 18), 5, D(2026, 9, 24)),  # Sun Sep 20 works
        (D(2026, 9, 18), 30, D(2026, 11, 5)),  # Mid-Autumn, National Day, Sat Oct 10 works
    ],
)
def test_published_deadlines(cal: WorkdayCalendar, event: date, n: int, deadline: date) -> None:
    assert cal.add_working_days(event, n) == deadline
    assert cal.working_days_between(event, deadline) == n


def test_working_days_between_edge_cases(cal: WorkdayCalendar) -> None:
    assert cal.working_days_between(D(2025, 6, 3), D(2025, 6, 3)) == 0
    assert cal.working_days_between(D(2025, 6, 2), D(2025, 6, 3)) == 1
    assert cal.working_days_between(D(2025, 6, 3), D(2025, 6, 2)) == -1
    assert cal.working_days_between(D(2026, 2, 2), D(2025, 12, 20)) == -30


@pytest.mark.parametrize("n", [0, -1])
def test_n_must_be_positive(cal: WorkdayCalendar, n: int) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(D(2025, 6, 3), n)


# --------------------------------------------------------------------------------------------------
# Missing data
# --------------------------------------------------------------------------------------------------

SCHEDULE_2027 = YearSchedule(year=2027, holidays=frozenset({D(2027, 1, 1)}), workdays=frozenset())


@pytest.mark.skipif(WorkdayCalendar.default().covers(2027), reason="installed chinese-calendar knows 2027")
def test_walk_into_2027_raises(cal: WorkdayCalendar) -> None:
    with pytest.raises(CalendarDataMissing) as info:
        cal.add_working_days(D(2026, 12, 20), 30)
    assert info.value.year == 2027
    assert info.value.code == "calendar_data_missing"
    with pytest.raises(CalendarDataMissing):
        cal.is_workday(D(2027, 1, 4))
    with pytest.raises(CalendarDataMissing):
        cal.working_days_between(D(2026, 12, 30), D(2027, 1, 4))
    # Nine working days are left in 2026 (Dec 21-25, 28-31): those need no 2027 data.
    assert cal.add_working_days(D(2026, 12, 20), 9) == D(2026, 12, 31)


@pytest.mark.skipif(WorkdayCalendar.default().covers(2027), reason="installed chinese-calendar knows 2027")
def test_with_year_supplies_2027(cal: WorkdayCalendar) -> None:
    extended = cal.with_year(SCHEDULE_2027)
    # 9 in 2026; Jan 1 off; Jan 4-8 (14) ... Jan 25-29 (29); Mon Feb 1 (30).
    assert extended.add_working_days(D(2026, 12, 20), 30) == D(2027, 2, 1)
    assert extended.covered_years == range(2004, 2028)
    assert extended.covers(2027)
    # Immutable: the original calendar still refuses.
    with pytest.raises(CalendarDataMissing):
        cal.add_working_days(D(2026, 12, 20), 30)
    assert not cal.covers(2027)
    assert WorkdayCalendar({2027: SCHEDULE_2027}).add_working_days(D(2026, 12, 20), 30) == D(2027, 2, 1)


@pytest.mark.skipif(WorkdayCalendar.default().covers(2027), reason="installed chinese-calendar knows 2027")
def test_with_year_from_a_file(cal: WorkdayCalendar, tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(
        "year: 2027\nholidays:\n  - 2027-01-01\n  - 2027-01-04..2027-01-05\nworkdays:\n  - 2027-01-09\n",
        encoding="utf-8",
    )
    extended = cal.with_year(load_year_schedule(path))
    # 9 in 2026; Jan 1, 4, 5 off; Jan 6-8 (12), Sat Jan 9 works (13), Jan 11-15 (18) ... Feb 2 (30).
    assert extended.add_working_days(D(2026, 12, 20), 13) == D(2027, 1, 9)
    assert extended.add_working_days(D(2026, 12, 20), 30) == D(2027, 2, 2)


def test_gap_years_and_years_before_the_data(cal: WorkdayCalendar) -> None:
    with pytest.raises(CalendarDataMissing) as info:
        cal.add_working_days(D(2003, 12, 20), 1)
    assert info.value.year == 2003
    # The event itself may lie in an uncovered year: only the days after it are needed.
    assert cal.add_working_days(D(2003, 12, 31), 1) == D(2004, 1, 2)
    gap = cal.with_year(YearSchedule(2030, frozenset({D(2030, 1, 1)}), frozenset()))
    assert isinstance(gap.covered_years, frozenset)
    assert 2030 in gap.covered_years and 2027 not in gap.covered_years
    assert gap.add_working_days(D(2029, 12, 31), 1) == D(2030, 1, 2)


def test_supplied_year_replaces_package_year(cal: WorkdayCalendar) -> None:
    # A correction of 2025 without the Oct 11 make-up day.
    corrected = cal.with_year(YearSchedule(2025, frozenset(published_holidays(2025)), frozenset()))
    assert corrected.is_workday(D(2025, 10, 11)) is False
    assert corrected.add_working_days(D(2025, 9, 30), 5) == D(2025, 10, 15)
    assert cal.is_workday(D(2025, 10, 11)) is True


# --------------------------------------------------------------------------------------------------
# Property
# --------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    event=st.dates(min_value=D(2010, 1, 1), max_value=D(2026, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
)
def test_add_and_count_are_inverse(event: date, n: int) -> None:
    cal = WorkdayCalendar.default()
    try:
        result = cal.add_working_days(event, n)
    except CalendarDataMissing as exc:
        assert exc.year == max(cal.covered_years) + 1
        assert event >= D(2026, 9, 1)
        return
    assert result > event
    assert cal.is_workday(result)
    assert cal.working_days_between(event, result) == n
    assert cal.working_days_between(event, result - timedelta(days=1)) == n - 1


# --------------------------------------------------------------------------------------------------
# Schedule files
# --------------------------------------------------------------------------------------------------

VALID = """\
year: 2027
holidays:            # dates or inclusive ranges
  - 2027-01-01
  - "2027-02-06..2027-02-12"
  - 2027-10-01..2027-10-07
workdays:            # weekend days made working days
  - 2027-09-26
  - "2027-10-09"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_valid_schedule(tmp_path: Path) -> None:
    schedule = load_year_schedule(write(tmp_path, VALID))
    assert schedule.year == 2027
    assert schedule.holidays == frozenset(
        [D(2027, 1, 1), *days(D(2027, 2, 6), D(2027, 2, 12)), *days(D(2027, 10, 1), D(2027, 10, 7))]
    )
    assert schedule.workdays == frozenset({D(2027, 9, 26), D(2027, 10, 9)})
    assert load_year_schedule(str(write(tmp_path, VALID))) == schedule


def test_workdays_may_be_omitted() -> None:
    schedule = parse_year_schedule({"year": 2027, "holidays": [D(2027, 1, 1)]})
    assert schedule.workdays == frozenset()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("year: 2027\nholidays:\n  - 2026-12-31\n", "2026-12-31 is not in year 2027"),
        ("year: 2027\nholidays:\n  - 2027-12-31..2028-01-02\n", "2028-01-01 is not in year 2027"),
        ("year: 2027\nholidays: []\nworkdays:\n  - 2028-01-01\n", "not in year 2027"),
        ("year: 2027\nholidays: []\nworkdays:\n  - 2027-09-27\n", "2027-09-27 is a Monday"),
        ("year: 2027\nholidays:\n  - 2027-10-01..2027-10-10\nworkdays:\n  - 2027-10-09\n", "also a holiday"),
        ("year: 2027\nholidays: []\nextra: 1\n", "unknown key(s) extra"),
        ("holidays: []\n", "missing required key 'year'"),
        ("year: 2027\n", "missing required key 'holidays'"),
        ("year: '2027'\nholidays: []\n", "'year' must be an integer"),
        ("year: 2027\nholidays: 2027-01-01\n", "'holidays' must be a list"),
        ("year: 2027\nholidays: []\nworkdays:\n", "'workdays' must be a list"),
        ("year: 2027\nholidays:\n  - 2027-10-07..2027-10-01\n", "ends before it starts"),
        ("year: 2027\nholidays:\n  - 2027-10-01...2027-10-07\n", "is not a date written YYYY-MM-DD"),
        ("year: 2027\nholidays:\n  - 2027-10-01..2027-10-03..2027-10-05\n", "a range is written"),
        ("year: 2027\nholidays:\n  - 2027-02-30\n",
         ":3:5: invalid YAML: `2027-02-30` is not a date: the day does not exist"),
        ("year: 2027\nholidays:\n  - '2027-02-30'\n", "holidays[0] '2027-02-30'"),
        ("year: 2027\nholidays:\n  - Oct 1\n", "'Oct 1' is not a date"),
        ("year: 2027\nholidays:\n  - 20271001\n", "not int"),
        ("year: 2027\nholidays:\n  - 2027-01-01 08:00:00\n", "no time of day"),
        ("year: 2027\nholidays:\n  - 2027-10-01..2027-10-07\n  - 2027-10-03\n", "already listed"),
        ("year: 2027\nholidays: []\nworkdays:\n  - 2027-09-25..2027-09-26\n", "ranges are not allowed"),
        ("- 2027-01-01\n", "must be a mapping"),
        ("year: 2027\nyear: 2028\nholidays: []\n", "invalid YAML"),
        ("year: [2027\n", "invalid YAML"),
    ],
)
def test_schedule_file_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as info:
        load_year_schedule(path)
    message = str(info.value)
    assert str(path) in message
    assert fragment in message


def test_error_names_the_offending_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "year: 2027\nholidays:\n  - 2027-01-01\n  - 2027-10-01..2028-10-07\n")
    with pytest.raises(CalendarError, match=r"holidays\[1\] '2027-10-01\.\.2028-10-07'"):
        load_year_schedule(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        load_year_schedule(tmp_path / "nope.yaml")


def test_year_schedule_validates_itself() -> None:
    with pytest.raises(CalendarError, match="not in 2027"):
        YearSchedule(2027, frozenset({D(2026, 12, 31)}), frozenset())
    with pytest.raises(CalendarError, match="not a Saturday or Sunday"):
        YearSchedule(2027, frozenset(), frozenset({D(2027, 1, 4)}))
    with pytest.raises(CalendarError, match="both"):
        YearSchedule(2027, frozenset({D(2027, 1, 2)}), frozenset({D(2027, 1, 2)}))
    with pytest.raises(CalendarError, match="not a date"):
        YearSchedule(2027, frozenset({datetime(2027, 1, 1)}), frozenset())
    with pytest.raises(CalendarError, match="holds the schedule of 2027"):
        WorkdayCalendar({2028: SCHEDULE_2027})


# --------------------------------------------------------------------------------------------------
# Calendar-day arithmetic
# --------------------------------------------------------------------------------------------------


def test_add_months() -> None:
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert add_months(D(2025, 11, 15), 3) == D(2026, 2, 15)
    assert type(add_months(datetime(2025, 1, 31, 12), 1)) is date


def test_add_years() -> None:
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2025, 6, 30), -2) == D(2023, 6, 30)


def test_annual_date() -> None:
    assert annual_date(2025, 2, 29) == D(2025, 2, 28)
    assert annual_date(2024, 2, 29) == D(2024, 2, 29)
    assert annual_date(2025, 12, 31) == D(2025, 12, 31)
    for month, day in [(2, 30), (4, 31), (13, 1), (1, 0)]:
        with pytest.raises(ValueError):
            annual_date(2025, month, day)


# --------------------------------------------------------------------------------------------------
# Schedule files are read with the hardened YAML reader (govrules.packs.yaml_io)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("depth", "where"), [(5, ":2:15: invalid YAML: nested"),
                                             (5_000, ":2:15: invalid YAML: nested"),
                                             (49_900, ":2:15: invalid YAML: nested"),
                                             (60_000, ":1:1: invalid YAML: the file is")])
def test_deeply_nested_schedule_is_refused_with_a_position(tmp_path: Path, depth: int, where: str) -> None:
    # ruamel's default loader crashed the interpreter at 50,000 and raised RecursionError from 1,000 on.
    path = write(tmp_path, "year: 2027\nholidays: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(CalendarError) as info:
        load_year_schedule(path)
    assert str(info.value).startswith(f"{path}{where}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("year: 2027\nholidays: &h [2027-01-01]\nworkdays: *h\n", ":2:11: invalid YAML"),
        ("year: 2027\nholidays: !!python/object:os.system [2027-01-01]\n", ":2:11: invalid YAML"),
        ("year: 2027\nholidays: []\n<<: {workdays: []}\n", ":3:1: invalid YAML"),
    ],
)
def test_aliases_tags_and_merge_keys_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as info:
        load_year_schedule(path)
    assert f"{path}{fragment}" in str(info.value)


def test_oversized_schedule_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = write(tmp_path, "year: 2027\nholidays: []\n" + "# padding\n" * 50_000)
    with pytest.raises(CalendarError, match=r":1:1: invalid YAML: the file is larger than 100000 bytes"):
        load_year_schedule(path)


def test_schedule_errors_name_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "year: 2027\nholidays:\n  - 2027-01-01\n  - 2027-10-01..2028-10-07\n")
    with pytest.raises(CalendarError, match=rf"^{re.escape(str(path))}:4:5: holidays\[1\]"):
        load_year_schedule(path)
    path = write(tmp_path, "year: 2027\nholidays: []\nworkdays:\n  - 2027-09-25\n  - 2027-09-27\n")
    with pytest.raises(CalendarError, match=rf"^{re.escape(str(path))}:5:5: workdays\[1\].*Monday"):
        load_year_schedule(path)
    path = write(tmp_path, "year: 2027\nholidays: []\nextra: 1\n")
    with pytest.raises(CalendarError, match=rf"^{re.escape(str(path))}:3:1: unknown key"):
        load_year_schedule(path)
    path = write(tmp_path, "year: 2027.5\nholidays: []\n")
    with pytest.raises(CalendarError, match=rf"^{re.escape(str(path))}:1:7: 'year' must be an integer"):
        load_year_schedule(path)


def test_loaded_schedule_remembers_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, "year: 2027\nholidays: [2027-01-01]\n")
    schedule = load_year_schedule(path)
    assert schedule.source == str(path)
    assert schedule == YearSchedule(2027, frozenset({D(2027, 1, 1)}), frozenset())
