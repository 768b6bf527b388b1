"""A cache of compiled packs, so that evaluating does not need the condition parser.

Compiling a pack means parsing its YAML (pure-Python ruamel) and every condition with rule-engine,
whose import alone builds parser tables for ~0.6 s. The result of compiling — the validated pack
and each condition lowered to a small, whitelisted IR (see :func:`govrules.compiler.from_ir`) — is
stored as JSON, keyed by the SHA-256 of the pack file's bytes and the govrules version. A cache
file is data: it is validated like the pack itself and rebuilt only from known operations.

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

FORMAT = 1


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
        for name in ("compiler.py", "cache.py", "loader.py", "models/pack.py", "models/project.py"):
            try:
                digest.update((here / name).read_bytes())
            except OSError:
                digest.update(name.encode())
        _FINGERPRINT = digest.digest()
    return _FINGERPRINT


def load(raw: bytes, file: str) -> CompiledPack | None:
    """The compiled pack for these bytes, if cached and readable; otherwise None."""
    root = cache_dir()
    if root is None:
        return None
    path = root / f"{cache_key(raw)}.json"
    try:
        data = json.loads(path.read_text("utf-8"))
        return _rebuild(data, file)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(raw: bytes, compiled: CompiledPack) -> None:
    """Keep ``compiled`` for later loads of the same bytes (silently skipped when not writable)."""
    root = cache_dir()
    if root is None:
        return
    data = {
        "format": FORMAT,
        "pack": compiled.pack.model_dump(mode="json"),
        "digest": compiled.digest,
        "rules": [[r.condition.to_ir(), r.met.to_ir() if r.met is not None else None] for r in compiled.rules],
        "diagnostics": [d.to_dict() for d in compiled.diagnostics],
    }
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, root / f"{cache_key(raw)}.json")
    except OSError:
        return


def _rebuild(data: dict[str, Any], file: str) -> CompiledPack:
    from govrules.models.pack import Pack

    if data.get("format") != FORMAT:
        raise ValueError("cache format")
    pack = Pack.model_validate(data["pack"])
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
