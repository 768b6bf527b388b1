"""Measures as they really come: partial texts, unknown effective dates, a preamble, defined terms,
and the project's procurement category and place kind."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import govrules
from govrules.analysis.lint import check_pack
from govrules.compile.loading import load_pack, load_pack_text
from govrules.errors import PackError, ProjectError
from govrules.output.report import render_text
from govrules.output.verdict_json import verdict_json
from govrules.testing.cases import check_references, load_case_file, run_case_file

ROOT = Path(__file__).resolve().parents[1]

# A test pack (not a real measure): an upgrade of at most 15% of the original investment and at
# most 100万元 is managed as O&M; a preamble; the text breaks off at 第三条; the date is lost.
PACK = """\
format: govrules/pack@1
id: partial-2025
title: 升级改造项目管理办法（测试）
document: 测〔2025〕2号
issuer: 测试市人民政府办公室
jurisdiction: {name: 测试市, level: city}
dates:
  issued: 2025-01-01
  effective_basis: unknown
  effective_between: {earliest: 2025-03-01, latest: 2025-03-31, note: 仅知于2025年3月施行}
text: {complete: false, from_article: 3, note: 仅存序言及第一条、第二条}
articles:
  - {number: 0, heading: 前言, text: 为规范升级改造项目管理，制定本办法。, informational: 立法目的}
  - {number: 1, text: 升级改造投资不超过原投资15%且不超过100万元的，按照运维服务类项目管理。}
  - {number: 2, text: 按照运维服务类项目管理的，报主管部门备案。}
facts:
  - {name: original_investment, type: money, zh: 原项目投资, en: original investment}
parameters:
  - {name: upgrade_ratio_cap, value: 15%, unit: ratio, zh: 比例上限, en: ratio cap, cite: {article: 1}}
  - {name: upgrade_amount_cap, value: 100万元, unit: CNY, zh: 金额上限, en: amount cap, cite: {article: 1}}
terms:
  - id: managed_as_om
    zh: 按照运维服务类项目管理的升级改造
    en: an upgrade managed as an O&M service project
    cite: {article: 1}
    quote: 升级改造投资不超过原投资15%且不超过100万元的，按照运维服务类项目管理。
    when: budget <= original_investment * upgrade_ratio_cap and budget <= upgrade_amount_cap
rules:
  - {id: scope.all, kind: scope, title: 本办法所称升级改造项目, when: budget > 0, cite: {article: 0}}
  - {id: route.om, kind: route, title: 报主管部门备案, decision: filing, when: managed_as_om, cite: {article: 2}}
"""


def _pack(text: str = PACK) -> govrules.CompiledPack:
    return load_pack_text(text, file="partial-2025.yaml")


def _project(**values: object) -> dict[str, object]:
    return {"id": "p", "name": "升级", "budget": "50万元", "facts": {"original_investment": "500万元"}, **values}


# -------------------------------------------------------------------------------- partial texts


def test_a_route_the_lost_text_would_decide_is_text_missing_not_a_silence() -> None:
    pack = _pack()
    # 80万 of 500万 is 16%: not managed as O&M, and no surviving article decides the procedure
    verdict = govrules.evaluate(_project(budget="80万元"), pack, as_of="2025-06-01")
    assert verdict.route.decision == "undetermined" and verdict.route.gap and verdict.route.text_missing
    assert not any("办法未作规定" in r for r in verdict.route.reasons)
    assert any("第三条起缺失" in r for r in verdict.route.reasons)
    assert verdict.text_status is not None and verdict.text_status.missing_from_article == 3
    assert not verdict.text_status.complete
    assert "（原文缺失）" in render_text(verdict) and "原文状况: 第三条起缺失" in render_text(verdict)
    # a route the surviving text decides is not marked
    decided = govrules.evaluate(_project(), pack, as_of="2025-06-01")
    assert decided.route.decision == "filing" and not decided.route.text_missing


def test_a_complete_pack_keeps_its_silent_gaps_as_the_measure_s_own() -> None:
    complete = PACK.replace("text: {complete: false, from_article: 3, note: 仅存序言及第一条、第二条}\n", "")
    verdict = govrules.evaluate(_project(budget="80万元"), _pack(complete), as_of="2025-06-01")
    assert verdict.route.gap and not verdict.route.text_missing
    assert any("办法未作规定" in r for r in verdict.route.reasons)


def test_a_rule_citing_a_lost_article_is_an_error_at_its_citation() -> None:
    text = PACK.replace("cite: {article: 2}}\n", "cite: {article: 4}}\n")
    with pytest.raises(PackError) as caught:
        _pack(text)
    found = [d for d in caught.value.diagnostics if d.code == "pack.citation_lost"]
    assert len(found) == 1 and "article 4" in found[0].message and "第三条起缺失" in found[0].message
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "cite: {article: 4}" in row)
    assert found[0].location is not None and found[0].location.line == line
    assert not any(d.code == "pack.citation" for d in caught.value.diagnostics)


def test_an_article_listed_although_lost_and_text_missing_in_a_complete_pack_are_errors() -> None:
    listed = PACK.replace("  - {number: 2,", "  - {number: 3, text: 第三条。}\n  - {number: 2,")
    with pytest.raises(PackError) as caught:
        _pack(listed)
    assert any(d.code == "pack.text_lost_article" for d in caught.value.diagnostics)
    complete = PACK.replace("text: {complete: false, from_article: 3, note: 仅存序言及第一条、第二条}\n", "") + (
        "  - {id: route.lost, kind: route, title: 缺失, decision: undetermined, text_missing: true, when: 'true', "
        "cite: {article: 2}}\n")
    with pytest.raises(PackError) as caught:
        _pack(complete)
    assert any(d.code == "pack.text_missing_complete" for d in caught.value.diagnostics)


def test_a_text_missing_rule_that_decides_is_told_what_to_write() -> None:
    text = PACK + ("  - {id: route.lost, kind: route, title: 其他项目的程序在缺失部分, decision: approval, "
                   "text_missing: true, when: not managed_as_om, cite: {article: 1}}\n")
    with pytest.raises(PackError) as caught:
        _pack(text)
    [found] = [d for d in caught.value.diagnostics if d.code == "pack.text_missing_decision"]
    assert found.message == ("a `text_missing: true` rule must have `decision: undetermined` (it marks what the "
                             "lost text may decide); found `approval`")
    assert found.hint is not None and "decision: undetermined" in found.hint
    assert found.location is not None and found.location.line == len(text.splitlines())


def test_text_metadata_must_say_what_is_lost() -> None:
    with pytest.raises(PackError, match="complete: false"):
        _pack(PACK.replace("from_article: 3, ", ""))


def test_a_text_missing_rule_is_a_gap_and_names_the_lost_text() -> None:
    text = PACK + ("  - {id: route.lost, kind: route, title: 其他项目的程序在缺失部分, decision: undetermined, "
                   "text_missing: true, when: not managed_as_om, cite: {article: 1}}\n")
    verdict = govrules.evaluate(_project(budget="80万元"), _pack(text), as_of="2025-06-01")
    assert verdict.route.rules == ["route.lost"] and verdict.route.gap and verdict.route.text_missing


# -------------------------------------------------------------------------------- unknown dates


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2025-02-28", False),          # before the window: surely not yet
    ("2025-03-01", "undetermined"),
    ("2025-03-30", "undetermined"),
    ("2025-03-31", True),           # latest: the last day it can have taken effect, so in force that day
    ("2025-04-01", True),
])
def test_in_force_is_undetermined_inside_the_window_of_an_unknown_date(as_of: str, expected: object) -> None:
    verdict = govrules.evaluate(_project(), _pack(), as_of=as_of)
    assert verdict.in_force == expected
    assert verdict.text_status is not None and not verdict.text_status.effective_known
    if expected == "undetermined":
        assert verdict.text_status.in_force_reason is not None and "施行日期不详" in verdict.text_status.in_force_reason
        assert verdict.route.decision == "filing"  # the rules are evaluated, and the verdict says on what
        assert "待定（施行日期不详）" in render_text(verdict)


def test_an_undetermined_verdict_writes_the_same_json_as_pydantic() -> None:
    verdict = govrules.evaluate(_project(), _pack(), as_of="2025-03-15")
    text = verdict_json(verdict)
    assert text == json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    assert json.loads(text)["in_force"] == "undetermined"


def test_an_unknown_date_needs_its_window() -> None:
    with pytest.raises(PackError, match="effective_between"):
        window = "  effective_between: {earliest: 2025-03-01, latest: 2025-03-31, note: 仅知于2025年3月施行}\n"
        _pack(PACK.replace(window, ""))
    with pytest.raises(PackError, match="latest"):
        _pack(PACK.replace("latest: 2025-03-31", "latest: 2025-02-01"))


def test_the_window_is_described_as_the_day_it_is_in_force_by() -> None:
    verdict = govrules.evaluate(_project(), _pack(), as_of="2025-03-30")
    assert verdict.text_status is not None
    assert verdict.text_status.summary.endswith("施行日期不详（不早于2025-03-01，至迟2025-03-31施行）")
    assert verdict.text_status.effective_latest is not None and verdict.text_status.effective_latest.day == 31
    reason = verdict.text_status.in_force_reason or ""
    assert "至迟2025-03-31施行" in reason and "前" not in reason.split("；")[0]


# -------------------------------------------------------------------------------- preamble


def test_a_preamble_is_article_zero_and_is_cited_by_its_heading() -> None:
    verdict = govrules.evaluate(_project(), _pack(), as_of="2025-06-01")
    assert [c.label for c in verdict.scope.citations] == ["前言"]
    assert verdict.articles["partial-2025"]["0"] == "为规范升级改造项目管理，制定本办法。"
    with pytest.raises(PackError, match="heading"):
        _pack(PACK.replace("{number: 1, text:", "{number: 1, heading: 前言, text:"))


# -------------------------------------------------------------------------------- defined terms


def test_a_term_is_read_by_rules_and_shown_with_the_amounts_it_compares() -> None:
    verdict = govrules.evaluate(_project(), _pack(), as_of="2025-06-01")
    (term,) = verdict.terms
    assert (term.id, term.holds, term.citation.label) == ("managed_as_om", "true", "第一条")
    assert {(a.name, a.value) for a in term.compared} == {
        ("budget", "500000"), ("original_investment", "5000000"), ("upgrade_amount_cap", "1000000")}
    report = render_text(verdict)
    assert "按照运维服务类项目管理的升级改造(managed_as_om): 成立  [第一条]" in report
    assert "金额上限(upgrade_amount_cap) = 1000000元" in report


def test_a_term_stays_unknown_when_a_fact_it_needs_is_missing() -> None:
    verdict = govrules.evaluate(_project(facts={}), _pack(), as_of="2025-06-01")
    (term,) = verdict.terms
    assert term.holds == "unknown" and term.missing == ["original_investment"]
    assert verdict.route.decision == "undetermined" and not verdict.route.gap
    assert verdict.missing_fact("original_investment") is not None


def test_a_misspelt_term_is_an_error_with_a_suggestion_and_an_unread_term_a_warning() -> None:
    with pytest.raises(PackError) as caught:
        _pack(PACK.replace("when: managed_as_om,", "when: managed_as_mo,"))
    (problem,) = [d for d in caught.value.diagnostics if d.code == "condition.unknown_symbol"]
    assert "managed_as_mo" in problem.message and problem.hint == "did you mean `managed_as_om`?"
    unread = PACK.replace("when: managed_as_om,", "when: budget > 0,")
    warnings = _pack(unread).diagnostics
    assert any(d.code == "lint.unused_term" and "managed_as_om" in d.message for d in warnings)


def test_a_term_defined_through_itself_is_refused() -> None:
    text = PACK.replace("when: budget <= original_investment * upgrade_ratio_cap and budget <= upgrade_amount_cap",
                        "when: managed_as_om and budget > 0")
    with pytest.raises(PackError, match="defined through itself"):
        _pack(text)


def test_a_term_condition_with_an_error_is_located_in_the_term() -> None:
    with pytest.raises(PackError) as caught:
        _pack(PACK.replace("budget <= upgrade_amount_cap", "budget <= upgrade_amount_kap"))
    problem = next(d for d in caught.value.diagnostics if "upgrade_amount_kap" in d.message)
    line = next(i for i, row in enumerate(PACK.splitlines(), 1) if row.startswith("    when: budget <="))
    assert problem.location is not None and problem.location.line == line


def _case_file(folder: Path, base_extra: str, cases: str) -> Path:
    """The partial pack and a case file for it in ``folder``: base project (plus ``base_extra``) and ``cases``."""
    (folder / "partial-2025.yaml").write_text(PACK, encoding="utf-8")
    path = folder / "partial-2025.cases.yaml"
    path.write_text("pack: partial-2025.yaml\nas_of: 2025-06-01\n"
                    "base: {id: b, name: 测试, budget: 50万元, facts: {original_investment: 500万元}"
                    f"{base_extra}}}\n"
                    "cases:\n" + cases, encoding="utf-8")
    return path


def test_case_files_check_terms_and_refuse_an_unknown_term_id(tmp_path: Path) -> None:
    cases = _case_file(tmp_path, "",
                       "  - {name: om, expect: {terms: {managed_as_om: 'true'}, in_force: true}}\n"
                       "  - {name: not om, project: {budget: 80万元}, expect: {terms: {managed_as_om: 'false'}, "
                       "route_text_missing: true}}\n"
                       "  - {name: wrong, expect: {terms: {managed_as_om: 'false'}}}\n")
    results = run_case_file(cases)
    assert [r.passed for r in results] == [True, True, False]
    misspelt = cases.read_text(encoding="utf-8").replace("{managed_as_om: 'false'}}}", "{managed_as_mo: 'false'}}}")
    cases.write_text(misspelt, encoding="utf-8")
    problems = check_references(load_case_file(cases), load_pack(tmp_path / "partial-2025.yaml"))
    assert len(problems) == 1 and "no term `managed_as_mo`; did you mean `managed_as_om`?" in problems[0]


def test_linfen_defines_its_city_department_once() -> None:
    pack = load_pack("linfen-2021")
    assert [t.id for t in pack.pack.terms] == ["city_department"]
    rules = [r for r in pack.pack.rules if "city_department" in r.when]
    assert {r.id for r in rules} == {"scope.art2", "scope.art2_fiscal_project"}
    verdict = govrules.evaluate({"id": "p", "name": "x", "level": "county"}, pack, as_of="2025-01-01")
    assert verdict.terms[0].holds == "false" and verdict.terms[0].citation.label == "第三条第二款"
    assert verdict.scope.status == "out_of_scope"


def test_the_partial_example_passes_check_and_its_cases() -> None:
    example = ROOT / "examples" / "partial"
    result = check_pack(example / "linfen-2021-excerpt.yaml")
    assert not [d for d in result.diagnostics if d.severity == "error"]
    assert all(r.passed for r in run_case_file(example / "linfen-2021-excerpt.cases.yaml"))


# -------------------------------------------------------------------------------- project model


def test_procurement_category_and_place_kind_are_project_fields_conditions_read() -> None:
    text = PACK.replace("when: budget > 0, cite: {article: 0}",
                        "when: procurement_category == 'works' and place_kind == 'development_zone', "
                        "cite: {article: 0}")
    pack = _pack(text)
    inside = govrules.evaluate(_project(procurement_category="works", place_kind="development_zone"), pack,
                               as_of="2025-06-01")
    assert inside.scope.status == "in_scope"
    goods = govrules.evaluate(_project(procurement_category="goods", place_kind="development_zone"), pack,
                              as_of="2025-06-01")
    assert goods.scope.status == "out_of_scope"
    unknown = govrules.evaluate(_project(place_kind="development_zone"), pack, as_of="2025-06-01")
    assert unknown.scope.status == "undetermined" and unknown.missing_fact("procurement_category") is not None
    with pytest.raises(PackError, match="never 'work'"):
        _pack(text.replace("== 'works'", "== 'work'"))


def test_the_new_project_fields_are_optional_and_checked() -> None:
    assert govrules.Project.model_validate({"id": "p", "name": "x"}).procurement_category is None
    with pytest.raises(ProjectError) as caught:
        govrules.Project.model_validate({"id": "p", "name": "x", "procurement_category": "工程"})
    assert caught.value.errors[0]["path"] == "procurement_category"
    from govrules.models.project import PLACE_KIND_ZH, PROCUREMENT_CATEGORY_ZH, PlaceKind, ProcurementCategory

    assert {c.value: z for c, z in zip(ProcurementCategory, ["货物", "服务", "工程"],
                                                                    strict=True)} == PROCUREMENT_CATEGORY_ZH
    assert set(PLACE_KIND_ZH) == {k.value for k in PlaceKind}


def test_verdicts_of_packs_without_terms_or_lost_text_have_none() -> None:
    verdict = govrules.evaluate({"id": "p", "name": "x"}, "chuxiong-2025", as_of=dt.date(2025, 9, 1))
    assert verdict.terms == [] and verdict.text_status is None and verdict.in_force is True


def test_coverage_counts_a_defining_article_and_says_the_text_is_incomplete() -> None:
    from govrules.analysis.coverage import article_coverage, render_markdown

    pack = load_pack(ROOT / "examples" / "partial" / "linfen-2021-excerpt.yaml")
    rows = {r.label: r for r in article_coverage(pack)}
    assert rows["第三条"].terms == ["city_department"] and rows["第三条"].status == "encoded"
    assert "The text is incomplete: 第四条起缺失." in render_markdown(pack, list(rows.values()))


def test_a_pack_that_extends_another_inherits_its_terms(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(PACK, encoding="utf-8")
    child = ("format: govrules/pack@1\nid: child-2025\nextends: parent.yaml\ntitle: 子办法（测试）\n"
             "document: 测〔2025〕3号\nissuer: 测试县\njurisdiction: {name: 测试县, level: county}\n"
             "dates: {issued: 2025-06-01, effective: 2025-06-01, effective_basis: issuance}\n"
             "articles:\n  - {number: 1, text: 按照运维服务类项目管理的，报县主管部门备案。}\n"
             "rules:\n  - {id: route.om, replaces: true, kind: route, title: 报县主管部门备案, decision: filing, "
             "when: managed_as_om, cite: {article: 1}}\n")
    (tmp_path / "child.yaml").write_text(child, encoding="utf-8")
    verdict = govrules.evaluate(_project(), load_pack(tmp_path / "child.yaml"), as_of="2025-07-01")
    assert verdict.route.decision == "filing" and verdict.terms[0].id == "managed_as_om"
    assert verdict.terms[0].citation.pack == "partial-2025"


def test_the_status_line_labels_the_text_note_and_the_date_note() -> None:
    verdict = govrules.evaluate(_project(), _pack(), as_of="2025-03-15")
    line = next(x for x in render_text(verdict).splitlines() if x.startswith("原文状况"))
    assert "（原文：仅存序言及第一条、第二条；施行日期：仅知于2025年3月施行）" in line
    same = PACK.replace("note: 仅存序言及第一条、第二条", "note: 仅知于2025年3月施行")
    verdict = govrules.evaluate(_project(), _pack(same), as_of="2025-03-15")
    assert verdict.text_status is not None and verdict.text_status.note == "仅知于2025年3月施行"
    line = next(x for x in render_text(verdict).splitlines() if x.startswith("原文状况"))
    assert line.count("仅知于2025年3月施行") == 1


@pytest.mark.parametrize(("signed", "reads"), [("2025-02-28", False), ("2025-03-01", True)])
def test_effective_date_of_an_unknown_date_is_the_window_s_earliest(signed: str, reads: bool) -> None:
    text = PACK.replace("decision: filing, when: managed_as_om,",
                        "decision: filing, when: \"managed_as_om and dates['contract_signed'] >= effective_date\",")
    verdict = govrules.evaluate(_project(dates={"contract_signed": signed}), _pack(text), as_of="2025-06-01")
    assert (verdict.route.decision == "filing") is reads


def test_cases_check_a_change_s_gap_and_text_missing_and_refuse_an_unknown_change(tmp_path: Path) -> None:
    cases = _case_file(tmp_path, ", changes: [{major: true, scale: 0.3}, {major: false, scale: 0.02}]",
                       "  - {name: lost, expect: {changes: [undetermined, undetermined], changes_gap: [true, true], "
                       "changes_text_missing: [true, null]}}\n"
                       "  - {name: wrong gap, expect: {changes_gap: [true, false]}}\n"
                       "  - {name: wrong text_missing, expect: {changes_text_missing: [false]}}\n")
    verdict = govrules.evaluate(_project(changes=[{"major": True, "scale": "0.3"}]), _pack(), as_of="2025-06-01")
    assert verdict.changes[0].gap and verdict.changes[0].text_missing  # what the cases below rely on
    results = run_case_file(cases)
    assert [r.passed for r in results] == [True, False, False]
    assert results[1].failures == ["changes_gap[1]: expected False, got True"]
    assert results[2].failures == ["changes_text_missing[0]: expected False, got True"]
    # an index past the project's change requests: refused before any case runs, where it is written
    text = cases.read_text(encoding="utf-8").replace("changes_gap: [true, false]", "changes_gap: [true, true, true]")
    cases.write_text(text, encoding="utf-8")
    problems = check_references(load_case_file(cases), load_pack(tmp_path / "partial-2025.yaml"))
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "wrong gap" in row)
    assert len(problems) == 1 and f":{line}:" in problems[0], problems
    assert "changes_gap: the project has 2 change request(s), so no change 2" in problems[0]
    # and at run time, against the verdict's change requests
    from govrules.testing.cases import Expectation, compare
    assert compare(Expectation(changes_text_missing=[True, None, True]), verdict) == [
        "changes_text_missing[1]: expected None, but the verdict has no change 1 (1 change request(s))",
        "changes_text_missing[2]: expected True, but the verdict has no change 2 (1 change request(s))"]
