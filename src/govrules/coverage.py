"""What became of every article of a measure: encoded by which rules, exercised by which cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govrules.compiler import CompiledPack
from govrules.explain import citation_label


@dataclass
class ArticleCoverage:
    """One article's fate."""

    number: int
    label: str
    chapter: str | None
    rules: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    informational: str | None = None
    cases: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """encoded, informational, or unaccounted."""
        if self.rules or self.parameters:
            return "encoded"
        return "informational" if self.informational else "unaccounted"


def article_coverage(pack: CompiledPack, cases_file: Path | None = None) -> list[ArticleCoverage]:
    """Every article of ``pack``; with ``cases_file``, the cases in which its rules concluded true."""
    rows = {a.number: ArticleCoverage(a.number, citation_label(a.number), a.chapter, informational=a.informational)
            for a in pack.pack.articles}
    rule_article: dict[str, int] = {}
    for rule in pack.pack.rules:
        rows[rule.cite.article].rules.append(rule.id)
        rule_article[rule.id] = rule.cite.article
    for parameter in pack.pack.parameters:
        rows[parameter.cite.article].parameters.append(parameter.name)
    if cases_file is not None and cases_file.is_file():
        from govrules.testing.cases import run_case_file

        for result in run_case_file(cases_file):
            if result.verdict is None:
                continue
            fired = {step.rule for step in result.verdict.trace if step.result == "true"}
            for article in sorted({rule_article[r] for r in fired if r in rule_article}):
                if result.name not in rows[article].cases:
                    rows[article].cases.append(result.name)
    return [rows[n] for n in sorted(rows)]


def render_markdown(pack: CompiledPack, rows: list[ArticleCoverage]) -> str:
    """A coverage table in Markdown."""
    encoded = sum(1 for r in rows if r.status == "encoded")
    info = sum(1 for r in rows if r.status == "informational")
    lines = [f"### {pack.pack.title} ({pack.pack.document or '无文号'}) — `{pack.id}`", "",
             f"{len(rows)} articles: {encoded} encoded, {info} informational, "
             f"{len(rows) - encoded - info} unaccounted.", "",
             "| article | status | rules / parameters | cases that exercise it | note |", "|---|---|---|---|---|"]
    for r in rows:
        what = ", ".join(f"`{x}`" for x in r.rules + r.parameters) or "—"
        cases = str(len(r.cases)) if r.cases else ("—" if r.status != "encoded" else "**none**")
        note = (r.informational or "").replace("|", "/")
        lines.append(f"| {r.label} | {r.status} | {what} | {cases} | {note} |")
    return "\n".join(lines)
