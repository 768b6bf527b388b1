"""Memo keys come from what each memoised part declares it reads (govrules.engine.memo).

Each part of a verdict a pack's verdicts reuse (scope, route, grounds, changes, consequences,
obligations, the presumptions' bookkeeping, readings) declares its inputs; its key is made from that
declaration, and its work is handed those inputs alone, so reading anything else raises. Here every
declared input of every part is changed, on the cases of every bundled pack, and what the memo gives
is compared with the part worked out afresh: a part whose key missed something it reads would be
served stale and fail, and each part's output is seen to change with its inputs.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

import govrules
from conftest import BundledCase
from govrules.compile.compiler import NOT_YET
from govrules.engine import evaluator, memo
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.combine import Outcome
from govrules.engine.evaluator import _Evaluation
from govrules.engine.memo import Reads, UndeclaredRead
from govrules.models.pack import ForEach


@pytest.fixture(autouse=True)
def _parts_worked_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests look into each part of an evaluation: never a whole verdict reused."""
    monkeypatch.setattr(evaluator, "USE_VERDICT_MEMO", False)


PACKS = ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"]
CASES_PER_PACK = 10


def _works(ev: _Evaluation) -> dict[str, Callable[[Any], Any]]:
    """Each memoised part's work, as the evaluation hands it to the memo."""
    return {
        "scope": lambda given: ev._work_out_scope(given.outcomes["scope"], given.outcomes["exemption"]),
        "route": lambda given: ev._work_out_decision(given.outcomes["route"], "silent"),
        "grounds": lambda given: tuple(ev._work_out_grounds(given.outcomes["ground"])),
        "changes": ev._work_out_changes,
        "consequences": lambda given: tuple(ev._work_out_consequences(given.outcomes["consequence"])),
        "obligations": ev._work_out_obligations,
        "assumptions": ev._work_out_assumptions,
        "readings": ev._work_out_readings,
        # the six above worked out from the outcomes, as one part keyed on what they read together
        "conclusions": ev._work_out_conclusions,
    }


_OF_TYPE: dict[str, list[Any]] = {
    "BOOLEAN": [True, False], "FLOAT": [Decimal(0), Decimal(10_000_000)],
    "DATETIME": [dt.date(2020, 1, 1), dt.date(2026, 6, 1)], "SET": [frozenset()],
}


def _other_values(value: Any, symbol: Any = None) -> list[Any]:
    """Values to change an input to: unknown, and other known ones of its type (the environment is
    typed: a true/false fact never holds a number, which would compare equal to it)."""
    if value is None:
        if symbol is None:
            return []
        if symbol.type == "STRING":
            return list(symbol.values or ())[:2]
        return _OF_TYPE.get(symbol.type, [])
    if value is True or value is False:
        return [not value, None]
    if isinstance(value, Decimal):
        return [value * 10 + 1, Decimal(0), None]
    if value is NOT_YET:
        return [dt.date(2020, 1, 1), None]
    if isinstance(value, dt.date):
        return [value + dt.timedelta(days=400), value - dt.timedelta(days=4000), None]
    if isinstance(value, frozenset):
        return [frozenset(), None]
    return [None]


def _flipped(outcome: Outcome) -> Outcome:
    effective = {True: None, None: False, False: True}[outcome.effective]
    condition = outcome.condition if effective is not True else True
    return Outcome(outcome.compiled, outcome.item, outcome.env, condition, effective, outcome.defeated_by,
                   outcome.undecided_exceptions)


def _changes(ev: _Evaluation, reads: Reads) -> Iterator[str]:
    """Change each input ``reads`` declares in turn (yielding its name), restoring it after."""
    symbols = ev._runtime.symbols
    for name in reads.env:
        before = ev.env.get(name)
        values = [before + 1, Decimal(0)] if name == "change_count" else _other_values(before, symbols.get(name))
        for value in values:
            ev.env[name] = value
            yield f"env.{name}"
        ev.env[name] = before
    for kind, names in reads.items:
        for item in ev._item_envs.get(kind, ()):
            for name in names:
                before = item.get(name)
                for value in _other_values(before, symbols.get(name)):
                    item[name] = value
                    yield f"items.{kind.value}.{name}"
                item[name] = before
    for name in reads.parameters:
        before = ev.params.get(name)
        for value in _other_values(before):
            ev.params[name] = value
            yield f"parameters.{name}"
        ev.params[name] = before
    for kind in reads.outcomes:
        saved = ev._by_kind.get(kind, [])
        for position in range(len(saved)):
            ev._by_kind[kind] = [*saved[:position], _flipped(saved[position]), *saved[position + 1:]]
            ev._signatures.clear()
            yield f"outcomes.{kind}"
        ev._by_kind[kind] = saved
        ev._signatures.clear()
    if reads.as_of:
        before_day = ev.as_of
        for day in (before_day + dt.timedelta(days=400), before_day - dt.timedelta(days=4000)):
            ev.as_of = day
            yield "as_of"
        ev.as_of = before_day
    if reads.presumed and ev.presumed:
        presumed = ev.presumed
        ev.presumed = presumed[:-1]
        yield "presumed"
        ev.presumed = presumed


def _fresh(ev: _Evaluation, reads: Reads, work: Callable[[Any], Any]) -> Any:
    """The part worked out afresh (its warnings and missing facts kept apart, as the memo keeps them)."""
    missing, warnings = ev.missing, ev.warnings
    ev.missing, ev.warnings = {}, []
    try:
        return work(reads.view(ev)), ev.warnings, ev.missing
    except Exception as exc:  # e.g. a changed year out of range, or a value of another type: the same either way
        return type(exc).__name__, [], {}
    finally:
        ev.missing, ev.warnings = missing, warnings


def _memoised(ev: _Evaluation, reads: Reads, work: Callable[[Any], Any]) -> Any:
    missing, warnings = ev.missing, ev.warnings
    ev.missing, ev.warnings = {}, []
    try:
        return ev._memo(reads, work), ev.warnings, ev.missing
    except Exception as exc:
        return type(exc).__name__, [], {}
    finally:
        ev.missing, ev.warnings = missing, warnings


@pytest.mark.parametrize("pack_id", PACKS)
def test_each_declared_input_changes_the_part_and_the_memo_follows(
        pack_id: str, bundled_cases: Callable[[str], tuple[BundledCase, ...]]) -> None:
    pack = govrules.load_pack(pack_id)
    changed: dict[Any, set[str]] = {}
    compared = 0
    cases = [case for case in bundled_cases(pack_id) if case.project is not None and not case.expects_error]
    presumed_cases = 0
    for case in cases:
        assert case.project is not None
        ev = _Evaluation(pack, case.project, case.as_of, case.parameters, WorkdayCalendar.default(), False)
        ev.run()
        works = _works(ev)
        for part in ev._runtime.declared:
            if isinstance(part, tuple) and part[0] == "exception unknowns":  # the unknowns of a set of exceptions
                works[part] = functools.partial(ev._work_out_exception_unknowns, part[1])
        presumed_cases += bool(ev.presumed)
        declared = {part: reads for part, reads in ev._runtime.declared.items() if part in works}
        assert set(declared) >= {"scope", "grounds", "consequences", "obligations", "conclusions"}
        for part, reads in declared.items():
            if part == "assumptions" and (not ev.presumed or presumed_cases > CASES_PER_PACK):
                continue  # the costliest to work out: on the first cases that presume something only
            work = works[part]
            baseline = _fresh(ev, reads, work)
            assert _memoised(ev, reads, work) == baseline
            for what in _changes(ev, reads):
                fresh = _fresh(ev, reads, work)
                assert _memoised(ev, reads, work) == fresh, f"{pack_id} {case.name}: {part} stale after {what}"
                compared += 1
                if fresh != baseline:
                    changed.setdefault(part, set()).add(what.split(".")[0])
    assert compared > 100
    for part in ("scope", "route", "grounds", "consequences"):
        assert "outcomes" in changed[part], (part, changed.get(part))
    assert {"outcomes", "as_of"} <= changed["obligations"]
    assert "env" in changed["changes"]  # the number of changes
    assert {"outcomes", "as_of"} <= changed["conclusions"]
    if pack_id == "chuxiong-2025":  # exceptions left undecided by unknown facts: which facts follows the facts
        assert any(isinstance(part, tuple) and "env" in what for part, what in changed.items())
    if pack.pack.readings:
        assert "env" in changed["readings"]
    if pack.presumptions:
        assert {"env", "presumed"} <= changed["assumptions"], changed.get("assumptions")


def test_a_key_holds_every_declared_input_and_nothing_else() -> None:
    class Inputs:
        def __init__(self) -> None:
            self.env: dict[str, Any] = {"budget": Decimal(1), "level": "county", "other": 1}
            self.item_envs = {ForEach.change: [{"change_scale": Decimal("0.2"), "other": 2}]}
            self.params: dict[str, Any] = {"limit": Decimal(5), "unused": Decimal(6)}
            self.as_of = dt.date(2025, 9, 1)
            self.calendar = "calendar"
            self.presumed = ["emergency"]
            self.outcomes: dict[str, list[Outcome]] = {}

        def env_of(self, outcome: Outcome) -> Any:
            return self.env

        def signature(self, kind: str) -> Any:
            return ("signature", kind)

    reads = Reads("part", env=("budget", "level"), items=((ForEach.change, ("change_scale",)),),
                  parameters=("limit",), outcomes=("route",), as_of=True, calendar=True, presumed=True)
    inputs = Inputs()
    key = reads.key(inputs)
    assert key == ("part", (Decimal(1), "county"), ((Decimal("0.2"),),), (Decimal(5),), ("signature", "route"),
                   dt.date(2025, 9, 1), "calendar", ("emergency",))
    inputs.env = {**inputs.env, "other": 99}
    inputs.params = {**inputs.params, "unused": Decimal(0)}
    assert reads.key(inputs) == key  # what it does not declare is not in its key
    for change in (lambda: inputs.env.update(budget=Decimal(2)), lambda: inputs.params.update(limit=None),
                   lambda: inputs.item_envs[ForEach.change][0].update(change_scale=None),
                   lambda: setattr(inputs, "as_of", dt.date(2026, 1, 1)), lambda: inputs.presumed.clear()):
        before = reads.key(inputs)
        change()
        assert reads.key(inputs) != before


def test_a_part_cannot_read_what_it_does_not_declare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "CHECK_READS", True)  # as for the whole suite (conftest.py)
    pack = govrules.load_pack("chuxiong-2025")
    project = govrules.validate_project({"id": "p", "name": "示例", "execution": "construction", "budget": 500000})
    ev = _Evaluation(pack, project, dt.date(2025, 9, 1), {}, WorkdayCalendar.default(), False)
    ev.run()
    given = Reads("narrow", env=("budget",), outcomes=("route",)).view(ev)
    assert given.env["budget"] == Decimal(500000)
    assert given.outcomes["route"] is ev._by_kind["route"]
    assert memo.CHECK_READS
    for read in (lambda: given.env["level"], lambda: given.env.get("level"), lambda: list(given.env),
                 lambda: given.as_of, lambda: given.calendar, lambda: given.presumed, lambda: given.params.get("x")):
        with pytest.raises(UndeclaredRead):
            read()


def test_defined_terms_are_reused_on_the_values_they_read(
        bundled_cases: Callable[[str], tuple[BundledCase, ...]]) -> None:
    """A pack's defined terms are worked out once per value of what they read (measure_text): each
    input changed, the memo gives what working them out afresh gives."""
    from govrules.engine.codegen import runtime_of
    from govrules.engine.evaluator import fact_environment
    from govrules.engine.measure_text import _work_out_terms, term_outputs

    pack = govrules.load_pack("linfen-2021")
    assert pack.pack.terms
    compared = changed = 0
    for case in bundled_cases("linfen-2021")[:CASES_PER_PACK]:
        if case.project is None or case.expects_error:
            continue
        env = fact_environment(case.project, pack, case.as_of, parameters=case.parameters)
        term_outputs(pack, env)
        runtime = runtime_of(pack)
        reads = runtime.declared["terms"]
        baseline = _work_out_terms(pack, env)
        for name in reads.env:
            before = env.get(name)
            for value in _other_values(before, runtime.symbols.get(name)):
                env[name] = value
                fresh = _work_out_terms(pack, env)
                assert term_outputs(pack, env) == fresh, (case.name, name, value)
                compared += 1
                changed += fresh != baseline
            env[name] = before
    assert compared > 10 and changed


def test_the_unknown_facts_of_the_generated_function_are_a_shared_table_never_written_to() -> None:
    """The generated function records unknown facts as ints and turns them into a table once per
    pattern (``PackRuntime.merge_missing``); verdicts of that pattern share the table's frozen sets.
    What a later part records must not reach the shared table or another verdict's, and a table
    merged into one already holding facts adds to it rather than replacing it."""
    from govrules.engine.codegen import runtime_of
    from govrules.engine.combine import note_missing
    from govrules.testing.register import register_records

    pack = govrules.load_pack("chuxiong-2025")
    day = pack.pack.dates.effective + dt.timedelta(days=120)
    raw, params = register_records("chuxiong-2025")[0]
    project = govrules.validate_project(raw)
    for _ in range(runtime_of(pack).WARM_UP):
        govrules.evaluate(project, pack, day, parameters=params, trace=False)
    runtime = runtime_of(pack)
    assert runtime.rules is not None and runtime.missing_pairs

    def rules_only() -> _Evaluation:
        ev = _Evaluation(pack, project, day, params, WorkdayCalendar.default(), False)
        ev._evaluate_rules()
        return ev

    first, second = rules_only(), rules_only()
    assert first.missing and first.missing == second.missing
    name = next(iter(first.missing))
    assert first.missing[name] is second.missing[name]  # one table for the pattern
    tables = {key: dict(table) for key, table in runtime.missing_tables.items()}
    note_missing(first.missing, name, ("a later part",))
    assert "a later part" in first.missing[name] and "a later part" not in second.missing[name]
    assert {key: dict(table) for key, table in runtime.missing_tables.items()} == tables
    # as the closures record them: the same table
    ev = _Evaluation(pack, project, day, params, WorkdayCalendar.default(), False)
    ev._runtime = type(runtime)(pack, generate_rules=False)
    ev._evaluate_rules()
    assert ev.missing == second.missing
    held: dict[str, frozenset[str]] = {name: frozenset({"held before"}), "elsewhere": frozenset({"r"})}
    key = next(key for key, table in runtime.missing_tables.items() if name in table)
    runtime.merge_missing(held, list(key))
    assert held[name] == {"held before"} | runtime.missing_tables[key][name]
    assert held["elsewhere"] == {"r"}



def test_conclusions_restated_while_the_scope_is_open_are_shared_and_add_no_entries_on_reuse() -> None:
    """While the scope is undetermined (or rests on a presumption) grounds, obligations and
    consequences are restated (``conditional_on_scope``): once per conclusion, shared by the verdicts
    that hold it, so evaluating the same record again makes no new memo entry (a copy per verdict
    made the article texts' key, which names what cites by identity, new on every verdict)."""
    from govrules.engine.codegen import runtime_of
    from govrules.engine.combine import SCOPE_UNDETERMINED_WARNING, WHILE_SCOPE_UNDETERMINED

    pack = govrules.load_pack("linfen-2021")
    # built before approval, sanctions drawn once covered; `level` left out: 第二条 is open
    project = govrules.validate_project({
        "id": "r28", "name": "级别未填、未批先建", "execution": "construction", "category": "software_development",
        "budget": "80万元", "funding": [{"source": "municipal", "amount": "80万元"}],
        "dates": {"application": "2025-07-01", "approval": False, "construction_start": "2025-07-05",
                  "completion": False},
        "facts": {"build_type": "new_construction", "rectification_refused": True, "builds_new_private_network": True,
                  "private_network_required_by_law": False, "municipal_department": True,
                  "listed_project_form": True, "classified": False}})
    day = dt.date(2025, 9, 1)
    for _ in range(runtime_of(pack).WARM_UP + 1):
        first = govrules.evaluate(project, pack, day, trace=False)
    runtime = runtime_of(pack)
    entries = len(runtime.reused), len(runtime.outputs)
    second = govrules.evaluate(project, pack, day, trace=False)
    assert (len(runtime.reused), len(runtime.outputs)) == entries
    assert SCOPE_UNDETERMINED_WARNING in first.warnings
    assert first.model_dump(mode="json") == second.model_dump(mode="json")
    parts = [*first.grounds, *first.obligations, *first.consequences]
    assert not any(p.status in WHILE_SCOPE_UNDETERMINED for p in parts)
    assert any(p.status in ("unknown", "possible") for p in parts)
    for x, y in zip(parts, [*second.grounds, *second.obligations, *second.consequences], strict=True):
        assert x is y
