"""Projects read for a pack: fact names checked against the pack and the shared vocabulary as the
project is loaded, rather than at evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govrules.compile.compiler import CompiledPack
from govrules.compile.loading import load_pack
from govrules.errors import ProjectError
from govrules.models.project import Project
from govrules.packs import projects
from govrules.packs.bundled import vocabulary_fact_names


def load_project(path: str | Path, *, pack: CompiledPack | str | None = None) -> Project:
    """Read and validate a project file (YAML or JSON); raise :class:`ProjectError` with field paths.

    With ``pack`` (a loaded pack or a bundled id), fact names are checked too: a name neither the
    pack nor the shared vocabulary knows is refused here, naming the file and the closest known name,
    rather than at evaluation. (Without a pack, any fact name may belong to some pack.)
    """
    project = projects.load_project(path)
    if pack is not None:
        check_fact_names(project, load_pack(pack) if isinstance(pack, str) else pack, source=str(path))
    return project


def validate_project(data: Any, *, source: str | None = None, pack: CompiledPack | str | None = None) -> Project:
    """Validate plain data as a :class:`Project`, turning pydantic's errors into field paths; with
    ``pack``, also check the fact names (see :func:`load_project`)."""
    project = projects.validate_project(data, source=source)
    if pack is not None:
        check_fact_names(project, load_pack(pack) if isinstance(pack, str) else pack, source=source)
    return project


def check_fact_names(project: Project, pack: CompiledPack, *, source: str | None = None) -> None:
    """Raise :class:`ProjectError` for every fact name of ``project`` (its own and its systems')
    that neither ``pack`` nor the shared vocabulary knows, each with the closest known name."""
    scopes = [("facts", project.facts, pack.project_facts)]
    scopes += [(f"systems.{i}.facts", s.facts, pack.system_facts) for i, s in enumerate(project.systems or [])]
    if all(name in declared for _, facts, declared in scopes for name in facts):
        return  # the usual case, without reading the vocabulary
    vocabulary = vocabulary_fact_names()
    errors = []
    for path, facts, declared in scopes:
        for name in facts:
            if name not in declared and name not in vocabulary:
                errors.append({"path": f"{path}.{name}",
                               "message": unknown_fact_message(name, set(declared) | vocabulary, pack.id)})
    if errors:
        prefix = f"{source}: " if source else ""
        summary = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        raise ProjectError(f"{prefix}invalid facts: {summary}", errors=errors, source=source,
                           message_zh=f"{prefix}事实数据有误: {summary}")


def unknown_fact_message(name: str, known: Iterable[str], pack_id: str) -> str:
    """A short message for a fact name neither ``pack_id`` nor the shared vocabulary knows, with the
    closest known name (a typo is the usual cause) rather than the whole list."""
    import difflib  # only for the message

    from govrules.printable import shorten

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"unknown fact `{shorten(name)}`; did you mean `{close[0]}`?"
    return f"unknown fact `{shorten(name)}` (`govrules facts --pack {pack_id}` lists the pack's facts)"
