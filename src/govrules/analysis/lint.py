"""Lint: what ``govrules check`` finds in a pack that loads.

Loading (:mod:`govrules.compile.loading`) already refuses a pack with errors — duplicate ids, undeclared facts,
citations of articles, paragraphs or items that do not exist, parameters without a unit, broken
``extends``. Lint looks further, at a pack that does load, for what would make it wrong or
misleading in use. Every finding is a :class:`~govrules.diagnostics.Diagnostic` with file:line:col,
the rule (or fact, parameter) it is about, and a hint.

=========================  ========  ==============================================================
code                       severity  finding
=========================  ========  ==============================================================
``lint.never_fires``       error     a rule's condition is false whatever the project (``x and not
                                     x``, a literal ``false``, ``execution == 'a' and execution ==
                                     'b'``): the rule can never conclude anything
``lint.dangling_override`` error     ``overrides`` names no rule, or a rule of another kind
``lint.unused_fact``       warning   a fact the pack declares but no condition reads
``lint.unused_parameter``  warning   a parameter no condition or deadline reads
``lint.article_unaccounted`` warning an article neither cited by a rule or parameter nor marked
                                     ``informational`` (found while loading)
``lint.money_literal``     warning   a condition compares money with a bare number instead of a
                                     parameter (found while loading)
``lint.ratio_literal``     warning   a condition multiplies or divides by a bare fraction (``budget *
                                     0.15``) or compares a ratio with a bare number (found while loading)
``lint.implicit_replace``  warning   a rule or parameter replaces an inherited one of the same id
                                     without saying ``replaces: true`` (found while loading)
``lint.time_undeclared``   warning   an obligation, ground or consequence reads event dates (or runs
                                     a deadline, or ranges over budget lines) without ``since`` or
                                     ``reaches_existing``: every date it reads is then required to
                                     fall on or after the effective date (:mod:`govrules.compile.temporal`)
``lint.since_unread``      error     ``since`` names an event the rule neither reads nor counts its
                                     deadline from
``lint.reaches_existing_moot`` warning ``reaches_existing`` on a rule that reads no date that could
                                     bar it: the declaration changes nothing
``lint.time_conflict``     error     both ``since`` and ``reaches_existing``
=========================  ========  ==============================================================

:func:`check_pack` runs it all: ``govrules check`` exits 1 when any finding (of loading or of lint)
is an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govrules.compile.compiler import CompiledPack, CompiledRule
from govrules.compile.temporal import lint_time
from govrules.diagnostics import Diagnostic, SourceLocation, sort_key
from govrules.models.pack import ChangeRule, ObligationRule, RouteRule
from govrules.packs.scaffold import PLACEHOLDER
from govrules.packs.yaml_io import DEFAULT_LIMITS, Document, Limits

#: Every lint code, its severity and what it finds (the table above, for tools and tests).
LINT_CODES: dict[str, tuple[str, str]] = {
    "lint.never_fires": ("error", "a rule's condition is false whatever the project"),
    "lint.dangling_override": ("error", "`overrides` names no rule, or a rule of another kind"),
    "lint.unused_fact": ("warning", "a declared fact that no condition reads"),
    "lint.unused_parameter": ("warning", "a parameter that no condition or deadline reads"),
    "lint.article_unaccounted": ("warning", "an article neither encoded nor informational"),
    "lint.money_literal": ("warning", "money compared with a bare number instead of a parameter"),
    "lint.ratio_literal": ("warning", "a bare fraction (`* 0.15`) or a ratio compared with a bare number instead of "
                                      "a parameter"),
    "lint.implicit_replace": ("warning", "an inherited rule or parameter replaced without `replaces: true`"),
    "lint.time_undeclared": ("warning", "a rule reads event dates without a decision about retroactivity"),
    "lint.since_unread": ("error", "`since` names an event the rule does not read"),
    "lint.reaches_existing_moot": ("warning", "`reaches_existing` on a rule that reads no date that could bar it"),
    "lint.time_conflict": ("error", "a rule declares both `since` and `reaches_existing`"),
    "lint.placeholder": ("warning", "text `govrules new-pack` left for the author (`待填写: …`) and never replaced"),
}

#: At most this many combinations of a rule's true/false and enumerated symbols are tried.
MAX_COMBINATIONS = 4096


@dataclass
class CheckResult:
    """A loaded pack and every finding about it, sorted by file, line and column."""

    pack: CompiledPack
    diagnostics: list[Diagnostic] = field(default_factory=list)
    document: Document | None = None

    def locate_rule(self, rule_id: str) -> SourceLocation | None:
        """Where rule ``rule_id`` is written (its ``when``), for findings that concern a rule — of any
        option of the pack's readings, not only the default ones; a parameter's name for a finding about
        a parameter (a citation)."""
        if self.document is None:
            return None
        for compiled in self.pack.all_rules:
            if compiled.id == rule_id:
                return self.document.locate(("rules", compiled.index, "when"))
        for i, parameter in enumerate(self.pack.pack.parameters):
            if parameter.name == rule_id:
                return self.document.locate(("parameters", i, "name"))
        return None

    def locate_fact(self, name: str, key: str = "name") -> SourceLocation | None:
        """Where fact ``name`` is declared (its ``key``: ``name``, ``presume``)."""
        if self.document is None:
            return None
        for i, fact in enumerate(self.pack.pack.facts):
            if fact.name == name:
                return self.document.locate(("facts", i, key))
        return None

    @property
    def errors(self) -> list[Diagnostic]:
        """Findings that make ``govrules check`` fail."""
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Findings worth a look that do not fail the check."""
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors


def check_pack(source: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Load ``source`` (a bundled id or a path) and lint it.

    Raises :class:`~govrules.errors.PackError` (with every load error, file:line:col) when the pack does
    not load; otherwise returns the loading warnings and the lint findings together.
    """
    from govrules.compile.loading import load_pack_document
    from govrules.packs.bundled import display_path, resolve_pack_path
    from govrules.packs.yaml_io import read_bounded

    path = resolve_pack_path(source)
    compiled, document = load_pack_document(read_bounded(path, limits.max_bytes), file=display_path(path),
                                            limits=limits, base_dir=path.parent)
    findings = [*compiled.diagnostics, *lint(compiled, document)]
    return CheckResult(compiled, sorted(findings, key=sort_key), document)


def lint(pack: CompiledPack, document: Document | None = None) -> list[Diagnostic]:
    """The lint findings about a compiled ``pack`` (not those already found while loading).

    With ``document`` (the pack's, as :func:`govrules.compile.loading.load_pack_document` returns it) findings
    carry file:line:col, and facts and parameters inherited through ``extends`` are left to the pack
    that declares them.
    """

    def at(*path: str | int) -> SourceLocation | None:
        return document.locate(path) if document is not None else None

    def own(location: SourceLocation | None) -> bool:
        return document is None or location is None or location.file == document.file

    findings: list[Diagnostic] = []
    for compiled in pack.all_rules:  # the rules of every reading's options
        if never_fires(pack, compiled):
            findings.append(Diagnostic(
                "lint.never_fires", "the condition is false whatever the project: the rule can never hold",
                at("rules", compiled.index, "when"), rule=compiled.id,
                hint="look for a contradiction (`x and not x`, two values of one field required at once) or a "
                     "literal `false`; write the condition the text states"))
    findings.extend(_dangling_overrides(pack, at))
    findings.extend(finding for finding in lint_time(pack.rules, lambda c, key: at("rules", c.index, key))
                    if own(finding.location))

    # Every option's rules: a symbol read only under a reading that is not the default is still read.
    read = set(pack.used_symbols)
    for compiled in pack.all_rules:  # a fact read only under another option of a reading is still read
        read |= compiled.symbols
        if compiled.met is not None:
            read |= compiled.met.symbols()
    deadline_parameters: set[str] = set()
    for rule in pack.pack.rules:
        if isinstance(rule, ObligationRule) and rule.deadline is not None:
            if rule.deadline.parameter:
                deadline_parameters.add(rule.deadline.parameter)
            if rule.deadline.year_from:
                read.add(rule.deadline.year_from)
    for i, fact in enumerate(pack.pack.facts):
        where = at("facts", i, "name")
        if fact.name not in read and own(where):
            findings.append(Diagnostic(
                "lint.unused_fact", f"fact `{fact.name}` is declared but no condition reads it", where,
                severity="warning", rule=fact.name, hint="use it in a rule's `when` or `met_when`, or remove it"))
    for i, parameter in enumerate(pack.pack.parameters):
        where = at("parameters", i, "name")
        if parameter.name not in read | deadline_parameters and own(where):
            findings.append(Diagnostic(
                "lint.unused_parameter", f"parameter `{parameter.name}` is declared but no condition or deadline "
                "reads it", where, severity="warning", rule=parameter.name,
                hint="use it in a condition (or a deadline's `parameter:`); when it replaces an inherited one, "
                     "check that the name is the parent's"))
    if document is not None:
        findings.extend(_placeholders(document.data, (), at))
    return sorted(findings, key=sort_key)


def _placeholders(value: Any, path: tuple[str | int, ...], at: Any) -> Iterator[Diagnostic]:
    """Text ``govrules new-pack`` left for the author (``待填写: …``) and never replaced."""
    if isinstance(value, str) and value.lstrip().startswith(PLACEHOLDER):
        yield Diagnostic(
            "lint.placeholder", f"`{'.'.join(map(str, path))}` still holds the skeleton's placeholder: {value[:40]}",
            at(*path), severity="warning", hint="write what the text gives (or remove the key where it is optional)")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholders(item, (*path, key), at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _placeholders(item, (*path, index), at)


def _dangling_overrides(pack: CompiledPack, at: Any) -> Iterator[Diagnostic]:
    every = {r.id: r for r in pack.all_rules}  # an override may name a rule of another reading's option
    for i, rule in enumerate(pack.pack.rules):
        if not isinstance(rule, RouteRule | ChangeRule):
            continue
        for j, target_id in enumerate(rule.overrides):
            target = every.get(target_id)
            if target is None:
                yield Diagnostic("lint.dangling_override", f"`overrides` names no rule `{target_id}`",
                                 at("rules", i, "overrides", j), rule=rule.id,
                                 hint="name a rule of this pack (after `extends`: one that is not disabled)")
            elif target.rule.kind != rule.kind:
                yield Diagnostic("lint.dangling_override",
                                 f"`overrides` names `{target_id}`, a {target.rule.kind} rule; a {rule.kind} rule "
                                 f"can only set aside {rule.kind} rules", at("rules", i, "overrides", j),
                                 rule=rule.id, hint=f"name a {rule.kind} rule")


def _type_name(kind: Any) -> str:
    return kind if isinstance(kind, str) else str(getattr(kind, "name", kind))


def _domains(pack: CompiledPack, compiled: CompiledRule) -> tuple[list[str], list[list[Any]]] | None:
    """The true/false and enumerated symbols of a rule's condition with their values; None: too many."""
    visible = pack.table.visible(compiled.rule.for_each)
    booleans: list[str] = []
    enums: list[tuple[str, list[Any]]] = []
    for name in compiled.sorted_symbols:
        symbol = visible.get(name)
        if symbol is None:
            continue
        kind = _type_name(symbol.type)
        if kind == "BOOLEAN":
            booleans.append(name)
        elif kind == "STRING" and symbol.values:
            enums.append((name, list(symbol.values)))
    names = booleans + [n for n, _ in enums]
    values: list[list[Any]] = [[True, False] for _ in booleans] + [v for _, v in enums]
    while names and _product(values) > MAX_COMBINATIONS and len(names) > len(booleans):
        names.pop()
        values.pop()  # leave the largest enums unknown rather than give up
    if _product(values) > MAX_COMBINATIONS:
        return None
    return names, values


def _product(values: list[list[Any]]) -> int:
    total = 1
    for v in values:
        total *= len(v)
    return total


def never_fires(pack: CompiledPack, compiled: CompiledRule) -> bool:
    """Whether ``compiled``'s condition is false for every project.

    Its true/false symbols (and enumerated ones, while the combinations stay below
    :data:`MAX_COMBINATIONS`) take every combination of values; all other symbols stay unknown. Under
    three-valued logic a condition that comes out *false* with unknowns in it is false whatever they
    are, so a condition false in every combination can never hold. (Sound, not complete: a
    contradiction between numbers, such as ``budget > 5 and budget < 3``, is not found.)
    """
    domains = _domains(pack, compiled)
    if domains is None:
        return False
    names, values = domains
    fn = compiled.condition.fn
    for combination in itertools.product(*values):
        env = dict(zip(names, combination, strict=True))
        if fn(env) is not False:
            return False
    return True
