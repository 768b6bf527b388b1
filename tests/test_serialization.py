"""Verdicts written by the fast writers are the contract's JSON, exactly.

The command line and batches write a verdict with ``model_dump_json`` (the Rust serializer), or,
compact, with the hand-written writer of :mod:`govrules.output.batch` (which keeps the text of the parts
verdicts of a pack share), instead of ``json.dumps(verdict.model_dump(mode="json"))``. The evaluator
builds output models without validation and the trace holds plain dataclasses, so this checks, for
the verdict of every case of every bundled pack (with and without the detailed trace, on a cold and
a warm pack) and of many generated projects, that they give the same JSON — the same content and,
as the command line prints it, the same text.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import importlib.util
import io
import json
import random
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BundledCase
from govrules.cli import main
from govrules.compile.loading import load_pack
from govrules.engine.evaluator import evaluate
from govrules.errors import GovrulesError
from govrules.models.verdict import (
    ChangeOut,
    CitationOut,
    Consequence,
    Ground,
    MissingFact,
    Obligation,
    ReadOnlyDict,
    Route,
    Scope,
    TraceStep,
    Verdict,
)
from govrules.output import batch
from govrules.output import verdict_json as verdict_json_module
from govrules.output.batch import evaluate_records, iter_records, jsonl_line, write_jsonl
from govrules.output.verdict_json import kept_texts, verdict_json, verdict_parts, writer
from govrules.packs.projects import validate_project
from govrules.testing.strategies import evaluations

ROOT = Path(__file__).resolve().parents[1]
PACK_IDS = ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
AS_OF = dt.date(2025, 9, 1)


def _old_json(verdict: Verdict, indent: int | None = None) -> str:
    """How verdicts were written before: the dict of the contract, encoded by the json module."""
    separators = (",", ":") if indent is None else None
    return json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, indent=indent, separators=separators)


def _hand_written(verdict: Verdict) -> str:
    """The verdict's text by the writers derived from the models alone (no fallback to pydantic)."""
    out: list[str] = []
    assert verdict_parts(verdict, out), "the derived writer gave up"
    return "".join(out)


def _check_same_json(verdict: Verdict, where: str) -> None:
    dumped = verdict.model_dump(mode="json")
    assert json.loads(verdict.model_dump_json()) == dumped, where
    assert _hand_written(verdict) == _old_json(verdict), where
    assert verdict_json(verdict) == _old_json(verdict), where
    assert verdict_json(verdict, indent=2) == _old_json(verdict, indent=2), where


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_case_verdict_serialises_to_the_same_json(
        pack_id: str, bundled_cases: Callable[[str], tuple[BundledCase, ...]]) -> None:
    pack = load_pack(pack_id)
    checked = 0
    for case in bundled_cases(pack_id):
        if case.project is None:
            assert case.expects_error, case.name
            continue
        try:
            # twice: the second time on a warm pack, whose shared parts have their text kept
            for round_ in (1, 2):
                for trace in (True, False):
                    verdict = evaluate(case.project, pack, case.as_of, parameters=case.parameters, trace=trace)
                    _check_same_json(verdict, f"{pack_id}: {case.name} (trace={trace}, round {round_})")
                    checked += 1
        except GovrulesError:
            assert case.expects_error, case.name
    assert checked > 0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_verdicts_serialise_to_the_same_json(path: Path) -> None:
    from govrules.packs.bundled import bundled_pack_ids
    from govrules.packs.projects import load_project

    project = load_project(path)
    for pack_id in bundled_pack_ids():
        _check_same_json(evaluate(project, pack_id, AS_OF), f"{path.name} under {pack_id}")


def test_text_utf8_cannot_carry_is_written_as_json_dumps_writes_it() -> None:
    verdict = evaluate(validate_project({"id": "p", "name": "n"}), "chuxiong-2025", AS_OF)
    odd = verdict.model_copy(update={"warnings": ["undecodable \udcb2 byte"]})
    assert verdict_json(odd) == _old_json(odd)
    assert verdict_json(odd, indent=2) == _old_json(odd, indent=2)


def test_cli_json_output_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    example = ROOT / "examples" / "chuxiong-data-platform.yaml"
    code = main(["evaluate", str(example), "--pack", "chuxiong-2025", "--as-of", "2025-09-01", "--format", "json"])
    assert code == 0
    from govrules.packs.projects import load_project

    verdict = evaluate(load_project(example), "chuxiong-2025", AS_OF)
    assert capsys.readouterr().out == _old_json(verdict, indent=2) + "\n"


def _batch_file(tmp_path: Path) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join([
        json.dumps({"id": "good", "name": "甲", "budget": "48万元", "execution": "construction",
                    "dates": {"contract_signed": "2025-03-01"}, "facts": {"emergency": False}},
                   ensure_ascii=False).encode(),
        b'{"id": "broken json", ',
        b'{"id": "bad", "name": "n", "budget": "5\xe4\xb8\x87\xe4\xb8\x87"}',
        b'{"id": "not utf-8", "name": "\xb2\xe2\xca\xd4"}',
        b'{"id": "also good", "name": "n", "changes": [{"scale": "8%"}]}',
    ]) + b"\n")
    return path


@pytest.mark.parametrize("trace", [True, False])
def test_batch_lines_are_unchanged(tmp_path: Path, trace: bool) -> None:
    path = _batch_file(tmp_path)
    pack = load_pack("chuxiong-2025")
    outputs = []
    for json_ready in (True, False):
        out = io.StringIO()
        write_jsonl(evaluate_records(iter_records(str(path)), pack, AS_OF, trace=trace, json_ready=json_ready), out)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    lines = [json.loads(line) for line in outputs[1].splitlines()]
    assert [line.get("ok") for line in lines[:-1]] == [True, False, False, False, True]
    assert list(lines[0]) == ["record", "source", "ok", "project", "verdict"]


def test_jsonl_line_with_a_verdict_anywhere() -> None:
    verdict = evaluate(validate_project({"id": "p", "name": "名"}), "chuxiong-2025", AS_OF)
    dumped = verdict.model_dump(mode="json")
    for line in ({"verdict": verdict}, {"verdict": verdict, "after": "x"}, {"a": 1, "verdict": verdict}):
        expected: dict[str, Any] = {**line, "verdict": dumped}
        assert jsonl_line(line) == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------ the hand-written compact writer

PACKS = ("chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021")


def _compact_same(verdict: Verdict, where: str = "") -> None:
    assert _hand_written(verdict) == _old_json(verdict), where
    assert verdict_json(verdict) == _old_json(verdict), where


@pytest.mark.parametrize("pack_id", PACKS)
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_projects_serialise_to_the_same_json(pack_id: str, data: st.DataObject) -> None:
    pack = load_pack(pack_id)
    parameters, project = data.draw(evaluations(pack))
    for trace in (False, True, False):
        _compact_same(evaluate(project, pack, AS_OF, parameters=parameters, trace=trace), f"trace={trace}")


def _benchmark_module() -> Any:
    spec = importlib.util.spec_from_file_location("govrules_benchmarks_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_realistic_batches_on_a_warm_pack_serialise_to_the_same_json() -> None:
    bench = _benchmark_module()
    pack = load_pack("chuxiong-2025")
    projects = [validate_project(bench.make_project(random.Random(i), i)) for i in range(150)]
    for round_ in (1, 2):
        for trace in (False, True):
            for i, project in enumerate(projects):
                verdict = evaluate(project, pack, bench.AS_OF, parameters=bench.LIMIT, trace=trace)
                _compact_same(verdict, f"project {i}, trace={trace}, round {round_}")


def test_shared_parts_are_kept_and_per_verdict_parts_are_not() -> None:
    pack = load_pack("chuxiong-2025")
    project = validate_project({"id": "p", "name": "n", "budget": "48万元", "execution": "construction"})
    compact = [evaluate(project, pack, AS_OF, trace=False) for _ in range(2)]
    assert [id(s) for s in compact[0].trace] == [id(s) for s in compact[1].trace]  # the evaluator shares them
    for verdict in compact:
        _compact_same(verdict)
    kept = kept_texts()
    steps = kept["TraceStep"].entries
    assert all(steps[id(step)][0] is step for step in compact[0].trace)
    detailed = evaluate(project, pack, AS_OF, trace=True)
    _compact_same(detailed)
    assert not any(id(step) in steps for step in detailed.trace)  # alive: ids not reused
    assert set(kept) >= {"CitationOut", "Ground", "Obligation", "Consequence", "MissingFact", "TraceStep"}
    for texts in kept.values():
        assert not any(isinstance(obj, Scope | Route | ChangeOut) for obj, _ in texts.entries.values())


def test_parts_built_for_each_verdict_are_written_as_they_are_now() -> None:
    """Scopes, routes, changes, their lists and a detailed step's values are not frozen: never kept."""
    pack = load_pack("chuxiong-2025")
    project = validate_project({"id": "p", "name": "n", "budget": "48万元", "execution": "construction",
                                "changes": [{"scale": "8%"}]})
    verdict = evaluate(project, pack, AS_OF, trace=True)
    assert verdict.scope.citations and verdict.changes and verdict.grounds
    _compact_same(verdict)
    verdict.scope.reasons.append("又一条理由")
    verdict.route.citations.append(verdict.scope.citations[0])
    verdict.changes[0].reasons.append("变更")
    verdict.trace[0].saw["added"] = "值"
    verdict.warnings.append("警告")
    _compact_same(verdict)
    verdict.grounds.append(verdict.grounds[0])
    _compact_same(verdict)
    del verdict.grounds[0]
    _compact_same(verdict)


ODD = ('quote " backslash \\ slash / controls \x00\x01\x08\x0c\x1f\x7f\x80\x9f tab\t nl\n cr\r '
       'bmp 中文 ａ non-bmp 😀 \U0010ffff separators \u2028 \u2029 bom \ufeff')
LONE = "undecodable \udcb2 byte, high \ud800 alone"


def _citation(text: str, **values: Any) -> CitationOut:
    return CitationOut(document=f"文件{text}", title=text, article=1, label=f"第一条{text}", **values)


def _ground(text: str, citation: CitationOut) -> Ground:
    return Ground(id=f"g.{text}", kind="rejection", status="triggered", title=text, citation=citation)


def _odd_verdict(base: Verdict, text: str) -> Verdict:
    citation = _citation(text, paragraph=2, item=3, item_text=text, pack=text)
    return base.model_copy(update={
        "warnings": [text, ""],
        "scope": Scope(status="undetermined", citations=[citation], reasons=[text]),
        "route": Route(decision="approval", authority=text, citations=[citation, citation], reasons=[text], gap=True,
                       rules=[text, "r"]),
        "grounds": [_ground(text, citation), Ground(id="g2", kind="deferral", status="excepted", title=text,
                                                    citation=citation, exception=citation, exception_id=text)],
        "changes": [ChangeOut(index=0, decision="filing", authority=text, citations=[citation], reasons=[text],
                              rules=[text])],
        "articles": {"pack": {"1": text}, "p": {"2": text, "3": ""}},
        "obligations": [Obligation(id="o", action=text, due=dt.date(2025, 3, 1), status="pending",
                                   citation=citation, reason=text, item=0),
                        Obligation(id="o2", action=text, due=None, status="unknown", citation=citation)],
        "consequences": [Consequence(id="c", effect=text, citation=citation, status="possible", item=1)],
        "missing_facts": [MissingFact(name=text, path=text, zh=text, en=text, needed_by=(text, "r"))],
        "trace": [TraceStep(text, "ground", None, text, ReadOnlyDict({text: None, "b": True, "n": 3}), "true",
                            (text,), text),
                  TraceStep("r", "scope", 2, text, {text: text, "list": [1, text, None], "obj": {text: False}},
                            "unknown", (), text)],
    })


@pytest.mark.parametrize("text", [ODD, LONE, ""], ids=["odd", "lone-surrogate", "empty"])
def test_strings_are_escaped_as_json_dumps_escapes_them(text: str) -> None:
    base = evaluate(validate_project({"id": "p", "name": "n"}), "chuxiong-2025", AS_OF, trace=False)
    verdict = _odd_verdict(base, text)
    if text == LONE:
        # pydantic replaces a lone surrogate in a key of the values a step saw (or, nested, refuses
        # it), so ``model_dump`` differs from what it was given: keys are plain here, and below
        verdict = verdict.model_copy(update={"trace": [
            dataclasses.replace(step, saw=type(step.saw)({k if k != text else "key": v for k, v in step.saw.items()
                                                          if k != "obj"}))
            for step in verdict.trace]})
    for _ in range(2):  # the second time from kept texts
        _compact_same(verdict, text)
    if text != LONE:  # UTF-8 cannot carry a lone surrogate: pydantic refuses it
        assert verdict_json(verdict) == verdict.model_dump_json()
    assert verdict_json(verdict, indent=2) == _old_json(verdict, indent=2)


def test_a_verdict_round_trips_byte_identically() -> None:
    """Built by the evaluator, or validated from its dump: every model's fields in declared order, so
    the text is the same whichever way it was made and whichever writer wrote it."""
    pack = load_pack("chuxiong-2025")
    project = validate_project({"id": "p", "name": "n", "budget": "48万元", "execution": "construction",
                                "changes": [{"scale": "8%"}]})
    for trace in (False, True):
        built = evaluate(project, pack, AS_OF, trace=trace)
        validated = Verdict.model_validate_json(built.model_dump_json())
        assert list(built.route.__dict__) == list(Route.model_fields)
        texts = {built.model_dump_json(), validated.model_dump_json(), verdict_json(built), verdict_json(validated),
                 Verdict.model_validate_json(verdict_json(built)).model_dump_json()}
        assert len(texts) == 1
        assert verdict_json(built, indent=2) == verdict_json(validated, indent=2)


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic's about values of unexpected types
def test_what_the_writer_does_not_know_is_written_as_before() -> None:
    base = evaluate(validate_project({"id": "p", "name": "n"}), "chuxiong-2025", AS_OF, trace=False)

    class Text(str):
        pass

    step = base.trace[0]
    odd = [
        base.model_copy(update={"warnings": [Text("a str subclass")]}),
        base.model_copy(update={"trace": [dataclasses.replace(step, saw=ReadOnlyDict(x=Decimal("1.50")))]}),
        base.model_copy(update={"trace": [dataclasses.replace(step, saw={"x": 0.1, "y": float("inf")})]}),
        base.model_copy(update={"trace": [dataclasses.replace(step, saw={"x": {1, 2}, "d": dt.date(2025, 1, 2)})]}),
        base.model_copy(update={"trace": [dataclasses.replace(step, saw=ReadOnlyDict({LONE: 1}))]}),
        base.model_copy(update={"missing_facts": [MissingFact.model_construct(
            name="n", path="p", zh="z", en="e", needed_by=["a list"])]}),
    ]
    for verdict in odd:
        try:
            before = verdict.model_dump_json()
        except ValueError:  # UTF-8 cannot carry the lone surrogate
            before = _old_json(verdict)
        assert verdict_json(verdict) == before


def test_the_writer_is_derived_from_every_field() -> None:
    """Each output model is written field by field in declared order, each field by a writer derived
    from its annotation: a new field needs no edit to the writer."""
    writer()
    for cls in (Verdict, Scope, Route, ChangeOut, CitationOut, Ground, Obligation, Consequence, MissingFact, TraceStep):
        derived = verdict_json_module._writers.models[cls].write
        model_write = derived.kept.write if hasattr(derived, "kept") else derived
        names = [name for name, _ in model_write.fields]
        expected = list(cls.model_fields) if cls is not TraceStep else [f.name for f in dataclasses.fields(TraceStep)]
        assert names == expected, cls.__name__


def test_a_kept_text_is_never_served_for_another_object_at_the_same_address(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Objects are made, written and dropped, so that new ones take the addresses of old ones."""
    monkeypatch.setattr(verdict_json_module, "FRAGMENT_LIMIT", 3)  # texts dropped often, and their objects with them
    base = evaluate(validate_project({"id": "p", "name": "n"}), "chuxiong-2025", AS_OF, trace=False)
    base_text = _old_json(base)
    seen: set[int] = set()
    reused = 0
    for i in range(300):
        citation = _citation(f"条文{i}")
        ground = _ground(f"理由{i}", citation)
        step = TraceStep(f"rule.{i}", "ground", i, f"x == {i}", ReadOnlyDict(), "true", (), f"结论{i}")
        fact = MissingFact(name=f"f{i}", path=f"facts.f{i}", zh=f"事实{i}", en="fact", needed_by=(f"rule.{i}",))
        verdict = base.model_copy(update={"grounds": [ground], "trace": [*base.trace, step],
                                          "missing_facts": [fact]})
        _compact_same(verdict, f"object {i}")
        ids = {id(citation), id(ground), id(step), id(fact)}
        reused += len(ids & seen)
        seen |= ids
        del citation, ground, step, fact, verdict  # freed now (no cycles): their addresses are free
    assert reused > 0, "no address was taken again: the test proves nothing"
    assert _old_json(base) == base_text and _hand_written(base) == base_text
    kept = kept_texts()
    for kind in ("CitationOut", "Ground", "TraceStep", "MissingFact"):
        assert len(kept[kind].entries) <= 3  # bounded


class _Turns:
    """Two threads that take turns at every ``id()`` the writer calls: the closest interleaving there is."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.turn = 0
        self.done: set[int] = set()
        self.number: dict[int, int] = {}

    def id(self, obj: object) -> int:
        me = self.number.get(threading.get_ident())
        if me is not None:
            self.wait(me, hand_over=True)
        return builtins.id(obj)

    def wait(self, me: int, *, hand_over: bool) -> None:
        other = 1 - me
        with self.cond:
            if hand_over:
                self.turn = other
                self.cond.notify_all()
            self.cond.wait_for(lambda: self.turn == me or other in self.done)

    def finish(self, me: int) -> None:
        with self.cond:
            self.done.add(me)
            self.turn = 1 - me
            self.cond.notify_all()


def test_threads_writing_at_once_get_each_object_its_own_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads make, write and drop parts, taking turns at each ``id()`` the writer calls, while
    the kept texts are dropped often: a text must never be served for another object than its own
    (one thread dropping the texts between another's keeping an object and keeping its text left a
    text without its object, whose address a new object then took)."""
    turns = _Turns()
    monkeypatch.setattr(verdict_json_module, "FRAGMENT_LIMIT", 5)
    monkeypatch.setattr(verdict_json_module, "id", turns.id, raising=False)  # the writer's id(): a turn each call
    full = evaluate(validate_project({"id": "p", "name": "n"}), "chuxiong-2025", AS_OF, trace=False)
    base = full.model_copy(update={  # one citation to write: the fresh one
        "grounds": [], "obligations": [], "consequences": [], "missing_facts": [], "trace": [], "changes": [],
        "route": full.route.model_copy(update={"citations": []})})
    wrong: list[str] = []

    def work(me: int) -> None:
        turns.number[threading.get_ident()] = me
        turns.wait(me, hand_over=False)
        try:
            for i in range(200):
                # thread 1 keeps two texts a round, thread 0 one: their turns to drop the texts drift apart
                citations = [_citation(f"条文{me}.{i}.{k}") for k in range(me + 1)]
                verdict = base.model_copy(update={"scope": Scope(status="in_scope", citations=citations, reasons=[])})
                if verdict_json(verdict) != _old_json(verdict):
                    wrong.append(f"{me}.{i}")
                del citations, verdict  # freed: the next round's take their addresses
        except Exception as exc:  # reported by the test, not lost in the thread
            wrong.append(repr(exc))
        finally:
            turns.finish(me)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not wrong, f"texts of other objects in {len(wrong)} verdicts, first {wrong[0]}"


def test_a_field_of_an_unknown_type_is_refused_when_the_writer_is_built() -> None:
    from pydantic import BaseModel

    class Odd(BaseModel):
        when: complex

    with pytest.raises(TypeError, match=r"Odd\.when"):
        verdict_json_module._Writers().model(Odd)


def test_jsonl_line_heads_are_written_as_json_dumps_writes_them() -> None:
    verdict = evaluate(validate_project({"id": "p", "name": "名"}), "chuxiong-2025", AS_OF, trace=False)
    dumped = verdict.model_dump(mode="json")
    heads: list[dict[Any, Any]] = [
        {"record": 0, "source": ODD, "ok": True, "project": LONE},
        {"record": -12, "ok": False, "none": None, "big": 10**30},
        {"float": 1.5, "source": "x"},
        {1: "an int key", "source": "x"},
        {"nested": {"a": [1, "b"]}},
    ]
    for head in heads:
        line = {**head, "verdict": verdict}
        expected = json.dumps({**head, "verdict": dumped}, ensure_ascii=False, separators=(",", ":"))
        assert jsonl_line(line) == expected
        out = io.StringIO()
        write_jsonl(iter([{**head, "ok": True, "verdict": verdict}]), out)
        written = out.getvalue().split("\n")[0]
        written.encode()  # valid UTF-8: an undecodable input byte is written as the text \xNN
        assert written == batch._valid_text(json.dumps({**head, "ok": True, "verdict": dumped},
                                                       ensure_ascii=False, separators=(",", ":")))
