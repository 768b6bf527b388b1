"""What a calling system gets wrong is refused with a GovrulesError that says what and where."""

from __future__ import annotations

import datetime as dt
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import govrules
from govrules import GovrulesError, MoneyFormatError, ParameterError, Project, ProjectError
from govrules.cli import main
from govrules.models.money import parse_money

AS_OF = dt.date(2025, 9, 1)
PROJECT: dict[str, Any] = {
    "id": "p", "name": "示例", "level": "prefecture", "execution": "construction", "budget": 400000,
    "funding": [{"source": "prefecture", "amount": 400000}],
    "dates": {"application": "2025-06-10", "approval": False, "construction_start": False, "contract_signed": False},
    "facts": {"gbt40692_system": True, "involves_public_data": True, "classified": False, "emergency": False,
              "routine_office_procurement": False, "in_centralized_procurement_catalogue": False},
}


def _chuxiong(verdicts: list[govrules.Verdict]) -> govrules.Verdict:
    return next(v for v in verdicts if v.pack == "chuxiong-2025")


def test_evaluate_all_applies_per_pack_parameters() -> None:
    without = _chuxiong(govrules.evaluate_all(PROJECT, AS_OF))
    with_limit = _chuxiong(govrules.evaluate_all(PROJECT, AS_OF,
                                                 parameters={"chuxiong-2025": {"procurement_limit": 1000000}}))
    assert (without.route.decision, with_limit.route.decision) == ("undetermined", "filing")


def test_evaluate_all_refuses_the_flat_shape_evaluate_takes() -> None:
    with pytest.raises(ParameterError, match="per pack") as info:
        govrules.evaluate_all(PROJECT, AS_OF, parameters={"procurement_limit": 1000000})
    assert info.value.code == "parameter_invalid"
    assert info.value.errors[0]["path"] == "parameters.procurement_limit"


def test_evaluate_all_refuses_a_misspelt_pack_id() -> None:
    with pytest.raises(ParameterError, match="did you mean `chuxiong-2025`"):
        govrules.evaluate_all(PROJECT, AS_OF, parameters={"chuxiong-2052": {"procurement_limit": 1000000}})
    with pytest.raises(ParameterError, match="must be a mapping"):
        govrules.evaluate_all(PROJECT, AS_OF, parameters={"chuxiong-2025": 1000000})  # type: ignore[dict-item]


def test_evaluate_all_refuses_an_unknown_parameter_of_a_pack() -> None:
    with pytest.raises(ParameterError, match="did you mean `procurement_limit`") as info:
        govrules.evaluate_all(PROJECT, AS_OF, parameters={"chuxiong-2025": {"procurement_limt": 1000000}})
    assert info.value.errors[0]["path"] == "parameters.chuxiong-2025.procurement_limt"


def test_compare_refuses_a_bad_pack_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nname: 示例\nexecution: construction\nbudget: 400000\n", encoding="utf-8")
    code = main(["compare", str(path), "--as-of", "2025-09-01", "--param", "chuxiong:procurement_limit=1000000"])
    err = capsys.readouterr().err
    assert code == 2
    assert "parameter_invalid" in err and "did you mean `chuxiong-2025`" in err
    assert main(["compare", str(path), "--as-of", "2025-09-01",
                 "--param", "chuxiong-2025:procurement_limit=1000000"]) == 0


def test_project_model_validate_raises_a_project_error() -> None:
    with pytest.raises(ProjectError) as info:
        Project.model_validate({"id": "p", "name": "示例", "budget": "很多"})
    assert isinstance(info.value, GovrulesError)
    assert [e["path"] for e in info.value.errors] == ["budget"]
    with pytest.raises(ProjectError):
        Project.model_validate_json('{"id": "p", "name": "示例", "levle": "prefecture"}')
    assert Project.model_validate({"id": "p", "name": "示例", "budget": "48万元"}).budget == 480000


def test_as_of_takes_an_iso_string() -> None:
    by_string = govrules.evaluate(PROJECT, "chuxiong-2025", as_of="2025-09-01", trace=False)
    by_date = govrules.evaluate(PROJECT, "chuxiong-2025", as_of=AS_OF, trace=False)
    assert by_string.as_of == AS_OF
    assert by_string.model_dump() == by_date.model_dump()
    assert [v.as_of for v in govrules.evaluate_all(PROJECT, "2025-09-01")] == [AS_OF] * 3


@pytest.mark.parametrize("as_of", ["2025/09/01", "yesterday", 20250901])
def test_a_bad_as_of_is_a_govrules_error(as_of: Any) -> None:
    with pytest.raises(GovrulesError, match="ISO date") as info:
        govrules.evaluate(PROJECT, "chuxiong-2025", as_of=as_of)
    assert info.value.code == "as_of_invalid"


def test_a_misspelt_fact_is_short_and_suggests_the_name() -> None:
    project = {**PROJECT, "facts": {**PROJECT["facts"], "gbt40692_sytem": True}}
    with pytest.raises(ProjectError) as info:
        govrules.evaluate(project, "chuxiong-2025", as_of=AS_OF)
    assert "did you mean `gbt40692_system`?" in str(info.value)
    assert len(str(info.value)) < 200, str(info.value)  # not every fact of every pack
    assert info.value.errors[0]["path"] == "facts.gbt40692_sytem"


def test_load_project_with_a_pack_refuses_a_misspelt_fact(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nname: 示例\nfacts: {involves_public_dta: true, acceptance_applied: true}\n"
                    "systems: [{name: s, facts: {nonsense_zzz: 1}}]\n", encoding="utf-8")
    assert govrules.load_project(path).facts["involves_public_dta"] is True  # no pack: any pack's fact may do
    with pytest.raises(ProjectError) as info:
        govrules.load_project(path, pack="chuxiong-2025")
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "did you mean `involves_public_data`?" in message
    assert "acceptance_applied" not in message  # a fact of the shared vocabulary is accepted
    assert [e["path"] for e in info.value.errors] == ["facts.involves_public_dta", "systems.0.facts.nonsense_zzz"]
    assert info.value.source == str(path)


def test_money_format_error_is_a_govrules_error() -> None:
    with pytest.raises(GovrulesError) as info:
        parse_money("很多")
    assert isinstance(info.value, MoneyFormatError) and isinstance(info.value, ValueError)
    assert info.value.code == "money_format"


def _route(pack: govrules.CompiledPack) -> str:
    return govrules.evaluate(PROJECT, pack, as_of=AS_OF, parameters={"procurement_limit": 1000000}).route.decision


@pytest.mark.parametrize("source", ["chuxiong-2025", "examples/county/lufeng-2025-example.yaml"])
def test_a_loaded_pack_pickles(source: str) -> None:
    pack = govrules.load_pack(Path(__file__).resolve().parents[1] / source if "/" in source else source)
    copy = pickle.loads(pickle.dumps(pack))
    assert copy.digest == pack.digest and copy.pack == pack.pack
    project = {**PROJECT, "dates": {"application": "2025-06-10"}}
    for trace in (True, False):
        assert (govrules.evaluate(project, copy, as_of=AS_OF, trace=trace).model_dump()
                == govrules.evaluate(project, pack, as_of=AS_OF, trace=trace).model_dump())


def test_a_loaded_pack_goes_to_worker_processes() -> None:
    pack = govrules.load_pack("chuxiong-2025")
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert list(pool.map(_route, [pack, pack])) == [_route(pack)] * 2


def test_verdict_lookups() -> None:
    project = {**PROJECT, "budget": 1500000, "funding": [{"source": "prefecture", "amount": 1500000}],
               "facts": {**PROJECT["facts"], "shares_data_as_required": False}}
    verdict = govrules.evaluate(project, "chuxiong-2025", as_of=AS_OF, parameters={"procurement_limit": 1000000})
    ground = verdict.ground("ground.art15_1")
    assert ground is not None and ground.id == "ground.art15_1" and ground.citation.article == 15
    assert verdict.ground("ground.no_such_rule") is None
    assert verdict.obligation("no.such") is None and verdict.consequence("no.such") is None
    for obligation in verdict.obligations:
        assert verdict.obligation(obligation.id, obligation.item) == obligation
    for consequence in verdict.consequences:
        assert verdict.consequence(consequence.id, consequence.item) == consequence
    missing = verdict.missing_fact("emergency_leader_consent")
    assert missing is None or missing.path == "facts.emergency_leader_consent"
    assert verdict.missing_fact("gbt40692_system") is None  # given
    step = verdict.step("route.art16_construction")
    assert step is not None and step.result == "true" and step.kind == "route"
    assert verdict.route.decision == "approval"


def test_decision_values_are_in_one_place() -> None:
    from typing import get_args

    from govrules.models.verdict import ChangeDecision, RouteDecision, ScopeStatus
    from govrules.testing.cases import Expectation

    schema = govrules.Verdict.model_json_schema()["$defs"]
    assert schema["Route"]["properties"]["decision"]["enum"] == list(get_args(RouteDecision))
    assert schema["Scope"]["properties"]["status"]["enum"] == list(get_args(ScopeStatus))
    assert schema["ChangeOut"]["properties"]["decision"]["enum"] == list(get_args(ChangeDecision))
    assert Expectation.model_validate({"route": "build_first"}).route == "build_first"


def test_compare_all_without_packs_does_not_speak_of_packs_in_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nname: 示例\n", encoding="utf-8")
    monkeypatch.setattr("govrules.engine.multi_pack.bundled_pack_ids", lambda: [])
    assert main(["compare", str(path), "--all"]) == 0
    out = capsys.readouterr().out
    assert "没有捆绑的办法包" in out and "施行中" not in out
