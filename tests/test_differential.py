"""The fast path agrees with straightforward evaluation.

govrules lowers rule-engine's parsed AST into three-valued closures. Wherever every value a rule
reads is known, the closure must give exactly what rule-engine's own evaluator gives for the same
condition text; and the serialised form of a lowered condition must rebuild the same closure.
Inputs: the environment of every case of every bundled pack's ``*.cases.yaml``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rule_engine

import govrules
from govrules.calendar import WorkdayCalendar
from govrules.compiler import NOT_YET, from_ir
from govrules.evaluator import _Evaluation
from govrules.loader import validate_project
from govrules.testing.cases import _merge, load_case_file

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _envs(pack_id: str) -> list[dict[str, Any]]:
    case_file = load_case_file(ROOT / "policies" / f"{pack_id}.cases.yaml")
    pack = govrules.load_pack(pack_id)
    envs = []
    for case in case_file.model.cases:
        try:
            project = validate_project(_merge(case_file.model.base, case.project))
            params = {**case_file.model.parameters, **(case.parameters or {})}
            evaluation = _Evaluation(pack, project, case.as_of or case_file.model.as_of or dt.date(2025, 9, 1),
                                     params, WorkdayCalendar.default(), False)
        except govrules.GovrulesError:
            continue
        envs.append(evaluation.env)
    return envs


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return set(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
    return value


@pytest.mark.parametrize("pack_id", ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"])
def test_closures_agree_with_rule_engine(pack_id: str) -> None:
    pack = govrules.load_pack(pack_id)
    envs = _envs(pack_id)
    context = rule_engine.Context(default_timezone=SHANGHAI)
    checked = 0
    for compiled in pack.rules:
        if compiled.rule.for_each is not None:
            continue
        reference = rule_engine.Rule(compiled.rule.when, context=context)
        rebuilt = from_ir(compiled.condition.to_ir())
        for env in envs:
            fast = compiled.condition.fn(env)
            assert rebuilt.fn(env) == fast, compiled.id
            values = [env.get(name) for name in compiled.symbols]
            if any(v is None or v is NOT_YET for v in values):
                continue
            thing: dict[str, Any] = {name: _plain(env[name]) for name in compiled.symbols if "." not in name}
            thing["dates"] = {name[6:]: _plain(env[name]) for name in compiled.symbols if name.startswith("dates.")}
            thing["as_of"] = _plain(env["as_of"])
            thing["effective_date"] = _plain(env["effective_date"])
            if any(name in compiled.rule.when for name in ("add_years(", "add_months(", "year(", "date(")):
                continue  # govrules' own functions: rule-engine has no reference implementation
            expected = reference.evaluate(thing)
            assert fast == expected, f"{compiled.id} on {thing}"
            checked += 1
    assert checked > 0


def test_ir_constants_roundtrip() -> None:
    from govrules.compiler import _decode_const, _encode_const

    for value in (Decimal("0.10"), "x", True, dt.date(2025, 5, 8), dt.timedelta(days=30),
                  frozenset({"a", "b"})):
        assert _decode_const(_encode_const(value)) == value


def test_compiled_pack_cache_roundtrip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govrules import cache
    from govrules.loader import load_pack_text

    monkeypatch.setenv("GOVRULES_CACHE_DIR", str(tmp_path))
    raw = (ROOT / "policies" / "linfen-2021.yaml").read_bytes()
    compiled = load_pack_text(raw, file="linfen-2021.yaml")
    assert cache.load(raw, "linfen-2021.yaml") is None
    cache.store(raw, compiled)
    again = cache.load(raw, "linfen-2021.yaml")
    assert again is not None and again.digest == compiled.digest
    project = govrules.load_project(ROOT / "examples" / "shared-project.yaml")
    day = dt.date(2025, 10, 20)
    assert (govrules.evaluate(project, again, day).model_dump(mode="json")
            == govrules.evaluate(project, compiled, day).model_dump(mode="json"))
    assert cache.load(raw + b"\n# edited\n", "linfen-2021.yaml") is None
    (tmp_path / f"{cache.cache_key(raw)}.json").write_text("{not json", encoding="utf-8")
    assert cache.load(raw, "linfen-2021.yaml") is None  # a damaged cache file is ignored, not trusted
    monkeypatch.setenv("GOVRULES_NO_CACHE", "1")
    assert cache.cache_dir() is None
