"""The packs bundled with govrules: where they are, their ids, and pack paths."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from govrules.errors import PackError

BUNDLED_IDS = ("qujing-2020", "chuxiong-2025", "jingzhou-2017", "linfen-2021")


def policies_dir() -> Path:
    """The folder of the bundled packs, their cases and ``vocabulary.yaml``: the package data of
    ``govrules.policies`` (in a wheel, an editable install and a source checkout alike).

    Raises :class:`PackError` if that folder is missing (govrules imported from a zip, or a broken
    install), rather than reporting no bundled packs.
    """
    folder = Path(str(resources.files("govrules.policies")))
    if not (folder / "vocabulary.yaml").is_file():  # pragma: no cover - only in a broken install
        raise PackError(f"the bundled packs are not installed as files (looked in {folder})",
                        code="pack_not_found")
    return folder


def bundled_pack_ids() -> list[str]:
    """Ids of the packs bundled with govrules, those present on disk, in a stable order."""
    present = {p.name.removesuffix(".yaml") for p in policies_dir().glob("*.yaml")
               if not p.name.endswith(".cases.yaml") and p.name != "vocabulary.yaml"}
    return [pid for pid in BUNDLED_IDS if pid in present] + sorted(present - set(BUNDLED_IDS) - {"vocabulary"})


def resolve_pack_path(source: str | Path) -> Path:
    """A bundled pack id or a path → the pack file's path."""
    text = str(source)
    if not text.endswith((".yaml", ".yml")) and "/" not in text and "\\" not in text:
        path = policies_dir() / f"{text}.yaml"
        if not path.is_file():
            raise PackError(f"no bundled pack `{text}`; bundled: {', '.join(bundled_pack_ids())}",
                            code="pack_not_found")
        return path
    path = Path(source)
    if not path.is_file():
        raise PackError(f"pack file not found: {path}", code="pack_not_found")
    return path


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)




def vocabulary_path() -> Path:
    """The shared fact vocabulary of the bundled packs (``vocabulary.yaml``, installed beside them)."""
    return policies_dir() / "vocabulary.yaml"


def load_vocabulary() -> list[dict[str, Any]]:
    """Every fact of the shared vocabulary: ``name``, ``type``, ``values`` (enums), ``zh``, ``en`` and the
    ``packs`` that declare it; empty when the file is absent."""
    global _VOCABULARY
    if _VOCABULARY is None:
        from govrules.packs.yaml_io import load_yaml

        path = vocabulary_path()
        facts: list[dict[str, Any]] = []
        if path.is_file():
            data = load_yaml(path.read_text("utf-8"), str(path)).data
            if isinstance(data, dict) and isinstance(data.get("facts"), list):
                facts = [dict(f) for f in data["facts"] if isinstance(f, dict) and "name" in f]
        _VOCABULARY = facts
    return [dict(f) for f in _VOCABULARY]


def vocabulary_fact_names() -> frozenset[str]:
    """The fact names of the shared vocabulary."""
    return frozenset(str(f["name"]) for f in load_vocabulary())


_VOCABULARY: list[dict[str, Any]] | None = None
