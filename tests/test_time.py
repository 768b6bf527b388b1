"""Time: not retroactive, not in force, transitional clauses (govrules.compile.temporal)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import govrules
from govrules.cli import main
from govrules.compile.loading import load_pack_text
from govrules.compile.temporal import evaluated_text, guarded_points, time_points
from govrules.errors import PackError
from govrules.models.pack import ForEach
from govrules.output.batch import verdict_json

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2025, 9, 1)

# A Chuxiong project that started building before approval; only its start date changes per test.
_BUILT_FIRST: dict[str, Any] = {
    "id": "t", "name": "示例", "level": "prefecture", "execution": "construction", "budget": 800000,
    "funding": [{"source": "prefecture", "amount": 800000}],
    "dates": {"approval": False, "contract_signed": False, "contract_end": False},
    "facts": {"gbt40692_system": True, "involves_public_data": True, "emergency": False,
              "emergency_leader_consent": False},
}


def _built_first(start: str) -> dict[str, Any]:
    return {**_BUILT_FIRST, "dates": {**_BUILT_FIRST["dates"], "construction_start": start}}


def _consequences(verdict: govrules.Verdict) -> set[str]:
    return {c.id for c in verdict.consequences}


@pytest.mark.parametrize(("start", "applies"), [("2024-03-01", False), ("2025-05-07", False),
                                                 ("2025-05-08", True), ("2025-06-01", True)])
def test_accountability_only_for_a_start_on_or_after_the_effective_date(start: str, applies: bool) -> None:
    verdict = govrules.evaluate(_built_first(start), "chuxiong-2025", AS_OF)
    wanted = {"consequence.art6_built_before_approval", "consequence.art34_accountability"}
    assert (wanted & _consequences(verdict)) == (wanted if applies else set())
    assert any("不溯及既往" in w and start in w for w in verdict.warnings) is not applies


def test_unknown_start_leaves_the_consequence_possible_not_cleared() -> None:
    project = {**_BUILT_FIRST, "dates": {"approval": False}}
    verdict = govrules.evaluate(project, "chuxiong-2025", AS_OF)
    statuses = {c.id: c.status for c in verdict.consequences}
    assert statuses.get("consequence.art34_accountability") == "possible"
    assert "dates.construction_start" in {m.name for m in verdict.missing_facts}


def test_guard_is_part_of_the_compiled_condition_and_of_the_trace() -> None:
    pack = govrules.load_pack("chuxiong-2025")
    compiled = pack.by_id["consequence.art34_accountability"]
    assert compiled.guard == ("dates.construction_start",)
    assert "effective_date" in compiled.symbols
    assert evaluated_text(compiled).endswith("(dates['construction_start'] >= effective_date)")
    verdict = govrules.evaluate(_built_first("2024-03-01"), pack, AS_OF)
    step = next(s for s in verdict.trace if s.rule == "consequence.art34_accountability")
    assert step.result == "false" and step.saw["dates.construction_start"] == "2024-03-01"
    assert step.saw["effective_date"] == "2025-05-08"
    assert step.condition == evaluated_text(compiled)  # the trace shows the condition evaluated, guard and all
    compact = govrules.evaluate(_built_first("2024-03-01"), pack, AS_OF, trace=False)
    assert next(s for s in compact.trace if s.rule == compiled.id).condition == evaluated_text(compiled)


def test_every_bundled_rule_that_reads_an_event_has_decided_about_time() -> None:
    for pack_id in ("chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"):
        pack = govrules.load_pack(pack_id)
        for compiled in pack.rules:
            rule = compiled.rule
            points = time_points(rule, compiled.symbols - {"effective_date"})
            if points and "effective_date" not in compiled.rule.when:
                assert rule.since is not None or rule.reaches_existing is not None, (pack_id, rule.id)


def test_reaching_existing_state_is_declared_with_a_reason() -> None:
    pack = govrules.load_pack("chuxiong-2025")
    reaching = {c.id for c in pack.rules if getattr(c.rule, "reaches_existing", None) is not None}
    assert reaching == {"obligation.art30_self_evaluation", "obligation.art31_om_application",
                        "consequence.art33_carryover"}
    assert all(pack.by_id[r].guard == () for r in reaching)
    lines = [{"year": 2023, "purpose": "operation_maintenance", "amount": 1000, "carried_over_years": 2}]
    verdict = govrules.evaluate({**_built_first("2025-06-01"), "budget_lines": lines}, pack, AS_OF)
    assert "consequence.art33_carryover" in _consequences(verdict)


def test_transitional_clause_is_judged_at_the_effective_date() -> None:
    """第三十六条第（一）项: a contract signed before the measure and in performance on its effective
    date stays outside it, even once performance has ended by the evaluation date."""
    base = {"id": "t", "name": "示例", "level": "prefecture", "execution": "construction", "budget": 800000}

    def scope(end: str, as_of: dt.date = AS_OF) -> str:
        project = {**base, "dates": {"contract_signed": "2025-01-10", "contract_end": end}}
        return govrules.evaluate(project, "chuxiong-2025", as_of).scope.status
    assert scope("2025-08-31") == "exempt"                       # ended before as_of, after the effective date
    assert scope("2025-05-08") == "exempt"                       # in performance on the effective date
    assert scope("2025-05-07") != "exempt"                       # ended the day before
    assert scope("2025-08-31", dt.date(2027, 1, 1)) == "exempt"  # the evaluation date does not matter


def test_superseded_measure_decides_nothing_and_names_its_successor() -> None:
    project = {"id": "q", "name": "示例", "level": "city", "execution": "construction", "budget": 800000,
               "funding": [{"source": "municipal", "amount": 800000}],
               "dates": {"construction_start": "2021-09-01", "decommissioned": "2022-05-01",
                         "decommission_filed": False},
               "facts": {"in_annual_plan": False, "construction_status_filed": False}}
    before = govrules.evaluate(project, "qujing-2020", dt.date(2022, 9, 15))
    assert before.in_force and before.superseded_by is None and before.obligations and before.consequences
    after = govrules.evaluate(project, "qujing-2020", dt.date(2022, 9, 16))
    assert not after.in_force and not after.historical
    assert after.superseded_by is not None and after.superseded_by.document == "曲政办发〔2022〕85号"
    assert after.superseded_by.on == dt.date(2022, 9, 16)
    assert (after.grounds, after.obligations, after.consequences) == ([], [], [])
    assert after.route.decision == "none" and after.route.citations == []
    assert {m.name for m in after.missing_facts} <= {m.name for m in before.missing_facts}
    historical = govrules.evaluate(project, "qujing-2020", dt.date(2022, 9, 16), historical=True)
    assert historical.historical and not historical.in_force
    assert historical.superseded_by == after.superseded_by
    assert {o.id for o in historical.obligations} == {o.id for o in before.obligations}
    assert any("视同施行" in w for w in historical.warnings)
    # in force, `historical` changes nothing
    again = govrules.evaluate(project, "qujing-2020", dt.date(2022, 9, 15), historical=True)
    assert again.model_dump(mode="json") == before.model_dump(mode="json")


def test_new_verdict_keys_are_written_by_the_hand_written_json_writer() -> None:
    project = {"id": "q", "name": "示例", "level": "city", "execution": "construction", "budget": 800000}
    for historical in (False, True):
        verdict = govrules.evaluate(project, "qujing-2020", dt.date(2023, 1, 1), historical=historical, trace=False)
        text = verdict_json(verdict)
        assert text == json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
        data = json.loads(text)
        assert data["historical"] is historical
        assert data["superseded_by"] == {"document": "曲政办发〔2022〕85号", "title": "曲靖市信息化项目管理办法(修订)",
                                         "on": "2022-09-16"}


def test_cli_as_if_in_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"id": "q", "name": "示例", "level": "city", "execution": "construction",
                                "budget": 800000, "facts": {"in_annual_plan": False}}), "utf-8")
    assert main(["evaluate", str(path), "--pack", "qujing-2020", "--as-of", "2023-01-01", "--format", "json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["historical"] is False and plain["consequences"] == [] and plain["grounds"] == []
    assert main(["evaluate", str(path), "--pack", "qujing-2020", "--as-of", "2023-01-01", "--format", "json",
                 "--as-if-in-force"]) == 0
    forced = json.loads(capsys.readouterr().out)
    assert forced["historical"] is True and forced["grounds"]
    assert main(["evaluate", str(path), "--pack", "qujing-2020", "--as-of", "2023-01-01"]) == 0
    text = capsys.readouterr().out
    assert "现行办法: 《曲靖市信息化项目管理办法(修订)》曲政办发〔2022〕85号" in text


_MINI = """\
format: govrules/pack@1
id: mini-time
title: 示例办法
document: 示政办〔2025〕1号
issuer: 示例市人民政府办公室
jurisdiction: {name: 示例市, level: city}
dates: {issued: 2025-01-01, effective: 2025-01-01, effective_basis: issuance}
articles:
  - {number: 1, text: 合同签订后5个工作日内备案。}
rules:
  - id: obligation.contract
    kind: obligation
    title: 合同签订后5个工作日内备案
    action: 合同备案
    when: 'true'
    deadline: {after: contract_signed, working_days: 5}
    done: contract_filed
    cite: {article: 1}
"""


def test_a_deadline_event_is_a_time_point_and_is_guarded_by_default() -> None:
    pack = load_pack_text(_MINI.encode(), file="mini.yaml")
    compiled = pack.by_id["obligation.contract"]
    assert time_points(compiled.rule, set()) == ("dates.contract_signed",)
    assert compiled.guard == ("dates.contract_signed",)
    project = {"id": "m", "name": "示例", "dates": {"contract_signed": "2024-12-31", "contract_filed": False}}
    assert govrules.evaluate(project, pack, dt.date(2025, 3, 1)).obligations == []
    project["dates"]["contract_signed"] = "2025-01-01"
    [obligation] = govrules.evaluate(project, pack, dt.date(2025, 3, 1)).obligations
    assert obligation.status == "overdue"


def test_since_must_name_an_event() -> None:
    text = _MINI.replace("    done: contract_filed\n", "    done: contract_filed\n    since: contract_sign\n")
    with pytest.raises(PackError) as raised:
        load_pack_text(text.encode(), file="mini.yaml")
    assert "unknown event `contract_sign`" in str(raised.value.diagnostics[0])


def test_time_declarations_only_on_rules_that_create_duties_or_sanctions() -> None:
    text = _MINI.replace("kind: obligation", "kind: scope").replace(
        "    done: contract_filed\n", "    reaches_existing: {because: x}\n").replace(
        "    action: 合同备案\n", "").replace("    deadline: {after: contract_signed, working_days: 5}\n", "")
    with pytest.raises(PackError):
        load_pack_text(text.encode(), file="mini.yaml")


def test_declarations_leave_the_digest_of_packs_without_them_unchanged() -> None:
    pack = load_pack_text(_MINI.encode(), file="mini.yaml")
    dumped = pack.pack.model_dump(mode="json")["rules"][0]
    assert "since" not in dumped and "reaches_existing" not in dumped
    assert guarded_points(pack.pack.rules[0], ()) == ("dates.contract_signed",)


def test_budget_lines_before_the_effective_year_are_barred_unless_declared() -> None:
    carry = """\
  - id: consequence.carry
    kind: consequence
    for_each: budget_line
    title: 结转两年缴回
    effect: 缴回财政
    when: line_carried_over_years >= 2
    cite: {article: 1}
"""
    pack = load_pack_text((_MINI + carry).encode(), file="mini.yaml")
    assert pack.by_id["consequence.carry"].guard == ("line_year",)
    lines = [{"year": 2024, "purpose": "operation_maintenance", "amount": 1000, "carried_over_years": 2},
             {"year": 2025, "purpose": "operation_maintenance", "amount": 1000, "carried_over_years": 2}]
    verdict = govrules.evaluate({"id": "m", "name": "示例", "budget_lines": lines}, pack, dt.date(2025, 3, 1))
    assert [(c.id, c.item) for c in verdict.consequences] == [("consequence.carry", 1)]
    assert any(w.startswith("不溯及既往: 预算年度2024年的资金") for w in verdict.warnings)
    declared = carry.replace("    cite:", "    reaches_existing: {because: 及于施行前结转的资金}\n    cite:")
    pack = load_pack_text((_MINI + declared).encode(), file="mini.yaml")
    verdict = govrules.evaluate({"id": "m", "name": "示例", "budget_lines": lines}, pack, dt.date(2025, 3, 1))
    assert [(c.id, c.item) for c in verdict.consequences] == [("consequence.carry", 0), ("consequence.carry", 1)]
    assert not any("不溯及既往" in w for w in verdict.warnings)


def test_not_yet_in_force_gives_the_reason_whatever_the_other_warnings() -> None:
    project = {**_built_first("2025-03-01"), "changes": [{"scale": "0.05"}]}
    verdict = govrules.evaluate(project, "chuxiong-2025", dt.date(2025, 5, 7),
                                parameters={"procurement_limit": "100万元"})
    assert not verdict.in_force and verdict.superseded_by is None
    assert verdict.route.decision == "none" and "尚未施行" in verdict.route.reasons[0]
    assert [c.decision for c in verdict.changes] == ["not_covered"] and "尚未施行" in verdict.changes[0].reasons[0]
    assert (verdict.grounds, verdict.obligations, verdict.consequences) == ([], [], [])
    assert any("参数 procurement_limit" in w for w in verdict.warnings)


def test_a_change_made_before_the_measure_is_not_covered_and_one_made_after_is_judged() -> None:
    """Linfen 第二十条 (重大变更 → 调整申请) took effect 2021-05-08: a change of 2021-03-15 is not its business;
    one of the effective day is judged by the change rules; one without a date, on a project building since
    2020, waits for its date."""
    changes = [{"major": True, "date": "2021-03-15"}, {"major": True, "date": "2021-05-08"}, {"major": True}]
    project = {"id": "c", "name": "变更", "level": "city", "execution": "construction", "budget": "300万元",
               "funding": [{"source": "municipal", "amount": "300万元"}],
               "dates": {"approval": "2020-06-01", "construction_start": "2020-09-01", "completion": False},
               "changes": changes}
    verdict = govrules.evaluate(project, "linfen-2021", dt.date(2021, 6, 1))
    before, on_the_day, undated = verdict.changes
    assert before.decision == "not_covered" and before.rules == []
    assert before.reasons == ["该变更发生于 2021-03-15，在本办法施行（2021-05-08）之前：不溯及既往"]
    assert on_the_day.decision == "adjustment_request" and undated.decision == "undetermined"
    # undated, it may also lie outside building (change timing): that rule is open too, and the date is asked
    assert set(on_the_day.rules) < set(undated.rules) and "change.art20_outside_building" in undated.rules
    assert "change_date" in {m.name for m in verdict.missing_facts}
    # a pack's change rules may read the date too
    assert "change_date" in load_pack_text(
        _MINI.encode(), file="mini.yaml").table.item_symbols[ForEach.change]


def test_an_undated_change_of_a_project_under_way_before_the_measure_waits_for_its_date() -> None:
    """Chuxiong 第二十四条: a 5% change for external reasons is 报备 — if made after 2025-05-08 and during
    implementation. On a project building since 2024 an undated change may predate the measure: the date is
    asked for."""
    change = {"scale": "0.05", "increases_investment": False, "cause": "external_environment", "major": True}
    project = {"id": "u", "name": "变更", "level": "prefecture", "execution": "construction", "budget": "128万元",
               "funding": [{"source": "prefecture", "amount": "128万元"}],
               "facts": {"gbt40692_system": True, "involves_public_data": True},
               "dates": {"construction_start": "2024-04-01", "contract_signed": "2024-03-01",
                         "contract_end": "2025-03-31"},
               "changes": [change]}
    day, limit = dt.date(2025, 9, 1), {"procurement_limit": "100万元"}
    undated = govrules.evaluate(project, "chuxiong-2025", day, parameters=limit)
    (change_out,) = undated.changes
    assert change_out.decision == "undetermined" and change_out.rules
    needed = undated.missing_fact("change_date")
    assert needed is not None and needed.path == "changes[].date" and set(needed.needed_by) <= set(change_out.rules)
    # dated after the measure, on a project not yet accepted: judged by the rules (报备); before it: not covered
    accepted_not_yet = {**project, "dates": {**project["dates"], "completion": False, "acceptance": False}}
    after = govrules.evaluate({**accepted_not_yet, "changes": [{**change, "date": "2025-06-01"}]}, "chuxiong-2025",
                              day, parameters=limit)
    before = govrules.evaluate({**accepted_not_yet, "changes": [{**change, "date": "2025-04-01"}]}, "chuxiong-2025",
                               day, parameters=limit)
    assert after.changes[0].decision == "filing" and before.changes[0].decision == "not_covered"
    # with the acceptance date unknown (and nothing placing it), whether the change came after it is asked
    open_acceptance = govrules.evaluate({**project, "changes": [{**change, "date": "2025-06-01"}]}, "chuxiong-2025",
                                        day, parameters=limit)
    assert open_acceptance.changes[0].decision == "undetermined"
    assert open_acceptance.missing_fact("dates.acceptance") is not None


def test_jingzhou_july_deadline_on_a_rest_day_is_not_moved_and_the_verdict_says_so() -> None:
    """第八条 "于每年7月底前": the pack reads a fixed date (期日), not the end of a period that 民法典
    第二百零三条 would move off a rest day. 31 July 2021 was a Saturday: an application on Monday 2 August
    is late, and the obligation's action tells the reader of the verdict which reading that rests on."""
    project: dict[str, Any] = {
        "id": "q10", "name": "7月31日周六 2022年度 8月2日申报", "level": "city", "execution": "construction",
        "category": "software_development", "budget": "100万元",
        "funding": [{"source": "municipal", "amount": "100万元"}],
        "dates": {"application": "2021-08-02"}, "facts": {"build_type": "new_construction", "funding_year": 2022}}
    verdict = govrules.evaluate(project, "jingzhou-2017", dt.date(2021, 9, 1))
    assert dt.date(2021, 7, 31).weekday() == 5
    application = next(o for o in verdict.obligations if o.id == "obligation.art8_application")
    assert (application.status, application.due, application.late) == ("met", dt.date(2021, 7, 31), True)
    assert "休息日的不顺延" in application.action and "第二百零三条" in application.action
