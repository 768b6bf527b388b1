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

Two ways to the same result. ruamel.yaml's pure-Python parser costs about 70 µs a value, most of
the time of loading a pack; so where ruamel.yaml.clib is installed, its C parser (libyaml) reads
the events and :func:`_load_events` builds the values from them in one iterative pass, with the
same limits and refusals. libyaml is not ruamel's parser, though: it reads tabs, the Unicode line
separators, directives and some flow forms differently, places an empty value elsewhere, and words
its errors in its own way. So the C path takes only what it is known to read identically, and hands
everything else (any syntax error, anchor or alias, unusual tag, directive, second document, tab,
Unicode line separator, control character) to the pure path, which stays the reference: a file
either loads identically on both paths, or is read by the pure path alone (tests/test_yaml_paths.py
holds the two paths to that on every YAML file in the repository and on mutated packs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import StringIO
from typing import Any, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

from govrules.diagnostics import Diagnostic, SourceLocation
from govrules.models.dates import parse_date
from govrules.printable import shorten

try:  # libyaml's parser, from ruamel.yaml.clib (a dependency; absent on a platform without its wheel)
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # pragma: no cover - exercised by tests that set _CParser to None
    _CParser = None

Path = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_STR = _CORE + "str"
_MERGE = _CORE + "merge"
_NULL = _CORE + "null"
_BOOL = _CORE + "bool"
_INT = _CORE + "int"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_DIGITS = re.compile(r"[0-9a-fA-F]")
_YAML_DIRECTIVE = re.compile(r"^%YAML", re.MULTILINE)
#: What `!!bool` may be: YAML 1.2's core schema (ruamel's constructor would also take 1.1's `yes`, `on`, `y`).
_BOOLS: dict[str, bool] = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


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
    """Plain data from a YAML file, with positions of values and keys by path, and the paths of the
    mappings written in flow style (``{a: 1, b: 2}``), where an unquoted comma ends a value."""

    data: Any
    file: str
    positions: dict[Path, SourceLocation] = field(default_factory=dict)
    key_positions: dict[Path, SourceLocation] = field(default_factory=dict)
    flow_mappings: set[Path] = field(default_factory=set)

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


def read_bounded(path: str | os.PathLike[str], limit: int = DEFAULT_LIMITS.max_bytes) -> bytes:
    """At most ``limit + 1`` bytes of the file at ``path``: enough for :func:`read_text` to refuse a file
    over ``limit`` without reading it whole (``/dev/zero`` has no end; a 300 MB file would be held in
    memory only to be refused). Raises ``OSError`` as ``Path.read_bytes`` does."""
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


def read_text(raw: bytes, file: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Decode a file's bytes as UTF-8, refusing oversize or undecodable input with a position."""
    if len(raw) > limits.max_bytes:
        raise YamlInputError([Diagnostic(
            "yaml.too_large", f"the file is larger than {limits.max_bytes} bytes, the limit",
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
    if _CParser is not None and _PURE_ONLY.search(text) is None:
        try:
            return _load_events(text, file, limits)
        except _LimitExceeded as exc:
            raise YamlInputError([Diagnostic(exc.code, exc.message, _mark_location(file, exc.mark))]) from None
        except _UsePure:
            pass
    return _load_pure(text, file, limits)


def _load_pure(text: str, file: str, limits: Limits) -> Document:
    """:func:`load_yaml` with ruamel.yaml's pure-Python parser and composer: the reference path."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _LimitedComposer
    yaml.composer.limits = limits
    yaml.composer.warn_double_anchors = False  # every anchor is refused below, with its position
    try:
        nodes = list(_compose_all(yaml, text))
    except _LimitExceeded as exc:
        where = _mark_location(file, exc.mark)
        if exc.code == "yaml.version":
            directive = _YAML_DIRECTIVE.search(text)
            where = _offset_location(file, text, directive.start() if directive else 0)
        raise YamlInputError([Diagnostic(exc.code, exc.message, where,
                                         hint="remove the `%YAML` line (or write `%YAML 1.2`)"
                                         if exc.code == "yaml.version" else None)]) from None
    except ReaderError as exc:
        # a character YAML does not allow (NUL, other control characters): point at it
        raise YamlInputError([Diagnostic(
            "yaml.character", f"invalid YAML: character U+{exc.character:04X} is not allowed in a YAML file"
            if isinstance(exc.character, int) else f"invalid YAML: {exc.reason}",
            _offset_location(file, text, exc.position), hint="remove the control character")]) from None
    except MarkedYAMLError as exc:
        flow = _flow_error(text, file, exc)
        if flow is not None:
            raise YamlInputError([flow]) from None
        mark = exc.problem_mark or exc.context_mark
        loc = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlInputError([Diagnostic("yaml.syntax", f"invalid YAML: {problem}", loc,
                                         hint=_quote_hint(text, mark.line if mark else None, problem))]) from None
    except YAMLError as exc:
        raise YamlInputError([Diagnostic("yaml.syntax", f"invalid YAML: {exc}",
                                         SourceLocation(file, 1, 1))]) from None
    except RecursionError:
        raise YamlInputError([Diagnostic("yaml.too_deep", "the document is nested too deeply",
                                         SourceLocation(file, 1, 1))]) from None
    except AssertionError as exc:  # ruamel's parser asserts the version of a `%YAML` directive
        raise YamlInputError([Diagnostic("yaml.syntax", f"invalid YAML: {exc}", SourceLocation(file, 1, 1))]) from None
    if len(nodes) != 1:
        raise YamlInputError([Diagnostic(
            "yaml.documents", f"expected exactly one YAML document, found {len(nodes)}",
            SourceLocation(file, 1, 1))])
    builder = _Builder(file, limits, yaml)
    data = builder.build(nodes[0], (), 0)
    return builder.document(data)


def _compose_all(yaml: YAML, text: str) -> Iterator[Node]:
    # compose never runs a constructor; aliases come back as the same node object (refused below).
    yield from yaml.compose_all(StringIO(text))


def _mark_location(file: str, mark: Any) -> SourceLocation:
    if mark is None:
        return SourceLocation(file, 1, 1)
    return SourceLocation(file, mark.line + 1, mark.column + 1)


_QUOTE_PROBLEMS = ("expected <block end>", "mapping values are not allowed", "did not find expected key",
                   "could not find expected ':'", "expected ',' or ']'", "expected ',' or '}'")


def _quote_hint(text: str, line: int | None, problem: str) -> str | None:
    """A hint for a value YAML misread because it was not quoted: typically a condition starting with a
    quote or a bracket (``when: 'a' in funding_sources``), or holding ``: `` or `` #``."""
    if line is None or not any(problem.startswith(p) for p in _QUOTE_PROBLEMS):
        return None
    lines = text.splitlines()
    for number in (line, line - 1):  # the error may be reported at the start of the next line
        if not 0 <= number < len(lines):
            continue
        key, sep, value = lines[number].strip().removeprefix("- ").partition(": ")
        value = value.strip()
        if sep and key.replace("_", "").isalnum() and value and value[0] not in "|>":
            return (f"quote the whole value of `{key}` — YAML reads a value starting with a quote or a bracket, "
                    f"or holding ': ' or ' #', as YAML: {key}: \"{value.replace(chr(34), chr(92) + chr(34))}\" "
                    f"(or write `{key}: >-` and the condition on the next line, indented)")
    return None


_FLOW_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:\s")


def _flow_error(text: str, file: str, exc: MarkedYAMLError) -> Diagnostic | None:
    """The diagnostic of a syntax error inside a flow mapping or sequence (``{…}``, ``[…]``), placed where
    the mistake is; None for any other error.

    ruamel's problem mark is the token the parser could not take. When that token is on the same line as
    the one before it, it is the mistake (an unquoted ``: `` in a value). When it is on a later line — the
    next key of the enclosing block, the next list item, the end of the file — the collection was left
    open, and the mistake is where it should have been closed: just after its last token (the context
    mark, where the collection opens, is named in the message).
    """
    problem, opened, mark = exc.problem or "", exc.context_mark, exc.problem_mark
    if (opened is None or mark is None or not problem.startswith("expected ',' or ")
            or exc.context not in ("while parsing a flow mapping", "while parsing a flow sequence")):
        return None
    what, closer = ("mapping", "}") if exc.context == "while parsing a flow mapping" else ("sequence", "]")
    start = f"{opened.line + 1}:{opened.column + 1}"
    lines = text.splitlines()
    unclosed = _unclosed_at(lines, opened.line, mark.line)
    if unclosed is None:
        last = _token_end_before(text, mark.index)
        if last is not None and last.line < mark.line:
            unclosed = (last.line, last.column)
        elif problem.endswith(("'<stream end>'", f"'{'}' if closer == ']' else ']'}'")):
            unclosed = (mark.line, mark.column)  # the file, or the enclosing collection, ends first
    if unclosed is not None:
        return Diagnostic(
            "yaml.syntax", f"invalid YAML: the flow {what} opened at {start} is not closed: `{closer}` is missing "
            f"here ({problem}, at {mark.line + 1}:{mark.column + 1})",
            SourceLocation(file, unclosed[0] + 1, unclosed[1] + 1),
            hint=f"close it with `{closer}` here, or write it as a block {what} "
                 f"(one {'`key: value`' if closer == '}' else '`- item`'} a line)")
    line = lines[mark.line] if mark.line < len(lines) else ""
    keys = list(_FLOW_KEY.finditer(line, 0, mark.column))
    hint = "inside `{…}` or `[…]` a value holding ': ', ',', a bracket or ' #' must be quoted"
    if keys and problem.endswith("but got ':'"):
        key = keys[-1]
        end = min([i for i in (line.find(c, mark.column) for c in ",}]") if i >= 0] or [len(line)])
        value = line[key.end():end].strip()
        hint = (f"quote the value of `{key.group(1)}` — inside `{{…}}` a ': ' ends a key: "
                f"{key.group(1)}: \"{value.replace(chr(34), chr(92) + chr(34))}\"")
    return Diagnostic("yaml.syntax", f"invalid YAML: {problem} (in the flow {what} opened at {start})",
                      SourceLocation(file, mark.line + 1, mark.column + 1), hint=hint)


def _unclosed_at(lines: list[str], opened: int, problem: int) -> tuple[int, int] | None:
    """Where a flow collection opened on line ``opened`` (0-based) was left open, when a line up to
    ``problem`` is indented no deeper than that line — the next key or item of the enclosing block, which
    the lenient parser read as more of the collection (a plain value may run on over lines): the end of
    the last line with content before it (0-based line and column). None when no line is."""
    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def content(line: str) -> bool:
        return bool(line.strip()) and not line.lstrip().startswith("#")

    base = indent(lines[opened])
    for number in range(opened + 1, min(problem, len(lines) - 1) + 1):
        if content(lines[number]) and indent(lines[number]) <= base:
            before = next(n for n in range(number - 1, opened - 1, -1) if content(lines[n]))
            text = lines[before]
            comment = text.find(" #")  # a comment after the value (a quoted ' #' is rare in a flow value)
            return before, len((text[:comment] if comment >= 0 else text).rstrip())
    return None


def _token_end_before(text: str, index: int) -> Any:
    """The end mark of the last YAML token that ends before character ``index`` of ``text``, or None."""
    last = None
    try:
        for token in YAML(typ="safe", pure=True).scan(StringIO(text)):
            if token.start_mark.index >= index:
                break
            if token.end_mark.index <= index and token.end_mark.index > token.start_mark.index:
                last = token.end_mark
    except YAMLError:
        pass
    return last


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

    def compose_document(self) -> Any:
        # `%YAML 1.1` would switch the resolver to YAML 1.1: `0600000` octal, `8:20:00` sexagesimal,
        # `yes`/`on` booleans. A pack or a project is read as YAML 1.2 or not at all.
        version = getattr(self.parser.peek_event(), "version", None)
        if version is not None and tuple(version) != (1, 2):
            raise _LimitExceeded("yaml.version", f"a `%YAML {'.'.join(map(str, version))}` directive is not "
                                 "allowed: packs and projects are read as YAML 1.2", None)
        return super().compose_document()

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
        self.flow_mappings: set[Path] = set()
        self.problems: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.count = 0

    def fail(self, code: str, message: str, where: Node | SourceLocation, hint: str | None = None) -> None:
        location = where if isinstance(where, SourceLocation) else _loc(self.file, where)
        self.problems.append(Diagnostic(code, message, location, hint=hint))

    def document(self, data: Any) -> Document:
        """The built ``data`` as a :class:`Document`, or every problem found as one :class:`YamlInputError`."""
        if self.problems:
            raise YamlInputError(sorted(self.problems, key=lambda d: (d.location or SourceLocation("", 0, 0))))
        return Document(data, self.file, self.positions, self.key_positions, self.flow_mappings)

    def key(self, value: str, tag: str, result: dict[str, Any], where: Node | SourceLocation) -> bool:
        """Whether the scalar key ``value`` (of ``tag``) may be added to ``result``; if not, say why."""
        if tag == _MERGE:
            self.fail("yaml.merge", "merge keys (<<) are not allowed", where)
        elif tag not in _ALLOWED_TAGS:
            self.fail("yaml.key", "a key must be a plain string", where)
        elif tag != _STR:
            self.fail("yaml.key", f"the key `{value}` is read as a {tag[len(_CORE):]}, not as text", where,
                      hint=f"quote it: '{value}'")
        elif value in result:
            self.fail("yaml.duplicate_key", f"duplicate key `{value}`", where,
                      hint="each key may appear once in a mapping")
        else:
            return True
        return False

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
            if node.flow_style:
                self.flow_mappings.add(path)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if getattr(key_node, "anchor", None):
                    self.fail("yaml.alias", "anchors and aliases (&, *) are not allowed in packs or projects",
                              key_node, hint="write the key out")
                    continue
                if not isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                    self.fail("yaml.key", "a key must be a plain string", key_node)
                    continue
                key = str(key_node.value)
                if not self.key(key, str(key_node.tag), result, key_node):
                    continue
                self.key_positions[(*path, key)] = _loc(self.file, key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node)

    def scalar(self, node: ScalarNode) -> Any:
        return self.scalar_value(node.value, str(node.tag), node, node)

    def scalar_value(self, value: str, tag: str, where: Node | SourceLocation, node: ScalarNode | None) -> Any:
        """The value of a scalar of ``tag`` (refused at ``where``); ``node`` is the scalar's, if there is one."""
        if len(value) > self.limits.max_scalar_chars:
            self.fail("yaml.too_long", f"a value of {len(value)} characters exceeds "
                      f"{self.limits.max_scalar_chars}", where)
            return None
        tag = tag[len(_CORE):]
        if tag == "str":
            return value
        if tag == "float":
            try:
                number = Decimal(value.replace("_", ""))
            except InvalidOperation:
                self.fail("yaml.number", f"`{value}` is not a finite decimal number", where)
                return None
            if not number.is_finite():
                self.fail("yaml.number", f"`{value}` is not a finite number", where)
                return None
            if _written_digits(number) > self.limits.max_number_digits:
                self.fail("yaml.number", f"`{_shorten(value)}` is out of range: written out it has more than "
                          f"{self.limits.max_number_digits} digits", where)
                return None
            return number
        if tag == "int" and len(_INT_DIGITS.findall(value)) > self.limits.max_number_digits:
            self.fail("yaml.number", f"`{_shorten(value)}` is out of range: more than "
                      f"{self.limits.max_number_digits} digits", where)
            return None
        if tag == "timestamp":
            if not _DATE.fullmatch(value):
                self.fail("yaml.datetime", f"`{_shorten(value)}`: write a date as YYYY-MM-DD (no time of day)", where)
                return None
            try:
                return parse_date(value)
            except ValueError as exc:
                self.fail("yaml.date", str(exc), where)
                return None
        if tag == "bool":
            if value not in _BOOLS:
                self.fail("yaml.scalar", f"`{_shorten(value)}` is not a boolean: write true or false (YAML 1.2)",
                          where)
                return None
            return _BOOLS[value]
        # int, bool, null: the safe constructor's scalar rules (YAML 1.2 core schema)
        if node is None:
            node = ScalarNode(_CORE + tag, value, None, None)
        try:
            return self.constructor.construct_object(node, deep=False)
        except (ValueError, ArithmeticError, LookupError, YAMLError):  # LookupError: `!!bool maybe`
            self.fail("yaml.number" if tag == "int" else "yaml.scalar", f"`{_shorten(value)}` cannot be read as "
                      f"a {tag}", where)
            return None


def _written_digits(number: Decimal) -> int:
    """How many digits ``format(number, "f")`` has, computed without writing it out."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        return 1 if not any(digits) else len(digits) + exponent
    return max(len(digits) + exponent, 1) + -exponent


_shorten = shorten


# --------------------------------------------------------------------------------------------------
# The C path: libyaml's events, built into values in one iterative pass.

#: Characters after which the C path does not vouch for reading as the pure path does: those the pure
#: reader refuses (control characters, surrogates), the tab (ruamel refuses it in places libyaml takes
#: it), NEL, LS and PS (line breaks to libyaml, not to ruamel) and the BOM (read_text drops a leading one;
#: libyaml refuses one further on). Such a file goes to the pure path whole; the bundled packs have none.
#: (Written as the characters it matches: the same set as its complement
#: ``[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]``, which takes
#: ten times as long to compile, a cost paid by every command that reads YAML.)
_PURE_ONLY = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
#: What the scanner skips between tokens (tabs never get here): spaces, line breaks, comments.
_BETWEEN_TOKENS = re.compile(r"(?: |\r\n|\r|\n|#[^\r\n]*)*")
_DECIMAL = re.compile(r"[-+]?[0-9]+")


class _UsePure(Exception):
    """The document holds something the C path leaves to the pure path."""


class _Mark(NamedTuple):
    """A 0-based position, as in ruamel's marks."""

    line: int
    column: int


def _implicit_resolvers() -> tuple[dict[str, list[tuple[str, re.Pattern[str]]]], list[tuple[str, re.Pattern[str]]]]:
    """ruamel's implicit resolvers for YAML 1.2 (the pure path's version for a document without ``%YAML``):
    by first character, each list followed by those for any character (as ``VersionedResolver.resolve``
    tries them), and those for any character; patterns compiled once, not through ruamel's lazy wrapper."""
    table = VersionedResolver(version=(1, 2)).versioned_resolver

    def compiled(resolvers: Any) -> list[tuple[str, re.Pattern[str]]]:
        return [(str(tag), _compiled(regexp)) for tag, regexp in resolvers]

    anywhere = compiled(table.get(None, []))
    return {first: compiled(resolvers) + anywhere for first, resolvers in table.items() if first is not None}, anywhere


def _compiled(regexp: Any) -> re.Pattern[str]:
    """The pattern ruamel's lazy ``RegExp`` wraps, compiled by ruamel (once: recompiling it with its
    flags would compile each pattern a second time, the flags differing from those ruamel gave)."""
    lazy = getattr(regexp, "lazy_self", None)
    found = lazy() if callable(lazy) else regexp
    if isinstance(found, re.Pattern):
        return found
    return re.compile(regexp.pattern, regexp.flags)  # pragma: no cover - a ruamel without the lazy wrapper


_IMPLICIT, _IMPLICIT_ANYWHERE = _implicit_resolvers()


def _resolve_plain(value: str) -> str:
    """The tag ruamel's resolver gives the plain scalar ``value``. (Not ``VersionedResolver.resolve``
    itself: its ``Tag`` objects decode their text character by character, some µs a scalar.)"""
    for tag, regexp in _IMPLICIT.get(value[:1], _IMPLICIT_ANYWHERE):
        if regexp.match(value):
            return tag
    return _STR


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = ("block", "built", "is_key", "key", "mapping", "path", "value")

    def __init__(self, value: Any, path: Path, mapping: bool, block: bool, built: bool, is_key: bool) -> None:
        self.value = value  # the dict or list being filled (None when not built)
        self.path = path
        self.mapping = mapping
        self.block = block
        self.built = built  # False inside a refused key, or the value of one: composed and counted only
        self.is_key = is_key
        self.key: Any = _NO_KEY  # a mapping's pending key: _NO_KEY, the key text, or _REFUSED


_NO_KEY = object()
_REFUSED = object()


def _token_after(text: str, mark: Any) -> _Mark:
    """Where the pure scanner's next token starts, from libyaml's mark of the end of the previous one.

    An empty value in a block mapping (``key:`` and nothing else on the line) is placed by libyaml
    just after the ``:``, and by ruamel at the next token (the next key, or the end of the mapping).
    """
    start = mark.index  # in characters of `text`, like ruamel's
    between = _BETWEEN_TOKENS.match(text, start)
    assert between is not None  # the pattern matches the empty string
    gap = text[start:between.end()]
    breaks = gap.count("\n") + gap.count("\r") - gap.count("\r\n")
    if not breaks:
        return _Mark(mark.line, mark.column + len(gap))
    return _Mark(mark.line + breaks, len(gap) - max(gap.rfind("\n"), gap.rfind("\r")) - 1)


def _load_events(text: str, file: str, limits: Limits) -> Document:
    """:func:`load_yaml` on libyaml's events; raises :class:`_UsePure` for what it leaves to the pure path.

    Every value is counted and its depth checked at its event, as :class:`_LimitedComposer` does at its
    node, and built as :class:`_Builder` would build it.
    """
    parser = _CParser(text)
    try:
        return _build_events(parser.get_event, text, file, limits)
    except YAMLError:  # libyaml's refusal: the pure path words the error (or reads what libyaml cannot)
        raise _UsePure from None
    finally:
        parser.dispose()


def _build_events(next_event: Any, text: str, file: str, limits: Limits) -> Document:
    builder = _Builder(file, limits, YAML(typ="safe", pure=True))
    positions, key_positions = builder.positions, builder.key_positions
    max_nodes, max_depth, max_chars = limits.max_nodes, limits.max_depth, limits.max_scalar_chars
    max_digits = limits.max_number_digits
    if type(next_event()) is not StreamStartEvent:
        raise _UsePure
    event = next_event()
    if type(event) is not DocumentStartEvent or event.version is not None or event.tags:
        raise _UsePure  # no document (the pure path counts them), or directives
    stack: list[_Open] = []
    values = 0
    while True:
        event = next_event()
        kind = type(event)
        parent = stack[-1] if stack else None
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            done = stack.pop()
            value, is_key, parent = done.value, done.is_key, stack[-1] if stack else None
        else:
            if kind is not ScalarEvent and kind is not MappingStartEvent and kind is not SequenceStartEvent:
                raise _UsePure  # an alias
            tag = event.ctag  # a str from libyaml (ruamel's pure parser makes a Tag)
            if event.anchor is not None or (tag is not None and tag not in _ALLOWED_TAGS):
                raise _UsePure  # `!` too: libyaml and ruamel disagree on whether `!` with no text is plain
            is_key = parent is not None and parent.mapping and parent.key is _NO_KEY
            mark = event.start_mark
            if kind is ScalarEvent:
                scalar = event.value
                if not scalar and tag is None and event.implicit[0]:  # an empty plain scalar
                    if parent is None or not parent.mapping or not parent.block or is_key:
                        raise _UsePure
                    mark = _token_after(text, mark)
            if not is_key:
                values += 1
                if values > max_nodes:
                    raise _LimitExceeded("yaml.too_many_nodes", f"more than {max_nodes} values", mark)
            if len(stack) > max_depth:
                raise _LimitExceeded("yaml.too_deep", f"nested deeper than {max_depth} levels", mark)
            where = SourceLocation(file, mark.line + 1, mark.column + 1)
            path: Path = ()
            if parent is None:
                built = True
            else:
                built = parent.built and not is_key and parent.key is not _REFUSED
                if built:
                    path = (*parent.path, parent.key if parent.mapping else len(parent.value))
            if kind is not ScalarEvent:  # a mapping or a sequence starts
                mapping = kind is MappingStartEvent
                if is_key and parent is not None and parent.built:
                    builder.fail("yaml.key", "a key must be a plain string", where)
                value = None
                if built:
                    positions[path] = where
                    value = {} if mapping else []
                    if mapping and event.flow_style:
                        builder.flow_mappings.add(path)
                stack.append(_Open(value, path, mapping, not event.flow_style, built, is_key))
                continue
            if tag is None:
                tag = _resolve_plain(scalar) if event.implicit[0] else _STR
            if is_key:
                assert parent is not None
                if parent.built and builder.key(scalar, tag, parent.value, where):
                    key_positions[(*parent.path, scalar)] = where
                    parent.key = scalar
                else:
                    parent.key = _REFUSED
                continue
            value = None
            if not built:
                pass
            elif tag not in _ALLOWED_TAGS:  # resolved from a plain scalar: `<<` as a value
                builder.fail("yaml.tag", f"the tag `{tag}` is not allowed: packs and projects are plain data",
                             where, hint="remove the tag; only strings, numbers, booleans, dates, lists and maps")
            else:
                positions[path] = where
                # the common cases first, as _Builder.scalar_value and ruamel's safe constructor read them
                # (for YAML 1.2: a document with `%YAML` never gets here)
                if len(scalar) > max_chars:
                    value = builder.scalar_value(scalar, tag, where, None)
                elif tag == _STR:
                    value = scalar
                elif tag == _NULL:
                    value = None
                elif tag == _BOOL and scalar in _BOOLS:
                    value = _BOOLS[scalar]
                elif tag == _INT and len(scalar) <= max_digits and _DECIMAL.fullmatch(scalar):
                    value = int(scalar)
                else:
                    value = builder.scalar_value(scalar, tag, where, None)
        # a node is complete: the root, or `parent`'s key, value or item
        if parent is None:
            break
        if is_key:
            parent.key = _REFUSED  # a mapping or a sequence as a key, refused at its start
        elif parent.mapping:
            if parent.built and parent.key is not _REFUSED:
                parent.value[parent.key] = value
            parent.key = _NO_KEY
        elif parent.built:
            parent.value.append(value)
    if type(next_event()) is not DocumentEndEvent or type(next_event()) is not StreamEndEvent:
        raise _UsePure  # a second document: the pure path counts them
    return builder.document(value)
