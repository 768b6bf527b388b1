"""Writing a pack without touching Python: inheritance, lint, pack tests, the scaffold, the county example."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from unittest.mock import ANY

import pytest

import govrules
from govrules.analysis.lint import LINT_CODES, check_pack
from govrules.cli import main
from govrules.compile.loading import load_pack, load_pack_text
from govrules.diagnostics import Diagnostic
from govrules.errors import PackError
from govrules.output.report import render_text
from govrules.testing.cases import run_case_file

ROOT = Path(__file__).resolve().parents[1]
LINT = ROOT / "tests" / "fixtures" / "lint"
COUNTY = ROOT / "examples" / "county" / "lufeng-2025-example.yaml"
CHUXIONG_DOC = "楚政办通〔2025〕26号"
COUNTY_DOC = "示例〔2025〕1号"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------------------------------
# Lint: one fixture per finding, each with exactly that defect, marked `# <- code` on its line.

FINDINGS = [
    # fixture, code, severity, rule (or fact, parameter) named, text at the reported line:column
    ("duplicate_rule_id", "pack.duplicate_rule", "error", "route.approval", "route.approval"),
    ("duplicate_article", "pack.duplicate_article", "error", None, "3"),
    ("unused_fact", "lint.unused_fact", "warning", "emergency", "emergency"),
    ("unused_parameter", "lint.unused_parameter", "warning", "review_days", "review_days"),
    ("undeclared_fact", "condition.unknown_symbol", "error", "ground.no_sharing", "in_plan"),
    ("missing_article", "pack.citation", "error", "route.approval", "{article: 9}"),
    ("missing_paragraph", "pack.citation", "error", "ground.no_sharing", "{article: 2, paragraph: 2}"),
    ("missing_item", "pack.citation", "error", "ground.no_sharing", "{article: 2, item: 4}"),
    ("never_fires", "lint.never_fires", "error", "ground.no_sharing", "not shares_data and shares_data"),
    ("never_fires_literal", "lint.never_fires", "error", "route.approval", "execution == 'construction' and"),
    ("never_fires_enum", "lint.never_fires", "error", "route.approval", "execution == 'construction' and"),
    ("dangling_override", "lint.dangling_override", "error", "route.approval", "route.filing"),
    ("parameter_without_unit", "pack.parameter_unit", "error", None, "{name: threshold"),
    ("article_unaccounted", "lint.article_unaccounted", "warning", None, "4"),
    ("money_literal", "lint.money_literal", "warning", "route.approval", "execution == 'construction' and"),
    ("ratio_literal", "lint.ratio_literal", "warning", "route.approval", "execution == 'construction' and"),
    ("extends_unknown", "pack.extends_unknown", "error", None, "nowhere-2099"),
    ("extends_loop_a", "pack.extends_loop", "error", None, "extends_loop_a.yaml"),
    ("extends_loop_b", "pack.extends_loop", "error", None, "extends_loop_b.yaml"),
    ("extends_missing", "pack.extends_missing", "error", None, "disable"),
    ("extends_same_id", "pack.extends_same_id", "error", None, "lint-clean"),
    ("disable_unknown", "pack.disable_unknown", "error", "ground.no_shareing", "ground.no_shareing"),
    ("disable_referenced", "pack.disable_referenced", "error", "exc.law", "exc.law"),
    ("replace_unknown", "pack.replace_unknown", "error", "route.aproval", "route.aproval"),
    ("implicit_replace", "lint.implicit_replace", "warning", "route.approval", "route.approval"),
    ("citation_measure", "pack.citation_measure", "error", "obligation.report", "{measure: lint-other"),
    ("inherited_citation", "pack.citation", "error", "obligation.report", "{measure: lint-clean, article: 7}"),
    ("fact_conflict", "pack.fact_conflict", "error", None, "shares_data"),
    ("article_measure", "pack.article_measure", "error", None, "measure"),
    ("time_undeclared", "lint.time_undeclared", "warning", "obligation.contract_filing", "dates['contract_signed']"),
    ("since_unread", "lint.since_unread", "error", "obligation.contract_filing", "approval"),
    ("reaches_existing_moot", "lint.reaches_existing_moot", "warning", "obligation.cloud", "{because"),
    ("time_conflict", "lint.time_conflict", "error", "obligation.contract_filing", "contract_signed"),
    ("placeholder", "lint.placeholder", "warning", None, '"待填写: 印发机关"'),
]


def _findings(path: Path) -> list[Diagnostic]:
    try:
        return check_pack(path).diagnostics
    except PackError as exc:
        return list(exc.diagnostics)


@pytest.mark.parametrize(("fixture", "code", "severity", "rule", "token"), FINDINGS,
                         ids=[f[0] for f in FINDINGS])
def test_each_finding_is_shown_by_a_fixture_with_exactly_that_defect(
        fixture: str, code: str, severity: str, rule: str | None, token: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = LINT / f"{fixture}.yaml"
    findings = _findings(path)
    assert [(d.code, d.severity) for d in findings] == [(code, severity)], [str(d) for d in findings]
    [finding] = findings
    assert finding.hint, "every finding says what to do"
    assert finding.rule == rule
    location = finding.location
    assert location is not None
    lines = Path(location.file).read_text("utf-8").splitlines()
    marked = [i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# <- {code}")]
    assert location.line in marked, (str(finding), marked)
    assert lines[location.line - 1][location.column - 1:].startswith(token), str(finding)
    # the command: errors fail the check (exit 1), warnings do not; both are printed with file:line:col
    exit_code, out, _ = run(capsys, "check", "--lint-only", str(path))
    assert exit_code == (1 if severity == "error" else 0)
    assert f":{location.line}:{location.column}: {severity}[{code}]" in out


def test_every_lint_code_has_a_fixture() -> None:
    assert set(LINT_CODES) <= {f[1] for f in FINDINGS}


@pytest.mark.parametrize("fixture", ["clean", "child", "reading_only_fact"])
def test_clean_fixtures_have_no_findings(fixture: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _findings(LINT / f"{fixture}.yaml") == []
    code, out, _ = run(capsys, "check", "--lint-only", str(LINT / f"{fixture}.yaml"), "--format", "json")
    assert code == 0 and json.loads(out) == {"ok": True, "diagnostics": []}


@pytest.mark.parametrize("pack_id", ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"])
def test_bundled_packs_pass_check(pack_id: str) -> None:
    assert check_pack(pack_id).diagnostics == []


def test_check_json_lists_lint_findings_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--lint-only", str(LINT / "never_fires.yaml"), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert data["diagnostics"][0]["code"] == "lint.never_fires"
    assert data["diagnostics"][0]["rule"] == "ground.no_sharing" and data["diagnostics"][0]["line"] == 39


def test_check_of_a_missing_file_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "no/such/pack.yaml")
    assert code == 2 and "pack file not found" in err


def test_parameter_without_unit_message_is_clear() -> None:
    [finding] = _findings(LINT / "parameter_without_unit.yaml")
    assert "parameter `threshold` has no `unit`" in finding.message
    assert finding.hint is not None and "CNY" in finding.hint and "working_days" in finding.hint


# --------------------------------------------------------------------------------------------------
# Inheritance


def _write_family(tmp_path: Path, child_extra: str = "", parent_replace: tuple[str, str] = ("", "")) -> Path:
    parent = (LINT / "clean.yaml").read_text("utf-8").replace(*parent_replace)
    (tmp_path / "parent").mkdir(exist_ok=True)
    (tmp_path / "parent" / "clean.yaml").write_text(parent, encoding="utf-8")
    child = (LINT / "child.yaml").read_text("utf-8").replace("extends: clean.yaml", "extends: parent/clean.yaml")
    path = tmp_path / "child.yaml"
    path.write_text(child + child_extra, encoding="utf-8")
    return path


def test_child_inherits_replaces_and_cites_each_rules_own_measure(tmp_path: Path) -> None:
    path = _write_family(tmp_path, """rules:
  - id: obligation.report
    kind: obligation
    title: 报送材料
    action: 报送材料
    when: execution == 'construction' and budget >= threshold
    cite: {article: 1}
""")
    pack = load_pack(path)
    model = pack.pack
    assert [m.pack for m in model.measures()] == ["lint-child", "lint-clean"]
    assert [(a.measure.pack if a.measure else None, a.number) for a in model.articles] == [
        (None, 1), ("lint-clean", 1), ("lint-clean", 2), ("lint-clean", 3)]
    assert [r.id for r in pack.rules] == ["route.approval", "exc.law", "ground.no_sharing", "obligation.report"]
    assert pack.parameter_defaults() == {"threshold": 300000}
    assert {r.id: r.cite.measure for r in model.rules} == {
        "route.approval": "lint-clean", "exc.law": "lint-clean", "ground.no_sharing": "lint-clean",
        "obligation.report": None}
    verdict = govrules.evaluate({"id": "p", "name": "项目", "execution": "construction", "budget": 400000,
                                 "facts": {"shares_data": False, "required_by_law": False}},
                                pack, as_of=dt.date(2025, 6, 1))
    assert verdict.pack == "lint-child" and verdict.document == "示政办〔2025〕2号"
    # the route rule is the parent's, with the child's threshold (300000 < 400000 < 500000)
    assert verdict.route.decision == "approval"
    [route_citation] = verdict.route.citations
    assert (route_citation.pack, route_citation.document, route_citation.title) == (
        "lint-clean", "示政办〔2025〕1号", "示例办法")
    assert route_citation.label == "示政办〔2025〕1号第一条"
    assert verdict.article_text(route_citation) == "预算金额50万元(含)以上的建设类项目须审批。"
    [ground] = verdict.grounds
    assert ground.status == "triggered" and ground.citation.item_text == "未共享数据的。"
    [obligation] = verdict.obligations
    assert (obligation.citation.pack, obligation.citation.document, obligation.citation.label) == (
        "lint-child", "示政办〔2025〕2号", "第一条")
    assert verdict.article_text(obligation.citation) == "预算金额30万元(含)以上的建设类项目须审批。"
    # each article's text is held once, under its own measure's pack
    assert verdict.articles == {"lint-clean": {"1": "预算金额50万元(含)以上的建设类项目须审批。", "2": ANY},
                                "lint-child": {"1": "预算金额30万元(含)以上的建设类项目须审批。"}}
    excepted = govrules.evaluate({"id": "p", "name": "项目", "facts": {"shares_data": False, "required_by_law": True}},
                                 pack, as_of=dt.date(2025, 6, 1))
    [ground] = excepted.grounds
    assert ground.status == "excepted" and ground.exception is not None
    assert (ground.exception.document, ground.exception.label) == ("示政办〔2025〕1号", "示政办〔2025〕1号第二条")


def test_disable_removes_inherited_rules_and_their_overrides(tmp_path: Path) -> None:
    path = _write_family(tmp_path, "disable: [ground.no_sharing, exc.law]\n")
    pack = load_pack(path)
    assert [r.id for r in pack.rules] == ["route.approval"]
    assert pack.pack.disable == ["ground.no_sharing", "exc.law"]


def test_three_generations_keep_each_measure(tmp_path: Path) -> None:
    path = _write_family(tmp_path)
    grandchild = (LINT / "child.yaml").read_text("utf-8")
    grandchild = (grandchild.replace("id: lint-child", "id: lint-grandchild").replace("extends: clean.yaml",
                                                                                       "extends: child.yaml")
                  .replace("示政办〔2025〕2号", "示政办〔2025〕3号").replace("value: 300000", "value: 200000"))
    (tmp_path / "grandchild.yaml").write_text(grandchild, encoding="utf-8")
    pack = load_pack(tmp_path / "grandchild.yaml")
    assert [m.pack for m in pack.pack.measures()] == ["lint-grandchild", "lint-child", "lint-clean"]
    assert pack.parameter_defaults() == {"threshold": 200000}
    assert next(r for r in pack.pack.rules if r.id == "route.approval").cite.measure == "lint-clean"
    assert path.exists()


def test_digest_covers_the_merged_content_and_the_cache_sees_a_changed_parent(tmp_path: Path) -> None:
    path = _write_family(tmp_path)
    load_pack(path)  # the first load learns which files the pack extends
    first = load_pack(path)
    assert load_pack(path) is first  # cached while neither file changes
    parent = tmp_path / "parent" / "clean.yaml"
    parent.write_text(parent.read_text("utf-8").replace("title: 法律要求的除外", "title: 法律另有要求的除外"),
                      encoding="utf-8")
    stat = parent.stat()
    os.utime(parent, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    second = load_pack(path)
    assert second is not first and second.digest != first.digest
    assert next(r for r in second.pack.rules if r.id == "exc.law").title == "法律另有要求的除外"


def test_a_pack_without_extends_dumps_and_digests_as_before(minimal_pack_text: str) -> None:
    pack = load_pack_text(minimal_pack_text, file="pack.yaml")
    dumped = json.dumps(pack.pack.model_dump(mode="json"))
    for key in ('"measure"', '"replaces"', '"extends"', '"disable"'):
        assert key not in dumped


def test_extends_a_bundled_pack_from_text(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("id: mini-2025\n", "id: mini-2025\nextends: chuxiong-2025\n").replace(
        "  - {name: shares_data, type: bool, zh: 共享数据, en: shares data}\n", "")
    text = text.replace("when: not shares_data", "when: not shares_data_as_required")
    text = text.replace("  - {name: threshold, value: 500000", "  - {name: threshold, value: 400000")
    pack = load_pack_text(text, file="<text>")
    assert [m.pack for m in pack.pack.measures()] == ["mini-2025", "chuxiong-2025"]
    # the child's own `route.approval` is a new rule: the parent has none of that id
    assert {"route.approval", "route.art16_construction"} <= set(pack.by_id)


# --------------------------------------------------------------------------------------------------
# The county example


def test_county_example_checks_clean_and_passes_its_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(COUNTY))
    assert code == 0 and "0 error(s)" in out and "(lint: 0 error(s), 0 warning(s);" in out
    results = run_case_file(COUNTY.with_name("lufeng-2025-example.cases.yaml"))
    assert len(results) >= 10 and all(r.passed for r in results), [(r.name, r.failures) for r in results]
    assert "构造示例" in load_pack(COUNTY).pack.source  # type: ignore[operator]


def test_county_verdict_cites_both_measures() -> None:
    pack = load_pack(COUNTY)
    assert pack.document == COUNTY_DOC
    project = {"id": "lf", "name": "禄丰市某局系统", "level": "county", "execution": "construction",
               "budget": 400000, "funding": [{"source": "county", "amount": 400000}],
               "dates": {"contract_signed": False, "approval": False},
               "facts": {"gbt40692_system": True, "involves_public_data": True, "shares_data_as_required": False,
                         "routine_office_procurement": False, "routine_operation_equipment": False,
                         "emergency": False, "art15_required_situations": [], "includes_civil_works": False,
                         "classified": False}}
    verdict = govrules.evaluate(project, pack, as_of=dt.date(2025, 9, 15),
                                parameters={"procurement_limit": "100万元"})
    assert verdict.scope.status == "in_scope"
    assert [(c.document, c.label) for c in verdict.scope.citations] == [(COUNTY_DOC, "第二条")]
    assert verdict.route.decision == "approval" and verdict.route.authority == "禄丰市发展和改革局(市数据局)"
    assert [(c.document, c.pack, c.label) for c in verdict.route.citations] == [
        (COUNTY_DOC, "lufeng-2025-example", "第三条")]
    ground = next(g for g in verdict.grounds if g.id == "ground.art15_1")
    assert ground.status == "triggered"
    assert (ground.citation.document, ground.citation.pack, ground.citation.label) == (
        CHUXIONG_DOC, "chuxiong-2025", f"{CHUXIONG_DOC}第十五条第（一）项")
    assert ground.citation.title == "楚雄州政务信息化项目管理办法(试行)"
    cited = {c.document for c in [*verdict.scope.citations, *verdict.route.citations]} | {
        g.citation.document for g in verdict.grounds}
    assert cited == {COUNTY_DOC, CHUXIONG_DOC}
    text = render_text(verdict)
    assert "[第三条]" in text and f"{CHUXIONG_DOC}第十五条第（一）项" in text


def test_county_coverage_lists_articles_of_both_measures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "coverage", str(COUNTY), "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert [r["label"] for r in rows[:5]] == ["第一条", "第二条", "第三条", "第四条", "第五条"]
    assert {r["measure"] for r in rows} == {"lufeng-2025-example", "chuxiong-2025"}
    assert len(rows) == 5 + 38
    by_label = {r["label"]: r for r in rows}
    assert by_label["第四条"]["cases"] and by_label["第四条"]["rules"] == ["obligation.art4_supervision_filing"]
    assert "ground.art15_1" in by_label[f"{CHUXIONG_DOC}第十五条"]["rules"]
    assert by_label[f"{CHUXIONG_DOC}第二条"]["status"] == "not_applied"  # scope.art2 replaced by the county's
    code, out, _ = run(capsys, "coverage", str(COUNTY), "--format", "markdown")
    assert "#### inherited: 楚雄州政务信息化项目管理办法(试行) (楚政办通〔2025〕26号) — `chuxiong-2025`" in out


# --------------------------------------------------------------------------------------------------
# Pack tests: a failing case prints what differs


def test_govrules_test_prints_a_readable_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = COUNTY.with_name("lufeng-2025-example.cases.yaml").read_text("utf-8")
    cases = cases.replace("pack: lufeng-2025-example.yaml", f"pack: {COUNTY}")
    cases = cases.replace("    project: {budget: 300000, funding: [{source: county, amount: 300000}]}\n"
                          "    expect: {route: approval, route_citations: [3]}",
                          "    project: {budget: 300000, funding: [{source: county, amount: 300000}]}\n"
                          "    expect: {route: filing, route_citations: [17]}")
    target = tmp_path / "broken.cases.yaml"
    target.write_text(cases, encoding="utf-8")
    code, out, _ = run(capsys, "test", str(target))
    assert code == 1
    line = next(i for i, row in enumerate(cases.splitlines(), 1) if "预算恰好30万元" in row)
    assert f"FAIL {target}:{line}: 第三条 预算恰好30万元(含)的建设类项目须报市发展和改革局审批" in out
    assert "    route: expected 'filing', got 'approval'" in out
    assert "    route_citations: expected [17], got [3]" in out
    assert out.rstrip().endswith("14 passed, 1 failed")


# --------------------------------------------------------------------------------------------------
# The scaffold


def test_new_pack_writes_a_skeleton_that_checks_and_tests_clean(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    code, out, _ = run(capsys, "new-pack", "demo-2025", "--title", "示例市政务信息化项目管理办法",
                       "--document", "示政办〔2025〕9号", "--dir", str(folder), "--issued", "2025-03-01")
    assert code == 0 and "wrote" in out
    pack_file, cases_file, readme = folder / "demo-2025.yaml", folder / "demo-2025.cases.yaml", folder / "README.md"
    first = pack_file.read_text("utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=") and first.endswith("pack.schema.json")
    text = pack_file.read_text("utf-8")
    assert "articles: []\n#  - number: 1" in text and "#  - {name: shares_data_as_required" in text
    assert "#  - id: route.art1_construction" in text and "#  - name: construction_approval_threshold" in text
    pack = load_pack(pack_file)
    assert (pack.id, pack.title, pack.document) == ("demo-2025", "示例市政务信息化项目管理办法", "示政办〔2025〕9号")
    # what the skeleton leaves for the author to write is pointed at, as a warning, and nothing else
    left = check_pack(pack_file).diagnostics
    assert {d.code for d in left} == {"lint.placeholder"} and all(d.severity == "warning" for d in left)
    assert {"issuer", "jurisdiction.name", "source"} <= {d.message.split("`")[1] for d in left}
    assert [r.passed for r in run_case_file(cases_file)] == [True]
    assert "govrules check demo-2025.yaml" in readme.read_text("utf-8")
    # refuses to overwrite, and writes nothing
    before = {p: p.read_text("utf-8") for p in (pack_file, cases_file, readme)}
    code, _, err = run(capsys, "new-pack", "demo-2025", "--title", "x", "--document", "", "--dir", str(folder))
    assert code == 2 and "refusing to overwrite" in err
    assert {p: p.read_text("utf-8") for p in before} == before


def test_new_pack_with_extends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "new-pack", "child-2025", "--title", "某县办法", "--document", "",
                     "--extends", "chuxiong-2025", "--dir", str(tmp_path), "--level", "county",
                     "--issued", "2025-06-01")
    assert code == 0
    text = (tmp_path / "child-2025.yaml").read_text("utf-8")
    assert "extends: chuxiong-2025" in text and "#    replaces: true" in text
    pack = load_pack(tmp_path / "child-2025.yaml")
    assert [m.pack for m in pack.pack.measures()] == ["child-2025", "chuxiong-2025"]
    assert [r.passed for r in run_case_file(tmp_path / "child-2025.cases.yaml")] == [True]


def test_new_pack_invents_no_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a date, the skeleton writes the placeholder 待填写 (never today): `check` and `test` point
    at each date the author must write."""
    code, out, _ = run(capsys, "new-pack", "nodate-2025", "--title", "某办法", "--document", "",
                       "--dir", str(tmp_path))
    assert code == 0 and "no date given" in out
    text = (tmp_path / "nodate-2025.yaml").read_text("utf-8")
    assert dt.date.today().isoformat() not in text + (tmp_path / "nodate-2025.cases.yaml").read_text("utf-8")
    with pytest.raises(PackError) as refused:
        check_pack(tmp_path / "nodate-2025.yaml")
    lines = text.splitlines()
    found = {(d.location.line, d.message.split(":")[0]) for d in refused.value.diagnostics}
    assert found == {(lines.index("  issued: 待填写      # 印发/成文日期, YYYY-MM-DD") + 1, "dates.issued"),
                     (lines.index(next(x for x in lines if x.startswith("  effective: 待填写"))) + 1,
                      "dates.effective")}
    code, out, _ = run(capsys, "check", str(tmp_path / "nodate-2025.yaml"))
    assert code == 1 and "nodate-2025.yaml:15:11: error[pack.schema]: dates.issued: `待填写` is not a date" in out
    code, _, err = run(capsys, "test", str(tmp_path / "nodate-2025.cases.yaml"))
    assert code == 2 and "as_of" in err and "待填写" in err


def test_new_pack_writes_the_dates_a_partial_text_brings(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "new-pack", "part-2025", "--title", "某办法", "--document", "", "--dir", str(tmp_path),
                       "--effective-between", "2025-05-01", "2025-05-31", "--text-missing-from", "19")
    assert code == 0 and "no date given" not in out
    pack = load_pack(tmp_path / "part-2025.yaml").pack
    assert pack.dates.effective_basis.value == "unknown" and pack.dates.issued is None
    assert pack.dates.effective_between is not None
    assert (pack.dates.effective_between.earliest, pack.dates.effective_between.latest) == (
        dt.date(2025, 5, 1), dt.date(2025, 5, 31))
    assert pack.text is not None and (pack.text.complete, pack.text.from_article) == (False, 19)
    assert {d.code for d in check_pack(tmp_path / "part-2025.yaml").diagnostics} == {"lint.placeholder"}
    assert [r.passed for r in run_case_file(tmp_path / "part-2025.cases.yaml")] == [True]  # as_of: the latest day
    code, _, _ = run(capsys, "new-pack", "dated-2025", "--title", "某办法", "--document", "", "--dir",
                     str(tmp_path / "dated"), "--issued", "2025-05-10", "--effective", "2025-06-01")
    dates = load_pack(tmp_path / "dated" / "dated-2025.yaml").pack.dates
    assert code == 0 and (dates.issued, dates.effective, dates.effective_basis.value) == (
        dt.date(2025, 5, 10), dt.date(2025, 6, 1), "date")
    code, out, _ = run(capsys, "new-pack", "eff-2025", "--title", "某办法", "--document", "", "--dir",
                       str(tmp_path / "eff"), "--effective", "2025-06-01")
    assert code == 0 and "dates.issued is `待填写`" in out
    with pytest.raises(PackError, match=r"dates\.issued: `待填写` is not a date"):
        check_pack(tmp_path / "eff" / "eff-2025.yaml")


@pytest.mark.parametrize(("args", "message"), [
    (["Bad_Id", "--title", "t", "--document", ""], "is not a pack id"),
    (["ok-2025", "--title", "t", "--document", "", "--extends", "nowhere-2099"], "--extends nowhere-2099"),
    (["ok-2025", "--title", "t", "--document", "", "--effective", "2025-06-01", "--effective-between", "2025-05-01",
      "2025-05-31"], "not both"),
    (["ok-2025", "--title", "t", "--document", "", "--effective-between", "2025-05-31", "2025-05-01"],
     "LATEST must be after EARLIEST"),
])
def test_new_pack_refuses_bad_input(args: list[str], message: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "new-pack", *args, "--dir", str(tmp_path))
    assert code == 2 and message in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_govrules_test_refuses_paths_without_cases(make: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nothing-here" if make == "missing" else tmp_path
    code, _, err = run(capsys, "test", str(target))
    assert code == 2 and ("no such file or folder" in err if make == "missing" else "no *.cases.yaml" in err)


def test_a_parameter_read_only_under_another_reading_is_not_unused(tmp_path: Path) -> None:
    """A symbol read only by a rule of a non-default option is read: no lint.unused_parameter for it."""
    text = (LINT / "unused_parameter.yaml").read_text("utf-8")
    text = text.replace(
        "  - {name: review_days,",
        "  - {name: cap, value: 1000000, unit: CNY, zh: 上限, en: cap, cite: {article: 1}}\n"
        "  - {name: review_days,")
    text = text.replace("rules:\n", (
        "readings:\n"
        "  - id: r\n"
        "    question: 是否另设上限？\n"
        "    cite: {article: 1}\n"
        "    default: a\n"
        "    options:\n"
        "      - {id: a, text: 不设上限, reason: 字面}\n"
        "      - {id: b, text: 另设上限, reason: 目的}\n"
        "rules:\n"
        "  - id: route.capped\n"
        "    kind: route\n"
        "    reading: {r: b}\n"
        "    title: 另设上限\n"
        "    decision: approval\n"
        "    when: budget >= cap\n"
        "    overrides: [route.approval]\n"
        "    cite: {article: 1}\n"))
    path = tmp_path / "reading_only_parameter.yaml"
    path.write_text(text, "utf-8")
    findings = _findings(path)
    assert [(d.code, d.rule) for d in findings] == [("lint.unused_parameter", "review_days")], [
        str(d) for d in findings]
