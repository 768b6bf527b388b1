"""What `govrules check` reports: findings with their codes, severities and places, and the check
that every citation names an article (paragraph, item) the pack has."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from govrules.compile.compiler import CompiledPack
from govrules.diagnostics import Diagnostic
from govrules.engine.citations import citation_label
from govrules.models.pack import (
    Citation,
    Pack,
)

Severity = Literal["error", "warning"]

#: Every code a finding may carry, with what it means.
CODES: dict[str, str] = {
    "consistency.gap": "no route (or change) rule decides some in-scope case, and the pack does not declare it",
    "consistency.declared_gap": "the pack declares (gap: true) that the measure does not decide these cases",
    "consistency.overlap": "rules with different decisions hold together and no `overrides` orders them",
    "consistency.non_monotone": "raising an amount or a change's scale lowers the procedure (approval → filing/none)",
    "consistency.knowing_more": "a decision reached with a fact unknown changes when the fact is filled in",
    "consistency.missing_citation": "a rule or parameter cites an article, paragraph or item the pack does not have",
    "consistency.scope_boundary": "scope and exclusion rules split an amount at the same threshold but, at the "
                                  "threshold itself, both hold or neither does",
    "consistency.consequence_never": "a consequence whose condition (after its exceptions) holds for no project",
    "consistency.consequence_out_of_scope": "a consequence that holds only where the measure does not apply, so "
                                            "no verdict ever lists it",
}

SEVERITY: dict[str, Severity] = {code: "error" for code in CODES}
SEVERITY["consistency.declared_gap"] = "warning"
# 以上 and 以下 both include the amount itself (民法典 第一千二百五十九条): a text can say both; the finding
# asks the author to look, it does not fail the check
SEVERITY["consistency.scope_boundary"] = "warning"


# --------------------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True)
class Finding:
    """One consistency problem of a pack, with the region of cases it concerns and an example.

    ``region`` describes the cases with the parameters' names (``budget in [procurement_limit,
    construction_approval_threshold)``); ``example`` is a project file (YAML) that lands in the region,
    to be evaluated with ``parameters`` on ``as_of``. ``scenarios`` lists the values of settable
    parameters the pack leaves open under which the finding appears (empty: it does not depend on them).
    ``exact`` is false when the finding comes from the sampling fallback rather than the exhaustive
    analysis.
    """

    code: str
    message: str
    rules: tuple[str, ...]
    region: str
    example: str
    parameters: dict[str, str] = field(default_factory=dict, hash=False)
    severity: Severity = "error"
    analysis: Literal["route", "change", "citation", "scope", "consequence"] = "route"
    articles: tuple[int, ...] = ()
    scenarios: tuple[str, ...] = ()
    as_of: dt.date | None = None
    exact: bool = True
    example_data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_diagnostic(self) -> Diagnostic:
        """The finding as a :class:`~govrules.diagnostics.Diagnostic` (warning for declared gaps)."""
        hint = None
        if self.region:
            hint = f"region: {self.region}"
            if self.parameters:
                hint += "; parameters: " + ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return Diagnostic(self.code, self.message, None, hint=hint, severity=self.severity,
                          rule=self.rules[0] if self.rules else None,
                          extra={"rules": list(self.rules), "region": self.region, "example": self.example,
                                 "parameters": dict(self.parameters), "scenarios": list(self.scenarios),
                                 "exact": self.exact, "analysis": self.analysis})


def format_findings(findings: Sequence[Finding], *, examples: bool = False) -> str:
    """A readable report of ``findings`` (one paragraph each; with the example projects if asked)."""
    if not findings:
        return "no findings\n"
    lines: list[str] = []
    for f in findings:
        lines.append(f"{f.severity}[{f.code}] {', '.join(f.rules)}")
        lines.append(f"  {f.message}")
        if f.region:
            lines.append(f"  region: {f.region}")
        if f.scenarios:
            lines.append(f"  with: {' | '.join(f.scenarios)}")
        if examples and f.example:
            lines.extend("    " + line for line in f.example.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ChoiceFinding:
    """A finding of the analysis under several reading choices, reported once: the finding, and the
    choices (option id by reading id) it holds under, in the order they were analysed."""

    finding: Finding
    choices: tuple[dict[str, str], ...]


def _same(finding: Finding) -> tuple[Any, ...]:
    # the example project may differ from one choice to another; the finding is the same
    return (finding.code, finding.severity, finding.message, finding.rules, finding.region, finding.analysis,
            finding.articles, finding.scenarios, finding.as_of, finding.exact, tuple(finding.parameters.items()))


def group_by_choice(per_choice: Sequence[tuple[Mapping[str, str], Sequence[Finding]]]) -> list[ChoiceFinding]:
    """Each distinct finding of ``per_choice`` (the findings under each reading choice) once, with the
    choices it holds under; in the order first found."""
    grouped: dict[tuple[Any, ...], tuple[Finding, list[dict[str, str]]]] = {}
    for choice, findings in per_choice:
        for finding in findings:
            _first, choices = grouped.setdefault(_same(finding), (finding, []))
            if dict(choice) not in choices:
                choices.append(dict(choice))
    return [ChoiceFinding(finding, tuple(choices)) for finding, choices in grouped.values()]


def describe_choices(choices: Sequence[Mapping[str, str]], all_choices: Sequence[Mapping[str, str]]) -> str:
    """Which of ``all_choices`` a finding holds under, briefly: ``""`` when there is one choice only,
    ``under all 8 reading choices``, ``under 4 of 8 reading choices: art16_17=approval_prevails`` (the
    options that matter, ``a|b`` for several), or each choice when they are no such product."""
    total = len(all_choices)
    if total <= 1:
        return ""
    if len(choices) == total:
        return f"under all {total} reading choices"
    options: dict[str, list[str]] = {}
    for choice in all_choices:
        for reading, option in choice.items():
            options.setdefault(reading, [])
            if option not in options[reading]:
                options[reading].append(option)
    held: dict[str, list[str]] = {reading: [o for o in opts if any(c.get(reading) == o for c in choices)]
                                  for reading, opts in options.items()}
    varying = [reading for reading in options if held[reading] != options[reading]]
    product = 1
    for opts in held.values():
        product *= len(opts)
    if product == len(choices):  # the choices are every combination of the options held
        which = ", ".join(f"{reading}={'|'.join(held[reading])}" for reading in varying)
    else:
        which = " / ".join(", ".join(f"{reading}={option}" for reading, option in c.items()) for c in choices)
    return f"under {len(choices)} of {total} reading choices: {which}"


# --------------------------------------------------------------------------------------------------
# Citations


def _citation_problem(cite: Citation, pack: Pack) -> str | None:
    article = pack.cited_article(cite)
    if article is None:
        return f"Art. {cite.article}, which the pack does not have"
    paragraphs = len(article.paragraphs) if article.paragraphs else 1
    if cite.paragraph is not None and cite.paragraph > paragraphs:
        return f"paragraph {cite.paragraph} of Art. {cite.article}, which has {paragraphs}"
    if cite.item is not None and cite.item not in {it.number for it in article.items or []}:
        return f"item {cite.item} of Art. {cite.article}, which has {len(article.items or [])} item(s)"
    return None


def check_citations(pack: Pack | CompiledPack) -> list[Finding]:
    """Rules and parameters whose citation points at an article (paragraph, item) the pack lacks."""
    model = pack.pack if isinstance(pack, CompiledPack) else pack
    findings: list[Finding] = []
    owners: list[tuple[str, str, Citation]] = [("rule", r.id, r.cite) for r in model.rules]
    owners += [("parameter", p.name, p.cite) for p in model.parameters]
    for kind, name, cite in owners:
        problem = _citation_problem(cite, model)
        if problem is not None:
            findings.append(Finding(
                code="consistency.missing_citation", severity="error", analysis="citation",
                message=f"{kind} `{name}` of {measure_of(model)} cites {problem}: its conclusion cannot be "
                        "traced to the text",
                rules=(name,), region="", example="", articles=(cite.article,)))
    return findings


def measure_of(pack: Pack) -> str:
    return f"《{pack.title}》" + (f"({pack.document})" if pack.document else "")


def article_of(cite: Citation) -> str:
    label = f"Art. {cite.article}"
    if cite.paragraph is not None:
        label += f"({cite.paragraph})"
    if cite.item is not None:
        label += f" item {cite.item}"
    return f"{label} {citation_label(cite.article, cite.paragraph, cite.item)}"

