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
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
from govrules.analysis.space import (
    FISCAL_ORDER,
    OTHER,
    RANK_CHANGE,
    RANK_ROUTE,
    STEP,
    UNIT_KIND,
    Cell,
    Dimension,
    Reader,
    Source,
    Variable,
    cut_points,
    date_cells,
    format_value,
    numeric_cells,
    parameter_values,
    sampled_cells,
    source_of,
)
from govrules.compile.compiler import NOT_YET, CompiledPack, CompiledRule
from govrules.engine.combine import Outcome, any_true, decide
from govrules.models.pack import (
    ChangeRule,
    ExemptionRule,
    Pack,
    Parameter,
    RouteRule,
    ScopeRule,
)
from govrules.models.project import CATEGORY_EXECUTION, FISCAL_SOURCES, Category, Project

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
# One analysis: route rules, or change rules, under one set of parameter values


@dataclass
class AnalysisResult:
    kind: str  # decided | gap | declared | overlap | open
    decision: str
    rules: tuple[str, ...]


@dataclass
class _Raw:
    """A finding before regions are merged across scenarios."""

    code: str
    key: tuple[Any, ...]
    rules: tuple[str, ...]
    tuples: set[tuple[int, ...]]
    detail: dict[str, Any] = field(default_factory=dict)
    completions: dict[tuple[int, ...], dict[str, int]] = field(default_factory=dict)


class RegionAnalysis:
    """Route rules (``kind='route'``) or change rules (``kind='change'``) under one scenario."""

    def __init__(self, src: Source, kind: Literal["route", "change"], params: Mapping[str, Any],
                 as_of: dt.date, *, samples: int, max_combinations: int, seed: int) -> None:
        self.src = src
        self.kind = kind
        self.params = dict(params)
        self.as_of = as_of
        rule_type: type = RouteRule if kind == "route" else ChangeRule
        self.rules = [r for r in src.rules if isinstance(r.rule, rule_type)]
        self.scope_rules = [r for r in src.rules if isinstance(r.rule, ScopeRule | ExemptionRule)]
        self.rng = random.Random(seed)
        self.samples = samples
        self.max_combinations = max_combinations
        self.reasons: set[str] = set()
        main = self.rules + self._exceptions(self.rules)
        side = self.scope_rules + self._exceptions(self.scope_rules)
        reader = Reader(src)
        reader.read(main)
        main_vars = list(reader.vars)
        reader.read(side)
        self.vars = reader.vars
        main_names = set(main_vars)
        if "fiscal_amount" in main_names:  # the amount comes from the funding: enumerate both
            main_names |= {"funding_sources", "fiscal_funded"}
            main_vars.insert(main_vars.index("fiscal_amount"), "fiscal_funded")
        for linked in ({"funding_sources", "fiscal_funded"}, {"execution", "category"}):
            if main_names & linked:
                main_names |= linked
        self.dims = self._dims(main_vars)
        self.side_dims = self._dims([n for n in reader.vars if n not in main_names])
        for dim in self.dims:
            if not dim.exact:
                self.reasons |= reader.reasons.get(dim.var, set())
        self.exact = all(d.exact for d in self.dims) and not any(r.rule.for_each for r in self.rules
                                                                  if kind == "route")
        self.base = self._base()
        self.results: dict[tuple[int, ...], AnalysisResult] = {}
        self.dontcare: set[tuple[int, ...]] = set()
        self.sampled_space = False
        self._completions: dict[tuple[Any, ...], dict[str, int] | None] = {}

    # ---------------------------------------------------------------- setup

    def _exceptions(self, rules: list[CompiledRule]) -> list[CompiledRule]:
        ids = {e for r in rules for e in r.rule.unless}
        return [r for r in self.src.rules if r.id in ids]

    def _numeric_cuts(self, var: Variable) -> dict[Decimal, str]:
        cuts: dict[Decimal, str] = {}
        for literal in sorted(var.cut_literals):
            cuts.setdefault(literal, format_value(literal))
        declared = {p.name: p for p in self.src.pack.parameters}
        for name in sorted(var.cut_params, key=lambda p: (declared[p].settable, p)):
            value = self.params.get(name)
            if value is None:
                continue
            cuts[value] = name if value not in cuts or cuts[value] == format_value(value) else cuts[value]
        return cuts

    def _dims(self, names: list[str]) -> list[Dimension]:
        dims: list[Dimension] = []
        done: set[str] = set()
        vars_ = self.vars
        for name in names:
            if name in done:
                continue
            var = vars_.get(name) or Variable(name, "bool")
            if name in ("execution", "category"):
                done |= {"execution", "category"}
                dims.append(self._execution_dim())
            elif name in ("funding_sources", "fiscal_funded"):
                done |= {"funding_sources", "fiscal_funded"}
                dims.extend(self._member_dims("funding_sources"))
            elif var.kind == "set":
                done.add(name)
                dims.extend(self._member_dims(name))
            elif var.kind == "bool":
                done.add(name)
                dims.append(Dimension(name, "bool", name, [False, True], label=name, group=name))
            elif var.kind == "enum":
                done.add(name)
                dims.append(self._enum_dim(var))
            elif var.kind == "numeric":
                done.add(name)
                dims.append(self._numeric_dim(var))
            else:
                done.add(name)
                dims.append(self._date_dim(var))
        return dims

    def _execution_dim(self) -> Dimension:
        # a condition reading the category needs it known: then every category (it implies the execution)
        values: list[Any] = [("construction", None), ("service", None)]
        if "category" in self.vars:
            values = [(CATEGORY_EXECUTION[c].value, c.value) for c in Category]
        exact = self.vars.get("execution", Variable("execution", "enum")).exact and self.vars.get(
            "category", Variable("category", "enum")).exact
        return Dimension("execution", "execution", "execution", values, label="execution", group="execution",
                    exact=exact)

    def _member_dims(self, var: str) -> list[Dimension]:
        info = self.vars.get(var)
        members = sorted(info.literals) if info is not None else []
        dims = [Dimension(f"{var}:{m}", "member", var, [False, True], label=f"'{m}' in {var}", member=m, group=var)
                for m in members]
        if info is not None and not info.exact:  # used beyond membership tests: enumerate every value
            dims = [Dimension(f"{var}:{m}", "member", var, [False, True], label=f"'{m}' in {var}", member=m, group=var)
                    for m in (info.values or ())]
        if var == "funding_sources" and ("fiscal_funded" in self.vars or "fiscal_amount" in self.vars):
            fiscal = {s.value for s in FISCAL_SOURCES}
            named = {d.member for d in dims if d.member is not None}
            spare = next((s for s in FISCAL_ORDER if s in fiscal and s not in named), None)
            if spare is not None:
                label = ("fiscal_funded" if not named & fiscal
                         else f"funding includes a fiscal source other than {', '.join(sorted(named & fiscal))}")
                dims.append(Dimension(f"{var}:{spare}", "member", var, [False, True], label=label, member=spare,
                                      group=var))
        return dims

    def _enum_dim(self, var: Variable) -> Dimension:
        if var.values:
            values = list(var.values)
            if var.exact:
                named = [v for v in values if v in var.literals]
                rest = tuple(v for v in values if v not in var.literals)
                reps: list[str] = named + ([rest[0]] if rest else [])
                stands = [(v,) for v in named] + ([rest] if rest else [])
            else:
                reps, stands = values, [(v,) for v in values]
        else:
            reps = [*sorted(var.literals), OTHER]
            stands = [(v,) for v in reps]
        return Dimension(var.name, "enum", var.name, list(reps), label=var.name, stands_for=stands, group=var.name,
                    exact=var.exact or bool(var.values))

    def _numeric_dim(self, var: Variable) -> Dimension:
        step = STEP[var.numeric]
        shared = [v for v in ("budget", "procurement_budget") if v in self.vars]
        if var.name in shared:
            cuts: dict[Decimal, str] = {}
            for other in shared:
                for value, label in self._numeric_cuts(self.vars[other]).items():
                    if value not in cuts or cuts[value] == format_value(value):
                        cuts[value] = label
            exact = all(self.vars[v].exact for v in shared)
        else:
            cuts, exact = self._numeric_cuts(var), var.exact
        cells = numeric_cells(cuts, step)
        if not exact:
            top = max([*cuts, Decimal(1000)]) * 2
            extra = {Decimal(0), top}
            for _ in range(self.samples):
                extra.add((Decimal(self.rng.randint(0, int(top / step))) * step).quantize(step))
            cells = sampled_cells([c.rep for c in cells] + list(cuts) + list(extra))
        return Dimension(var.name, "numeric", var.name, [c.rep for c in cells], label=var.name, cells=cells,
                    group=var.name, exact=exact)

    def _date_dim(self, var: Variable) -> Dimension:
        cuts: dict[dt.date, str] = {}
        for literal in var.cut_literals:
            cuts[literal] = literal.isoformat()
        constants = {"as_of": self.as_of, "effective_date": self.src.pack.dates.effective}
        for name in sorted(var.cut_constants):
            cuts.setdefault(constants[name], name)
        return self._date_dim_from(var, cuts)

    def _date_dim_from(self, var: Variable, cuts: dict[dt.date, str]) -> Dimension:
        """A date dimension cut at ``cuts``; sampled around ``as_of`` where the analysis is not exact."""
        cells = date_cells(cuts)
        if not var.exact:
            extra = {self.as_of + dt.timedelta(days=self.rng.randint(-1500, 1500)) for _ in range(self.samples)}
            cells = sampled_cells([c.rep for c in cells if c.rep is not NOT_YET] + list(extra))
            cells.append(Cell(NOT_YET, NOT_YET, "not yet", True, NOT_YET, "not yet", True, sampled=True))
        return Dimension(var.name, "date", var.name, [c.rep for c in cells], label=var.name, cells=cells,
                         group=var.name, exact=var.exact)

    def _base(self) -> dict[str, Any]:
        env: dict[str, Any] = dict.fromkeys(self.src.table.symbols)
        for table in self.src.table.item_symbols.values():
            env.update(dict.fromkeys(table))
        env.update(dict.fromkeys(self.src.table.system_facts))
        env["as_of"] = self.as_of
        env["effective_date"] = self.src.pack.dates.effective
        env["change_count"] = Decimal(1 if self.kind == "change" else 0)
        env.update(self.params)
        return env

    # ---------------------------------------------------------------- environments

    def env(self, dims: Sequence[Dimension], tup: Sequence[int], unknown: frozenset[str] = frozenset(),
            base: Mapping[str, Any] | None = None) -> dict[str, Any]:
        env = dict(self.base if base is None else base)
        members: dict[str, set[str] | None] = {}
        for dim, index in zip(dims, tup, strict=True):
            if dim.kind == "member":
                if dim.group in unknown:
                    members[dim.var] = None
                    continue
                current = members.setdefault(dim.var, set())
                if current is not None and dim.values[index]:
                    current.add(cast(str, dim.member))
                continue
            if dim.group in unknown:
                value: Any = None
            else:
                value = dim.values[index]
            if dim.kind == "execution":
                execution, category = value if value is not None else (None, None)
                env["execution"], env["category"] = execution, None if "category" in unknown else category
            else:
                env[dim.var] = value
        for var, chosen in members.items():
            env[var] = frozenset(chosen) if chosen is not None else None
            if var == "funding_sources":
                env["fiscal_funded"] = None if chosen is None else bool(chosen & {s.value for s in FISCAL_SOURCES})
        keys = {d.var for d in dims}
        if "procurement_budget" not in keys and "budget" in keys:
            env["procurement_budget"] = env["budget"]
        return env

    def feasible(self, env: Mapping[str, Any]) -> bool:
        budget, procurement = env.get("budget"), env.get("procurement_budget")
        if isinstance(budget, Decimal) and isinstance(procurement, Decimal) and procurement > budget:
            return False
        if env.get("fiscal_funded") is False and isinstance(env.get("fiscal_amount"), Decimal) \
                and env["fiscal_amount"] != 0:
            return False
        return not (env.get("system_count") == 0 and env.get("all_systems_in_catalogue") is False)

    def outcomes(self, rules: list[CompiledRule], env: Mapping[str, Any]) -> list[Outcome]:
        result = []
        for compiled in rules:
            value = compiled.condition.fn(env)
            defeated: list[str] = []
            undecided: list[str] = []
            effective = value
            if compiled.rule.unless and value is not False:
                for exc_id in compiled.rule.unless:
                    exc_value = self.src.by_id[exc_id].condition.fn(env)
                    if exc_value is True:
                        defeated.append(exc_id)
                    elif exc_value is None:
                        undecided.append(exc_id)
                if defeated:
                    effective = False
                elif undecided:
                    effective = None
            result.append(Outcome(compiled, 0 if compiled.rule.for_each else None, env, value, effective,
                                             tuple(defeated), tuple(undecided)))
        return result

    def scope(self, env: Mapping[str, Any]) -> str:
        """The scope status (as :func:`govrules.evaluate` computes it) on ``env``."""
        outs = self.outcomes(self.scope_rules, env)
        exemptions = [o for o in outs if isinstance(o.rule, ExemptionRule)]
        scopes = [o for o in outs if isinstance(o.rule, ScopeRule)]
        if any(o.effective is True for o in exemptions):
            return "exempt"
        covered = any_true(o.effective for o in scopes) if scopes else True
        if covered is False:
            return "out_of_scope"
        if covered is True and not any(o.effective is None for o in exemptions):
            return "in_scope"
        return "undetermined"

    def decide(self, env: Mapping[str, Any]) -> AnalysisResult:
        combined = decide(self.outcomes(self.rules, env))
        decision, deciding, gap = combined.decision, combined.deciding, combined.gap
        ids = tuple(sorted((o.rule.id for o in deciding), key=lambda i: self.src.by_id[i].index))
        if decision != "undetermined":
            return AnalysisResult("decided", decision, ids)
        if not deciding:
            return AnalysisResult("gap" if gap else "open", decision, ids)
        if any(o.effective is not True for o in deciding):
            return AnalysisResult("open", decision, ids)  # a rule still unknown keeps it open (e.g. a fact not given)
        decisions = {o.rule.decision for o in deciding}
        if len(decisions) > 1:
            return AnalysisResult("overlap", decision, ids)
        if decisions == {"undetermined"}:
            return AnalysisResult("declared", decision, ids)
        return AnalysisResult("open", decision, ids)

    # ---------------------------------------------------------------- enumeration

    def space(self) -> Iterator[tuple[int, ...]]:
        sizes = [len(d.values) for d in self.dims]
        total = 1
        for size in sizes:
            total *= size
        if total <= self.max_combinations:
            yield from itertools.product(*(range(s) for s in sizes))
            return
        self.sampled_space = True
        self.reasons.add(f"{total} combinations exceed max_combinations={self.max_combinations}: "
                         "a fixed-seed sample of them is evaluated")
        seen: set[tuple[int, ...]] = set()
        for _ in range(self.max_combinations):
            tup = tuple(self.rng.randrange(s) for s in sizes)
            if tup not in seen:
                seen.add(tup)
                yield tup

    def run(self) -> None:
        if not self.rules:
            return
        for tup in self.space():
            env = self.env(self.dims, tup)
            if not self.feasible(env) or self.scope(env) in ("out_of_scope", "exempt"):
                self.dontcare.add(tup)
                continue
            self.results[tup] = self.decide(env)

    # ---------------------------------------------------------------- findings

    def raw_findings(self) -> list[_Raw]:
        groups: dict[tuple[Any, ...], _Raw] = {}

        def add(code: str, key: tuple[Any, ...], rules: tuple[str, ...], tup: tuple[int, ...],
                **detail: Any) -> None:
            raw = groups.setdefault((code, *key), _Raw(code, key, rules, set(), dict(detail)))
            raw.tuples.add(tup)

        all_ids = tuple(r.id for r in self.rules)
        for tup, res in self.results.items():
            if res.kind == "gap":
                add("consistency.gap", (), all_ids, tup)
            elif res.kind == "declared":
                add("consistency.declared_gap", res.rules, res.rules, tup)
            elif res.kind == "overlap":
                add("consistency.overlap", res.rules, res.rules, tup)
        self._non_monotone(add)
        self._knowing_more(add)
        return list(groups.values())

    def _rank(self, res: AnalysisResult) -> int | None:
        if res.kind != "decided":
            return None
        return (RANK_ROUTE if self.kind == "route" else RANK_CHANGE).get(res.decision)

    def _non_monotone(self, add: Callable[..., None]) -> None:
        raising = [i for i, d in enumerate(self.dims) if d.kind == "numeric"
                   and (self.vars[d.var].numeric == "money" or d.var == "change_scale")]
        for tup, res in self.results.items():
            rank = self._rank(res)
            if rank is None or rank == 0:
                continue
            for i in raising:
                dim = self.dims[i]
                for higher in range(tup[i] + 1, len(dim.values)):
                    moves = [higher]
                    partner = self._partner(i)
                    if partner is not None and tup[partner] == tup[i]:
                        moves.append(-higher)  # raise budget and the procurement budget that equals it
                    for move in moves:
                        raised = list(tup)
                        raised[i] = abs(move)
                        if move < 0 and partner is not None:
                            raised[partner] = abs(move)
                        other = self.results.get(tuple(raised))
                        if other is None:
                            continue
                        other_rank = self._rank(other)
                        if other_rank is not None and other_rank < rank:
                            add("consistency.non_monotone", (dim.key, res.decision, other.decision, res.rules,
                                                             other.rules),
                                tuple(dict.fromkeys(res.rules + other.rules)), tup, dim=i, to=tuple(raised),
                                decision=res.decision, other=other.decision, low_rules=res.rules,
                                high_rules=other.rules)

    def _partner(self, index: int) -> int | None:
        if self.dims[index].var != "budget":
            return None
        return next((j for j, d in enumerate(self.dims) if d.var == "procurement_budget"), None)

    def _knowing_more(self, add: Callable[..., None]) -> None:
        groups = list(dict.fromkeys(d.group for d in self.dims if d.var != "procurement_budget"))
        if "category" in self.vars and "execution" in groups:
            groups.append("category")  # the category unknown, the execution known
        for tup, res in self.results.items():
            if res.kind != "decided":
                continue
            for group in groups:
                env = self.env(self.dims, tup, frozenset({group}))
                partial = self.decide(env)
                if partial.kind == "decided" and partial.decision != res.decision:
                    add("consistency.knowing_more", (group, partial.decision, res.decision),
                        tuple(dict.fromkeys(partial.rules + res.rules)), tup, group=group,
                        partial=partial.decision, full=res.decision, partial_rules=partial.rules)

    # ---------------------------------------------------------------- scope completion, examples

    def completion(self, tup: tuple[int, ...]) -> dict[str, int] | None:
        """Values of the scope-only variables that put ``tup`` in scope ({} if none are needed).

        ``None`` when no values do (the combination is never in scope); a bounded search that runs
        out keeps the variables unknown (scope undetermined: the route is still evaluated).
        """
        env = self.env(self.dims, tup)
        side = {d.var for d in self.side_dims}
        key = tuple(env.get(v) for v in sorted(self.vars) if v not in side)
        if key in self._completions:
            return self._completions[key]
        if self.scope(env) == "in_scope" or not self.side_dims:
            result: dict[str, int] | None = {}
        else:
            result = self._search(env)
        self._completions[key] = result
        return result

    def _search(self, env: dict[str, Any]) -> dict[str, int] | None:
        dims = self.side_dims
        budget = [20000]
        exhausted = True

        def visit(depth: int, chosen: list[int]) -> list[int] | None:
            nonlocal exhausted
            budget[0] -= 1
            if budget[0] < 0:
                exhausted = False
                return None
            partial = self.env(dims[:depth], chosen, base=env)
            status = self.scope(partial)
            if status in ("out_of_scope", "exempt"):
                return None
            if status == "in_scope":
                return chosen
            if depth == len(dims):
                return None
            size = len(dims[depth].values)
            # events: "not yet" first (the natural default); other values in order
            indices = [size - 1, *range(size - 1)] if dims[depth].kind == "date" else range(size)
            for index in indices:
                found = visit(depth + 1, [*chosen, index])
                if found is not None:
                    return found
            return None

        found = visit(0, [])
        if found is None:
            return None if exhausted else {}
        return {dims[i].key: index for i, index in enumerate(found)}

    def example(self, tup: tuple[int, ...], completion: Mapping[str, int]) -> dict[str, Any]:
        """A project (as plain data) for the combination ``tup``."""
        data: dict[str, Any] = {"id": f"consistency-{self.src.pack.id}", "name": "一致性检查示例项目"}
        facts: dict[str, Any] = {}
        dates: dict[str, Any] = {}
        change: dict[str, Any] = {}
        funding: set[str] | None = None
        systems: tuple[int, bool | None] | None = None
        chosen = list(zip(self.dims, tup, strict=True))
        chosen += [(d, completion[d.key]) for d in self.side_dims if d.key in completion]
        fact_names = {f.name for f in self.src.pack.facts}
        item_map = {"change_scale": "scale", "change_increases_investment": "increases_investment",
                    "change_cause": "cause", "change_major": "major"}
        for dim, index in chosen:
            value = dim.values[index]
            if dim.kind == "member":
                if dim.var == "funding_sources":
                    funding = funding if funding is not None else set()
                    if value:
                        funding.add(cast(str, dim.member))
                else:
                    members = facts.setdefault(dim.var, [])
                    if value:
                        members.append(dim.member)
                continue
            if dim.kind == "execution":
                execution, category = value
                data["execution"] = execution
                if category is not None:
                    data["category"] = category
                continue
            name = dim.var
            if isinstance(value, Decimal):
                value = _json_number(value)
            if name in item_map:
                change[item_map[name]] = value
            elif name.startswith("dates."):
                dates[name.removeprefix("dates.")] = False if value is NOT_YET else value.isoformat()
            elif name in fact_names:
                facts[name] = value.isoformat() if isinstance(value, dt.date) else value
            elif name in ("level", "nature", "owner", "budget", "procurement_budget"):
                data[name] = value
            elif name == "system_count":
                systems = (int(value), systems[1] if systems else None)
            elif name == "all_systems_in_catalogue":
                systems = (systems[0] if systems else 1, cast(bool, value))
            elif name == "fiscal_amount":
                data["_fiscal_amount"] = value
        if funding is not None:
            amount = data.pop("_fiscal_amount", None)
            fiscal = [s for s in sorted(funding) if s in {f.value for f in FISCAL_SOURCES}]
            data["funding"] = []
            for source in sorted(funding):
                entry: dict[str, Any] = {"source": source}
                if amount is not None and source in fiscal:  # the fiscal amount is the sum over fiscal sources
                    entry["amount"] = amount if source == fiscal[0] else 0
                data["funding"].append(entry)
        data.pop("_fiscal_amount", None)
        if systems is not None:
            count, in_catalogue = systems
            if in_catalogue is False:
                count = max(count, 1)  # "not all in the catalogue": the first system is not
            data["systems"] = []
            for i in range(count):
                system: dict[str, Any] = {"name": f"系统{i + 1}"}
                if in_catalogue is not None:
                    system["in_catalogue"] = in_catalogue if i == 0 else True
                data["systems"].append(system)
        if dates:
            data["dates"] = dates
        if self.kind == "change":
            data["changes"] = [change]
        if facts:
            data["facts"] = facts
        return data

    # ---------------------------------------------------------------- regions

    def regions(self, tuples: set[tuple[int, ...]], limit: int) -> tuple[list[tuple[str, tuple[int, ...], Spec]],
                                                                         int]:
        """Describe ``tuples`` as regions; return (description, example combination) pairs and how many
        combinations were left out by ``limit``.

        Combinations out of scope or impossible (procurement budget above the budget, …) are "don't
        care": a region may extend over them. Small groups of yes/no and enum variables that vary
        independently of the rest (e.g. "not both emergency and emergency_leader_consent") are factored
        out into a clause shared by every region; the rest is covered by boxes: an interval of adjacent
        cells per numeric variable, a set of values per other variable.
        """
        allowed = tuples | self.dontcare
        blocks = self._factor(tuples, allowed)
        rest = [i for i in range(len(self.dims)) if not any(i in b for b in blocks)]
        groups = [*blocks, rest]
        projections = [{tuple(t[i] for i in g) for t in tuples} for g in groups]

        def ok_for(k: int) -> Callable[[tuple[int, ...]], bool]:
            others = [j for j in range(len(groups)) if j != k]
            cache: dict[tuple[int, ...], bool] = {}

            def ok(sub: tuple[int, ...]) -> bool:
                if sub in projections[k]:
                    return True
                if sub not in cache:
                    cache[sub] = all(
                        _assemble(len(self.dims), [(groups[k], sub)] + [(groups[j], c[m]) for m, j in
                                                                       enumerate(others)]) in allowed
                        for c in itertools.product(*(sorted(projections[j]) for j in others)))
                return cache[sub]

            return ok

        clauses: list[tuple[int, str]] = []  # (position, text)
        clause_specs = []
        for k, block in enumerate(blocks):
            boxes_k, _ = self._cover(block, projections[k], ok_for(k), 10**6)
            texts = [t for t in (self._describe(block, box) for box, _ in boxes_k) if t]
            if texts:
                # a clause over one variable keeps its place; one over several comes last
                position = min(block) if len(block) == 1 else len(self.dims) + min(block)
                clauses.append((position, texts[0] if len(texts) == 1 else "(" + " or ".join(texts) + ")"))
            clause_specs.append(tuple(tuple((self.dims[i].key, frozenset(self.dims[i].values[j] for j in chosen))
                                            for i, chosen in zip(block, box, strict=True)) for box, _ in boxes_k))
        boxes, left = self._cover(rest, projections[-1], ok_for(len(groups) - 1), limit)
        witness: dict[tuple[int, ...], tuple[int, ...]] = {}
        for t in sorted(tuples):
            witness.setdefault(tuple(t[i] for i in rest), t)
        prefix = "per change: " if self.kind == "change" else ""
        result = []
        for box, seed in boxes:
            positioned = [(i, _describe_dim(self.dims[i], chosen)) for i, chosen in zip(rest, box, strict=True)]
            parts = [text for _, text in sorted(positioned + clauses) if text]
            spec = Spec(tuple(self._spec_part(i, chosen) for i, chosen in zip(rest, box, strict=True)),
                         tuple(clause_specs))
            result.append((prefix + (", ".join(parts) if parts else "every case"), witness[seed], spec))
        if left:
            left = sum(1 for t in tuples if not any(
                all(t[i] in box[m] for m, i in enumerate(rest)) for box, _ in boxes))
        return result, left

    def _factor(self, tuples: set[tuple[int, ...]], allowed: set[tuple[int, ...]]) -> list[list[int]]:
        """Small groups of unordered variables whose values in ``tuples`` do not depend on the rest."""
        n = len(self.dims)
        candidates = [i for i, d in enumerate(self.dims) if not d.ordered]
        blocks: list[list[int]] = []
        taken: set[int] = set()
        for size in (1, 2, 3):
            for subset in itertools.combinations(candidates, size):
                if taken & set(subset):
                    continue
                block = list(subset)
                projection = {tuple(t[i] for i in block) for t in tuples}
                full = 1
                for i in block:
                    full *= len(self.dims[i].values)
                if len(projection) == full:
                    continue  # unconstrained: omitted from descriptions anyway
                groups = [*blocks, block]
                rest = [i for i in range(n) if not any(i in g for g in groups)]
                if not rest:
                    continue
                parts = [sorted({tuple(t[i] for i in g) for t in tuples}) for g in [*groups, rest]]
                size_product = 1
                for part in parts:
                    size_product *= len(part)
                if size_product > 200_000:
                    continue
                if all(_assemble(n, list(zip([*groups, rest], combo, strict=True))) in allowed
                       for combo in itertools.product(*parts)):
                    blocks.append(block)
                    taken |= set(block)
        return blocks

    def _cover(self, idxs: list[int], subs: set[tuple[int, ...]], ok: Callable[[tuple[int, ...]], bool],
               limit: int) -> tuple[list[tuple[list[set[int]], tuple[int, ...]]], int]:
        """Greedy box cover of ``subs`` (tuples over the dims ``idxs``), growing into what ``ok`` allows."""
        dims = [self.dims[i] for i in idxs]

        def fits(box: list[set[int]]) -> bool:
            return all(ok(t) for t in itertools.product(*box))

        order = [m for m, d in enumerate(dims) if not d.ordered] + [m for m, d in enumerate(dims) if d.ordered]
        remaining = set(subs)
        boxes: list[tuple[list[set[int]], tuple[int, ...]]] = []
        for seed in sorted(subs):
            if seed not in remaining:
                continue
            if len(boxes) >= limit:
                break
            box = [{v} for v in seed]
            for _ in range(2):
                for m in order:
                    dim = dims[m]
                    if dim.ordered:
                        for direction in (-1, 1):
                            edge = (min(box[m]) if direction < 0 else max(box[m])) + direction
                            while 0 <= edge < len(dim.values) and fits([*box[:m], {edge}, *box[m + 1:]]):
                                box[m].add(edge)
                                edge += direction
                    else:
                        for value in range(len(dim.values)):
                            if value not in box[m] and fits([*box[:m], {value}, *box[m + 1:]]):
                                box[m].add(value)
            boxes.append((box, seed))
            remaining -= {t for t in remaining if all(t[m] in box[m] for m in range(len(t)))}
        # drop boxes whose cases the others already cover
        covered = [{t for t in subs if all(t[m] in box[m] for m in range(len(t)))} for box, _ in boxes]
        keep = list(range(len(boxes)))
        for b in reversed(range(len(boxes))):
            others: set[tuple[int, ...]] = set()
            for o in keep:
                if o != b:
                    others |= covered[o]
            if covered[b] <= others:
                keep.remove(b)
        return [boxes[b] for b in keep], len(remaining)

    def _spec_part(self, index: int, chosen: set[int]) -> tuple[str, Any]:
        dim = self.dims[index]
        if not dim.ordered:
            return dim.key, frozenset(dim.values[j] for j in chosen)
        assert dim.cells is not None
        runs: list[tuple[int, int]] = []
        for j in sorted(chosen):
            if runs and runs[-1][1] == j - 1:
                runs[-1] = (runs[-1][0], j)
            else:
                runs.append((j, j))
        return dim.key, tuple((dim.cells[a].lo_label, dim.cells[a].lo_closed, dim.cells[b].hi_label,
                               dim.cells[b].hi_closed) for a, b in runs)

    def region_tuples(self, spec: Spec) -> Iterator[tuple[int, ...]]:
        """The combinations of this analysis inside a region found (maybe) under other parameter values."""
        by_key = {d.key: i for i, d in enumerate(self.dims)}
        choices: list[set[int]] = [set(range(len(d.values))) for d in self.dims]
        for key, payload in spec.parts:
            i = by_key[key]
            dim = self.dims[i]
            if not dim.ordered:
                choices[i] = {j for j, v in enumerate(dim.values) if v in payload}
                continue
            assert dim.cells is not None
            choices[i] = {j for j, cell in enumerate(dim.cells)
                          if any(self._within(cell.rep, interval) for interval in payload)}
        clause_sets: list[tuple[list[int], set[tuple[int, ...]]]] = []
        for alternatives in spec.clauses:
            idxs = [by_key[key] for key, _ in alternatives[0]]
            allowed: set[tuple[int, ...]] = set()
            for alternative in alternatives:
                allowed |= set(itertools.product(*([j for j, v in enumerate(self.dims[by_key[key]].values)
                                                    if v in values] for key, values in alternative)))
            clause_sets.append((idxs, allowed))
        for tup in itertools.product(*(sorted(c) for c in choices)):
            if all(tuple(tup[i] for i in idxs) in allowed for idxs, allowed in clause_sets):
                yield tup

    def _within(self, value: Any, interval: tuple[str | None, bool, str | None, bool]) -> bool:
        lo_label, lo_closed, hi_label, hi_closed = interval
        lo, hi = self._resolve(lo_label), self._resolve(hi_label)
        if lo is not None and (value < lo or (value == lo and not lo_closed)):
            return False
        return not (hi is not None and (value > hi or (value == hi and not hi_closed)))

    def _resolve(self, label: str | None) -> Any:
        if label is None:
            return None
        if label in self.params:
            return self.params[label]
        if label in ("as_of", "effective_date"):
            return self.base[label]
        if label == "not yet":
            return NOT_YET
        try:
            return Decimal(label)
        except ArithmeticError:
            return dt.date.fromisoformat(label)

    def _describe(self, idxs: list[int], box: list[set[int]]) -> str:
        parts = [_describe_dim(self.dims[i], chosen) for i, chosen in zip(idxs, box, strict=True)]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Spec:
    """A region in terms of names: per dimension a set of values or intervals between named cut points,
    plus clauses (alternatives over small independent groups of dimensions)."""

    parts: tuple[tuple[str, Any], ...]
    clauses: tuple[tuple[tuple[tuple[str, frozenset[Any]], ...], ...], ...]


def _assemble(n: int, parts: Sequence[tuple[Sequence[int], Sequence[int]]]) -> tuple[int, ...]:
    full = [0] * n
    for idxs, values in parts:
        for i, v in zip(idxs, values, strict=True):
            full[i] = v
    return tuple(full)


def _json_number(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else value


def _describe_dim(dim: Dimension, chosen: set[int]) -> str:
    if len(chosen) == len(dim.values):
        return ""
    if dim.kind in ("bool", "member"):
        value = dim.values[next(iter(chosen))]
        if dim.kind == "member":
            if dim.label.startswith("'"):
                return dim.label if value else dim.label.replace(" in ", " not in ", 1)
            if dim.label == "fiscal_funded":
                return f"fiscal_funded = {format_value(value)}"
            if value:
                return str(dim.label)
            negated = dim.label.replace("includes a ", "includes no ", 1)
            return negated if negated != dim.label else dim.label.replace("includes", "includes no", 1)
        return f"{dim.label} = {format_value(value)}"
    if dim.kind == "execution":
        pairs = [dim.values[i] for i in sorted(chosen)]
        executions = sorted({e for e, c in pairs if c is None})
        categories = sorted({c for e, c in pairs if c is not None})
        parts = []
        if executions:
            parts.append(f"execution = {executions[0]}" if len(executions) == 1
                         else f"execution in [{', '.join(executions)}]")
        if categories:
            every = sorted(c for _, c in dim.values if c is not None)
            by_execution = {e: sorted(c for x, c in dim.values if x == e and c is not None) for e, _ in dim.values}
            excluded = [c for c in every if c not in categories]
            same = [e for e, cs in by_execution.items() if cs == categories]
            if same:
                parts.append(f"execution = {same[0]}")
            elif len(categories) == 1:
                parts.append(f"category = {categories[0]}")
            elif len(excluded) == 1:
                parts.append(f"category != {excluded[0]}")
            else:
                parts.append(f"category in [{', '.join(categories)}]")
        return " or ".join(parts)
    if dim.kind == "enum":
        assert dim.stands_for is not None
        values = [v for i in sorted(chosen) for v in dim.stands_for[i]]
        everything = [v for group in dim.stands_for for v in group]
        excluded = [v for v in everything if v not in values]
        if len(values) == 1:
            return f"{dim.label} = {values[0]}"
        if len(excluded) == 1:
            return f"{dim.label} != {excluded[0]}"
        return f"{dim.label} in [{', '.join(values)}]"
    assert dim.cells is not None
    indices = sorted(chosen)
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    texts = [_describe_run(dim, dim.cells[a], dim.cells[b]) for a, b in runs]
    return " or ".join(texts)


def _describe_run(dim: Dimension, first: Cell, last: Cell) -> str:
    v = dim.label
    sampled = " (sampled)" if first.sampled or last.sampled else ""
    if first is last and first.lo_closed and first.hi_closed and first.lo == first.hi:
        return f"{v} = {first.lo_label}{sampled}"
    if last.hi is NOT_YET and first.lo is not NOT_YET:
        lower = f"{v} {'>=' if first.lo_closed else '>'} {first.lo_label}" if first.lo_label else ""
        return (f"{lower} or not yet" if lower else f"{v}: any date or not yet") + sampled
    if first.lo_label is None:
        return f"{v} {'<=' if last.hi_closed else '<'} {last.hi_label}{sampled}"
    if last.hi is None:
        return f"{v} {'>=' if first.lo_closed else '>'} {first.lo_label}{sampled}"
    return (f"{v} in {'[' if first.lo_closed else '('}{first.lo_label}, {last.hi_label}"
            f"{']' if last.hi_closed else ')'}{sampled}")


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
    kinds: tuple[Literal["route", "change"], ...] = ("route", "change")
    for kind in kinds:
        runs = []
        for values, text, label in scenarios:
            analysis = RegionAnalysis(src, kind, values, day, samples=samples,
                                 max_combinations=max_combinations, seed=seed)
            analysis.run()
            groups = {(raw.code, *raw.key): raw for raw in analysis.raw_findings()}
            for raw in groups.values():
                _refine(analysis, raw)
            runs.append(_Run(analysis, text, label, groups))
        findings.extend(_regional_findings(runs, max_regions))
    findings.extend(check_scope_and_consequences(src, scenarios, day, max_combinations=max_combinations, seed=seed))
    findings = _limit(findings, max_regions)
    order = {"error": 0, "warning": 1}
    return sorted(findings, key=lambda f: (order[f.severity], f.code, f.analysis, f.rules, f.region))


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
    groups: dict[tuple[Any, ...], _Raw]


@dataclass
class _Candidate:
    finding: Finding
    group: tuple[Any, ...]
    spec: Spec
    covered: dict[int, set[tuple[int, ...]]]  # run index → the group's combinations inside the region


def _refine(analysis: RegionAnalysis, raw: _Raw) -> None:
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


def _materialise(run: _Run, raw: _Raw, max_regions: int) -> list[tuple[Finding, Spec]]:
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


def _message(analysis: RegionAnalysis, raw: _Raw, seed: tuple[int, ...]) -> str:
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
