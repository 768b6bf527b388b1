"""Reading YAML as data only, with the position of every value.

Why not ``YAML(typ="safe").load``: it keeps no positions, and it builds aliases as shared references
that a later walk can multiply without bound ("billion laughs"). Why not round-trip mode: it loads
``!!python/...`` tags silently as tagged data. So this module *composes* the document into nodes
(which never runs constructors), refuses every tag outside the YAML core schema, every alias and
anchor, merge keys and duplicate keys, and builds plain values itself: ``str``, ``int``, ``Decimal``
(never float: money must stay exact), ``bool``, ``None``, ``date``, ``list``, ``dict``. Each value's
1-based line and column are kept by path, so that any later error can point into the file.

The size limits are enforced while the document is composed, not after: a file of a million tiny
values or ten thousand nested ``[`` is refused at the first value past the limit, in time bounded by
the limit rather than by the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from govrules.diagnostics import Diagnostic, SourceLocation

Path = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT_DIGITS = re.compile(r"[0-9a-fA-F]")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a YAML document may be (documented in docs/limits.md)."""

    max_bytes: int = 2_000_000
    max_depth: int = 40
    max_nodes: int = 200_000
    max_scalar_chars: int = 100_000
    #: digits of a number written out in full: ``1e999999999`` would be a billion characters in a verdict
    max_number_digits: int = 40


DEFAULT_LIMITS = Limits()


class YamlInputError(Exception):
    """The document is not acceptable; ``diagnostics`` says where and why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


@dataclass
class Document:
    """Plain data from a YAML file, with positions of values and keys by path."""

    data: Any
    file: str
    positions: dict[Path, SourceLocation] = field(default_factory=dict)
    key_positions: dict[Path, SourceLocation] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> SourceLocation:
        """The location of ``path``, or of its nearest ancestor that has one."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.key_positions:
                return self.key_positions[probe]
            probe = probe[:-1]
        return self.positions.get((), SourceLocation(self.file, 1, 1))


def _loc(file: str, node: Node) -> SourceLocation:
    return SourceLocation(file, node.start_mark.line + 1, node.start_mark.column + 1)


def read_text(raw: bytes, file: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Decode a file's bytes as UTF-8, refusing oversize or undecodable input with a position."""
    if len(raw) > limits.max_bytes:
        raise YamlInputError([Diagnostic(
            "yaml.too_large", f"the file is {len(raw)} bytes; the limit is {limits.max_bytes}",
            SourceLocation(file, 1, 1), hint="split it, or raise Limits.max_bytes")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlInputError([Diagnostic(
            "yaml.encoding", f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
            SourceLocation(file, line, column), hint="save the file as UTF-8")]) from None


def _encoded_size(text: str, limit: int) -> int:
    """The UTF-8 size of ``text`` (exactly when it may exceed ``limit``; a character is 1 to 4 bytes)."""
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def load_yaml(text: str, file: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse ``text`` into a :class:`Document`; raise :class:`YamlInputError` on anything unsafe."""
    if len(text) > limits.max_bytes or _encoded_size(text, limits.max_bytes) > limits.max_bytes:
        raise YamlInputError([Diagnostic(
            "yaml.too_large", f"the document has {len(text)} characters "
            f"({_encoded_size(text, limits.max_bytes)} bytes in UTF-8); the limit is {limits.max_bytes} bytes",
            SourceLocation(file, 1, 1), hint="split it, or raise Limits.max_bytes")])
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _LimitedComposer
    yaml.composer.limits = limits
    try:
        nodes = list(_compose_all(yaml, text))
    except _LimitExceeded as exc:
        raise YamlInputError([Diagnostic(exc.code, exc.message, _mark_location(file, exc.mark))]) from None
    except ReaderError as exc:
        # a character YAML does not allow (NUL, other control characters): point at it
        raise YamlInputError([Diagnostic(
            "yaml.character", f"invalid YAML: character U+{exc.character:04X} is not allowed in a YAML file"
            if isinstance(exc.character, int) else f"invalid YAML: {exc.reason}",
            _offset_location(file, text, exc.position), hint="remove the control character")]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlInputError([Diagnostic("yaml.syntax", f"invalid YAML: {problem}", loc)]) from None
    except YAMLError as exc:
        raise YamlInputError([Diagnostic("yaml.syntax", f"invalid YAML: {exc}",
                                         SourceLocation(file, 1, 1))]) from None
    except RecursionError:
        raise YamlInputError([Diagnostic("yaml.too_deep", "the document is nested too deeply",
                                         SourceLocation(file, 1, 1))]) from None
    if len(nodes) != 1:
        raise YamlInputError([Diagnostic(
            "yaml.documents", f"expected exactly one YAML document, found {len(nodes)}",
            SourceLocation(file, 1, 1))])
    builder = _Builder(file, limits, yaml)
    data = builder.build(nodes[0], (), 0)
    if builder.problems:
        raise YamlInputError(sorted(builder.problems, key=lambda d: (d.location or SourceLocation("", 0, 0))))
    return Document(data, file, builder.positions, builder.key_positions)


def _compose_all(yaml: YAML, text: str) -> Iterator[Node]:
    # compose never runs a constructor; aliases come back as the same node object (refused below).
    yield from yaml.compose_all(StringIO(text))


def _mark_location(file: str, mark: Any) -> SourceLocation:
    if mark is None:
        return SourceLocation(file, 1, 1)
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def _offset_location(file: str, text: str, offset: Any) -> SourceLocation:
    """The 1-based line and column of character ``offset`` of ``text``."""
    if not isinstance(offset, int) or not 0 <= offset <= len(text):
        return SourceLocation(file, 1, 1)
    line_start = text.rfind("\n", 0, offset) + 1
    return SourceLocation(file, text.count("\n", 0, offset) + 1, offset - line_start + 1)


class _LimitExceeded(Exception):
    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


class _LimitedComposer(Composer):
    """ruamel's composer, stopping at the first value deeper or further than :class:`Limits` allow.

    Counting here (rather than in :class:`_Builder`, after the whole file is composed) bounds the time
    a hostile file costs by the limits, and keeps deep nesting far from Python's recursion limit.
    Depth and count follow :class:`_Builder`: the root is at depth 0; mapping keys are not values.
    """

    limits: Limits = DEFAULT_LIMITS
    _govrules_depth = -1
    _govrules_values = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        limits = self.limits
        is_key = isinstance(parent, MappingNode) and index is None
        if not is_key:
            self._govrules_values += 1
            if self._govrules_values > limits.max_nodes:
                raise _LimitExceeded("yaml.too_many_nodes", f"more than {limits.max_nodes} values",
                                     self.parser.peek_event().start_mark)
        self._govrules_depth += 1
        try:
            if self._govrules_depth > limits.max_depth:
                raise _LimitExceeded("yaml.too_deep", f"nested deeper than {limits.max_depth} levels",
                                     self.parser.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._govrules_depth -= 1


class _Builder:
    def __init__(self, file: str, limits: Limits, yaml: YAML) -> None:
        self.file = file
        self.limits = limits
        self.constructor = yaml.constructor
        self.positions: dict[Path, SourceLocation] = {}
        self.key_positions: dict[Path, SourceLocation] = {}
        self.problems: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.count = 0

    def fail(self, code: str, message: str, node: Node, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, _loc(self.file, node), hint=hint))

    def build(self, node: Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > self.limits.max_nodes:
            if self.count == self.limits.max_nodes + 1:
                self.fail("yaml.too_many_nodes", f"more than {self.limits.max_nodes} values", node)
            return None
        if depth > self.limits.max_depth:
            self.fail("yaml.too_deep", f"nested deeper than {self.limits.max_depth} levels", node)
            return None
        if id(node) in self.seen or getattr(node, "anchor", None):
            self.fail("yaml.alias", "anchors and aliases (&, *) are not allowed in packs or projects",
                      node, hint="write the value out where it is needed")
            return None
        self.seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS:
            self.fail("yaml.tag", f"the tag `{node.tag}` is not allowed: packs and projects are plain data",
                      node, hint="remove the tag; only strings, numbers, booleans, dates, lists and maps")
            return None
        self.positions[path] = _loc(self.file, node)
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _CORE + "merge":
                    self.fail("yaml.merge", "merge keys (<<) are not allowed", key_node)
                    continue
                if not isinstance(key_node, ScalarNode) or key_node.tag not in _ALLOWED_TAGS:
                    self.fail("yaml.key", "a key must be a plain string", key_node)
                    continue
                if key_node.tag != _CORE + "str":
                    kind = str(key_node.tag)[len(_CORE):]
                    self.fail("yaml.key", f"the key `{key_node.value}` is read as a {kind}, not as text",
                              key_node, hint=f"quote it: '{key_node.value}'")
                    continue
                key = str(key_node.value)
                if key in result:
                    self.fail("yaml.duplicate_key", f"duplicate key `{key}`", key_node,
                              hint="each key may appear once in a mapping")
                    continue
                self.key_positions[(*path, key)] = _loc(self.file, key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node)

    def scalar(self, node: ScalarNode) -> Any:
        value = node.value
        if len(value) > self.limits.max_scalar_chars:
            self.fail("yaml.too_long", f"a value of {len(value)} characters exceeds "
                      f"{self.limits.max_scalar_chars}", node)
            return None
        tag = str(node.tag)[len(_CORE):]
        if tag == "str":
            return value
        if tag == "float":
            try:
                number = Decimal(value.replace("_", ""))
            except InvalidOperation:
                self.fail("yaml.number", f"`{value}` is not a finite decimal number", node)
                return None
            if not number.is_finite():
                self.fail("yaml.number", f"`{value}` is not a finite number", node)
                return None
            if _written_digits(number) > self.limits.max_number_digits:
                self.fail("yaml.number", f"`{_shorten(value)}` is out of range: written out it has more than "
                          f"{self.limits.max_number_digits} digits", node)
                return None
            return number
        if tag == "int" and len(_INT_DIGITS.findall(value)) > self.limits.max_number_digits:
            self.fail("yaml.number", f"`{_shorten(value)}` is out of range: more than "
                      f"{self.limits.max_number_digits} digits", node)
            return None
        if tag == "timestamp":
            if not _DATE.match(value):
                self.fail("yaml.datetime", f"`{value}`: write a date as YYYY-MM-DD (no time of day)", node)
                return None
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.fail("yaml.date", f"`{value}` is not a valid date", node)
                return None
        # int, bool, null: the safe constructor's scalar rules (YAML 1.2 core schema)
        try:
            return self.constructor.construct_object(node, deep=False)
        except (ValueError, ArithmeticError, YAMLError):
            self.fail("yaml.number" if tag == "int" else "yaml.scalar", f"`{_shorten(value)}` cannot be read as "
                      f"a {tag}", node)
            return None


def _written_digits(number: Decimal) -> int:
    """How many digits ``format(number, "f")`` has, computed without writing it out."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        return 1 if not any(digits) else len(digits) + exponent
    return max(len(digits) + exponent, 1) + -exponent


def _shorten(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else f"{text[:keep]}… ({len(text)} characters)"
