"""Proving a pack consistent: gaps, overlaps, non-monotone thresholds, knowing-more contradictions.

Sampling projects finds a defect when a sample happens to land on it; the analysis here does not rely
on luck. For the route rules (the project assumed in scope) and the change rules (per change) it
collects the variables their conditions read — walking the compiled condition trees — and the cut
points each numeric variable is compared against (parameters and literals). Between two consecutive
cut points every comparison with a parameter or a literal gives the same answer, so one value per
interval, plus the cut points themselves, stands for every amount: evaluating the rules' closures on
every combination of those values, the booleans and the enum values decides the whole input space.

Each combination is combined exactly as :func:`govrules.evaluate` combines route and change rules
(the evaluator's own ``_decide`` is called through a small adapter), and classified:

- ``consistency.gap``: no rule holds (error);
- ``consistency.declared_gap``: a rule with ``gap: true`` holds — the pack says the text does not
  decide the case (warning, with the rule's title);
- ``consistency.overlap``: rules with different decisions hold and no ``overrides`` orders them (error);
- ``consistency.non_monotone``: raising an amount (or a change's scale) turns approval into filing,
  or filing into nothing (error);
- ``consistency.knowing_more``: with one variable unknown the decision is already determined, and
  filling the variable in gives a different one (error);
- ``consistency.missing_citation``: a rule or parameter cites an article, paragraph or item the pack
  does not have (error; checked on the :class:`~govrules.models.pack.Pack` model, since the loader
  refuses such a pack).

Across kinds (:func:`check_scope_and_consequences`):

- ``consistency.scope_boundary``: scope and exemption rules split an amount at a threshold, but at the
  threshold itself both hold or neither does (warning);
- ``consistency.consequence_never``: a consequence holds for no project (error);
- ``consistency.consequence_out_of_scope``: a consequence holds only where the scope excludes the
  project, so no verdict lists it (error).

Failing combinations are grouped into regions — boxes of adjacent intervals and sets of values —
described with the parameters' names, each with a ready-to-use example project. A settable parameter
without a value (Chuxiong's ``procurement_limit``) is analysed with a few values placed below, at,
between and above the other thresholds of its unit, and each finding says which of them it needs.

Conditions outside that fragment (arithmetic over several variables, comparisons between two
variables, functions, event dates compared with one another) fall back to a bounded, fixed-seed
sample of values; the findings then carry ``exact=False``. See ``docs/consistency.md``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from govrules.analysis.findings import (
    CODES,
    SEVERITY,
    Finding,
    article_of,
    check_citations,
    format_findings,
    measure_of,
)
from govrules.analysis.region_space import RawFinding
from govrules.analysis.regions import RegionAnalysis, Spec
from govrules.analysis.space import (
    STEP,
    UNIT_KIND,
    Cell,
    Dimension,
    Reader,
    Source,
    cut_points,
    format_value,
    parameter_values,
    source_of,
)
from govrules.compile.compiler import CompiledPack, CompiledRule
from govrules.engine.combine import any_true
from govrules.models.pack import (
    ChangeRule,
    ExemptionRule,
    Pack,
    Parameter,
    RouteRule,
    ScopeRule,
)
from govrules.models.project import Project

__all__ = [
    "CODES",
    "Finding",
    "check_citations",
    "check_consistency",
    "cut_points",
    "example_project",
    "format_findings",
]


# --------------------------------------------------------------------------------------------------
# Scenarios for settable parameters the pack leaves open


def _scenarios(pack: Pack, given: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, str], str]]:
    """(parameter values, values of the open parameters as text, label) for each scenario analysed."""
    values = parameter_values(pack, given)
    fixed_text = {name: format_value(values[name]) for name in given}
    open_params = [p for p in pack.parameters if p.settable and p.value is None and p.name not in given]
    if not open_params:
        return [(values, fixed_text, "")]
    choices: list[list[tuple[Decimal, str]]] = [placements(p, pack) for p in open_params]
    result = []
    for combo in itertools.product(*choices):
        scenario = dict(values)
        text = dict(fixed_text)
        labels = []
        for parameter, (value, label) in zip(open_params, combo, strict=True):
            scenario[parameter.name] = value
            text[parameter.name] = format_value(value)
            labels.append(label)
        result.append((scenario, text, "; ".join(labels)))
    return result


def placements(parameter: Parameter, pack: Pack) -> list[tuple[Decimal, str]]:
    """Values for an open parameter: below, between and above the other thresholds of its unit.

    Values exactly at another threshold are left out: there the open parameter and the threshold name
    the same amount, and every case is already one of the cases below or above it.
    """
    others = sorted({(p.value, p.name) for p in pack.parameters
                     if p.unit == parameter.unit and p.value is not None and p.name != parameter.name})
    name = parameter.name
    if not others:
        typical = Decimal(1000000) if parameter.unit.value == "CNY" else Decimal("0.1")
        return [(typical, f"{name} = {format_value(typical)}")]
    result: list[tuple[Decimal, str]] = []
    step = STEP.get(UNIT_KIND.get(parameter.unit.value, "number"), Decimal("0.01"))
    low_value, low_name = others[0]
    below = (low_value / 2).quantize(step)
    result.append((below, f"{name} = {format_value(below)} (< {low_name})"))
    for i, (value, other) in enumerate(others):
        if i + 1 < len(others):
            nxt_value, nxt_name = others[i + 1]
            if nxt_value > value:
                middle = ((value + nxt_value) / 2).quantize(step)
                result.append((middle, f"{name} = {format_value(middle)} (between {other} and {nxt_name})"))
    top_value, top_name = others[-1]
    above = top_value * 2
    result.append((above, f"{name} = {format_value(above)} (> {top_name})"))
    return result


# --------------------------------------------------------------------------------------------------
# The entry point


def check_consistency(pack: CompiledPack | Pack | str, *, parameters: Mapping[str, Any] | None = None,
                      max_regions: int = 12, as_of: dt.date | None = None, samples: int = 12,
                      max_combinations: int = 200_000, seed: int = 20250508) -> list[Finding]:
    """Prove ``pack``'s route and change rules consistent, or report where they are not.

    ``pack`` is a compiled pack, a bundled id, or a :class:`Pack` model (compiled here without the
    loader's citation check, so that a pack citing a missing article can be examined). Settable
    parameters come from ``parameters``; those the pack leaves open are analysed under a few values
    each (see :func:`placements`). ``max_regions`` bounds the regions reported per finding;
    ``as_of`` (default: 180 days after the measure took effect) is the date conditions on dates see;
    ``samples``, ``max_combinations`` and ``seed`` bound the sampling fallback.

    Findings come errors first, then by code and rule.
    """
    src = source_of(pack)
    findings = check_citations(src.pack)
    day = as_of or src.pack.dates.effective + dt.timedelta(days=180)
    scenarios = _scenarios(src.pack, parameters or {})
    # The options of a pack's readings select its rules; an analysis depends only on the rules it
    # reads, so under two choices that select the same ones it is the same analysis, done once.
    settings = (getattr(pack, "digest", None), json.dumps(scenarios, default=str, sort_keys=True), day,
                samples, max_combinations, seed, max_regions)
    kinds: tuple[Literal["route", "change"], ...] = ("route", "change")
    for kind in kinds:
        decides: type = RouteRule if kind == "route" else ChangeRule
        read = _selected(src, _of_kinds(decides, ScopeRule, ExemptionRule))

        def regional(kind: Literal["route", "change"] = kind) -> list[Finding]:
            return _kind_findings(src, kind, scenarios, day, samples, max_combinations, seed, max_regions)

        findings.extend(_memoised((kind, *settings, read), regional))
    read = _selected(src, lambda r: isinstance(r.rule, ScopeRule | ExemptionRule) or r.rule.kind == "consequence")
    findings.extend(_memoised(("scope", *settings, read), lambda: check_scope_and_consequences(
        src, scenarios, day, max_combinations=max_combinations, seed=seed)))
    findings = _limit(findings, max_regions)
    order = {"error": 0, "warning": 1}
    return sorted(findings, key=lambda f: (order[f.severity], f.code, f.analysis, f.rules, f.region))


def _kind_findings(src: Source, kind: Literal["route", "change"], scenarios: Sequence[tuple[dict[str, Any],
                  dict[str, str], str]], day: dt.date, samples: int, max_combinations: int, seed: int,
                  max_regions: int) -> list[Finding]:
    runs = []
    for values, text, label in scenarios:
        analysis = RegionAnalysis(src, kind, values, day, samples=samples, max_combinations=max_combinations,
                                  seed=seed)
        analysis.run()
        groups = {(raw.code, *raw.key): raw for raw in analysis.raw_findings()}
        for raw in groups.values():
            _refine(analysis, raw)
        runs.append(_Run(analysis, text, label, groups))
    return _regional_findings(runs, max_regions)


def _of_kinds(*kinds: type) -> Callable[[CompiledRule], bool]:
    return lambda compiled: isinstance(compiled.rule, kinds)


def _selected(src: Source, wanted: Callable[[CompiledRule], bool]) -> tuple[int, ...]:
    """The positions in the pack of the rules ``wanted`` picks among those selected, and of their exceptions."""
    picked = [r for r in src.rules if wanted(r)]
    exceptions = {e for r in picked for e in r.rule.unless}
    return tuple(sorted({r.index for r in picked} | {r.index for r in src.rules if r.id in exceptions}))


#: findings of analyses already done, by what they depend on (only for compiled packs, which have a digest)
_DONE: dict[tuple[Any, ...], list[Finding]] = {}


def _memoised(key: tuple[Any, ...], analyse: Callable[[], list[Finding]]) -> list[Finding]:
    if key[1] is None:  # a Pack model compiled here: no digest to key on
        return analyse()
    found = _DONE.get(key)
    if found is None:
        if len(_DONE) >= 512:
            _DONE.clear()
        found = _DONE[key] = analyse()
    return list(found)


# --------------------------------------------------------------------------------------------------
# Across kinds: scope against exclusion at a threshold, and consequences against the scope

#: The scope and consequence checks enumerate at most this many combinations per rule set (else skipped).
MAX_SIDE_COMBINATIONS = 50_000


def _side_analysis(src: Source, rules: list[CompiledRule], params: Mapping[str, Any], as_of: dt.date,
                   max_combinations: int, seed: int) -> tuple[RegionAnalysis, list[Dimension]] | None:
    """An analysis whose dimensions are the variables ``rules`` (and their exceptions) read; None when
    they are too many to enumerate or cannot be enumerated exactly."""
    analysis = RegionAnalysis(src, "route", params, as_of, samples=0, max_combinations=max_combinations, seed=seed)
    reader = Reader(src)
    reader.read([*rules, *analysis._exceptions(rules)])
    if not all(v.exact for v in reader.vars.values()):
        return None
    analysis.vars = reader.vars
    dims = analysis._dims(list(reader.vars))
    total = 1
    for dim in dims:
        total *= len(dim.values)
    if total > min(max_combinations, MAX_SIDE_COMBINATIONS):
        return None
    analysis.dims, analysis.side_dims = dims, []
    return analysis, dims


def _covered_excluded(analysis: RegionAnalysis, env: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """Whether some scope rule holds, whether some exclusion (exemption) holds, and each rule's outcome."""
    outs = analysis.outcomes(analysis.scope_rules, env)
    scopes = [o.effective for o in outs if isinstance(o.rule, ScopeRule)]
    excluded = any_true(o.effective for o in outs if isinstance(o.rule, ExemptionRule))
    covered = any_true(scopes) if scopes else True
    return covered, excluded, {o.rule.id: o.effective for o in outs}


def check_scope_and_consequences(src: Source, scenarios: Sequence[tuple[dict[str, Any], dict[str, str], str]],
                                 as_of: dt.date, *, max_combinations: int = 200_000,
                                 seed: int = 20250508) -> list[Finding]:
    """Scope against exclusion at each threshold, and every consequence against the scope.

    ``consistency.scope_boundary``: a numeric variable (an amount, a count) compared by scope and
    exemption rules at the same threshold, such that just below and just above it exactly one of
    "some scope rule holds" and "some exemption holds" is true — the rules split the amounts between
    them — but at the threshold itself both are true (a scope rule written ``>=`` and its exclusion
    ``<=``) or neither is (``>`` and ``<``). Every combination of the other variables the rules read
    is tried.

    ``consistency.consequence_never``: a consequence whose condition, after its exceptions, holds for
    no combination of the values its condition reads. ``consistency.consequence_out_of_scope``: one
    that holds only in combinations the scope rules exclude (out of scope or exempt), so that no
    verdict lists it (verdicts list consequences only for projects the measure applies to).

    Both are exhaustive over the cut points of the conditions (as the route analysis is); a rule set
    reading a variable in arithmetic, or with more than :data:`MAX_SIDE_COMBINATIONS` combinations, is
    skipped rather than sampled.
    """
    findings: dict[tuple[Any, ...], Finding] = {}
    measure = measure_of(src.pack)
    scope_rules = [r for r in src.rules if isinstance(r.rule, ScopeRule | ExemptionRule)]
    consequences = [r for r in src.rules if r.rule.kind == "consequence"]
    for params, text, label in scenarios:
        side = _side_analysis(src, scope_rules, params, as_of, max_combinations, seed) if scope_rules else None
        if side is not None:
            for finding in _scope_boundaries(side[0], side[1], text, measure):
                key = (finding.code, finding.rules, finding.region)
                if key not in findings:
                    findings[key] = finding if not label else _with_scenarios(finding, (label,))
        for consequence in consequences:
            side = _consequence_analysis(src, consequence, scope_rules, params, as_of, max_combinations, seed)
            if side is None:
                continue
            reach = _consequence_reach(side[0], side[1], consequence, text, measure)
            if reach is not None:
                findings.setdefault((reach.code, reach.rules), reach)
    return list(findings.values())


def _scope_boundaries(analysis: RegionAnalysis, dims: list[Dimension], parameters: Mapping[str, str],
                      measure: str) -> list[Finding]:
    found: dict[tuple[Any, ...], Finding] = {}
    # only an amount that both a scope rule and an exclusion compare can be split between them
    read: dict[type, set[str]] = {ScopeRule: set(), ExemptionRule: set()}
    for kind in read:
        rules = [r for r in analysis.scope_rules if isinstance(r.rule, kind)]
        for compiled in [*rules, *analysis._exceptions(rules)]:
            read[kind] |= compiled.condition.symbols()
    shared = read[ScopeRule] & read[ExemptionRule]
    numeric = [i for i, d in enumerate(dims) if d.kind == "numeric" and d.cells and d.var in shared]
    for i in numeric:
        dim = dims[i]
        cells = cast(list[Cell], dim.cells)
        points = [k for k, cell in enumerate(cells) if cell.lo_closed and cell.hi_closed and cell.lo == cell.hi
                  and 0 < k < len(cells) - 1]
        others = [range(len(d.values)) if j != i else range(1) for j, d in enumerate(dims)]
        for base in itertools.product(*others):
            column: dict[int, tuple[Any, Any, dict[str, Any]] | None] = {}
            for index in points:
                cell = cells[index]
                trio = tuple(_along(analysis, dims, base, i, k, column) for k in (index - 1, index, index + 1))
                if None in trio:
                    continue
                (cb, eb, rb), (cp, ep, _), (ca, ea, ra) = cast(tuple[tuple[Any, Any, dict[str, Any]], ...], trio)
                tup = list(base)
                tup[i] = index
                if None in (cb, eb, cp, ep, ca, ea) or cb in (eb, ca) or ca == ea or cp != ep:
                    continue  # unknown, not split between the two kinds, or agreeing at the threshold
                flipped = tuple(r.id for r in analysis.scope_rules if rb.get(r.id) != ra.get(r.id))
                both = cp is True
                region = f"{dim.var} = {cell.lo_label}"
                key = (flipped, region, both)
                if key in found:
                    continue
                data = analysis.example(tuple(tup), {})
                by_id = analysis.src.by_id
                named = "; ".join(f"{r} ({article_of(by_id[r].rule.cite)}: {by_id[r].rule.title})" for r in flipped)
                what = ("both a scope rule and an exclusion hold, so the project is excluded" if both else
                        "neither a scope rule nor an exclusion holds, so the project is out of scope")
                message = (f"In {measure}, scope and exclusion rules divide {dim.var} at {cell.lo_label} "
                           f"({format_value(cell.rep)}): below it one holds, above it the other, but at "
                           f"{dim.var} = {cell.lo_label} exactly {what}: {named}. Check 以上/以下/超过/不足 in "
                           "the text: 以上 and 以下 include the amount itself, 超过 and 不足 do not (民法典 "
                           "第一千二百五十九条); if the text does say so, note it on the rules.")
                found[key] = Finding(
                    code="consistency.scope_boundary", message=message, rules=flipped, region=region,
                    example=_example_yaml(data, analysis.src.pack, parameters, analysis.as_of,
                                          "consistency.scope_boundary", region),
                    parameters=dict(parameters), severity=SEVERITY["consistency.scope_boundary"], analysis="scope",
                    articles=tuple(sorted({by_id[r].rule.cite.article for r in flipped})), as_of=analysis.as_of,
                    example_data=data)
    return list(found.values())


def _along(analysis: RegionAnalysis, dims: list[Dimension], base: tuple[int, ...], i: int, k: int,
           column: dict[int, tuple[Any, Any, dict[str, Any]] | None]) -> tuple[Any, Any, dict[str, Any]] | None:
    """Scope and exclusion at value ``k`` of dimension ``i``, the others at ``base`` (memoised in ``column``)."""
    if k not in column:
        moved = list(base)
        moved[i] = k
        env = analysis.env(dims, moved)
        column[k] = _covered_excluded(analysis, env) if analysis.feasible(env) else None
    return column[k]


def _consequence_analysis(src: Source, consequence: CompiledRule, scope_rules: list[CompiledRule],
                          params: Mapping[str, Any], as_of: dt.date, max_combinations: int,
                          seed: int) -> tuple[RegionAnalysis, list[Dimension]] | None:
    """An analysis enumerating the variables the consequence reads (``dims``), with the variables only the
    scope reads as ``side_dims``, searched for values that bring a combination into scope (as the route
    analysis completes its findings); None when the consequence's variables cannot be enumerated exactly."""
    analysis = RegionAnalysis(src, "route", params, as_of, samples=0, max_combinations=max_combinations, seed=seed)
    own = Reader(src)
    own.read([consequence, *analysis._exceptions([consequence])])
    if not all(v.exact for v in own.vars.values()):
        return None
    every = Reader(src)
    every.read([consequence, *analysis._exceptions([consequence]), *scope_rules, *analysis._exceptions(scope_rules)])
    analysis.vars = every.vars
    dims = analysis._dims(list(own.vars))
    total = 1
    for dim in dims:
        total *= len(dim.values)
    if total > min(max_combinations, MAX_SIDE_COMBINATIONS):
        return None
    taken = {d.var for d in dims} | {d.group for d in dims}
    analysis.side_dims = [d for d in analysis._dims([n for n in every.vars if n not in own.vars])
                          if d.var not in taken and d.group not in taken]
    analysis.dims = dims
    return analysis, dims


def _consequence_reach(analysis: RegionAnalysis, dims: list[Dimension], consequence: CompiledRule,
                       parameters: Mapping[str, str], measure: str) -> Finding | None:
    holds = False
    outside: tuple[int, ...] | None = None
    for tup in itertools.product(*(range(len(d.values)) for d in dims)):
        env = analysis.env(dims, tup)
        if not analysis.feasible(env):
            continue
        [outcome] = analysis.outcomes([consequence], env)
        if outcome.effective is False:
            continue
        holds = True
        status = analysis.scope(env)
        if status == "in_scope":
            return None
        if status == "undetermined" and (not analysis.side_dims or analysis.completion(tuple(tup)) is not None):
            return None  # some project the measure applies to gets it (or the search could not tell)
        outside = outside or tuple(tup)
    rule = consequence.rule
    named = f"{rule.id} ({article_of(rule.cite)}: {rule.title})"
    if not holds:
        code = "consistency.consequence_never"
        message = (f"In {measure}, consequence {named} holds for no project: its condition, after its "
                   "exceptions, is false for every combination of the values it reads.")
        region, data = "", {}
    else:
        code = "consistency.consequence_out_of_scope"
        message = (f"In {measure}, consequence {named} holds only for projects the scope rules exclude (out of "
                   "scope or exempt); a verdict lists consequences only where the measure applies, so this one "
                   "is never shown. Check its condition against the articles that say to whom the measure "
                   "applies.")
        region = "out of scope"
        data = analysis.example(cast(tuple[int, ...], outside), {})
    return Finding(code=code, message=message, rules=(rule.id,), region=region,
                   example=_example_yaml(data, analysis.src.pack, parameters, analysis.as_of, code, region)
                   if data else "", parameters=dict(parameters), severity=SEVERITY[code], analysis="consequence",
                   articles=(rule.cite.article,), as_of=analysis.as_of, example_data=data)


@dataclass
class _Run:
    """One analysis under one scenario, with its findings by group."""

    analysis: RegionAnalysis
    parameters: dict[str, str]
    label: str
    groups: dict[tuple[Any, ...], RawFinding]


@dataclass
class _Candidate:
    finding: Finding
    group: tuple[Any, ...]
    spec: Spec
    covered: dict[int, set[tuple[int, ...]]]  # run index → the group's combinations inside the region


def _refine(analysis: RegionAnalysis, raw: RawFinding) -> None:
    """Drop combinations that no values of the scope-only facts bring into scope; keep completions."""
    for tup in sorted(raw.tuples):
        completion = analysis.completion(tup)
        if completion is None:
            raw.tuples.discard(tup)
            analysis.dontcare.add(tup)
        else:
            raw.completions[tup] = completion


def _regional_findings(runs: list[_Run], max_regions: int) -> list[Finding]:
    """Regions per finding, merged across scenarios: each says under which scenarios it holds."""
    candidates: dict[tuple[Any, ...], _Candidate] = {}
    for run in runs:
        for group, raw in run.groups.items():
            if not raw.tuples:
                continue
            for finding, spec in _materialise(run, raw, max_regions):
                key = (group, finding.region)
                if key not in candidates:
                    candidates[key] = _Candidate(finding, group, spec, {})
    for candidate in candidates.values():
        for index, run in enumerate(runs):
            found = run.groups.get(candidate.group)
            if found is None or not found.tuples:
                continue
            analysis = run.analysis
            inside = [t for t in analysis.region_tuples(candidate.spec)
                      if t in analysis.results and t not in analysis.dontcare]
            if inside and all(t in found.tuples for t in inside):
                candidate.covered[index] = set(inside)
    # drop regions whose cases, under every scenario where they hold, other regions already cover
    kept = [c for c in candidates.values() if c.covered]
    for candidate in reversed(list(kept)):
        others = [o for o in kept if o is not candidate and o.group == candidate.group]
        if all(cases <= set().union(*(o.covered.get(i, set()) for o in others))
               for i, cases in candidate.covered.items()):
            kept.remove(candidate)
    labels = [run.label for run in runs]
    result = []
    for candidate in kept:
        finding = candidate.finding
        holds = [labels[i] for i in sorted(candidate.covered)]
        if len(holds) < len(runs) and all(holds):
            finding = _with_scenarios(finding, tuple(holds))
        result.append(finding)
    return result


def _with_scenarios(finding: Finding, labels: tuple[str, ...]) -> Finding:
    message = finding.message + " Only with " + " or ".join(labels) + "."
    return Finding(**{**finding.__dict__, "message": message, "scenarios": labels})


def _limit(findings: list[Finding], max_regions: int) -> list[Finding]:
    by_group: dict[tuple[str, str, tuple[str, ...]], list[Finding]] = {}
    for f in findings:
        by_group.setdefault((f.code, f.analysis, f.rules), []).append(f)
    result: list[Finding] = []
    for group in by_group.values():
        kept = group[:max_regions]
        if len(group) > max_regions:
            last = kept[-1]
            kept[-1] = Finding(**{**last.__dict__, "message": last.message
                                  + f" ({len(group) - max_regions} more region(s) not listed: raise max_regions.)"})
        result.extend(kept)
    return result


def _materialise(run: _Run, raw: RawFinding, max_regions: int) -> list[tuple[Finding, Spec]]:
    analysis = run.analysis
    regions, left = analysis.regions(raw.tuples, max_regions)
    src = analysis.src
    by_id = src.by_id
    exact = analysis.exact and not analysis.sampled_space
    findings = []
    for region, seed, spec in regions:
        data = analysis.example(seed, raw.completions[seed])
        message = _message(analysis, raw, seed)
        if not exact:
            message += (" (Found by sampling: " + "; ".join(sorted(analysis.reasons))
                        + " — the analysis is not exhaustive here.)")
        articles = tuple(sorted({by_id[r].rule.cite.article for r in raw.rules if r in by_id}))
        findings.append((Finding(
            code=raw.code, message=message, rules=raw.rules, region=region,
            example=_example_yaml(data, src.pack, run.parameters, analysis.as_of, raw.code, region),
            parameters=dict(run.parameters), severity=SEVERITY[raw.code], analysis=analysis.kind,
            articles=articles, as_of=analysis.as_of, exact=exact, example_data=data), spec))
    if left and findings:
        last, spec = findings[-1]
        findings[-1] = (Finding(**{**last.__dict__, "message": last.message
                                   + f" ({left} more combination(s) in further regions not listed.)"}), spec)
    return findings


def _message(analysis: RegionAnalysis, raw: RawFinding, seed: tuple[int, ...]) -> str:
    src = analysis.src
    measure = measure_of(src.pack)
    what = "route" if analysis.kind == "route" else "change request"

    def named(ids: Iterable[str]) -> str:
        return "; ".join(f"{i} ({article_of(src.by_id[i].rule.cite)}: {src.by_id[i].rule.title})" for i in ids)

    if raw.code == "consistency.gap":
        articles = sorted({r.rule.cite.article for r in analysis.rules})
        return (f"No {what} rule of {measure} holds for these cases and the pack does not declare the gap: "
                f"none of the {what} rules (Art. {', '.join(map(str, articles))}) decides them, so "
                f"evaluate() reports `undetermined` with gap.")
    if raw.code == "consistency.declared_gap":
        rules = [src.by_id[i].rule for i in raw.rules]
        return (f"The pack declares that {measure} does not decide these cases ({what}): "
                + "; ".join(f"{r.id} ({article_of(r.cite)}): {r.title}" for r in rules) + ".")
    if raw.code == "consistency.overlap":
        decisions = ", ".join(f"{i} → {src.by_id[i].rule.decision}" for i in raw.rules)
        return (f"{what.capitalize()} rules of {measure} with different decisions hold together and no "
                f"`overrides` orders them ({decisions}): {named(raw.rules)}. evaluate() reports a "
                "contradiction.")
    if raw.code == "consistency.non_monotone":
        d = raw.detail
        dim = analysis.dims[d["dim"]]
        low = dim.values[seed[d["dim"]]]
        assert dim.cells is not None
        high = dim.cells[d["to"][d["dim"]]]
        where = f" ({high.lo_label})" if high.lo == high.rep and high.lo_label != format_value(high.rep) else ""
        return (f"Raising {dim.label} lowers the procedure under {measure}: with {dim.label} = {format_value(low)} the "
                f"{what} is {d['decision']} ({named(d['low_rules'])}), but raised to {dim.label} = "
                f"{format_value(high.rep)}{where} it is {d['other']} ({named(d['high_rules'])}). A larger project "
                "would need less procedure.")
    d = raw.detail
    return (f"Knowing more contradicts an earlier conclusion under {measure}: with {d['group']} unknown the "
            f"{what} is already {d['partial']} ({named(d['partial_rules'])}), but once {d['group']} is known "
            f"it is {d['full']}. The decision with the fact unknown should have stayed undetermined.")


def _example_yaml(data: Mapping[str, Any], pack: Pack, parameters: Mapping[str, str], as_of: dt.date,
                  code: str, region: str) -> str:
    lines = [f"# example for {code} in {pack.id}: {region}",
             f"# evaluate on {as_of.isoformat()}"
             + (" with " + " ".join(f"--param {k}={v}" for k, v in parameters.items()) if parameters else "")]
    lines.extend(yaml_lines(data, 0))
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return format_value(Decimal(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = str(value)
    if text and (text[0].isalpha() or "\u4e00" <= text[0] <= "\u9fff") and all(
            ch.isalnum() or ch in "_-" or "\u4e00" <= ch <= "\u9fff" for ch in text) and text not in (
            "true", "false", "null", "yes", "no", "on", "off"):
        return text
    return json.dumps(text, ensure_ascii=False)


def yaml_lines(data: Mapping[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:")
            lines.extend(yaml_lines(value, indent + 2))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{pad}{key}:")
            lines.extend(f"{pad}  - {_scalar(v)}" for v in value)
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return lines


def example_project(finding: Finding) -> Project:
    """The finding's example as a validated :class:`~govrules.models.project.Project`."""
    return Project.model_validate(finding.example_data)
