"""Files → checked, compiled packs; and project files → Project models.

Loading is strictly data: :mod:`govrules.yaml_io` refuses tags, aliases and duplicate keys. Every
problem found becomes a :class:`~govrules.diagnostics.Diagnostic` with file, line and column, and all
of them are reported together in one :class:`~govrules.errors.PackError`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from govrules.compiler import (
    CompiledPack,
    CompiledRule,
    ConditionError,
    SymbolTable,
    compile_condition,
    pack_digest,
)
from govrules.diagnostics import Diagnostic, SourceLocation, sort_key
from govrules.errors import PackError, ProjectError
from govrules.models.pack import Article, Citation, ExceptionRule, ObligationRule, Pack
from govrules.models.project import EVENT_NAMES, Project
from govrules.yaml_io import DEFAULT_LIMITS, Document, Limits, YamlInputError, load_yaml, read_text

BUNDLED_IDS = ("qujing-2020", "chuxiong-2025", "jingzhou-2017", "linfen-2021")


def policies_dir() -> Path:
    """Where the bundled packs are (installed with the package, or in a source checkout)."""
    try:
        installed = Path(str(resources.files("govrules.policies")))
        if installed.is_dir():
            return installed
    except ModuleNotFoundError:  # pragma: no cover - only in a broken install
        pass
    return Path(__file__).resolve().parents[2] / "policies"  # pragma: no cover


def bundled_pack_ids() -> list[str]:
    """Ids of the packs bundled with govrules, those present on disk, in a stable order."""
    present = {p.name.removesuffix(".yaml") for p in policies_dir().glob("*.yaml")
               if not p.name.endswith(".cases.yaml") and p.name != "vocabulary.yaml"}
    return [pid for pid in BUNDLED_IDS if pid in present] + sorted(present - set(BUNDLED_IDS) - {"vocabulary"})


def resolve_pack_path(source: str | Path) -> Path:
    """A bundled pack id or a path → the pack file's path."""
    text = str(source)
    if not text.endswith((".yaml", ".yml")) and "/" not in text and "\\" not in text:
        path = policies_dir() / f"{text}.yaml"
        if not path.is_file():
            raise PackError(f"no bundled pack `{text}`; bundled: {', '.join(bundled_pack_ids())}",
                            code="pack_not_found")
        return path
    path = Path(source)
    if not path.is_file():
        raise PackError(f"pack file not found: {path}", code="pack_not_found")
    return path


def load_pack(source: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> CompiledPack:
    """Load, check and compile a pack: a bundled id (``"chuxiong-2025"``) or a path to a ``.yaml`` file.

    Raises :class:`PackError` listing every problem with file, line and column.

    >>> pack = load_pack("chuxiong-2025")
    >>> pack.document
    '楚政办通〔2025〕26号'
    """
    path = resolve_pack_path(source)
    key = (str(path.resolve()), path.stat().st_mtime_ns, limits)
    return _load_cached(*key)


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime: int, limits: Limits) -> CompiledPack:
    from govrules import cache

    raw = Path(path).read_bytes()
    file = _display(Path(path))
    inherits = b"\nextends:" in raw or raw.startswith(b"extends:")
    if limits == DEFAULT_LIMITS and not inherits:  # a child's bytes do not capture its parent's
        cached = cache.load(raw, file)
        if cached is not None:
            return cached
    compiled = load_pack_text(raw, file=file, limits=limits)
    if limits == DEFAULT_LIMITS and not inherits:
        cache.store(raw, compiled)
    return compiled


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_pack_text(raw: bytes | str, *, file: str = "<pack>", limits: Limits = DEFAULT_LIMITS) -> CompiledPack:
    """Load and compile a pack from bytes or text (``file`` names it in messages)."""
    try:
        text = read_text(raw, file, limits) if isinstance(raw, bytes) else raw
        document = load_yaml(text, file, limits)
    except YamlInputError as exc:
        raise PackError(f"{file}: cannot read the pack", diagnostics=exc.diagnostics,
                        code="pack_syntax") from None
    pack = parse_pack(document)
    return compile_pack(pack, document, text)


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
    return Diagnostic("pack.schema", f"{where}: {message}", location)


def _expression_location(text_lines: list[str], start: SourceLocation, expression: str,
                         offset: int | None) -> SourceLocation:
    """Map an offset inside a condition to the file's line and column."""
    if offset is None:
        return start
    before = expression[:offset]
    expr_line = before.count("\n")
    expr_col = offset - (before.rfind("\n") + 1)
    lines = expression.split("\n")
    first = lines[expr_line].strip() if expr_line < len(lines) else ""
    for line_no in range(start.line - 1, min(len(text_lines), start.line + 40)):
        source_line = text_lines[line_no]
        if expr_line == 0:
            found = source_line.find(lines[0].strip(), start.column - 1 if line_no == start.line - 1 else 0)
        else:
            found = source_line.find(first) if first else -1
            if found >= 0 and line_no < start.line:
                found = -1
        if found >= 0 and (expr_line == 0 or line_no >= start.line - 1 + expr_line):
            indent = len(lines[expr_line]) - len(lines[expr_line].lstrip())
            return SourceLocation(start.file, line_no + 1, found + 1 + expr_col - indent)
    return start


def compile_pack(pack: Pack, document: Document | None = None, text: str | None = None) -> CompiledPack:
    """Check references and compile every condition; raise :class:`PackError` with all problems found."""
    file = document.file if document else "<pack>"
    lines = text.splitlines() if text else []
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def at(*path: str | int, key: bool = False) -> SourceLocation | None:
        return document.locate(path, key=key) if document else None

    articles: dict[int, Article] = {}
    for i, article in enumerate(pack.articles):
        if article.number in articles:
            errors.append(Diagnostic("pack.duplicate_article", f"article {article.number} appears twice",
                                     at("articles", i, "number")))
        articles[article.number] = article

    table = SymbolTable(pack)
    for name, code, message in table.problems:
        index = next((i for i, f in enumerate(pack.facts) if f.name == name), None)
        where = at("facts", index, "name") if index is not None else at(
            "parameters", next((i for i, p in enumerate(pack.parameters) if p.name == name), 0), "name")
        errors.append(Diagnostic(code, message, where))

    for i, parameter in enumerate(pack.parameters):
        errors.extend(_check_citation(parameter.cite, articles, at("parameters", i, "cite"), parameter.name))

    rules: list[CompiledRule] = []
    by_id: dict[str, CompiledRule] = {}
    for i, rule in enumerate(pack.rules):
        if rule.id in by_id:
            errors.append(Diagnostic("pack.duplicate_rule", f"rule id `{rule.id}` is used twice",
                                     at("rules", i, "id"), rule=rule.id))
            continue
        errors.extend(_check_citation(rule.cite, articles, at("rules", i, "cite"), rule.id))
        try:
            condition, notes = compile_condition(rule.when, table, rule.for_each)
        except ConditionError as exc:
            start = at("rules", i, "when") or SourceLocation(file, 1, 1)
            errors.append(Diagnostic(exc.code, exc.message, _expression_location(lines, start, rule.when, exc.offset),
                                     hint=exc.hint, rule=rule.id))
            continue
        for note in notes:
            warnings.append(Diagnostic("lint.money_literal", note, at("rules", i, "when"), severity="warning",
                                       rule=rule.id))
        met = None
        if isinstance(rule, ObligationRule) and rule.met_when is not None:
            try:
                met, _ = compile_condition(rule.met_when, table, rule.for_each)
            except ConditionError as exc:
                start = at("rules", i, "met_when") or SourceLocation(file, 1, 1)
                errors.append(Diagnostic(exc.code, exc.message,
                                         _expression_location(lines, start, rule.met_when, exc.offset),
                                         hint=exc.hint, rule=rule.id))
                continue
        compiled = CompiledRule(rule, condition, i, met)
        rules.append(compiled)
        by_id[rule.id] = compiled
        if isinstance(rule, ObligationRule):
            errors.extend(_check_obligation(rule, table, pack, at("rules", i)))

    known_ids = {r.id for r in pack.rules}
    for i, rule in enumerate(pack.rules):
        for j, exception_id in enumerate(rule.unless):
            target = next((r for r in pack.rules if r.id == exception_id), None)
            if target is None:
                close = [r for r in known_ids if r.startswith(exception_id.split(".")[0])][:3]
                errors.append(Diagnostic("pack.dangling_exception", f"`unless` names no rule `{exception_id}`",
                                         at("rules", i, "unless", j), rule=rule.id,
                                         hint=("rules with a similar id: " + ", ".join(sorted(close))) if close
                                         else None))
            elif not isinstance(target, ExceptionRule):
                errors.append(Diagnostic("pack.exception_kind",
                                         f"`{exception_id}` is a {target.kind} rule; `unless` takes exception rules",
                                         at("rules", i, "unless", j), rule=rule.id))
            elif target.for_each is not None and target.for_each != rule.for_each:
                errors.append(Diagnostic("pack.exception_scope",
                                         f"exception `{exception_id}` ranges over {target.for_each.value}, "
                                         f"the rule does not", at("rules", i, "unless", j), rule=rule.id))

    cited = {r.cite.article for r in pack.rules} | {p.cite.article for p in pack.parameters}
    for i, article in enumerate(pack.articles):
        if article.informational is None and article.number not in cited:
            warnings.append(Diagnostic(
                "lint.article_unaccounted", f"article {article.number} is neither encoded nor informational",
                at("articles", i, "number"), severity="warning",
                hint="cite it from a rule, or give `informational:` with the reason"))

    if errors:
        raise PackError(f"{file}: {len(errors)} problem(s)", diagnostics=sorted(errors, key=sort_key),
                        code="pack_invalid")
    return CompiledPack(pack, table, rules, by_id, pack_digest(pack), file, sorted(warnings, key=sort_key))


def _check_citation(cite: Citation, articles: dict[int, Article], where: SourceLocation | None,
                    owner: str) -> list[Diagnostic]:
    article = articles.get(cite.article)
    if article is None:
        return [Diagnostic("pack.citation", f"cites article {cite.article}, which the pack does not have", where,
                           rule=owner)]
    paragraphs = len(article.paragraphs) if article.paragraphs else 1
    if cite.paragraph is not None and cite.paragraph > paragraphs:
        return [Diagnostic("pack.citation", f"cites paragraph {cite.paragraph} of article {cite.article}, "
                           f"which has {paragraphs}", where, rule=owner)]
    if cite.item is not None:
        numbers = {it.number for it in article.items or []}
        if cite.item not in numbers:
            return [Diagnostic("pack.citation", f"cites item {cite.item} of article {cite.article}, "
                               f"which has {len(numbers)} item(s)", where, rule=owner)]
    return []


def _check_obligation(rule: ObligationRule, table: SymbolTable, pack: Pack,
                      where: SourceLocation | None) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for event in (rule.done, rule.deadline.after if rule.deadline else None):
        if event is not None and event not in EVENT_NAMES:
            problems.append(Diagnostic("pack.unknown_event", f"unknown event `{event}`", where, rule=rule.id,
                                       hint="events: " + ", ".join(EVENT_NAMES)))
    deadline = rule.deadline
    if deadline is not None:
        if deadline.parameter is not None and deadline.parameter not in {p.name for p in pack.parameters}:
            problems.append(Diagnostic("pack.unknown_parameter", f"unknown parameter `{deadline.parameter}`",
                                       where, rule=rule.id))
        if deadline.year_from is not None and deadline.year_from not in table.symbols:
            problems.append(Diagnostic("pack.unknown_symbol", f"unknown symbol `{deadline.year_from}`", where,
                                       rule=rule.id))
    return problems


# --------------------------------------------------------------------------------------------------
# Projects


def load_project(path: str | Path) -> Project:
    """Read and validate a project file (YAML or JSON); raise :class:`ProjectError` with field paths."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror}", source=str(path)) from None
    data = read_project_data(raw, str(path))
    return validate_project(data, source=str(path))


def read_project_data(raw: bytes, file: str) -> Any:
    """Parse a project file's bytes (YAML, or JSON, which is YAML too) into plain data."""
    try:
        text = read_text(raw, file)
        if file.endswith(".json"):
            return json.loads(text, parse_float=Decimal)
        return load_yaml(text, file).data
    except YamlInputError as exc:
        d = exc.diagnostics[0]
        raise ProjectError(str(d), errors=[e.to_dict() for e in exc.diagnostics], source=file) from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}", source=file,
                           errors=[{"path": "", "message": exc.msg, "line": exc.lineno, "column": exc.colno}]) from None


def validate_project(data: Any, *, source: str | None = None) -> Project:
    """Validate plain data as a :class:`Project`, turning pydantic's errors into field paths."""
    if isinstance(data, Project):
        return data
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        errors = [project_error_entry(e) for e in exc.errors()]
        prefix = f"{source}: " if source else ""
        summary = "; ".join(f"{e['path'] or '(record)'}: {e['message']}" for e in errors[:5])
        raise ProjectError(f"{prefix}invalid project: {summary}", errors=errors, source=source,
                           message_zh="项目数据有误: " + summary) from None


def project_error_entry(error: Any) -> dict[str, Any]:
    """One pydantic error as ``{path, message, type}``; unknown keys point at the key itself."""
    loc = [str(p) for p in error["loc"] if not str(p).startswith("function-")]
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("unknown key `"):
        loc.append(message.split("`")[1])
    if error["type"] == "missing":
        message = "required"
    return {"path": ".".join(loc), "message": message, "type": error["type"]}
