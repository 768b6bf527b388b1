"""A cache of compiled packs, so that evaluating does not need the condition parser.

Compiling a pack means parsing its YAML and every condition with rule-engine, whose import alone
builds parser tables for ~0.6 s; and validating the pack builds pydantic's validator for the pack
models, which costs more than the rest of a verdict. The result of compiling — the validated pack and
each condition lowered to a small, whitelisted IR (see :func:`govrules.compile.compiler.from_ir`) — is stored
as JSON. An entry is keyed by the SHA-256 of the pack file's bytes, its resolved path (a relative
``extends`` starts there), and the engine: the versions of govrules, pydantic, rule-engine and
ruamel.yaml, and the source of the modules that shape an entry. It records the SHA-256 of every other
file the pack was compiled from (each pack it extends, however the ``extends`` key was written): the
entry is used only while each of those files still has those bytes.

An entry is data, never code, and is signed: its first line is an HMAC-SHA256, under a secret key of
the user's, over the cache key and the JSON that follows, checked before anything is read. The key
(32 random bytes) is the file ``key`` in the cache folder, mode 0600, created atomically on the first
write. A file that fails the check (truncated, corrupted, edited, copied from another pack's entry, or
written by anyone who cannot read the key), or whose content is not what this engine writes, is a miss:
the pack is compiled from its source again and the entry rewritten. What a valid entry holds is rebuilt
only as the pack models' own types — their string patterns (ids, names) checked again, see
:func:`govrules.models.base.construct_trusted` — and each condition only from known operations; the
pack's digest is checked to be the SHA-256 of the pack's canonical JSON, which is the entry's first
line after the signature. The code generator (:mod:`govrules.engine.codegen`)
writes no text from a pack into generated source, so even an entry signed with the user's key cannot
run code; it can only describe another pack, as the user's own pack files can.

The folder is used only if it belongs to the user and is not writable by group or others (it is
created 0700); the key file only if it belongs to the user and no one else may read it. Otherwise the
cache is off for that run (compiling still works).

Location: ``$GOVRULES_CACHE_DIR``, else ``$XDG_CACHE_HOME/govrules``, else ``~/.cache/govrules``, else
(no home directory: ``HOME`` unset and no passwd entry, or a home of ``/`` as container runtimes give
a uid without one) ``<temp dir>/govrules-cache-<uid>``.
``GOVRULES_NO_CACHE=1`` turns it off. Writing is best-effort: a read-only or full disk just means no
cache, and a failed write leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govrules.compile.compiler import CompiledPack, CompiledRule, SymbolTable, from_ir
from govrules.diagnostics import Diagnostic, SourceLocation

FORMAT = 4
#: The first line of a cache file: this prefix, then the hex HMAC-SHA256 of the key and the JSON body.
_MAGIC = b"govrules-cache/3 hmac-sha256:"
#: The name of the secret key's file in the cache folder, and its size in bytes.
KEY_FILE = "key"
_KEY_SIZE = 32
#: A larger file is not read (entries of the largest valid packs are a few MB).
MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: A file an entry depends on that is larger than this is not read (the pack file limit is 2 MB).
_MAX_SOURCE_BYTES = 16 * 1024 * 1024


def cache_dir() -> Path | None:
    """Where compiled packs are kept, or None when caching is off.

    The folder may not exist yet, or be refused when used (see :func:`usable_dir`)."""
    if os.environ.get("GOVRULES_NO_CACHE"):
        return None
    root = os.environ.get("GOVRULES_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative value is to be ignored
        return Path(xdg) / "govrules"
    try:
        home: Path | None = Path.home()
    except (RuntimeError, KeyError, OSError):  # HOME unset and no passwd entry (a container's bare uid)
        home = None
    if home is not None and home.is_absolute() and str(home) != "/":
        return home / ".cache" / "govrules"
    return Path(tempfile.gettempdir()) / f"govrules-cache-{os.geteuid()}"


def usable_dir(root: Path, *, create: bool = False) -> bool:
    """Whether ``root`` may hold this user's cache: a folder owned by the user that neither group nor
    others can write (``create``: make it, mode 0700, if missing)."""
    try:
        if create:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(root)
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _secret(root: Path, *, create: bool) -> bytes | None:
    """The user's key in ``root`` (made if missing and ``create``), or None when absent or not private."""
    path = root / KEY_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return _new_secret(root) if create else None
    except (OSError, ValueError):
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            return None
        secret = handle.read(_KEY_SIZE + 1)
    return secret if len(secret) == _KEY_SIZE else None


def _new_secret(root: Path) -> bytes | None:
    # Written whole to a private temporary file, then linked into place: a concurrent reader sees no
    # key or the whole key, and of two writers racing, the one that links second reads the first's.
    secret = os.urandom(_KEY_SIZE)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".key", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret)
        try:
            os.link(tmp, root / KEY_FILE)
        except FileExistsError:
            return _secret(root, create=False)
        return secret
    except OSError:
        return None
    finally:
        if tmp is not None:
            _remove(tmp)


def _remove(path: str | Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def cache_key(raw: bytes, source: str | None = None) -> str:
    """The key of a pack file's bytes (read from ``source``, its resolved path) under this engine."""
    digest = hashlib.sha256()
    digest.update(_engine_fingerprint())
    path = (source or "").encode("utf-8", "surrogateescape")
    digest.update(len(path).to_bytes(8, "big"))
    digest.update(path)
    digest.update(raw)
    return digest.hexdigest()


_FINGERPRINT: bytes | None = None
#: The modules whose code shapes an entry (relative to the package).
#: the stages whose code shapes an entry: the models, the pack reader and the compiler
_SHAPING = ("models", "packs", "compile")


def _engine_fingerprint() -> bytes:
    # The versions alone are not enough while developing: any change to how packs compile must miss.
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import pydantic

        from govrules.version import __version__

        digest = hashlib.sha256(f"govrules-cache/{FORMAT}/{__version__}/pydantic {pydantic.VERSION}".encode())
        for distribution in ("rule_engine", "ruamel.yaml"):
            digest.update(f"/{distribution} {_version(distribution)}".encode())
        package = Path(__file__).resolve().parents[1]
        for source in sorted(p for stage in _SHAPING for p in (package / stage).glob("*.py")):
            try:
                digest.update(source.read_bytes())
            except OSError:
                digest.update(source.name.encode())
        _FINGERPRINT = digest.digest()
    return _FINGERPRINT


def _version(module: str) -> str:
    """The installed version of the distribution that provides ``module``, without importing it.

    (Importing rule-engine builds its parser tables, and ``importlib.metadata`` costs ~25 ms: the
    distribution's ``.dist-info`` folder beside the module is read instead.) When there is none, the
    module's own source stands for its version."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return "absent"
    if spec is None or not spec.origin:
        return "absent"
    origin = Path(spec.origin)
    parts = module.split(".")
    package = origin.parent if origin.name == "__init__.py" else origin
    wanted = "_".join(parts).lower()
    try:
        for entry in os.listdir(package.parents[len(parts) - 1]):
            name, _, version = entry[: -len(".dist-info")].rpartition("-")
            if entry.endswith(".dist-info") and name.replace(".", "_").replace("-", "_").lower() == wanted:
                return version
        return hashlib.sha256(origin.read_bytes()).hexdigest()
    except OSError:
        return "unknown"


@dataclass(frozen=True)
class Entry:
    """A cache hit: the compiled pack, and the files (resolved paths) it was compiled from besides its own."""

    compiled: CompiledPack
    parents: tuple[str, ...]


def load(raw: bytes, file: str, *, source: str | None = None) -> CompiledPack | None:
    """The compiled pack for these bytes, if cached, intact and readable; otherwise None."""
    entry = lookup(raw, file, source=source)
    return entry.compiled if entry is not None else None


def lookup(raw: bytes, file: str, *, source: str | None = None) -> Entry | None:
    """The cache entry for the pack ``raw`` read from ``source`` (displayed as ``file``), if it is
    signed with the user's key, every file it was compiled from is unchanged, and it rebuilds."""
    root = cache_dir()
    if root is None or not usable_dir(root):
        return None
    secret = _secret(root, create=False)
    if secret is None:
        return None
    key = cache_key(raw, source)
    blob = _read(root / f"{key}.json", MAX_ENTRY_BYTES)
    if blob is None:
        return None
    header, newline, body = blob.partition(b"\n")
    if not newline or not hmac.compare_digest(header, _header(secret, key, body)):
        return None  # not written whole by this user's engine for this key: compile again
    try:
        data, pack_line = decode(body)
        # the verdict's pack digest is always the digest of the pack that decides it
        if data["digest"] != "sha256:" + hashlib.sha256(pack_line).hexdigest():
            return None
        parents = _unchanged_parents(data["parents"])
        if parents is None:
            return None
        return Entry(_rebuild(data, file), parents)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        return None


def _read(path: Path, limit: int) -> bytes | None:
    """At most ``limit`` bytes of the regular file ``path``; None if it is missing, unreadable or larger."""
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            data = handle.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def _unchanged_parents(recorded: Any) -> tuple[str, ...] | None:
    """The recorded files' paths if each still has its recorded SHA-256, else None."""
    if type(recorded) is not list:
        raise TypeError("cache parents")
    paths = []
    for path, digest in recorded:
        if type(path) is not str or type(digest) is not str:
            raise TypeError("cache parents")
        data = _read(Path(path), _MAX_SOURCE_BYTES)
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return None  # a pack it extends was changed (or removed): compile again
        paths.append(path)
    return tuple(paths)


def _header(secret: bytes, key: str, body: bytes) -> bytes:
    mac = hmac.new(secret, key.encode("ascii"), hashlib.sha256)
    mac.update(b"\n")
    mac.update(body)
    return _MAGIC + mac.hexdigest().encode("ascii")


def store(raw: bytes, compiled: CompiledPack, *, source: str | None = None,
          parents: tuple[tuple[str, str], ...] = ()) -> None:
    """Keep ``compiled`` for later loads of the same bytes from ``source``, while each of ``parents``
    (resolved path, SHA-256 of the bytes compiled) is unchanged. Silently skipped when the cache folder
    is not usable or not writable; a failed write removes its temporary file."""
    root = cache_dir()
    if root is None or not usable_dir(root, create=True):
        return
    secret = _secret(root, create=True)
    if secret is None:
        return
    data = {
        "format": FORMAT,
        "pack": compiled.pack.model_dump(mode="json"),
        "digest": compiled.digest,
        "rules": [[r.condition.to_ir(), r.met.to_ir() if r.met is not None else None, list(r.guard)]
                  for r in compiled.all_rules],
        "diagnostics": [d.to_dict() for d in compiled.diagnostics],
        "parents": [list(parent) for parent in parents],
    }
    key = cache_key(raw, source)
    body = encode(data)
    if compiled.digest != "sha256:" + hashlib.sha256(body.partition(b"\n")[0]).hexdigest():
        return  # not the digest of the pack (cannot happen for a pack compiled here): keep nothing
    try:
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_header(secret, key, body) + b"\n" + body)
        os.replace(tmp, root / f"{key}.json")
    except BaseException as exc:
        _remove(tmp)  # a full disk, a signal: no partial file is left
        if not isinstance(exc, OSError):
            raise


def encode(data: dict[str, Any]) -> bytes:
    """An entry's body: the pack's canonical JSON (the text its digest is the SHA-256 of) on the first
    line, then the rest of ``data`` as JSON. (JSON text holds no raw newline.)"""
    pack = json.dumps(data["pack"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    rest = json.dumps({k: v for k, v in data.items() if k != "pack"}, ensure_ascii=False, separators=(",", ":"))
    return pack.encode("utf-8") + b"\n" + rest.encode("utf-8")


def decode(body: bytes) -> tuple[dict[str, Any], bytes]:
    """The data :func:`encode` wrote, and the pack's canonical JSON as written (``ValueError`` if it is
    not such a body)."""
    pack_line, newline, rest = body.partition(b"\n")
    data = json.loads(rest)
    if not newline or type(data) is not dict or "pack" in data:
        raise ValueError("cache body")
    data["pack"] = json.loads(pack_line)
    return data, pack_line


def _rebuild(data: dict[str, Any], file: str) -> CompiledPack:
    from govrules.models.base import construct_trusted
    from govrules.models.pack import Pack

    if data.get("format") != FORMAT:
        raise ValueError("cache format")
    pack = construct_trusted(Pack, data["pack"])  # written by this engine from the validated pack
    if len(pack.rules) != len(data["rules"]):
        raise ValueError("cache rules")
    rules = []
    for index, (rule, (condition, met, guard)) in enumerate(zip(pack.rules, data["rules"], strict=True)):
        rules.append(CompiledRule(rule, from_ir(condition), index, from_ir(met) if met is not None else None,
                                  guard=tuple(guard)))
    diagnostics = [
        Diagnostic(d["code"], d["message"],
                   SourceLocation(file, d["line"], d["column"]) if d.get("line") else None,
                   hint=d.get("hint"), severity=d["severity"], rule=d.get("rule"))
        for d in data["diagnostics"]
    ]
    return CompiledPack(pack, SymbolTable(pack), rules, {r.id: r for r in rules}, data["digest"], file, diagnostics)
