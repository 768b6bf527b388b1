"""Inheritance between packs (`extends`, `disable`, `replaces`): the merged document."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govrules.diagnostics import Diagnostic, SourceLocation, sort_key
from govrules.errors import PackError
from govrules.models.pack import Pack
from govrules.packs.bundled import bundled_pack_ids, display_path, policies_dir
from govrules.packs.parse import parse_pack
from govrules.packs.yaml_io import DEFAULT_LIMITS, Document, Limits, YamlInputError, load_yaml, read_bounded, read_text

# --------------------------------------------------------------------------------------------------
# Inheritance (`extends`)

_SECTIONS = ("articles", "facts", "parameters", "readings", "terms", "rules")
_MAX_EXTENDS_DEPTH = 8
#: pack file (resolved) → the files it extends, nearest first (recorded on every load, for the cache).
EXTENDED_FILES: dict[str, tuple[str, ...]] = {}


@dataclass
class MergedDocument(Document):
    """A pack document with what it inherits through ``extends`` merged in.

    ``positions`` point into whichever file each value came from; ``texts`` holds the text of each
    inherited file (to place errors inside conditions); ``warnings`` are findings of the merge.
    """

    texts: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    parents: tuple[str, ...] = ()
    #: (resolved path, SHA-256 of the bytes read) of each pack in ``parents``, in the same order
    sources: tuple[tuple[str, str], ...] = ()


def _own_key(document: Document, directory: Path) -> Path | None:
    if document.file.startswith("<"):
        return None
    return (directory / Path(document.file).name).resolve()


def extends_path(reference: str, directory: Path) -> Path | None:
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
            EXTENDED_FILES[str(own)] = ()
        return document
    where = document.locate(("extends",))
    if not isinstance(reference, str) or not reference.strip():
        raise PackError(f"{document.file}: bad `extends`", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_unknown", "`extends` takes a bundled pack id or a path relative to this file", where)])
    parent_path = extends_path(reference, directory)
    if parent_path is None:
        bundled = ", ".join(bundled_pack_ids())
        text = reference.strip()
        as_path = text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text
        what = f"no file {display_path(directory / text)}" if as_path else f"no bundled pack `{text}`"
        raise PackError(f"{document.file}: `extends` names no pack", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_unknown", f"`extends: {text}` names no pack: {what}", where,
            hint=f"bundled packs: {bundled}; a path (ending in .yaml) is relative to this file's folder")])
    if parent_path in chain:
        names = [display_path(p) for p in chain[chain.index(parent_path):]] + [display_path(parent_path)]
        raise PackError(f"{document.file}: `extends` loops", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_loop", "`extends` makes a loop: " + " → ".join(names), where,
            hint="a pack may not extend itself, directly or through others")])
    if len(chain) > _MAX_EXTENDS_DEPTH:
        raise PackError(f"{document.file}: `extends` chain too long", code="pack_invalid", diagnostics=[Diagnostic(
            "pack.extends_depth", f"more than {_MAX_EXTENDS_DEPTH} packs extend one another", where)])
    parent_file = display_path(parent_path)
    try:
        parent_raw = read_bounded(parent_path, limits.max_bytes)
        parent_text = read_text(parent_raw, parent_file, limits)
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
    merged.sources = ((str(parent_path), hashlib.sha256(parent_raw).hexdigest()),
                      *(parent_document.sources if isinstance(parent_document, MergedDocument) else ()))
    if own is not None:
        EXTENDED_FILES[str(own)] = merged.parents
    return merged


def _needs_extends(document: Document) -> list[Diagnostic]:
    """``disable`` and ``replaces`` only mean something in a pack that extends another."""
    data = document.data
    problems = []
    if data.get("disable"):
        problems.append(Diagnostic("pack.extends_missing", "`disable` drops inherited rules, but the pack has no "
                                   "`extends`", document.locate(("disable",), key=True),
                                   hint="add `extends: <pack id or path>`, or remove `disable`"))
    for section in ("parameters", "terms", "rules"):
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
    out_terms = _merge_named(child, inherited, "terms", "id", parent_id, set(), child_map, parent_map,
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
    if out_terms:
        merged_data["terms"] = out_terms

    def renumbered(child_paths: Iterable[Any], parent_paths: Iterable[Any]) -> list[tuple[Any, Any, bool]]:
        """(merged path, path in its own document, whether from the parent) of each path kept, the parent's
        first (so that the child's take precedence)."""
        out = []
        for path in parent_paths:
            if len(path) >= 2 and path[0] in _SECTIONS and path[1] in parent_map[str(path[0])]:
                out.append(((path[0], parent_map[str(path[0])][int(path[1])], *path[2:]), path, True))
        for path in child_paths:
            if len(path) >= 2 and path[0] in _SECTIONS and isinstance(path[1], int):
                if path[1] in child_map[str(path[0])]:
                    out.append(((path[0], child_map[str(path[0])][path[1]], *path[2:]), path, False))
            else:
                out.append((path, path, False))
        return out

    positions: dict[Any, SourceLocation] = {}
    key_positions: dict[Any, SourceLocation] = {}
    for table, child_table, parent_table in ((positions, child.positions, parent_document.positions),
                                             (key_positions, child.key_positions, parent_document.key_positions)):
        for merged, own, inherited_path in renumbered(child_table, parent_table):
            table[merged] = parent_table[own] if inherited_path else child_table[own]
    flow = {merged for merged, _, _ in renumbered(child.flow_mappings, parent_document.flow_mappings)}
    return MergedDocument(merged_data, child.file, positions, key_positions, flow, warnings=warnings)


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
    what = {"rules": "rule", "readings": "reading", "terms": "term"}.get(section, "parameter")
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


