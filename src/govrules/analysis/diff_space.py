"""The joint space of two packs for `govrules diff`: the variables both read, the scenarios of their
parameters, the joint enumeration, and the differences found there."""

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
from govrules.analysis.space import Dimension, Reader, Source, Variable, format_value, parameter_values
from govrules.compile.compiler import CompiledRule
from govrules.engine.citations import cite
from govrules.errors import PackError
from govrules.models.pack import ChangeRule, ExemptionRule, RouteRule, ScopeRule

AnalysisKind = Literal["scope", "route", "change"]

OUT_OF_SCOPE = ("out_of_scope", "exempt")


#: Names that stand for one enumerated variable (``category`` goes with ``execution``, …).
CANON = {"category": "execution", "fiscal_funded": "funding_sources"}


#: Variables the feasibility check ties together: packs reading different members of one group are
#: compared jointly, never as independent halves.
TIED = ({"budget", "procurement_budget"}, {"funding_sources", "fiscal_amount"},
         {"system_count", "all_systems_in_catalogue"})


SEARCH_BUDGET = 20000


WITNESS_TRIES = 256


NOTES = {"gap": "gap: no rule decides", "declared": "the pack declares a gap", "overlap": "contradiction",
          "open": "open"}


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


def canon(names: Iterable[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        name = CANON.get(name, name)
        if name == "fiscal_amount" and "funding_sources" not in result:
            result.append("funding_sources")  # the amount comes from the funding: enumerate both
        if name not in result:
            result.append(name)
    return result


def exceptions_of(src: Source, rules: Sequence[CompiledRule]) -> list[CompiledRule]:
    ids = {e for r in rules for e in r.rule.unless}
    return [r for r in src.rules if r.id in ids]


@dataclass
class Member:
    """One of the two packs: the variables its scope and its route / change rules read."""

    src: Source
    vars: dict[str, Variable]
    reasons: dict[str, set[str]]
    scope_vars: list[str]  # as the conditions name them
    scope_names: list[str]  # canonical
    decision_names: dict[str, list[str]]
    has_rules: dict[str, bool]

    @classmethod
    def of(cls, src: Source) -> Member:
        scope_rules = [r for r in src.rules if isinstance(r.rule, ScopeRule | ExemptionRule)]
        scope_rules += exceptions_of(src, scope_rules)
        everything = Reader(src)
        reader = Reader(src)
        reader.read(scope_rules)
        everything.read(scope_rules)
        decision: dict[str, list[str]] = {}
        has: dict[str, bool] = {}
        for kind, rule_type in (("route", RouteRule), ("change", ChangeRule)):
            rules = [r for r in src.rules if isinstance(r.rule, rule_type)]
            rules += exceptions_of(src, rules)
            kind_reader = Reader(src)
            kind_reader.read(rules)
            everything.read(rules)
            decision[kind] = canon(kind_reader.vars)
            has[kind] = any(isinstance(r.rule, rule_type) for r in rules)
        return cls(src, everything.vars, everything.reasons, list(reader.vars), canon(reader.vars), decision, has)


def merge_variables(members: Sequence[Member]) -> dict[str, Variable]:
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
class Scenario:
    """Values of the settable parameters the packs leave open (one combination of placements)."""

    params: tuple[dict[str, Any], dict[str, Any]]  # per pack: every parameter's value
    labels: dict[tuple[int, str], str]  # (pack index, open parameter) → the name cut points carry
    values: dict[str, Any]  # cut-point name → value
    text: tuple[dict[str, str], dict[str, str]]  # per pack: settable values the example needs
    label: str


def scenarios(members: Sequence[Member], given: Mapping[str, Mapping[str, Any]]) -> list[Scenario]:
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
        result.append(Scenario(params, labels, values, text, "; ".join(parts)))
    return result


class JointAnalysis(RegionAnalysis):
    """Dimensions over the variables of both packs (cut points of both), and their regions.

    Only the parts of :class:`~govrules.analysis.consistency.RegionAnalysis` that build dimensions, enumerate
    combinations, describe regions and write examples are used; the rules are evaluated by each
    pack's own ``RegionAnalysis``.
    """

    def __init__(self, diff: DiffBase, scenario: Scenario, kind: Literal["route", "change"], src: Source) -> None:
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
        self.use_timing([])

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


def joint_env(analysis: RegionAnalysis, dims: Sequence[Dimension], tup: Sequence[int],
              unknown: frozenset[str] = frozenset(),
         base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``analysis.env``, keeping a procurement budget the base already has when only the budget is set."""
    env = analysis.env(dims, tup, unknown, base)
    if base is not None and base.get("procurement_budget") is not None and not any(
            d.var == "procurement_budget" for d in dims):
        env["procurement_budget"] = base["procurement_budget"]
    return env


def search_joint(analyses: Sequence[RegionAnalysis], envs: Sequence[Mapping[str, Any]], dims: Sequence[Dimension],
            need: Sequence[bool]) -> list[int] | Literal["open"] | None:
    """Values of ``dims`` that put the project within the scope of every pack in ``need``.

    A bounded depth-first search in three-valued logic (a set variable is unknown until all its members
    are chosen); ``None`` when no values do, ``"open"`` when the search ran out of budget.
    """
    groups = [d.group for d in dims]
    budget = [SEARCH_BUDGET]
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
            current = joint_env(analysis, dims[:depth], chosen, partial, base=env)
            if not analysis.feasible(current):
                return None
            status = analysis.scope(current)
            if status in OUT_OF_SCOPE:
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


def pairs(first: Sequence[tuple[int, ...]], second: Sequence[tuple[int, ...]]) -> Iterator[tuple[tuple[int, ...],
                                                                                                  tuple[int, ...]]]:
    """Pairs of combinations of two halves: each of the second with the first of the first, each of the
    first with the first of the second, then the rest."""
    seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for pair in itertools.chain(((first[0], b) for b in second), ((a, second[0]) for a in first),
                                itertools.product(first, second)):
        if pair not in seen:
            seen.add(pair)
            yield pair


def differs_from(decisions: set[str]) -> Callable[[tuple[str, ...]], bool]:
    """For one pack alone: a decision is wanted when the other pack makes some other decision."""
    return lambda key: bool(decisions - {key[0]})


@dataclass(frozen=True)
class PackOutcome:
    """One pack's decision on one combination."""

    decision: str
    rules: tuple[str, ...]
    note: str = ""


def pack_outcome(result: AnalysisResult) -> PackOutcome:
    return PackOutcome(result.decision, result.rules, NOTES.get(result.kind, ""))


@dataclass
class Part:
    """One enumeration under one scenario: both packs jointly, or one pack alone (its half)."""

    host: JointAnalysis
    packs: tuple[int, ...]
    analyses: tuple[RegionAnalysis, RegionAnalysis]
    outcomes: dict[tuple[int, ...], tuple[PackOutcome, ...]] = field(default_factory=dict)
    groups: dict[tuple[str, ...], set[tuple[int, ...]]] = field(default_factory=dict)
    completions: dict[tuple[int, tuple[int, ...]], dict[str, int]] = field(default_factory=dict)
    sides: dict[int, list[Dimension]] = field(default_factory=dict)
    pruned: bool = False  # subtrees decided alike were counted, not enumerated
    same: int = 0
    total: int = 0
    seen: set[tuple[str, ...]] = field(default_factory=set)


@dataclass
class Candidate:
    key: tuple[str, ...]
    region: str
    spec: Spec
    seed: tuple[int, ...]
    covered: dict[int, set[tuple[int, ...]]] = field(default_factory=dict)



class DiffBase:
    """Two packs compared under each scenario: the analyses, counting and limits, and the sides,
    examples and witnesses a difference is reported with."""

    def __init__(self, srcs: tuple[Source, Source], day: dt.date, given: Mapping[str, Mapping[str, Any]], *,
                 max_regions: int, samples: int, max_combinations: int, seed: int) -> None:
        self.srcs = srcs
        self.ids = (srcs[0].pack.id, srcs[1].pack.id)
        self.day = day
        self.max_regions = max_regions
        self.samples = samples
        self.max_combinations = max_combinations
        self.seed = seed
        self.members = (Member.of(srcs[0]), Member.of(srcs[1]))
        self.vars = merge_variables(self.members)
        self.scenarios = scenarios(self.members, given)
        self.notes: list[str] = []
        self.reasons: set[str] = set()
        self.exact = True
        self.identical: dict[str, int] = {}
        self.compared: dict[str, int] = {}
        self.scopes_meet = False  # some project is within both scopes (found by the scope analysis)
        self.scopes_may_meet = False  # … or may be (subtrees left to the same open rules in both)
        self.dropped: dict[str, list[str]] = {}

    def _analyses(self, kind: Literal["route", "change"], scenario: Scenario) -> tuple[RegionAnalysis, RegionAnalysis]:
        a, b = (RegionAnalysis(m.src, kind, scenario.params[i], self.day, samples=self.samples,
                          max_combinations=self.max_combinations, seed=self.seed)
                for i, m in enumerate(self.members))
        return a, b

    def _note_exactness(self, host: JointAnalysis, dims: Sequence[Dimension], packs: Sequence[int]) -> None:
        if host.sampled_space:
            self.reasons |= host.reasons
            host.exact = False
        for dim in dims:
            if not dim.exact:
                host.exact = False
                for i in packs:
                    self.reasons |= self.members[i].reasons.get(dim.var, set())

    def _count(self, kind: str, same: int, total: int) -> None:
        self.identical[kind] = self.identical.get(kind, 0) + same
        self.compared[kind] = self.compared.get(kind, 0) + total

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

    def _candidates(self, runs: list[Part], wanted: Callable[[tuple[str, ...]], bool]) -> list[Candidate]:
        """Regions per wanted pair of decisions, each re-checked under every scenario (where it holds)."""
        candidates: dict[tuple[tuple[str, ...], str], Candidate] = {}
        for part in runs:
            for key, cases in part.groups.items():
                if not wanted(key):
                    continue
                regions, _ = part.host.regions(cases, 10**6 if len(key) == 1 else self.max_regions)
                for text, seed, spec in regions:
                    text = text.removeprefix("per change: ")
                    candidates.setdefault((key, text), Candidate(key, text, spec, seed))
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

    def _scenario_labels(self, *found: Candidate) -> tuple[str, ...]:
        common = set(range(len(self.scenarios)))
        for candidate in found:
            common &= set(candidate.covered)
        if len(common) == len(self.scenarios):
            return ()
        return tuple(self.scenarios[i].label for i in sorted(common))

    def _sides(self, part: Part, cases: Iterable[tuple[int, ...]]) -> tuple[Side, ...]:
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

    def _example_data(self, host: JointAnalysis, dims: list[Dimension], tup: tuple[int, ...], side: list[Dimension],
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

    def _parameters(self, scenario: Scenario) -> dict[str, dict[str, str]]:
        return {self.ids[i]: dict(scenario.text[i]) for i in (0, 1) if scenario.text[i]}

    def _example_yaml(self, data: Mapping[str, Any], kind: str, region: str, sides: Sequence[Side],
                      scenario: Scenario, inside: Sequence[str]) -> str:
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

    def _witness(self, witness: JointAnalysis, analyses: tuple[RegionAnalysis, RegionAnalysis],
                 tuples: Iterator[tuple[int, ...]]) -> tuple[tuple[int, ...], dict[str, int], tuple[str, ...], bool]:
        """A combination of the region and values of the scope facts within both measures' scope.

        Falls back to the first combination within the first (else the second) measure's scope when no
        combination tried can be within both; the last value then says whether every combination of the
        region was tried, each search to the end (no project of the region is within both scopes).
        """
        side = witness.side_dims
        first: tuple[int, ...] | None = None
        tries = WITNESS_TRIES if self.scopes_meet or self.scopes_may_meet else 1
        conclusive = True
        for count, tup in enumerate(tuples):
            if count >= tries:
                conclusive = False
                break
            first = tup if first is None else first
            envs = [joint_env(a, witness.dims, tup) for a in analyses]
            # the search depends only on what the scopes read: try each such combination once
            key = tuple(env.get(n) for env, m in zip(envs, self.members, strict=True) for n in m.scope_vars)
            if key not in witness.tried:
                found: list[int] | Literal["open"] | None = None
                if not any(a.scope(env) in OUT_OF_SCOPE for a, env in zip(analyses, envs, strict=True)):
                    found = search_joint(analyses, envs, side, [True, True])
                witness.tried[key] = found
            chosen = witness.tried[key]
            if chosen == "open":
                conclusive = False
            elif chosen is not None:
                return tup, {side[k].key: v for k, v in enumerate(chosen)}, self.ids, True
        assert first is not None
        envs = [joint_env(a, witness.dims, first) for a in analyses]
        own: list[dict[str, int]] = []
        for need in ([True, False], [False, True]):
            found = search_joint(analyses, envs, side, need)
            own.append({side[k].key: v for k, v in enumerate(found)} if isinstance(found, list) else {})
        completion = {**own[1], **own[0]}  # the first measure's scope facts, then the second's where they agree
        dims = [*witness.dims, *(d for d in side if d.key in completion)]
        values = [*first, *(completion[d.key] for d in side if d.key in completion)]
        inside = tuple(self.ids[i] for i, a in enumerate(analyses) if a.scope(joint_env(a, dims, values)) == "in_scope")
        return first, completion, inside, conclusive

    @staticmethod
    def _record(part: Part, tup: tuple[int, ...], outs: tuple[PackOutcome, ...]) -> None:
        key = tuple(o.decision for o in outs)
        part.outcomes[tup] = outs
        part.groups.setdefault(key, set()).add(tup)
        part.seen.add(key)
        part.total += 1
        part.same += len(set(key)) == 1 and len(key) == 2

    def _reach(self, part: Part, i: int, tup: tuple[int, ...] | None, env: dict[str, Any]) -> PackOutcome | None:
        """Whether pack ``i`` can cover the combination ``tup``: with some values of the facts only it
        reads. For a partial combination (``tup`` None): ``None`` while that is not yet decided."""
        analysis = part.analyses[i]
        status = analysis.scope(env)
        completion: dict[str, int] | None = {}
        if status in OUT_OF_SCOPE:
            completion = None
        elif status != "in_scope":
            if tup is None:
                return None
            side = part.sides[i]
            found = search_joint([analysis], [env], side, [True])
            completion = None if found is None else {} if found == "open" else {
                side[k].key: v for k, v in enumerate(found)}
        if completion is None:
            outcomes = analysis.outcomes(analysis.scope_rules, env)
            exempt = [o for o in outcomes if isinstance(o.rule, ExemptionRule) and o.effective is True]
            if exempt:
                return PackOutcome("out_of_scope", tuple(o.rule.id for o in exempt),
                            "exempt" if any(o.rule.status == "exempt" for o in exempt) else "excluded")
            return PackOutcome("out_of_scope", tuple(o.rule.id for o in outcomes if isinstance(o.rule, ScopeRule)))
        full = env
        if tup is not None:
            part.completions[(i, tup)] = completion
            full = joint_env(analysis, [*part.host.dims, *(d for d in part.sides[i] if d.key in completion)],
                        [*tup, *(completion[d.key] for d in part.sides[i] if d.key in completion)])
        holding = tuple(o.rule.id for o in analysis.outcomes(analysis.scope_rules, full)
                        if isinstance(o.rule, ScopeRule) and o.effective is True)
        return PackOutcome("in_scope", holding, "" if completion or status == "in_scope" else "with suitable facts")

    def _fingerprint(self, analysis: RegionAnalysis, compiled: CompiledRule) -> tuple[Any, ...]:
        rule = compiled.rule
        params = tuple(sorted((n, analysis.params[n]) for n in compiled.symbols if n in analysis.params))
        effective = analysis.src.pack.dates.effective if "effective_date" in compiled.symbols else None
        unless = tuple(sorted(self._fingerprint(analysis, analysis.src.by_id[e]) for e in rule.unless))
        return (rule.kind, rule.when, params, effective, unless, getattr(rule, "status", None))

