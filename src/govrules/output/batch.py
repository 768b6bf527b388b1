"""Many projects, nothing lost: one output line per input record, a verdict or a structured error.

Records come from a directory of project files, a YAML/JSON file holding a list, a JSON Lines file,
or JSON Lines on standard input. They are read lazily and written as they are evaluated, so memory
does not grow with the input; the last line reconciles the counts (records = verdicts + errors).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import IO, Any

from govrules.compile.compiler import CompiledPack
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.evaluator import evaluate
from govrules.errors import GovrulesError, ProjectError
from govrules.models.verdict import (
    Verdict,
)
from govrules.output.verdict_json import verdict_json, verdict_parts
from govrules.packs.projects import load_json, read_project_data, validate_project


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


def iter_records(path: str, stdin: IO[str] | None = None) -> Iterator[Record]:
    """The records of a directory, a list file, a JSON Lines file, or ``-`` (JSON Lines on stdin)."""
    if path == "-":
        yield from _jsonl(stdin or sys.stdin, "<stdin>")
        return
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".json", ".jsonl") and f.is_file())
        index = 0
        for file in files:
            for record in _file_records(file):
                yield Record(index, record.source, record.data, record.error)
                index += 1
        return
    yield from _file_records(p)


def _file_records(file: Path) -> Iterator[Record]:
    if file.suffix == ".jsonl":
        with file.open(encoding="utf-8", errors="surrogateescape") as handle:
            yield from _jsonl(handle, str(file))
        return
    try:
        data = read_project_data(file.read_bytes(), str(file))
    except ProjectError as exc:
        yield Record(0, str(file), error=exc)
        return
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield Record(i, f"{file}[{i}]", data=item)
    else:
        yield Record(0, str(file), data=data)


def _jsonl(handle: IO[str], name: str) -> Iterator[Record]:
    index = 0
    for line_no, line in enumerate(handle, 1):
        if not line.strip():
            continue
        source = f"{name}:{line_no}"
        try:
            data = load_json(line, source)
        except ProjectError as exc:
            yield Record(index, source, error=exc)
        except (json.JSONDecodeError, UnicodeError) as exc:
            yield Record(index, source, error=ProjectError(f"{source}: invalid JSON: {exc}", source=source,
                                                           errors=[{"path": "", "message": str(exc)}],
                                                           message_zh=f"{source}: JSON 格式错误"))
        else:
            yield Record(index, source, data=data)
        index += 1


def evaluate_records(records: Iterator[Record], pack: CompiledPack, as_of: dt.date | None, *,
                     parameters: Mapping[str, Any] | None = None, calendar: WorkdayCalendar | None = None,
                     trace: bool = False, json_ready: bool = True, historical: bool = False, strict: bool = False,
                     readings: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """One JSON-ready line per record, in input order; a bad record never stops the batch.

    A line's ``verdict`` is ``verdict.model_dump(mode="json")``; with ``json_ready=False`` it is the
    :class:`~govrules.models.verdict.Verdict` itself, which :func:`write_jsonl` writes straight to JSON
    text (several times faster than building the dict and encoding it).
    ``historical``, ``strict`` and ``readings`` are passed to :func:`govrules.evaluate` for every record.
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


def write_jsonl(lines: Iterator[dict[str, Any]], out: IO[str], progress: IO[str] | None = None) -> dict[str, int]:
    """Write lines (see :func:`jsonl_line`) and a final summary; return the counts."""
    counts = {"records": 0, "verdicts": 0, "errors": 0}
    for line in lines:
        counts["records"] += 1
        counts["verdicts" if line["ok"] else "errors"] += 1
        out.write(_line_text(line, "\n"))  # the newline joined with the line: one copy less
        if progress is not None and counts["records"] % 500 == 0:
            progress.write(f"\r{counts['records']} records, {counts['errors']} errors")
            progress.flush()
    if progress is not None:
        progress.write(f"\r{counts['records']} records, {counts['errors']} errors\n")
    out.write(json.dumps({"summary": counts}) + "\n")
    return counts
