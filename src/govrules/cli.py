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
from typing import TYPE_CHECKING, Any

from govrules.errors import CaseError, GovrulesError, PackError, ProjectError

if TYPE_CHECKING:
    from govrules.models.project import Project

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
#: a batch's output could not be written (a full disk); a batch stopped by a signal exits 128 + its number
EXIT_OUTPUT_FAILED, EXIT_SIGNAL = 3, 128


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date (YYYY-MM-DD)") from None


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"`{text}`: write NAME=VALUE, e.g. procurement_limit=1000000")
    return name.strip(), value.strip()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = argparse.ArgumentParser(prog="govrules", description="政务信息化项目管理办法 as executable, citable rules")
    parser.add_argument("--version", action="version", version=f"govrules {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("evaluate", help="one verdict for a project under a pack")
    p.add_argument("project", help="project file (YAML or JSON); a directory, a .jsonl file or - (JSON Lines on "
                                   "stdin) evaluates a batch and writes JSON Lines")
    p.add_argument("--pack", required=True, help="bundled pack id or path to a pack file")
    p.add_argument("--as-of", type=_date, help="evaluation date (default: today)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="set a settable pack parameter, e.g. procurement_limit=1000000")
    p.add_argument("--no-trace", action="store_true", help="omit the values each rule saw")
    p.add_argument("--fail-on-error", action="store_true", help="batch: exit 1 when any record is an error")
    p.add_argument("--calendar", action="append", default=[], metavar="FILE",
                   help="a year's holiday schedule (YAML) for years the installed calendar lacks")

    p = sub.add_parser("compare", help="one project under every bundled pack in force")
    p.add_argument("project")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--all", action="store_true", help="every bundled pack, in force or not")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="PACK:NAME=VALUE",
                   help="set a parameter of one pack, e.g. chuxiong-2025:procurement_limit=1000000")

    sub.add_parser("packs", help="the bundled packs").add_argument("--format", choices=["text", "json"],
                                                                    default="text")
    p = sub.add_parser("facts", help="a pack's fact vocabulary")
    p.add_argument("--pack", required=True)
    p.add_argument("--format", choices=["text", "json"], default="text")

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

    p = sub.add_parser("test", help="run pack test cases (*.cases.yaml files or folders)")
    p.add_argument("paths", nargs="+")

    p = sub.add_parser("coverage", help="every article of a measure and what became of it")
    p.add_argument("pack")
    p.add_argument("--cases", help="cases file (default: <pack>.cases.yaml beside the pack)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")

    p = sub.add_parser("schema", help="JSON Schema of packs or projects")
    p.add_argument("which", choices=["pack", "project", "verdict"])

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
    p.add_argument("--issued", type=_date, help="the date of issue (default: today)")
    return parser


def _version() -> str:
    from govrules import __version__

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
        print(f"govrules: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except GovrulesError as exc:
        print(f"govrules: [{exc.code}] {exc}", file=sys.stderr)
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
    from govrules.calendar import WorkdayCalendar, load_year_schedule

    calendar = WorkdayCalendar.default()
    for file in files:
        calendar = calendar.with_year(load_year_schedule(file))
    return calendar


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from govrules.batch import evaluate_records, is_batch_source, iter_records, verdict_json, write_jsonl
    from govrules.evaluator import evaluate
    from govrules.loader import load_pack
    from govrules.report import render_text

    pack = load_pack(args.pack)
    project = None if is_batch_source(args.project) else _single_project(args.project)
    if project is None:
        _resume_collector()  # a batch: unbounded work
        records = iter_records(args.project)
        lines = evaluate_records(records, pack, args.as_of, parameters=dict(args.param),
                                 calendar=_calendar(args.calendar), trace=not args.no_trace, json_ready=False)
        return _write_batch(lines, write_jsonl, fail_on_error=args.fail_on_error)
    verdict = evaluate(project, pack, args.as_of, parameters=dict(args.param), calendar=_calendar(args.calendar),
                       trace=not args.no_trace)
    if args.format == "json":
        print(verdict_json(verdict, indent=2))
    else:
        print(render_text(verdict))
    return EXIT_OK


def _write_batch(lines: Any, write_jsonl: Any, *, fail_on_error: bool) -> int:
    """Write a batch's lines to stdout as UTF-8 bytes; the exit code (docs/cli.md)."""
    from govrules.batch import OutputFailed, StopSignals

    progress = sys.stderr if sys.stderr.isatty() else None
    sys.stdout.flush()
    try:
        with StopSignals() as signals:
            counts = write_jsonl(lines, getattr(sys.stdout, "buffer", sys.stdout), progress, signals=signals)
    except OutputFailed as exc:
        _discard_stdout()
        if isinstance(exc.error, BrokenPipeError):  # the reader went away (``| head``): not an error
            return EXIT_OK
        print(f"govrules: {exc}", file=sys.stderr)
        print(json.dumps({"summary": exc.counts}), file=sys.stderr)
        return EXIT_OUTPUT_FAILED
    if "interrupted" in counts:
        return EXIT_SIGNAL + int(getattr(signal, counts["interrupted"]))
    return EXIT_OK if counts["errors"] == 0 or not fail_on_error else EXIT_FINDINGS


def _discard_stdout() -> None:
    """Point stdout at the null device: what its buffer still holds cannot be written, and the
    interpreter's exit would report the failed flush again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # pragma: no cover - no file descriptor (stdout replaced)
        pass


def _single_project(path: str) -> Project | None:
    """The project in file ``path``, or None when the file's top level is a list (a batch).

    The file is read and parsed once, whichever it turns out to be.
    """
    from govrules.loader import load_project, read_project_data, validate_project

    p = Path(path)
    try:
        with p.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return load_project(p)  # which reports what is wrong with it
    if head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"["):
        return None  # a JSON (or YAML flow) list: read item by item
    if not p.is_file() or p.stat().st_size > 50_000_000:
        return load_project(p)
    try:
        raw = p.read_bytes()
    except OSError:
        return load_project(p)
    try:
        data = read_project_data(raw, str(p))
    except ProjectError:
        if raw.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"-"):
            return None  # perhaps a YAML list with a bad item: the batch reports each item
        raise
    if isinstance(data, list):
        return None
    return validate_project(data, source=str(p))


def _pack_parameters(pairs: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``--param PACK:NAME=VALUE`` options, grouped by pack id."""
    parameters: dict[str, dict[str, str]] = {}
    for name, value in pairs:
        pack_id, sep, param = name.partition(":")
        if not sep or not pack_id or not param:
            raise ProjectError(f"--param {name}={value}: write PACK:NAME=VALUE, e.g. "
                               "chuxiong-2025:procurement_limit=1000000",
                               errors=[{"path": f"parameters.{name}", "message": "expected PACK:NAME=VALUE"}],
                               message_zh="参数应写作 办法包:参数名=取值")
        parameters.setdefault(pack_id, {})[param] = value
    return parameters


def _cmd_compare(args: argparse.Namespace) -> int:
    from govrules.loader import load_project
    from govrules.multi import evaluate_all
    from govrules.report import render_comparison

    parameters = _pack_parameters(args.param)
    verdicts = evaluate_all(load_project(args.project), args.as_of, include_not_in_force=args.all,
                            parameters=parameters)
    if args.format == "json":
        _print_json([v.model_dump(mode="json") for v in verdicts])
    else:
        print(render_comparison(verdicts))
    return EXIT_OK


def _cmd_packs(args: argparse.Namespace) -> int:
    from govrules.loader import bundled_pack_ids, load_pack

    rows = []
    for pack_id in bundled_pack_ids():
        pack = load_pack(pack_id).pack
        rows.append({"id": pack.id, "title": pack.title, "document": pack.document, "issuer": pack.issuer,
                     "issued": pack.dates.issued.isoformat(), "effective": pack.dates.effective.isoformat(),
                     "effective_basis": pack.dates.effective_basis.value,
                     "superseded_on": pack.superseded.on.isoformat() if pack.superseded else None,
                     "rules": len(pack.rules), "articles": len(pack.articles)})
    if args.format == "json":
        _print_json(rows)
    else:
        for r in rows:
            until = f"，{r['superseded_on']}起被取代" if r["superseded_on"] else ""
            print(f"{r['id']:<15} {r['document'] or '(无文号)'}  《{r['title']}》  施行 {r['effective']}{until}  "
                  f"{r['articles']}条 {r['rules']}规则")
    return EXIT_OK


def _cmd_facts(args: argparse.Namespace) -> int:
    from govrules.loader import load_pack

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
            print(f"{r['name']:<36} {r['type']}{values}\n    {r['zh']}\n    {r['en']}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from govrules.lint import check_pack

    try:
        result = check_pack(args.pack)
    except PackError as exc:
        if exc.code == "pack_not_found":
            raise
        if args.format == "json":
            _print_json({"ok": False, "diagnostics": [d.to_dict() for d in exc.diagnostics]})
        else:
            for d in exc.diagnostics or [exc]:
                print(d)
            print(f"{args.pack}: does not load: {len(exc.diagnostics) or 1} error(s)")
        return EXIT_FINDINGS
    pack = result.pack
    findings = []
    if not args.lint_only:
        from govrules.consistency import check_consistency, format_findings

        findings = check_consistency(pack, parameters=dict(args.param) or None)
    # A finding concerns a region of projects; point it at the first rule it names, so that an editor
    # (and a reader of the text output) can jump to it.
    located = [dataclasses.replace(f.to_diagnostic(), location=result.locate_rule(f.rules[0]) if f.rules else None)
               for f in findings]
    consistency_errors = [f for f in findings if f.severity == "error"]
    ok = result.ok and not consistency_errors
    if args.format == "json":
        diagnostics = [d.to_dict() for d in result.diagnostics]
        for finding, diagnostic in zip(findings, located, strict=True):
            entry = diagnostic.to_dict()
            entry.update(region=finding.region, example=finding.example, parameters=dict(finding.parameters),
                         rules=list(finding.rules))
            diagnostics.append(entry)
        _print_json({"ok": ok, "diagnostics": diagnostics})
    else:
        for d in result.diagnostics:
            print(d)
        for finding, diagnostic in zip(findings, located, strict=True):
            where = f"{diagnostic.location}: " if diagnostic.location else ""
            print(f"{where}{format_findings([finding], examples=args.examples).rstrip()}")
        measures = pack.pack.measures()
        of = f" (of {len(measures)} measures: {', '.join(m.pack for m in measures)})" if len(measures) > 1 else ""
        consistency = "" if args.lint_only else (
            f", consistency: {len(consistency_errors)} error(s), {len(findings) - len(consistency_errors)} "
            "declared gap(s)")
        print(f"{pack.file}: {len(pack.rules)} rules, {len(pack.pack.articles)} articles{of}, "
              f"{len(result.errors)} error(s), {len(result.warnings)} warning(s){consistency}")
    return EXIT_OK if ok else EXIT_FINDINGS


def _cmd_diff(args: argparse.Namespace) -> int:
    from govrules.diff import diff_report, format_diff

    parameters = _pack_parameters(args.param)
    report = diff_report(args.pack_a, args.pack_b, parameters=parameters or None, as_of=args.as_of)
    if args.format == "json":
        _print_json(report.to_dict())
    else:
        print(format_diff(report, examples=args.examples).rstrip())
    return EXIT_FINDINGS if args.fail_on_difference and report.differences else EXIT_OK


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
                print(f"FAIL {file}:{result.line}: {result.name}")
                for line in result.failures:
                    print(f"    {line}")
    print(f"{passed} passed, {failed} failed")
    return EXIT_FINDINGS if failed else EXIT_OK


def _cmd_coverage(args: argparse.Namespace) -> int:
    from govrules.coverage import article_coverage, render_markdown
    from govrules.loader import load_pack, resolve_pack_path

    pack = load_pack(args.pack)
    path = resolve_pack_path(args.pack)
    cases = Path(args.cases) if args.cases else path.with_name(path.name.removesuffix(".yaml") + ".cases.yaml")
    rows = article_coverage(pack, cases)
    if args.format == "json":
        _print_json([{"article": r.number, "label": r.label, "measure": r.measure or pack.id, "status": r.status,
                      "rules": r.rules, "parameters": r.parameters, "informational": r.informational,
                      "cases": r.cases} for r in rows])
    elif args.format == "markdown":
        print(render_markdown(pack, rows))
    else:
        width = max((_display_width(r.label) for r in rows), default=8)
        for r in rows:
            what = ", ".join(r.rules + r.parameters) or (r.informational or "")
            tested = f"  [{len(r.cases)} case(s)]" if r.cases else ""
            pad = " " * (width - _display_width(r.label))
            print(f"{r.label}{pad} {r.status:<13} {what}{tested}".rstrip())
    return EXIT_FINDINGS if any(r.status == "unaccounted" for r in rows) else EXIT_OK


def _cmd_new_pack(args: argparse.Namespace) -> int:
    from govrules.scaffold import new_pack

    made = new_pack(args.id, title=args.title, document=args.document, directory=args.dir, extends=args.extends,
                    issuer=args.issuer, jurisdiction=args.jurisdiction, level=args.level, issued=args.issued)
    for path in (made.pack, made.cases, made.readme):
        print(f"wrote {path}")
    print(f"next: fill in {made.pack.name} (docs/guide.md), then\n"
          f"  govrules check {made.pack}\n  govrules test {made.cases}")
    return EXIT_OK


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cmd_schema(args: argparse.Namespace) -> int:
    from govrules.schemas import schema_for

    _print_json(schema_for(args.which))
    return EXIT_OK
