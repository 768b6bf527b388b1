"""Many projects, nothing lost: one output line per input record, a verdict or a structured error.

Records come from a directory of project files, a YAML/JSON file holding a list, a JSON Lines file,
or JSON Lines on standard input. They are read lazily and written as they are evaluated, so memory
does not grow with the input; the last line reconciles the counts (records = verdicts + errors).
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import io
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from io import StringIO
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import IO, Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from govrules.compile.compiler import CompiledPack
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.evaluator import evaluate
from govrules.errors import GovrulesError, ProjectError
from govrules.models.verdict import (
    Verdict,
)
from govrules.output.verdict_json import verdict_json, verdict_parts
from govrules.packs.projects import load_json, read_project_data, validate_project
from govrules.packs.yaml_io import DEFAULT_LIMITS, YamlInputError, load_yaml, read_text


@dataclass(frozen=True)
class Record:
    """One input record: where it came from, and its data or the error met reading it."""

    index: int
    source: str
    data: Any = None
    error: GovrulesError | None = None


def is_batch_source(path: str) -> bool:
    """Whether ``path`` names several records rather than one project."""
    if path == "-":
        return True
    p = Path(path)
    return p.is_dir() or p.suffix == ".jsonl"


#: Bytes of one JSON Lines record at most (its line, without the line break): the size of a project file.
MAX_RECORD_BYTES = DEFAULT_LIMITS.max_bytes

_BOM = b"\xef\xbb\xbf"
_JSON_SPACE = b" \t\r"  # with "\n", the only whitespace JSON allows between values
_CHUNK = 1 << 16


def _record_error(code: str, source: str, message: str, message_zh: str) -> ProjectError:
    error = ProjectError(f"{source}: {message}", source=source, errors=[{"path": "", "message": message}],
                         message_zh=f"{source}: {message_zh}")
    error.code = code
    return error


def _read_error(source: str, exc: OSError) -> ProjectError:
    reason = exc.strerror or type(exc).__name__
    return _record_error("unreadable", source, f"cannot be read: {reason}", f"无法读取（{reason}）")


def iter_records(path: str, stdin: IO[bytes] | IO[str] | None = None, *,
                 max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Record]:
    """The records of a directory, a list file, a JSON Lines file, or ``-`` (JSON Lines on stdin).

    Input is read as bytes: JSON Lines are split on ``\\n`` alone (a ``\\r`` before it is dropped),
    each line at most ``max_record_bytes`` (refused before it is parsed); undecodable bytes stay in
    the text as lone surrogates (a field holding them is refused at its path). A file or folder that
    cannot be read is a record of its own, an error.
    """
    if path == "-":
        handle = stdin if stdin is not None else sys.stdin
        yield from _jsonl(_byte_lines(handle), "<stdin>", max_record_bytes)
        return
    p = Path(path)
    if not p.exists() and not p.is_symlink():  # nothing to account for: bad input, not a record
        raise ProjectError(f"{path}: no such file or folder", source=path,
                           errors=[{"path": "", "message": "no such file or folder"}],
                           message_zh=f"{path}: 文件或文件夹不存在")
    if p.is_dir():
        index = 0
        for file, error in _walk(p):
            records = _file_records(file, max_record_bytes) if error is None else iter([Record(0, str(file),
                                                                                               error=error)])
            for record in records:
                yield Record(index, record.source, record.data, record.error)
                index += 1
        return
    yield from _file_records(p, max_record_bytes)


_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")


def _walk(folder: Path) -> list[tuple[Path, ProjectError | None]]:
    """The record files under ``folder``, sorted by path, and the folders that could not be listed."""
    found: list[tuple[Path, ProjectError | None]] = []

    def unlisted(exc: OSError) -> None:
        where = exc.filename if isinstance(exc.filename, str) else str(folder)
        found.append((Path(where), _read_error(where, exc)))

    for top, dirs, files in os.walk(folder, onerror=unlisted):
        dirs.sort()
        for name in files:
            file = Path(top, name)
            if file.suffix in _SUFFIXES and (file.is_file() or (not file.exists() and file.is_symlink())):
                found.append((file, None))
    found.sort(key=lambda entry: entry[0].parts)
    return found


def _file_records(file: Path, max_record_bytes: int) -> Iterator[Record]:
    source = str(file)
    try:
        handle = file.open("rb")
    except OSError as exc:
        yield Record(0, source, error=_read_error(source, exc))
        return
    with handle:
        if file.suffix == ".jsonl":
            yield from _jsonl(_byte_lines(handle), source, max_record_bytes)
            return
        try:
            first = handle.read(_CHUNK)
            if file.suffix == ".json" and first.removeprefix(_BOM).lstrip(b" \t\r\n")[:1] == b"[":
                yield from _JsonList(handle, first, source, max_record_bytes).records()
                return
            raw = first + handle.read(DEFAULT_LIMITS.max_bytes + 1 - len(first))  # more is refused below
        except OSError as exc:
            yield Record(0, source, error=_read_error(source, exc))
            return
    try:
        data = read_project_data(raw, source)
    except ProjectError as exc:
        items = _yaml_list_records(raw, source) if file.suffix in (".yaml", ".yml") else None
        yield from items if items is not None else [Record(0, source, error=exc)]
        return
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield Record(i, f"{file}[{i}]", data=item)
    else:
        yield Record(0, source, data=data)


# ------------------------------------------------------------------------------------ list files
#
# A JSON file holding a list is read item by item (each item bounded like a JSON Lines record), so
# its size is not bounded by the project-file limit and a bad item is an error line of its own. A
# YAML list is parsed whole (within the project-file limits); if that fails for what one item holds
# (a duplicate key, a tag, a number too long...), each item is parsed on its own.

_LENIENT_JSON = json.JSONDecoder(object_pairs_hook=lambda pairs: None, parse_int=lambda s: None,
                                 parse_float=lambda s: None, parse_constant=lambda s: None)
_SPACE = " \t\r\n"


class _JsonList:
    """The items of a JSON list read from a binary stream, one at a time."""

    def __init__(self, handle: IO[bytes], first: bytes, source: str, limit: int) -> None:
        self.handle = handle
        self.source = source
        self.limit = limit
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text = self.decoder.decode(first)
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        """Read another chunk; False when nothing more came (the end of the file)."""
        if self.eof:
            return False
        chunk = self.handle.read(_CHUNK)
        self.eof = not chunk
        if self.pos > _CHUNK:  # what is read is dropped
            self.text, self.pos = self.text[self.pos:], 0
        added = self.decoder.decode(chunk, final=self.eof)
        self.text += added
        return bool(added)

    def skip_space(self) -> str:
        """The next character that is not JSON whitespace ("" at the end)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def where(self) -> str:
        return f"{self.source}: at character {self.pos:,} of the list"

    def records(self) -> Iterator[Record]:
        if self.skip_space() == "\ufeff":  # a byte order mark opening the file
            self.pos += 1
        self.skip_space()
        self.pos += 1  # the "[" (the caller has seen it)
        index = 0
        if self.skip_space() == "]":
            self.pos += 1
        else:
            while True:
                source = f"{self.source}[{index}]"
                record, ok = self.item(index, source)
                yield record
                index += 1
                if not ok:
                    return
                after = self.skip_space()
                self.pos += 1
                if after == "]":
                    break
                if after != ",":
                    yield self.broken(index, f"{self.source}[{index}]", "expected `,` or `]` after an item"
                                      if after else "the list is not closed (`]` missing)")
                    return
        if self.skip_space():
            yield self.broken(index, f"{self.source}[{index}]", "more after the list's closing `]`")

    def broken(self, index: int, source: str, message: str) -> Record:
        return Record(index, source, error=_record_error(
            "project_invalid", source, f"invalid JSON: {message} ({self.where()}); the rest of the file is not read",
            "JSON 格式错误，文件其余部分无法读取"))

    def item(self, index: int, source: str) -> tuple[Record, bool]:
        """The record of the item at ``pos``, and whether the list can be read past it."""
        self.skip_space()
        start = self.pos
        while True:
            try:
                end = _LENIENT_JSON.raw_decode(self.text, start)[1]
            except json.JSONDecodeError as exc:
                if len(self.text) - start > self.limit:
                    return self.too_large(index, source, start)
                if self.more():
                    start = self.pos
                    continue
                self.pos = max(exc.pos, start)
                return self.broken(index, source, exc.msg), False
            except RecursionError:
                return self.skipped(index, source, start, _record_error(
                    "project_invalid", source, "the JSON is nested too deeply", "JSON 嵌套过深"))
            if end == len(self.text) and not self.eof:  # a number may go on in the next chunk
                self.more()
                start = self.pos
                continue
            break
        text = self.text[start:end]
        self.pos = end
        size = len(text) if len(text) * 4 <= self.limit else len(text.encode("utf-8", "surrogateescape"))
        if size > self.limit:
            return Record(index, source, error=_too_large(source, size, self.limit)), True
        try:
            return Record(index, source, data=load_json(text, source)), True
        except ProjectError as exc:
            return Record(index, source, error=exc), True

    def too_large(self, index: int, source: str, start: int) -> tuple[Record, bool]:
        size = len(self.text) - start
        return self.skipped(index, source, start, _too_large(source, size, self.limit, more=True))

    def skipped(self, index: int, source: str, start: int, error: ProjectError) -> tuple[Record, bool]:
        """``error`` for the item at ``start``, skipped to its end without holding it."""
        self.pos = start
        return Record(index, source, error=error), self.skip_value()

    def skip_value(self) -> bool:
        """Move past the object, list or string at ``pos``; False if the file ends first."""
        depth, in_string, escaped = 0, False, False
        while True:
            text, pos = self.text, self.pos
            while pos < len(text):
                char = text[pos]
                pos += 1
                if in_string:
                    if escaped:
                        escaped = False
                    elif char == "\\":
                        escaped = True
                    elif char == '"':
                        in_string = False
                        if depth == 0:
                            self.pos = pos
                            return True
                elif char == '"':
                    in_string = True
                elif char in "[{":
                    depth += 1
                elif char in "]}":
                    depth -= 1
                    if depth <= 0:
                        self.pos = pos
                        return depth == 0
            self.pos = pos
            if not self.more():
                return False


def _too_large(source: str, size: int, limit: int, *, more: bool = False) -> ProjectError:
    at_least = " or more" if more else ""
    return _record_error("record_too_large", source, f"the record is {size:,} bytes{at_least}; the limit is {limit:,}",
                         f"该记录有 {size:,} 字节{'以上' if more else ''}，超过上限 {limit:,} 字节")


def _yaml_list_records(raw: bytes, source: str) -> list[Record] | None:
    """Each item of a YAML list parsed on its own; None when the file is not a list YAML can split."""
    try:
        text = read_text(raw, source)
        events = list(YAML(typ="safe", pure=True).parse(StringIO(text)))
    except (YamlInputError, YAMLError, RecursionError, AssertionError):
        return None
    spans: list[tuple[int, int, int, int]] = []  # start, end, line, column of each top-level item
    depth = 0
    tops = 0
    start: Any = None
    for event in events:
        if isinstance(event, DocumentStartEvent | DocumentEndEvent | StreamStartEvent | StreamEndEvent):
            continue
        opens = isinstance(event, SequenceStartEvent | MappingStartEvent)
        closes = isinstance(event, SequenceEndEvent | MappingEndEvent)
        if depth == 0:
            tops += 1
            if not isinstance(event, SequenceStartEvent) or tops > 1:
                return None  # not one list
        elif depth == 1 and not closes:
            start = event.start_mark
        if opens:
            depth += 1
        elif closes:
            depth -= 1
        if depth == 1 and start is not None and (closes or not opens):
            spans.append((start.index, event.end_mark.index, start.line, start.column))
            start = None
    records = []
    for i, (begin, end, line, column) in enumerate(spans):
        item_source = f"{source}[{i}]"
        try:
            data = load_yaml(" " * column + text[begin:end], source).data
        except YamlInputError as exc:
            diagnostics = [dataclasses.replace(d, location=dataclasses.replace(d.location, line=d.location.line + line))
                           if d.location is not None else d for d in exc.diagnostics]
            first = diagnostics[0]
            error = ProjectError(f"{item_source}: {first}", source=item_source,
                                 errors=[{**d.to_dict(), "path": ""} for d in diagnostics],
                                 message_zh=f"{first.location or source}: 无法读取为项目数据（{first.code}）")
            records.append(Record(i, item_source, error=error))
        else:
            records.append(Record(i, item_source, data=data))
    return records


_ReadLine = Callable[[int], bytes]


def _byte_lines(handle: IO[bytes] | IO[str]) -> _ReadLine:
    """``readline(size)`` of ``handle`` in bytes: its binary buffer when it has one (``sys.stdin``)."""
    raw = getattr(handle, "buffer", handle)
    if isinstance(raw, io.TextIOBase):
        text = raw
        return lambda size: text.readline(size).encode("utf-8", "surrogateescape")
    return cast("IO[bytes]", raw).readline


def _jsonl(readline: _ReadLine, name: str, limit: int) -> Iterator[Record]:
    index = 0
    line_no = 0
    while True:
        source = f"{name}:{line_no + 1}"
        try:
            raw = readline(limit + 3)  # the record, "\r\n", and one byte more: too long
        except OSError as exc:
            yield Record(index, source, error=_read_error(source, exc))
            return
        if not raw:
            return
        line_no += 1
        ended = raw.endswith(b"\n")
        body = raw[:-1] if ended else raw
        if body.endswith(b"\r"):
            body = body[:-1]
        if len(body) > limit:
            size = len(body)
            try:
                while not ended:  # the rest of the line, never held
                    chunk = readline(_CHUNK)
                    ended = not chunk or chunk.endswith(b"\n")
                    size += len(chunk) - chunk.endswith(b"\n")
            except OSError as exc:
                yield Record(index, source, error=_read_error(source, exc))
                return
            yield Record(index, source, error=_too_large(source, size, limit))
            index += 1
            continue
        if line_no == 1 and body.startswith(_BOM):
            body = body[len(_BOM):]  # a byte order mark opening the input is allowed
        if not body.strip(_JSON_SPACE):
            continue
        yield _json_record(index, source, body)
        index += 1


def _json_record(index: int, source: str, body: bytes) -> Record:
    if body.startswith(_BOM):
        return Record(index, source, error=_record_error(
            "project_invalid", source, "a byte order mark (U+FEFF) opens this line; only the first line may "
            "begin with one", "该行以字节顺序标记（BOM，U+FEFF）开头；只有第一行可以有"))
    text = body.decode("utf-8", "surrogateescape")
    if text.isspace():  # only whitespace, but not the kind JSON skips (U+3000, U+000C, U+001C...)
        odd = ", ".join(sorted({f"U+{ord(c):04X}" for c in text if c not in " \t\r"}))
        return Record(index, source, error=_record_error(
            "project_invalid", source, f"the line holds only whitespace JSON does not allow ({odd}); a blank "
            "line may hold spaces and tabs only", f"该行只有 JSON 不允许的空白字符（{odd}）；空行只能含空格和制表符"))
    try:
        return Record(index, source, data=load_json(text, source))
    except ProjectError as exc:
        return Record(index, source, error=exc)
    except (json.JSONDecodeError, UnicodeError) as exc:
        return Record(index, source, error=ProjectError(
            f"{source}: invalid JSON: {exc}", source=source, errors=[{"path": "", "message": str(exc)}],
            message_zh=f"{source}: JSON 格式错误"))


def evaluate_records(records: Iterator[Record], pack: CompiledPack, as_of: dt.date | None, *,
                     parameters: Mapping[str, Any] | None = None, calendar: WorkdayCalendar | None = None,
                     trace: bool = False, json_ready: bool = True, historical: bool = False, strict: bool = False,
                     readings: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """One JSON-ready line per record, in input order; a bad record never stops the batch.

    ``historical``, ``strict`` and ``readings`` are passed to :func:`govrules.evaluate` for every record.

    A line's ``verdict`` is ``verdict.model_dump(mode="json")``; with ``json_ready=False`` it is the
    :class:`~govrules.models.verdict.Verdict` itself, which :func:`write_jsonl` writes straight to JSON
    text (several times faster than building the dict and encoding it).
    """
    for position, record in enumerate(records):
        line: dict[str, Any] = {"record": position, "source": record.source}
        if record.error is not None:
            line.update(ok=False, error=record.error.to_dict())
        else:
            try:
                project = validate_project(record.data, source=record.source)
                verdict = evaluate(project, pack, as_of, parameters=parameters, calendar=calendar, trace=trace,
                                   historical=historical, strict=strict, readings=readings)
            except GovrulesError as exc:
                line.update(ok=False, error=exc.to_dict())
            except Exception as exc:
                line.update(ok=False, error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}",
                                             "message_zh": "评估该记录时发生内部错误（请报告）"})
            else:
                line.update(ok=True, project=project.id,
                            verdict=verdict.model_dump(mode="json") if json_ready else verdict)
        yield line


def _head_json(line: dict[str, Any]) -> str:
    """``json.dumps`` of ``line`` but its ``verdict`` (compact, non-ASCII as is), without the closing brace."""
    parts = []
    for key, value in line.items():
        if key == "verdict":
            continue
        kind = type(value)
        if type(key) is not str:
            break
        if kind is str:
            text = _encode_str(value)
        elif kind is int:
            text = int.__repr__(value)
        elif value is True:
            text = "true"
        elif value is False:
            text = "false"
        elif value is None:
            text = "null"
        else:
            break
        parts.append(f"{_encode_str(key)}:{text}")
    else:
        return f"{{{','.join(parts)}"
    head = {k: v for k, v in line.items() if k != "verdict"}
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]


def jsonl_line(line: dict[str, Any]) -> str:
    """One output line as compact JSON text (non-ASCII as is), without the newline.

    A :class:`~govrules.models.verdict.Verdict` under ``verdict`` is written as its JSON text
    (:func:`verdict_json`): the same text ``json.dumps`` would write for its
    ``model_dump(mode="json")``, spliced into the line rather than built as a dict and encoded.
    """
    return _line_text(line, "")


def _line_text(line: dict[str, Any], end: str) -> str:
    verdict = line.get("verdict")
    if isinstance(verdict, Verdict):
        if next(reversed(line)) == "verdict" and len(line) > 1:  # as evaluate_records builds it
            head = _head_json(line)
            out = [head, ',"verdict":']
            if verdict_parts(verdict, out):
                out.append("}" + end)
                return "".join(out)
            return f'{head},"verdict":{verdict_json(verdict)}}}{end}'
        line = {**line, "verdict": verdict.model_dump(mode="json")}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + end


class Interrupted(BaseException):
    """A signal (SIGINT, SIGTERM) asked a batch to stop; raised between output lines, never inside one.

    A ``BaseException``, as ``KeyboardInterrupt`` is: no ``except Exception`` of the record's
    evaluation turns it into an error line.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


class OutputFailed(Exception):
    """The output could not be written (a full disk, a closed pipe): ``counts`` says how far it got."""

    def __init__(self, counts: dict[str, Any], error: OSError) -> None:
        super().__init__(f"cannot write the output after {counts['records']} record(s): "
                         f"{error.strerror or error}")
        self.counts = counts
        self.error = error


class StopSignals:
    """While entered, SIGINT and SIGTERM stop a batch at a line boundary (main thread only).

    Outside a write the handler raises :class:`Interrupted` at once (a read, or a record's evaluation,
    is abandoned: it had no output yet); during a write it only notes the signal, and
    :func:`write_jsonl` stops once the line is whole.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.writing = False
        self.pending: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():  # only it may set handlers
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: object) -> None:
        if self.writing:
            if self.pending is None:
                self.pending = signum
            return
        raise Interrupted(signum)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    # inside a JSON string: an undecodable input byte (kept by "surrogateescape") as the text \xNN,
    # any other lone surrogate as the text \uNNNN (with the backslash escaped: UTF-8 cannot carry either)
    return f"\\\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\\\u{code:04x}"


def utf8_line(text: str) -> bytes:
    """``text`` (JSON) in UTF-8, an undecodable input byte it carries written as the text ``\\xNN``."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_escape_surrogate, text).encode()


def _valid_text(text: str) -> str:
    try:
        text.encode()
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_escape_surrogate, text)
    return text


def write_jsonl(lines: Iterator[dict[str, Any]], out: IO[str] | IO[bytes], progress: IO[str] | None = None, *,
                signals: StopSignals | None = None) -> dict[str, Any]:
    """Write lines (see :func:`jsonl_line`) and a final summary; return the counts.

    ``out`` may be a text or a binary stream; what is written is valid UTF-8 either way (see
    :func:`utf8_line`). Under ``signals`` a signal ends the batch on a whole line, with the summary
    (``"interrupted": "SIGTERM"`` in it, and in the counts). A failed write raises
    :class:`OutputFailed`.
    """
    counts: dict[str, Any] = {"records": 0, "verdicts": 0, "errors": 0}
    guard = signals if signals is not None else StopSignals()  # not entered: only its flags are used
    write: Callable[[str], object]
    if isinstance(out, io.TextIOBase):
        text_out = cast("IO[str]", out)
        write = lambda text: text_out.write(_valid_text(text))  # noqa: E731
    else:
        byte_out = cast("IO[bytes]", out)
        write = lambda text: byte_out.write(utf8_line(text))  # noqa: E731
    try:
        try:
            for line in lines:
                text = _line_text(line, "\n")  # the newline joined with the line: one copy less
                guard.writing = True
                write(text)
                counts["records"] += 1
                counts["verdicts" if line["ok"] else "errors"] += 1
                if progress is not None and counts["records"] % 500 == 0:
                    progress.write(f"\r{counts['records']} records, {counts['errors']} errors")
                    progress.flush()
                guard.writing = False
                if guard.pending is not None:
                    raise Interrupted(guard.pending)
        except Interrupted as exc:
            guard.writing = True  # from here on, a signal waits for the summary
            counts["interrupted"] = exc.name
        guard.writing = True
        if progress is not None:
            progress.write(f"\r{counts['records']} records, {counts['errors']} errors\n")
        write(json.dumps({"summary": counts}) + "\n")
        out.flush()
    except OSError as exc:
        raise OutputFailed(counts, exc) from exc
    finally:
        guard.writing = False
    return counts
