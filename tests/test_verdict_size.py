"""A verdict holds each article's text once; the trace's detail is the caller's choice; the route says
in one line which rule decided it; a project's jurisdiction keeps other areas' measures away."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import govrules
from govrules.cli import main
from govrules.models.project import ProjectJurisdiction, same_place
from govrules.models.verdict import ChangeOut, CitationOut, Route, Verdict
from govrules.output.report import render_text
from govrules.output.verdict_json import verdict_json

DAY = dt.date(2025, 9, 1)
#: a sparse record, as a review platform first receives it
SPARSE: dict[str, Any] = {"id": "p1", "name": "示例", "level": "prefecture", "execution": "construction",
                          "category": "software_development", "budget": "80万元",
                          "funding": [{"source": "prefecture", "amount": "80万元"}]}


def _citations(verdict: Verdict) -> list[CitationOut]:
    cited = [*verdict.scope.citations, *verdict.route.citations]
    for g in verdict.grounds:
        cited += [g.citation] + ([g.exception] if g.exception else [])
    for c in verdict.changes:
        cited += c.citations
    cited += [o.citation for o in verdict.obligations] + [q.citation for q in verdict.consequences]
    cited += [a.citation for a in verdict.assumptions if a.citation] + [r.citation for r in verdict.readings]
    return cited


# ------------------------------------------------------------------------------------- article texts

@pytest.mark.parametrize("pack_id", ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"])
def test_each_cited_article_text_is_in_the_verdict_once(pack_id: str) -> None:
    pack = govrules.load_pack(pack_id)
    verdict = govrules.evaluate(SPARSE, pack, DAY, historical=True)
    text = verdict_json(verdict)
    cited = _citations(verdict)
    assert cited, "a sparse project is cited against"
    for citation in cited:
        article = pack.pack.article(citation.article, citation.pack)
        assert article is not None
        # one lookup away, and written once in the JSON however many citations point at it
        assert verdict.article_text(citation) == article.text
        assert text.count(json.dumps(article.text, ensure_ascii=False)) == 1, citation.label
    data = json.loads(text)
    assert all("text" not in c for c in _json_citations(data))
    assert {(p, int(n)) for p, arts in data["articles"].items() for n in arts} == {
        (c.pack, c.article) for c in cited}


def _json_citations(data: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(data, dict):
        if "label" in data and "article" in data:
            found.append(data)
        for value in data.values():
            found += _json_citations(value)
    elif isinstance(data, list):
        for value in data:
            found += _json_citations(value)
    return found


def test_a_citation_keeps_its_item_text_and_the_verdict_is_much_lighter() -> None:
    verdict = govrules.evaluate(SPARSE, "chuxiong-2025", DAY)
    ground = verdict.ground("ground.art15_1")
    assert ground is not None and ground.citation.item_text == "未按照要求共享数据资源或重复采集数据的项目。"
    full = verdict_json(verdict)
    # what the citations used to repeat: the article's text in each of them
    repeated = sum(len(json.dumps(verdict.article_text(c), ensure_ascii=False).encode()) for c in _citations(verdict))
    held = len(json.dumps(verdict.articles, ensure_ascii=False).encode())
    assert repeated > 3 * held
    compact = verdict_json(govrules.evaluate(SPARSE, "chuxiong-2025", DAY, trace="compact"))
    assert len(compact.encode()) < len(full.encode())


def test_article_texts_survive_a_json_round_trip() -> None:
    verdict = govrules.evaluate(SPARSE, "chuxiong-2025", DAY)
    again = Verdict.model_validate_json(verdict_json(verdict))
    assert again == verdict
    assert again.article_text(again.route.citations[0]) == verdict.article_text(verdict.route.citations[0])
    missing = CitationOut(document="x", title="x", article=99, label="第九十九条", pack="chuxiong-2025")
    assert again.article_text(missing) is None


def test_the_text_report_is_unchanged_by_where_article_texts_are_held() -> None:
    verdict = govrules.evaluate(SPARSE, "chuxiong-2025", DAY)
    report = render_text(verdict)
    assert "[第十六条]" in report and "第十五条第（一）项" in report


# ---------------------------------------------------------------------------------------------- trace

def test_trace_levels() -> None:
    detailed = govrules.evaluate(SPARSE, "chuxiong-2025", DAY)
    assert any(step.saw for step in detailed.trace), "the default trace records the values seen"
    assert govrules.evaluate(SPARSE, "chuxiong-2025", DAY, trace="detailed") == detailed
    assert govrules.evaluate(SPARSE, "chuxiong-2025", DAY, trace=True) == detailed
    compact = govrules.evaluate(SPARSE, "chuxiong-2025", DAY, trace="compact")
    assert not any(step.saw for step in compact.trace)
    assert govrules.evaluate(SPARSE, "chuxiong-2025", DAY, trace=False) == compact
    assert [(s.rule, s.item, s.result) for s in compact.trace] == [(s.rule, s.item, s.result) for s in detailed.trace]
    assert compact.model_copy(update={"trace": detailed.trace}) == detailed


@pytest.mark.parametrize("bad", ["full", "", None, 1, "Detailed"])
def test_a_bad_trace_level_is_refused(bad: Any) -> None:
    with pytest.raises(govrules.GovrulesError) as caught:
        govrules.evaluate(SPARSE, "chuxiong-2025", DAY, trace=bad)
    assert caught.value.code == "trace_invalid"
    with pytest.raises(govrules.GovrulesError) as caught:
        govrules.evaluate_all(SPARSE, DAY, trace=bad)
    assert caught.value.code == "trace_invalid"


def test_evaluate_all_takes_the_trace_level() -> None:
    compact = govrules.evaluate_all(SPARSE, DAY, trace="compact", include_not_in_force=True)
    assert len(compact) == 4 and all(not s.saw for v in compact for s in v.trace)
    detailed = govrules.evaluate_all(SPARSE, DAY, include_not_in_force=True)
    assert any(s.saw for v in detailed for s in v.trace)


def test_cli_trace_option(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--trace", "compact"], ["--no-trace"]):
        assert main(["evaluate", "examples/chuxiong-data-platform.yaml", "--pack", "chuxiong-2025", "--as-of",
                     "2025-09-01", "--format", "json", *args]) == 0
        verdict = json.loads(capsys.readouterr().out)
        assert verdict["trace"] and not any(step["saw"] for step in verdict["trace"])
    assert main(["evaluate", "examples/chuxiong-data-platform.yaml", "--pack", "chuxiong-2025", "--as-of",
                 "2025-09-01", "--format", "json"]) == 0
    assert any(step["saw"] for step in json.loads(capsys.readouterr().out)["trace"])


# ------------------------------------------------------------------------------- route in one line

def test_route_explains_itself_in_one_line() -> None:
    verdict = govrules.evaluate(SPARSE, "chuxiong-2025", DAY)
    assert verdict.route.decision == "approval"
    assert verdict.route.rules == ["route.art16_construction"]
    assert len(verdict.route.rules) == len(verdict.route.citations)
    assert verdict.route.explain() == "审批 under 第十六条 (rule route.art16_construction)"
    step = verdict.step(verdict.route.rules[0])
    assert step is not None and step.result == "true"


def test_explain_names_each_article_and_rule_once() -> None:
    verdict = govrules.evaluate(SPARSE, "chuxiong-2025", DAY)
    [art16] = verdict.route.citations
    route = Route(decision="undetermined", authority=None, citations=[art16, art16, verdict.scope.citations[0]],
                  reasons=["a", "b", "c"], rules=["route.a", "route.a", "route.b"])
    label = verdict.scope.citations[0].label
    assert route.explain() == f"待定 under 第十六条、{label} (rules route.a, route.b)"
    assert Route(decision="none", authority=None, citations=[], reasons=[]).explain() == "无需审批或备案"
    change = ChangeOut(index=0, decision="filing", citations=[art16], reasons=[], rules=["change.x"])
    assert change.explain() == "备案 under 第十六条 (rule change.x)"


def test_changes_name_their_deciding_rules() -> None:
    project = {**SPARSE, "changes": [{"scale": "0.05", "increases_investment": False}]}
    verdict = govrules.evaluate(project, "chuxiong-2025", DAY)
    [change] = verdict.changes
    assert len(change.rules) == len(change.citations)
    for rule_id in change.rules:
        assert verdict.step(rule_id, 0) is not None


# -------------------------------------------------------------------------------------- jurisdiction

@pytest.mark.parametrize(("a", "b"), [("楚雄州", "楚雄彝族自治州"), ("楚雄", "楚雄彝族自治州"), ("荆州", "荆州市"),
                                      ("临汾市", "临汾"), ("云南省", "云南"), (" 曲靖市", "曲靖")])
def test_place_names_match_with_or_without_their_suffix(a: str, b: str) -> None:
    assert same_place(a, b) and same_place(b, a)


@pytest.mark.parametrize(("a", "b"), [("荆州市", "楚雄州"), ("荆州", "荆"), ("曲靖市", "云南省")])
def test_other_places_do_not_match(a: str, b: str) -> None:
    assert not same_place(a, b)


def test_a_name_at_two_levels_is_told_apart_by_the_level() -> None:
    assert same_place("楚雄州", "楚雄市")  # the same base name...
    assert not ProjectJurisdiction(name="楚雄州", level="prefecture").governed_by("楚雄市", "county")
    assert ProjectJurisdiction(name="楚雄州").governed_by("楚雄市", "county")  # level unknown: the name decides


def test_jurisdiction_is_a_name_or_a_mapping() -> None:
    assert govrules.Project.model_validate({**SPARSE, "jurisdiction": "楚雄州"}).jurisdiction == ProjectJurisdiction(
        name="楚雄州")
    place = govrules.Project.model_validate(
        {**SPARSE, "jurisdiction": {"name": "禄丰市", "level": "county", "parent": "楚雄州"}}).jurisdiction
    assert place is not None and place.parent == "楚雄州"
    with pytest.raises(govrules.ProjectError) as caught:
        govrules.Project.model_validate({**SPARSE, "jurisdiction": {"nam": "楚雄州"}})
    assert caught.value.errors[0]["path"] == "jurisdiction.nam"
    with pytest.raises(govrules.ProjectError):
        govrules.Project.model_validate({**SPARSE, "jurisdiction": {"name": ""}})


def test_evaluate_all_leaves_out_other_jurisdictions() -> None:
    everywhere = govrules.evaluate_all(SPARSE, DAY, include_not_in_force=True)
    assert [v.pack for v in everywhere] == govrules.bundled_pack_ids()  # unknown place: every pack, as before
    chuxiong = {**SPARSE, "jurisdiction": {"name": "楚雄州", "level": "prefecture"}}
    [only] = govrules.evaluate_all(chuxiong, DAY, include_not_in_force=True)
    assert only.pack == "chuxiong-2025" and not any("jurisdiction" in w for w in only.warnings)
    assert govrules.other_jurisdictions(chuxiong) == {"qujing-2020": "曲靖市", "jingzhou-2017": "荆州市",
                                                      "linfen-2021": "临汾市"}
    assert govrules.other_jurisdictions(SPARSE) == {}
    marked = govrules.evaluate_all(chuxiong, DAY, include_not_in_force=True, include_other_jurisdictions=True)
    assert len(marked) == 4
    for verdict in marked:
        flagged = [w for w in verdict.warnings if "not this project's jurisdiction" in w]
        assert bool(flagged) == (verdict.pack != "chuxiong-2025"), verdict.pack


def test_a_county_project_is_governed_by_its_prefecture() -> None:
    county = {**SPARSE, "level": "county", "jurisdiction": {"name": "禄丰市", "level": "county", "parent": "楚雄州"}}
    assert [v.pack for v in govrules.evaluate_all(county, DAY)] == ["chuxiong-2025"]
    elsewhere = {**SPARSE, "jurisdiction": {"name": "宣威市", "level": "county", "parent": "曲靖市"}}
    assert [v.pack for v in govrules.evaluate_all(elsewhere, dt.date(2021, 9, 1))] == ["qujing-2020"]


def test_evaluating_another_areas_measure_says_so() -> None:
    project = {**SPARSE, "jurisdiction": "楚雄州"}
    verdict = govrules.evaluate(project, "jingzhou-2017", DAY, historical=True)
    assert any("项目所在地为楚雄州，本办法适用于荆州市" in w for w in verdict.warnings)
    same = govrules.evaluate(project, "chuxiong-2025", DAY)
    assert not any("jurisdiction" in w for w in same.warnings)
    # the warning belongs to this project: the next one under the same pack does not inherit it
    assert not any("jurisdiction" in w for w in govrules.evaluate(SPARSE, "jingzhou-2017", DAY,
                                                                  historical=True).warnings)


def test_compare_names_the_packs_it_left_out(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps({**SPARSE, "jurisdiction": "楚雄州"}, ensure_ascii=False), "utf-8")
    assert main(["compare", str(path), "--as-of", "2025-09-01"]) == 0
    out = capsys.readouterr().out
    assert "chuxiong-2025" in out and "未评估" in out and "jingzhou-2017（荆州市）" in out
    assert main(["compare", str(path), "--as-of", "2025-09-01", "--all", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["compare", str(path), "--as-of", "2025-09-01", "--format", "json"]) == 0
    assert [v["pack"] for v in json.loads(capsys.readouterr().out)] == ["chuxiong-2025"]
