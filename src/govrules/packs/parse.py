"""A pack document → a :class:`~govrules.models.pack.Pack` model, with positions for every error."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from govrules.diagnostics import Diagnostic, sort_key
from govrules.errors import PackError
from govrules.models.pack import Pack, Unit
from govrules.packs.yaml_io import Document
from govrules.printable import shorten


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
    hint: str | None = None
    if message.startswith("unknown key `"):
        mapping = _value_at(document.data, path)
        key = _written_key(mapping, message.split("`")[1])
        if (*path, key) in document.key_positions:
            location = document.key_positions[(*path, key)]
        if path in document.flow_mappings and _not_a_key(key):
            hint = _split_value_hint(mapping, key)
        elif key == "reading" and len(path) == 2 and path[0] == "terms":
            hint = ("a reading selects rules, not a term's definition: put the part the options share in the term "
                    "and the rest in a rule per option (`reading: {id: option}`), or define one term per option, "
                    "each read by its option's rules (docs/guide.md § 12)")
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
    return Diagnostic("pack.schema", f"{where}: {message}", location, hint=hint)


def _value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _written_key(mapping: Any, shown: str) -> str:
    """The key of ``mapping`` that an error message shows (shortened) as ``shown``."""
    if isinstance(mapping, dict):
        for key in mapping:
            if shorten(str(key)) == shown:
                return str(key)
    return shown


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _not_a_key(key: str) -> bool:
    """Whether ``key`` cannot be a key of the format (every key is an identifier): words, CJK text or
    punctuation, as the tail of a value cut at an unquoted comma is."""
    return _IDENTIFIER.fullmatch(key) is None


def _split_value_hint(mapping: dict[str, Any], key: str) -> str:
    keys = list(mapping)
    before = keys[keys.index(key) - 1] if keys.index(key) > 0 else None
    head = mapping.get(before) if before is not None else None
    if before is not None and isinstance(head, str):
        return (f"an unquoted comma inside {{…}} ends the value: `{before}: {shorten(head, 30)}` stops at the comma "
                f"and the rest is read as a key; quote the value ({before}: \"{shorten(head, 30)}, …\")")
    return "an unquoted comma inside {…} ends the value: quote the value"


def _parameter_name(data: Any, path: tuple[str | int, ...]) -> str:
    try:
        return str(data["parameters"][path[1]]["name"])
    except (KeyError, IndexError, TypeError):
        return "?"


