"""The reference form of a verdict: every field its pack gives left out, and put back byte for byte.

For the verdict of every case of every bundled pack (and of the example packs: one that extends a
bundled pack, one whose text survives in part and defines a term), of each pack's register records, of
every reading of the packs that have them and of generated projects — with the trace detailed and
compact — the reference form expanded under the pack gives the original verdict's JSON exactly.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:  # the schema check runs where jsonschema is installed (it is in the `test` extra)
    import jsonschema
except ImportError:  # pragma: no cover
    jsonschema = None

import govrules
from conftest import BundledCase
from govrules.cli import main
from govrules.compile.compiler import CompiledPack
from govrules.compile.loading import load_pack
from govrules.engine.evaluator import evaluate
from govrules.models.verdict import Verdict
from govrules.output.batch import evaluate_records, iter_records, write_jsonl
from govrules.output.reference import (
    expand_lines,
    expand_verdict,
    reference_lines,
    reference_schema,
    verdict_reference,
    verdict_reference_json,
)
from govrules.output.verdict_json import verdict_json
from govrules.packs.projects import load_project, validate_project
from govrules.testing.cases import load_case_file
from govrules.testing.register import register_packs, register_records
from govrules.testing.strategies import evaluations

ROOT = Path(__file__).resolve().parents[1]
PACK_IDS = ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"]
AS_OF = dt.date(2025, 9, 1)
#: the bound on the compact reference form of the sparse Chuxiong register record (a quarter of the
#: 74,391 bytes its compact full form once took)
SIZE_BOUND = 18_500


#: what the pack gives for each entry of a part, left out of every verdict the engine builds: what the
#: reference form works out from the pack is what the engine built
_PACK_GIVES = {
    "grounds": {"kind", "title", "citation", "exception"},
    "obligations": {"action", "citation"},
    "consequences": {"effect", "citation"},
    "missing_facts": {"path", "zh", "en"},
    "assumptions": {"value", "because", "citation", "zh"},
    "readings": {"question", "text", "reason", "default", "citation", "alternatives"},
    "terms": {"zh", "en", "citation", "quote"},
    "trace": {"kind", "condition", "conclusion"},
}


def _round_trip(verdict: Verdict, pack: CompiledPack, where: str, *, as_engine_built: bool = True) -> str:
    """Check that the reference form of ``verdict`` expands to the verdict's JSON; return the reference text."""
    full = verdict_json(verdict)
    text = verdict_reference_json(verdict, pack)
    reference = json.loads(text)
    assert reference["form"] == "reference", where
    if as_engine_built:
        assert "articles" not in reference and "document" not in reference, where
        for part, given in _PACK_GIVES.items():
            for entry in reference.get(part, []):
                assert given.isdisjoint(entry), (where, part, entry)
    expanded = expand_verdict(text, pack)
    assert verdict_json(expanded) == full, where
    assert verdict_json(expand_verdict(reference, pack)) == full, where
    return text


def _sparse_chuxiong(trace: str) -> Verdict:
    project, parameters = register_records("chuxiong-2025")[0]
    return evaluate(validate_project(project), load_pack("chuxiong-2025"), AS_OF, parameters=parameters,
                    trace=trace)  # type: ignore[arg-type]


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_case_verdict_round_trips(pack_id: str, bundled_cases: Callable[[str], tuple[BundledCase, ...]]
                                        ) -> None:
    pack = load_pack(pack_id)
    checked = 0
    for case in bundled_cases(pack_id):
        if case.project is None:
            continue
        for trace in ("detailed", "compact"):
            try:
                verdict = evaluate(case.project, pack, case.as_of, parameters=case.parameters, trace=trace,
                                   historical=case.historical)
            except govrules.GovrulesError:
                assert case.expects_error, case.name
                continue
            _round_trip(verdict, pack, f"{pack_id}: {case.name} ({trace})")
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("pack_id", register_packs())
def test_register_records_round_trip(pack_id: str) -> None:
    pack = load_pack(pack_id)
    for project, parameters in register_records(pack_id):
        validated = validate_project(project)
        for trace in ("detailed", "compact"):
            verdict = evaluate(validated, pack, AS_OF, parameters=parameters, trace=trace)
            _round_trip(verdict, pack, f"{project['id']} ({trace})")


@pytest.mark.parametrize("pack_file", ["county/lufeng-2025-example.yaml", "partial/linfen-2021-excerpt.yaml"])
def test_example_pack_cases_round_trip(pack_file: str) -> None:
    """A pack that extends another (its citations of inherited articles name that pack) and one whose
    text survives in part, with a defined term (``terms``, ``text_status``, ``text_missing``)."""
    pack = load_pack(ROOT / "examples" / pack_file)
    case_file = load_case_file(ROOT / "examples" / pack_file.replace(".yaml", ".cases.yaml"))
    inherited = annotated = 0
    for index, _case in enumerate(case_file.model.cases):
        inputs = case_file.inputs(index)
        try:
            project = validate_project(inputs.project)
            verdicts = [evaluate(project, pack, inputs.as_of or AS_OF, parameters=inputs.parameters, trace=trace)
                        for trace in ("detailed", "compact")]
        except govrules.GovrulesError:
            continue
        for verdict in verdicts:
            text = _round_trip(verdict, pack, f"{pack_file}: {inputs.name}")
            if '"pack":"chuxiong-2025"' in verdict_json(verdict):
                inherited += 1
                cited = json.loads(text)["scope"]["citations"]
                for citation, ref in zip(verdict.scope.citations, cited, strict=True):
                    assert ("pack" in ref) == (citation.pack != verdict.pack), ref
            annotated += bool(verdict.terms) and verdict.text_status is not None
    assert (inherited if "county" in pack_file else annotated) > 0


def test_every_reading_round_trips() -> None:
    """A verdict under another reading than the default (the pack's digest is the same)."""
    for pack_id in PACK_IDS:
        pack = load_pack(pack_id)
        for choice in pack.reading_choices():
            for project, parameters in register_records(pack_id, count=5):
                verdict = evaluate(project, pack, AS_OF, parameters=parameters, readings=choice, trace="compact")
                _round_trip(verdict, pack, f"{pack_id} {choice}")


def test_examples_with_questions_round_trip() -> None:
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        project = load_project(path)
        for pack_id in PACK_IDS:
            pack = load_pack(pack_id)
            _round_trip(evaluate(project, pack, AS_OF, questions=True), pack, f"{path.name} under {pack_id}")


@pytest.mark.parametrize("pack_id", PACK_IDS)
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_projects_round_trip(pack_id: str, data: st.DataObject) -> None:
    pack = load_pack(pack_id)
    parameters, project = data.draw(evaluations(pack))
    for trace in ("compact", "detailed"):
        _round_trip(evaluate(project, pack, AS_OF, parameters=parameters, trace=trace), pack, trace)


def test_the_sparse_chuxiong_record_is_within_the_size_bound() -> None:
    compact = _sparse_chuxiong("compact")
    size = len(verdict_reference_json(compact).encode())
    assert size <= SIZE_BOUND, size
    assert len(verdict_json(compact).encode()) > 3 * size  # what the full form takes
    detailed = _sparse_chuxiong("detailed")
    # the values each rule saw are the verdict's own: kept
    assert len(verdict_reference_json(detailed).encode()) > size


def test_what_the_pack_gives_is_left_out_and_what_names_an_entry_is_kept() -> None:
    verdict = _sparse_chuxiong("compact")
    reference = verdict_reference(verdict)
    assert "document" not in reference and "title" not in reference and "articles" not in reference
    ground = reference["grounds"][0]
    assert ground == {"id": "ground.art15_1", "status": "unknown", "exception_id": "exc.art15_required_1"}
    assert reference["scope"]["citations"] == [{"article": 2}]
    fact = next(m for m in reference["missing_facts"] if m["name"] == "builds_own_machine_room")
    assert fact == {"name": "builds_own_machine_room", "needed_by": ["ground.art15_2"]}
    step = reference["trace"][0]
    assert step == {"rule": "exc.art11_emergency", "result": "false"}
    assert all("condition" not in s and "saw" not in s for s in reference["trace"])
    detailed = verdict_reference(_sparse_chuxiong("detailed"))
    assert all("saw" in s for s in detailed["trace"] if s["rule"] == "exc.art11_emergency")


def test_a_value_that_differs_from_the_pack_is_kept() -> None:
    """Nothing is lost when a verdict says otherwise than its pack: the field is kept, whole."""
    verdict = _sparse_chuxiong("compact")
    pack = load_pack("chuxiong-2025")
    ground = verdict.grounds[0]
    other_citation = ground.citation.model_copy(update={"item_text": "另一段文字", "label": "别处"})
    odd = verdict.model_copy(update={
        "grounds": [ground.model_copy(update={"title": "另一个标题", "citation": other_citation}),
                    *verdict.grounds[1:]],
        "articles": {"chuxiong-2025": {"2": "改过的条文"}}})
    text = _round_trip(odd, pack, "changed", as_engine_built=False)
    reference = json.loads(text)
    assert reference["grounds"][0]["title"] == "另一个标题"
    assert reference["grounds"][0]["citation"] == {"article": 15, "item": 1, "label": "别处",
                                                   "item_text": "另一段文字"}
    assert reference["articles"] == {"chuxiong-2025": {"2": "改过的条文"}}


def test_a_reference_of_another_pack_is_refused() -> None:
    text = verdict_reference_json(_sparse_chuxiong("compact"))
    with pytest.raises(govrules.GovrulesError) as refused:
        expand_verdict(text, load_pack("qujing-2020"))
    assert refused.value.code == "reference_pack_mismatch"
    assert "chuxiong-2025" in refused.value.message
    changed = {**json.loads(text), "pack_digest": "sha256:" + "0" * 64}
    with pytest.raises(govrules.GovrulesError) as refused:
        expand_verdict(changed)  # the bundled pack of its id, whose digest is another
    assert refused.value.code == "reference_pack_mismatch"
    with pytest.raises(govrules.GovrulesError) as refused:
        verdict_reference(_sparse_chuxiong("compact"), "qujing-2020")
    assert refused.value.code == "reference_pack_mismatch"


def test_a_verdict_of_a_pack_that_is_not_bundled_needs_its_pack() -> None:
    pack = load_pack(ROOT / "examples" / "county" / "lufeng-2025-example.yaml")
    verdict = evaluate({"id": "p", "name": "n", "budget": "60万元", "execution": "construction"}, pack,
                       dt.date(2025, 9, 15), trace="compact")
    with pytest.raises(govrules.GovrulesError) as refused:
        verdict_reference(verdict)
    assert refused.value.code == "pack_not_found" and "evaluated under" in refused.value.message
    _round_trip(verdict, pack, "lufeng")


def test_what_is_not_a_reference_is_refused() -> None:
    verdict = _sparse_chuxiong("compact")
    for bad, says in [(verdict_json(verdict), "form"), ("[1,", "JSON"),
                      ({**verdict_reference(verdict), "engine_version": "0.0.1"}, "0.0.1"),
                      ({**verdict_reference(verdict), "grounds": [{"id": "ground.art15_1", "status": "unknown",
                                                                   "colour": "red"}]}, "grounds.0: colour"),
                      ({**verdict_reference(verdict), "grounds": [{"id": "ground.nope", "status": "unknown"}]},
                       "grounds.0.kind"),
                      ({**verdict_reference(verdict), "route": {"decision": "approval", "rules": ["route.nope"]}},
                       "route.authority"),
                      ({**verdict_reference(verdict), "as_of": "someday"}, "as_of")]:
        with pytest.raises(govrules.GovrulesError) as refused:
            expand_verdict(bad)
        assert refused.value.code in ("reference_invalid", "reference_engine_mismatch"), bad
        assert says in refused.value.message, refused.value.message


def test_public_api() -> None:
    assert govrules.verdict_reference is verdict_reference
    assert govrules.verdict_reference_json is verdict_reference_json
    assert govrules.expand_verdict is expand_verdict
    assert {"verdict_reference", "verdict_reference_json", "expand_verdict"} <= set(govrules.__all__)


EXAMPLE = str(ROOT / "examples" / "chuxiong-data-platform.yaml")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_committed_reference_schema_is_current_and_references_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "schema", "reference")
    committed = json.loads((ROOT / "schemas" / "reference.schema.json").read_text("utf-8"))
    assert code == 0 and json.loads(out) == committed == reference_schema()
    if jsonschema is None:  # pragma: no cover
        return
    validator = jsonschema.validators.validator_for(committed)
    validator.check_schema(committed)
    check = validator(committed)
    for trace in ("compact", "detailed"):
        verdict = _sparse_chuxiong(trace)
        check.validate(verdict_reference(verdict))
        with pytest.raises(jsonschema.ValidationError):  # a full verdict is not a reference
            check.validate(verdict.model_dump(mode="json"))


def test_cli_evaluate_reference_and_expand_it_back(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    common = ["evaluate", EXAMPLE, "--pack", "chuxiong-2025", "--as-of", "2025-09-01", "--format", "json"]
    code, full, _ = _run(capsys, *common)
    assert code == 0
    code, reference, _ = _run(capsys, *common, "--form", "reference")
    assert code == 0 and json.loads(reference)["form"] == "reference" and len(reference) < len(full) / 2
    path = tmp_path / "reference.json"
    path.write_text(reference, "utf-8")
    code, expanded, _ = _run(capsys, "expand", str(path))
    assert code == 0 and expanded == full
    code, expanded, _ = _run(capsys, "expand", str(path), "--pack", "chuxiong-2025")
    assert code == 0 and expanded == full
    code, _, err = _run(capsys, "expand", str(path), "--pack", "qujing-2020")
    assert code == 2 and "reference_pack_mismatch" in err
    full_path = tmp_path / "full.json"
    full_path.write_text(full, "utf-8")
    code, _, err = _run(capsys, "expand", str(full_path))
    assert code == 2 and "reference_invalid" in err
    code, _, err = _run(capsys, *common[:-2], "--form", "reference")  # the text report has no forms
    assert code == 2 and "--format json" in err


def test_batch_lines_in_reference_form_expand_to_the_full_lines(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "records.jsonl"
    records = [json.dumps(project, ensure_ascii=False).encode() for project, _ in register_records("chuxiong-2025",
                                                                                                   count=6)]
    path.write_bytes(b"\n".join([*records, b'{"id": "broken json", ', b'{"id": "bad", "name": "\xb2\xe2"}'])
                     + b"\n")
    pack = load_pack("chuxiong-2025")
    for trace in (True, False):
        full, reference = io.StringIO(), io.StringIO()
        write_jsonl(evaluate_records(iter_records(str(path)), pack, AS_OF, trace=trace, json_ready=False), full)
        write_jsonl(reference_lines(evaluate_records(iter_records(str(path)), pack, AS_OF, trace=trace,
                                                     json_ready=False), pack), reference)
        assert len(reference.getvalue()) < len(full.getvalue()) / 2
        expanded = "".join(line + "\n" for line in expand_lines(reference.getvalue().splitlines(), pack))
        assert expanded == full.getvalue()
    # the command line: --form reference on a batch, and expand on its output
    common = ["evaluate", str(path), "--pack", "chuxiong-2025", "--as-of", "2025-09-01", "--trace", "compact"]
    code, full_lines, _ = _run(capsys, *common)
    code_ref, reference_lines_out, _ = _run(capsys, *common, "--form", "reference")
    assert code == code_ref == 0
    lines = [json.loads(line) for line in reference_lines_out.splitlines()]
    assert [line.get("ok") for line in lines[:-1]] == [True] * 6 + [False, False]
    assert all(line["verdict"]["form"] == "reference" for line in lines[:6])
    out = tmp_path / "reference.jsonl"
    out.write_text(reference_lines_out, "utf-8")
    code, expanded_out, _ = _run(capsys, "expand", str(out))
    assert code == 0 and expanded_out == full_lines
    broken = tmp_path / "broken.jsonl"
    broken.write_text(reference_lines_out.replace('"form":"reference"', '"form":"reference","colour":1', 1), "utf-8")
    code, _, err = _run(capsys, "expand", str(broken))
    assert code == 2 and f"{broken}:1:" in err and "colour" in err
