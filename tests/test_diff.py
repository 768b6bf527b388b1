"""Comparing two packs (govrules.analysis.diff): regions where two measures decide the same project differently.

(a) the bundled packs: Chuxiong vs Linfen (route, change and scope differences, with citations on both
    sides; every example evaluates as the difference says), Chuxiong vs Jingzhou (a project both
    measures cover, filed in Chuxiong and approved in Jingzhou), a measure not in force, parameters;
(b) a pack compared with itself has no difference;
(c) two minimal packs whose thresholds differ (500,000 vs 300,000) differ on exactly [300000, 500000);
(d) the `govrules diff` command: exit codes and the JSON shape.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import govrules
from govrules.analysis.diff import Difference, PackDiff, diff_packs, diff_report, example_project, format_diff
from govrules.cli import main
from govrules.compile.loading import load_pack, load_pack_text
from govrules.models.verdict import Verdict
from govrules.packs.projects import read_project_data, validate_project

PACK_IDS = ["chuxiong-2025", "linfen-2021", "jingzhou-2017", "qujing-2020"]


@pytest.fixture(scope="module")
def chuxiong_linfen() -> PackDiff:
    return diff_report(load_pack("chuxiong-2025"), load_pack("linfen-2021"))


@pytest.fixture(scope="module")
def chuxiong_jingzhou() -> PackDiff:
    # with Chuxiong's procurement limit given (its open placements would multiply the analysis by three)
    return diff_report(load_pack("chuxiong-2025"), load_pack("jingzhou-2017"),
                       parameters={"chuxiong-2025": {"procurement_limit": "100万元"}})


def _verdict(difference: Difference, pack: str) -> Verdict:
    project = validate_project(read_project_data(difference.example.encode("utf-8"), "example.yaml"))
    assert project == example_project(difference)
    return govrules.evaluate(project, pack, difference.as_of, parameters=difference.parameters.get(pack))


def _check_example(difference: Difference) -> None:
    """The example lands where the difference says: each measure whose scope it is within decides as stated."""
    for side in (difference.a, difference.b):
        verdict = _verdict(difference, side.pack)
        if difference.analysis == "scope":
            covered = verdict.scope.status == "in_scope"
            if side.decision == "in_scope":
                assert covered and side.pack in difference.in_scope_of
            else:
                assert not covered
            continue
        if side.pack not in difference.in_scope_of:
            continue
        assert verdict.scope.status == "in_scope"
        got = verdict.route if difference.analysis == "route" else verdict.changes[0]
        assert got.decision == side.decision
        assert {c.label for c in got.citations} <= set(side.citations)


# --------------------------------------------------------------------------------------------------
# (a) bundled packs


def test_chuxiong_linfen_change_art24_against_art20_with_citations(chuxiong_linfen: PackDiff) -> None:
    changes = [d for d in chuxiong_linfen.differences if d.analysis == "change"]
    pairs = {(d.a.decision, d.b.decision): d for d in changes}
    for decision, rule in (("filing", "change.art24_filing"), ("approval", "change.art24_approval")):
        d = pairs[(decision, "adjustment_request")]
        assert d.a.rules == (rule,) and d.a.citations == ("第二十四条",) and d.a.articles == (24,)
        assert d.b.rules == ("change.art20_adjustment",) and d.b.citations == ("第二十条",)
        assert d.region.startswith("per change: ") and "change_major = true" in d.region
        assert "change_increases_investment = false" in d.region
    filing = pairs[("filing", "adjustment_request")]
    assert "change_scale <= 0.1" in filing.region
    assert "change_scale > 0.1" in pairs[("approval", "adjustment_request")].region
    # a change that is not major is decided alike (not covered by either): counted, not listed
    assert not any("change_major = false" in d.region for d in changes)
    assert 0 < chuxiong_linfen.identical["change"] < chuxiong_linfen.compared["change"]


def test_chuxiong_linfen_route_and_scope(chuxiong_linfen: PackDiff) -> None:
    report = chuxiong_linfen
    routes = [d for d in report.differences if d.analysis == "route"]
    assert routes and all(d.a.citations and d.b.citations for d in routes)
    filing = [d for d in routes if d.a.decision == "filing"]
    assert filing and all(d.b.decision == "approval" and d.a.citations == ("第十七条",) for d in filing)
    assert any(d.a.decision == "build_first" and "emergency = true" in d.region for d in routes)
    # Chuxiong covers 州级 and county units, Linfen the 市直部门 of a prefecture-level city, recorded as
    # `city` or `prefecture`: a `prefecture` record is within both, and there their routes are compared
    scopes = [d for d in report.differences if d.analysis == "scope"]
    # a county-level record may be the Linfen economic-development-zone committee (第二条 names it; it registers
    # by its administrative level): there both scopes may hold, so no scope region is Chuxiong's alone by level
    assert not any("county" in d.region for d in scopes)
    # a city record (and any record stating it is the committee, whatever level it gives) is Linfen's alone
    assert any(d.region.startswith(("level = city", "level in [city")) and d.b.decision == "in_scope" for d in scopes)
    assert not any("prefecture" in d.region for d in scopes)
    assert not any("no project is within the scope of both measures" in n for n in report.notes)
    assert all(d.in_scope_of == ("chuxiong-2025", "linfen-2021") for d in routes)
    # the packs' time bars compare event dates with one another (不溯及既往 on both sides), which the
    # analysis samples: the report says so rather than claiming to be exhaustive
    assert report.exact or any("sampl" in n for n in report.notes)
    for d in report.differences:
        _check_example(d)
    # the open procurement limit: regions that need a particular limit say so
    assert any(d.scenarios and all("procurement_limit" in s for s in d.scenarios) for d in routes)
    text = format_diff(report, examples=True)
    assert "第二十四条" in text and "第二十条" in text and "# govrules evaluate" in text


def test_chuxiong_files_where_jingzhou_approves(chuxiong_jingzhou: PackDiff) -> None:
    both = [d for d in chuxiong_jingzhou.differences if d.analysis == "route" and d.a.decision == "filing"
            and d.b.decision == "approval" and set(d.in_scope_of) == {"chuxiong-2025", "jingzhou-2017"}]
    assert both
    for d in both:
        assert d.a.citations == ("第十七条",) and d.b.citations == ("第十条",)
        assert "build_type = new_construction" in d.region
        _check_example(d)
    # Jingzhou has no change rules: every change is undetermined there, and the notes say so
    assert any("jingzhou-2017 has no change rules" in n for n in chuxiong_jingzhou.notes)
    changes = [d for d in chuxiong_jingzhou.differences if d.analysis == "change"]
    assert changes and all(d.b.decision == "undetermined" and not d.b.rules for d in changes)
    assert any(d.a.decision == "approval" for d in changes)


def test_a_measure_not_in_force_is_said_and_as_of_defaults_to_the_later_effective_date() -> None:
    report = diff_report("qujing-2020", "linfen-2021")
    assert report.as_of == dt.date(2021, 5, 8)
    assert report.in_force == (True, True) and not any("not in force" in n for n in report.notes)
    later = diff_report("qujing-2020", "linfen-2021", as_of=dt.date(2023, 1, 1))
    assert later.as_of == dt.date(2023, 1, 1) and later.in_force == (False, True)
    assert any(n.startswith("qujing-2020 is not in force on 2023-01-01") for n in later.notes)


def test_given_parameters_are_used_and_checked() -> None:
    # the date and the packs `govrules diff --param … --as-of 2025-06-01` below gives: one analysis for both
    found = diff_packs(load_pack("chuxiong-2025"), load_pack("linfen-2021"), as_of=dt.date(2025, 6, 1),
                       parameters={"chuxiong-2025": {"procurement_limit": "100万元"}})
    assert found and all(not d.scenarios for d in found)
    assert all(d.parameters == {"chuxiong-2025": {"procurement_limit": "1000000"}} for d in found)
    with pytest.raises(govrules.ProjectError):
        diff_packs("chuxiong-2025", "linfen-2021", parameters={"qujing-2020": {"x": 1}})
    with pytest.raises(govrules.ProjectError):
        diff_packs("chuxiong-2025", "linfen-2021", parameters={"chuxiong-2025": {"construction_approval_threshold": 1}})


# --------------------------------------------------------------------------------------------------
# (b) a pack with itself


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_a_pack_compared_with_itself_has_no_difference(pack_id: str) -> None:
    report = diff_report(pack_id, govrules.load_pack(pack_id))
    assert report.differences == []
    assert report.identical == report.compared and report.compared["route"] > 0
    assert "no differences" in format_diff(report)


# --------------------------------------------------------------------------------------------------
# (c) two minimal packs


def _threshold_pack(pack_id: str, threshold: int) -> govrules.CompiledPack:
    return load_pack_text(f"""\
format: govrules/pack@1
id: {pack_id}
title: 示例办法{pack_id}
document: 示政办〔2025〕1号
issuer: 示例市人民政府办公室
jurisdiction: {{name: 示例市, level: city}}
dates: {{issued: 2025-01-01, effective: 2025-01-01, effective_basis: issuance}}
articles:
  - {{number: 1, text: 预算金额达到审批标准的项目须审批。}}
  - {{number: 2, text: 预算金额低于审批标准的项目报备案。}}
parameters:
  - {{name: threshold, value: {threshold}, unit: CNY, zh: 审批标准, en: threshold, cite: {{article: 1}}}}
rules:
  - {{id: route.approval, kind: route, title: 审批, decision: approval, when: budget >= threshold,
      cite: {{article: 1}}}}
  - {{id: route.filing, kind: route, title: 备案, decision: filing, when: budget < threshold,
      cite: {{article: 2}}}}
""", file=f"{pack_id}.yaml")


def test_two_thresholds_differ_on_exactly_the_interval_between_them() -> None:
    high, low = _threshold_pack("high-2025", 500000), _threshold_pack("low-2025", 300000)
    report = diff_report(high, low)
    assert [(d.analysis, d.region) for d in report.differences] == [("route", "budget in [300000, 500000)")]
    d = report.differences[0]
    assert (d.a.pack, d.a.decision, d.a.rules, d.a.citations) == ("high-2025", "filing", ("route.filing",), ("第二条",))
    assert (d.b.pack, d.b.decision, d.b.rules, d.b.citations) == ("low-2025", "approval", ("route.approval",),
                                                                    ("第一条",))
    assert d.in_scope_of == ("high-2025", "low-2025") and d.exact and not d.scenarios
    assert 300000 <= d.example_data["budget"] < 500000
    for pack, decision in ((high, "filing"), (low, "approval")):
        assert govrules.evaluate(example_project(d), pack, d.as_of).route.decision == decision
    # below 300,000 both file, from 500,000 both approve: 3 of the 5 cells agree
    assert (report.identical["route"], report.compared["route"]) == (3, 5)
    reverse = diff_packs(low, high)
    assert [(x.region, x.a.decision, x.b.decision) for x in reverse] == [
        ("budget in [300000, 500000)", "approval", "filing")]


# --------------------------------------------------------------------------------------------------
# (d) the command


def test_cli_exit_codes_and_json(capsys: pytest.CaptureFixture[str], chuxiong_linfen: PackDiff) -> None:
    # under the default readings only (comparing under each other option is tested on small packs below)
    assert main(["diff", "chuxiong-2025", "linfen-2021", "--format", "json", "--readings", "default"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"a", "b", "as_of", "exact", "notes", "identical", "compared", "differences"}
    assert len(data["differences"]) == len(chuxiong_linfen.differences)  # the report the fixture made, reused
    assert data["a"]["pack"] == "chuxiong-2025" and data["b"]["pack"] == "linfen-2021"
    assert data["as_of"] == "2025-05-08" and set(data["compared"]) == {"scope", "route", "change"}
    first = data["differences"][0]
    assert set(first) == {"analysis", "region", "a", "b", "scenarios", "parameters", "in_scope_of", "as_of",
                          "exact", "example"}
    assert set(first["a"]) == {"pack", "decision", "rules", "citations", "articles", "note"}
    assert {d["analysis"] for d in data["differences"]} == {"scope", "route", "change"}
    assert main(["diff", "chuxiong-2025", "linfen-2021", "--fail-on-difference", "--readings", "default"]) == 1
    out = capsys.readouterr().out
    assert "route:" in out and "change:" in out and "第二十条" in out
    assert main(["diff", "linfen-2021", "linfen-2021", "--fail-on-difference", "--readings", "default"]) == 0
    assert "no differences" in capsys.readouterr().out
    code = main(["diff", "chuxiong-2025", "linfen-2021", "--param", "chuxiong-2025:procurement_limit=100万元",
                 "--as-of", "2025-06-01", "--examples", "--readings", "default"])
    out = capsys.readouterr().out
    assert code == 0 and "as of 2025-06-01" in out and "--param procurement_limit=1000000" in out
    assert main(["diff", "chuxiong-2025", "linfen-2021", "--param", "procurement_limit=1"]) == 2
    assert main(["diff", "chuxiong-2025", "no-such-pack"]) == 2


def test_all_readings_compares_every_combination_of_options(minimal_pack_text: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    text = minimal_pack_text.replace("rules:\n", """readings:
  - id: art1_amount
    question: 第一条的50万元是否适用于所有建设类项目？
    cite: {article: 1}
    default: budget
    options:
      - {id: budget, text: 按预算金额判断, reason: 第一条的文字}
      - {id: any_amount, text: 不论金额, reason: 对照用的另一读法}
rules:
  - id: route.approval_any_amount
    kind: route
    reading: {art1_amount: any_amount}
    title: 建设类项目须审批
    decision: approval
    when: execution == 'construction'
    cite: {article: 1}
""").replace("    when: execution == 'construction' and budget >= threshold\n",
             "    when: execution == 'construction' and budget >= threshold\n    reading: {art1_amount: budget}\n")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text.replace("id: mini-2025", "id: other-2025"), encoding="utf-8")
    runs = {}
    for extra in ([], ["--readings", "all"]):
        assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--format", "json", *extra]) == 0
        runs[bool(extra)] = [(r["a"]["art1_amount"], r["b"]["art1_amount"])
                             for r in json.loads(capsys.readouterr().out)["readings"]]
    # each other option alone; then every combination (2 * 2 - 1 besides the defaults)
    assert runs[False] == [("any_amount", "budget"), ("budget", "any_amount")]
    assert sorted(runs[True]) == [("any_amount", "any_amount"), ("any_amount", "budget"), ("budget", "any_amount")]
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--format", "json", "--readings",
                 "default"]) == 0
    assert "readings" not in json.loads(capsys.readouterr().out)


def test_beyond_max_combinations_a_fixed_seed_sample_is_compared_and_said() -> None:
    report = diff_report("chuxiong-2025", "linfen-2021", max_combinations=50)
    assert not report.exact
    assert any(n.startswith("sampled, not exhaustive") and "max_combinations=50" in n for n in report.notes)
    routes = [d for d in report.differences if d.analysis == "route"]
    assert routes and not any(d.exact for d in routes)
    assert "(found by sampling)" in format_diff(report)
    again = diff_report("chuxiong-2025", "linfen-2021", max_combinations=50)
    assert json.dumps(again.to_dict(), ensure_ascii=False) == json.dumps(report.to_dict(), ensure_ascii=False)


def test_where_the_scopes_meet_routes_are_compared_and_regions_of_one_scope_alone_are_marked() -> None:
    report = diff_report("linfen-2021", "qujing-2020")
    routes = [d for d in report.differences if d.analysis == "route"]
    # Linfen approves every project it covers; Qujing files an unplanned project needed by state, province
    # or city requirements or urgent business (Art. 14(2)), and leaves a project begun before its measure
    # undetermined (Art. 21) and a county project (its county gap: Linfen's scope reaches a county-level record
    # only as the Linfen economic-development-zone committee, which 第二条 names and which registers by its
    # administrative level); its classified gap falls where Linfen's scope does not reach, Qujing's alone
    both = [d for d in routes if set(d.in_scope_of) == {"linfen-2021", "qujing-2020"}]
    assert [(d.a.decision, d.b.decision) for d in both] == [("approval", "filing"), ("approval", "undetermined"),
                                                            ("approval", "undetermined")]
    assert "route.art21_pre_effective" in both[1].b.rules
    assert both[2].b.rules == ("route.art3_county_gap",) and "level = county" in both[2].region
    assert all(d.in_scope_of == ("qujing-2020",) and d.b.decision == "undetermined" for d in routes if d not in both)
    routes = both
