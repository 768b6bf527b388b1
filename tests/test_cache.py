"""The compiled-pack cache: an intact entry is trusted (rebuilt without pydantic validation) and gives
the very pack a validated load gives; anything else is a miss, and the pack is compiled again."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import govrules
from govrules import cache
from govrules.compiler import CompiledPack, pack_digest
from govrules.errors import GovrulesError
from govrules.loader import _load_cached, bundled_pack_ids, load_pack_text, resolve_pack_path, validate_project
from govrules.models.base import construct_trusted
from govrules.models.pack import Deadline, Pack
from govrules.testing.cases import _merge, load_case_file

ROOT = Path(__file__).resolve().parents[1]


def _fields_set(model: BaseModel) -> list[Any]:
    """The fields set of ``model`` and of every model inside it, in order."""
    found: list[Any] = [type(model).__name__, sorted(model.model_fields_set)]
    for value in model.__dict__.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                found.append(_fields_set(item))
    return found


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVRULES_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GOVRULES_NO_CACHE", raising=False)
    return tmp_path


def _stored(pack_id: str) -> tuple[bytes, CompiledPack, Path]:
    path = resolve_pack_path(pack_id)
    raw = path.read_bytes()
    compiled = load_pack_text(raw, file=f"{pack_id}.yaml")
    cache.store(raw, compiled)
    entry = cache.cache_dir()
    assert entry is not None
    return raw, compiled, entry / f"{cache.cache_key(raw)}.json"


@pytest.mark.parametrize("pack_id", bundled_pack_ids())
def test_trusted_load_gives_the_validated_pack(cache_dir: Path, pack_id: str) -> None:
    raw, compiled, _ = _stored(pack_id)
    trusted = cache.load(raw, f"{pack_id}.yaml")
    assert trusted is not None
    validated = Pack.model_validate(compiled.pack.model_dump(mode="json"))
    for pack in (validated, compiled.pack):
        assert trusted.pack == pack
        assert repr(trusted.pack) == repr(pack)
        assert trusted.pack.model_dump() == pack.model_dump()
        assert trusted.pack.model_dump(mode="json") == pack.model_dump(mode="json")
    # as the cache's validated load had them (the keys of the dump; the pack read from YAML has those written)
    assert _fields_set(trusted.pack) == _fields_set(validated)
    assert pack_digest(trusted.pack) == trusted.digest == compiled.digest
    assert [r.id for r in trusted.rules] == [r.id for r in compiled.rules]
    assert [r.condition.to_ir() for r in trusted.rules] == [r.condition.to_ir() for r in compiled.rules]
    assert [d.to_dict() for d in trusted.diagnostics] == [d.to_dict() for d in compiled.diagnostics]


@pytest.mark.parametrize("pack_id", bundled_pack_ids())
def test_trusted_load_gives_the_same_verdicts_on_every_case(cache_dir: Path, pack_id: str) -> None:
    raw, compiled, _ = _stored(pack_id)
    trusted = cache.load(raw, f"{pack_id}.yaml")
    assert trusted is not None
    cases = ROOT / "src" / "govrules" / "policies" / f"{pack_id}.cases.yaml"
    case_file = load_case_file(cases)
    model = case_file.model
    checked = 0
    for case in model.cases:
        as_of = case.as_of or model.as_of or dt.date(2025, 9, 1)
        parameters = {**model.parameters, **(case.parameters or {})}
        verdicts = []
        for pack in (compiled, trusted):
            try:
                project = validate_project(_merge(model.base, case.project))
                verdicts.append(govrules.evaluate(project, pack, as_of, parameters=parameters)
                                .model_dump(mode="json"))
            except GovrulesError as exc:
                verdicts.append({"error": exc.code, "message": str(exc)})
        assert verdicts[0] == verdicts[1], case.name
        checked += 1
    for example in sorted((ROOT / "examples").rglob("*.yaml")):
        try:
            project = govrules.load_project(example)
        except GovrulesError:
            continue
        day = dt.date(2025, 10, 20)
        assert (govrules.evaluate(project, trusted, day).model_dump(mode="json")
                == govrules.evaluate(project, compiled, day).model_dump(mode="json"))
        checked += 1
    assert checked > 5


def test_a_tampered_entry_is_not_trusted(cache_dir: Path) -> None:
    raw, compiled, entry = _stored("chuxiong-2025")
    blob = entry.read_bytes()
    header, _, body = blob.partition(b"\n")
    assert header.startswith(b"govrules-cache/2 sha256:")
    assert cache.load(raw, "chuxiong-2025.yaml") is not None

    # an edit that keeps the JSON valid (and the pack valid): a changed threshold
    edited = body.replace(b'"value":"500000"', b'"value":"1"', 1)
    assert edited != body
    entry.write_bytes(header + b"\n" + edited)
    assert cache.load(raw, "chuxiong-2025.yaml") is None
    # every way of damaging it: truncated, no header, a flipped byte, another pack's entry
    for damaged in (blob[: len(blob) // 2], body, blob[:-2] + b"x}", b"", blob.replace(b"sha256:", b"sha256:0", 1)):
        entry.write_bytes(damaged)
        assert cache.load(raw, "chuxiong-2025.yaml") is None
    _, _, other_entry = _stored("linfen-2021")
    entry.write_bytes(other_entry.read_bytes())
    assert cache.load(raw, "chuxiong-2025.yaml") is None

    # a miss is rebuilt: loading the pack compiles it again and rewrites the entry
    _load_cached.cache_clear()
    try:
        reloaded = govrules.load_pack(resolve_pack_path("chuxiong-2025"))
        assert reloaded.digest == compiled.digest
        assert entry.read_bytes() != other_entry.read_bytes()
        again = cache.load(raw, "chuxiong-2025.yaml")
        assert again is not None and again.pack == compiled.pack
    finally:
        _load_cached.cache_clear()


def _with_digest(entry: Path, raw: bytes, data: Any) -> None:
    """Rewrite ``entry`` with ``data`` and a matching digest (as only someone imitating the engine would)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    entry.write_bytes(cache._header(cache.cache_key(raw), body) + b"\n" + body)


def test_an_entry_with_a_matching_digest_must_still_hold_what_the_engine_writes(cache_dir: Path) -> None:
    raw, _, entry = _stored("qujing-2020")
    data = json.loads(entry.read_bytes().partition(b"\n")[2])
    _with_digest(entry, raw, data)
    assert cache.load(raw, "qujing-2020.yaml") is not None
    bad: list[Any] = []
    for path, value in [(("pack", "dates", "issued"), 20200101), (("pack", "articles", 0, "number"), "1"),
                        (("pack", "rules", 0, "kind"), "python"), (("pack", "facts", 0, "type"), "object"),
                        (("pack", "parameters", 0, "value"), 1.5), (("pack", "rules", 0, "unless"), "x"),
                        (("pack", "format"), "govrules/pack@2"), (("pack", "rules", 0, "cite"), None),
                        (("rules", 0, 0), ["import", "os", []]), (("format",), 1)]:
        changed = json.loads(json.dumps(data))
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        bad.append(changed)
    extra = json.loads(json.dumps(data))
    extra["pack"]["rules"][0]["exec"] = "x"
    missing = json.loads(json.dumps(data))
    del missing["pack"]["rules"][0]["when"]
    for changed in [*bad, extra, missing, [], {"format": 2}]:
        _with_digest(entry, raw, changed)
        assert cache.load(raw, "qujing-2020.yaml") is None, changed


def test_construct_trusted_converts_each_type() -> None:
    deadline = construct_trusted(Deadline, {"after": "approval", "working_days": 20})
    assert deadline == Deadline.model_validate({"after": "approval", "working_days": 20})
    assert deadline.model_fields_set == {"after", "working_days"}
    with pytest.raises(TypeError):
        construct_trusted(Deadline, {"after": "approval", "working_days": True})
    with pytest.raises(KeyError):
        construct_trusted(Deadline, {"after": "approval", "weeks": 2})
    raw = resolve_pack_path("chuxiong-2025").read_bytes()
    dump = load_pack_text(raw, file="chuxiong-2025.yaml").pack.model_dump(mode="json")
    pack = construct_trusted(Pack, dump)
    assert isinstance(pack.dates.issued, dt.date)
    assert all(isinstance(p.value, Decimal | None) for p in pack.parameters)
    assert {type(r).__name__ for r in pack.rules} >= {"ScopeRule", "RouteRule", "ObligationRule"}
    with pytest.raises(KeyError):
        construct_trusted(Pack, {k: v for k, v in dump.items() if k != "articles"})


def test_a_verdict_from_the_cache_imports_no_compiler_and_builds_no_pack_validator(cache_dir: Path) -> None:
    """The cold start of ``govrules evaluate``: what a cache hit leaves out (see benchmarks/run.py)."""
    import subprocess
    import sys

    code = """if True:
        import io, contextlib, sys
        from govrules.cli import main
        from govrules.models.pack import Pack
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(sys.argv[1:]) == 0
        print(",".join(sorted({m.split(".")[0] for m in sys.modules} & {"rule_engine", "chinese_calendar",
                                                                         "difflib", "hypothesis", "jsonschema"})))
        print(Pack.__pydantic_complete__)
    """
    argv = ["evaluate", str(ROOT / "examples" / "chuxiong-data-platform.yaml"), "--pack", "chuxiong-2025",
            "--as-of", "2025-09-01", "--format", "json"]
    runs = [subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True,
                           timeout=120).stdout.split("\n") for _ in range(2)]
    assert runs[0][0] == "rule_engine"  # the first run compiles the pack (and fills the cache)
    assert runs[1][:2] == ["", "False"]  # the second, from the cache: no parser, no Pack validator


def test_construct_trusted_refuses_what_it_cannot_convert_and_keeps_refusing() -> None:
    from typing import Any as AnyType

    from govrules.models.base import StrictModel

    class Odd(StrictModel):
        name: str
        anything: AnyType = None

    for _ in range(2):  # no half-built converter is left behind by the first refusal
        with pytest.raises(TypeError):
            construct_trusted(Odd, {"name": "x"})


def test_main_with_arguments_leaves_the_collector_alone(capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    from govrules.cli import main

    frozen, enabled = gc.get_freeze_count(), gc.isenabled()
    assert main(["evaluate", str(ROOT / "examples" / "chuxiong-data-platform.yaml"), "--pack", "chuxiong-2025",
                 "--as-of", "2025-09-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["pack"] == "chuxiong-2025"
    assert (gc.get_freeze_count(), gc.isenabled()) == (frozen, enabled)
