"""Project files (YAML or JSON) → :class:`~govrules.models.project.Project` models, errors with field paths."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from govrules.errors import ProjectError
from govrules.models.project import Project
from govrules.packs.yaml_io import YamlInputError, load_yaml, read_bounded, read_text
from govrules.printable import shorten

# --------------------------------------------------------------------------------------------------
# Projects


def load_project(path: str | Path) -> Project:
    """Read and validate a project file (YAML or JSON); raise :class:`ProjectError` with field paths."""
    path = Path(path)
    try:
        raw = read_bounded(path)
    except OSError as exc:
        raise ProjectError(f"cannot read {shorten(str(path))}: {exc.strerror}", source=str(path)) from None
    data = read_project_data(raw, str(path))
    return validate_project(data, source=str(path))


def read_project_data(raw: bytes, file: str) -> Any:
    """Parse a project file's bytes (YAML, or JSON, which is YAML too) into plain data."""
    try:
        text = read_text(raw, file)
        if file.endswith(".json"):
            return load_json(text, file)
        return load_yaml(text, file).data
    except YamlInputError as exc:
        d = exc.diagnostics[0]
        errors = [{**e.to_dict(), "path": ""} for e in exc.diagnostics]
        raise ProjectError(str(d), errors=errors, source=file,
                           message_zh=f"{d.location or file}: 文件无法读取为项目数据（{d.code}）") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}", source=file,
                           errors=[{"path": "", "message": exc.msg, "line": exc.lineno, "column": exc.colno}],
                           message_zh=f"{file}:{exc.lineno}:{exc.colno}: JSON 格式错误") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _TooLong(Exception):
    pass


def _json_object(items: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(items)
    if len(found) != len(items):  # a key given twice: which one
        seen: set[str] = set()
        for key, _value in items:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def _json_decimal(digits: str) -> Decimal:
    if len(digits) > 40:
        raise _TooLong(f"a number of {len(digits)} characters")
    return Decimal(digits)


def _json_integer(digits: str) -> int:
    if len(digits) > 40:
        raise _TooLong(f"a number of {len(digits)} characters")
    return int(digits)


# one decoder for every document (``json.loads`` with hooks builds a new one per call)
_JSON = json.JSONDecoder(parse_float=_json_decimal, parse_int=_json_integer, object_pairs_hook=_json_object)


def load_json(text: str, file: str) -> Any:
    """JSON as data, with the same refusals as YAML: duplicate keys, huge numbers, deep nesting."""
    try:
        return _JSON.decode(text)
    except _DuplicateKey as exc:
        raise ProjectError(f"{file}: duplicate key `{exc.key}`", source=file,
                           errors=[{"path": exc.key, "message": f"duplicate key `{exc.key}`"}],
                           message_zh=f"{file}: 键 {exc.key} 重复") from None
    except _TooLong as exc:
        raise ProjectError(f"{file}: {exc}", source=file, errors=[{"path": "", "message": str(exc)}],
                           message_zh=f"{file}: 数值过长") from None
    except RecursionError:
        raise ProjectError(f"{file}: the JSON is nested too deeply", source=file,
                           errors=[{"path": "", "message": "nested too deeply"}],
                           message_zh=f"{file}: JSON 嵌套过深") from None


def validate_project(data: Any, *, source: str | None = None) -> Project:
    """Validate plain data as a :class:`Project`; errors are a :class:`ProjectError` with field paths
    (prefixed with ``source``, the file or record they come from)."""
    if isinstance(data, Project):
        return data
    try:
        return Project.model_validate(data)
    except ProjectError as exc:
        if source is None:
            raise
        raise ProjectError(f"{source}: {exc.message}", errors=exc.errors, source=source,
                           message_zh=exc.message_zh) from None
