"""The evaluator: three-valued logic, exceptions, route combination, obligations, missing facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from govrules import ParameterError, ProjectError, evaluate
from govrules.compile.loading import load_pack_text
from govrules.engine.calendar import WorkdayCalendar, YearSchedule
from govrules.output.report import render_text

EXTRA_RULES = """\
  - id: route.filing
    kind: route
    title: 预算低于审批标准的备案
    decision: filing
    when: budget < threshold
    cite: {article: 1}
  - id: route.emergency
    kind: route
    title: 紧急项目先建设
    decision: build_first
    when: emergency
    overrides: [route.approval, route.filing]
    cite: {article: 1}
  - id: obligation.contract
    kind: obligation
    title: 合同签订后5个工作日内备案
    action: 合同备案
    when: 'true'
    deadline: {after: contract_signed, working_days: 5}
    done: contract_filed
    cite: {article: 1}
  - id: obligation.annual
    kind: obligation
    title: 每年6月30日前申请
    action: 申请
    when: 'true'
    deadline: {month: 6, day: 30}
    done: om_funds_applied
    cite: {article: 1}
  - id: change.small
    kind: change
    for_each: change
    title: 变更规模≤10%报备
    decision: filing
    when: change_scale <= ratio
    cite: {article: 1}
  - id: change.large
    kind: change
    for_each: change
    title: 变更规模>10%审批
    decision: approval
    when: change_scale > ratio
    cite: {article: 1}
  - id: consequence.carry
    kind: consequence
    for_each: budget_line
    title: 结转两年缴回
    effect: 缴回财政
    when: line_carried_over_years >= 2
    reaches_existing: {because: 及于施行前各年度结转的资金}
    cite: {article: 1}
"""


@pytest.fixture
def pack(minimal_pack_text: str) -> Any:
    text = (minimal_pack_text
            .replace("  - {name: required_by_law,", "  - {name: emergency, type: bool, zh: 紧急, en: emergency}\n"
                     "  - {name: required_by_law,")
            .replace("parameters:\n", "parameters:\n  - {name: ratio, value: 0.10, unit: ratio, zh: 比例, en: ratio, "
                     "cite: {article: 1}}\n"))
    return load_pack_text(text + EXTRA_RULES, file="pack.yaml")


def _v(pack: Any, as_of: dt.date = dt.date(2025, 9, 1), **project: Any) -> Any:
    data = {"id": "p", "name": "n", "execution": "construction", "budget": 600000,
            "facts": {"shares_data": True, "required_by_law": False, "emergency": False}}
    facts = project.pop("facts", {})
    data.update(project)
    data["facts"] = {**data["facts"], **facts}  # type: ignore[dict-item]
    return evaluate(data, pack, as_of)


def test_threshold_inclusive_exactly(pack: Any) -> None:
    assert _v(pack, budget=500000).route.decision == "approval"
    assert _v(pack, budget="499999.99").route.decision == "filing"
    assert _v(pack, budget="50万元").route.decision == "approval"


def test_unknown_budget_is_undetermined_and_named(pack: Any) -> None:
    verdict = _v(pack, budget=None)
    assert verdict.route.decision == "undetermined"
    assert "budget" in {m.name for m in verdict.missing_facts}


def test_false_and_unknown_is_false(pack: Any) -> None:
    # execution known not to be construction decides approval without the budget
    verdict = _v(pack, execution="service", budget=None)
    trace = {t.rule: t.result for t in verdict.trace}
    assert trace["route.approval"] == "false"


def test_override_and_pending_override(pack: Any) -> None:
    assert _v(pack, facts={"emergency": True}).route.decision == "build_first"
    verdict = _v(pack, facts={"emergency": None})
    assert verdict.route.decision == "undetermined"
    assert "emergency" in {m.name for m in verdict.missing_facts}


def test_exception_defeats_ground(pack: Any) -> None:
    verdict = _v(pack, facts={"shares_data": False, "required_by_law": True})
    [ground] = verdict.grounds
    assert ground.status == "excepted" and ground.exception is not None and ground.exception.article == 2
    verdict = _v(pack, facts={"shares_data": False, "required_by_law": None})
    assert verdict.grounds[0].status == "unknown"
    assert "required_by_law" in {m.name for m in verdict.missing_facts}
    verdict = _v(pack, facts={"shares_data": True, "required_by_law": None})
    assert verdict.grounds == []
    assert "required_by_law" not in {m.name for m in verdict.missing_facts}


def test_ground_citation_label(pack: Any) -> None:
    verdict = _v(pack, facts={"shares_data": False})
    assert verdict.grounds[0].citation.label == "第二条第（一）项"
    assert verdict.grounds[0].citation.item_text == "未共享数据的。"


def test_change_boundary(pack: Any) -> None:
    verdict = _v(pack, changes=[{"scale": "0.10"}, {"scale": "0.1000001"}, {"scale": "10%"}, {}])
    assert [c.decision for c in verdict.changes] == ["filing", "approval", "filing", "undetermined"]


def test_working_day_deadline_across_national_day(pack: Any) -> None:
    verdict = _v(pack, dates={"contract_signed": "2025-09-30", "contract_filed": False}, as_of=dt.date(2025, 10, 10))
    obligation = next(o for o in verdict.obligations if o.id == "obligation.contract")
    assert obligation.due == dt.date(2025, 10, 14) and obligation.status == "pending"
    verdict = _v(pack, dates={"contract_signed": "2025-09-30", "contract_filed": False}, as_of=dt.date(2025, 10, 15))
    assert next(o for o in verdict.obligations if o.id == "obligation.contract").status == "overdue"
    verdict = _v(pack, dates={"contract_signed": "2025-09-30", "contract_filed": "2025-10-15"},
                 as_of=dt.date(2025, 10, 20))
    obligation = next(o for o in verdict.obligations if o.id == "obligation.contract")
    assert obligation.status == "met" and obligation.late


def test_unknown_done_after_deadline_is_unknown(pack: Any) -> None:
    verdict = _v(pack, dates={"contract_signed": "2025-09-30"}, as_of=dt.date(2025, 10, 20))
    obligation = next(o for o in verdict.obligations if o.id == "obligation.contract")
    assert obligation.status == "unknown"
    assert "dates.contract_filed" in {m.name for m in verdict.missing_facts}


def _contract(pack: Any, as_of: dt.date, filed: Any = False, calendar: Any = None) -> Any:
    data = {"id": "p", "name": "n", "dates": {"contract_signed": "2026-12-29", "contract_filed": filed}}
    verdict = evaluate(data, pack, as_of, calendar=calendar or WorkdayCalendar(exclude_years={2027}))
    return verdict, next(o for o in verdict.obligations if o.id == "obligation.contract")


def test_deadline_beyond_calendar_is_provisional(pack: Any) -> None:
    # Five working days after 2026-12-29: 12-30, 12-31, (1-1 元旦), 1-4, 1-5, 1-6 on the statutory
    # holidays alone; 1-2/1-3 may be made working days (1-4 at the earliest), 1-4..1-6 given off (1-11).
    verdict, obligation = _contract(pack, dt.date(2026, 12, 30))
    assert (obligation.due, obligation.due_earliest, obligation.due_latest) == (
        dt.date(2027, 1, 6), dt.date(2027, 1, 4), dt.date(2027, 1, 11))
    assert obligation.provisional and obligation.status == "pending"
    assert obligation.reason == "暂按法定节假日推算，待国务院公布2027年放假安排后确定"
    assert any("2027" in w and "obligation.contract" in w for w in verdict.warnings)
    assert "暂按法定节假日推算，待国务院公布2027年放假安排后确定" in render_text(verdict)
    assert "期限 2027-01-06（暂定，2027-01-04至2027-01-11之间）" in render_text(verdict)


@pytest.mark.parametrize(
    ("as_of", "filed", "status", "late", "reason"),
    [
        (dt.date(2027, 1, 4), False, "pending", False, None),
        (dt.date(2027, 1, 5), False, "unknown", False, "期限可能已过，尚未履行"),  # past the earliest only
        (dt.date(2027, 1, 11), False, "unknown", False, "期限可能已过，尚未履行"),
        (dt.date(2027, 1, 12), False, "overdue", False, None),  # past the latest
        (dt.date(2027, 1, 20), "2027-01-04", "met", False, None),
        (dt.date(2027, 1, 20), "2027-01-08", "met", False, "已于2027-01-08履行，是否逾期待定"),
        (dt.date(2027, 1, 20), "2027-01-12", "met", True, "已于2027-01-12履行，晚于期限2027-01-06"),
        (dt.date(2027, 1, 8), None, "unknown", False, "期限可能已过，是否已履行未知（缺少 dates.contract_filed）"),
        (dt.date(2027, 1, 20), None, "unknown", False,
         "期限2027-01-06已过，是否已履行未知（缺少 dates.contract_filed）"),
    ],
)
def test_status_follows_the_whole_interval(pack: Any, as_of: dt.date, filed: Any, status: str, late: bool,
                                           reason: str | None) -> None:
    _verdict, obligation = _contract(pack, as_of, filed)
    assert (obligation.status, obligation.late) == (status, late)
    note = "暂按法定节假日推算，待国务院公布2027年放假安排后确定"
    assert obligation.reason == (f"{reason}；{note}" if reason else note)


def test_exact_deadline_is_not_provisional(pack: Any) -> None:
    schedule = YearSchedule(2027, frozenset({dt.date(2027, 1, 1)}), frozenset())
    _verdict, obligation = _contract(pack, dt.date(2026, 12, 30),
                                     calendar=WorkdayCalendar(exclude_years={2027}).with_year(schedule))
    assert (obligation.due, obligation.provisional, obligation.due_earliest, obligation.due_latest) == (
        dt.date(2027, 1, 6), False, None, None)
    assert obligation.reason is None


def test_user_supplied_year_schedule(pack: Any) -> None:
    schedule = YearSchedule(2027, frozenset({dt.date(2027, 1, 1)}), frozenset())
    calendar = WorkdayCalendar.default().with_year(schedule)
    data = {"id": "p", "name": "n", "dates": {"contract_signed": "2026-12-29", "contract_filed": False}}
    verdict = evaluate(data, pack, dt.date(2026, 12, 30), calendar=calendar)
    obligation = next(o for o in verdict.obligations if o.id == "obligation.contract")
    # 12-30, 12-31, (1-1 holiday), 1-4, 1-5, 1-6
    assert obligation.due == dt.date(2027, 1, 6)


def test_annual_deadline(pack: Any) -> None:
    def status(applied: Any, as_of: dt.date) -> tuple[Any, Any, Any]:
        verdict = _v(pack, dates={"om_funds_applied": applied}, as_of=as_of)
        o = next(o for o in verdict.obligations if o.id == "obligation.annual")
        return o.status, o.due, o.late

    assert status(False, dt.date(2026, 5, 1)) == ("pending", dt.date(2026, 6, 30), False)
    assert status("2026-06-30", dt.date(2026, 7, 1)) == ("met", dt.date(2026, 6, 30), False)
    assert status("2026-07-01", dt.date(2026, 7, 2)) == ("met", dt.date(2026, 6, 30), True)
    assert status(False, dt.date(2026, 7, 1)) == ("overdue", dt.date(2026, 6, 30), False)
    assert status("2025-06-01", dt.date(2026, 7, 1)) == ("overdue", dt.date(2026, 6, 30), False)


def test_budget_line_consequence(pack: Any) -> None:
    lines = [{"year": 2023, "purpose": "operation_maintenance", "amount": 1000, "carried_over_years": 2},
             {"year": 2024, "purpose": "operation_maintenance", "amount": 1000, "carried_over_years": 1}]
    verdict = _v(pack, budget_lines=lines)
    assert [(c.id, c.item) for c in verdict.consequences] == [("consequence.carry", 0)]


def test_in_force(pack: Any) -> None:
    verdict = _v(pack, as_of=dt.date(2024, 12, 31))
    assert verdict.in_force is False and any("尚未施行" in w for w in verdict.warnings)


def test_facts_are_validated(pack: Any) -> None:
    with pytest.raises(ProjectError) as info:
        _v(pack, facts={"shares_data": "yes"})
    assert info.value.errors[0]["path"] == "facts.shares_data"
    with pytest.raises(ProjectError) as info:
        _v(pack, facts={"shares_dat": True})
    assert info.value.errors[0]["path"] == "facts.shares_dat"


def test_parameters(pack: Any) -> None:
    with pytest.raises(ParameterError, match="fixed by the text"):
        evaluate({"id": "p", "name": "n"}, pack, dt.date(2025, 9, 1), parameters={"threshold": 1})
    with pytest.raises(ParameterError, match="unknown parameter"):
        evaluate({"id": "p", "name": "n"}, pack, dt.date(2025, 9, 1), parameters={"nope": 1})


def test_verdict_has_every_contract_key(pack: Any) -> None:
    data = _v(pack).model_dump(mode="json")
    assert set(data) >= {"pack", "document", "title", "pack_digest", "engine_version", "as_of", "in_force",
                         "warnings", "scope", "route", "grounds", "changes", "obligations", "consequences",
                         "missing_facts", "trace"}


def test_deterministic(pack: Any) -> None:
    assert _v(pack).model_dump(mode="json") == _v(pack).model_dump(mode="json")


def test_vocabulary_facts_a_pack_does_not_read_are_ignored_and_unknown_names_still_refused() -> None:
    base = {"id": "p", "name": "示例", "execution": "construction", "budget": 600000,
            "facts": {"own_funds_state_owned": False, "sporadic_office_purchase": False}}
    plain = evaluate(base, "jingzhou-2017", as_of=dt.date(2025, 9, 1), trace=False)
    # facts of the shared vocabulary that Jingzhou does not declare: accepted, unread, whatever their value
    unread = {**base["facts"], "builds_infrastructure_platform": True, "application_kind": "不是枚举值"}
    with_unread = evaluate({**base, "facts": unread}, "jingzhou-2017", as_of=dt.date(2025, 9, 1), trace=False)
    assert with_unread.model_dump() == plain.model_dump()
    with pytest.raises(ProjectError, match=r"facts\.no_such_fact"):
        evaluate({**base, "facts": {**unread, "no_such_fact": True}}, "jingzhou-2017", as_of=dt.date(2025, 9, 1))
    with pytest.raises(ProjectError, match=r"facts\.own_funds_state_owned"):
        evaluate({**base, "facts": {**unread, "own_funds_state_owned": "yes"}}, "jingzhou-2017",
                 as_of=dt.date(2025, 9, 1))
