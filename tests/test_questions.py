"""The questions that decide: which unknown facts settle a conclusion, in what order, and the
interview (``govrules ask``) that asks them."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import govrules
from govrules.cli import main
from govrules.engine.questions import TIERS, cut_points

AS_OF = "2025-09-01"
LIMIT = {"procurement_limit": "100万元"}
#: what a project register holds for an 80万元 Chuxiong construction project
RECORD = {"id": "cx-80", "name": "楚雄州某业务系统建设项目", "level": "prefecture", "execution": "construction",
          "category": "software_development", "budget": "80万元", "funding": [{"source": "prefecture"}]}
#: 第十八条 measures a project with civil works on its IT part: presuming nothing, the route of the record
#: turns on two facts together (emergency and civil works), and a question settles the route only when the
#: record declares the one — as an application does when it lists no civil-works part
NO_WORKS = {"facts": {"includes_civil_works": False}}


def _questions(strict: bool = True, **changes: object) -> list[govrules.models.verdict.Question]:
    return govrules.questions({**RECORD, **changes}, "chuxiong-2025", AS_OF, parameters=LIMIT, strict=strict)


def test_questions_are_ordered_by_what_they_settle() -> None:
    qs = _questions(**NO_WORKS)
    tiers = [TIERS.index(q.tier) if q.tier not in ("scope", "route") else 0 for q in qs]
    assert tiers == sorted(tiers)
    assert qs[0].fact == "emergency"  # its ordinary answer (no) settles the route
    procedure = {q.fact for q in qs if q.tier in ("scope", "route")}
    assert {"gbt40692_system", "involves_public_data", "transitional_contract", "routine_office_procurement",
            "emergency"} <= procedure


def test_each_answer_gives_its_conclusion_with_the_article() -> None:
    emergency = next(q for q in _questions(**NO_WORKS) if q.fact == "emergency")
    answers = {a.answer: {o.conclusion: o for o in a.outcomes} for a in emergency.answers}
    assert answers["false"]["route"].value == "approval"
    assert answers["false"]["route"].citations == ("第十六条",)
    assert answers["true"]["route"].value == "undetermined"  # build first also needs the leader's consent
    consent = _questions(facts={"emergency": True, "includes_civil_works": False})
    first = next(q for q in consent if q.fact == "emergency_leader_consent")
    by_answer = {a.answer: {o.conclusion: o for o in a.outcomes} for a in first.answers}
    assert by_answer["true"]["route"].value == "build_first"
    assert by_answer["true"]["route"].citations == ("第十一条",)
    assert by_answer["false"]["route"].value == "approval"


def test_a_fact_that_settles_nothing_is_no_question() -> None:
    verdict = govrules.evaluate(RECORD, "chuxiong-2025", AS_OF, parameters=LIMIT, strict=True, questions=True)
    asked = {q.fact for q in verdict.questions}
    # 第十五条第（一）项 needs both facts: neither answer to one of them alone settles the ground
    assert verdict.missing_fact("duplicate_data_collection") is not None
    assert "duplicate_data_collection" not in asked
    assert asked < {m.name for m in verdict.missing_facts} | {a.fact for a in verdict.assumptions}


def test_amounts_are_asked_as_the_ranges_the_text_compares_them_with() -> None:
    record = {k: v for k, v in RECORD.items() if k != "budget"}
    qs = govrules.questions(record, "chuxiong-2025", AS_OF, parameters=LIMIT,
                            strict=False)
    budget = next(q for q in qs if q.fact == "budget")
    assert budget.kind == "money" and budget.tier == "route"
    routes = [(a.answer, next(o.value for o in a.outcomes if o.conclusion == "route")) for a in budget.answers]
    assert ("< 500000", "filing") in routes and (">= 500000", "approval") in routes


def test_cut_points_are_the_values_compared_with() -> None:
    pack = govrules.load_pack("chuxiong-2025")
    from decimal import Decimal

    env = {**pack.parameter_defaults(), "procurement_limit": Decimal(1000000)}
    assert Decimal(500000) in cut_points(pack, "budget", env)
    assert Decimal(1000000) in cut_points(pack, "procurement_budget", env)  # 第十七条's procurement limit


def test_presumed_facts_are_questions_only_where_the_presumption_decides() -> None:
    qs = _questions(strict=False)
    emergency = next(q for q in qs if q.fact == "emergency")
    assert emergency.presumed is False and emergency.tier == "route"
    # a presumption that decides nothing is not asked: the catalogue does not change an 80万元 approval
    assert all(q.fact != "in_centralized_procurement_catalogue" for q in qs)
    # one that decides is: under art36_3's default reading, 80万元 of routine equipment below the 100万元
    # limit is exempt (第三十六条第（三）项) whether or not its items are in the catalogue
    equipment = next(q for q in qs if q.fact == "routine_operation_equipment")
    assert equipment.presumed is False and equipment.tier == "scope"
    # unknown facts of the same tier come before presumed ones
    procedure = [q for q in qs if q.tier in ("scope", "route")]
    assert [q.presumed is None for q in procedure] == sorted((q.presumed is None for q in procedure), reverse=True)


def test_questions_only_on_request() -> None:
    verdict = govrules.evaluate(RECORD, "chuxiong-2025", AS_OF, parameters=LIMIT, strict=True)
    assert verdict.questions == []
    asked = govrules.evaluate(RECORD, "chuxiong-2025", AS_OF, parameters=LIMIT, strict=True, questions=True)
    assert asked.questions and asked.model_copy(update={"questions": []}) == verdict.model_copy(
        update={"trace": verdict.trace})


def test_text_report_ends_with_the_procedure_questions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: cx-80\nname: 示例\nlevel: prefecture\nexecution: construction\n"
                    "category: software_development\nbudget: 80万元\nfunding:\n  - source: prefecture\n"
                    "facts:\n  includes_civil_works: false\n",
                    encoding="utf-8")
    assert main(["evaluate", str(path), "--pack", "chuxiong-2025", "--as-of", AS_OF, "--param",
                 "procurement_limit=100万元", "--strict"]) == 0
    out = capsys.readouterr().out
    tail = out[out.index("要确定程序，还需回答："):]
    assert "否 → 程序 审批[第十六条]" in tail.splitlines()[1]
    assert "其他待回答的问题" in tail
    # with presumptions the procedure is decided: the questions are whether the presumptions hold
    assert main(["evaluate", str(path), "--pack", "chuxiong-2025", "--as-of", AS_OF, "--param",
                 "procurement_limit=100万元"]) == 0
    out = capsys.readouterr().out
    assert "要确定程序" not in out and "程序依推定确定；推定是否成立，可回答：" in out and "（现推定为否）" in out
    assert main(["evaluate", str(path), "--pack", "chuxiong-2025", "--as-of", AS_OF, "--format", "json"]) == 0
    assert '"questions": []' in capsys.readouterr().out


def _ask(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, answers: str,
         *extra: str, limit: str = "100万元", no_works: bool = False) -> tuple[int, str, Path]:
    path = tmp_path / "p.yaml"
    path.write_text("id: cx-80\nname: 楚雄州某业务系统建设项目\nlevel: prefecture\nexecution: construction\n"
                    "category: software_development\nbudget: 80万元\nfunding:\n  - source: prefecture\n"
                    + ("facts:\n  includes_civil_works: false\n" if no_works else ""),
                    encoding="utf-8")
    out = tmp_path / "answered.yaml"
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    code = main(["ask", str(path), "--pack", "chuxiong-2025", "--as-of", AS_OF, "--param",
                 f"procurement_limit={limit}", "--out", str(out), *extra])
    return code, capsys.readouterr().out, out


@pytest.mark.parametrize("limit", ["50万元", "100万元", "200万元"])
def test_ask_strict_decides_the_route_within_three_questions(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path, limit: str) -> None:
    # the register's five fields, presumptions off: the first question, answered no, decides 审批;
    # the empty answer that follows ends the interview
    # (the record declares no civil-works part: otherwise 第十八条 makes the route turn on two facts at once)
    code, out, written = _ask(monkeypatch, capsys, tmp_path, "否\n", "--strict", limit=limit, no_works=True)
    assert code == 0
    assert out.count("[是/否/不知道] >") == 2  # asked, answered; asked next, ended
    assert "共回答 1 个问题" in out
    assert "程序: 审批（州发展改革委(州数据局)）  [第十六条]" in out
    project = govrules.load_project(written)
    assert project.facts == {"includes_civil_works": False, "emergency": False}
    verdict = govrules.evaluate(project, "chuxiong-2025", AS_OF, parameters={"procurement_limit": limit}, strict=True)
    assert verdict.route.decision == "approval"


def test_ask_until_scope_and_route_are_decided(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    code, out, written = _ask(monkeypatch, capsys, tmp_path, "n\ny\n是\n否\n否\n否\n", "--strict", no_works=True)
    assert code == 0
    verdict = govrules.evaluate(govrules.load_project(written), "chuxiong-2025", AS_OF, parameters=LIMIT,
                                strict=True)
    assert verdict.scope.status == "in_scope" and verdict.route.decision == "approval"
    assert "共回答 6 个问题" in out and "适用范围: 适用" in out
    # 不知道 passes to the next question and never asks it again; the interview ends when none is left
    code, out, written = _ask(monkeypatch, capsys, tmp_path, "n\ny\n是\n?\n否\n否\n否\n否\n", "--strict",
                              no_works=True)
    assert code == 0 and out.count("日常办公软硬件？") == 1
    project = govrules.load_project(written)
    assert project.facts is not None and "routine_office_procurement" not in project.facts


def test_ask_with_presumptions_needs_no_question(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, written = _ask(monkeypatch, capsys, tmp_path, "")
    assert code == 0 and "共回答 0 个问题" in out and "程序: 审批" in out
    assert "facts" not in govrules.load_project(written).model_dump(exclude_defaults=True)


def test_ask_reads_amounts_dates_and_stops_at_the_end_of_input(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    from govrules.models.verdict import Question
    from govrules.output.interview import _DontKnow, parse_answer

    def question(kind: str) -> Question:
        return Question(fact="x", path="x", zh="x", en="x", kind=kind, tier="route", settles=("route",), answers=())

    assert parse_answer(question("money"), "80万元", None) == 800000
    assert parse_answer(question("date"), "2025-06-01", None) == "2025-06-01"
    assert parse_answer(question("date"), "未发生", None) is False
    assert parse_answer(question("enum"), "2", ["a", "b"]) == "b"
    assert parse_answer(question("bool"), "y", None) is True
    with pytest.raises(_DontKnow):
        parse_answer(question("bool"), "不知道", None)
    with pytest.raises(ValueError):
        parse_answer(question("bool"), "maybe", None)
    # an unreadable answer is asked again; the end of input stops the interview
    code, out, _ = _ask(monkeypatch, capsys, tmp_path, "maybe\n", "--strict")
    assert code == 0 and "请回答 是/否/不知道" in out and "共回答 0 个问题" in out


def test_questions_are_refused_for_a_batch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"id": "a", "name": "a", "budget": 1}\n', encoding="utf-8")
    assert main(["evaluate", str(batch), "--pack", "chuxiong-2025", "--as-of", AS_OF, "--questions"]) == 2
    assert "questions_batch" in capsys.readouterr().err
    # without it, a batch has no questions
    assert main(["evaluate", str(batch), "--pack", "chuxiong-2025", "--as-of", AS_OF]) == 0
    assert '"questions":[]' in capsys.readouterr().out
