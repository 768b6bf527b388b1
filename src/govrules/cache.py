"""A cache of compiled packs, so that evaluating does not need the condition parser.

Compiling a pack means parsing its YAML and every condition with rule-engine, whose import alone
builds parser tables for ~0.6 s; and validating the pack builds pydantic's validator for the pack
models, which costs more than the rest of a verdict. The result of compiling — the validated pack and
each condition lowered to a small, whitelisted IR (see :func:`govrules.compiler.from_ir`) — is stored
as JSON, keyed by the SHA-256 of the pack file's bytes and of the engine (the govrules version and the
source of the modules that compile packs).

A cache file is data, never code: the pack is rebuilt only as the pack models' own types and each
condition only from known operations. It is written by this engine from a pack it has just validated,
so it is trusted as such — rebuilt without running pydantic's validation again (see
:func:`govrules.models.base.construct_trusted`) — but only once it is shown to be that file: its first
line is a SHA-256 over the cache key and the JSON that follows, checked before anything is read. A
file that fails the check (truncated, corrupted, edited, or copied from another pack's entry), or
whose content is not what this engine writes, is a miss: the pack is compiled from its source again
and the entry rewritten. The digest guards against corruption, not against someone who can write the
cache directory (as they could edit the pack files): such a file still cannot run code.

Location: ``$GOVRULES_CACHE_DIR``, else ``$XDG_CACHE_HOME/govrules``, else ``~/.cache/govrules``.
``GOVRULES_NO_CACHE=1`` turns it off. Writing is best-effort: a read-only home just means no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from govrules.compiler import CompiledPack, CompiledRule, SymbolTable, from_ir
from govrules.diagnostics import Diagnostic, SourceLocation

FORMAT = 2
#: The first line of a cache file: this prefix, then the hex SHA-256 of the key and the JSON body.
_MAGIC = b"govrules-cache/2 sha256:"


def cache_dir() -> Path | None:
    """Where compiled packs are kept, or None when caching is off."""
    if os.environ.get("GOVRULES_NO_CACHE"):
        return None
    root = os.environ.get("GOVRULES_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "govrules"


def cache_key(raw: bytes) -> str:
    """The key of a pack file's bytes under this govrules version and compiler source."""
    digest = hashlib.sha256()
    digest.update(_engine_fingerprint())
    digest.update(raw)
    return digest.hexdigest()


_FINGERPRINT: bytes | None = None


def _engine_fingerprint() -> bytes:
    # The version alone is not enough while developing: any change to how packs compile must miss.
    global _FINGERPRINT
    if _FINGERPRINT is None:
        from govrules import __version__

        digest = hashlib.sha256(f"govrules-cache/{FORMAT}/{__version__}".encode())
        here = Path(__file__).resolve().parent
        for name in ("compiler.py", "cache.py", "loader.py", "yaml_io.py", "models/base.py", "models/pack.py",
                     "models/project.py"):
            try:
                digest.update((here / name).read_bytes())
            except OSError:
                digest.update(name.encode())
        _FINGERPRINT = digest.digest()
    return _FINGERPRINT


def load(raw: bytes, file: str) -> CompiledPack | None:
    """The compiled pack for these bytes, if cached, intact and readable; otherwise None."""
    root = cache_dir()
    if root is None:
        return None
    key = cache_key(raw)
    try:
        blob = (root / f"{key}.json").read_bytes()
    except OSError:
        return None
    header, newline, body = blob.partition(b"\n")
    if not newline or header != _header(key, body):
        return None  # not written whole by this engine for this key: compile again
    try:
        return _rebuild(json.loads(body), file)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _header(key: str, body: bytes) -> bytes:
    digest = hashlib.sha256(key.encode("ascii"))
    digest.update(b"\n")
    digest.update(body)
    return _MAGIC + digest.hexdigest().encode("ascii")


def store(raw: bytes, compiled: CompiledPack) -> None:
    """Keep ``compiled`` for later loads of the same bytes (silently skipped when not writable)."""
    root = cache_dir()
    if root is None:
        return
    data = {
        "format": FORMAT,
        "pack": compiled.pack.model_dump(mode="json"),
        "digest": compiled.digest,
        "rules": [[r.condition.to_ir(), r.met.to_ir() if r.met is not None else None] for r in compiled.all_rules],
        "diagnostics": [d.to_dict() for d in compiled.diagnostics],
    }
    key = cache_key(raw)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(_header(key, body) + b"\n" + body)
        os.replace(tmp, root / f"{key}.json")
    except OSError:
        return


def _rebuild(data: dict[str, Any], file: str) -> CompiledPack:
    from govrules.models.base import construct_trusted
    from govrules.models.pack import Pack

    if data.get("format") != FORMAT:
        raise ValueError("cache format")
    pack = construct_trusted(Pack, data["pack"])  # written by this engine from the validated pack
    if len(pack.rules) != len(data["rules"]):
        raise ValueError("cache rules")
    rules = []
    for index, (rule, (condition, met)) in enumerate(zip(pack.rules, data["rules"], strict=True)):
        rules.append(CompiledRule(rule, from_ir(condition), index, from_ir(met) if met is not None else None))
    diagnostics = [
        Diagnostic(d["code"], d["message"],
                   SourceLocation(file, d["line"], d["column"]) if d.get("line") else None,
                   hint=d.get("hint"), severity=d["severity"], rule=d.get("rule"))
        for d in data["diagnostics"]
    ]
    return CompiledPack(pack, SymbolTable(pack), rules, {r.id: r for r in rules}, data["digest"], file, diagnostics)
