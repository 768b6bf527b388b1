"""A pack document → a :class:`~govrules.models.pack.Pack` model, with positions for every error."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from govrules.diagnostics import Diagnostic, sort_key
from govrules.errors import PackError
from govrules.models.pack import Pack, Unit
from govrules.packs.yaml_io import Document


def parse_pack(document: Document) -> Pack:
    """Validate a YAML document as a :class:`Pack` (no compiling)."""
    if not isinstance(document.data, dict):
        raise PackError("a pack is a mapping", diagnostics=[Diagnostic(
            "pack.shape", "a pack must be a YAML mapping (id, title, articles, rules, …)", document.locate(()))],
            code="pack_invalid")
    try:
        return Pack.model_validate(document.data)
    except ValidationError as exc:
        diagnostics = [_validation_diagnostic(error, document) for error in exc.errors()]
        raise PackError(f"{document.file}: invalid pack", diagnostics=sorted(diagnostics, key=sort_key),
                        code="pack_invalid") from None


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[str | int, ...], list[str]]:
    """Follow a pydantic error location through the data, skipping union tags."""
    path: list[str | int] = []
    skipped: list[str] = []
    current = data
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
        else:
            skipped.append(str(part))
    return tuple(path), skipped


def _validation_diagnostic(error: Any, document: Document) -> Diagnostic:
    path, skipped = _data_path(document.data, tuple(error["loc"]))
    message = str(error["msg"]).removeprefix("Value error, ")
    missing = error["type"] == "missing"
    if missing and skipped:
        message = f"missing key `{skipped[-1]}`"
    location = document.locate(path)
    if message.startswith("unknown key `"):
        key = message.split("`")[1]
        location = document.locate((*path, key), key=True)
    where = ".".join(str(p) for p in path) or "(top)"
    loc = tuple(str(p) for p in error["loc"])
    if len(loc) >= 3 and loc[0] == "parameters" and loc[2] == "unit":
        units = ", ".join(u.value for u in Unit)
        name = _parameter_name(document.data, path)
        if missing:
            return Diagnostic("pack.parameter_unit", f"parameter `{name}` has no `unit`: every amount, ratio and "
                              "period needs one", location, hint=f"add `unit:` — one of {units}")
        return Diagnostic("pack.parameter_unit", f"parameter `{name}`: {message}", location,
                          hint=f"units: {units}")
    return Diagnostic("pack.schema", f"{where}: {message}", location)


def _parameter_name(data: Any, path: tuple[str | int, ...]) -> str:
    try:
        return str(data["parameters"][path[1]]["name"])
    except (KeyError, IndexError, TypeError):
        return "?"


