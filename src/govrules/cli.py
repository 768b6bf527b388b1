"""The ``govrules`` command: thin — parse arguments, call the library, render, set the exit code.

Exit codes: 0 success; 1 a check or test found problems (or ``--fail-on`` matched); 2 bad input;
3 a batch's output could not be written; 130 / 143 a batch stopped by SIGINT / SIGTERM (docs/cli.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from govrules.errors import CaseError, GovrulesError, PackError, ParameterError, ProjectError

if TYPE_CHECKING:
    from govrules.compile.compiler import CompiledPack
    from govrules.models.project import Project

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
#: a batch's output could not be written (a full disk); a batch stopped by a signal exits 128 + its number
EXIT_OUTPUT_FAILED, EXIT_SIGNAL = 3, 128


def _date(text: str) -> dt.date:
    from govrules.models.dates import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        from govrules.printable import shorten

        raise argparse.ArgumentTypeError(f"`{shorten(text)}`: write NAME=VALUE, e.g. procurement_limit=1000000")
    return name.strip(), value.strip()


class _Parser(argparse.ArgumentParser):
    """argparse, with the arguments it quotes in an error (``invalid choice: '…'``) made printable."""

    def error(self, message: str) -> NoReturn:
        from govrules.printable import printable

        super().error(printable(message, newlines=True))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = _Parser(prog="govrules", description="政务信息化项目管理办法 as executable, citable rules")
    parser.add_argument("--version", action="version", version=f"govrules {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("evaluate", help="one verdict for a project under a pack")
    p.add_argument("project", help="project file (YAML or JSON); a directory, a .jsonl file or - (JSON Lines on "
                                   "stdin) evaluates a batch and writes JSON Lines")
    p.add_argument("--pack", required=True, help="bundled pack id or path to a pack file")
    p.add_argument("--as-of", type=_date, help="evaluation date (default: today)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--form", choices=["full", "reference"], default="full",
                   help="JSON (and batch lines): the full verdict (default), or its reference form — each field "
                        "the pack gives left out (govrules expand puts them back)")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="set a settable pack parameter, e.g. procurement_limit=1000000")
    p.add_argument("--trace", choices=["detailed", "compact"], default="detailed",
                   help="detailed (default): the values each rule saw; compact: each rule's result only")
    p.add_argument("--no-trace", action="store_true", help="the same as --trace compact")
    p.add_argument("--as-if-in-force", action="store_true", dest="historical",
                   help="evaluate even on a date when the measure is not in force (superseded, expired or not yet "
                        "in force); the verdict says so (historical: true)")
    p.add_argument("--fail-on-error", action="store_true", help="batch: exit 1 when any record is an error")
    p.add_argument("--calendar", action="append", default=[], metavar="FILE",
                   help="a year's holiday schedule (YAML) for years the installed calendar lacks")
    p.add_argument("--strict", action="store_true",
                   help="presume nothing: a fact left out stays unknown (the pack's presumptions are off)")
    p.add_argument("--reading", type=_param, action="append", default=[], metavar="ID=OPTION",
                   help="choose an option of one of the pack's readings of ambiguous text (default: the pack's)")
    p.add_argument("--questions", action=argparse.BooleanOptionalAction, default=None,
                   help="work out the questions that decide (the unknown facts that would settle a conclusion, "
                        "with the conclusion under each answer); default: on for text, off for JSON and batches")

    p = sub.add_parser("ask", help="an interview: asks the questions that decide scope and route, then prints "
                                   "the verdict and writes the completed project")
    p.add_argument("project", help="project file (YAML or JSON)")
    p.add_argument("--pack", required=True, help="bundled pack id or path to a pack file")
    p.add_argument("--out", metavar="FILE", help="write the project with the answers (YAML) to FILE")
    p.add_argument("--as-of", type=_date, help="evaluation date (default: today)")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="set a settable pack parameter, e.g. procurement_limit=1000000")
    p.add_argument("--strict", action="store_true",
                   help="presume nothing: ask also what the pack would presume")
    p.add_argument("--reading", type=_param, action="append", default=[], metavar="ID=OPTION",
                   help="choose an option of one of the pack's readings of ambiguous text (default: the pack's)")

    p = sub.add_parser("compare", help="one project under every bundled pack in force")
    p.add_argument("project")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--all", action="store_true",
                   help="every bundled pack, in force or not, of the project's jurisdiction or not")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="PACK:NAME=VALUE",
                   help="set a parameter of one pack, e.g. chuxiong-2025:procurement_limit=1000000")
    p.add_argument("--trace", choices=["detailed", "compact"], default="detailed",
                   help="detailed (default): the values each rule saw; compact: each rule's result only")

    sub.add_parser("packs", help="the bundled packs").add_argument("--format", choices=["text", "json"],
                                                                    default="text")
    p = sub.add_parser("facts", help="a pack's fact vocabulary (without --pack: the shared vocabulary)")
    p.add_argument("--pack", help="bundled pack id or path (default: every fact of the bundled packs)")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = sub.add_parser("vocabulary", help="the shared fact vocabulary: every fact of the bundled packs")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--search", metavar="WORD", help="only facts whose name, 中文 or English contains WORD")

    p = sub.add_parser("check", help="load, lint and prove consistent a pack (gaps, overlaps, monotonicity)")
    p.add_argument("pack")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="analyse with this value of a settable parameter (default: a few values around the others)")
    p.add_argument("--lint-only", action="store_true", help="skip the consistency analysis")
    p.add_argument("--examples", action="store_true", help="print an example project for each finding")

    p = sub.add_parser("diff", help="where two packs decide the same project differently, region by region")
    p.add_argument("pack_a")
    p.add_argument("pack_b")
    p.add_argument("--as-of", type=_date, help="the date (default: the later of the two effective dates)")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="PACK:NAME=VALUE",
                   help="set a parameter of one pack, e.g. chuxiong-2025:procurement_limit=1000000")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--examples", action="store_true", help="print an example project for each difference")
    p.add_argument("--fail-on-difference", action="store_true", help="exit 1 when the packs decide some case "
                                                                      "differently")
    p.add_argument("--readings", choices=["default", "each", "all"], default="each",
                   help="the packs' reading options to compare under: their defaults only; the defaults, then "
                        "each other option of each reading with the rest at their defaults (the default); "
                        "or every combination of options")

    p = sub.add_parser("test", help="run pack test cases (*.cases.yaml files or folders)")
    p.add_argument("paths", nargs="+")

    p = sub.add_parser("coverage", help="every article of a measure and what became of it")
    p.add_argument("pack")
    p.add_argument("--cases", help="cases file (default: <pack>.cases.yaml beside the pack)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")

    p = sub.add_parser("calendar", help="the years whose holiday schedule is known, and a schedule file to fill in")
    p.add_argument("--calendar", action="append", default=[], metavar="FILE",
                   help="a year's holiday schedule (YAML), as given to evaluate: checked and listed")
    p.add_argument("--template", type=int, metavar="YEAR",
                   help="write a schedule file for YEAR to fill in (statutory holidays filled in)")
    p.add_argument("--out", metavar="FILE", help="with --template: write to FILE (default: standard output)")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = sub.add_parser("expand", help="the full verdict of a reference-form verdict (or of each line of a batch's "
                                      "JSON Lines)")
    p.add_argument("file", help="a reference verdict (JSON), JSON Lines of a batch, or - (standard input)")
    p.add_argument("--pack", help="the pack it was evaluated under: bundled id or path (default: the bundled pack "
                                  "it names)")

    p = sub.add_parser("schema", help="JSON Schema of packs, projects, verdicts or reference verdicts")
    p.add_argument("which", choices=["pack", "project", "verdict", "reference"])

    p = sub.add_parser("new-pack", help="write the skeleton of a new pack, its cases file and a README")
    p.add_argument("id", help="the pack id: lower-case letters, digits and '-' (e.g. lufeng-2025)")
    p.add_argument("--title", required=True, help="the measure's title")
    p.add_argument("--document", required=True, help="the measure's 文号 (\"\" when none is printed)")
    p.add_argument("--extends", metavar="PACK", help="build on this pack: a bundled id or a path relative to --dir")
    p.add_argument("--dir", default=".", help="where to write the files (default: the current folder)")
    p.add_argument("--issuer", help="the issuing office (default: a 待填写 placeholder)")
    p.add_argument("--jurisdiction", help="where the measure applies (default: a 待填写 placeholder)")
    p.add_argument("--level", choices=["province", "prefecture", "city", "county"], default="city",
                   help="the jurisdiction's level (default: city)")
    p.add_argument("--issued", type=_date, metavar="DATE",
                   help="the date of issue (印发/成文日期); alone, the text takes effect on issue (自印发之日起施行)")
    p.add_argument("--effective", type=_date, metavar="DATE",
                   help="the effective date the text names (effective_basis: date)")
    p.add_argument("--effective-between", type=_date, nargs=2, metavar=("EARLIEST", "LATEST"),
                   help="the text does not give its effective date: the first and the last day it can have taken "
                        "effect (effective_basis: unknown)")
    p.add_argument("--text-missing-from", type=int, metavar="N",
                   help="the text breaks off: article N and every later one are lost")
    return parser


def _version() -> str:
    from govrules.version import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``govrules`` command."""
    own_process = argv is None  # the command line (``python -m govrules``, the ``govrules`` script)
    if own_process:
        _pause_collector()
    try:
        args = build_parser().parse_args(argv)
        handler = globals()[f"_cmd_{args.command.replace('-', '_')}"]
        if handler is not _cmd_evaluate:
            _resume_collector()
        code: int = handler(args)
        return code
    except (PackError, ProjectError) as exc:
        _say(f"govrules: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except GovrulesError as exc:
        _say(f"govrules: [{exc.code}] {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK
    finally:
        if own_process:
            _before_exit()


# The cyclic garbage collector and a command's start: importing pydantic and the models makes some
# 50,000 objects that live until the process ends, and each of the collector's passes walks all of them
# (the automatic ones while importing, and those of the interpreter's exit): together more than a
# verdict costs. So a command run as a process of its own starts with the collector paused, and leaves
# it paused through a single verdict (bounded work); every other command, and a batch once its pack is
# loaded, resumes it, with what startup made frozen (left out of its passes). Only when ``main`` is
# called without ``argv``, as the command line calls it; never when a program or a test calls ``main(argv)``.
_collector_paused = False


def _pause_collector() -> None:
    global _collector_paused
    if gc.isenabled():
        gc.disable()
        _collector_paused = True


def _resume_collector() -> None:
    global _collector_paused
    if _collector_paused:
        gc.freeze()
        gc.enable()
        _collector_paused = False


def _before_exit() -> None:
    """Spare the interpreter's exit the collector's passes over what the command made (frozen objects
    are left out of them; the memory is the operating system's again when the process ends)."""
    _resume_collector()
    gc.freeze()


def _calendar(files: list[str]) -> Any:
    from govrules.engine.calendar import WorkdayCalendar, load_year_schedule

    calendar = WorkdayCalendar.default()
    for file in files:
        calendar = calendar.with_year(load_year_schedule(file))
    return calendar


def _cmd_calendar(args: argparse.Namespace) -> int:
    from govrules.engine.calendar import PROVISIONAL_YEARS, schedule_template

    if args.template is not None:
        if args.template not in PROVISIONAL_YEARS:
            print(f"govrules: --template {args.template}: statutory holidays are computed for "
                  f"{PROVISIONAL_YEARS.start}-{PROVISIONAL_YEARS.stop - 1}", file=sys.stderr)
            return EXIT_BAD_INPUT
        text = schedule_template(args.template)
        if args.out is None:
            sys.stdout.write(text)
            return EXIT_OK
        out = Path(args.out)
        if out.exists():
            print(f"govrules: {out} exists; not overwritten", file=sys.stderr)
            return EXIT_BAD_INPUT
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}: fill in the {args.template} adjustments (调休) from the State Council's notice, "
              f"then pass it with --calendar {out}", file=sys.stderr)
        return EXIT_OK
    if args.out is not None:
        _say("govrules: --out needs --template YEAR", file=sys.stderr)
        return EXIT_BAD_INPUT
    from govrules.engine.calendar import load_year_schedule, statutory_holidays

    sources = _calendar(args.calendar).year_sources()
    unfilled = []  # a template loaded as written: the statutory holidays alone, no 调休 filled in
    for file in args.calendar:
        schedule = load_year_schedule(file)
        if (not schedule.workdays and schedule.year in PROVISIONAL_YEARS
                and schedule.holidays <= set(statutory_holidays(schedule.year))):
            unfilled.append(f"{file} ({schedule.year})")
    spans: list[tuple[int, int, str]] = []  # consecutive years from the same source
    for year, source in sources.items():
        if spans and spans[-1][1] == year - 1 and spans[-1][2] == source:
            spans[-1] = (spans[-1][0], year, source)
        else:
            spans.append((year, year, source))
    provisional = f"{PROVISIONAL_YEARS.start}-{PROVISIONAL_YEARS.stop - 1}"
    if args.format == "json":
        _print_json({"exact_years": [{"year": year, "source": source} for year, source in sources.items()],
                     "schedule_files": list(args.calendar),
                     "provisional_years": [PROVISIONAL_YEARS.start, PROVISIONAL_YEARS.stop - 1],
                     "statutory_only": unfilled})
        return EXIT_OK
    print("确切的节假日安排 (exact years):")
    for first, last, source in spans:
        years = str(first) if first == last else f"{first}-{last}"
        print(f"  {years:<10} {source}")
    files = ", ".join(args.calendar) if args.calendar else "无 (none)"
    print(f"用户安排文件 (user schedules): 由 --calendar FILE 读入 (evaluate, calendar): {files}")
    print(f"其他年份 ({provisional} 其余年份): 期限暂按法定节假日推算，并给出可能区间 (provisional)")
    print("生成某年安排文件: govrules calendar --template YEAR --out FILE")
    for entry in unfilled:
        print(f"! {entry}: 只有法定节假日、没有调休，是否已按国务院通知补全? (only the statutory holidays: "
              "is the State Council's adjustment filled in?)")
    return EXIT_OK
def _say(text: object, *, file: TextIO | None = None) -> None:
    """Print ``text`` with the user's control characters shown as escapes (never sent to the terminal)."""
    from govrules.printable import printable

    print(printable(str(text), newlines=True), file=file)


def _print_json(data: Any) -> None:
    _say_json(json.dumps(data, ensure_ascii=False, indent=2))


def _say_json(text: str) -> None:
    """Print JSON text, with what :func:`json.dumps` leaves raw (DEL, C1 controls, bidirectional overrides,
    lone surrogates) written as ``\\u`` escapes: the same JSON, safe on a terminal."""
    from govrules.printable import json_printable

    print(json_printable(text))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from govrules.compile.loading import load_pack
    from govrules.engine.evaluator import evaluate
    from govrules.output.batch import evaluate_records, is_batch_source, iter_records, write_jsonl
    from govrules.output.report import render_text
    from govrules.output.verdict_json import verdict_json

    pack = load_pack(args.pack)
    project = None if is_batch_source(args.project) else _single_project(args.project, pack)
    if args.form == "reference" and project is not None and args.format != "json":
        raise GovrulesError("--form reference is a form of the JSON verdict: add --format json",
                            code="form_needs_json", message_zh="--form reference 仅用于 JSON 输出: 请加 --format json")
    if project is None:
        _resume_collector()  # a batch: unbounded work
        records = iter_records(args.project)
        if args.questions:
            raise GovrulesError("--questions is for one project, not a batch", code="questions_batch",
                                message_zh="--questions 仅用于单个项目，不用于批量评估")
        lines = evaluate_records(records, pack, args.as_of, parameters=dict(args.param),
                                 calendar=_calendar(args.calendar), trace=_trace(args), json_ready=False,
                                 historical=args.historical,
                                 strict=args.strict, readings=dict(args.reading))
        if args.form == "reference":
            from govrules.output.reference import reference_lines

            lines = reference_lines(lines, pack)
        return _write_batch(lines, write_jsonl, fail_on_error=args.fail_on_error)
    verdict = evaluate(project, pack, args.as_of, parameters=dict(args.param), calendar=_calendar(args.calendar),
                       trace=_trace(args), historical=args.historical,
                       strict=args.strict, readings=dict(args.reading),
                       questions=args.questions if args.questions is not None else args.format == "text")
    if args.format == "json" and args.form == "reference":
        from govrules.output.reference import verdict_reference

        _print_json(verdict_reference(verdict, pack))
    elif args.format == "json":
        _say_json(verdict_json(verdict, indent=2))
    else:
        _say(render_text(verdict))
    return EXIT_OK


def _cmd_expand(args: argparse.Namespace) -> int:
    from govrules.output.reference import expand_lines, expand_verdict
    from govrules.output.verdict_json import verdict_json

    pack = None
    if args.pack is not None:
        from govrules.compile.loading import load_pack

        pack = load_pack(args.pack)
    if args.file == "-":
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    else:
        from govrules.packs.yaml_io import read_bounded

        try:
            raw = read_bounded(Path(args.file), _BATCH_FILE_LIMIT)
            if len(raw) > _BATCH_FILE_LIMIT:
                raise GovrulesError(f"{args.file}: larger than {_BATCH_FILE_LIMIT} bytes; expand it a part at a "
                                    "time (- reads JSON Lines from standard input)", code="file_too_large",
                                    message_zh=f"{args.file}: 文件过大")
        except OSError as exc:
            raise GovrulesError(f"{args.file}: {exc.strerror or exc}", code="file_unreadable",
                                message_zh=f"{args.file}: 无法读取") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GovrulesError(f"{args.file}: not UTF-8 ({exc.reason} at byte {exc.start})", code="reference_invalid",
                            message_zh=f"{args.file}: 不是 UTF-8 文本") from None
    try:
        single = json.loads(text)
    except ValueError:
        single = None  # JSON Lines: a line at a time
    if isinstance(single, dict) and "verdict" not in single and "summary" not in single:
        _say_json(verdict_json(expand_verdict(single, pack), indent=2))
        return EXIT_OK
    for line in expand_lines(text.splitlines(), pack, source=args.file):
        print(line)
    return EXIT_OK


def _cmd_ask(args: argparse.Namespace) -> int:
    from govrules.compile.loading import load_pack
    from govrules.output.interview import interview
    from govrules.output.report import render_text
    from govrules.packs.projects import read_project_data
    from govrules.packs.yaml_io import read_bounded
    from govrules.printable import printable

    pack = load_pack(args.pack)
    project = _single_project(args.project, pack)  # validates, and refuses a batch
    if project is None:
        raise GovrulesError("ask takes one project, not a list", code="ask_batch",
                            message_zh="ask 只用于单个项目文件，不能是项目列表")
    data = read_project_data(read_bounded(Path(args.project), _BATCH_FILE_LIMIT), args.project)

    def read(prompt: str) -> str | None:
        print(printable(prompt, newlines=True), end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            print()
            return None
        if not sys.stdin.isatty():  # answers piped in: show them, so the output reads as a transcript
            print(printable(line.rstrip("\n")))
        return line

    print(f"《{pack.pack.title}》: 回答 是/否/不知道（y/n/?）；直接回车或 Ctrl-D 结束提问")
    verdict, answered, transcript = interview(data, pack, args.as_of, read=read, out=sys.stdout,
                                              parameters=dict(args.param), strict=args.strict,
                                              readings=dict(args.reading))
    print(f"\n共回答 {len(transcript)} 个问题\n")
    _say(render_text(verdict))
    if args.out:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.allow_unicode = True
        yaml.representer.sort_base_mapping_type_on_output = False  # the project's own order
        with open(args.out, "w", encoding="utf-8") as f:
            yaml.dump(answered, f)
        _say(f"已写入 {args.out}")
    return EXIT_OK


#: The most of a file read to learn whether it holds one project or a list of them (a batch).
_BATCH_FILE_LIMIT = 50_000_000

def _write_batch(lines: Any, write_jsonl: Any, *, fail_on_error: bool) -> int:
    """Write a batch's lines to stdout as UTF-8 bytes; the exit code (docs/cli.md)."""
    from govrules.output.batch import OutputFailed, StopSignals

    progress = sys.stderr if sys.stderr.isatty() else None
    sys.stdout.flush()
    try:
        with StopSignals() as signals:
            counts = write_jsonl(lines, getattr(sys.stdout, "buffer", sys.stdout), progress, signals=signals)
    except OutputFailed as exc:
        _discard_stdout()
        if isinstance(exc.error, BrokenPipeError):  # the reader went away (``| head``): not an error
            return EXIT_OK
        _say(f"govrules: {exc}", file=sys.stderr)
        print(json.dumps({"summary": exc.counts}), file=sys.stderr)
        return EXIT_OUTPUT_FAILED
    if "interrupted" in counts:
        return EXIT_SIGNAL + int(getattr(signal, counts["interrupted"]))
    return EXIT_OK if counts["errors"] == 0 or not fail_on_error else EXIT_FINDINGS


def _discard_stdout() -> None:
    """Point stdout at the null device: what its buffer still holds cannot be written, and the
    interpreter's exit would report the failed flush again. Only the process's own stdout: a caller
    that replaced ``sys.stdout`` (a test runner capturing output) keeps its file descriptor 1."""
    own = sys.__stdout__
    if own is None or sys.stdout is not own:
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, own.fileno())
        os.close(null)
    except (OSError, ValueError):  # pragma: no cover - no file descriptor (stdout replaced)
        pass


def _single_project(path: str, pack: CompiledPack) -> Project | None:
    """The project in file ``path``, or None when the file's top level is a list (a batch).

    The file is read and parsed once, whichever it turns out to be.
    """
    from govrules.engine.projects import load_project, validate_project
    from govrules.packs.projects import read_project_data
    from govrules.packs.yaml_io import read_bounded

    p = Path(path)
    try:
        with p.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return load_project(p, pack=pack)  # which reports what is wrong with it
    if head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"["):
        return None  # a JSON (or YAML flow) list: read item by item
    if not p.is_file() or p.stat().st_size > _BATCH_FILE_LIMIT:
        return load_project(p, pack=pack)
    try:
        raw = read_bounded(p, _BATCH_FILE_LIMIT)
    except OSError:
        return load_project(p, pack=pack)
    try:
        data = read_project_data(raw, str(p))
    except ProjectError:
        if raw.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"-"):
            return None  # perhaps a YAML list with a bad item: the batch reports each item
        raise
    if isinstance(data, list):
        return None
    return validate_project(data, source=str(p), pack=pack)


def _pack_parameters(pairs: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``--param PACK:NAME=VALUE`` options, grouped by pack id."""
    parameters: dict[str, dict[str, str]] = {}
    for name, value in pairs:
        pack_id, sep, param = name.partition(":")
        if not sep or not pack_id or not param:
            raise ParameterError(f"--param {name}={value}: write PACK:NAME=VALUE, e.g. "
                                 "chuxiong-2025:procurement_limit=1000000",
                                 errors=[{"path": f"parameters.{name}", "message": "expected PACK:NAME=VALUE"}],
                                 message_zh="参数应写作 办法包:参数名=取值")
        parameters.setdefault(pack_id, {})[param] = value
    return parameters


def _trace(args: argparse.Namespace) -> bool:
    """Whether the values each rule saw go in the trace (``--trace``; ``--no-trace`` is compact)."""
    return args.trace == "detailed" and not getattr(args, "no_trace", False)


def _cmd_compare(args: argparse.Namespace) -> int:
    from govrules.engine.multi_pack import evaluate_all, other_jurisdictions
    from govrules.engine.projects import load_project
    from govrules.output.report import render_comparison

    parameters = _pack_parameters(args.param)
    project = load_project(args.project)
    verdicts = evaluate_all(project, args.as_of, include_not_in_force=args.all, parameters=parameters,
                            trace=_trace(args), include_other_jurisdictions=args.all)
    if args.format == "json":
        _print_json([v.model_dump(mode="json") for v in verdicts])
        return EXIT_OK
    elsewhere = {} if args.all else other_jurisdictions(project)
    if not verdicts and args.all:  # render_comparison's message is about packs not in force
        print("没有捆绑的办法包（no bundled pack is installed）")
    elif verdicts or not elsewhere:
        _say(render_comparison(verdicts))
    if elsewhere:
        where = "、".join(f"{pack_id}（{name}）" for pack_id, name in elsewhere.items())
        _say(f"未评估（非本项目所在地 {project.jurisdiction.name if project.jurisdiction else ''} 的办法，"
             f"可用 --all 查看）: {where}")
    return EXIT_OK


def _cmd_packs(args: argparse.Namespace) -> int:
    from govrules.compile.loading import load_pack
    from govrules.packs.bundled import bundled_pack_ids

    rows: list[dict[str, Any]] = []
    for pack_id in bundled_pack_ids():
        pack = load_pack(pack_id).pack
        dates = pack.dates
        window = dates.effective_between
        # an unknown date is null (JSON) or 不详 (text), never a stand-in such as the window's first day
        rows.append({"id": pack.id, "title": pack.title, "document": pack.document, "issuer": pack.issuer,
                     "issued": dates.issued.isoformat() if dates.issued else None,
                     "effective": dates.effective.isoformat() if window is None else None,
                     "effective_basis": dates.effective_basis.value,
                     "effective_between": None if window is None else {
                         "earliest": window.earliest.isoformat(),
                         "latest": window.latest.isoformat() if window.latest else None},
                     "superseded_on": pack.superseded.on.isoformat() if pack.superseded else None,
                     "rules": len(pack.rules), "articles": len(pack.articles)})
    if args.format == "json":
        _print_json(rows)
    else:
        for r in rows:
            until = f"，{r['superseded_on']}起被取代" if r["superseded_on"] else ""
            between = r["effective_between"]
            # latest is a day the measure is in force (the last day it can have taken effect)
            effective = r["effective"] if between is None else f"日期不详（不早于{between['earliest']}" + (
                f"，至迟{between['latest']}施行）" if between["latest"] else "）")
            _say(f"{r['id']:<15} {r['document'] or '(无文号)'}  《{r['title']}》  印发 {r['issued'] or '不详'}  "
                 f"施行 {effective}{until}  {r['articles']}条 {r['rules']}规则")
    return EXIT_OK


def _cmd_vocabulary(args: argparse.Namespace) -> int:
    from govrules.packs.bundled import load_vocabulary

    rows = load_vocabulary()
    word = (getattr(args, "search", None) or "").lower()
    if word:
        rows = [r for r in rows if any(word in str(r.get(k, "")).lower() for k in ("name", "zh", "en"))]
    if args.format == "json":
        _print_json(rows)
    else:
        for r in rows:
            values = f" ({'|'.join(r['values'])})" if r.get("values") else ""
            print(f"{r['name']:<36} {r['type']}{values}  [{', '.join(r.get('packs', []))}]\n    {r['zh']}\n"
                  f"    {r['en']}")
        print(f"{len(rows)} fact(s); one pack's: govrules facts --pack ID")
    return EXIT_OK


def _cmd_facts(args: argparse.Namespace) -> int:
    from govrules.compile.loading import load_pack

    if args.pack is None:
        return _cmd_vocabulary(args)
    pack = load_pack(args.pack).pack
    used = {f.name: [r.id for r in pack.rules if f.name in r.when or (getattr(r, "met_when", None) or "").find(
        f.name) >= 0] for f in pack.facts}
    rows = [{"name": f.name, "type": f.type.value, "values": f.values, "scope": f.scope.value, "zh": f.zh,
             "en": f.en, "rules": used[f.name]} for f in pack.facts]
    if args.format == "json":
        _print_json(rows)
    else:
        for r in rows:
            values = f" ({'|'.join(r['values'])})" if r["values"] else ""
            _say(f"{r['name']:<36} {r['type']}{values}\n    {r['zh']}\n    {r['en']}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from govrules.analysis.lint import check_pack

    try:
        result = check_pack(args.pack)
    except PackError as exc:
        if exc.code == "pack_not_found":
            raise
        if args.format == "json":
            _print_json({"ok": False, "diagnostics": [d.to_dict() for d in exc.diagnostics]})
        else:
            for d in exc.diagnostics or [exc]:
                _say(d)
            _say(f"{args.pack}: does not load: {len(exc.diagnostics) or 1} error(s)")
        return EXIT_FINDINGS
    pack = result.pack
    findings: list[Any] = []
    grouped: list[Any] = []
    presumptions = None
    all_choices = pack.reading_choices()
    if not args.lint_only:
        from govrules.analysis.consistency import check_consistency, format_findings
        from govrules.analysis.findings import describe_choices, group_by_choice
        from govrules.analysis.presumptions import check_presumptions

        # every option of every reading: the pack must be consistent whichever the user chooses; a finding
        # is reported once, with the choices it holds under
        grouped = group_by_choice([(choice, check_consistency(pack.for_readings(choice),
                                                              parameters=dict(args.param) or None))
                                   for choice in all_choices])
        for entry in grouped:
            under = describe_choices(entry.choices, all_choices)
            finding = entry.finding
            findings.append(dataclasses.replace(finding, message=f"[{under}] {finding.message}") if under
                            else finding)
        presumptions = check_presumptions(pack)
    # A finding concerns a region of projects; point it at the first rule it names, so that an editor
    # (and a reader of the text output) can jump to it.
    located = [dataclasses.replace(f.to_diagnostic(), location=result.locate_rule(f.rules[0]) if f.rules else None)
               for f in findings]
    consistency_errors = [f for f in findings if f.severity == "error"]
    presumption_errors = [d if d.location is not None or d.rule is None
                          else dataclasses.replace(d, location=result.locate_rule(d.rule))
                          for d in (presumptions.errors if presumptions is not None else [])]
    ok = result.ok and not consistency_errors and not presumption_errors
    if args.format == "json":
        diagnostics = [d.to_dict() for d in result.diagnostics] + [d.to_dict() for d in presumption_errors]
        for finding, diagnostic, choices in zip(findings, located, [g.choices for g in grouped], strict=True):
            entry = diagnostic.to_dict()
            entry.update(region=finding.region, example=finding.example, parameters=dict(finding.parameters),
                         rules=list(finding.rules), reading_choices=[dict(c) for c in choices])
            diagnostics.append(entry)
        _print_json({"ok": ok, "diagnostics": diagnostics})
    else:
        for d in result.diagnostics:
            _say(d)
        for finding, diagnostic in zip(findings, located, strict=True):
            where = f"{diagnostic.location}: " if diagnostic.location else ""
            _say(f"{where}{format_findings([finding], examples=args.examples).rstrip()}")
        for d in presumption_errors:
            _say(d)
        if presumptions is not None:
            held: dict[tuple[str, str], list[str]] = {}
            for _label, fact, rule_id in presumptions.held_back:
                held.setdefault((fact, rule_id), [])
            for fact, rule_id in held:
                at = result.locate_fact(fact, "presume")
                _say(f"{f'{at}: ' if at else ''}note[presumption.held_back]: `{fact}` is not presumed for {rule_id} "
                     "(it would make it apply)")
        measures = pack.pack.measures()
        of = f" (of {len(measures)} measures: {', '.join(m.pack for m in measures)})" if len(measures) > 1 else ""
        # the totals count every line printed above, by severity; the parts say where they come from
        consistency_warnings = len(findings) - len(consistency_errors)
        errors = len(result.errors) + len(consistency_errors)
        warnings = len(result.warnings) + consistency_warnings
        parts = f"lint: {len(result.errors)} error(s), {len(result.warnings)} warning(s)"
        if not args.lint_only:
            gaps = sum(1 for f in findings if f.code == "consistency.declared_gap")
            instances = sum(len(g.choices) for g in grouped)
            parts += (f"; consistency: {len(consistency_errors)} error(s), {consistency_warnings} warning(s)"
                      + (f", of which {gaps} declared gap(s)" if gaps else "")
                      + (f", {instances} instance(s) over the {len(all_choices)} reading choices"
                         if len(all_choices) > 1 and instances else ""))
        if presumptions is not None and pack.presumptions:
            # what was counted: the proof covers only the ground, consequence and obligation rules that read
            # a presumed fact (a presumption may settle scope, route and changes freely)
            applying = (f"{len(presumption_errors)} making a ground, consequence or obligation apply"
                        if presumption_errors else "none making a ground, consequence or obligation apply")
            held_rules = {rule_id for _label, _fact, rule_id in presumptions.held_back}
            parts += (f"; presumptions: {len(pack.presumptions)} presumed fact(s), {applying} (proof over "
                      f"{len(presumptions.rules)} rule(s) reading a presumed fact"
                      f"{'' if presumptions.exact else ', some by sampling'}; held back from {len(held_rules)} "
                      "rule(s))")
        if len(all_choices) > 1:
            parts += f"; analysed under each of {len(all_choices)} reading choices"
        counted = (f"{len(pack.all_rules)} rules ({len(pack.rules)} under the default reading choice)"
                   if len(pack.all_rules) != len(pack.rules) else f"{len(pack.rules)} rules")
        _say(f"{pack.file}: {counted}, {len(pack.pack.articles)} articles{of}, "
              f"{errors} error(s), {warnings} warning(s) ({parts})")
    return EXIT_OK if ok else EXIT_FINDINGS


def _cmd_diff(args: argparse.Namespace) -> int:
    from govrules.analysis.diff import diff_report, format_diff
    from govrules.compile.loading import load_pack

    parameters = _pack_parameters(args.param)
    pack_a, pack_b = load_pack(args.pack_a), load_pack(args.pack_b)
    report = diff_report(pack_a, pack_b, parameters=parameters or None, as_of=args.as_of)
    # the other options of the packs' readings (the report above is under the defaults): each option on
    # its own, the rest at their defaults; or none, or every combination of options (--readings)
    pairs: list[tuple[dict[str, str], dict[str, str]]] = []
    if args.readings == "all":
        pairs = [(a, b) for a in pack_a.reading_choices() for b in pack_b.reading_choices()]
    elif args.readings == "each":
        pairs = [*((a, {}) for a in _one_option_each(pack_a)), *(({}, b) for b in _one_option_each(pack_b))]
    others = []
    for choice_a, choice_b in pairs:
        variant_a, variant_b = pack_a.for_readings(choice_a), pack_b.for_readings(choice_b)
        if variant_a is pack_a and variant_b is pack_b:
            continue
        label = ", ".join(f"{p.id}: {k}={v}" for p, choice in ((pack_a, choice_a), (pack_b, choice_b))
                          for k, v in choice.items())
        others.append((label, dict(variant_a.choice), dict(variant_b.choice),
                       diff_report(variant_a, variant_b, parameters=parameters or None, as_of=args.as_of)))
    if args.format == "json":
        data = report.to_dict()
        if others:
            data["readings"] = [{"a": a, "b": b, "report": other.to_dict()} for _, a, b, other in others]
        _print_json(data)
    else:
        _say(format_diff(report, examples=args.examples).rstrip())
        for label, _a, _b, other in others:
            _say(f"\nunder the readings {label}:")
            _say(format_diff(other, examples=args.examples).rstrip())
    differs = report.differences or any(other.differences for *_, other in others)
    return EXIT_FINDINGS if args.fail_on_difference and differs else EXIT_OK


def _one_option_each(pack: CompiledPack) -> list[dict[str, str]]:
    """Each option of each of ``pack``'s readings that is not its default, alone."""
    return [{reading.id: option.id} for reading in pack.pack.readings for option in reading.options
            if option.id != pack.choice[reading.id]]


def _cmd_test(args: argparse.Namespace) -> int:
    from govrules.testing.cases import run_case_file

    files: list[Path] = []
    for raw in args.paths:
        path = Path(raw)
        if not path.exists():
            raise CaseError(f"{raw}: no such file or folder")
        found = sorted(path.rglob("*.cases.yaml")) if path.is_dir() else [path]
        if not found:
            raise CaseError(f"{raw}: no *.cases.yaml files in this folder")
        files.extend(found)
    passed = failed = 0
    for file in files:
        for result in run_case_file(file):
            if result.passed:
                passed += 1
            else:
                failed += 1
                _say(f"FAIL {file}:{result.line}: {result.name}")
                for line in result.failures:
                    _say(f"    {line}")
    _say(f"{passed} passed, {failed} failed")
    return EXIT_FINDINGS if failed else EXIT_OK


def _cmd_coverage(args: argparse.Namespace) -> int:
    from govrules.analysis.coverage import article_coverage, render_markdown
    from govrules.compile.loading import load_pack
    from govrules.packs.bundled import resolve_pack_path

    pack = load_pack(args.pack)
    path = resolve_pack_path(args.pack)
    cases = Path(args.cases) if args.cases else path.with_name(path.name.removesuffix(".yaml") + ".cases.yaml")
    verdicts = []
    if cases.is_file():
        from govrules.testing.cases import run_case_file

        verdicts = [(result.name, result.verdict) for result in run_case_file(cases) if result.verdict is not None]
    rows = article_coverage(pack, verdicts)
    if args.format == "text" and pack.pack.text is not None and not pack.pack.text.complete:
        _say(f"原文不全: {pack.pack.text.describe()}")
    if args.format == "json":
        _print_json([{"article": r.number, "label": r.label, "measure": r.measure or pack.id, "status": r.status,
                      "rules": r.rules, "parameters": r.parameters, "terms": r.terms,
                      "informational": r.informational, "cases": r.cases} for r in rows])
    elif args.format == "markdown":
        _say(render_markdown(pack, rows))
    else:
        width = max((_display_width(r.label) for r in rows), default=8)
        for r in rows:
            what = ", ".join(r.rules + r.parameters + [f"term {t}" for t in r.terms]) or (r.informational or "")
            tested = f"  [{len(r.cases)} case(s)]" if r.cases else ""
            pad = " " * (width - _display_width(r.label))
            _say(f"{r.label}{pad} {r.status:<13} {what}{tested}".rstrip())
    return EXIT_FINDINGS if any(r.status == "unaccounted" for r in rows) else EXIT_OK


def _cmd_new_pack(args: argparse.Namespace) -> int:
    from govrules.packs.scaffold import PLACEHOLDER, SkeletonDates, new_pack

    between = tuple(args.effective_between) if args.effective_between else None
    dates = SkeletonDates(issued=args.issued, effective=args.effective, between=between,
                          missing_from=args.text_missing_from)
    made = new_pack(args.id, title=args.title, document=args.document, directory=args.dir, extends=args.extends,
                    issuer=args.issuer, jurisdiction=args.jurisdiction, level=args.level, dates=dates)
    for path in (made.pack, made.cases, made.readme):
        _say(f"wrote {path}")
    if dates.as_of() is None:
        _say(f"no date given: the dates are `{PLACEHOLDER}` (and so is the cases' as_of) until you write those the "
             "text gives (--issued, --effective or --effective-between write them); `govrules check` points at them")
    elif args.effective is not None and args.issued is None:
        _say(f"no --issued: dates.issued is `{PLACEHOLDER}` until you write the date of issue")
    _say(f"next: fill in {made.pack.name} (docs/guide.md), then\n"
          f"  govrules check {made.pack}\n  govrules test {made.cases}")
    return EXIT_OK


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cmd_schema(args: argparse.Namespace) -> int:
    if args.which == "reference":
        from govrules.output.reference import reference_schema

        _print_json(reference_schema())
        return EXIT_OK
    from govrules.models.schemas import schema_for

    _print_json(schema_for(args.which))
    return EXIT_OK
