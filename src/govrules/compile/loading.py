"""Pack files → checked, compiled packs, through the compiled-pack cache.

Loading is strictly data: :mod:`govrules.packs.yaml_io` refuses tags, aliases and duplicate keys. Every
problem found becomes a :class:`~govrules.diagnostics.Diagnostic` with file, line and column, and all
of them are reported together in one :class:`~govrules.errors.PackError`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from govrules.compile.compiler import (
    CompiledPack,
)
from govrules.compile.pack_compiler import compile_pack
from govrules.diagnostics import sort_key
from govrules.errors import PackError
from govrules.packs.bundled import display_path, resolve_pack_path
from govrules.packs.extends import EXTENDED_FILES, MergedDocument, resolve_extends
from govrules.packs.parse import parse_pack
from govrules.packs.yaml_io import DEFAULT_LIMITS, Document, Limits, YamlInputError, load_yaml, read_bounded, read_text


def load_pack(source: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> CompiledPack:
    """Load, check and compile a pack: a bundled id (``"chuxiong-2025"``) or a path to a ``.yaml`` file.

    Raises :class:`PackError` listing every problem with file, line and column.

    >>> pack = load_pack("chuxiong-2025")
    >>> pack.document
    '楚政办通〔2025〕26号'
    """
    path = resolve_pack_path(source)
    resolved = str(path.resolve())
    key = (resolved, path.stat().st_mtime_ns, limits, _parents_stamp(resolved))
    return _load_cached(*key)


def _parents_stamp(path: str) -> tuple[tuple[str, int], ...]:
    """The modification times of the files ``path`` extends (as of its last load): a changed parent
    must not be served from the cache."""
    stamp = []
    for parent in EXTENDED_FILES.get(path, ()):
        try:
            stamp.append((parent, Path(parent).stat().st_mtime_ns))
        except OSError:
            stamp.append((parent, -1))
    return tuple(stamp)


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime: int, limits: Limits, _parents: tuple[tuple[str, int], ...] = ()) -> CompiledPack:
    from govrules.compile import cache

    raw = read_bounded(path, limits.max_bytes)
    file = display_path(Path(path))
    if limits == DEFAULT_LIMITS:
        hit = cache.lookup(raw, file, source=path)
        if hit is not None:
            EXTENDED_FILES[path] = hit.parents
            return hit.compiled
    compiled, document = load_pack_document(raw, file=file, limits=limits, base_dir=Path(path).parent)
    if limits == DEFAULT_LIMITS:
        # the entry holds while each pack this one extends has the bytes it was compiled from
        cache.store(raw, compiled, source=path,
                    parents=document.sources if isinstance(document, MergedDocument) else ())
    return compiled


def load_pack_text(raw: bytes | str, *, file: str = "<pack>", limits: Limits = DEFAULT_LIMITS,
                   base_dir: Path | None = None) -> CompiledPack:
    """Load and compile a pack from bytes or text (``file`` names it in messages).

    ``base_dir`` is where a relative ``extends:`` path starts (default: the folder of ``file``).
    """
    return load_pack_document(raw, file=file, limits=limits, base_dir=base_dir)[0]


def load_pack_document(raw: bytes | str, *, file: str = "<pack>", limits: Limits = DEFAULT_LIMITS,
                       base_dir: Path | None = None) -> tuple[CompiledPack, Document]:
    """:func:`load_pack_text`, also returning the (merged) document, whose positions map every value of
    the pack to its file, line and column (used by :mod:`govrules.analysis.lint`)."""
    try:
        text = read_text(raw, file, limits) if isinstance(raw, bytes) else raw
        document = load_yaml(text, file, limits)
    except YamlInputError as exc:
        raise PackError(f"{file}: cannot read the pack", diagnostics=exc.diagnostics,
                        code="pack_syntax") from None
    if base_dir is None:
        base_dir = Path(file).parent if not file.startswith("<") else Path.cwd()
    document = resolve_extends(document, base_dir, limits=limits)
    pack = parse_pack(document)
    compiled = compile_pack(pack, document, text)
    if isinstance(document, MergedDocument) and document.warnings:
        compiled.diagnostics = sorted([*compiled.diagnostics, *document.warnings], key=sort_key)
    return compiled, document


