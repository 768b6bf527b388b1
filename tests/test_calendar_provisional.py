"""Provisional working-day deadlines for years without a State Council schedule."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govrules.engine.calendar import (
    BRIDGE_REACH,
    MAKEUP_REACH,
    Deadline,
    WorkdayCalendar,
    YearSchedule,
    load_year_schedule,
    statutory_holidays,
)
from govrules.errors import CalendarDataMissing

D = date
ONE = timedelta(days=1)
HOLIDAYS = frozenset(chinese_calendar.constants.holidays)
WORKDAYS = frozenset(chinese_calendar.constants.workdays)
PACKAGE_YEARS = range(min(d.year for d in HOLIDAYS), max(d.year for d in HOLIDAYS) + 1)
#: days off by special decision that no pattern foresees (抗战胜利70周年, 2015-09-03/04, Sunday 09-06 worked)
ONE_OFF = frozenset({D(2015, 9, 3), D(2015, 9, 4), D(2015, 9, 6)})


def rest_in_package(day: date) -> bool:
    return day in HOLIDAYS or (day.weekday() >= 5 and day not in WORKDAYS)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --------------------------------------------------------------------------------------------------
# Statutory holidays
# --------------------------------------------------------------------------------------------------


def test_statutory_holidays_of_2027_per_the_2024_amendment() -> None:
    assert statutory_holidays(2027) == {
        D(2027, 1, 1): "元旦",
        D(2027, 2, 5): "春节（除夕）", D(2027, 2, 6): "春节（正月初一）", D(2027, 2, 7): "春节（正月初二）",
        D(2027, 2, 8): "春节（正月初三）",
        D(2027, 4, 5): "清明节",
        D(2027, 5, 1): "劳动节", D(2027, 5, 2): "劳动节",
        D(2027, 6, 9): "端午节",
        D(2027, 9, 15): "中秋节",
        D(2027, 10, 1): "国庆节", D(2027, 10, 2): "国庆节", D(2027, 10, 3): "国庆节",
    }


@pytest.mark.parametrize("year", list(PACKAGE_YEARS))
def test_statutory_holidays_are_rest_days_in_every_published_schedule(year: int) -> None:
    statutory = statutory_holidays(year)
    counts = {2025: 13, 2014: 11, 2008: 11, 2000: 10}
    assert sum(len(name.split("、")) for name in statutory.values()) == next(
        n for since, n in counts.items() if year >= since)
    for day, name in statutory.items():
        assert day.year == year
        assert rest_in_package(day), (day, name)


@pytest.mark.parametrize("year", [y for y in PACKAGE_YEARS if y >= 2008])
def test_every_adjustment_lies_within_the_reach_of_a_statutory_holiday(year: int) -> None:
    """The bridge days off and the make-up working days of every published schedule since the 2007
    amendment lie within BRIDGE_REACH / MAKEUP_REACH days of a statutory holiday: the pattern the
    provisional interval allows for."""
    anchors = [d for y in (year - 1, year, year + 1) if y in PACKAGE_YEARS for d in statutory_holidays(y)]

    def distance(day: date) -> int:
        return min(abs((day - a).days) for a in anchors)

    statutory = statutory_holidays(year)
    bridges = [d for d in HOLIDAYS if d.year == year and d.weekday() < 5 and d not in statutory and d not in ONE_OFF]
    makeups = [d for d in WORKDAYS if d.year == year and d not in ONE_OFF]
    assert all(distance(d) <= BRIDGE_REACH for d in bridges), sorted(bridges)
    assert all(distance(d) <= MAKEUP_REACH for d in makeups), sorted(makeups)


def test_years_outside_the_range_are_not_computed() -> None:
    with pytest.raises(CalendarDataMissing):
        statutory_holidays(1999)
    with pytest.raises(CalendarDataMissing):
        statutory_holidays(2101)


# --------------------------------------------------------------------------------------------------
# The interval holds the true date: published years treated as unknown
# --------------------------------------------------------------------------------------------------


def _check_contains(year: int, counts: tuple[int, ...]) -> int:
    exact = WorkdayCalendar.default()
    blind = WorkdayCalendar(exclude_years={year})
    checked = 0
    for event in days(D(year - 1, 12, 1), D(year, 12, 31)):
        for n in counts:
            try:
                true = exact.add_working_days(event, n)
            except CalendarDataMissing:  # past the installed data
                continue
            if any(d in ONE_OFF for d in days(event, true + timedelta(days=40))):
                continue
            found = blind.deadline_after(event, n)
            assert found.earliest <= true <= found.latest, (event, n, true, found)
            assert found.earliest <= found.due <= found.latest
            if found.provisional:
                assert year in found.unknown_years
            else:  # the walk stayed in the year before
                assert found.due == true
            checked += 1
        true = exact.next_working_day(event).due
        if any(d in ONE_OFF for d in days(event, true + timedelta(days=10))):
            continue
        found = blind.next_working_day(event)
        assert found.provisional or found.due == true
        assert found.earliest <= true <= found.latest, (event, true, found)
    return checked


@pytest.mark.parametrize("year", [2025, 2026])
def test_interval_contains_the_exact_date_for_every_event_date(year: int) -> None:
    assert _check_contains(year, (1, 2, 3, 5, 10, 15, 20, 30)) > 365 * 8


@pytest.mark.parametrize("year", [y for y in PACKAGE_YEARS if 2008 <= y < 2025])
def test_interval_contains_the_exact_date_under_earlier_laws(year: int) -> None:
    assert _check_contains(year, (1, 5, 20)) > 300


def test_exact_years_give_an_exact_deadline() -> None:
    cal = WorkdayCalendar.default()
    found = cal.deadline_after(D(2025, 9, 28), 5)
    assert found == Deadline(D(2025, 10, 11), D(2025, 10, 11), D(2025, 10, 11))
    assert not found.provisional
    assert cal.next_working_day(D(2025, 10, 4)).due == D(2025, 10, 9)


@pytest.mark.skipif(WorkdayCalendar.default().covers(2027), reason="installed chinese-calendar knows 2027")
def test_a_newer_package_or_a_schedule_takes_over() -> None:
    cal = WorkdayCalendar.default()
    provisional = cal.deadline_after(D(2026, 12, 28), 5)
    assert provisional.provisional and provisional.unknown_years == (2027,)
    # 2026-12-29..31 are three working days; 2027-01-01 is 元旦; 01-02/03 may be make-up days,
    # 01-04..06 bridge days.
    assert provisional == Deadline(D(2027, 1, 5), D(2027, 1, 3), D(2027, 1, 8), (2027,))
    schedule = YearSchedule(2027, frozenset({D(2027, 1, 1)}), frozenset())
    assert cal.with_year(schedule).deadline_after(D(2026, 12, 28), 5) == Deadline(
        D(2027, 1, 5), D(2027, 1, 5), D(2027, 1, 5))


def test_beyond_the_computable_years_nothing_is_guessed() -> None:
    cal = WorkdayCalendar.default()
    with pytest.raises(CalendarDataMissing) as info:
        cal.deadline_after(D(2100, 12, 30), 5)
    assert info.value.year == 2101
    with pytest.raises(CalendarDataMissing):
        cal.next_working_day(D(9999, 12, 31))


# --------------------------------------------------------------------------------------------------
# A made-up year: plausible schedules drawn at random
# --------------------------------------------------------------------------------------------------

YEAR = 2031  # far from any published schedule


@st.composite
def schedules(draw: st.DrawFn) -> YearSchedule:
    """A schedule of YEAR as the State Council might publish it: the statutory days, some weekdays
    near them off, some weekend days near them worked."""
    statutory = statutory_holidays(YEAR)
    near: set[date] = set()
    for anchor in statutory:
        near.update(anchor + timedelta(days=k) for k in range(-MAKEUP_REACH, MAKEUP_REACH + 1))
    near = {d for d in near if d.year == YEAR and d not in statutory}
    bridge_pool = sorted(d for d in near if d.weekday() < 5 and min(abs((d - a).days) for a in statutory)
                         <= BRIDGE_REACH)
    makeup_pool = sorted(d for d in near if d.weekday() >= 5)
    bridges = draw(st.sets(st.sampled_from(bridge_pool), max_size=12))
    makeups = draw(st.sets(st.sampled_from(makeup_pool), max_size=8))
    return YearSchedule(YEAR, frozenset(statutory) | bridges, frozenset(makeups))


@settings(max_examples=60, deadline=None)
@given(schedules(), st.dates(D(YEAR - 1, 12, 1), D(YEAR, 12, 31)), st.integers(1, 40))
def test_interval_contains_the_date_of_any_plausible_schedule(schedule: YearSchedule, event: date, n: int) -> None:
    blind = WorkdayCalendar({y: YearSchedule(y, frozenset(statutory_holidays(y)), frozenset())
                             for y in (YEAR - 1, YEAR + 1)})
    exact = blind.with_year(schedule)
    true = exact.add_working_days(event, n)
    found = blind.deadline_after(event, n)
    assert found.earliest <= true <= found.latest
    assert exact.deadline_after(event, n) == Deadline(true, true, true)
    if any(d.year == YEAR for d in days(event + ONE, found.latest)):
        assert found.unknown_years == (YEAR,)


def test_a_supplied_made_up_year_is_exact_and_its_absence_provisional() -> None:
    statutory = frozenset(statutory_holidays(YEAR))
    # 国庆 + bridges Oct 6-7 (Mon-Tue... whatever weekday), make-up on the nearest weekend days
    bridges = frozenset(d for d in days(D(YEAR, 10, 4), D(YEAR, 10, 8)) if d.weekday() < 5)
    makeups = frozenset(d for d in days(D(YEAR, 9, 25), D(YEAR, 10, 12)) if d.weekday() >= 5
                        and d not in statutory and not D(YEAR, 10, 1) <= d <= D(YEAR, 10, 8))
    schedule = YearSchedule(YEAR, statutory | bridges, makeups)
    blind = WorkdayCalendar({y: YearSchedule(y, frozenset(statutory_holidays(y)), frozenset())
                             for y in (YEAR - 1, YEAR + 1)})
    exact = blind.with_year(schedule)
    for event in days(D(YEAR, 9, 1), D(YEAR, 10, 31)):
        true = exact.add_working_days(event, 5)
        assert exact.deadline_after(event, 5) == Deadline(true, true, true)
        found = blind.deadline_after(event, 5)
        assert found.provisional and found.earliest <= true <= found.latest


# --------------------------------------------------------------------------------------------------
# A Linfen contract signed at the end of 2026 (临汾 第十八条: file within five working days)
# --------------------------------------------------------------------------------------------------

LINFEN_PROJECT = {
    "id": "p", "name": "临汾市某局系统", "owner": "临汾市某局", "level": "city", "execution": "construction",
    "budget": 800000, "funding": [{"source": "municipal", "amount": 800000}],
    "dates": {"contract_signed": "2026-12-28", "contract_filed": False},
    # the scope stated in full: an obligation is not shown overdue while the scope rests on a presumption
    "facts": {"municipal_department": True, "project_form": "government_investment", "classified": False},
}
NOTE = "暂按法定节假日推算，待国务院公布2027年放假安排后确定"


def _linfen(calendar: WorkdayCalendar) -> tuple[Any, Any]:
    from govrules import evaluate, load_pack

    verdict = evaluate(LINFEN_PROJECT, load_pack("linfen-2021"), D(2027, 1, 10), calendar=calendar)
    return verdict, next(o for o in verdict.obligations if o.id == "obligation.art18_contract_filing")


def test_linfen_contract_without_the_2027_schedule_is_provisional() -> None:
    from govrules.output.batch import verdict_json
    from govrules.output.report import render_text

    verdict, obligation = _linfen(WorkdayCalendar(exclude_years={2027}))
    # 12-29, 12-30, 12-31, (1-1 元旦), 1-4, 1-5; earliest with 1-2/1-3 worked, latest with 1-4..1-6 off.
    assert (obligation.due, obligation.due_earliest, obligation.due_latest) == (D(2027, 1, 5), D(2027, 1, 3),
                                                                               D(2027, 1, 8))
    assert obligation.provisional
    assert obligation.status == "overdue"  # on 01-10 even the latest date has passed
    assert obligation.reason == NOTE
    text = render_text(verdict)
    assert "期限 2027-01-05（暂定，2027-01-03至2027-01-08之间）" in text and NOTE in text
    dumped = json.loads(verdict_json(verdict))
    assert json.loads(verdict.model_dump_json()) == dumped
    assert verdict_json(verdict) == json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False,
                                               separators=(",", ":"))
    mine = next(o for o in dumped["obligations"] if o["id"] == "obligation.art18_contract_filing")
    assert (mine["provisional"], mine["due_earliest"], mine["due_latest"]) == (True, "2027-01-03", "2027-01-08")
    # As of 2027-01-06 the deadline may or may not have passed.
    data = {**LINFEN_PROJECT}
    from govrules import evaluate, load_pack

    again = evaluate(data, load_pack("linfen-2021"), D(2027, 1, 6), calendar=WorkdayCalendar(exclude_years={2027}))
    assert next(o for o in again.obligations if o.id == obligation.id).status == "unknown"


def test_linfen_contract_with_a_supplied_2027_schedule_is_exact(tmp_path: Path) -> None:
    from govrules.cli import main

    schedule = tmp_path / "2027.yaml"
    assert main(["calendar", "--template", "2027", "--out", str(schedule)]) == 0
    # As the State Council might decide it: 元旦 Friday to Sunday, nothing else near it.
    verdict, obligation = _linfen(WorkdayCalendar(exclude_years={2027}).with_year(load_year_schedule(schedule)))
    assert (obligation.due, obligation.provisional, obligation.due_earliest, obligation.due_latest) == (
        D(2027, 1, 5), False, None, None)
    assert obligation.status == "overdue" and obligation.reason is None
    assert not any("2027" in w for w in verdict.warnings)
    # A schedule that gives Monday 01-04 off and makes Saturday 01-09 a working day moves it.
    schedule.write_text("year: 2027\nholidays: [2027-01-01, 2027-01-04]\nworkdays: [2027-01-09]\n", encoding="utf-8")
    _verdict, obligation = _linfen(WorkdayCalendar(exclude_years={2027}).with_year(load_year_schedule(schedule)))
    assert (obligation.due, obligation.provisional) == (D(2027, 1, 6), False)


# --------------------------------------------------------------------------------------------------
# govrules calendar
# --------------------------------------------------------------------------------------------------


def test_cli_lists_exact_years_and_their_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from govrules.cli import main

    assert main(["calendar"]) == 0
    out = capsys.readouterr().out
    last = max(PACKAGE_YEARS)
    assert f"{min(PACKAGE_YEARS)}-{last}  chinese-calendar " in out
    assert "--calendar FILE" in out and "2000-2100" in out
    schedule = tmp_path / "2031.yaml"
    schedule.write_text("year: 2031\nholidays: [2031-01-01]\n", encoding="utf-8")
    assert main(["calendar", "--calendar", str(schedule), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    years = {entry["year"]: entry["source"] for entry in data["exact_years"]}
    assert years[2031] == str(schedule) and years[last].startswith("chinese-calendar ")
    assert data["schedule_files"] == [str(schedule)] and data["provisional_years"] == [2000, 2100]


def test_cli_template_is_a_loadable_schedule_of_the_statutory_holidays(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from govrules.cli import main

    out = tmp_path / "2028.yaml"
    assert main(["calendar", "--template", "2028", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "国务院办公厅关于2028年" in text and "workdays" in text and "春节（除夕至正月初三）" in text
    schedule = load_year_schedule(out)
    assert schedule.holidays == frozenset(statutory_holidays(2028)) and schedule.workdays == frozenset()
    assert main(["calendar", "--template", "2028", "--out", str(out)]) == 2  # never overwritten
    assert "exists" in capsys.readouterr().err
    assert main(["calendar", "--template", "2028"]) == 0
    assert capsys.readouterr().out == text
    assert main(["calendar", "--out", str(out)]) == 2
    assert main(["calendar", "--template", "1990"]) == 2
    # Listed as it is, the template is flagged as not filled in.
    assert main(["calendar", "--calendar", str(out)]) == 0
    assert f"! {out} (2028): 只有法定节假日、没有调休" in capsys.readouterr().out
    # Filled in, the file is read back exactly, and no longer flagged.
    out.write_text(text.replace("workdays: []", "workdays:\n  - 2028-01-29"), encoding="utf-8")
    assert load_year_schedule(out).workdays == frozenset({D(2028, 1, 29)})
    assert main(["calendar", "--calendar", str(out), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["statutory_only"] == []


def test_cli_reports_a_bad_schedule_with_its_position(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from govrules.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nholidays:\n  - 2027-01-01\nworkdays:\n  - 2027-01-04\n", encoding="utf-8")
    assert main(["calendar", "--calendar", str(bad)]) == 2
    assert f"{bad}:5:5: workdays[0]" in capsys.readouterr().err
