"""Verdicts written by pydantic's serializer are the contract's JSON, exactly.

The command line and batches write a verdict with ``model_dump_json`` (the Rust serializer) instead
of ``json.dumps(verdict.model_dump(mode="json"))``. The evaluator builds output models without
validation and the trace holds plain dataclasses, so this checks, for the verdict of every case of
every bundled pack (with and without the detailed trace), that both give the same JSON — the same
content and, as the command line prints it, the same text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from govrules.batch import evaluate_records, iter_records, jsonl_line, verdict_json, write_jsonl
from govrules.cli import main
from govrules.errors import GovrulesError
from govrules.evaluator import evaluate
from govrules.loader import load_pack, validate_project
from govrules.models.verdict import Verdict
from govrules.testing.cases import _merge, load_case_file

ROOT = Path(__file__).resolve().parents[1]
CASE_FILES = sorted((ROOT / "policies").glob("*.cases.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
AS_OF = dt.date(2025, 9, 1)


def _old_json(verdict: Verdict, indent: int | None = None) -> str:
    """How verdicts were written before: the dict of the contract, encoded by the json module."""
    separators = (",", ":") if indent is None else None
    return json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, indent=indent, separators=separators)


def _check_same_json(verdict: Verdict, where: str) -> None:
    dumped = verdict.model_dump(mode="json")
    assert json.loads(verdict.model_dump_json()) == dumped, where
    assert verdict_json(verdict) == _old_json(verdict), where
    assert verdict_json(verdict, indent=2) == _old_json(verdict, indent=2), where


def test_there_are_cases_to_check() -> None:
    assert len(CASE_FILES) >= 4


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_case_verdict_serialises_to_the_same_json(path: Path) -> None:
    case_file = load_case_file(path)
    model = case_file.model
    checked = 0
    for case in model.cases:
        try:
            pack = load_pack(case_file.pack_source())
            project = validate_project(_merge(model.base, case.project))
            for trace in (True, False):
                verdict = evaluate(project, pack, case.as_of or model.as_of or AS_OF,
                                   parameters={**model.parameters, **(case.parameters or {})}, trace=trace)
                _check_same_json(verdict, f"{path.name}: {case.name} (trace={trace})")
                checked += 1
        except GovrulesError:
            assert case.expect.error is not None, case.name
    assert checked > 0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_verdicts_serialise_to_the_same_json(path: Path) -> None:
    from govrules.loader import bundled_pack_ids, load_project

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
    from govrules.loader import load_project

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
