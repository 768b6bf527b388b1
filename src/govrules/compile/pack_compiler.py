"""A parsed pack → a :class:`CompiledPack`: conditions compiled, references and citations checked."""

from __future__ import annotations

from typing import Any

from govrules.compile.compiler import (
    CompiledPack,
    CompiledRule,
    ConditionError,
    SymbolTable,
    compile_condition,
    pack_digest,
)
from govrules.compile.temporal import guard
from govrules.diagnostics import Diagnostic, SourceLocation, sort_key
from govrules.errors import PackError
from govrules.models.pack import Article, Citation, ExceptionRule, ObligationRule, Pack
from govrules.models.project import EVENT_NAMES
from govrules.packs.extends import MergedDocument
from govrules.packs.yaml_io import Document


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


def _check_inference(name: str, text: str, table: SymbolTable, where: SourceLocation | None, file: str,
                     lines_of: Any) -> list[Diagnostic]:
    """An ``inferred.when`` (or ``false_when``) compiles and reads the record only (core values, event
    dates, parameters): not a fact or a term, so no inference rests on another or on a presumption."""
    start = where or SourceLocation(file, 1, 1)
    try:
        condition, _ = compile_condition(text, table, None)
    except ConditionError as exc:
        return [Diagnostic(exc.code, f"fact `{name}` (inferred): {exc.message}",
                           _expression_location(lines_of(start), start, text, exc.offset), hint=exc.hint, rule=name)]
    read = sorted(s for s in condition.symbols() if table.symbols[s].source not in ("core", "event", "parameter"))
    if read:
        return [Diagnostic("fact.inferred_reads_fact", f"fact `{name}`: `inferred.when` reads {', '.join(read)}; "
                           "it may read the project's core values, event dates and parameters only", start,
                           hint="what the record shows is read from its dates and fields, not from other facts",
                           rule=name)]
    return []


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
        term_index = next((i for i, t in enumerate(pack.terms) if t.id == name), None)
        where = at("facts", index, "name") if index is not None else at("terms", term_index, "id") if (
            term_index is not None and message.startswith("term")) else at(
            "parameters", next((i for i, p in enumerate(pack.parameters) if p.name == name), 0), "name")
        errors.append(Diagnostic(code, message, where))

    chain = [m.pack for m in pack.measures()]
    errors.extend(check_text(pack, at))
    for i, term in enumerate(pack.terms):
        errors.extend(_check_citation(term.cite, articles, at("terms", i, "cite"), term.id, pack, chain))
        if term.id not in table.term_defs:
            continue
        try:
            _, notes = table.term(term.id)
        except ConditionError as exc:
            start = at("terms", i, "when") or SourceLocation(file, 1, 1)
            errors.append(Diagnostic(exc.code, f"term `{term.id}`: {exc.message}",
                                     _expression_location(lines_of(start), start, term.when, exc.offset),
                                     hint=exc.hint, rule=term.id))
            continue
        for note in notes:
            warnings.append(Diagnostic(note.code, note, at("terms", i, "when"), severity="warning", rule=term.id,
                                       hint="declare it under `parameters:` (citing the article that names it) "
                                            "and use its name"))
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
            what = "the ratio" if note.code == "lint.ratio_literal" else "the amount"
            unit = "ratio" if note.code == "lint.ratio_literal" else "CNY"
            warnings.append(Diagnostic(note.code, note, at("rules", i, "when"), severity="warning",
                                       rule=rule.id, hint=f"declare {what} under `parameters:` (unit {unit}, citing "
                                                          "the article that names it) and use its name"))
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
        condition, guarded = guard(rule, condition, table)  # 不溯及既往: see govrules.compile.temporal
        compiled = CompiledRule(rule, condition, i, met, guard=guarded)
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
        if fact.inferred is not None:
            errors.extend(_check_inference(fact.name, fact.inferred.when, table, at("facts", i, "inferred", "when"),
                                           file, lines_of))
            if fact.inferred.false_when is not None:
                errors.extend(_check_inference(fact.name, fact.inferred.false_when, table,
                                               at("facts", i, "inferred", "false_when"), file, lines_of))
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
                                                          *(r.cite for r in pack.readings),
                                                          *(t.cite for t in pack.terms)]}
    for i, term in enumerate(pack.terms):
        if term.id in table.term_defs and term.id not in table.terms_read:
            warnings.append(Diagnostic("lint.unused_term", f"term `{term.id}` ({term.zh}) is read by no rule",
                                       at("terms", i, "id"), severity="warning", rule=term.id,
                                       hint="use its id in the conditions of the rules that rely on the definition, "
                                            "or remove it"))
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


def check_text(pack: Pack, at: Any) -> list[Diagnostic]:
    """Problems of a partial text: an article listed although ``text`` says it is lost, a rule citing a
    lost article, ``text_missing`` rules in a pack whose text is complete or that decide something."""
    problems: list[Diagnostic] = []
    text = pack.text
    own = [(i, a) for i, a in enumerate(pack.articles) if a.measure is None]
    for i, article in own:
        if text is not None and text.lost(article.number):
            problems.append(Diagnostic("pack.text_lost_article", f"article {article.number} is listed, but `text` "
                                       f"says it is lost ({text.describe()})", at("articles", i, "number"),
                                       hint="correct `text.missing`/`text.from_article`, or remove the article"))
        if article.number == 0 and i != 0:
            problems.append(Diagnostic("pack.preamble_position", "the preamble (number 0) comes before 第一条",
                                       at("articles", i, "number"), hint="list it first under `articles:`"))
    owners: list[tuple[str, int, str, Citation]] = [
        *(("rules", i, r.id, r.cite) for i, r in enumerate(pack.rules)),
        *(("parameters", i, p.name, p.cite) for i, p in enumerate(pack.parameters)),
        *(("readings", i, r.id, r.cite) for i, r in enumerate(pack.readings)),
        *(("terms", i, t.id, t.cite) for i, t in enumerate(pack.terms))]
    for section, i, owner, cite in owners:
        if text is not None and (cite.measure or pack.id) == pack.id and text.lost(cite.article):
            problems.append(Diagnostic("pack.citation_lost", f"cites article {cite.article}, whose text is lost "
                                       f"({text.describe()})", at(section, i, "cite"), rule=owner,
                                       hint="a case only the lost text would decide is a route or change rule with "
                                            "`text_missing: true` citing the surviving article it follows from"))
    for i, rule in enumerate(pack.rules):
        if not getattr(rule, "text_missing", False):
            continue
        if pack.text_complete:
            problems.append(Diagnostic("pack.text_missing_complete", "`text_missing: true`, but the pack's text is "
                                       "complete", at("rules", i, "text_missing"), rule=rule.id,
                                       hint="say what is lost under `text: {complete: false, missing: [...]}` or "
                                            "`from_article: N`; a case the whole text leaves open is `gap: true`"))
        decision = getattr(rule, "decision", None)
        if decision != "undetermined":
            found = getattr(decision, "value", decision)
            problems.append(Diagnostic(
                "pack.text_missing_decision", "a `text_missing: true` rule must have `decision: undetermined` (it "
                f"marks what the lost text may decide); found `{found}`", at("rules", i, "decision"), rule=rule.id,
                hint="write `decision: undetermined` — the verdict then reports the route or change as a gap the "
                     "lost text may fill; or, when the surviving text decides the case, drop `text_missing`"))
    return problems


def _check_citation(cite: Citation, articles: dict[tuple[str, int], Article], where: SourceLocation | None,
                    owner: str, pack: Pack, chain: list[str]) -> list[Diagnostic]:
    """Problems of ``cite``; ``chain`` is the ids of ``pack.measures()``."""
    measure = cite.measure or pack.id
    if measure not in chain:
        return [Diagnostic("pack.citation_measure", f"cites measure `{measure}`, which is not this pack nor one it "
                           "extends", where, rule=owner, hint="measures here: " + ", ".join(chain))]
    of = "" if measure == pack.id else f" of {measure}"
    article = articles.get((measure, cite.article))
    if article is None and measure == pack.id and pack.text is not None and pack.text.lost(cite.article):
        return []  # reported by check_text, which says the text is lost
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


