"""Comparing two packs: where two measures decide the same project differently, region by region.

``diff_packs(a, b)`` answers, for every project and not for a sample, the question a reviewer asks
when a unit works under one measure and looks at another (or when a measure is revised or adapted by a
county): *which projects would the two measures treat differently, and which articles say so on each
side?* It reuses the exhaustive machinery of :mod:`govrules.analysis.consistency` — the variables conditions
read, their cut points, one representative value per cell, the evaluator's own ``_decide``, and the
grouping of combinations into readable regions — on the union of the variables both packs read:

- **scope**: on the facts *both* measures' scope rules read (``level``, the funding, …), where one
  measure can cover the project (with suitable values of the facts only it reads) and the other never
  does — e.g. ``level = county``: Chuxiong covers it, Linfen does not. Scope rules and exemptions the
  two packs share word for word (same condition, same parameter values) are left aside;
- **route**: the approval / filing / build-first decision of each measure on every combination of the
  variables either measure's route rules read — numeric cut points of *both* packs' thresholds — each
  measure taking the project to be within its scope. Where the two scopes meet, a region in which no
  project is within both is left out (and the notes say so); where they never meet, the comparison is
  what each measure would decide for a project it covers;
- **change**: the same for one change request.

Combinations with the same pair of decisions are grouped into regions as in
:mod:`govrules.analysis.consistency`; identical decisions are only counted. When the two packs' route (change)
rules read no variable in common, each pack's half is enumerated and described alone and the regions are
paired. See ``docs/consistency.md`` ("Comparing two packs").
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from govrules.analysis.consistency import placements, yaml_lines
from govrules.analysis.region_space import AnalysisResult
from govrules.analysis.regions import RegionAnalysis, Spec
from govrules.analysis.space import Dimension, Reader, Source, Variable, format_value, parameter_values, source_of
from govrules.compile.compiler import CompiledPack, CompiledRule
from govrules.engine.citations import cite
from govrules.errors import PackError, ProjectError
from govrules.models.pack import ChangeRule, ExceptionRule, ExemptionRule, Pack, RouteRule, ScopeRule
from govrules.models.project import Project

__all__ = ["Difference", "PackDiff", "Side", "diff_packs", "diff_report", "example_project", "format_diff"]

AnalysisKind = Literal["scope", "route", "change"]
_KINDS: tuple[AnalysisKind, ...] = ("scope", "route", "change")
_OUT = ("out_of_scope", "exempt")
#: Names that stand for one enumerated variable (``category`` goes with ``execution``, …).
_CANON = {"category": "execution", "fiscal_funded": "funding_sources"}
#: Variables the feasibility check ties together: packs reading different members of one group are
#: compared jointly, never as independent halves.
_TIED = ({"budget", "procurement_budget"}, {"funding_sources", "fiscal_amount"},
         {"system_count", "all_systems_in_catalogue"})
_SEARCH_BUDGET = 20000
_WITNESS_TRIES = 256
_NOTES = {"gap": "gap: no rule decides", "declared": "the pack declares a gap", "overlap": "contradiction",
          "open": "open"}


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Side:
    """One measure's decision in a region: the decision, the rules reaching it and their articles.

    ``citations`` are labels as the verdict gives them (``第十六条``, ``第十一条第三款``). ``note`` says
    why an ``undetermined`` decision is undetermined (a declared gap, no rule, a contradiction) or, for
    the scope analysis, that an exemption applies.
    """

    pack: str
    decision: str
    rules: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    articles: tuple[int, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The side as plain JSON-able data."""
        return {"pack": self.pack, "decision": self.decision, "rules": list(self.rules),
                "citations": list(self.citations), "articles": list(self.articles), "note": self.note}

    def describe(self) -> str:
        """``filing — route.art17_filing (第十七条)``."""
        text = self.decision
        if self.note:
            text += f" ({self.note})"
        if self.rules:
            text += " — " + ", ".join(self.rules)
            if self.citations:
                text += f" ({', '.join(self.citations)})"
        return text


@dataclass(frozen=True)
class Difference:
    """A region of projects two measures decide differently.

    ``analysis`` is ``scope`` (one measure covers the cases, the other never does), ``route`` or
    ``change`` (decisions of the measures, each assumed to cover the project). ``region`` describes the
    cases (``execution = construction, budget in [300000, 500000)``); ``a`` and ``b`` are the two
    sides. ``example`` is a project file (YAML) in the region, using the shared fact names, with both
    measures' scope facts set so that it is within their scope where one project can be (``in_scope_of``
    lists the measures whose scope it is within). ``parameters`` gives, per pack, the values of settable
    parameters the example needs; ``scenarios`` the values of parameters the packs leave open under
    which the difference appears (empty: under every value tried). ``exact`` is false when the
    difference comes from a sample rather than the exhaustive enumeration.
    """

    analysis: AnalysisKind
    region: str
    a: Side
    b: Side
    example: str
    parameters: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    scenarios: tuple[str, ...] = ()
    in_scope_of: tuple[str, ...] = ()
    as_of: dt.date | None = None
    exact: bool = True
    example_data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The difference as plain JSON-able data."""
        return {"analysis": self.analysis, "region": self.region, "a": self.a.to_dict(), "b": self.b.to_dict(),
                "scenarios": list(self.scenarios), "parameters": {k: dict(v) for k, v in self.parameters.items()},
                "in_scope_of": list(self.in_scope_of), "as_of": self.as_of.isoformat() if self.as_of else None,
                "exact": self.exact, "example": self.example}


@dataclass(frozen=True)
class PackDiff:
    """The whole comparison: the differences, how many combinations agree, and what to know.

    ``identical`` and ``compared`` count, per analysis, the combinations of representative values
    (over every scenario) decided the same way, and compared at all. ``notes`` say when a measure is
    not in force on ``as_of``, when no project is within the scope of both measures, which facts only
    one measure's scope reads, and when the analysis sampled instead of enumerating.
    """

    a: str
    b: str
    as_of: dt.date
    differences: list[Difference]
    identical: dict[str, int]
    compared: dict[str, int]
    notes: tuple[str, ...] = ()
    exact: bool = True
    titles: tuple[str, str] = ("", "")
    in_force: tuple[bool, bool] = (True, True)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as plain JSON-able data."""
        return {"a": {"pack": self.a, "title": self.titles[0], "in_force": self.in_force[0]},
                "b": {"pack": self.b, "title": self.titles[1], "in_force": self.in_force[1]},
                "as_of": self.as_of.isoformat(), "exact": self.exact, "notes": list(self.notes),
                "identical": dict(self.identical), "compared": dict(self.compared),
                "differences": [d.to_dict() for d in self.differences]}


def example_project(difference: Difference) -> Project:
    """The difference's example as a validated :class:`~govrules.models.project.Project`."""
    return Project.model_validate(difference.example_data)


def format_diff(report: PackDiff, *, examples: bool = False) -> str:
    """A readable report: the notes, the differences by analysis and pair of decisions, then the counts."""
    lines = [f"{report.a} vs {report.b}, as of {report.as_of.isoformat()}"
             + ("" if report.exact else " (partly sampled)")]
    for label, pack, title in (("a", report.a, report.titles[0]), ("b", report.b, report.titles[1])):
        if title:
            lines.append(f"  {label} {pack}: 《{title}》")
    lines.extend(f"note: {n}" for n in report.notes)
    for kind in _KINDS:
        found = [d for d in report.differences if d.analysis == kind]
        if not found:
            continue
        lines.append(f"{kind}: {len(found)} region(s) decided differently")
        pairs: dict[tuple[str, str], list[Difference]] = {}
        for d in found:
            pairs.setdefault((d.a.decision, d.b.decision), []).append(d)
        for (a, b), regions in pairs.items():
            lines.append(f"  {report.a} {a}, {report.b} {b}: {len(regions)} region(s)")
            for d in regions:
                lines.append(f"    {d.region}")
                lines.append(f"      a {d.a.pack}: {d.a.describe()}")
                lines.append(f"      b {d.b.pack}: {d.b.describe()}")
                if d.scenarios:
                    lines.append(f"      with: {' | '.join(d.scenarios)}")
                if d.analysis != "scope" and len(set(d.in_scope_of)) < len({d.a.pack, d.b.pack}):
                    lines.append("      (no project of this region tried is within the scope of both)")
                if not d.exact:
                    lines.append("      (found by sampling)")
                if examples and d.example:
                    lines.extend("        " + line for line in d.example.rstrip("\n").split("\n"))
    if not report.differences:
        lines.append("no differences")
    counts = [f"{kind} {report.identical[kind]} of {report.compared[kind]}" for kind in _KINDS
              if kind in report.compared]
    if counts:
        lines.append("identical decisions (combinations of representative values): " + ", ".join(counts))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Entry points


def diff_packs(pack_a: CompiledPack | Pack | str, pack_b: CompiledPack | Pack | str, *,
               parameters: Mapping[str, Mapping[str, Any]] | None = None, as_of: dt.date | None = None,
               max_regions: int = 12, samples: int = 12, max_combinations: int = 200_000,
               seed: int = 20250508) -> list[Difference]:
    """The regions where ``pack_a`` and ``pack_b`` decide the same project differently.

    See :func:`diff_report`, which also returns the counts of identical decisions and the notes.
    """
    return diff_report(pack_a, pack_b, parameters=parameters, as_of=as_of, max_regions=max_regions,
                       samples=samples, max_combinations=max_combinations, seed=seed).differences


def diff_report(pack_a: CompiledPack | Pack | str, pack_b: CompiledPack | Pack | str, *,
                parameters: Mapping[str, Mapping[str, Any]] | None = None, as_of: dt.date | None = None,
                max_regions: int = 12, samples: int = 12, max_combinations: int = 200_000,
                seed: int = 20250508) -> PackDiff:
    """Compare two packs' scope, route and change decisions on every project.

    ``pack_a``/``pack_b``: compiled packs, bundled ids, or :class:`Pack` models. ``parameters`` maps a
    pack id to its settable parameters (``{"chuxiong-2025": {"procurement_limit": "100万元"}}``); a
    settable parameter left open is analysed under a few values (the same values for both packs when
    both leave a parameter of that name open). ``as_of`` defaults to the later of the two effective
    dates. ``max_regions`` bounds the regions listed per pair of decisions; ``samples``,
    ``max_combinations`` and ``seed`` bound the sampling fallback.
    """
    given = {str(k): dict(v) for k, v in (parameters or {}).items()}
    srcs = (source_of(pack_a), source_of(pack_b))
    ids = {s.pack.id for s in srcs}
    unknown = sorted(set(given) - ids)
    if unknown:
        raise ProjectError(f"--param for {', '.join(unknown)}: compared packs are {', '.join(sorted(ids))}")
    day = as_of or max(s.pack.dates.effective for s in srcs)
    return _Diff(srcs, day, given, max_regions=max_regions, samples=samples, max_combinations=max_combinations,
                 seed=seed).run()


# --------------------------------------------------------------------------------------------------
# The two packs, their variables and the parameter scenarios


def _canon(names: Iterable[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        name = _CANON.get(name, name)
        if name == "fiscal_amount" and "funding_sources" not in result:
            result.append("funding_sources")  # the amount comes from the funding: enumerate both
        if name not in result:
            result.append(name)
    return result


def _exceptions(src: Source, rules: Sequence[CompiledRule]) -> list[CompiledRule]:
    ids = {e for r in rules for e in r.rule.unless}
    return [r for r in src.rules if r.id in ids]


@dataclass
class _Member:
    """One of the two packs: the variables its scope and its route / change rules read."""

    src: Source
    vars: dict[str, Variable]
    reasons: dict[str, set[str]]
    scope_vars: list[str]  # as the conditions name them
    scope_names: list[str]  # canonical
    decision_names: dict[str, list[str]]
    has_rules: dict[str, bool]

    @classmethod
    def of(cls, src: Source) -> _Member:
        scope_rules = [r for r in src.rules if isinstance(r.rule, ScopeRule | ExemptionRule)]
        scope_rules += _exceptions(src, scope_rules)
        everything = Reader(src)
        reader = Reader(src)
        reader.read(scope_rules)
        everything.read(scope_rules)
        decision: dict[str, list[str]] = {}
        has: dict[str, bool] = {}
        for kind, rule_type in (("route", RouteRule), ("change", ChangeRule)):
            rules = [r for r in src.rules if isinstance(r.rule, rule_type)]
            rules += _exceptions(src, rules)
            kind_reader = Reader(src)
            kind_reader.read(rules)
            everything.read(rules)
            decision[kind] = _canon(kind_reader.vars)
            has[kind] = any(isinstance(r.rule, rule_type) for r in rules)
        return cls(src, everything.vars, everything.reasons, list(reader.vars), _canon(reader.vars), decision, has)


def _merge_vars(members: Sequence[_Member]) -> dict[str, Variable]:
    merged: dict[str, Variable] = {}
    for member in members:
        for name, var in member.vars.items():
            have = merged.get(name)
            if have is None:
                merged[name] = Variable(name, var.kind, var.numeric, var.values, set(), set(var.cut_literals),
                                    set(var.cut_constants), set(var.literals), var.exact)
                continue
            if have.kind != var.kind:
                raise PackError(f"`{name}` is read as {have.kind} by one pack and as {var.kind} by "
                                f"{member.src.pack.id}: the packs do not give it one meaning", code="pack_invalid")
            if var.values and have.values != var.values:
                have.values = tuple(dict.fromkeys([*(have.values or ()), *var.values]))
            have.cut_literals |= var.cut_literals
            have.cut_constants |= var.cut_constants
            have.literals |= var.literals
            have.exact = have.exact and var.exact
    return merged


@dataclass
class _Scenario:
    """Values of the settable parameters the packs leave open (one combination of placements)."""

    params: tuple[dict[str, Any], dict[str, Any]]  # per pack: every parameter's value
    labels: dict[tuple[int, str], str]  # (pack index, open parameter) → the name cut points carry
    values: dict[str, Any]  # cut-point name → value
    text: tuple[dict[str, str], dict[str, str]]  # per pack: settable values the example needs
    label: str


def _scenarios(members: Sequence[_Member], given: Mapping[str, Mapping[str, Any]]) -> list[_Scenario]:
    fixed = [parameter_values(m.src.pack, given.get(m.src.pack.id, {})) for m in members]
    base_text = [{name: format_value(fixed[i][name]) for name in given.get(m.src.pack.id, {})}
                 for i, m in enumerate(members)]
    # open parameters; one of the same name and unit in both packs is one variable (the same value)
    variables: list[tuple[list[tuple[int, str]], dict[Decimal, str], str]] = []
    by_key: dict[tuple[str, str], int] = {}
    open_names = [{p.name for p in m.src.pack.parameters if p.settable and p.value is None
                   and p.name not in given.get(m.src.pack.id, {})} for m in members]
    for i, member in enumerate(members):
        for parameter in member.src.pack.parameters:
            if parameter.name not in open_names[i]:
                continue
            key = (parameter.name, parameter.unit.value)
            places = placements(parameter, member.src.pack)
            if key in by_key:
                owners, known, _ = variables[by_key[key]]
                owners.append((i, parameter.name))
                for value, place in places:
                    known.setdefault(value, place)
                continue
            other = members[1 - i].src.pack.parameters
            clash = any(p.name == parameter.name and p.unit != parameter.unit and p.name in open_names[1 - i]
                        for p in other)
            label = f"{member.src.pack.id}:{parameter.name}" if clash else parameter.name
            by_key[key] = len(variables)
            variables.append(([(i, parameter.name)], dict(places), label))
    result = []
    single = members[0].src.pack.id == members[1].src.pack.id
    choices = [sorted(known.items()) for _, known, _ in variables]
    for combo in itertools.product(*choices):
        params = (dict(fixed[0]), dict(fixed[1]))
        text = (dict(base_text[0]), dict(base_text[1]))
        labels: dict[tuple[int, str], str] = {}
        values: dict[str, Any] = {}
        parts = []
        for (owners, _, label), (value, place) in zip(variables, combo, strict=True):
            for i, name in owners:
                params[i][name] = value
                text[i][name] = format_value(value)
                labels[(i, name)] = label
            values[label] = value
            parts.append(place if len(owners) > 1 or single else f"{members[owners[0][0]].src.pack.id}: {place}")
        result.append(_Scenario(params, labels, values, text, "; ".join(parts)))
    return result


# --------------------------------------------------------------------------------------------------
# The joint enumeration: consistency's RegionAnalysis with the dimensions of both packs


class _Joint(RegionAnalysis):
    """Dimensions over the variables of both packs (cut points of both), and their regions.

    Only the parts of :class:`~govrules.analysis.consistency.RegionAnalysis` that build dimensions, enumerate
    combinations, describe regions and write examples are used; the rules are evaluated by each
    pack's own ``RegionAnalysis``.
    """

    def __init__(self, diff: _Diff, scenario: _Scenario, kind: Literal["route", "change"], src: Source) -> None:
        self.diff = diff
        self.scenario = scenario
        self.src = src
        self.kind = kind
        self.vars = diff.vars
        self.params = dict(scenario.values)
        self.as_of = diff.day
        self.base = {"as_of": diff.day}
        self.rng = random.Random(diff.seed)
        self.samples = diff.samples
        self.max_combinations = diff.max_combinations
        self.reasons = set()
        self.dims = []
        self.side_dims = []
        self.dontcare = set()
        self.sampled_space = False
        self.exact = True
        self.tried: dict[tuple[Any, ...], list[int] | Literal["open"] | None] = {}  # witness searches, by
        # the values the scopes read

    def _numeric_cuts(self, var: Variable) -> dict[Decimal, str]:
        cuts: dict[Decimal, str] = {}
        named: dict[Decimal, str] = {}
        for i, member in enumerate(self.diff.members):
            own = member.vars.get(var.name)
            if own is None:
                continue
            for literal in own.cut_literals:
                if isinstance(literal, Decimal):
                    cuts.setdefault(literal, format_value(literal))
            for name in own.cut_params:
                value = self.scenario.params[i].get(name)
                if value is None:
                    continue
                label = self.scenario.labels.get((i, name))
                if label is not None:
                    named[value] = label  # an open parameter: its name (the value varies by scenario)
                else:
                    cuts.setdefault(value, format_value(value))  # a fixed one: its value (names differ by pack)
        cuts.update(named)
        return cuts

    def _date_dim(self, var: Variable) -> Dimension:
        cuts: dict[dt.date, str] = {}
        for member in self.diff.members:
            own = member.vars.get(var.name)
            if own is None:
                continue
            for literal in own.cut_literals:
                if isinstance(literal, dt.date):
                    cuts.setdefault(literal, literal.isoformat())
            for constant in own.cut_constants:
                if constant == "as_of":
                    cuts[self.as_of] = "as_of"
                else:
                    effective = member.src.pack.dates.effective
                    cuts.setdefault(effective, effective.isoformat())
        return self._date_dim_from(var, cuts)

    def build(self, names: Sequence[str]) -> list[Dimension]:
        """Dimensions for ``names`` (canonical), with both packs' cut points."""
        return self._dims(list(names))


def _env(analysis: RegionAnalysis, dims: Sequence[Dimension], tup: Sequence[int], unknown: frozenset[str] = frozenset(),
         base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``analysis.env``, keeping a procurement budget the base already has when only the budget is set."""
    env = analysis.env(dims, tup, unknown, base)
    if base is not None and base.get("procurement_budget") is not None and not any(
            d.var == "procurement_budget" for d in dims):
        env["procurement_budget"] = base["procurement_budget"]
    return env


def _search(analyses: Sequence[RegionAnalysis], envs: Sequence[Mapping[str, Any]], dims: Sequence[Dimension],
            need: Sequence[bool]) -> list[int] | Literal["open"] | None:
    """Values of ``dims`` that put the project within the scope of every pack in ``need``.

    A bounded depth-first search in three-valued logic (a set variable is unknown until all its members
    are chosen); ``None`` when no values do, ``"open"`` when the search ran out of budget.
    """
    groups = [d.group for d in dims]
    budget = [_SEARCH_BUDGET]
    exhausted = [True]

    def visit(chosen: list[int]) -> list[int] | None:
        budget[0] -= 1
        if budget[0] < 0:
            exhausted[0] = False
            return None
        depth = len(chosen)
        partial = frozenset(groups[depth:]) & frozenset(groups[:depth])
        statuses = []
        for analysis, env, needed in zip(analyses, envs, need, strict=True):
            if not needed:
                continue
            current = _env(analysis, dims[:depth], chosen, partial, base=env)
            if not analysis.feasible(current):
                return None
            status = analysis.scope(current)
            if status in _OUT:
                return None
            statuses.append(status)
        if all(s == "in_scope" for s in statuses):
            return chosen
        if depth == len(dims):
            return None
        size = len(dims[depth].values)
        # events: "not yet" first (the natural default); other values in order
        order: Iterable[int] = [size - 1, *range(size - 1)] if dims[depth].kind == "date" else range(size)
        for index in order:
            found = visit([*chosen, index])
            if found is not None:
                return found
        return None

    found = visit([])
    if found is None and not exhausted[0]:
        return "open"
    return found


def _pairs(first: Sequence[tuple[int, ...]], second: Sequence[tuple[int, ...]]) -> Iterator[tuple[tuple[int, ...],
                                                                                                  tuple[int, ...]]]:
    """Pairs of combinations of two halves: each of the second with the first of the first, each of the
    first with the first of the second, then the rest."""
    seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for pair in itertools.chain(((first[0], b) for b in second), ((a, second[0]) for a in first),
                                itertools.product(first, second)):
        if pair not in seen:
            seen.add(pair)
            yield pair


def _differs_from(decisions: set[str]) -> Callable[[tuple[str, ...]], bool]:
    """For one pack alone: a decision is wanted when the other pack makes some other decision."""
    return lambda key: bool(decisions - {key[0]})


@dataclass(frozen=True)
class _Out:
    """One pack's decision on one combination."""

    decision: str
    rules: tuple[str, ...]
    note: str = ""


def _out(result: AnalysisResult) -> _Out:
    return _Out(result.decision, result.rules, _NOTES.get(result.kind, ""))


@dataclass
class _Part:
    """One enumeration under one scenario: both packs jointly, or one pack alone (its half)."""

    host: _Joint
    packs: tuple[int, ...]
    analyses: tuple[RegionAnalysis, RegionAnalysis]
    outcomes: dict[tuple[int, ...], tuple[_Out, ...]] = field(default_factory=dict)
    groups: dict[tuple[str, ...], set[tuple[int, ...]]] = field(default_factory=dict)
    completions: dict[tuple[int, tuple[int, ...]], dict[str, int]] = field(default_factory=dict)
    sides: dict[int, list[Dimension]] = field(default_factory=dict)
    pruned: bool = False  # subtrees decided alike were counted, not enumerated
    same: int = 0
    total: int = 0
    seen: set[tuple[str, ...]] = field(default_factory=set)


@dataclass
class _Candidate:
    key: tuple[str, ...]
    region: str
    spec: Spec
    seed: tuple[int, ...]
    covered: dict[int, set[tuple[int, ...]]] = field(default_factory=dict)


class _Diff:
    def __init__(self, srcs: tuple[Source, Source], day: dt.date, given: Mapping[str, Mapping[str, Any]], *,
                 max_regions: int, samples: int, max_combinations: int, seed: int) -> None:
        self.srcs = srcs
        self.ids = (srcs[0].pack.id, srcs[1].pack.id)
        self.day = day
        self.max_regions = max_regions
        self.samples = samples
        self.max_combinations = max_combinations
        self.seed = seed
        self.members = (_Member.of(srcs[0]), _Member.of(srcs[1]))
        self.vars = _merge_vars(self.members)
        self.scenarios = _scenarios(self.members, given)
        self.notes: list[str] = []
        self.reasons: set[str] = set()
        self.exact = True
        self.identical: dict[str, int] = {}
        self.compared: dict[str, int] = {}
        self.scopes_meet = False  # some project is within both scopes (found by the scope analysis)
        self.scopes_may_meet = False  # … or may be (subtrees left to the same open rules in both)
        self.dropped: dict[str, list[str]] = {}

    # ---------------------------------------------------------------- running

    def run(self) -> PackDiff:
        in_force = []
        for src in self.srcs:
            ok, why = src.pack.in_force(self.day)
            in_force.append(ok)
            if not ok:
                self.notes.append(f"{src.pack.id} is not in force on {self.day.isoformat()}: {why}")
        differences = self._scope()
        if not self.scopes_meet and not self.scopes_may_meet:
            self.notes.append("no project is within the scope of both measures: the route and change "
                              "differences compare what each measure decides for a project within its own scope")
        for kind in ("route", "change"):
            if not any(m.has_rules[kind] for m in self.members):
                self.notes.append(f"neither pack has {kind} rules: no {kind} comparison")
                continue
            for i, member in enumerate(self.members):
                if not member.has_rules[kind]:
                    self.notes.append(f"{self.ids[i]} has no {kind} rules: it decides every "
                                      f"{'change request' if kind == 'change' else 'route'} `undetermined` (gap)")
            differences += self._decisions(kind)
            dropped = self.dropped.get(kind, [])
            if dropped:
                self.notes.append(f"{kind}: {len(dropped)} region(s) where the decisions differ but no project is "
                                  "within both measures' scopes, left out: " + "; ".join(dropped[:3])
                                  + ("; …" if len(dropped) > 3 else ""))
        for i, member in enumerate(self.members):
            other = set(self.members[1 - i].scope_names)
            private = [n for n in member.scope_names if n not in other]
            if private and self.ids[0] != self.ids[1]:
                self.notes.append(f"{self.ids[i]}'s scope also reads facts the other measure's scope does not: "
                                  + ", ".join(private))
        if self.reasons:
            self.exact = False
            self.notes.append("sampled, not exhaustive: " + "; ".join(sorted(self.reasons)))
        order = {k: n for n, k in enumerate(_KINDS)}
        differences.sort(key=lambda d: (order[d.analysis], d.a.decision, d.b.decision, d.region))
        return PackDiff(self.ids[0], self.ids[1], self.day, differences, self.identical, self.compared,
                        tuple(self.notes), self.exact, (self.srcs[0].pack.title, self.srcs[1].pack.title),
                        (in_force[0], in_force[1]))

    def _analyses(self, kind: Literal["route", "change"], scenario: _Scenario) -> tuple[RegionAnalysis, RegionAnalysis]:
        a, b = (RegionAnalysis(m.src, kind, scenario.params[i], self.day, samples=self.samples,
                          max_combinations=self.max_combinations, seed=self.seed)
                for i, m in enumerate(self.members))
        return a, b

    def _note_exactness(self, host: _Joint, dims: Sequence[Dimension], packs: Sequence[int]) -> None:
        if host.sampled_space:
            self.reasons |= host.reasons
            host.exact = False
        for dim in dims:
            if not dim.exact:
                host.exact = False
                for i in packs:
                    self.reasons |= self.members[i].reasons.get(dim.var, set())

    # ---------------------------------------------------------------- scope

    def _scope(self) -> list[Difference]:
        a_names, b_names = (m.scope_names for m in self.members)
        # scope rules and exemptions both packs have with the same condition (and parameter values) decide
        # every project alike: the facts only they read are left to each pack, like the facts one pack reads
        common = self._common_scope_rules()
        distinct = []
        for i, member in enumerate(self.members):
            reader = Reader(member.src)
            own = [r for r in member.src.rules if isinstance(r.rule, ScopeRule | ExemptionRule)
                   and r.id not in common[i]]
            reader.read(own + _exceptions(member.src, own))
            distinct.append(set(_canon(reader.vars)))
        shared = [n for n in a_names if n in b_names and (n in distinct[0] or n in distinct[1])]
        for group in _TIED:
            if group & set(a_names) and group & set(b_names) and group & (distinct[0] | distinct[1]):
                shared += [n for n in [*a_names, *b_names] if n in group and n not in shared]
        if common[0] and self.ids[0] != self.ids[1]:
            self.notes.append("scope rules both measures have with the same condition, left out of the scope "
                              "regions: " + ", ".join(sorted(common[0])))
        # without `??`, three-valued evaluation is monotone: a status reached with facts unknown stays
        prune = not any("??" in r.rule.when for m in self.members for r in m.src.rules
                        if isinstance(r.rule, ScopeRule | ExemptionRule | ExceptionRule))
        runs: list[_Part] = []
        for scenario in self.scenarios:
            analyses = self._analyses("route", scenario)
            host = _Joint(self, scenario, "route", self.srcs[0])
            host.dims = host.build(shared)
            part = _Part(host, (0, 1), analyses)
            for i in (0, 1):
                part.sides[i] = host.build([n for n in self.members[i].scope_names if n not in shared])
            size = 1
            for dim in host.dims:
                size *= len(dim.values)
            if prune and size <= self.max_combinations:
                part.pruned = True
                self._scope_tree(part, [])
            else:
                for tup in host.space():
                    self._scope_leaf(part, tup)
            self._note_exactness(host, [*host.dims, *part.sides[0], *part.sides[1]], (0, 1))
            runs.append(part)
            self._count("scope", part.same, part.total)
            self.scopes_meet = self.scopes_meet or ("in_scope", "in_scope") in part.seen
            self.scopes_may_meet = self.scopes_may_meet or ("open", "open") in part.seen
        differences = []
        for candidate in self._candidates(runs, lambda key: key[0] != key[1]):
            differences.append(self._scope_difference(runs, candidate))
        return self._limit(differences)

    def _scope_tree(self, part: _Part, chosen: list[int]) -> None:
        """Enumerate the shared scope variables depth first; a subtree where both statuses are already
        decided (with the remaining variables unknown) is decided the same way throughout."""
        dims = part.host.dims
        depth = len(chosen)
        if depth == len(dims):
            self._scope_leaf(part, tuple(chosen))
            return
        groups = [d.group for d in dims]
        partial = frozenset(groups[depth:]) & frozenset(groups[:depth])
        envs = [_env(a, dims[:depth], chosen, partial) for a in part.analyses]
        outs = [self._reach(part, i, None, envs[i]) for i in (0, 1)]
        rest = [range(len(d.values)) for d in dims[depth:]]
        size = 1
        for r in rest:
            size *= len(r)
        if outs[0] is not None and outs[1] is not None:
            pair = (outs[0], outs[1])
            if pair[0].decision == pair[1].decision:
                part.same += size
                part.total += size
                part.seen.add((pair[0].decision, pair[1].decision))
                return
            for tail in itertools.product(*rest):
                tup = (*chosen, *tail)
                if part.analyses[0].feasible(_env(part.analyses[0], dims, tup)):
                    self._record(part, tup, pair)
                else:
                    part.host.dontcare.add(tup)
            return
        residual = self._residual(part, 0, envs[0])
        if residual is not None and residual == self._residual(part, 1, envs[1]):
            # what is still open is the same rules on the same values: every completion is decided alike
            part.same += size
            part.total += size
            part.seen.add(("open", "open"))  # some completion may be covered by both
            return
        for index in range(len(dims[depth].values)):
            self._scope_tree(part, [*chosen, index])

    def _common_scope_rules(self) -> tuple[set[str], set[str]]:
        """Ids of each pack's scope and exemption rules the other pack has with the same fingerprint, under
        every scenario."""
        common: list[set[str]] | None = None
        for scenario in self.scenarios:
            analyses = self._analyses("route", scenario)
            prints = [{r.id: self._fingerprint(a, r) for r in a.scope_rules} for a in analyses]
            same = [{rid for rid, fp in prints[i].items() if fp in set(prints[1 - i].values())} for i in (0, 1)]
            common = same if common is None else [common[i] & same[i] for i in (0, 1)]
        assert common is not None
        return common[0], common[1]

    def _residual(self, part: _Part, i: int, env: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What pack ``i``'s scope still depends on at a partial combination: the rules still open,
        as fingerprints (condition, parameter values, effective date, exceptions), beside those decided."""
        analysis = part.analyses[i]
        outcomes = analysis.outcomes(analysis.scope_rules, env)
        result: list[Any] = []
        for kind in (ScopeRule, ExemptionRule):
            these = [o for o in outcomes if isinstance(o.rule, kind)]
            if any(o.effective is True for o in these):
                result.append(True)
            elif kind is ScopeRule and not these:
                result.append(True)  # no scope rule: the measure covers every project
            else:
                result.append(frozenset(self._fingerprint(analysis, o.compiled) for o in these if o.effective is None))
        return tuple(result)

    def _fingerprint(self, analysis: RegionAnalysis, compiled: CompiledRule) -> tuple[Any, ...]:
        rule = compiled.rule
        params = tuple(sorted((n, analysis.params[n]) for n in compiled.symbols if n in analysis.params))
        effective = analysis.src.pack.dates.effective if "effective_date" in compiled.symbols else None
        unless = tuple(sorted(self._fingerprint(analysis, analysis.src.by_id[e]) for e in rule.unless))
        return (rule.kind, rule.when, params, effective, unless, getattr(rule, "status", None))

    def _scope_leaf(self, part: _Part, tup: tuple[int, ...]) -> None:
        envs = [_env(a, part.host.dims, tup) for a in part.analyses]
        if not part.analyses[0].feasible(envs[0]):
            part.host.dontcare.add(tup)
            return
        outs = [self._reach(part, i, tup, envs[i]) for i in (0, 1)]
        assert outs[0] is not None and outs[1] is not None
        self._record(part, tup, (outs[0], outs[1]))

    @staticmethod
    def _record(part: _Part, tup: tuple[int, ...], outs: tuple[_Out, ...]) -> None:
        key = tuple(o.decision for o in outs)
        part.outcomes[tup] = outs
        part.groups.setdefault(key, set()).add(tup)
        part.seen.add(key)
        part.total += 1
        part.same += len(set(key)) == 1 and len(key) == 2

    def _reach(self, part: _Part, i: int, tup: tuple[int, ...] | None, env: dict[str, Any]) -> _Out | None:
        """Whether pack ``i`` can cover the combination ``tup``: with some values of the facts only it
        reads. For a partial combination (``tup`` None): ``None`` while that is not yet decided."""
        analysis = part.analyses[i]
        status = analysis.scope(env)
        completion: dict[str, int] | None = {}
        if status in _OUT:
            completion = None
        elif status != "in_scope":
            if tup is None:
                return None
            side = part.sides[i]
            found = _search([analysis], [env], side, [True])
            completion = None if found is None else {} if found == "open" else {
                side[k].key: v for k, v in enumerate(found)}
        if completion is None:
            outcomes = analysis.outcomes(analysis.scope_rules, env)
            exempt = [o for o in outcomes if isinstance(o.rule, ExemptionRule) and o.effective is True]
            if exempt:
                return _Out("out_of_scope", tuple(o.rule.id for o in exempt),
                            "exempt" if any(o.rule.status == "exempt" for o in exempt) else "excluded")
            return _Out("out_of_scope", tuple(o.rule.id for o in outcomes if isinstance(o.rule, ScopeRule)))
        full = env
        if tup is not None:
            part.completions[(i, tup)] = completion
            full = _env(analysis, [*part.host.dims, *(d for d in part.sides[i] if d.key in completion)],
                        [*tup, *(completion[d.key] for d in part.sides[i] if d.key in completion)])
        holding = tuple(o.rule.id for o in analysis.outcomes(analysis.scope_rules, full)
                        if isinstance(o.rule, ScopeRule) and o.effective is True)
        return _Out("in_scope", holding, "" if completion or status == "in_scope" else "with suitable facts")

    def _scope_difference(self, runs: list[_Part], candidate: _Candidate) -> Difference:
        index = min(candidate.covered)
        part = runs[index]
        cases = candidate.covered[index]
        covering = 0 if candidate.key[0] == "in_scope" else 1
        seed = candidate.seed if candidate.seed in cases else min(cases)
        completion = part.completions.get((covering, seed), {})
        side = part.sides[covering]
        data = self._example_data(part.host, part.host.dims, seed, side, completion)
        sides = self._sides(part, cases)
        scenario = self.scenarios[index]
        example = self._example_yaml(data, "scope", candidate.region, sides, scenario, (self.ids[covering],))
        return Difference("scope", candidate.region, sides[0], sides[1], example, self._parameters(scenario),
                          self._scenario_labels(candidate), (self.ids[covering],), self.day,
                          part.host.exact, data)

    # ---------------------------------------------------------------- route and change

    def _decisions(self, kind: Literal["route", "change"]) -> list[Difference]:
        names = [m.decision_names[kind] for m in self.members]
        joint = bool(set(names[0]) & set(names[1])) or any(g & set(names[0]) and g & set(names[1]) for g in _TIED)
        layout: list[tuple[int, ...]] = [(0, 1)] if joint else [(0,), (1,)]
        runs: list[list[_Part]] = [[] for _ in layout]
        witnesses: list[_Joint] = []
        for scenario in self.scenarios:
            analyses = self._analyses(kind, scenario)
            parts = []
            for slot, packs in enumerate(layout):
                host = _Joint(self, scenario, kind, self.srcs[packs[0]])
                host.dims = host.build(_canon(n for i in packs for n in names[i]))
                part = _Part(host, packs, analyses)
                taken = {d.var for d in host.dims}
                for i in packs:
                    part.sides[i] = host.build([n for n in self.members[i].scope_names if n not in taken])
                self._enumerate(part)
                self._note_exactness(host, host.dims, packs)
                for i in packs:
                    if kind == "route" and any(r.rule.for_each for r in analyses[i].rules):
                        self.reasons.add(f"route rules of {self.ids[i]} range over items: evaluated on one item")
                        host.exact = False
                runs[slot].append(part)
                parts.append(part)
            witness = _Joint(self, scenario, kind, self.srcs[0])
            witness.dims = [d for part in parts for d in part.host.dims]
            decided = {d.var for d in witness.dims}
            witness.side_dims = witness.build(_canon(n for m in self.members for n in m.scope_names
                                                     if n not in decided))
            witnesses.append(witness)
            self._count_decisions(kind, parts)
        if joint:
            found = self._candidates(runs[0], lambda key: key[0] != key[1])
            return self._limit([d for c in found if (d := self._decision_difference(kind, runs, witnesses, [c]))])
        keys = [{key[0] for part in runs[slot] for key in part.groups} for slot in (0, 1)]
        halves = [self._candidates(runs[slot], _differs_from(keys[1 - slot])) for slot in (0, 1)]
        differences = []
        for a, b in itertools.product(*halves):
            if a.key[0] == b.key[0] or not set(a.covered) & set(b.covered):
                continue
            difference = self._decision_difference(kind, runs, witnesses, [a, b])
            if difference is not None:
                differences.append(difference)
        return self._limit(differences)

    def _enumerate(self, part: _Part) -> None:
        host = part.host
        cache: dict[tuple[Any, ...], bool] = {}
        for tup in host.space():
            envs = {i: _env(part.analyses[i], host.dims, tup) for i in part.packs}
            if not all(part.analyses[i].feasible(envs[i]) for i in part.packs) or not all(
                    self._possible(part, i, envs[i], cache) for i in part.packs):
                host.dontcare.add(tup)
                continue
            self._record(part, tup, tuple(_out(part.analyses[i].decide(envs[i])) for i in part.packs))

    def _possible(self, part: _Part, i: int, env: Mapping[str, Any], cache: dict[tuple[Any, ...], bool]) -> bool:
        """Whether some values of the facts only pack ``i``'s scope reads put the combination in its scope."""
        key = (i, *(env.get(n) for n in self.members[i].scope_vars))
        if key not in cache:
            analysis = part.analyses[i]
            status = analysis.scope(env)
            if status in _OUT:
                cache[key] = False
            elif status == "in_scope":
                cache[key] = True
            else:
                cache[key] = _search([analysis], [env], part.sides[i], [True]) is not None
        return cache[key]

    def _count_decisions(self, kind: str, parts: list[_Part]) -> None:
        if len(parts) == 1:
            self._count(kind, parts[0].same, parts[0].total)
            return
        a, b = parts
        same = sum(len(cases) * len(b.groups.get(key, ())) for key, cases in a.groups.items())
        self._count(kind, same, len(a.outcomes) * len(b.outcomes))

    def _count(self, kind: str, same: int, total: int) -> None:
        self.identical[kind] = self.identical.get(kind, 0) + same
        self.compared[kind] = self.compared.get(kind, 0) + total

    def _decision_difference(self, kind: Literal["route", "change"], runs: list[list[_Part]],
                             witnesses: list[_Joint], found: list[_Candidate]) -> Difference | None:
        common = set(found[0].covered)
        for candidate in found[1:]:
            common &= set(candidate.covered)
        index = min(common)
        parts = [runs[slot][index] for slot in range(len(found))]
        cases = [c.covered[index] for c in found]
        witness = witnesses[index]
        if len(found) == 1:
            sides = self._sides(parts[0], cases[0])
            tuples: Iterator[tuple[int, ...]] = iter(sorted(cases[0]))
        else:
            sides = (self._sides(parts[0], cases[0])[0], self._sides(parts[1], cases[1])[0])
            tuples = (a + b for a, b in _pairs(sorted(cases[0]), sorted(cases[1])))
        texts = [c.region for c in found if c.region != "every case"]
        region = ", ".join(texts) if texts else "every case"
        if kind == "change":
            region = "per change: " + region
        tup, completion, inside, conclusive = self._witness(witness, parts[0].analyses, tuples)
        if self.scopes_meet and conclusive and len(set(inside)) < len(set(self.ids)):
            # the measures' scopes meet elsewhere, but no project of this region is within both
            self.dropped.setdefault(kind, []).append(region)
            return None
        data = self._example_data(witness, witness.dims, tup, witness.side_dims, completion)
        scenario = self.scenarios[index]
        example = self._example_yaml(data, kind, region, sides, scenario, inside)
        exact = all(p.host.exact for p in parts)
        labels = self._scenario_labels(*found)
        return Difference(kind, region, sides[0], sides[1], example, self._parameters(scenario), labels, inside,
                          self.day, exact, data)

    def _witness(self, witness: _Joint, analyses: tuple[RegionAnalysis, RegionAnalysis],
                 tuples: Iterator[tuple[int, ...]]) -> tuple[tuple[int, ...], dict[str, int], tuple[str, ...], bool]:
        """A combination of the region and values of the scope facts within both measures' scope.

        Falls back to the first combination within the first (else the second) measure's scope when no
        combination tried can be within both; the last value then says whether every combination of the
        region was tried, each search to the end (no project of the region is within both scopes).
        """
        side = witness.side_dims
        first: tuple[int, ...] | None = None
        tries = _WITNESS_TRIES if self.scopes_meet or self.scopes_may_meet else 1
        conclusive = True
        for count, tup in enumerate(tuples):
            if count >= tries:
                conclusive = False
                break
            first = tup if first is None else first
            envs = [_env(a, witness.dims, tup) for a in analyses]
            # the search depends only on what the scopes read: try each such combination once
            key = tuple(env.get(n) for env, m in zip(envs, self.members, strict=True) for n in m.scope_vars)
            if key not in witness.tried:
                found: list[int] | Literal["open"] | None = None
                if not any(a.scope(env) in _OUT for a, env in zip(analyses, envs, strict=True)):
                    found = _search(analyses, envs, side, [True, True])
                witness.tried[key] = found
            chosen = witness.tried[key]
            if chosen == "open":
                conclusive = False
            elif chosen is not None:
                return tup, {side[k].key: v for k, v in enumerate(chosen)}, self.ids, True
        assert first is not None
        envs = [_env(a, witness.dims, first) for a in analyses]
        own: list[dict[str, int]] = []
        for need in ([True, False], [False, True]):
            found = _search(analyses, envs, side, need)
            own.append({side[k].key: v for k, v in enumerate(found)} if isinstance(found, list) else {})
        completion = {**own[1], **own[0]}  # the first measure's scope facts, then the second's where they agree
        dims = [*witness.dims, *(d for d in side if d.key in completion)]
        values = [*first, *(completion[d.key] for d in side if d.key in completion)]
        inside = tuple(self.ids[i] for i, a in enumerate(analyses) if a.scope(_env(a, dims, values)) == "in_scope")
        return first, completion, inside, conclusive

    # ---------------------------------------------------------------- regions, merged across scenarios

    def _candidates(self, runs: list[_Part], wanted: Callable[[tuple[str, ...]], bool]) -> list[_Candidate]:
        """Regions per wanted pair of decisions, each re-checked under every scenario (where it holds)."""
        candidates: dict[tuple[tuple[str, ...], str], _Candidate] = {}
        for part in runs:
            for key, cases in part.groups.items():
                if not wanted(key):
                    continue
                regions, _ = part.host.regions(cases, 10**6 if len(key) == 1 else self.max_regions)
                for text, seed, spec in regions:
                    text = text.removeprefix("per change: ")
                    candidates.setdefault((key, text), _Candidate(key, text, spec, seed))
        for candidate in candidates.values():
            for index, part in enumerate(runs):
                group = part.groups.get(candidate.key)
                if not group:
                    continue
                inside = [t for t in part.host.region_tuples(candidate.spec)
                          if (t not in part.host.dontcare if part.pruned else t in part.outcomes)]
                if inside and all(t in group for t in inside):
                    candidate.covered[index] = set(inside)
        kept = [c for c in candidates.values() if c.covered]
        for candidate in reversed(list(kept)):
            others = [o for o in kept if o is not candidate and o.key == candidate.key]
            if others and all(cases <= set().union(*(o.covered.get(i, set()) for o in others))
                              for i, cases in candidate.covered.items()):
                kept.remove(candidate)
        return kept

    def _scenario_labels(self, *found: _Candidate) -> tuple[str, ...]:
        common = set(range(len(self.scenarios)))
        for candidate in found:
            common &= set(candidate.covered)
        if len(common) == len(self.scenarios):
            return ()
        return tuple(self.scenarios[i].label for i in sorted(common))

    def _limit(self, differences: list[Difference]) -> list[Difference]:
        by_pair: dict[tuple[str, str, str], list[Difference]] = {}
        for d in sorted(differences, key=lambda d: d.region):
            by_pair.setdefault((d.analysis, d.a.decision, d.b.decision), []).append(d)
        result = []
        for (analysis, a, b), found in by_pair.items():
            result.extend(found[:self.max_regions])
            if len(found) > self.max_regions:
                self.notes.append(f"{analysis}: {self.ids[0]} {a}, {self.ids[1]} {b}: {len(found) - self.max_regions} "
                                  "more region(s) not listed (raise max_regions)")
        return result

    # ---------------------------------------------------------------- sides and examples

    def _sides(self, part: _Part, cases: Iterable[tuple[int, ...]]) -> tuple[Side, ...]:
        """Per pack of the part: the decision, and the rules reaching it anywhere in ``cases``."""
        sides = []
        for position, i in enumerate(part.packs):
            src = self.srcs[i]
            outs = [part.outcomes[t][position] for t in sorted(cases)]
            order = {r.id: r.index for r in src.rules}
            rules = tuple(sorted({r for o in outs for r in o.rules}, key=lambda r: order.get(r, 0)))
            notes = list(dict.fromkeys(o.note for o in outs if o.note))
            labels = []
            articles = []
            for rule_id in rules:
                rule = src.by_id[rule_id].rule
                labels.append(cite(src.pack, rule.cite).label)
                articles.append(rule.cite.article)
            sides.append(Side(src.pack.id, outs[0].decision, rules, tuple(dict.fromkeys(labels)),
                              tuple(sorted(set(articles))), "; ".join(notes)))
        return tuple(sides)

    def _example_data(self, host: _Joint, dims: list[Dimension], tup: tuple[int, ...], side: list[Dimension],
                      completion: Mapping[str, int]) -> dict[str, Any]:
        """The project for ``tup`` (and the completion), with the facts of both packs."""
        saved = host.dims, host.side_dims, host.src
        data: dict[str, Any] = {}
        try:
            host.dims, host.side_dims = dims, side
            for src in self.srcs:
                host.src = src
                part = host.example(tup, completion)
                for key, value in part.items():
                    if isinstance(value, dict) and isinstance(data.get(key), dict):
                        data[key] = {**value, **data[key]}
                    else:
                        data.setdefault(key, value)
        finally:
            host.dims, host.side_dims, host.src = saved
        data["id"] = f"diff-{self.ids[0]}-{self.ids[1]}"
        data["name"] = "办法差异示例项目"
        return data

    def _parameters(self, scenario: _Scenario) -> dict[str, dict[str, str]]:
        return {self.ids[i]: dict(scenario.text[i]) for i in (0, 1) if scenario.text[i]}

    def _example_yaml(self, data: Mapping[str, Any], kind: str, region: str, sides: Sequence[Side],
                      scenario: _Scenario, inside: Sequence[str]) -> str:
        lines = [f"# example for a {kind} difference, {self.ids[0]} vs {self.ids[1]}: {region}",
                 "# " + "; ".join(f"{s.pack}: {s.decision}" + (f" ({', '.join(s.citations)})" if s.citations else "")
                                  for s in sides)]
        if kind != "scope":
            within = ", ".join(inside) if inside else "neither measure"
            lines.append(f"# within the scope of: {within}"
                         + ("" if len(set(inside)) == len(set(self.ids)) else
                            " (no project of this region tried is within the scope of both)"))
        for i, pack_id in enumerate(dict.fromkeys(self.ids)):
            params = "".join(f" --param {k}={v}" for k, v in scenario.text[i].items())
            lines.append(f"# govrules evaluate THIS_FILE --pack {pack_id} --as-of {self.day.isoformat()}{params}")
        lines.extend(yaml_lines(data, 0))
        return "\n".join(lines) + "\n"
