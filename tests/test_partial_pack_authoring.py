"""What a policy author met writing a pack, from the docs alone, for a measure that survives only in
part and whose dates are lost (tests/fixtures/partial/excerpt-2017.yaml: 第一条 to 第十一条, issued and in
force at a date known only as 2017年下半年): an issue date that may be left out, presumptions held back
from an obligation, coverage of an article encoded only by defined terms, and every `check` finding
placed in the file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import govrules
from govrules.analysis.coverage import article_coverage
from govrules.cli import main
from govrules.compile.loading import load_pack
from govrules.errors import PackError
from govrules.packs.bundled import display_path
from govrules.testing.cases import run_case_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "partial"
PACK = FIXTURE / "excerpt-2017.yaml"
CASES = FIXTURE / "excerpt-2017.cases.yaml"
TEXT = PACK.read_text("utf-8")
PROJECT: dict[str, Any] = {
    "id": "p", "name": "荆州市某局业务系统新建项目", "level": "city", "execution": "construction", "budget": 500000,
    "funding": [{"source": "municipal", "amount": 500000}], "dates": {"application": "2019-07-15"},
    "facts": {"it_engineering_project": True, "build_type": "new_construction", "funding_year": 2020,
              "conforms_to_city_it_plan": True, "builds_application_system": True,
              "on_unified_support_platform": False, "major_infrastructure_type": "none",
              "major_application_type": "none"}}


def _variant(tmp_path: Path, text: str, name: str = "excerpt-2017.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


# -- the issue date, unknown with the effective date ------------------------------------------------------


def test_an_unknown_issue_date_may_be_left_out_or_null(tmp_path: Path) -> None:
    assert "issued:" not in TEXT
    pack = load_pack(PACK)
    assert pack.pack.dates.issued is None
    assert "issued" not in pack.pack.dates.model_dump(mode="json")  # dumped (and digested) as written
    written = TEXT.replace("  effective_basis: unknown", "  issued: null\n  effective_basis: unknown", 1)
    assert load_pack(_variant(tmp_path, written)).pack.dates.issued is None
    again = load_pack(PACK)  # from the compiled cache
    assert again.pack.dates.issued is None and again.digest == pack.digest


def test_a_known_effective_date_still_needs_the_issue_date(tmp_path: Path) -> None:
    known = re.sub(r"  effective_basis: unknown.*?\n(?=source:)", "  effective: 2017-08-24\n  effective_basis: "
                   "publication\n", TEXT, count=1, flags=re.S)
    assert "effective_between" not in known
    with pytest.raises(PackError) as caught:
        load_pack(_variant(tmp_path, known))
    (diagnostic,) = caught.value.diagnostics
    dates = TEXT.splitlines().index("dates:") + 1
    assert diagnostic.location is not None and diagnostic.location.line in (dates, dates + 1)  # the mapping
    assert "`issued`" in diagnostic.message and "effective_basis: unknown" in diagnostic.message
    assert load_pack(_variant(tmp_path, known.replace("dates:\n", "dates:\n  issued: 2017-08-24\n"))).pack.dates.issued


def test_the_pack_schema_says_when_the_issue_date_is_required() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schemas" / "pack.schema.json").read_text("utf-8"))
    dates = schema["$defs"]["PackDates"]
    validator = jsonschema.Draft202012Validator({**dates, "$defs": schema["$defs"]})
    window = {"earliest": "2017-07-01", "latest": "2017-12-31", "note": "仅知2017年下半年"}
    assert validator.is_valid({"effective_basis": "unknown", "effective_between": window})
    assert validator.is_valid({"issued": None, "effective_basis": "unknown", "effective_between": window})
    assert not validator.is_valid({"effective": "2017-08-24", "effective_basis": "publication"})
    assert not validator.is_valid({"issued": None, "effective": "2017-08-24", "effective_basis": "publication"})
    assert validator.is_valid({"issued": "2017-08-24", "effective": "2017-08-24", "effective_basis": "publication"})


def test_packs_shows_an_unknown_issue_and_effective_date_as_unknown(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import govrules.packs.bundled

    monkeypatch.setattr(govrules.packs.bundled, "bundled_pack_ids", lambda: [str(PACK), "chuxiong-2025"])
    code, out = _run(capsys, "packs", "--format", "json")
    rows = {row["id"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["excerpt-2017"]["issued"] is None and rows["excerpt-2017"]["effective"] is None
    assert rows["excerpt-2017"]["effective_between"] == {"earliest": "2017-07-01", "latest": "2017-12-31"}
    assert rows["chuxiong-2025"]["issued"] == rows["chuxiong-2025"]["effective"] == "2025-05-08"
    code, out = _run(capsys, "packs")
    line = next(x for x in out.splitlines() if x.startswith("excerpt-2017"))
    assert code == 0 and "印发 不详" in line and "施行 日期不详（不早于2017-07-01，至迟2017-12-31施行）" in line
    assert "印发 2025-05-08  施行 2025-05-08" in out


def test_a_pack_without_an_issue_date_evaluates_and_extends(tmp_path: Path) -> None:
    pack = load_pack(PACK)
    verdict = govrules.evaluate(PROJECT, pack, as_of="2019-09-01")
    assert verdict.in_force is True and verdict.route.decision == "approval"
    assert verdict.text_status is not None and verdict.text_status.effective_known is False
    child = ("format: govrules/pack@1\nid: child-2018\nextends: excerpt-2017.yaml\ntitle: 子办法（测试）\n"
             "document: 测〔2018〕1号\nissuer: 测试县\njurisdiction: {name: 测试县, level: county}\n"
             "dates: {effective_basis: unknown,\n"
             "        effective_between: {earliest: 2018-01-01, note: 印发、施行日期均不详}}\n"
             "text: {complete: false, from_article: 2}\n"
             "articles:\n  - {number: 1, text: 本县参照执行。, informational: 参照条款}\n")
    (tmp_path / "excerpt-2017.yaml").write_text(TEXT, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(child, encoding="utf-8")
    loaded = load_pack(tmp_path / "child.yaml")
    assert loaded.pack.dates.issued is None and loaded.pack.dates.effective.isoformat() == "2018-01-01"
    assert govrules.evaluate(PROJECT, loaded, as_of="2019-09-01").in_force == "undetermined"


# -- a presumption in an obligation's exception -------------------------------------------------------------


def _presuming_classified(tmp_path: Path, value: str) -> Any:
    line = "  - {name: classified, type: bool, zh: 涉密项目, en: a classified project}"
    assert line in TEXT
    presumed = (f"  - {{name: classified, type: bool, zh: 涉密项目, en: a classified project, presume: {value}, "
                "citation: {article: 7}, presumed_zh: 非涉密项目, because: 涉密的除外须由项目单位主张}")
    return load_pack(_variant(tmp_path, TEXT.replace(line, presumed)))


def test_presuming_no_exception_to_an_obligation_is_held_back(tmp_path: Path) -> None:
    """The guide's example: presuming `classified: false` (the burden of 涉密的除外 is the project's) would
    make 第七条's platform duty apply, so it is held back — the duty stays unknown until the project says."""
    from govrules.analysis.presumptions import check_presumptions

    pack = _presuming_classified(tmp_path, "false")
    verdict = govrules.evaluate(PROJECT, pack, as_of="2019-09-01")
    duty = next(o for o in verdict.obligations if o.id == "obligation.art7_platform")
    assert duty.status == "unknown"
    assert "classified" in {m.name for m in verdict.missing_facts}
    assert ("classified", "obligation.art7_platform") in {(f, r) for _, f, r in check_presumptions(pack).held_back}
    stated = govrules.evaluate({**PROJECT, "facts": {**PROJECT["facts"], "classified": False}}, pack,
                               as_of="2019-09-01")
    assert next(o for o in stated.obligations if o.id == "obligation.art7_platform").status == "pending"
    strict = govrules.evaluate(PROJECT, pack, as_of="2019-09-01", strict=True)
    assert next(o for o in strict.obligations if o.id == "obligation.art7_platform").status == "unknown"


def test_a_presumption_may_clear_an_obligation(tmp_path: Path) -> None:
    """What the guide says a presumption may do: clear an obligation (its exception holds) — which is
    why the burden decides which way to presume, and 涉密 is not presumed true."""
    pack = _presuming_classified(tmp_path, "true")
    verdict = govrules.evaluate(PROJECT, pack, as_of="2019-09-01")
    assert "obligation.art7_platform" not in {o.id for o in verdict.obligations}
    decides = [a.decides for a in verdict.assumptions if a.fact == "classified"]
    assert decides == [("obligation:obligation.art7_platform",)]


# -- coverage of an article encoded only by defined terms ---------------------------------------------------


def test_coverage_counts_the_cases_that_exercise_a_defined_term() -> None:
    pack = load_pack(PACK)
    results = run_case_file(CASES)
    rows = {r.label: r for r in article_coverage(pack, [(r.name, r.verdict) for r in results
                                                         if r.verdict is not None])}
    art3 = rows["第三条"]
    assert art3.rules == [] and art3.terms == ["it_project", "global_major_infrastructure", "public_major_application"]
    assert "第二条 部分使用财政性资金(财政1元+社会资本)也适用" in art3.cases
    assert "第三条第二款 \"等\"：同类项目也属全局性重大基础设施" in art3.cases
    # a case in which no term of the article holds does not exercise it
    assert "第三条第一款 零星办公电脑、耗材添置不属信息化建设项目" not in art3.cases


def test_a_term_that_holds_whatever_the_project_exercises_nothing(tmp_path: Path) -> None:
    constant = TEXT.replace("    when: it_engineering_project and not sporadic_office_purchase and not "
                            "electronic_industry_project", "    when: 'true'")
    assert constant != TEXT
    pack = load_pack(_variant(tmp_path, constant.replace("    when: it_project and major_infrastructure_type != 'none'",
                                                         "    when: major_infrastructure_type != 'none'")
                              .replace("    when: it_project and major_application_type != 'none'",
                                       "    when: major_application_type != 'none'")))
    verdict = govrules.evaluate(PROJECT, pack, as_of="2019-09-01")
    assert {t.id: t.holds for t in verdict.terms}["it_project"] == "true"
    assert next(r for r in article_coverage(pack, [("c", verdict)]) if r.label == "第三条").cases == []


def test_the_coverage_command_counts_the_term_article(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "coverage", str(PACK), "--format", "json")
    row = next(r for r in json.loads(out) if r["label"] == "第三条")
    assert code == 0 and row["status"] == "encoded" and len(row["cases"]) > 0


# -- every finding of `check` placed in the file ------------------------------------------------------------


def test_every_check_finding_on_the_pack_has_a_position(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Declared gaps under a reading's other option too (route.art10_om_text_missing is a rule of the
    non-default option), a gap, and the presumption notes."""
    start = TEXT.index("  - id: route.art10_om_text_missing")
    gap = _variant(tmp_path, TEXT[:start] + TEXT[TEXT.index("  - id: route.art11_filing"):], "gap.yaml")
    for path, errors in ((PACK, False), (gap, True)):
        code, out = _run(capsys, "check", str(path), "--format", "json")
        diagnostics = json.loads(out)["diagnostics"]
        assert code == (1 if errors else 0) and diagnostics
        assert {d["code"] for d in diagnostics} >= {"consistency.declared_gap"}
        shown = display_path(path)
        assert [d for d in diagnostics if d["line"] is None or d["file"] != shown] == []
        code, out = _run(capsys, "check", str(path))
        findings = [line for line in out.splitlines() if re.search(r"(warning|error|note)\[", line)]
        assert findings and all(line.startswith(f"{shown}:") for line in findings), findings
    assert any("consistency.gap" in line for line in findings)
    lines = TEXT.splitlines()
    om = next(i for i, x in enumerate(lines) if "id: route.art10_om_text_missing" in x)
    om = next(i for i in range(om, len(lines)) if lines[i].startswith("    when:"))  # a finding is at `when`
    code, out = _run(capsys, "check", str(PACK))
    shown = display_path(PACK)
    assert f"{shown}:{om + 1}:11: warning[consistency.declared_gap] route.art10_om_text_missing" in out
    presume = next(i for i, x in enumerate(lines) if "name: sporadic_office_purchase" in x) + 2
    assert f"{shown}:{presume}:" in out and "note[presumption.held_back]: `sporadic_office_purchase`" in out
