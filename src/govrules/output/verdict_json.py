"""A verdict's JSON text, written from the output models' declared fields.

:func:`verdict_json` gives the text ``json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False,
separators=(",", ":"))`` gives, with every object's keys in the order its model declares them — the
order pydantic writes a validated verdict in, so that dump → ``model_validate`` → dump is the same text.

Nothing here is written per field by hand: the writer of each model (and of the ``TraceStep``
dataclass) is derived from its annotations the first time a verdict is written. A new field of a
known type (str, int, bool, date, a ``Literal`` of strings, ``X | None``, a list or tuple of these, an
output model, ``dict[str, Any]``) is written without an edit here; a field of another type makes
building the writer fail with a ``TypeError`` naming it (a test builds every writer).

Verdicts of one pack share most of their parts (the evaluator builds citations, grounds, obligations,
consequences, missing facts and compact trace steps once per pack), so the text of each part that
cannot change — a frozen model all of whose fields are immutable, a compact step — is kept, and a
repeated part costs one lookup. Whatever a writer does not know at run time (a ``str`` subclass, a
float a step saw, an extra field) makes it give up, and the verdict is written by pydantic's
serializer instead. Writers append text to a list joined once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
from collections.abc import Callable
from json.encoder import encode_basestring as _encode_str
from operator import itemgetter
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError

from govrules.models.base import Date
from govrules.models.verdict import ReadOnlyDict, TraceStep, Verdict

__all__ = ["verdict_json", "verdict_parts"]

Write = Callable[[Any, list[str]], None]

#: Texts kept for each kind of part, at most (then that kind's texts are dropped). A pack's shared
#: parts number in the dozens to hundreds; the bound keeps a batch's memory flat whatever it holds.
FRAGMENT_LIMIT = 4_096

_text_of = itemgetter(1)


class Unsupported(Exception):
    """A value a derived writer does not know: the verdict is written by pydantic instead."""


class _Changeable(Unsupported):
    """A part whose text cannot be kept: it belongs to one verdict, and could change."""


class KeptTexts:
    """The JSON text of immutable parts of one kind, by object.

    Each entry holds the object with its text, ``id(obj) → (obj, text)``: while the entry exists no
    other live object can have that id, so a hit needs no identity check, and an entry is set or
    dropped in one dict operation, so threads writing verdicts at once never see a text without its
    object (a lookup races with nothing but a whole entry).
    """

    __slots__ = ("entries", "keeps", "write")

    def __init__(self, write: Write, keeps: Callable[[Any], bool] | None = None) -> None:
        self.write = write
        #: whether an object (written by ``write``) cannot change, so its text can be kept
        self.keeps = keeps
        self.entries: dict[int, tuple[object, str]] = {}

    def text(self, obj: Any) -> str:
        """The JSON text of ``obj``; raises :class:`_Changeable` if it is not kept and cannot be."""
        entry = self.entries.get(id(obj))
        if entry is not None:
            return entry[1]
        if self.keeps is not None and not self.keeps(obj):
            raise _Changeable
        out: list[str] = []
        self.write(obj, out)
        text = "".join(out)
        if len(self.entries) >= FRAGMENT_LIMIT:
            self.entries = {}  # a new dict: a thread reading the old one still finds whole entries
        self.entries[id(obj)] = (obj, text)
        return text

    def joined(self, objs: list[Any]) -> str:
        """The texts of ``objs`` joined by commas (see :meth:`text`)."""
        try:
            return ",".join(map(_text_of, map(self.entries.__getitem__, map(id, objs))))
        except KeyError:  # one not kept yet
            return ",".join(map(self.text, objs))

    def one(self, obj: Any, out: list[str]) -> None:
        out.append(self.text(obj))

    def many(self, objs: Any, out: list[str]) -> None:
        if type(objs) is not list:
            raise Unsupported
        out.append(f"[{self.joined(objs)}]")


# ------------------------------------------------------------------------------------ scalar writers

def _str(value: Any, out: list[str]) -> None:
    if type(value) is not str:
        raise Unsupported
    out.append(_encode_str(value))


def _int(value: Any, out: list[str]) -> None:
    if type(value) is not int:
        raise Unsupported
    out.append(int.__repr__(value))


def _bool(value: Any, out: list[str]) -> None:
    if value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    else:
        raise Unsupported


def _bool_or_str(value: Any, out: list[str]) -> None:
    if type(value) is str:
        out.append(_encode_str(value))
    else:
        _bool(value, out)


def _date(value: Any, out: list[str]) -> None:
    if type(value) is not dt.date:  # models.base.Date: ``d.isoformat()`` in JSON
        raise Unsupported
    out.append(f'"{value.isoformat()}"')


def _optional(write: Write) -> Write:
    def optional(value: Any, out: list[str]) -> None:
        if value is None:
            out.append("null")
        else:
            write(value, out)
    return optional


def _strings(kind: type[Any]) -> Write:
    def strings(value: Any, out: list[str]) -> None:
        if type(value) is not kind:
            raise Unsupported
        for item in value:
            if type(item) is not str:
                raise Unsupported
        out.append(f"[{','.join(map(_encode_str, value))}]")
    return strings


def _list_of(write: Write) -> Write:
    return _sequence_of(list, write)


def _sequence_of(kind: type[Any], write: Write) -> Write:
    def items(value: Any, out: list[str]) -> None:
        if type(value) is not kind:
            raise Unsupported
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            write(item, out)
        out.append("]")
    return items


def _any_text(value: Any) -> str:
    """A value a trace step saw (``Any``): the JSON types the evaluator puts there."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is list or kind is tuple:
        return f"[{','.join([_any_text(v) for v in value])}]"
    if kind is dict or kind is ReadOnlyDict:
        return _object_text(value)
    raise Unsupported  # floats, decimals, dates, sets...: pydantic's rules, not json's


def _object_text(value: dict[Any, Any]) -> str:
    parts = []
    for key, item in value.items():
        if type(key) is not str or not (key.isascii() or _utf8(key)):
            raise Unsupported  # pydantic replaces a lone surrogate in a key (or refuses it)
        parts.append(f"{_encode_str(key)}:{_any_text(item)}")
    return f"{{{','.join(parts)}}}"


def _any(value: Any, out: list[str]) -> None:
    out.append(_any_text(value))


def _object(value: Any, out: list[str]) -> None:
    if type(value) is not dict and type(value) is not ReadOnlyDict:
        raise Unsupported
    out.append(_object_text(value))


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------------------- writers from annotations

_IMMUTABLE = frozenset({str, int, bool, dt.date, type(None)})


@dataclasses.dataclass
class _Derived:
    """What deriving a type's writer found: the writer, and whether values of the type cannot change."""

    write: Write
    immutable: bool


class _Writers:
    """The writer of each output type, derived from annotations once and kept."""

    def __init__(self) -> None:
        self.models: dict[type[Any], _Derived] = {}

    def of(self, annotation: Any, where: str) -> _Derived:
        origin, args = get_origin(annotation), get_args(annotation)
        if annotation is str or (origin is Literal and all(type(a) is str for a in args)):
            return _Derived(_str, True)
        if annotation is bool:
            return _Derived(_bool, True)
        if origin in (Union, types.UnionType) and bool in args and all(
                a is bool or (get_origin(a) is Literal and all(type(v) is str for v in get_args(a))) for a in args):
            return _Derived(_bool_or_str, True)
        if annotation is int:
            return _Derived(_int, True)
        if annotation is dt.date or annotation == Date:  # Date: written ``d.isoformat()``, as a plain date
            return _Derived(_date, True)
        if annotation is Any:
            return _Derived(_any, False)
        if origin in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
            inner = self.of(next(a for a in args if a is not type(None)), where)
            return _Derived(_optional(inner.write), inner.immutable)
        if origin is list and args and args[0] is str:
            return _Derived(_strings(list), False)
        if origin is tuple and len(args) == 2 and args[0] is str and args[1] is Ellipsis:
            return _Derived(_strings(tuple), True)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            inner = self.of(args[0], where)
            return _Derived(_sequence_of(tuple, inner.write), inner.immutable)
        if origin is dict and args and args[0] is str:
            return _Derived(_object, False)
        if origin is list and args:
            inner = self.of(args[0], where)
            if isinstance(inner.write, _KeptWrite):
                return _Derived(_KeptList(inner.write.kept, args[0]), False)
            return _Derived(_list_of(inner.write), False)
        if isinstance(annotation, type) and (issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)):
            return self.model(annotation)
        raise TypeError(f"no JSON writer for {where}: {annotation!r}")

    def model(self, cls: type[Any]) -> _Derived:
        found = self.models.get(cls)
        if found is not None:
            return found
        if issubclass(cls, BaseModel):
            hints = {name: info.annotation for name, info in cls.model_fields.items()}
            frozen = bool(cls.model_config.get("frozen"))
        else:
            resolved = typing.get_type_hints(cls)
            hints = {f.name: resolved[f.name] for f in dataclasses.fields(cls)}
            frozen = bool(cls.__dataclass_params__.frozen)
        fields = {name: self.of(annotation, f"{cls.__name__}.{name}") for name, annotation in hints.items()}
        write = _ModelWrite(cls, {name: d.write for name, d in fields.items()})
        immutable = frozen and all(d.immutable for d in fields.values())
        derived = _Derived(write, immutable)
        if immutable:
            derived = _Derived(_KeptWrite(KeptTexts(write)), True)
        elif cls in _KEPT_WHEN:
            derived = _Derived(_KeptWrite(KeptTexts(write, keeps=_KEPT_WHEN[cls])), False)
        self.models[cls] = derived
        return derived


class _ModelWrite:
    """Writes one model's fields in declared order, each by its derived writer.

    The writing function is generated from the field list (the names of the model's own fields and
    writers' indices are all its source holds), so a verdict costs no loop over fields and no call
    for a plain string field."""

    __slots__ = ("cls", "fields", "function")

    def __init__(self, cls: type[Any], fields: dict[str, Write]) -> None:
        self.cls = cls
        self.fields = tuple(fields.items())
        self.function = self._generate()

    def __call__(self, obj: Any, out: list[str]) -> None:
        self.function(obj, out)

    def _generate(self) -> Write:
        is_model = issubclass(self.cls, BaseModel)
        namespace: dict[str, Any] = {"cls": self.cls, "Unsupported": Unsupported, "encode": _encode_str}
        lines = ["def write(obj, out):", "    if type(obj) is not cls:", "        raise Unsupported"]
        if is_model:
            lines += ["    if obj.__pydantic_extra__:", "        raise Unsupported",
                      "    values = obj.__dict__",
                      f"    if len(values) != {len(self.fields)}:", "        raise Unsupported",
                      "    try:"]
        else:
            lines += ["    try:"]
        for i, (name, write) in enumerate(self.fields):
            if not name.isidentifier():
                raise TypeError(f"{self.cls.__name__}: field name {name!r} is not an identifier")
            prefix = f"{',' if i else '{'}{_encode_str(name)}:"
            value = f"values[{name!r}]" if is_model else f"obj.{name}"
            lines.append(f"        out.append({prefix!r})")
            if write is _str:  # the commonest field: inline
                lines += [f"        v = {value}", "        if type(v) is not str:", "            raise Unsupported",
                          "        out.append(encode(v))"]
            else:
                namespace[f"w{i}"] = write
                lines.append(f"        w{i}({value}, out)")
        lines += ["    except KeyError:", "        raise Unsupported from None", "    out.append('}')"]
        exec(compile("\n".join(lines), f"<JSON writer of {self.cls.__name__}>", "exec"), namespace)
        function: Write = namespace["write"]
        return function


class _KeptWrite:
    """A writer through :class:`KeptTexts` (a part whose text is kept between verdicts)."""

    __slots__ = ("kept",)

    def __init__(self, kept: KeptTexts) -> None:
        self.kept = kept

    def __call__(self, obj: Any, out: list[str]) -> None:
        out.append(self.kept.text(obj))


class _KeptList:
    """A list of parts whose texts are kept; a list holding a part that cannot be kept (a detailed
    trace step: it belongs to this verdict) is written by pydantic's serializer, as fast as by hand."""

    __slots__ = ("adapter", "item_type", "kept")

    def __init__(self, kept: KeptTexts, item_type: type[Any]) -> None:
        self.kept = kept
        self.item_type = item_type
        self.adapter: TypeAdapter[list[Any]] | None = None  # built on first use

    def __call__(self, objs: Any, out: list[str]) -> None:
        if type(objs) is not list:
            raise Unsupported
        try:
            out.append(f"[{self.kept.joined(objs)}]")
        except _Changeable:
            out.append(self._belonging_to_one_verdict(objs))

    def _belonging_to_one_verdict(self, objs: list[Any]) -> str:
        if self.adapter is None:
            self.adapter = TypeAdapter(list[self.item_type])  # type: ignore[name-defined]
        try:
            return self.adapter.dump_json(objs).decode()
        except PydanticSerializationError:  # text UTF-8 cannot carry: written as json.dumps writes it
            pass
        texts = []
        for obj in objs:
            item_out: list[str] = []
            self.kept.write(obj, item_out)
            texts.append("".join(item_out))
        return f"[{','.join(texts)}]"


def _compact_step(step: Any) -> bool:
    # A compact step (no values seen, built once per pack) is shared by verdicts; a detailed step's
    # values are a plain dict, and the step belongs to one verdict.
    if type(step) is not TraceStep:
        return False
    saw = step.saw
    return type(saw) is ReadOnlyDict and _SCALARS.issuperset(map(type, saw.values()))


_SCALARS = frozenset({str, int, bool, type(None)})
#: parts kept only when they cannot change: a compact trace step (scalar values seen, shared by a pack's
#: verdicts) is kept, a detailed one (its values a plain dict) belongs to one verdict
_KEPT_WHEN: dict[type[Any], Callable[[Any], bool]] = {TraceStep: _compact_step}
_writers = _Writers()


def kept_texts() -> dict[str, KeptTexts]:
    """The kept texts of each kind of shared part, by type name (for tests and memory checks)."""
    writer()
    return {cls.__name__: d.write.kept for cls, d in _writers.models.items() if isinstance(d.write, _KeptWrite)}


def writer() -> Write:
    """The verdict's writer, derived on first use (raises ``TypeError`` for a field of an unknown type)."""
    return _writers.model(Verdict).write


def verdict_parts(verdict: Verdict, out: list[str]) -> bool:
    """Append the compact JSON text of ``verdict`` to ``out``; False (``out`` in any state) if it cannot."""
    try:
        writer()(verdict, out)
    except (Unsupported, ValueError, RecursionError):  # ValueError: an int too long to write
        return False
    return True


def verdict_json(verdict: Verdict, *, indent: int | None = None) -> str:
    """The verdict's JSON text, keys in declared order, non-ASCII as is.

    Compact (``","`` and ``":"``) unless ``indent`` is given. Compact text is written by the derived
    writers, keeping the text of the parts verdicts of a pack share (several times faster than
    pydantic's serializer); indented text, and anything the writers do not know, by pydantic's
    serializer from the model revalidated in declared order. Text that UTF-8 cannot carry (a lone
    surrogate left by an undecodable input byte) is written as ``json.dumps`` writes it.
    """
    if indent is None:
        out: list[str] = []
        if verdict_parts(verdict, out):
            return "".join(out)
    data = verdict.model_dump(mode="json", warnings=False)
    separators = (",", ":") if indent is None else None
    return json.dumps(_declared_order(Verdict, data), ensure_ascii=False, indent=indent, separators=separators)


def _declared_order(cls: type[Any], data: Any) -> Any:
    """``data`` (a model's JSON dump) with each object's keys in the order its model declares them."""
    if not isinstance(data, dict) or not isinstance(cls, type):
        return data
    if issubclass(cls, BaseModel):
        hints = {name: info.annotation for name, info in cls.model_fields.items()}
    elif dataclasses.is_dataclass(cls):
        resolved = typing.get_type_hints(cls)
        hints = {f.name: resolved[f.name] for f in dataclasses.fields(cls)}
    else:
        return data
    ordered = {name: _ordered_value(hints[name], data[name]) for name in hints if name in data}
    ordered.update((k, v) for k, v in data.items() if k not in ordered)
    return ordered


def _ordered_value(annotation: Any, value: Any) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _ordered_value(inner[0], value) if len(inner) == 1 else value
    if origin is list and args and isinstance(value, list):
        return [_ordered_value(args[0], v) for v in value]
    return _declared_order(annotation, value)
