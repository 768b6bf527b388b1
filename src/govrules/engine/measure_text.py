"""What a verdict says beyond the rules' conclusions: the pack's defined terms, and what is lost of
the measure's text or unknown of its effective date.

Applied to a verdict after the rules are evaluated (:func:`annotate`), from the values the rules saw:
a defined term is compiled into every condition that reads it (:meth:`SymbolTable.term`), so the
rules need nothing here; this module only reports each term, and marks the gaps the lost text may
fill as ``text_missing`` rather than as silences of the measure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from govrules.compile.compiler import CompiledPack, ConditionError
from govrules.engine.citations import cite
from govrules.engine.codegen import runtime_of
from govrules.engine.memo import MemoInputs, Reads
from govrules.models.pack import Pack
from govrules.models.verdict import ChangeOut, ComparedAmount, Route, TermOut, TextStatus, Verdict

__all__ = ["annotate", "needs_annotation", "term_outputs", "text_status"]


def needs_annotation(compiled: CompiledPack) -> bool:
    """Whether verdicts of ``compiled`` say more than their rules: terms, a partial text, an unknown date."""
    pack = compiled.pack
    return bool(pack.terms) or not pack.text_complete or pack.dates.effective_between is not None


def annotate(verdict: Verdict, compiled: CompiledPack, env: dict[str, Any]) -> Verdict:
    """``verdict`` with its defined terms (``terms``), what is lost of the text (``text_status``, the
    gaps the lost text may fill marked ``text_missing``) and ``in_force: "undetermined"`` when the
    effective date is known only to a window holding ``as_of``."""
    pack = compiled.pack
    updates: dict[str, Any] = {}
    warnings = list(verdict.warnings)
    outputs = runtime_of(compiled).outputs
    if pack.terms:
        terms = term_outputs(compiled, env)
        updates["terms"] = terms
        articles = {measure: dict(texts) for measure, texts in verdict.articles.items()}
        for measure, number, text in _term_articles(compiled, terms, outputs):
            articles.setdefault(measure, {}).setdefault(number, text)
        updates["articles"] = articles
    # what the date alone decides, once per date (the status is frozen: shared by the verdicts)
    dated = outputs.get(("measure text", verdict.as_of))
    if dated is None:
        dated = (*pack.in_force_status(verdict.as_of), text_status(pack, verdict.as_of))
        if len(outputs) < runtime_of(compiled).MAX_SHARED:
            outputs[("measure text", verdict.as_of)] = dated
    in_force, why, status = dated
    if in_force == "undetermined" and verdict.in_force is True and not verdict.historical:
        updates["in_force"] = "undetermined"
        warnings.append(f"{why}：以下结论假定本办法在评估日已施行")
    if status is not None:
        updates["text_status"] = status
        if not status.complete:
            warnings.append(f"本办法原文不全（{pack.text.describe() if pack.text else status.summary}）："
                            "缺失部分可能另有规定")
            lost = pack.text.describe() if pack.text is not None else status.summary
            updates["route"] = _route_text_missing(verdict.route, compiled, lost)
            updates["changes"] = [_change_text_missing(c, compiled, lost) for c in verdict.changes]
    updates["warnings"] = warnings
    return verdict.model_copy(update=updates)


def _term_articles(compiled: CompiledPack, terms: list[TermOut],
                   outputs: dict[Any, Any]) -> tuple[tuple[str, str, str], ...]:
    """(measure, article number, text) of the article each of ``terms`` cites, in order: once per
    pack for each list of terms (a term's citation is the pack's, whatever the term concludes)."""
    key = ("term articles", *(term.id for term in terms))
    found: tuple[tuple[str, str, str], ...] | None = outputs.get(key)
    if found is None:
        pack = compiled.pack
        made = []
        for term in terms:
            measure = term.citation.pack or pack.id
            article = pack.article(term.citation.article, measure)
            if article is not None:
                made.append((measure, str(term.citation.article), article.text))
        found = tuple(made)
        if len(outputs) < runtime_of(compiled).MAX_SHARED:
            outputs[key] = found
    return found


def text_status(pack: Pack, as_of: dt.date) -> TextStatus | None:
    """What is lost of ``pack``'s text and unknown of its effective date (None when nothing is)."""
    text, window = pack.text, pack.dates.effective_between
    if (text is None or text.complete) and window is None:
        return None
    complete = text is None or text.complete
    parts = [] if complete or text is None else [text.describe()]
    reason = None
    if window is not None:
        parts.append(f"施行日期不详（{window.describe()}）")
        state, why = pack.in_force_status(as_of)
        reason = why if state == "undetermined" else None
    return TextStatus(
        complete=complete,
        missing_articles=sorted(text.missing) if text is not None else [],
        missing_from_article=text.from_article if text is not None else None,
        summary="；".join(parts),
        note=status_note(text.note if text is not None else None, window.note if window is not None else None),
        effective_known=window is None,
        effective_earliest=window.earliest if window is not None else None,
        effective_latest=window.latest if window is not None else None,
        in_force_reason=reason)


def status_note(text_note: str | None, window_note: str | None) -> str | None:
    """The pack's notes on its text and on its effective date, each labelled when both are given (they
    often repeat a fact: then, when equal, once)."""
    if text_note and window_note and text_note != window_note:
        return f"原文：{text_note}；施行日期：{window_note}"
    return text_note or window_note or None


def term_outputs(compiled: CompiledPack, env: dict[str, Any]) -> list[TermOut]:
    """Each defined term of ``compiled`` and whether it holds on ``env`` (the values the rules saw):
    worked out once per pack for each value of what the terms read."""
    runtime = runtime_of(compiled)
    reads: Reads | None = runtime.declared.get("terms")
    if reads is None:
        names: set[str] = set()
        for term in compiled.pack.terms:
            try:
                names |= compiled.table.term(term.id)[0].symbols()
            except ConditionError:
                continue
        reads = runtime.declared["terms"] = Reads("terms", env=tuple(sorted(names)))
    key = reads.key(cast(MemoInputs, _EnvOnly(env)))
    found: tuple[TermOut, ...] | None = runtime.outputs.get(key)
    if found is None:
        found = tuple(_work_out_terms(compiled, reads.view(cast(MemoInputs, _EnvOnly(env))).env))
        if len(runtime.outputs) < runtime.MAX_SHARED:
            runtime.outputs[key] = found
    return list(found)


class _EnvOnly:
    """An environment as the source of a part that reads nothing else (see :class:`Reads`)."""

    __slots__ = ("env", "params")

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env
        self.params: Mapping[str, Any] = {}


def _work_out_terms(compiled: CompiledPack, env: Mapping[str, Any]) -> list[TermOut]:
    table = compiled.table
    out: list[TermOut] = []
    for term in compiled.pack.terms:
        try:
            lowered, _ = table.term(term.id)
        except ConditionError:  # reported when the pack was checked; a loaded pack has none
            continue
        value = lowered.fn(env)
        holds = "unknown" if value is None else "true" if value else "false"
        compared = []
        for name in sorted(lowered.symbols()):
            symbol = table.symbols.get(name)
            if symbol is not None and symbol.money:
                amount = env.get(name)
                compared.append(ComparedAmount(
                    name=name, zh=symbol.zh,
                    value=format(amount, "f") if isinstance(amount, Decimal) else None if amount is None
                    else str(amount)))
        out.append(TermOut(id=term.id, zh=term.zh, en=term.en, holds=holds, citation=cite(compiled.pack, term.cite),
                           quote=term.quote, compared=compared,
                           missing=sorted(lowered.unknowns(env)) if value is None else []))
    return out


def _lost_reason(lost: str, what: str) -> str:
    return f"现存文本未对此类{what}作出规定；原文{lost}，缺失部分可能另有规定（原文缺失，不作推定）"


def _route_text_missing(route: Route, compiled: CompiledPack, lost: str) -> Route:
    if not route.gap:
        return route
    rules = [compiled.by_id[r].rule for r in route.rules if r in compiled.by_id]
    if rules and not any(getattr(r, "text_missing", False) for r in rules):
        return route  # a gap the surviving text itself declares
    reasons = [*route.reasons, _lost_reason(lost, "项目的审批或备案程序")] if rules else [
        _lost_reason(lost, "项目的审批或备案程序")]
    return route.model_copy(update={"text_missing": True, "reasons": reasons})


def _change_text_missing(change: ChangeOut, compiled: CompiledPack, lost: str) -> ChangeOut:
    if not change.gap:
        return change
    rules = [compiled.by_id[r].rule for r in change.rules if r in compiled.by_id]
    if rules and not any(getattr(r, "text_missing", False) for r in rules):
        return change
    reasons = [*change.reasons, _lost_reason(lost, "变更")] if rules else [_lost_reason(lost, "变更")]
    return change.model_copy(update={"text_missing": True, "reasons": reasons})
