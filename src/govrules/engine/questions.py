"""The questions that decide: which unknown facts would settle a conclusion, and how.

For each fact a verdict lists as missing (and each presumed fact whose presumption decides something),
the project is evaluated again with the fact set to each possible answer — true and false; each value
of a list; for an amount, a number or a date, one value in each range between the cut points the
pack's conditions compare it with (and, for an event, "not yet") — and the conclusions are compared
with the verdict's. A fact is a question when some answer changes a conclusion; a fact that settles
nothing is not one (``missing_facts`` keeps the full list). Adjacent ranges that conclude alike are
merged, so an amount's answers read as the text's thresholds (``< 500000`` / ``>= 500000``).

Questions are ordered by what they settle: scope and route first, then grounds, changes, obligations
and consequences. Within scope and route: an unknown fact before a presumed one; then the fact whose
ordinary answer — the value the pack presumes for it, the answer a project usually gives (presumptions
are declared where the text puts the burden) — settles more of scope and route; then the fact more of
whose answers settle one of them; then the fact that settles more. So under ``strict`` an 80万元
Chuxiong construction project is asked first whether it is an emergency (the ordinary answer, no,
settles the route: 审批 [第十六条]) before the exemptions that only a yes would settle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from govrules.compile.compiler import NOT_YET, CompiledPack, Lowered
from govrules.engine.calendar import WorkdayCalendar
from govrules.models.project import Project
from govrules.models.verdict import Question, QuestionAnswer, QuestionOutcome, Verdict

TIERS = ("scope", "route", "grounds", "changes", "obligations", "consequences")
_TIER_OF = {"scope": "scope", "exemption": "scope", "route": "route", "ground": "grounds", "change": "changes",
            "obligation": "obligations", "consequence": "consequences"}
#: the values under which a conclusion is still open
_OPEN = frozenset({"undetermined", "unknown", "possible"})
_PROCEDURE = ("scope", "route")


def conclusions(verdict: Verdict) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each conclusion of ``verdict`` (named as in ``assumptions[].decides``) → (value, article labels)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {
        "scope": (verdict.scope.status, _labels(c.label for c in verdict.scope.citations)),
        "route": (verdict.route.decision, _labels(c.label for c in verdict.route.citations))}
    for g in verdict.grounds:
        found[f"ground:{g.id}"] = (g.status, (g.citation.label,))
    for c in verdict.changes:
        found[f"change:{c.index}"] = (c.decision, _labels(x.label for x in c.citations))
    for o in verdict.obligations:
        found["obligation:" + o.id + ("" if o.item is None else f":{o.item}")] = (o.status, (o.citation.label,))
    for q in verdict.consequences:
        found["consequence:" + q.id + ("" if q.item is None else f":{q.item}")] = (q.status, (q.citation.label,))
    return found


def _rule_results(verdict: Verdict) -> dict[str, str]:
    """The result of each scope, exemption and route rule: a fact that settles no conclusion alone may
    still decide one of these rules (one of two facts an exemption needs), and so bring the procedure
    nearer to a decision."""
    return {f"{step.kind}:{step.rule}": step.result for step in verdict.trace
            if step.kind in _PROCEDURE_RULES and step.item is None}


_PROCEDURE_RULES = frozenset({"scope", "exemption", "route"})


def _labels(labels: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(labels))


def tier_of(conclusion: str) -> str:
    """The tier of a conclusion name (``ground:ground.art15_1`` → ``grounds``; a rule of scope,
    exemption or route, ``exemption:exempt.art36_3``, → its tier)."""
    return _TIER_OF[conclusion.split(":", 1)[0]]


def procedure_decided(verdict: Verdict) -> bool:
    """Whether the verdict decides both scope and route."""
    return verdict.scope.status != "undetermined" and verdict.route.decision != "undetermined"


class _Asker:
    def __init__(self, project: Project, pack: CompiledPack, as_of: dt.date, parameters: Mapping[str, Any],
                 calendar: WorkdayCalendar | None, historical: bool, strict: bool,
                 readings: Mapping[str, str] | None) -> None:
        self.pack = pack
        self.project = project
        self.data = project.model_dump(mode="json", exclude_none=True)
        self.as_of = as_of
        self.parameters = dict(parameters)
        self.calendar = calendar
        self.historical = historical
        self.strict = strict
        self.readings = readings
        #: (fact, answer) → the results of the procedure's rules under that answer
        self.rules: dict[tuple[str, str], dict[str, str]] = {}

    def evaluate(self, path: str, value: Any) -> Verdict | None:
        """The verdict with the fact at ``path`` set to ``value`` (None when the project refuses it)."""
        from govrules.engine.evaluator import evaluate
        from govrules.errors import GovrulesError
        from govrules.packs.projects import validate_project

        parameters = self.parameters
        data = self.data
        if path.startswith("parameters."):
            parameters = {**parameters, path.split(".", 1)[1]: str(value)}
        else:
            data = set_path(data, path, value)
        try:
            project = validate_project(data)
            return evaluate(project, self.pack, self.as_of, parameters=parameters, calendar=self.calendar,
                            trace=False, historical=self.historical, strict=self.strict, readings=self.readings)
        except GovrulesError:
            return None


def set_path(data: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of project ``data`` with ``value`` at ``path`` (``budget``, ``facts.x``, ``dates.approval``)."""
    head, _, rest = path.partition(".")
    out = dict(data)
    if rest:
        inner = out.get(head)
        out[head] = set_path(inner if isinstance(inner, Mapping) else {}, rest, value)
    else:
        out[head] = value
    return out


def _walk(node: Lowered) -> Iterator[Lowered]:
    yield node
    for child in node.children:
        yield from _walk(child)


def cut_points(pack: CompiledPack, name: str, env: Mapping[str, Any]) -> list[Any]:
    """The values the pack's conditions compare ``name`` with, known in ``env``, sorted."""
    found: set[Any] = set()
    for rule in pack.rules:
        for root in (rule.condition, rule.met):
            if root is None:
                continue
            for node in _walk(root):
                if node.op != "cmp" or len(node.children) != 2:
                    continue
                left, right = node.children
                for side, other in ((left, right), (right, left)):
                    if side.symbol == name and name not in other.symbols():
                        value = other.fn(env)
                        if isinstance(value, (Decimal, dt.date)) and value is not NOT_YET:
                            found.add(value)
    return sorted(found)


def _regions(cuts: list[Any], kind: str) -> list[tuple[Any, Any, Any, bool, bool]]:
    """(representative, low, high, low inclusive, high inclusive) for each range the cut points bound:
    below the first, each cut point itself, between two, above the last."""
    step: Any = dt.timedelta(days=1) if kind == "date" else Decimal(1)
    out: list[tuple[Any, Any, Any, bool, bool]] = []
    for i, cut in enumerate(cuts):
        below = cuts[i - 1] if i else None
        if below is None:
            out.append((cut - step, None, cut, False, False))
        else:
            middle = below + (cut - below) / 2 if kind != "date" else below + (cut - below) // 2
            if middle not in (below, cut):
                out.append((middle, below, cut, False, False))
        out.append((cut, cut, cut, True, True))
    out.append((cuts[-1] + step, cuts[-1], None, False, False))
    return out


def _range_text(low: Any, high: Any, low_in: bool, high_in: bool) -> tuple[str, str]:
    def show(value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.date) else format(value.normalize(), "f")

    if low is not None and high is not None and low == high:
        return f"= {show(low)}", f"等于 {show(low)}"
    if low is None:
        return (f"{'<=' if high_in else '<'} {show(high)}", f"{'不超过' if high_in else '低于'} {show(high)}")
    if high is None:
        return (f"{'>=' if low_in else '>'} {show(low)}", f"{'不低于' if low_in else '高于'} {show(low)}")
    return (f"{'>=' if low_in else '>'} {show(low)} and {'<=' if high_in else '<'} {show(high)}",
            f"{'不低于' if low_in else '高于'} {show(low)} 且{'不超过' if high_in else '低于'} {show(high)}")


def _kind(symbol: Any) -> str | None:
    if symbol.path in ("funding", "systems", "systems.in_catalogue", "changes", "as_of", "pack") or "[]" in symbol.path:
        return None
    if symbol.type == "BOOLEAN":
        return "bool"
    if symbol.type == "STRING" and symbol.values:
        return "enum"
    if symbol.type == "DATETIME":
        return "date"
    if symbol.type == "FLOAT":
        return "money" if symbol.money else "number"
    return None


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def questions(project: Project | Mapping[str, Any], pack: CompiledPack | str,
              as_of: dt.date | str | None = None, *, parameters: Mapping[str, Any] | None = None,
              calendar: WorkdayCalendar | None = None, historical: bool = False, strict: bool = False,
              readings: Mapping[str, str] | None = None, verdict: Verdict | None = None) -> list[Question]:
    """The questions that decide for ``project`` under ``pack``, most decisive first.

    Each is an unknown fact of the verdict (a presumed fact only where its presumption decides
    something, marked ``presumed``), with the conclusions under each answer. ``verdict`` is the
    verdict already computed with the same arguments, if there is one (else it is computed).

    >>> import govrules
    >>> qs = govrules.questions({"id": "p", "name": "示例", "execution": "construction", "budget": "80万元",
    ...                          "level": "prefecture", "facts": {"includes_civil_works": False}},
    ...                         "chuxiong-2025", "2025-09-01", strict=True)
    >>> any(q.fact == "emergency" and q.tier == "route" for q in qs)
    True
    """
    from govrules.engine.evaluator import as_of_date, evaluate, fact_environment

    if isinstance(pack, str):
        from govrules.compile.loading import load_pack

        pack = load_pack(pack)
    if not isinstance(project, Project):
        from govrules.packs.projects import validate_project

        project = validate_project(project)
    day = as_of_date(as_of)
    parameters = parameters or {}
    if verdict is None:
        verdict = evaluate(project, pack, day, parameters=parameters, calendar=calendar, trace=False,
                           historical=historical, strict=strict, readings=readings)
    compiled = pack.for_readings(readings) if readings else pack
    asker = _Asker(project, pack, day, parameters, calendar, historical, strict, readings)
    env = fact_environment(project, compiled, day, parameters=parameters, calendar=calendar,
                           historical=historical, strict=strict)
    base = conclusions(verdict)
    base_rules = _rule_results(verdict)
    symbols = compiled.table.symbols
    presumed = {a.fact: a.value for a in verdict.assumptions if a.decides}
    names = [m.name for m in verdict.missing_facts] + list(presumed)
    found: list[tuple[tuple[Any, ...], Question]] = []
    for name in dict.fromkeys(names):
        symbol = symbols.get(name)
        if symbol is None:
            continue
        kind = _kind(symbol)
        if kind is None:
            continue
        answers = _answers(asker, compiled, symbol, kind, env, base)
        if answers is None:
            continue
        settles = tuple(sorted({o.conclusion for a in answers for o in a.outcomes
                                if base.get(o.conclusion, ("absent", ()))[0] != o.value},
                               key=lambda c: (TIERS.index(tier_of(c)), c)))
        nearer = False
        if not settles:
            # no conclusion alone: a fact that decides a scope, exemption or route rule still counts,
            # after every fact that settles a conclusion
            rules = {k for a in answers for k, r in asker.rules.get((name, a.answer), {}).items()
                     if r != base_rules.get(k)}
            if not rules:
                continue
            nearer = True
            settles = tuple(sorted(rules, key=lambda k: (TIERS.index(tier_of(k)), k)))
            answers = [a.model_copy(update={"outcomes": tuple(
                QuestionOutcome(conclusion=k, value=asker.rules[(name, a.answer)].get(k, "absent"), citations=())
                for k in settles)}) for a in answers]
        tier = tier_of(settles[0])
        if tier in _PROCEDURE and not nearer:
            # what follows from scope and route (grounds, obligations…) is theirs to settle
            settles = tuple(c for c in settles if c in _PROCEDURE)
        settled = [sum(1 for o in a.outcomes if o.conclusion in _PROCEDURE and o.value not in _OPEN
                       and base[o.conclusion][0] != o.value) for a in answers]
        ordinary = compiled.presumptions.get(name)
        expected = next((n for a, n in zip(answers, settled, strict=True)
                         if ordinary is not None and a.value == ordinary.presume), 0)
        rank = (TIERS.index(tier) if tier not in _PROCEDURE else 0, nearer, name in presumed, -expected,
                -sum(1 for n in settled if n) / len(answers), TIERS.index(tier), -len(settles), name)
        found.append((rank, Question(
            fact=name, path=symbol.path, zh=symbol.zh, en=symbol.en, kind=kind, tier=tier, settles=settles,
            presumed=presumed.get(name), answers=tuple(_trim(a, settles) for a in answers))))
    found.sort(key=lambda item: item[0])
    return [q for _, q in found]


def _trim(answer: QuestionAnswer, settles: tuple[str, ...]) -> QuestionAnswer:
    keep = tuple(sorted((o for o in answer.outcomes if o.conclusion in settles),
                        key=lambda o: settles.index(o.conclusion)))
    return answer.model_copy(update={"outcomes": keep})


def _answers(asker: _Asker, pack: CompiledPack, symbol: Any, kind: str, env: Mapping[str, Any],
             base: Mapping[str, tuple[str, tuple[str, ...]]]) -> list[QuestionAnswer] | None:
    path = symbol.path
    if kind in ("bool", "enum"):
        shown: list[tuple[str, Any, str]] = ([("true", True, "是"), ("false", False, "否")] if kind == "bool"
                                             else [(v, v, v) for v in symbol.values or ()])
        results = []
        for answer, value, zh in shown:
            verdict = asker.evaluate(path, value)
            if verdict is not None:
                asker.rules[(symbol.name, answer)] = _rule_results(verdict)
                results.append(QuestionAnswer(answer=answer, value=value, zh=zh,
                                              outcomes=_outcomes(conclusions(verdict), base)))
        return results or None
    cuts = cut_points(pack, symbol.name, env)
    regions: list[tuple[str, Any, str, dict[str, tuple[str, tuple[str, ...]]], Any, Any, bool, bool]] = []
    merged: list[tuple[Any, Any, Any, bool, bool, dict[str, tuple[str, tuple[str, ...]]]]] = []
    if cuts:
        for rep, low, high, low_in, high_in in _regions(cuts, kind):
            if kind == "money" and rep < 0:
                continue
            verdict = asker.evaluate(path, _json_value(rep))
            if verdict is None:
                continue
            found = conclusions(verdict)
            if merged and merged[-1][5] == found:
                last = merged[-1]
                merged[-1] = (last[0], last[1], high, last[3], high_in, found)
            else:
                merged.append((rep, low, high, low_in, high_in, found))
    for rep, low, high, low_in, high_in, found in merged:
        if len(merged) == 1:
            low = high = None
        answer, zh = _range_text(low, high, low_in, high_in) if (low, high) != (None, None) else ("any", "任意")
        regions.append((answer, _json_value(rep), zh, found, low, high, low_in, high_in))
    if kind == "date":
        verdict = asker.evaluate(path, False)
        if verdict is not None:
            regions.append(("not_yet", False, "尚未发生", conclusions(verdict), None, None, False, False))
    if len(regions) < 2 and not (regions and regions[0][3] != dict(base)):
        return None
    return [QuestionAnswer(answer=a, value=v, zh=zh, outcomes=_outcomes(found, base))
            for a, v, zh, found, *_ in regions]


def _outcomes(found: Mapping[str, tuple[str, tuple[str, ...]]],
              base: Mapping[str, tuple[str, tuple[str, ...]]]) -> tuple[QuestionOutcome, ...]:
    keys = list(base) + [k for k in found if k not in base]
    return tuple(QuestionOutcome(conclusion=k, value=found.get(k, ("absent", ()))[0],
                                 citations=found.get(k, ("absent", ()))[1]) for k in keys)
