"""What became of every article of a measure: encoded by which rules, exercised by which cases.

For a pack that ``extends`` another, the articles of both measures are listed: the pack's own first,
then the inherited ones (labelled with their measure's 文号), each with the rules and parameters that
cite it in the merged pack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from govrules.compile.compiler import CompiledPack
from govrules.engine.citations import citation_label
from govrules.models.verdict import Verdict


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
    measure: str | None = None
    """The pack id of the measure the article belongs to (None: the pack's own)."""
    terms: list[str] = field(default_factory=list)
    """The defined terms the article defines."""

    @property
    def status(self) -> str:
        """encoded, informational, unaccounted; for an inherited article nothing here cites (its rules
        disabled or replaced): not_applied."""
        if self.rules or self.parameters or self.terms:
            return "encoded"
        if self.informational:
            return "informational"
        return "unaccounted" if self.measure is None else "not_applied"


def constant_rules(pack: CompiledPack) -> frozenset[str]:
    """Rules whose condition holds with nothing known about the project (only the pack's parameter values):
    under three-valued logic such a condition holds for every project (``true``, ``x or not x``,
    ``threshold > 0``). A case in which such a rule holds does not exercise it — its outcome does not
    depend on the rule's condition — so :func:`article_coverage` does not count it (an obligation that
    applies to every project counts in the cases where the project decides its status: met, overdue or
    late)."""
    env: dict[str, object] = dict(pack.parameter_defaults())
    env["effective_date"] = pack.pack.dates.effective
    found = set()
    for compiled in pack.rules:
        try:
            if compiled.condition.fn(env) is True:
                found.add(compiled.id)
        except Exception:
            continue
    return frozenset(found)


def constant_terms(pack: CompiledPack) -> frozenset[str]:
    """Defined terms that hold with nothing known about the project (as :func:`constant_rules`): a case
    in which such a term holds does not exercise its definition."""
    env: dict[str, object] = dict(pack.parameter_defaults())
    env["effective_date"] = pack.pack.dates.effective
    found = set()
    for term in pack.pack.terms:
        try:
            if pack.table.term(term.id)[0].fn(env) is True:
                found.add(term.id)
        except Exception:
            continue
    return frozenset(found)


def article_coverage(pack: CompiledPack, case_verdicts: Iterable[tuple[str, Verdict]] = ()) -> list[ArticleCoverage]:
    """Every article of ``pack`` (its own, then inherited ones); with ``case_verdicts`` (each case's name and
    the verdict it gave, e.g. from :func:`govrules.testing.cases.run_case_file`), the cases in which its
    rules concluded true, or a term it defines held — not counting rules or terms whose condition is
    constant (:func:`constant_rules`, :func:`constant_terms`), which hold in every case and so are
    exercised by none."""
    model = pack.pack
    rows: dict[tuple[str, int], ArticleCoverage] = {}
    for a in model.articles:
        measure = model.measure_of(a)
        inherited = a.measure is not None and measure.pack != model.id
        label = (a.heading or "序言") if a.number == 0 else citation_label(a.number)
        if inherited:
            label = (measure.document or f"《{measure.title}》") + label
        rows[(measure.pack, a.number)] = ArticleCoverage(
            a.number, label, a.chapter, informational=a.informational, measure=measure.pack if inherited else None)
    rule_article: dict[str, tuple[str, int]] = {}
    for rule in model.rules:
        key = (rule.cite.measure or model.id, rule.cite.article)
        rows[key].rules.append(rule.id)
        rule_article[rule.id] = key
    for parameter in model.parameters:
        rows[(parameter.cite.measure or model.id, parameter.cite.article)].parameters.append(parameter.name)
    term_article: dict[str, tuple[str, int]] = {}
    for term in model.terms:
        key = (term.cite.measure or model.id, term.cite.article)
        rows[key].terms.append(term.id)
        term_article[term.id] = key
    constant = constant_rules(pack)
    constant_defined = constant_terms(pack) if term_article else frozenset()
    for name, verdict in case_verdicts:
        fired = {step.rule for step in verdict.trace if step.result == "true" and step.rule not in constant}
        # an obligation that applies to every project is exercised where the project decided its status
        fired |= {o.id for o in verdict.obligations if o.id in constant and (o.status in ("met", "overdue") or o.late)}
        articles = {rule_article[r] for r in fired if r in rule_article}
        # a definition is exercised where the project falls under it, as a rule where it concludes true
        articles |= {term_article[t.id] for t in verdict.terms
                     if t.holds == "true" and t.id in term_article and t.id not in constant_defined}
        for key in sorted(articles):
            if name not in rows[key].cases:
                rows[key].cases.append(name)
    order = {m.pack: i for i, m in enumerate(model.measures())}
    return [rows[k] for k in sorted(rows, key=lambda k: (order.get(k[0], len(order)), k[1]))]


def render_markdown(pack: CompiledPack, rows: list[ArticleCoverage]) -> str:
    """A coverage table in Markdown (one per measure, for a pack that extends another)."""
    lines: list[str] = []
    for measure in pack.pack.measures():
        own = measure.pack == pack.id
        part = [r for r in rows if (r.measure is None) == own and (own or r.measure == measure.pack)]
        if not part:
            continue
        encoded = sum(1 for r in part if r.status == "encoded")
        info = sum(1 for r in part if r.status == "informational")
        if own:
            lines += [f"### {measure.title} ({measure.document or '无文号'}) — `{pack.id}`", ""]
        else:
            lines += ["", f"#### inherited: {measure.title} ({measure.document or '无文号'}) — `{measure.pack}`", ""]
        other = len(part) - encoded - info
        rest = f"{other} unaccounted" if own else f"{other} not applied (rules disabled or replaced)"
        lost = f" The text is incomplete: {pack.pack.text.describe()}." if (
            own and pack.pack.text is not None and not pack.pack.text.complete) else ""
        lines += [f"{len(part)} articles: {encoded} encoded, {info} informational, {rest}.{lost}", "",
                  "| article | status | rules / parameters | cases that exercise it | note |", "|---|---|---|---|---|"]
        for r in part:
            what = ", ".join(f"`{x}`" for x in r.rules + r.parameters + r.terms) or "—"
            cases = str(len(r.cases)) if r.cases else ("—" if r.status != "encoded" else "**none**")
            note = (r.informational or "").replace("|", "/")
            lines.append(f"| {r.label} | {r.status} | {what} | {cases} | {note} |")
    return "\n".join(lines)
