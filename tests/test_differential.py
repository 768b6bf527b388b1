"""The fast path agrees with straightforward evaluation.

govrules lowers rule-engine's parsed AST into three-valued closures. Wherever every value a rule
reads is known, the closure must give exactly what rule-engine's own evaluator gives for the same
condition text; and the serialised form of a lowered condition must rebuild the same closure.
Inputs: the environment of every case of every bundled pack's ``*.cases.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rule_engine

import govrules
from conftest import BundledCase
from govrules.compile.compiler import NOT_YET, from_ir
from govrules.compile.temporal import evaluated_text
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.codegen import runtime_of
from govrules.engine.evaluator import _Evaluation
from govrules.packs.projects import validate_project

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _envs(cases: tuple[BundledCase, ...]) -> list[dict[str, Any]]:
    pack = govrules.load_pack(cases[0].pack_id)
    envs = []
    for case in cases:
        if case.project is None:
            continue
        try:
            evaluation = _Evaluation(pack, case.project, case.as_of, case.parameters, WorkdayCalendar.default(), False)
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
def test_closures_agree_with_rule_engine(pack_id: str, bundled_cases: Callable[[str], tuple[BundledCase, ...]]) -> None:
    pack = govrules.load_pack(pack_id)
    envs = _envs(bundled_cases(pack_id))
    context = rule_engine.Context(default_timezone=SHANGHAI)
    checked = 0
    for compiled in pack.rules:
        if compiled.rule.for_each is not None:
            continue
        reference = rule_engine.Rule(evaluated_text(compiled), context=context)  # with its time guard
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
            for term in pack.pack.terms:  # a defined term the rule reads: rule-engine evaluates its definition
                if term.id in compiled.rule.when:
                    thing[term.id] = rule_engine.Rule(term.when, context=context).evaluate(thing)
            expected = reference.evaluate(thing)
            assert fast == expected, f"{compiled.id} on {thing}"
            checked += 1
    assert checked > 0


def test_ir_constants_roundtrip() -> None:
    from govrules.compile.compiler import _decode_const, _encode_const

    for value in (Decimal("0.10"), "x", True, dt.date(2025, 5, 8), dt.timedelta(days=30),
                  frozenset({"a", "b"})):
        assert _decode_const(_encode_const(value)) == value


def test_compiled_pack_cache_roundtrip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govrules.compile import cache
    from govrules.compile.loading import load_pack_text

    monkeypatch.setenv("GOVRULES_CACHE_DIR", str(tmp_path))
    raw = (ROOT / "src" / "govrules" / "policies" / "linfen-2021.yaml").read_bytes()
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


# ------------------------------------------------------------------ the generated fast path

PACK_IDS = ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"]


def _fresh(pack_id: str) -> govrules.CompiledPack:
    """The pack compiled anew: nothing generated or shared from an earlier verdict."""
    from govrules.compile.loading import load_pack_text

    raw = (ROOT / "src" / "govrules" / "policies" / f"{pack_id}.yaml").read_bytes()
    return load_pack_text(raw, file=f"{pack_id}.yaml")


def _verdict_json(project: Any, pack: govrules.CompiledPack, day: dt.date, params: dict[str, Any], *,
                  generated: bool, trace: bool, historical: bool = False) -> Any:
    from govrules.engine import evaluator

    saved = evaluator.USE_GENERATED
    evaluator.USE_GENERATED = generated
    try:
        return govrules.evaluate(project, pack, day, parameters=params, trace=trace,
                                 historical=historical).model_dump(mode="json")
    except govrules.GovrulesError as exc:
        return {"error": exc.to_dict()}
    finally:
        evaluator.USE_GENERATED = saved


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_generated_code_agrees_with_closures_on_every_case(
        pack_id: str, bundled_cases: Callable[[str], tuple[BundledCase, ...]]) -> None:
    """Every case of the pack: the generated function (on a pack warmed by all cases, so reused
    outputs, deadlines and trace steps are exercised) and the closures (reusing nothing from an
    earlier case) give the same verdict, with the compact and the detailed trace."""
    _agrees_on_every_case(bundled_cases(pack_id), govrules.load_pack(pack_id))


def _agrees_on_every_case(cases: tuple[BundledCase, ...], warm: govrules.CompiledPack) -> None:
    from govrules.engine.codegen import PackRuntime

    reference_pack = _fresh(cases[0].pack_id)
    compared = 0
    for _ in range(2):  # the second round meets every shared object built in the first
        for case in cases:
            if case.project is None:
                continue
            for trace in (False, True):
                fast = _verdict_json(case.project, warm, case.as_of, case.parameters, generated=True, trace=trace,
                                     historical=case.historical)
                reference_pack.engine_runtime = PackRuntime(reference_pack, generate_rules=False)  # nothing reused
                reference = _verdict_json(case.project, reference_pack, case.as_of, case.parameters, generated=False,
                                          trace=trace, historical=case.historical)
                assert fast == reference, (case.pack_id, case.name, trace)
                compared += 1
    assert compared > 0
    assert runtime_of(warm).rules is not None  # the generated function ran, not the fallback


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_generated_code_agrees_with_closures_on_generated_projects(pack_id: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from govrules.testing.strategies import evaluations

    warm = govrules.load_pack(pack_id)
    reference_pack = _fresh(pack_id)
    effective = warm.pack.dates.effective

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(evaluations(warm, unknown_rate=0.25), st.integers(-400, 900), st.booleans())
    def check(evaluation: tuple[dict[str, Any], Any], offset: int, historical: bool) -> None:
        params, project = evaluation
        day = effective + dt.timedelta(days=offset)
        fast = _verdict_json(project, warm, day, params, generated=True, trace=False, historical=historical)
        reference = _verdict_json(project, reference_pack, day, params, generated=False, trace=False,
                                  historical=historical)
        assert fast == reference

    check()


def test_generated_source_holds_no_pack_text() -> None:
    """Conditions reach the generated source only as fixed operators, quoted names and passed-in
    values: no condition text, title or article text is pasted in as code."""
    from govrules.engine.codegen import generate

    for pack_id in PACK_IDS:
        pack = govrules.load_pack(pack_id)
        source, values = generate(pack)
        compile(source, pack_id, "exec")
        for compiled in pack.rules:
            assert compiled.rule.when not in source or len(compiled.rule.when.split()) == 1, compiled.id
        assert all(name.isidentifier() for name in values)


def test_a_generated_function_that_raises_falls_back_to_the_closures(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _fresh("chuxiong-2025")
    project = govrules.load_project(ROOT / "examples" / "chuxiong-data-platform.yaml")
    day = dt.date(2025, 9, 1)
    expected = govrules.evaluate(project, pack, day).model_dump(mode="json")

    def broken(env: Any, items: Any, X: Any, B: Any, M: Any, T: Any, U: Any, step: Any) -> None:
        # half-written state in every accumulator it is handed, which the fallback must discard
        T.append(object())
        M.setdefault("budget", set()).add("route.art16")
        X[("exc.art11_emergency", None)] = True
        B.setdefault("route", []).append(object())
        U.append(object())
        raise ZeroDivisionError

    monkeypatch.setattr(runtime_of(pack), "function", lambda detailed=False: broken)
    assert govrules.evaluate(project, pack, day).model_dump(mode="json") == expected


@pytest.mark.parametrize("clauses", [3, 30, 37, 38, 39, 80])
def test_long_conditions_agree_inline_or_through_their_closure(clauses: int) -> None:
    """Conditions up to the inline depth are written out; deeper ones are called through their
    closures from the generated function. Both agree with the closures on every mix of values."""
    import itertools

    from conftest import MINIMAL_PACK
    from govrules.compile.loading import load_pack_text
    from govrules.engine.codegen import MAX_INLINE_DEPTH, _depth, generate

    terms = ["shares_data", "(not required_by_law)", "(budget >= threshold)", "(execution == 'service')"]
    chain = " or ".join(f"({terms[i % 4]} and {terms[(i + 1) % 4]})" for i in range(clauses))
    text = MINIMAL_PACK.replace("when: not shares_data\n", f'when: "{chain}"\n')
    pack = load_pack_text(text.encode("utf-8"), file="long.yaml")
    depth = _depth(pack.by_id["ground.no_sharing"].condition)
    source, _ = generate(pack)
    # each rule's code starts with `v = <its condition>`, in evaluation order
    conditions = [line for line in source.split("\n") if line.lstrip().startswith("v = ")]
    block = conditions[pack.ordered.index(pack.by_id["ground.no_sharing"])]
    assert block.strip().endswith("(env)") == (depth > MAX_INLINE_DEPTH), block[:80]
    warm = runtime_of(pack)
    for _ in range(warm.WARM_UP):
        warm.function()
    assert warm.function() is not None
    for shares, law, budget, execution in itertools.product((True, False, None), (True, False, None),
                                                            (100, 500_000, None), ("service", None)):
        project = {"id": "p", "name": "n", "budget": budget, "execution": execution,
                   "facts": {k: v for k, v in (("shares_data", shares), ("required_by_law", law)) if v is not None}}
        fast = _verdict_json(project, pack, dt.date(2025, 9, 1), {}, generated=True, trace=False)
        reference = _verdict_json(project, pack, dt.date(2025, 9, 1), {}, generated=False, trace=False)
        assert fast == reference


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_the_environment_holds_every_name_the_generated_function_reads_at_once(pack_id: str) -> None:
    """The generated function reads the project's symbols with one itemgetter call, falling back to
    one ``get`` per name when a name is absent: the evaluator's environment must hold them all."""
    import operator

    from govrules.engine.codegen import generate
    from govrules.engine.evaluator import _Evaluation

    pack = govrules.load_pack(pack_id)
    project = validate_project({"id": "p", "name": "n"})
    env = _Evaluation(pack, project, dt.date(2025, 9, 1), {}, WorkdayCalendar.default(), False).env
    _, values = generate(pack)
    getters = [v for v in values.values() if isinstance(v, operator.itemgetter)]
    assert len(getters) == 1
    assert len(getters[0](env)) > 1


def test_outcomes_over_the_project_are_the_packs_shared_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a warm pack the generated function appends pre-built outcomes for rules over the project
    with at most one exception (no environment held, the same objects from project to project), and
    builds the others (several exceptions: Art. 15's grounds) and those over items, each holding its
    item's environment: what lets a verdict skip ~20 constructions."""
    from govrules.engine import evaluator

    monkeypatch.setattr(evaluator, "USE_VERDICT_MEMO", False)  # the outcomes are looked at: none reused
    pack = govrules.load_pack("chuxiong-2025")
    example = govrules.load_project(ROOT / "examples" / "chuxiong-data-platform.yaml")
    projects = [example, example.model_copy(update={"facts": {}}),
                validate_project({"id": "p", "name": "n", "budget": 600000, "execution": "construction",
                                  "changes": [{"scale": "5%"}, {"scale": "12%"}]})]
    for project in projects[:2] * 2:  # warm: the generated function is built on the third verdict
        govrules.evaluate(project, pack, dt.date(2025, 9, 1), trace=False)
    assert runtime_of(pack).function(False) is not None
    seen: dict[tuple[Any, ...], Any] = {}
    items = built = 0
    for project in projects:
        evaluation = _Evaluation(pack, project, dt.date(2025, 9, 1), {}, WorkdayCalendar.default(), False)
        evaluation.run()
        for outcome in (o for results in evaluation._by_kind.values() for o in results):
            if outcome.item is None:
                assert outcome.env is None
                if len(outcome.compiled.rule.unless) > 1:
                    built += 1
                    continue
                key = (outcome.compiled.rule.id, outcome.condition, outcome.effective, outcome.defeated_by,
                       outcome.undecided_exceptions)
                assert seen.setdefault(key, outcome) is outcome, key
            else:
                items += 1
                item_envs = evaluation._items(outcome.compiled.rule.for_each)
                assert outcome.env is not None and outcome.env.items() >= item_envs[outcome.item].items()
    assert len(seen) > 10 and items > 0 and built > 0
