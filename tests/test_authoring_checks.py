"""What an author is told: cases that cannot pass by mistake, conditions, the vocabulary, check's counts."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import govrules
from govrules.analysis.coverage import article_coverage, constant_rules
from govrules.cli import main
from govrules.compile.loading import load_pack, load_pack_text
from govrules.errors import CaseError, PackError, ProjectError
from govrules.packs.bundled import load_vocabulary, vocabulary_path
from govrules.packs.scaffold import new_pack
from govrules.testing.cases import Expectation, compare, run_case_file

ROOT = Path(__file__).resolve().parents[1]

# A measure of the Ordos kind: an upgrade of at most 15% of the original investment and at most
# 100万元 is managed as O&M. Parameters written as the text writes them.
UPGRADE_PACK = """\
format: govrules/pack@1
id: upgrade-2025
title: 升级改造项目管理办法（测试）
document: 测〔2025〕1号
issuer: 测试市人民政府办公室
jurisdiction: {name: 测试市, level: city}
dates: {issued: 2025-01-01, effective: 2025-01-01, effective_basis: issuance}
articles:
  - {number: 1, text: 升级改造投资不超过原投资15%且不超过100万元的，按照运维服务类项目管理。}
  - {number: 2, text: 升级改造投资占原投资比例超过15%的，应当说明理由。}
facts:
  - {name: original_investment, type: money, zh: 原项目投资, en: original investment}
parameters:
  - {name: upgrade_ratio_cap, value: 15%, unit: ratio, zh: 比例上限, en: ratio cap, cite: {article: 1}}
  - {name: upgrade_amount_cap, value: 100万元, unit: CNY, zh: 金额上限, en: amount cap, cite: {article: 1}}
rules:
  - id: scope.all
    kind: scope
    title: 本市升级改造项目
    when: budget > 0
    cite: {article: 1}
  - id: route.om
    kind: route
    title: 按照运维服务类项目管理
    decision: filing
    when: budget <= original_investment * upgrade_ratio_cap and budget <= upgrade_amount_cap
    cite: {article: 1}
  - id: route.other
    kind: route
    title: 其他升级改造项目
    decision: approval
    when: not (budget <= original_investment * upgrade_ratio_cap and budget <= upgrade_amount_cap)
    cite: {article: 1}
  - id: consequence.explain
    kind: consequence
    title: 应当说明理由
    effect: 说明超过15%的理由
    when: budget / original_investment > upgrade_ratio_cap
    cite: {article: 2}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def upgrade(tmp_path: Path) -> Path:
    path = tmp_path / "upgrade-2025.yaml"
    path.write_text(UPGRADE_PACK, encoding="utf-8")
    return path


def _cases(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "upgrade-2025.cases.yaml"
    path.write_text("pack: upgrade-2025.yaml\nas_of: 2025-06-01\nbase: {id: b, name: 测试, execution: construction}\n"
                    + body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# Cases that cannot pass by mistake


def test_misspelt_names_in_expectations_refuse_the_file_with_a_location_and_a_suggestion(
        upgrade: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _cases(tmp_path, """cases:
  - name: 小额升级
    project: {budget: 100000, facts: {original_investment: 1000000}}
    expect:
      no_consequences: [consequence.explian]
      no_missing_facts: [original_investmnt]
      grounds: {route.om: absent}
      route_citations: [9]
""")
    with pytest.raises(CaseError) as caught:
        run_case_file(path)
    message = str(caught.value)
    assert f"{path}:8:25: no_consequences: the pack has no rule `consequence.explian`; did you mean " \
           "`consequence.explain`?" in message
    assert f"{path}:9:26: no_missing_facts: the pack has no fact or symbol `original_investmnt`; did you mean " \
           "`original_investment`?" in message
    assert f"{path}:10:17: grounds: `route.om` is a route rule, not a ground rule" in message
    assert f"{path}:11:25: route_citations: the pack has no article 9" in message
    # the command refuses the file (exit 2), as for any malformed case file
    code, _, err = run(capsys, "test", str(path))
    assert code == 2 and "consequence.explian" in err


def test_without_the_misspelling_the_same_expectations_run_and_can_fail(upgrade: Path, tmp_path: Path) -> None:
    path = _cases(tmp_path, """cases:
  - name: 小额升级
    project: {budget: 100000, facts: {original_investment: 1000000}}
    expect:
      route: filing
      no_consequences: [consequence.explain]
      no_missing_facts: [original_investment]
  - name: 超过比例
    project: {budget: 200000, facts: {original_investment: 1000000}}
    expect: {no_consequences: [consequence.explain]}
""")
    first, second = run_case_file(path)
    assert first.passed, first.failures
    assert second.failures == ["consequences: `consequence.explain` should not apply"]


def test_a_null_parameter_refuses_the_case_file_where_it_is_written(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A case cannot unset a file-level parameter with `null`: the file is malformed (exit 2, file:line:col
    and the way out), not a case that fails at evaluation."""
    pack = (Path(__file__).parents[1] / "src" / "govrules" / "policies" / "chuxiong-2025.yaml").resolve()
    head = f"pack: {pack}\nas_of: 2025-09-01\nparameters: {{procurement_limit: 1000000}}\nbase: {{id: b, name: 测试}}\n"
    path = tmp_path / "limit.cases.yaml"
    path.write_text(head + "cases:\n  - name: 有限额\n    expect: {}\n  - name: 未设限额\n"
                    "    parameters: {procurement_limit: null}\n    expect: {}\n", encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        run_case_file(path)
    assert str(caught.value) == (f"{path}:9:37: cases.1.parameters.procurement_limit: null: a case cannot unset a "
                                 "file-level parameter: put such cases in a file without it")
    code, _, err = run(capsys, "test", str(path))
    assert code == 2 and "a case cannot unset a file-level parameter" in err
    # at file level too, null sets nothing
    path.write_text(head.replace("1000000", "null") + "cases:\n  - name: 未设限额\n    expect: {}\n", encoding="utf-8")
    with pytest.raises(CaseError, match=r"limit.cases.yaml:3:33: parameters.procurement_limit: null: a parameter of "
                                        r"the file cannot be null"):
        run_case_file(path)
    # without the null, the same case runs
    path.write_text(head.replace("parameters: {procurement_limit: 1000000}\n", "")
                    + "cases:\n  - name: 未设限额\n    expect: {}\n", encoding="utf-8")
    assert [r.passed for r in run_case_file(path)] == [True]


def test_a_misspelt_fact_in_base_is_reported_once_and_briefly(upgrade: Path, tmp_path: Path) -> None:
    path = tmp_path / "upgrade-2025.cases.yaml"
    path.write_text("pack: upgrade-2025.yaml\nas_of: 2025-06-01\n"
                    "base: {id: b, name: 测试, execution: construction, facts: {original_investmen: 1}}\n"
                    "cases:\n" + "".join(f"  - {{name: c{i}, project: {{budget: {i + 1}}}, expect: {{}}}}\n"
                                         for i in range(20)), encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        run_case_file(path)
    message = str(caught.value)
    assert message.count("original_investmen`") == 1
    assert f"{path}:3:58: unknown fact `original_investmen` in the project; did you mean `original_investment`?" \
           in message
    assert len(message) < 600  # not every name of every pack, not once per case


def test_unknown_fact_in_a_project_suggests_the_name_instead_of_listing_every_fact() -> None:
    project = {"id": "p", "name": "示例", "execution": "construction", "budget": 500000,
               "facts": {"emergancy": True}}
    with pytest.raises(ProjectError) as caught:
        govrules.evaluate(project, "chuxiong-2025", as_of=dt.date(2025, 9, 1))
    assert "unknown fact `emergancy`; did you mean `emergency`?" in str(caught.value)
    assert len(str(caught.value)) < 200


def test_consequence_expectations_tell_applies_from_possible(upgrade: Path, tmp_path: Path) -> None:
    path = _cases(tmp_path, """cases:
  - name: 超过比例
    project: {budget: 200000, facts: {original_investment: 1000000}}
    expect: {consequences: {consequence.explain: applies}}
  - name: 原投资未知
    project: {budget: 200000}
    expect: {consequences: {consequence.explain: possible}}
  - name: 原投资未知却期望适用
    project: {budget: 200000}
    expect: {consequences: {consequence.explain: applies}}
  - name: 小额
    project: {budget: 100000, facts: {original_investment: 1000000}}
    expect: {consequences: {consequence.explain: absent}}
""")
    results = run_case_file(path)
    assert [r.failures for r in results] == [
        [], [], ["consequences[consequence.explain]: expected 'applies', got 'possible'"], []]


def test_obligation_expectations_check_status_due_date_and_lateness() -> None:
    project = govrules.load_project(ROOT / "examples" / "chuxiong-data-platform.yaml")
    verdict = govrules.evaluate(project, "chuxiong-2025", as_of=dt.date(2025, 9, 1),
                                parameters={"procurement_limit": "100万元"})
    got = verdict.obligations[0]
    right = Expectation.model_validate({"obligations": {got.id: {"status": got.status, "due": got.due,
                                                                  "late": got.late}}})
    assert compare(right, verdict) == []
    other = "met" if got.status != "met" else "pending"
    wrong = Expectation.model_validate({"obligations": {got.id: {
        "status": other, "due": dt.date(2000, 1, 1), "late": not got.late}}})
    assert len(compare(wrong, verdict)) == 3


def test_a_rule_true_whatever_the_project_is_not_exercised_by_every_case() -> None:
    pack = load_pack("linfen-2021")
    constant = constant_rules(pack)
    assert "route.art5_approval" in constant  # `when: 'true'`
    assert "scope.art2" not in constant
    cases = ROOT / "src" / "govrules" / "policies" / "linfen-2021.cases.yaml"
    verdicts = [(r.name, r.verdict) for r in run_case_file(cases) if r.verdict is not None]
    rows = {r.number: r for r in article_coverage(pack, verdicts)}
    assert rows[5].rules == ["route.art5_approval"] and rows[5].cases == []
    assert len(rows[2].cases) > 10  # the scope, which does depend on the project


# --------------------------------------------------------------------------------------------------
# Conditions


def test_parameters_accept_amounts_and_percentages_as_projects_do(upgrade: Path) -> None:
    values = load_pack(upgrade).parameter_defaults()
    assert values == {"upgrade_ratio_cap": Decimal("0.15"), "upgrade_amount_cap": Decimal(1000000)}
    bad = UPGRADE_PACK.replace("value: 15%", "value: 15 percent")
    with pytest.raises(PackError) as caught:
        load_pack_text(bad, file="bad.yaml")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.location is not None and diagnostic.location.line == 14
    assert "is not a ratio" in diagnostic.message


def test_division_by_zero_is_a_warning_naming_the_rule(upgrade: Path) -> None:
    project = {"id": "p", "name": "示例", "execution": "construction", "budget": 100000,
               "facts": {"original_investment": 0}}
    verdict = govrules.evaluate(project, load_pack(upgrade), as_of=dt.date(2025, 6, 1))
    [consequence] = verdict.consequences
    assert consequence.id == "consequence.explain" and consequence.status == "possible"
    assert verdict.missing_facts == []
    [warning] = [w for w in verdict.warnings if "除以零" in w]
    assert "consequence.explain" in warning and "original_investment" in warning and "undetermined" in warning
    # the same project with an investment: no warning
    project["facts"] = {"original_investment": 1000000}
    assert not [w for w in govrules.evaluate(project, load_pack(upgrade), as_of=dt.date(2025, 6, 1)).warnings
                if "除以零" in w]


def test_an_unquoted_condition_gets_a_hint_to_quote_it() -> None:
    text = UPGRADE_PACK.replace("    when: budget > 0\n", "    when: 'construction' == execution\n")
    with pytest.raises(PackError) as caught:
        load_pack_text(text, file="unquoted.yaml")
    [diagnostic] = caught.value.diagnostics
    assert "expected <block end>" in diagnostic.message
    assert diagnostic.hint is not None and "quote the whole value of `when`" in diagnostic.hint
    assert "when: \"'construction' == execution\"" in diagnostic.hint


@pytest.mark.parametrize(("condition", "expected"), [
    ("budget > 'x'", "`budget` is money (FLOAT) and `'x'` is text (STRING): `>` cannot combine them"),
    ("budget + execution > 1", "`budget` is money (FLOAT) and `execution` is an enum (STRING"),
    ("'a' in budget", "`budget` is money (FLOAT), not a list or a set"),
    ("add_years(budget, 1) > as_of", "argument 1 of `add_years` is `budget`, money (FLOAT); it takes a date"),
])
def test_a_type_mismatch_names_both_types(condition: str, expected: str) -> None:
    text = UPGRADE_PACK.replace("    when: budget > 0\n", f'    when: "{condition}"\n')
    with pytest.raises(PackError) as caught:
        load_pack_text(text, file="types.yaml")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "condition.type"
    assert expected in diagnostic.message


# --------------------------------------------------------------------------------------------------
# The vocabulary, the scaffold, check's counts


def test_the_shared_vocabulary_is_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    facts = load_vocabulary()
    assert vocabulary_path().parent.name == "policies" and len(facts) > 100
    code, out, _ = run(capsys, "vocabulary", "--format", "json")
    assert code == 0 and [f["name"] for f in json.loads(out)] == [f["name"] for f in facts]
    code, out, _ = run(capsys, "facts")  # without --pack: the same list
    assert code == 0 and f"{len(facts)} fact(s)" in out and "classified" in out
    code, out, _ = run(capsys, "vocabulary", "--search", "政务云", "--format", "json")
    assert code == 0 and "deployed_on_government_cloud" in {f["name"] for f in json.loads(out)}


def test_the_scaffold_points_at_the_vocabulary_command(tmp_path: Path) -> None:
    made = new_pack("mycity-2025", title="示例办法", document="", directory=tmp_path)
    text = made.pack.read_text("utf-8")
    assert "govrules vocabulary" in text and "policies/vocabulary.yaml" not in text


def test_check_counts_the_warnings_it_prints(command_output: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = command_output("check", "chuxiong-2025")
    printed = len(re.findall(r"(?m)(?:^|: )warning\[", out))  # with a position, or (a region) without
    assert code == 0 and printed > 0
    assert f"0 error(s), {printed} warning(s)" in out.splitlines()[-1]


# --------------------------------------------------------------------------------------------------
# Consistency across kinds: scope against exclusion, consequences against the scope

SCOPE_PACK = """\
format: govrules/pack@1
id: scope-2025
title: 范围测试办法
document: 测〔2025〕2号
issuer: 测试市人民政府办公室
jurisdiction: {name: 测试市, level: city}
dates: {issued: 2025-01-01, effective: 2025-01-01, effective_basis: issuance}
articles:
  - {number: 1, text: 预算50万元以上的项目适用本办法；不足50万元的项目不适用本办法。}
  - {number: 2, text: 项目须报市数据局审批。}
  - {number: 3, text: 违反规定的，追究责任。}
facts:
  - {name: violated, type: bool, zh: 违反规定, en: violated}
parameters:
  - {name: threshold, value: 50万元, unit: CNY, zh: 适用门槛, en: threshold, cite: {article: 1}}
rules:
  - id: scope.large
    kind: scope
    title: 预算50万元以上的项目
    when: budget >= threshold
    cite: {article: 1}
  - id: exempt.small
    kind: exemption
    status: out_of_scope
    title: 不足50万元的项目不适用
    when: budget < threshold
    cite: {article: 1}
  - id: route.all
    kind: route
    title: 须报市数据局审批
    decision: approval
    when: 'true'
    cite: {article: 2}
  - id: consequence.accountability
    kind: consequence
    title: 违反规定的，追究责任
    effect: 追究责任
    when: violated
    cite: {article: 3}
"""


def _consistency(text: str) -> list[tuple[str, tuple[str, ...], str]]:
    from govrules.analysis.consistency import check_consistency

    return [(f.code, f.rules, f.region) for f in check_consistency(load_pack_text(text, file="scope.yaml"))]


def test_scope_and_exclusion_that_agree_at_the_threshold_have_no_finding() -> None:
    assert _consistency(SCOPE_PACK) == []


@pytest.mark.parametrize(("scope", "exclusion", "both"), [
    ("budget >= threshold", "budget <= threshold", True),   # 以上 and 以下, both including 50万元
    ("budget > threshold", "budget < threshold", False),    # 超过 and 不足: 50万元 itself in neither
])
def test_scope_and_exclusion_disagreeing_at_the_threshold_are_found(scope: str, exclusion: str, both: bool) -> None:
    text = SCOPE_PACK.replace("when: budget >= threshold", f"when: {scope}").replace(
        "when: budget < threshold", f"when: {exclusion}")
    from govrules.analysis.consistency import check_consistency

    [finding] = check_consistency(load_pack_text(text, file="scope.yaml"))
    assert (finding.code, finding.rules, finding.region) == (
        "consistency.scope_boundary", ("scope.large", "exempt.small"), "budget = threshold")
    assert finding.severity == "warning" and finding.analysis == "scope"
    assert ("both a scope rule and an exclusion hold" in finding.message) is both
    assert "budget: 500000" in finding.example


def test_a_consequence_that_never_holds_or_only_out_of_scope_is_found() -> None:
    never = SCOPE_PACK.replace("    when: violated\n",
                               "    when: violated and budget > threshold and budget < 400000\n")
    assert _consistency(never) == [("consistency.consequence_never", ("consequence.accountability",), "")]
    outside = SCOPE_PACK.replace("    when: violated\n", "    when: violated and budget < threshold\n")
    assert _consistency(outside) == [
        ("consistency.consequence_out_of_scope", ("consequence.accountability",), "out of scope")]
    # held in scope too (at the threshold itself): nothing to report
    anywhere = SCOPE_PACK.replace("    when: violated\n", "    when: violated and budget <= threshold\n")
    assert _consistency(anywhere) == []


def test_the_bundled_packs_scope_and_consequences_are_consistent() -> None:
    from govrules.analysis.consistency import _scenarios, check_scope_and_consequences, source_of

    for pack_id in ("chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"):
        src = source_of(pack_id)
        day = src.pack.dates.effective + dt.timedelta(days=180)
        assert check_scope_and_consequences(src, _scenarios(src.pack, {}), day) == [], pack_id


def test_the_assumptions_example_of_the_testing_docs_passes_as_written(tmp_path: Path) -> None:
    """docs/testing.md shows `assumptions` with every form a `decides` entry takes: its example case,
    on the base project it shows, passes; and fails when one decided conclusion is left out (exact)."""
    doc = (ROOT / "docs" / "testing.md").read_text("utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    case = next(b for b in blocks if "assumptions:" in b)
    assert "obligation:obligation." in case and "[]" in case
    text = blocks[0].split("cases:")[0] + "cases:\n" + case
    path = tmp_path / "doc.cases.yaml"
    path.write_text(text, encoding="utf-8")
    assert [r.failures for r in run_case_file(path)] == [[]]
    path.write_text(text.replace(', "obligation:obligation.art11_complete_approval"', ""), encoding="utf-8")
    assert [len(r.failures) for r in run_case_file(path)] == [1]
    for name in ("guide.md", "pack-format.md"):
        assert "`change:<index>`" in (ROOT / "docs" / name).read_text("utf-8"), name


def test_the_text_missing_example_of_pack_format_reports_the_lost_part(tmp_path: Path) -> None:
    """pack-format.md's `text_missing` rule (a surviving 第十七条 silent above the procurement limit, where
    the lost part may decide): loaded as written, it makes such a project's route a gap the lost text
    may fill, not the measure's silence."""
    doc = (ROOT / "docs" / "pack-format.md").read_text("utf-8")
    snippet = next(b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S) if "route.art17_beyond" in b)
    rule = "\n".join("  " + line.removeprefix("  ") for line in snippet.splitlines())
    pack = tmp_path / "excerpt-2025.yaml"
    pack.write_text(f"""format: govrules/pack@1
id: excerpt-2025
title: 示例办法
document: ""
issuer: 示例州
jurisdiction: {{name: 示例州, level: prefecture}}
dates:
  effective_basis: unknown
  effective_between: {{earliest: 2025-05-01, latest: 2025-05-31, note: 仅知印发于2025年5月}}
text: {{complete: false, missing: [{", ".join(map(str, range(1, 16)))}], from_article: 19, note: 仅存三条}}
articles:
  - {{number: 16, text: 预算金额50万元(含)以上的建设类项目须审批。}}
  - {{number: 17, text: 政府采购限额以下集中采购目录以外的项目采用备案制管理。}}
  - {{number: 18, text: 本条无关。, informational: 无关}}
facts:
  - {{name: in_centralized_procurement_catalogue, type: bool, zh: 集中采购目录以内, en: in the catalogue}}
parameters:
  - {{name: approval_threshold, value: 50万元, unit: CNY, zh: 审批标准, en: threshold, cite: {{article: 16}}}}
  - {{name: procurement_limit, value: 100万元, unit: CNY, zh: 政府采购限额标准, en: limit, cite: {{article: 17}}}}
terms:
  - {{id: approval_threshold_met, zh: 达到审批标准, en: meets the threshold, cite: {{article: 16}},
     quote: 预算金额50万元(含)以上的建设类项目须审批, when: budget >= approval_threshold}}
rules:
{rule}
""", encoding="utf-8")
    project = {"id": "p", "name": "示例", "budget": "30万元", "procurement_budget": "120万元",
               "facts": {"in_centralized_procurement_catalogue": False}}
    verdict = govrules.evaluate(project, load_pack(pack), dt.date(2025, 9, 1))
    assert (verdict.route.decision, verdict.route.gap, verdict.route.text_missing) == ("undetermined", True, True)
    assert list(verdict.route.rules) == ["route.art17_beyond"]


def test_every_key_of_an_article_parameter_and_fact_is_documented() -> None:
    from govrules.models.pack import Article, Fact, Parameter

    doc = (ROOT / "docs" / "pack-format.md").read_text("utf-8")
    for model in (Article, Parameter, Fact):
        undocumented = [name for name in model.model_fields if f"`{name}" not in doc and f"{name}:" not in doc]
        assert undocumented == [], (model.__name__, undocumented)
    assert "`items_derived: true`" in doc
