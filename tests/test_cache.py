"""The compiled-pack cache: an intact entry is trusted (rebuilt without pydantic validation) and gives
the very pack a validated load gives; anything else is a miss, and the pack is compiled again."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import govrules
from conftest import MINIMAL_PACK, BundledCase
from govrules.compile import cache
from govrules.compile.compiler import CompiledPack, pack_digest
from govrules.compile.loading import _load_cached, load_pack_text
from govrules.engine.codegen import runtime_of
from govrules.errors import GovrulesError
from govrules.models.base import construct_trusted
from govrules.models.pack import Deadline, Pack
from govrules.packs.bundled import bundled_pack_ids, resolve_pack_path
from govrules.packs.projects import validate_project

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


def _source(pack_id: str) -> str:
    """The resolved path of a bundled pack: what the loader keys its cache entry on."""
    return str(resolve_pack_path(pack_id).resolve())


def _stored(pack_id: str) -> tuple[bytes, CompiledPack, Path]:
    path = resolve_pack_path(pack_id)
    raw = path.read_bytes()
    compiled = load_pack_text(raw, file=f"{pack_id}.yaml")
    cache.store(raw, compiled, source=_source(pack_id))
    entry = cache.cache_dir()
    assert entry is not None
    return raw, compiled, entry / f"{cache.cache_key(raw, _source(pack_id))}.json"


@pytest.mark.parametrize("pack_id", bundled_pack_ids())
def test_trusted_load_gives_the_validated_pack(cache_dir: Path, pack_id: str) -> None:
    raw, compiled, _ = _stored(pack_id)
    trusted = cache.load(raw, f"{pack_id}.yaml", source=_source(pack_id))
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
def test_trusted_load_gives_the_same_verdicts_on_every_case(
        cache_dir: Path, pack_id: str, bundled_cases: Callable[[str], tuple[BundledCase, ...]]) -> None:
    raw, compiled, _ = _stored(pack_id)
    trusted = cache.load(raw, f"{pack_id}.yaml", source=_source(pack_id))
    assert trusted is not None
    checked = 0
    for case in bundled_cases(pack_id):
        verdicts = []
        for pack in (compiled, trusted):
            try:
                if case.project is None:
                    raise govrules.ProjectError("invalid project")
                verdicts.append(govrules.evaluate(case.project, pack, case.as_of, parameters=case.parameters)
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
    assert header.startswith(b"govrules-cache/3 hmac-sha256:")
    assert cache.load(raw, "chuxiong-2025.yaml", source=_source("chuxiong-2025")) is not None

    # an edit that keeps the JSON valid (and the pack valid): a changed threshold
    edited = body.replace(b'"value":"500000"', b'"value":"1"', 1)
    assert edited != body
    entry.write_bytes(header + b"\n" + edited)
    assert cache.load(raw, "chuxiong-2025.yaml", source=_source("chuxiong-2025")) is None
    # every way of damaging it: truncated, no header, a flipped byte, another pack's entry
    flipped = blob.replace(b"hmac-sha256:", b"hmac-sha256:0", 1)
    for damaged in (blob[: len(blob) // 2], body, blob[:-2] + b"x}", b"", flipped):
        entry.write_bytes(damaged)
        assert cache.load(raw, "chuxiong-2025.yaml", source=_source("chuxiong-2025")) is None
    _, _, other_entry = _stored("linfen-2021")
    entry.write_bytes(other_entry.read_bytes())
    assert cache.load(raw, "chuxiong-2025.yaml", source=_source("chuxiong-2025")) is None

    # a miss is rebuilt: loading the pack compiles it again and rewrites the entry
    _load_cached.cache_clear()
    try:
        reloaded = govrules.load_pack(resolve_pack_path("chuxiong-2025"))
        assert reloaded.digest == compiled.digest
        assert entry.read_bytes() != other_entry.read_bytes()
        again = cache.load(raw, "chuxiong-2025.yaml", source=_source("chuxiong-2025"))
        assert again is not None and again.pack == compiled.pack
    finally:
        _load_cached.cache_clear()


def _with_digest(entry: Path, raw: bytes, data: Any, source: str) -> None:
    """Rewrite ``entry`` with ``data``, its pack digest made to match and signed with the user's key (as
    only someone who can read the key and imitates the engine would)."""
    if isinstance(data, dict) and "pack" in data:
        data = {**data, "digest": "sha256:" + hashlib.sha256(json.dumps(
            data["pack"], sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()}
        body = cache.encode(data)
    else:
        body = json.dumps(data).encode()
    secret = cache._secret(entry.parent, create=False)
    assert secret is not None
    entry.write_bytes(cache._header(secret, cache.cache_key(raw, source), body) + b"\n" + body)


def test_an_entry_with_a_matching_digest_must_still_hold_what_the_engine_writes(cache_dir: Path) -> None:
    raw, _, entry = _stored("qujing-2020")
    data = cache.decode(entry.read_bytes().partition(b"\n")[2])[0]
    _with_digest(entry, raw, data, _source("qujing-2020"))
    assert cache.load(raw, "qujing-2020.yaml", source=_source("qujing-2020")) is not None
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
        _with_digest(entry, raw, changed, _source("qujing-2020"))
        assert cache.load(raw, "qujing-2020.yaml", source=_source("qujing-2020")) is None, changed


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


# --------------------------------------------------------------------------------------------------
# Attacks on the cache: forged entries, other users' folders, stale parents, no home, a full disk

PROJECT = {"id": "p", "name": "某平台", "execution": "construction", "budget": 400_000, "owner": "某局",
           "facts": {"shares_data": False, "required_by_law": False}}
#: Python that leaves a mark if it ever runs, hidden in a rule id after a newline (indented as the
#: body of the generated function, where the id was once written as a comment)
EVIL_ID = "route.approval\n    import os; os.system('touch {mark}')\n    #"


def _verdicts(path: Path, times: int = 5) -> list[Any]:
    """``times`` verdicts of the pack at ``path`` on PROJECT (the generated function runs from the 3rd)."""
    _load_cached.cache_clear()  # as a new process would: the pack comes from the cache folder
    try:
        pack = govrules.load_pack(path)
        project = validate_project(PROJECT)
        return [govrules.evaluate(project, pack, dt.date(2025, 9, 1)).model_dump(mode="json")
                for _ in range(times)]
    finally:
        _load_cached.cache_clear()


def _decisions(verdict: dict[str, Any]) -> Any:
    """What a verdict decides (its route and grounds), whatever the rules are called."""
    return verdict["route"]["decision"], [g.get("ground") for g in verdict["grounds"]]


def _entry_of(path: Path) -> tuple[bytes, Path, dict[str, Any]]:
    raw = path.read_bytes()
    root = cache.cache_dir()
    assert root is not None
    entry = root / f"{cache.cache_key(raw, str(path.resolve()))}.json"
    return raw, entry, cache.decode(entry.read_bytes().partition(b"\n")[2])[0]


def _unkeyed(key: str, body: bytes) -> bytes:
    """The header an entry had when it was an unkeyed SHA-256 over public inputs (anyone could forge it)."""
    return b"govrules-cache/3 hmac-sha256:" + hashlib.sha256(key.encode() + b"\n" + body).hexdigest().encode()


def _forge(entry: Path, raw: bytes, source: Path, data: Any, *, signed: bool) -> None:
    body = cache.encode(data)
    key = cache.cache_key(raw, str(source.resolve()))
    secret = cache._secret(entry.parent, create=False)
    assert secret is not None
    entry.write_bytes((cache._header(secret, key, body) if signed else _unkeyed(key, body)) + b"\n" + body)


@pytest.fixture
def mini(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("packs")
    path = folder / "mini.yaml"
    path.write_text(MINIMAL_PACK, encoding="utf-8")
    return path


def test_a_forged_rule_id_runs_nothing_signed_or_not(mini: Path, tmp_path: Path) -> None:
    mark = tmp_path.parent / f"{tmp_path.name}-ran"
    expected = _verdicts(mini)  # compiles and stores the entry
    raw, entry, data = _entry_of(mini)
    evil = EVIL_ID.format(mark=mark)
    forged = copy.deepcopy(data)
    forged["pack"]["rules"][0]["id"] = evil
    for signed in (False, True):  # without the user's key; and with it (the id pattern is checked again)
        _forge(entry, raw, mini, forged, signed=signed)
        assert cache.load(raw, "mini.yaml", source=str(mini.resolve())) is None
        assert _verdicts(mini) == expected
        assert not mark.exists()


def test_generated_code_holds_no_pack_text_even_from_an_unchecked_entry(mini: Path, tmp_path: Path) -> None:
    """The pack as the old engine rebuilt a forged entry (signature and id pattern not checked): the id
    is only ever a string literal in the generated source, so the verdicts run nothing."""
    from govrules.compile.compiler import CompiledRule, SymbolTable
    from govrules.engine.codegen import PackRuntime, generate

    mark = tmp_path.parent / f"{tmp_path.name}-ran"
    expected = _verdicts(mini)
    _, _, data = _entry_of(mini)
    valid = cache._rebuild(data, "mini.yaml")
    rules = list(valid.pack.rules)
    rules[0] = rules[0].model_copy(update={"id": EVIL_ID.format(mark=mark)})  # as model_construct would
    pack = valid.pack.model_copy(update={"rules": rules})
    forged = [CompiledRule(rule, was.condition, was.index, was.met)
              for rule, was in zip(rules, valid.rules, strict=True)]
    compiled = CompiledPack(pack, SymbolTable(pack), forged, {r.id: r for r in forged}, valid.digest, "mini.yaml", [])
    assert compiled.pack.rules[0].id.startswith("route.approval\n    import os")
    for detailed in (False, True):
        source, _ = generate(compiled, PackRuntime(compiled, generate_rules=False), detailed=detailed)
        assert "import" not in "".join(line for line in source.splitlines() if "'" not in line)
        assert not [line for line in source.splitlines() if line.lstrip().startswith(("import", "#"))]
    original = load_pack_text(MINIMAL_PACK, file="mini.yaml")
    day = dt.date(2025, 9, 1)
    for budget in (100_000, 400_000, 500_000, 600_000, 700_000, 800_000):  # distinct: none is reused
        project = validate_project({**PROJECT, "budget": budget})
        for trace in (False, True):
            assert (_decisions(govrules.evaluate(project, compiled, day, trace=trace).model_dump(mode="json"))
                    == _decisions(govrules.evaluate(project, original, day, trace=trace).model_dump(mode="json")))
    fast = runtime_of(compiled)
    assert fast.rules is not None and fast.rules_detailed is not None  # both generated functions ran
    assert not mark.exists()
    assert _decisions(expected[0]) == _decisions(
        govrules.evaluate(validate_project(PROJECT), original, dt.date(2025, 9, 1)).model_dump(mode="json"))


def test_generated_code_is_refused_if_it_uses_anything_the_generator_does_not_write() -> None:
    from govrules.engine.codegen import _check_code

    good = ("def rules(env, items, exception_values, outcomes_by_kind, missing_facts, trace, undecided, step):\n"
            "    v = env.get('a')\n    outcomes_by_kind.setdefault('x', []).append(v)\n")
    _check_code(compile(good, "<t>", "exec"), {})
    for bad in ["import os\n" + good, good + "    import os\n", good + "    __import__('os').system('x')\n",
                good + "    v = env.__class__\n", good + "    v = lambda: 1\n", good + "x = 1\n",
                good + "    v = 1.5\n", good + "    v = open\n", good.replace("rules", "other")]:
        with pytest.raises(ValueError):
            _check_code(compile(bad, "<t>", "exec"), {})


def test_a_forged_threshold_changes_no_verdict(mini: Path) -> None:
    expected = _verdicts(mini)
    assert expected[0]["route"]["decision"] != "approval"  # 400,000 is under the threshold
    raw, entry, data = _entry_of(mini)
    forged = copy.deepcopy(data)
    forged["pack"]["parameters"][0]["value"] = "1"
    for signed in (False, True):  # the pack digest kept as it was: refused even with the user's key
        _forge(entry, raw, mini, forged, signed=signed)
        assert cache.load(raw, "mini.yaml", source=str(mini.resolve())) is None
        verdicts = _verdicts(mini)
        assert verdicts == expected
        assert verdicts[0]["pack_digest"] == expected[0]["pack_digest"]


def _no_entries(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.suffix in (".json", ".tmp")]


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o757])
def test_a_folder_others_can_write_is_refused(mini: Path, cache_dir: Path, mode: int) -> None:
    expected = _verdicts(mini)
    raw, entry, _ = _entry_of(mini)
    entry.unlink()
    cache_dir.chmod(mode)
    try:
        assert _verdicts(mini) == expected
        assert _no_entries(cache_dir)  # nothing written there
        cache_dir.chmod(0o700)
        assert _verdicts(mini) == expected
        assert not _no_entries(cache_dir)
        cache_dir.chmod(mode)  # an entry already there is not read either
        assert cache.load(raw, "mini.yaml", source=str(mini.resolve())) is None
    finally:
        cache_dir.chmod(0o700)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_a_folder_or_key_of_another_user_is_refused(mini: Path, cache_dir: Path) -> None:
    expected = _verdicts(mini)
    raw, _, _ = _entry_of(mini)
    source = str(mini.resolve())
    assert cache.load(raw, "mini.yaml", source=source) is not None
    key = cache_dir / cache.KEY_FILE
    try:
        os.chown(cache_dir, 65534, 65534)  # another user's folder (private to them), entries and key ours
        assert cache.load(raw, "mini.yaml", source=source) is None
        assert _verdicts(mini) == expected
        os.chown(cache_dir, 65534, 65534)
        cache_dir.chmod(0o777)  # and open to all, as under `umask 000`
        assert cache.load(raw, "mini.yaml", source=source) is None
        os.chown(cache_dir, 0, 0)
        cache_dir.chmod(0o700)
        assert cache.load(raw, "mini.yaml", source=source) is not None
        os.chown(key, 65534, 65534)  # a key planted by someone else
        assert cache.load(raw, "mini.yaml", source=source) is None
        assert _verdicts(mini) == expected
    finally:
        os.chown(cache_dir, 0, 0)
        cache_dir.chmod(0o700)
        os.chown(key, 0, 0)


def test_a_key_others_can_read_or_a_link_is_refused(mini: Path, cache_dir: Path, tmp_path_factory: Any) -> None:
    expected = _verdicts(mini)
    raw, _, _ = _entry_of(mini)
    source = str(mini.resolve())
    key = cache_dir / cache.KEY_FILE
    key.chmod(0o644)
    assert cache.load(raw, "mini.yaml", source=source) is None
    assert _verdicts(mini) == expected
    key.chmod(0o600)
    assert cache.load(raw, "mini.yaml", source=source) is not None
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "key"
    elsewhere.write_bytes(key.read_bytes())
    elsewhere.chmod(0o600)
    key.unlink()
    key.symlink_to(elsewhere)
    assert cache.load(raw, "mini.yaml", source=source) is None
    key.unlink()
    key.write_bytes(b"short")
    key.chmod(0o600)
    assert cache.load(raw, "mini.yaml", source=source) is None


def test_the_folder_and_key_are_created_private_whatever_the_umask(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "deep" / "cache"
    monkeypatch.setenv("GOVRULES_CACHE_DIR", str(folder))
    monkeypatch.delenv("GOVRULES_NO_CACHE", raising=False)
    raw = MINIMAL_PACK.encode("utf-8")
    old = os.umask(0)
    try:
        cache.store(raw, load_pack_text(raw, file="mini.yaml"))
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / cache.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert cache.load(raw, "mini.yaml") is not None
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".key*"))


CHILD = """\
format: govrules/pack@1
id: mini-child
{extends}
title: 示例细则
document: 示政办〔2025〕2号
issuer: 示例县人民政府办公室
jurisdiction: {{name: 示例县, level: county, parent: 示例市}}
dates: {{issued: 2025-03-01, effective: 2025-03-01, effective_basis: issuance}}
articles:
  - number: 1
    text: 本细则自印发之日起施行。
    informational: 施行日期
"""


def _children() -> dict[str, str]:
    json_child = {"format": "govrules/pack@1", "id": "mini-child", "extends": "parent/mini.yaml",
                  "title": "示例细则", "document": "示政办〔2025〕2号", "issuer": "示例县人民政府办公室",
                  "jurisdiction": {"name": "示例县", "level": "county", "parent": "示例市"},
                  "dates": {"issued": "2025-03-01", "effective": "2025-03-01", "effective_basis": "issuance"},
                  "articles": [{"number": 1, "text": "本细则自印发之日起施行。", "informational": "施行日期"}]}
    return {
        "plain": CHILD.format(extends="extends: parent/mini.yaml"),
        "quoted key": CHILD.format(extends='"extends": parent/mini.yaml'),
        "space before colon": CHILD.format(extends="extends : parent/mini.yaml"),
        "json": json.dumps(json_child, ensure_ascii=False),
        "bom": "\ufeff" + CHILD.format(extends="extends: parent/mini.yaml").replace(
            "format: govrules/pack@1\nid: mini-child\nextends: parent/mini.yaml\n",
            "extends: parent/mini.yaml\nformat: govrules/pack@1\nid: mini-child\n"),
    }


@pytest.mark.parametrize("how", list(_children()))
def test_a_changed_parent_is_never_served_from_the_cache(cache_dir: Path, tmp_path_factory: Any, how: str) -> None:
    from govrules.packs import extends as loader

    folder = tmp_path_factory.mktemp("family")
    (folder / "parent").mkdir()
    parent = folder / "parent" / "mini.yaml"
    parent.write_text(MINIMAL_PACK, encoding="utf-8")
    child = folder / "child.yaml"
    child.write_text(_children()[how], encoding="utf-8")
    first = _verdicts(child, 1)[0]
    assert first["route"]["decision"] != "approval"  # 400,000 is under the parent's 500,000
    _, _, data = _entry_of(child)
    assert data["parents"] == [[str(parent.resolve()), hashlib.sha256(parent.read_bytes()).hexdigest()]]
    loader.EXTENDED_FILES.clear()  # a new process knows nothing of the family
    assert _verdicts(child, 1) == [first]  # served from the cache while the parent is unchanged
    parent.write_text(MINIMAL_PACK.replace("value: 500000", "value: 300000"), encoding="utf-8")
    loader.EXTENDED_FILES.clear()
    second = _verdicts(child, 1)[0]
    assert second["route"]["decision"] == "approval"
    assert second["pack_digest"] != first["pack_digest"]
    parent.unlink()  # a parent gone: compiled again, which says so
    loader.EXTENDED_FILES.clear()
    with pytest.raises(GovrulesError):
        _verdicts(child, 1)


def test_the_key_covers_the_versions_of_the_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = MINIMAL_PACK.encode("utf-8")
    monkeypatch.setattr(cache, "_FINGERPRINT", None)
    before = cache.cache_key(raw)
    for module in ("rule_engine", "ruamel.yaml"):
        assert cache._version(module) not in ("absent", "unknown")
        real = cache._version
        monkeypatch.setattr(cache, "_version", lambda name, real=real, module=module: "0" if name == module
                            else real(name))
        monkeypatch.setattr(cache, "_FINGERPRINT", None)
        assert cache.cache_key(raw) != before
        monkeypatch.setattr(cache, "_version", real)
    import pydantic

    monkeypatch.setattr(pydantic, "VERSION", "0")
    monkeypatch.setattr(cache, "_FINGERPRINT", None)
    assert cache.cache_key(raw) != before
    monkeypatch.setattr(cache, "_FINGERPRINT", None)
    assert cache.cache_key(raw, "/a/pack.yaml") != cache.cache_key(raw, "/b/pack.yaml")


def test_no_home_directory_uses_a_private_temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A uid with no passwd entry and HOME unset (a container's): every command still works."""
    import pwd
    import tempfile

    from govrules.cli import main

    for name in ("HOME", "XDG_CACHE_HOME", "GOVRULES_CACHE_DIR", "GOVRULES_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)

    def no_entry(uid: int) -> Any:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError):
        Path.home()  # what the cache asked for before
    folder = tmp_path / f"govrules-cache-{os.geteuid()}"
    assert cache.cache_dir() == folder
    monkeypatch.setenv("HOME", "/")  # what container runtimes set for a uid without a passwd entry
    assert cache.cache_dir() == folder
    monkeypatch.delenv("HOME")
    argv = ["evaluate", str(ROOT / "examples" / "chuxiong-data-platform.yaml"), "--pack", "chuxiong-2025",
            "--as-of", "2025-09-01", "--format", "json"]
    _load_cached.cache_clear()
    try:
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["pack"] == "chuxiong-2025"
        assert folder.stat().st_mode & 0o777 == 0o700 and list(folder.glob("*.json"))
        if os.geteuid() == 0:  # a folder of that name made by someone else is not used
            for entry in folder.iterdir():
                entry.unlink()
            os.chown(folder, 65534, 65534)
            _load_cached.cache_clear()
            assert main(argv) == 0
            capsys.readouterr()
            assert not list(folder.iterdir())
    finally:
        _load_cached.cache_clear()


def test_a_failed_write_leaves_no_partial_file(cache_dir: Path) -> None:
    """A disk that fills during the write (a file size limit here): no ``*.tmp`` is left behind."""
    import subprocess
    import sys

    code = """if True:
        import resource, signal, sys
        from govrules.compile import cache
        from govrules.compile.loading import load_pack_text
        raw = open(sys.argv[1], "rb").read()
        compiled = load_pack_text(raw, file="pack.yaml")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the key fits, the entry does not
        cache.store(raw, compiled)
        print(cache.load(raw, "pack.yaml") is None)
    """
    pack = resolve_pack_path("chuxiong-2025")
    result = subprocess.run([sys.executable, "-c", code, str(pack)], capture_output=True, text=True, timeout=120,
                            check=True)
    assert result.stdout.strip() == "True"
    assert (cache_dir / cache.KEY_FILE).exists()
    assert sorted(p.name for p in cache_dir.iterdir()) == [cache.KEY_FILE]


def test_an_interrupted_write_leaves_no_partial_file(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = MINIMAL_PACK.encode("utf-8")
    compiled = load_pack_text(raw, file="mini.yaml")

    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.store(raw, compiled)
    assert sorted(p.name for p in cache_dir.iterdir()) == [cache.KEY_FILE]
    monkeypatch.setattr(cache.os, "replace", lambda *args: (_ for _ in ()).throw(OSError(28, "No space left")))
    cache.store(raw, compiled)
    assert sorted(p.name for p in cache_dir.iterdir()) == [cache.KEY_FILE]


def test_the_suite_keeps_its_cache_out_of_home() -> None:
    import tempfile

    folder = os.environ.get("GOVRULES_CACHE_DIR")
    assert folder and Path(folder).resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())


def test_generated_source_past_the_cap_falls_back_to_the_closures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Source grows with a pack (a 1.8 MB pack once gave 37 MB of it): past the cap it is not written
    on, nothing is compiled, and the closures give the same verdicts."""
    from govrules.engine import codegen, evaluator

    pack_path = resolve_pack_path("chuxiong-2025")
    compiled = load_pack_text(pack_path.read_bytes(), file="chuxiong-2025.yaml")
    sizes = [len(codegen.generate(compiled, detailed=detailed)[0]) for detailed in (False, True)]
    assert max(sizes) < codegen.MAX_SOURCE_CHARS
    monkeypatch.setattr(codegen, "MAX_SOURCE_CHARS", min(sizes) // 2)
    with pytest.raises(codegen.SourceTooLarge):
        codegen.generate(compiled)
    written: list[int] = []
    real_emit = codegen._Writer.emit

    def emit(self: Any, line: str) -> None:
        real_emit(self, line)
        written.append(self.chars)

    monkeypatch.setattr(codegen._Writer, "emit", emit)
    with pytest.raises(codegen.SourceTooLarge):
        codegen.generate(compiled)
    assert max(written) <= codegen.MAX_SOURCE_CHARS  # it stops as it reaches the cap
    projects = [govrules.load_project(p) for p in sorted((ROOT / "examples").glob("chuxiong*.yaml"))]
    assert projects
    day = dt.date(2025, 10, 20)
    for trace in (False, True):
        got = [govrules.evaluate(p, compiled, day, trace=trace).model_dump(mode="json") for p in projects * 3]
        fast = runtime_of(compiled)
        assert (fast.rules_detailed if trace else fast.rules) is None  # refused: the closures evaluated
        monkeypatch.setattr(evaluator, "USE_GENERATED", False)
        reference = load_pack_text(pack_path.read_bytes(), file="chuxiong-2025.yaml")
        assert got == [govrules.evaluate(p, reference, day, trace=trace).model_dump(mode="json")
                       for p in projects * 3]
        monkeypatch.setattr(evaluator, "USE_GENERATED", True)
