"""Files → checked, compiled packs; and project files → Project models.

Loading is strictly data: :mod:`govrules.yaml_io` refuses tags, aliases and duplicate keys. Every
problem found becomes a :class:`~govrules.diagnostics.Diagnostic` with file, line and column, and all
of them are reported together in one :class:`~govrules.errors.PackError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
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
from govrules.models.pack import Article, Citation, ExceptionRule, ObligationRule, Pack, Unit
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
    resolved = str(path.resolve())
    key = (resolved, path.stat().st_mtime_ns, limits, _parents_stamp(resolved))
    return _load_cached(*key)


def _parents_stamp(path: str) -> tuple[tuple[str, int], ...]:
    """The modification times of the files ``path`` extends (as of its last load): a changed parent
    must not be served from the cache."""
    stamp = []
    for parent in _PARENTS.get(path, ()):
        try:
            stamp.append((parent, Path(parent).stat().st_mtime_ns))
        except OSError:
            stamp.append((parent, -1))
    return tuple(stamp)


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime: int, limits: Limits, _parents: tuple[tuple[str, int], ...] = ()) -> CompiledPack:
    from govrules import cache

    raw = Path(path).read_bytes()
    file = _display(Path(path))
    inherits = b"\nextends:" in raw or raw.startswith(b"extends:")
    if limits == DEFAULT_LIMITS and not inherits:  # a child's bytes do not capture its parent's
        cached = cache.load(raw, file)
        if cached is not None:
            return cached
    compiled = load_pack_text(raw, file=file, limits=limits, base_dir=Path(path).parent)
    if limits == DEFAULT_LIMITS and not inherits:
        cache.store(raw, compiled)
    return compiled


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_pack_text(raw: bytes | str, *, file: str = "<pack>", limits: Limits = DEFAULT_LIMITS,
                   base_dir: Path | None = None) -> CompiledPack:
    """Load and compile a pack from bytes or text (``file`` names it in messages).

    ``base_dir`` is where a relative ``extends:`` path starts (default: the folder of ``file``).
    """
    return load_pack_document(raw, file=file, limits=limits, base_dir=base_dir)[0]


def load_pack_document(raw: bytes | str, *, file: str = "<pack>", limits: Limits = DEFAULT_LIMITS,
                       base_dir: Path | None = None) -> tuple[CompiledPack, Document]:
    """:func:`load_pack_text`, also returning the (merged) document, whose positions map every value of
    the pack to its file, line and column (used by :mod:`govrules.lint`)."""
    try:
        text = read_text(raw, file, limits) if isinstance(raw, bytes) else raw
        document = load_yaml(text, file, limits)
    except YamlInputError as exc:
        raise PackError(f"{file}: cannot read the pack", diagnostics=exc.diagnostics,
                        code="pack_syntax") from None
    if base_dir is None:
        base_dir = Path(file).parent if not file.startswith("<") else Path.cwd()
    document = resolve_extends(document, base_dir, limits=limits)
    pack = parse_pack(document)
    compiled = compile_pack(pack, document, text)
    if isinstance(document, MergedDocument) and document.warnings:
        compiled.diagnostics = sorted([*compiled.diagnostics, *document.warnings], key=sort_key)
    return compiled, document


# --------------------------------------------------------------------------------------------------
# Inheritance (`extends`)

_SECTIONS = ("articles", "facts", "parameters", "readings", "rules")
_MAX_EXTENDS_DEPTH = 8
#: pack file (resolved) → the files it extends, nearest first (recorded on every load, for the cache).
_PARENTS: dict[str, tuple[str, ...]] = {}


@dataclass
class MergedDocument(Document):
    """A pack document with what it inherits through ``extends`` merged in.

    ``positions`` point into whichever file each value came from; ``texts`` holds the text of each
    inherited file (to place errors inside conditions); ``warnings`` are findings of the merge.
    """

    texts: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    parents: tuple[str, ...] = ()


def _own_key(document: Document, directory: Path) -> Path | None:
    if document.file.startswith("<"):
        return None
    return (directory / Path(document.file).name).resolve()


def _extends_path(reference: str, directory: Path) -> Path | None:
    """A bundled id, or a path relative to ``directory`` → the pack file, if it exists."""
    text = reference.strip()
    if text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        path = (directory / text).resolve()
        return path if path.is_file() else None
    if not re.fullmatch(r"[a-z][a-z0-9\-]*", text):
        return None
    path = policies_dir() / f"{text}.yaml"
    return path.resolve() if path.is_file() else None


def resolve_extends(document: Document, directory: Path, *, limits: Limits = DEFAULT_LIMITS,
                    _chain: tuple[Path, ...] = ()) -> Document:
    """Merge the pack ``document`` extends (if any) into it; ``directory`` anchors relative paths.

    The parent (a bundled id or a path relative to ``directory``) is read and resolved in turn, and
    must be a valid pack on its own. The merged data holds the child's metadata; the child's own
    articles first, then the inherited ones, each marked with the ``measure`` (pack id, 文号, title)
    it belongs to; the parent's facts plus the child's; the parent's parameters and rules with the
    child's replacing those of the same name or id (in place), without the ``disable``d rules, then the
    child's new ones. Inherited citations get ``measure: <parent id>`` so they keep citing the parent's
    articles. Loops, unknown parents, and ``disable``/``replaces`` naming nothing inherited are
    :class:`PackError` with file:line:col. Without ``extends`` the document is returned unchanged.
    """
    data = document.data
    if not isinstance(data, dict):
        return document
    own = _own_key(document, directory)
    chain = (*_chain, own) if own is not None else _chain
    problems: list[Diagnostic] = []
    articles = data.get("articles")
    for i, article in enumerate(articles if isinstance(articles, list) else []):
        if isinstance(article, dict) and "measure" in article:
            problems.append(Diagnostic(
                "pack.article_measure", "`measure` is set by the loader on inherited articles, not written",
                document.locate(("articles", i, "measure"), key=True),
                hint="an article written in this file belongs to this pack's own measure: remove `measure`"))
    reference = data.get("extends")
    if reference is None:
        problems.extend(_needs_extends(document))
        if problems:
            raise PackError(f"{document.file}: {len(problems)} problem(s)", diagnostics=sorted(problems, key=sort_key),
                            code="pack_invalid")
        if own is not None:
            _PARENTS[str(own)] = ()
        return document
    where = document.locate(("extends",))
    if not isinstance(reference, str) or not reference.strip():
        raise PackError(f"{document.file}: bad `extends`", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_unknown", "`extends` takes a bundled pack id or a path relative to this file", where)])
    parent_path = _extends_path(reference, directory)
    if parent_path is None:
        bundled = ", ".join(bundled_pack_ids())
        text = reference.strip()
        as_path = text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text
        what = f"no file {_display(directory / text)}" if as_path else f"no bundled pack `{text}`"
        raise PackError(f"{document.file}: `extends` names no pack", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_unknown", f"`extends: {text}` names no pack: {what}", where,
            hint=f"bundled packs: {bundled}; a path (ending in .yaml) is relative to this file's folder")])
    if parent_path in chain:
        names = [_display(p) for p in chain[chain.index(parent_path):]] + [_display(parent_path)]
        raise PackError(f"{document.file}: `extends` loops", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_loop", "`extends` makes a loop: " + " → ".join(names), where,
            hint="a pack may not extend itself, directly or through others")])
    if len(chain) > _MAX_EXTENDS_DEPTH:
        raise PackError(f"{document.file}: `extends` chain too long", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_depth", f"more than {_MAX_EXTENDS_DEPTH} packs extend one another", where)])
    parent_file = _display(parent_path)
    try:
        parent_text = read_text(parent_path.read_bytes(), parent_file, limits)
        parent_document = load_yaml(parent_text, parent_file, limits)
    except YamlInputError as exc:
        raise PackError(f"{parent_file}: cannot read the pack {document.file} extends", diagnostics=exc.diagnostics,
                        code="pack_syntax") from None
    parent_document = resolve_extends(parent_document, parent_path.parent, limits=limits, _chain=chain)
    parent = parse_pack(parent_document)  # the parent must be a valid pack on its own
    taken = [m.pack for m in parent.measures()]
    if data.get("id") in taken:
        raise PackError(f"{document.file}: the pack has the id of a pack it extends", code="pack_invalid",
                        diagnostics=[Diagnostic(
                            "pack.extends_same_id", f"`id: {data.get('id')}` is the id of a pack this one extends "
                            f"({', '.join(taken)})", document.locate(("id",)),
                            hint="a pack that extends another is another measure: give it its own id")])
    merged = _merge_extends(document, parent_document, parent, problems)
    if problems:
        raise PackError(f"{document.file}: {len(problems)} problem(s)", diagnostics=sorted(problems, key=sort_key),
                        code="pack_invalid")
    texts = dict(parent_document.texts) if isinstance(parent_document, MergedDocument) else {}
    texts[parent_file] = parent_text
    grand = parent_document.parents if isinstance(parent_document, MergedDocument) else ()
    merged.texts = texts
    merged.parents = (str(parent_path), *grand)
    if own is not None:
        _PARENTS[str(own)] = merged.parents
    return merged


def _needs_extends(document: Document) -> list[Diagnostic]:
    """``disable`` and ``replaces`` only mean something in a pack that extends another."""
    data = document.data
    problems = []
    if data.get("disable"):
        problems.append(Diagnostic("pack.extends_missing", "`disable` drops inherited rules, but the pack has no "
                                   "`extends`", document.locate(("disable",), key=True),
                                   hint="add `extends: <pack id or path>`, or remove `disable`"))
    for section in ("parameters", "rules"):
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("replaces") is True:
                problems.append(Diagnostic("pack.extends_missing", "`replaces: true`, but the pack has no `extends`",
                                           document.locate((section, i, "replaces"), key=True),
                                           hint="add `extends: <pack id or path>`, or remove `replaces`"))
    return problems


def _inherit_cite(item: dict[str, Any], parent_id: str) -> dict[str, Any]:
    cite = item.get("cite")
    if isinstance(cite, dict) and cite.get("measure") is None:
        return {**item, "cite": {**cite, "measure": parent_id}}
    return item


def _merge_extends(child: Document, parent_document: Document, parent: Pack,
                   problems: list[Diagnostic]) -> MergedDocument:
    data: dict[str, Any] = child.data
    inherited: dict[str, Any] = parent_document.data
    parent_id = parent.id
    warnings: list[Diagnostic] = []
    # index maps: (source, section) → {old index: new index}
    child_map: dict[str, dict[int, int]] = {s: {} for s in _SECTIONS}
    parent_map: dict[str, dict[int, int]] = {s: {} for s in _SECTIONS}

    def own_list(section: str) -> list[Any]:
        value = data.get(section)
        return value if isinstance(value, list) else []

    # articles: the child's own, then the inherited ones, marked with their measure
    ref = {"pack": parent.id, "document": parent.document, "title": parent.title}
    out_articles: list[Any] = []
    for i, article in enumerate(own_list("articles")):
        child_map["articles"][i] = len(out_articles)
        out_articles.append(article)
    for j, article in enumerate(inherited["articles"]):
        parent_map["articles"][j] = len(out_articles)
        out_articles.append(article if article.get("measure") is not None else {**article, "measure": ref})

    # facts: inherited, then the child's; the same name again must mean the same thing
    out_facts: list[Any] = []
    by_name: dict[str, int] = {}
    for j, fact in enumerate(inherited.get("facts") or []):
        parent_map["facts"][j] = len(out_facts)
        by_name[fact["name"]] = len(out_facts)
        citation = fact.get("citation")  # a presumption's article is the parent's
        if isinstance(citation, dict) and citation.get("measure") is None:
            fact = {**fact, "citation": {**citation, "measure": parent_id}}
        out_facts.append(fact)
    parent_facts = {f.name: f for f in parent.facts}
    for i, fact in enumerate(own_list("facts")):
        name = fact.get("name") if isinstance(fact, dict) else None
        if isinstance(name, str) and name in by_name:
            old = parent_facts[name]
            same = (fact.get("type") == old.type.value and fact.get("scope", "project") == old.scope.value
                    and (fact.get("values") or None) == old.values)
            if not same:
                problems.append(Diagnostic(
                    "pack.fact_conflict", f"fact `{name}` is inherited from {parent_id} as {old.type.value}"
                    + (f" {old.values}" if old.values else "") + "; redeclared differently",
                    child.locate(("facts", i, "name")),
                    hint="an inherited fact keeps its type, scope and values; use a new name for a new fact"))
                continue
            position = by_name[name]
            parent_map["facts"] = {k: v for k, v in parent_map["facts"].items() if v != position}
            child_map["facts"][i] = position
            out_facts[position] = fact
            continue
        child_map["facts"][i] = len(out_facts)
        out_facts.append(fact)

    out_parameters = _merge_named(child, inherited, "parameters", "name", parent_id, set(), child_map,
                                  parent_map, problems, warnings)
    out_readings = _merge_named(child, inherited, "readings", "id", parent_id, set(), child_map, parent_map,
                                problems, warnings)
    disabled = _disabled(child, inherited, problems)
    out_rules = _merge_named(child, inherited, "rules", "id", parent_id, disabled, child_map, parent_map, problems,
                             warnings)
    if disabled:
        out_rules = _check_disabled(child, out_rules, disabled, problems)

    merged_data = {key: value for key, value in data.items() if key not in _SECTIONS}
    merged_data.update(articles=out_articles, facts=out_facts, parameters=out_parameters, rules=out_rules)
    if out_readings:
        merged_data["readings"] = out_readings

    positions: dict[Any, SourceLocation] = {}
    key_positions: dict[Any, SourceLocation] = {}
    for table, child_table, parent_table in ((positions, child.positions, parent_document.positions),
                                             (key_positions, child.key_positions, parent_document.key_positions)):
        for path, location in parent_table.items():
            if len(path) >= 2 and path[0] in _SECTIONS and path[1] in parent_map[str(path[0])]:
                table[(path[0], parent_map[str(path[0])][int(path[1])], *path[2:])] = location
        for path, location in child_table.items():
            if len(path) >= 2 and path[0] in _SECTIONS and isinstance(path[1], int):
                if path[1] in child_map[str(path[0])]:
                    table[(path[0], child_map[str(path[0])][path[1]], *path[2:])] = location
            else:
                table[path] = location
    return MergedDocument(merged_data, child.file, positions, key_positions, warnings=warnings)


def _disabled(child: Document, inherited: dict[str, Any], problems: list[Diagnostic]) -> set[str]:
    raw = child.data.get("disable")
    if not isinstance(raw, list):
        return set()  # the schema check reports a malformed `disable`
    known = [r["id"] for r in inherited.get("rules") or []]
    disabled: set[str] = set()
    for j, rule_id in enumerate(raw):
        if not isinstance(rule_id, str):
            continue
        if rule_id not in known:
            import difflib  # only for suggestions in messages: not imported on the way to a verdict
            close = difflib.get_close_matches(rule_id, known, n=1, cutoff=0.6)
            problems.append(Diagnostic(
                "pack.disable_unknown", f"`disable` names `{rule_id}`, which the pack it extends does not have",
                child.locate(("disable", j)), rule=rule_id,
                hint=f"did you mean `{close[0]}`?" if close else "list the inherited rules with `govrules check`"))
            continue
        disabled.add(rule_id)
    return disabled


def _merge_named(child: Document, inherited: dict[str, Any], section: str, key: str, parent_id: str,
                 disabled: set[str], child_map: dict[str, dict[int, int]], parent_map: dict[str, dict[int, int]],
                 problems: list[Diagnostic], warnings: list[Diagnostic]) -> list[Any]:
    """Inherited entries (minus ``disabled``), the child's replacing those of the same ``key`` in place,
    then the child's new ones."""
    out: list[Any] = []
    at: dict[str, int] = {}
    for j, item in enumerate(inherited.get(section) or []):
        if item[key] in disabled:
            continue
        parent_map[section][j] = len(out)
        at[item[key]] = len(out)
        out.append(_inherit_cite(item, parent_id))
    parent_keys = [item[key] for item in inherited.get(section) or []]
    own = child.data.get(section)
    what = {"rules": "rule", "readings": "reading"}.get(section, "parameter")
    for i, item in enumerate(own if isinstance(own, list) else []):
        name = item.get(key) if isinstance(item, dict) else None
        marked = isinstance(item, dict) and item.get("replaces") is True
        if isinstance(name, str) and name in disabled:
            problems.append(Diagnostic(
                "pack.disable_conflict", f"{what} `{name}` is both disabled and defined here",
                child.locate((section, i, key)), rule=name,
                hint="to replace the inherited rule, remove it from `disable`; to drop it, remove this rule"))
            continue
        if isinstance(name, str) and name in at:
            position = at[name]
            parent_map[section] = {k: v for k, v in parent_map[section].items() if v != position}
            child_map[section][i] = position
            out[position] = item
            if not marked:
                warnings.append(Diagnostic(
                    "lint.implicit_replace", f"{what} `{name}` replaces the one inherited from {parent_id}",
                    child.locate((section, i, key)), severity="warning", rule=name,
                    hint="add `replaces: true` to say so (and to have a typo in the name caught)"))
            continue
        if marked:
            import difflib
            close = difflib.get_close_matches(str(name), parent_keys, n=1, cutoff=0.6)
            problems.append(Diagnostic(
                "pack.replace_unknown", f"`replaces: true`, but {parent_id} has no {what} `{name}`",
                child.locate((section, i, key)), rule=str(name),
                hint=f"did you mean `{close[0]}`?" if close else f"remove `replaces` to add a new {what}"))
            continue
        child_map[section][i] = len(out)
        out.append(item)
    return out


def _check_disabled(child: Document, rules: list[Any], disabled: set[str],
                    problems: list[Diagnostic]) -> list[Any]:
    """A disabled exception still named in an ``unless`` is an error; ``overrides`` of it are dropped."""
    raw = child.data.get("disable") or []
    out = []
    for rule in rules:
        if not isinstance(rule, dict):
            out.append(rule)
            continue
        for exception_id in rule.get("unless") or []:
            if exception_id in disabled:
                j = raw.index(exception_id)
                problems.append(Diagnostic(
                    "pack.disable_referenced", f"`{exception_id}` is disabled, but `unless` of `{rule.get('id')}` "
                    "still names it", child.locate(("disable", j)), rule=exception_id,
                    hint=f"replace `{rule.get('id')}` too (same id, without it in `unless`), or disable it as well"))
        overrides = rule.get("overrides")
        if isinstance(overrides, list) and any(o in disabled for o in overrides):
            rule = {**rule, "overrides": [o for o in overrides if o not in disabled]}
        out.append(rule)
    return out


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
    texts = {file: text or ""} | (document.texts if isinstance(document, MergedDocument) else {})

    def lines_of(start: SourceLocation) -> list[str]:  # the text of the file a condition is in
        return texts.get(start.file, "").splitlines()

    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def at(*path: str | int, key: bool = False) -> SourceLocation | None:
        return document.locate(path, key=key) if document else None

    articles: dict[tuple[str, int], Article] = {}  # by (measure, number): a child and its parent both have a 第一条
    for i, article in enumerate(pack.articles):
        # pack.measure_of(article).pack, without building the pack's own MeasureRef for every article
        number = (article.measure.pack if article.measure is not None else pack.id, article.number)
        if number in articles:
            errors.append(Diagnostic("pack.duplicate_article", f"article {article.number} appears twice",
                                     at("articles", i, "number"), hint="each article is listed once, in order"))
        articles[number] = article

    table = SymbolTable(pack)
    for name, code, message in table.problems:
        index = next((i for i, f in enumerate(pack.facts) if f.name == name), None)
        where = at("facts", index, "name") if index is not None else at(
            "parameters", next((i for i, p in enumerate(pack.parameters) if p.name == name), 0), "name")
        errors.append(Diagnostic(code, message, where))

    chain = [m.pack for m in pack.measures()]
    for i, parameter in enumerate(pack.parameters):
        errors.extend(_check_citation(parameter.cite, articles, at("parameters", i, "cite"), parameter.name, pack,
                                      chain))

    rules: list[CompiledRule] = []
    by_id: dict[str, CompiledRule] = {}
    for i, rule in enumerate(pack.rules):
        if rule.id in by_id:
            errors.append(Diagnostic("pack.duplicate_rule", f"rule id `{rule.id}` is used twice",
                                     at("rules", i, "id"), rule=rule.id,
                                     hint="give each rule its own id (to replace an inherited rule, define it once, "
                                          "with `replaces: true`)"))
            continue
        errors.extend(_check_citation(rule.cite, articles, at("rules", i, "cite"), rule.id, pack, chain))
        try:
            condition, notes = compile_condition(rule.when, table, rule.for_each)
        except ConditionError as exc:
            start = at("rules", i, "when") or SourceLocation(file, 1, 1)
            errors.append(Diagnostic(exc.code, exc.message,
                                     _expression_location(lines_of(start), start, rule.when, exc.offset),
                                     hint=exc.hint, rule=rule.id))
            continue
        for note in notes:
            warnings.append(Diagnostic("lint.money_literal", note, at("rules", i, "when"), severity="warning",
                                       rule=rule.id, hint="declare the amount under `parameters:` (unit CNY, citing "
                                                          "the article that names it) and compare with its name"))
        met = None
        if isinstance(rule, ObligationRule) and rule.met_when is not None:
            try:
                met, _ = compile_condition(rule.met_when, table, rule.for_each)
            except ConditionError as exc:
                start = at("rules", i, "met_when") or SourceLocation(file, 1, 1)
                errors.append(Diagnostic(exc.code, exc.message,
                                         _expression_location(lines_of(start), start, rule.met_when, exc.offset),
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

    readings = {r.id: r for r in pack.readings}
    for i, reading in enumerate(pack.readings):
        errors.extend(_check_citation(reading.cite, articles, at("readings", i, "cite"), reading.id, pack, chain))
    for i, fact in enumerate(pack.facts):
        if fact.citation is not None:
            errors.extend(_check_citation(fact.citation, articles, at("facts", i, "citation"), fact.name, pack, chain))
    for i, rule in enumerate(pack.rules):
        for reading_id, option_id in (rule.reading or {}).items():
            declared = readings.get(reading_id)
            if declared is None:
                errors.append(Diagnostic("pack.unknown_reading", f"`reading` names no reading `{reading_id}`",
                                         at("rules", i, "reading", reading_id, key=True), rule=rule.id,
                                         hint="declare it under `readings:` (id, question, options, default)"))
            elif declared.option(option_id) is None:
                errors.append(Diagnostic("pack.unknown_reading", f"reading `{reading_id}` has no option `{option_id}`"
                                         f"; options: {', '.join(o.id for o in declared.options)}",
                                         at("rules", i, "reading", reading_id), rule=rule.id))

    cited = {(c.measure or pack.id, c.article) for c in [*(r.cite for r in pack.rules),
                                                          *(p.cite for p in pack.parameters),
                                                          *(r.cite for r in pack.readings)]}
    for i, article in enumerate(pack.articles):
        # an inherited article was accounted for in its own pack (its rules may be disabled here on purpose)
        if article.informational is None and article.measure is None and (pack.id, article.number) not in cited:
            warnings.append(Diagnostic(
                "lint.article_unaccounted", f"article {article.number} is neither encoded nor informational",
                at("articles", i, "number"), severity="warning",
                hint="cite it from a rule, or give `informational:` with the reason"))

    if errors:
        raise PackError(f"{file}: {len(errors)} problem(s)", diagnostics=sorted(errors, key=sort_key),
                        code="pack_invalid")
    return CompiledPack(pack, table, rules, by_id, pack_digest(pack), file, sorted(warnings, key=sort_key))


def _check_citation(cite: Citation, articles: dict[tuple[str, int], Article], where: SourceLocation | None,
                    owner: str, pack: Pack, chain: list[str]) -> list[Diagnostic]:
    """Problems of ``cite``; ``chain`` is the ids of ``pack.measures()``."""
    measure = cite.measure or pack.id
    if measure not in chain:
        return [Diagnostic("pack.citation_measure", f"cites measure `{measure}`, which is not this pack nor one it "
                           "extends", where, rule=owner, hint="measures here: " + ", ".join(chain))]
    of = "" if measure == pack.id else f" of {measure}"
    article = articles.get((measure, cite.article))
    if article is None:
        numbers = sorted(n for m, n in articles if m == measure)
        span = f"articles {numbers[0]}–{numbers[-1]}" if numbers else "no articles"
        hint = f"{measure} has {span}" + ("" if cite.measure else "; an inherited article is cited with "
                                          "`measure: <pack id>`" if len(chain) > 1 else "")
        return [Diagnostic("pack.citation", f"cites article {cite.article}{of}, which the pack does not have", where,
                           rule=owner, hint=hint)]
    paragraphs = len(article.paragraphs) if article.paragraphs else 1
    if cite.paragraph is not None and cite.paragraph > paragraphs:
        return [Diagnostic("pack.citation", f"cites paragraph {cite.paragraph} of article {cite.article}{of}, "
                           f"which has {paragraphs}", where, rule=owner,
                           hint="list the article's 款 under `paragraphs:` to cite them" if paragraphs == 1 else
                           f"paragraphs run 1–{paragraphs}")]
    if cite.item is not None:
        items = {it.number for it in article.items or []}
        if cite.item not in items:
            return [Diagnostic("pack.citation", f"cites item {cite.item} of article {cite.article}{of}, "
                               f"which has {len(items)} item(s)", where, rule=owner,
                               hint="list the article's 项 under `items:` to cite them" if not items else
                               "items: " + ", ".join(map(str, sorted(items))))]
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
            return _load_json(text, file)
        return load_yaml(text, file).data
    except YamlInputError as exc:
        d = exc.diagnostics[0]
        errors = [{**e.to_dict(), "path": ""} for e in exc.diagnostics]
        raise ProjectError(str(d), errors=errors, source=file,
                           message_zh=f"{d.location or file}: 文件无法读取为项目数据（{d.code}）") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}", source=file,
                           errors=[{"path": "", "message": exc.msg, "line": exc.lineno, "column": exc.colno}],
                           message_zh=f"{file}:{exc.lineno}:{exc.colno}: JSON 格式错误") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _TooLong(Exception):
    pass


def _json_object(items: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(items)
    if len(found) != len(items):  # a key given twice: which one
        seen: set[str] = set()
        for key, _value in items:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def _json_decimal(digits: str) -> Decimal:
    if len(digits) > 40:
        raise _TooLong(f"a number of {len(digits)} characters")
    return Decimal(digits)


def _json_integer(digits: str) -> int:
    if len(digits) > 40:
        raise _TooLong(f"a number of {len(digits)} characters")
    return int(digits)


# one decoder for every document (``json.loads`` with hooks builds a new one per call)
_JSON = json.JSONDecoder(parse_float=_json_decimal, parse_int=_json_integer, object_pairs_hook=_json_object)


def _load_json(text: str, file: str) -> Any:
    """JSON as data, with the same refusals as YAML: duplicate keys, huge numbers, deep nesting."""
    try:
        return _JSON.decode(text)
    except _DuplicateKey as exc:
        raise ProjectError(f"{file}: duplicate key `{exc.key}`", source=file,
                           errors=[{"path": exc.key, "message": f"duplicate key `{exc.key}`"}],
                           message_zh=f"{file}: 键 {exc.key} 重复") from None
    except _TooLong as exc:
        raise ProjectError(f"{file}: {exc}", source=file, errors=[{"path": "", "message": str(exc)}],
                           message_zh=f"{file}: 数值过长") from None
    except RecursionError:
        raise ProjectError(f"{file}: the JSON is nested too deeply", source=file,
                           errors=[{"path": "", "message": "nested too deeply"}],
                           message_zh=f"{file}: JSON 嵌套过深") from None


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
