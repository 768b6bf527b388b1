"""Proving packs consistent: the exhaustive analysis (govrules.analysis.consistency) and hypothesis properties.

(a) the bundled packs: Chuxiong's Art. 16–17 gap and overlap come out as declared gaps, with regions
    and example projects that evaluate() reproduces; the other packs' findings are pinned.
(b) fixture packs under tests/fixtures/inconsistent/, each seeded with exactly one defect, are each
    caught by the matching check.
(c) hypothesis properties on generated projects for every bundled pack: determinism, every
    conclusion cites an article the pack has, and knowing more never contradicts.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govrules
from govrules.analysis.consistency import CODES, Finding, check_citations, check_consistency, example_project
from govrules.compile.loading import load_pack_text
from govrules.models.pack import FactScope, FactType, Pack
from govrules.models.verdict import CitationOut, Verdict
from govrules.packs.projects import read_project_data, validate_project
from govrules.packs.yaml_io import load_yaml
from govrules.testing import evaluations, parameter_values, projects
from govrules.testing.strategies import FEN, _boundaries, amounts

FIXTURES = Path(__file__).parent / "fixtures" / "inconsistent"
PACK_IDS = ["qujing-2020", "chuxiong-2025", "jingzhou-2017", "linfen-2021"]
PACKS = {pid: govrules.load_pack(pid) for pid in PACK_IDS}
AS_OF = {pid: pack.pack.dates.effective + dt.timedelta(days=180) for pid, pack in PACKS.items()}

#: Declared gaps each bundled pack has (rule ids); no pack has an undeclared defect.
EXPECTED_DECLARED = {
    "qujing-2020": {("route.art10_classified_gap",), ("route.art3_county_gap",), ("route.art21_pre_effective",)},
    # and ("route.art16_17_overlap",) when read literally; 第二十四条 sets no procedure for a change that adds
    # investment (its 报备/审批 split presumes none is added)
    "chuxiong-2025": {("route.art16_17_gap",), ("change.art24_more_investment",)},
    # 第十一条's filing before the measure is a gap too, like 第十条's
    "jingzhou-2017": {("route.art10_gap",), ("route.art10_pre_effective",), ("route.art11_pre_effective",)},
    "linfen-2021": set(),
}


@pytest.fixture(scope="module")
def reports() -> dict[str, list[Finding]]:
    return {pid: check_consistency(PACKS[pid]) for pid in PACK_IDS}


def _evaluate_example(finding: Finding, pack: govrules.CompiledPack) -> Verdict:
    project = validate_project(read_project_data(finding.example.encode("utf-8"), "example.yaml"))
    assert project == example_project(finding)
    return govrules.evaluate(project, pack, finding.as_of, parameters=finding.parameters)


# --------------------------------------------------------------------------------------------------
# (a) the bundled packs


def test_chuxiong_art16_17_gap_is_a_declared_gap_with_regions_and_examples(reports: dict[str, list[Finding]]) -> None:
    findings = reports["chuxiong-2025"]
    assert {f.code for f in findings} == {"consistency.declared_gap"}
    gap = [f for f in findings if f.rules == ("route.art16_17_gap",)]
    # the overlap of 第十六条 and 第十七条 is a gap only when read literally (not the pack's default reading)
    assert not [f for f in findings if "route.art16_17_overlap" in f.rules]
    literal = PACKS["chuxiong-2025"].for_readings({"art16_17": "literal_overlap"})
    literal_findings = check_consistency(literal)
    assert {f.code for f in literal_findings} == {"consistency.declared_gap"}
    overlap = [f for f in literal_findings if f.rules == ("route.art16_17_overlap",)]
    assert gap and overlap
    for finding in gap + overlap:
        assert finding.severity == "warning" and finding.analysis == "route" and finding.exact
        assert finding.articles == (17,)
        assert "项目" in finding.message and "Art. 17" in finding.message
        diagnostic = finding.to_diagnostic()
        assert diagnostic.severity == "warning" and diagnostic.code == "consistency.declared_gap"
        assert diagnostic.rule == finding.rules[0]
        pack = literal if finding in overlap else PACKS["chuxiong-2025"]
        verdict = _evaluate_example(finding, pack)
        assert verdict.scope.status == "in_scope"
        assert verdict.route.decision == "undetermined" and verdict.route.gap
        assert [c.article for c in verdict.route.citations] == [17]
        assert verdict.route.reasons == [pack.by_id[finding.rules[0]].rule.title]
    regions = {f.region: f for f in gap}
    # the gap the issue names: a construction project below 500,000 yuan but above the procurement limit
    above_limit = regions[
        "execution = construction, includes_civil_works = false, budget < construction_approval_threshold, "
        "procurement_budget > procurement_limit, "
        "(emergency_leader_consent = false or emergency = false)"]
    assert all("procurement_limit" in s and "> construction_approval_threshold" not in s for s in above_limit.scenarios)
    assert len(above_limit.scenarios) == 2  # needs procurement_limit below the construction threshold
    example = above_limit.example_data
    assert example["execution"] == "construction"
    limit = Decimal(above_limit.parameters["procurement_limit"])
    assert limit < Decimal(example["procurement_budget"]) <= Decimal(example["budget"]) < 500000
    # … and the catalogue half of Art. 17, which needs no particular limit
    catalogue = regions["execution = construction, includes_civil_works = false, "
                        "budget < construction_approval_threshold, "
                        "in_centralized_procurement_catalogue = true, "
                        "(emergency_leader_consent = false or emergency = false)"]
    assert catalogue.scenarios == ()
    overlap_regions = {f.region for f in overlap}
    assert any("procurement_budget in [service_approval_threshold, procurement_limit]" in r for r in overlap_regions)


def test_chuxiong_with_a_given_procurement_limit_analyses_that_value_only() -> None:
    findings = check_consistency(PACKS["chuxiong-2025"], parameters={"procurement_limit": "100万元"})
    assert findings and all(f.parameters == {"procurement_limit": "1000000"} and not f.scenarios for f in findings)
    # with a limit above 500,000 yuan, a construction project below the threshold is filed (Art. 17),
    # unless it is in the centralized procurement catalogue
    assert not any("procurement_budget > procurement_limit" in f.region and "construction" in f.region
                   for f in findings)
    with pytest.raises(govrules.ProjectError):
        check_consistency(PACKS["chuxiong-2025"], parameters={"construction_approval_threshold": 1})


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_bundled_packs_have_only_their_declared_gaps(pack_id: str, reports: dict[str, list[Finding]]) -> None:
    findings = reports[pack_id]
    errors = [f for f in findings if f.severity == "error"]
    assert errors == [], "\n".join(f.message for f in errors)
    assert {f.rules for f in findings} == EXPECTED_DECLARED[pack_id]
    for finding in findings:
        assert finding.code in CODES and finding.region and finding.example.startswith("# example")
        verdict = _evaluate_example(finding, PACKS[pack_id])
        assert verdict.scope.status == "in_scope"
        decided = verdict.changes[0] if finding.rules[0].startswith("change.") else verdict.route
        assert decided.decision == "undetermined" and decided.gap
        assert {c.article for c in decided.citations} == set(finding.articles)
    assert check_citations(PACKS[pack_id]) == []


def test_qujing_and_jingzhou_regions(reports: dict[str, list[Finding]]) -> None:
    qujing = {f.rules[0]: f.region for f in reports["qujing-2020"]}
    assert qujing["route.art3_county_gap"] == "level = county"
    # 第十条's gap is for projects started under the measure; those started before are 第二十一条's gap
    assert set(qujing["route.art10_classified_gap"].split(", ")) == {
        "level != county", "in_annual_plan = false", "required_by_state_province_city = false",
        "urgent_business_need = false", "classified = true",
        "dates.construction_start >= effective_date or not yet"}
    assert "dates.construction_start < effective_date" in qujing["route.art21_pre_effective"]
    jingzhou = [(f.rules[0], f.region) for f in reports["jingzhou-2017"]]
    # 第十条 decides new construction only; applications before the measure are a gap of their own
    pre_effective = {"route.art10_pre_effective", "route.art11_pre_effective", "route.art11_pre_effective_mixed"}
    by_build_type = [region for rule, region in jingzhou if rule not in pre_effective]
    # (a project registered as 运行维护服务 is not new construction whatever its build_type says)
    assert by_build_type and all(
        "build_type != new_construction" in r or "category = operation_maintenance" in r for r in by_build_type)


# --------------------------------------------------------------------------------------------------
# (b) fixture packs with one defect each


def _codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def test_contradiction_fixture_is_an_overlap() -> None:
    pack = govrules.load_pack(FIXTURES / "contradiction.yaml")
    findings = check_consistency(pack)
    assert _codes(findings) == {"consistency.overlap"}
    (finding,) = findings
    assert finding.rules == ("route.art1_approval", "route.art2_filing") and finding.severity == "error"
    assert finding.region == "budget in [approval_threshold, filing_limit]"
    assert finding.to_diagnostic().severity == "error"
    verdict = _evaluate_example(finding, pack)
    assert verdict.route.decision == "undetermined" and not verdict.route.gap
    assert any("矛盾" in w for w in verdict.warnings)


def test_non_monotone_fixture() -> None:
    pack = govrules.load_pack(FIXTURES / "non_monotone.yaml")
    findings = check_consistency(pack)
    assert _codes(findings) == {"consistency.non_monotone"}
    (finding,) = findings
    assert finding.region == "budget < threshold"
    assert "budget = 500000 (threshold) it is filing" in finding.message
    low = _evaluate_example(finding, pack)
    high = govrules.evaluate(example_project(finding).model_copy(update={"budget": Decimal(500000)}), pack,
                             finding.as_of)
    assert (low.route.decision, high.route.decision) == ("approval", "filing")


def test_knowing_more_fixture() -> None:
    pack = govrules.load_pack(FIXTURES / "knowing_more.yaml")
    findings = check_consistency(pack)
    assert _codes(findings) == {"consistency.knowing_more"}
    (finding,) = findings
    assert finding.region == "budget >= threshold" and finding.exact
    known = _evaluate_example(finding, pack)
    unknown = govrules.evaluate(example_project(finding).model_copy(update={"budget": None}), pack, finding.as_of)
    assert (unknown.route.decision, known.route.decision) == ("filing", "approval")


def test_missing_citation_fixture() -> None:
    path = FIXTURES / "missing_citation.yaml"
    with pytest.raises(govrules.PackError) as refused:
        govrules.load_pack(path)
    assert [d.code for d in refused.value.diagnostics] == ["pack.citation"]
    model = Pack.model_validate(load_yaml(path.read_text("utf-8"), str(path)).data)
    findings = check_consistency(model)
    assert _codes(findings) == {"consistency.missing_citation"}
    (finding,) = findings
    assert finding.rules == ("route.art9_filing",) and finding.articles == (9,)
    assert finding.analysis == "citation" and finding.to_diagnostic().severity == "error"
    assert check_citations(model) == findings


def test_the_consistent_fixture_rules_would_pass() -> None:
    """The missing-citation fixture, with the citation fixed, has no finding at all."""
    text = (FIXTURES / "missing_citation.yaml").read_text("utf-8").replace("cite: {article: 9}", "cite: {article: 1}")
    assert check_consistency(load_pack_text(text)) == []


def test_arithmetic_falls_back_to_sampling(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("when: execution == 'construction' and budget >= threshold",
                                     "when: budget + budget >= threshold") + (
        "  - id: route.filing\n    kind: route\n    title: 预算金额50万元以下的项目备案\n"
        "    decision: filing\n    when: budget < threshold\n    cite: {article: 1}\n")
    findings = check_consistency(load_pack_text(text))
    assert _codes(findings) == {"consistency.overlap"}
    assert all(not f.exact and "(sampled)" in f.region and "sampling" in f.message for f in findings)
    budget = Decimal(findings[0].example_data["budget"])
    assert 250000 <= budget < 500000


def test_change_rules_that_skip_exactly_ten_percent_leave_a_gap(minimal_pack_text: str) -> None:
    """"≤ 10%" written as "< 10%": a change of exactly 10% is decided by neither rule (Chuxiong Art. 24)."""
    text = minimal_pack_text.replace(
        "  - {name: threshold,",
        "  - {name: change_ratio, value: 0.10, unit: ratio, zh: 变更比例, en: change ratio, cite: {article: 1}}\n"
        "  - {name: threshold,") + (
        "  - id: change.filing\n    kind: change\n    for_each: change\n    title: 变更规模10%以下报备\n"
        "    decision: filing\n    when: change_scale < change_ratio\n    cite: {article: 1}\n"
        "  - id: change.approval\n    kind: change\n    for_each: change\n    title: 变更规模超过10%须审批\n"
        "    decision: approval\n    when: change_scale > change_ratio\n    cite: {article: 1}\n")
    pack = load_pack_text(text)
    changes = [f for f in check_consistency(pack) if f.analysis == "change"]
    assert [(f.code, f.region) for f in changes] == [("consistency.gap", "per change: change_scale = change_ratio")]
    verdict = _evaluate_example(changes[0], pack)
    assert [c.decision for c in verdict.changes] == ["undetermined"]


# --------------------------------------------------------------------------------------------------
# (c) properties on generated projects

PARAMS: dict[str, dict[str, Any]] = {"chuxiong-2025": {"procurement_limit": "350000"}}
IN_SCOPE: dict[str, dict[str, Any]] = {
    "qujing-2020": {"level": "city", "funding": [{"source": "municipal"}],
                    "facts": {"it_construction_project": True, "deployed_or_arranged": True}},
    "chuxiong-2025": {"level": "prefecture", "funding": [{"source": "prefecture"}],
                      "facts": {"gbt40692_system": True, "involves_public_data": True,
                                "routine_office_procurement": False, "routine_operation_equipment": False}},
    "jingzhou-2017": {"level": "city", "funding": [{"source": "municipal"}],
                      "facts": {"sporadic_office_purchase": False, "electronic_industry_project": False}},
    "linfen-2021": {"level": "city", "funding": [{"source": "municipal"}],
                    "facts": {"municipal_department": True, "project_form": "government_investment",
                              "classified": False}},
}
PROPERTY = settings(max_examples=50, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _some_projects(pack_id: str) -> st.SearchStrategy[govrules.Project]:
    pack, params = PACKS[pack_id], PARAMS.get(pack_id)
    return st.one_of(projects(pack, parameters=params),
                     projects(pack, parameters=params, overrides=IN_SCOPE[pack_id]))


def _verdict(pack_id: str, project: govrules.Project, params: dict[str, Any] | None = None, *,
             strict: bool = False) -> Verdict:
    parameters = PARAMS.get(pack_id, {}) if params is None else params
    return govrules.evaluate(project, PACKS[pack_id], AS_OF[pack_id], parameters=parameters, strict=strict)


def deterministic(pack_id: str, project: govrules.Project, data: st.DataObject,
                  params: dict[str, Any] | None = None) -> None:
    first = _verdict(pack_id, project, params).model_dump_json()
    assert _verdict(pack_id, project, params).model_dump_json() == first


def cites_existing_articles(pack_id: str, project: govrules.Project, data: st.DataObject,
                            params: dict[str, Any] | None = None) -> None:
    verdict = _verdict(pack_id, project, params)
    model = PACKS[pack_id].pack
    citations: list[CitationOut] = [*verdict.scope.citations, *verdict.route.citations]
    citations += [g.citation for g in verdict.grounds] + [g.exception for g in verdict.grounds if g.exception]
    citations += [c for change in verdict.changes for c in change.citations]
    citations += [o.citation for o in verdict.obligations] + [c.citation for c in verdict.consequences]
    for citation in citations:
        article = model.article(citation.article)
        assert article is not None, f"cites article {citation.article}, which {pack_id} does not have"
        assert verdict.article_text(citation) == article.text and citation.document == model.document
        if citation.item is not None:
            assert citation.item in {item.number for item in article.items or []}
        if citation.paragraph is not None:
            assert citation.paragraph <= len(article.paragraphs or [article.text])


def knowing_more_never_contradicts(pack_id: str, project: govrules.Project, data: st.DataObject,
                                   params: dict[str, Any] | None = None) -> None:
    """Filling in one unknown yes/no fact never turns a determined route or change decision into another."""
    unknown = sorted(f.name for f in PACKS[pack_id].pack.facts
                     if f.type is FactType.bool and f.scope is FactScope.project and f.name not in project.facts)
    if not unknown:
        return
    name = data.draw(st.sampled_from(unknown), label="fact filled in")
    value = data.draw(st.booleans(), label="its value")
    # strict: a presumption is a default the project may contradict (learning the contrary withdraws
    # what rested on it, and the verdict says what did); the three-valued logic itself never turns
    presumed = _verdict(pack_id, project, params)
    before = _verdict(pack_id, project, params, strict=True)
    after = _verdict(pack_id, project.model_copy(update={"facts": {**project.facts, name: value}}), params,
                     strict=True)
    if name not in {a.fact for a in presumed.assumptions}:
        # a fact no presumption covers: filling it in never contradicts the presumed verdict either
        filled = _verdict(pack_id, project.model_copy(update={"facts": {**project.facts, name: value}}), params)
        if presumed.route.decision != "undetermined" and filled.scope.status == presumed.scope.status:
            assert filled.route.decision == presumed.route.decision
    left_scope = after.scope.status in ("out_of_scope", "exempt")
    if before.scope.status == "in_scope":
        assert after.scope.status == "in_scope"
    elif before.scope.status != "undetermined":
        # out of scope stays out; an exemption learnt later may name another reason (exempt), the
        # conclusion — the measure does not apply — stands
        assert left_scope
    if before.route.decision != "undetermined":
        # a route decided while the scope was still open is conditional on the project being covered
        assert after.route.decision == before.route.decision or (
            before.scope.status == "undetermined" and left_scope and after.route.decision == "none")
    for was, now in zip(before.changes, after.changes, strict=True):
        if was.decision != "undetermined":
            assert now.decision == was.decision or (
                before.scope.status == "undetermined" and left_scope and now.decision == "not_covered")


PROPERTIES = [deterministic, cites_existing_articles, knowing_more_never_contradicts]


@pytest.mark.parametrize("prop", PROPERTIES)
@PROPERTY
@given(project=_some_projects("qujing-2020"), data=st.data())
def test_qujing_properties(prop: Any, project: govrules.Project, data: st.DataObject) -> None:
    prop("qujing-2020", project, data)


@pytest.mark.parametrize("prop", PROPERTIES)
@PROPERTY
@given(project=_some_projects("chuxiong-2025"), data=st.data())
def test_chuxiong_properties(prop: Any, project: govrules.Project, data: st.DataObject) -> None:
    prop("chuxiong-2025", project, data)


@pytest.mark.parametrize("prop", PROPERTIES)
@PROPERTY
@given(project=_some_projects("jingzhou-2017"), data=st.data())
def test_jingzhou_properties(prop: Any, project: govrules.Project, data: st.DataObject) -> None:
    prop("jingzhou-2017", project, data)


@pytest.mark.parametrize("prop", PROPERTIES)
@PROPERTY
@given(project=_some_projects("linfen-2021"), data=st.data())
def test_linfen_properties(prop: Any, project: govrules.Project, data: st.DataObject) -> None:
    prop("linfen-2021", project, data)


@pytest.mark.parametrize("prop", PROPERTIES)
@PROPERTY
@given(pair=evaluations(PACKS["chuxiong-2025"]), data=st.data())
def test_chuxiong_properties_with_drawn_procurement_limits(prop: Any, pair: tuple[dict[str, Decimal],
                                                                                  govrules.Project],
                                                           data: st.DataObject) -> None:
    params, project = pair
    prop("chuxiong-2025", project, data, {k: str(v) for k, v in params.items()})


# --------------------------------------------------------------------------------------------------
# the strategies themselves


def test_boundaries_are_the_threshold_and_one_fen_either_side() -> None:
    assert _boundaries([Decimal(500000), Decimal(200000)], FEN) == [
        Decimal(0), Decimal("199999.99"), Decimal(200000), Decimal("200000.01"), Decimal("499999.99"),
        Decimal(500000), Decimal("500000.01")]
    assert _boundaries([Decimal("0.10")], Decimal("0.0001")) == [Decimal(0), Decimal("0.0999"), Decimal("0.10"),
                                                                 Decimal("0.1001")]


@settings(max_examples=60, deadline=None, database=None)
@given(amount=amounts([Decimal(500000)]), limits=parameter_values(PACKS["chuxiong-2025"]))
def test_amounts_are_fen_and_parameters_are_settable(amount: Decimal, limits: dict[str, Decimal]) -> None:
    assert amount >= 0 and amount == amount.quantize(FEN)
    assert set(limits) == {"procurement_limit"} and limits["procurement_limit"] >= 0


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(project=projects(PACKS["chuxiong-2025"], unknown_rate=0.0))
def test_projects_with_nothing_unknown_know_every_fact(project: govrules.Project) -> None:
    declared = {f.name for f in PACKS["chuxiong-2025"].pack.facts if f.scope is FactScope.project}
    assert set(project.facts) == declared
    assert project.level is not None and project.execution is not None and project.funding is not None


def test_year_fact_out_of_range_is_refused_cleanly() -> None:
    project = govrules.Project.model_validate({"id": "p", "name": "示例", "funding": [{"source": "municipal"}],
                                               "facts": {"funding_year": 100_000}})
    with pytest.raises(govrules.ProjectError):
        govrules.evaluate(project, PACKS["jingzhou-2017"], AS_OF["jingzhou-2017"])


def test_check_command_reports_the_chuxiong_gap_as_a_region(capsys: pytest.CaptureFixture[str]) -> None:
    from govrules.cli import main

    code = main(["check", "chuxiong-2025", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] is True  # declared gaps are warnings
    gaps = [d for d in data["diagnostics"] if d["rule"] == "route.art16_17_gap"]
    assert any("budget < construction_approval_threshold" in (d["region"] or "") for d in gaps)
    assert all(d["example"] for d in gaps)
    code = main(["check", str(FIXTURES / "contradiction.yaml")])
    out = capsys.readouterr().out
    assert code == 1 and "consistency.overlap" in out
