"""One region analysis (route or change rules under one set of parameter values), first part: the
space of cells it walks — the dimensions of each variable the rules read, and the base environment."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from govrules.analysis.space import (
    FISCAL_ORDER,
    OTHER,
    STEP,
    Cell,
    Dimension,
    Reader,
    Source,
    Variable,
    date_cells,
    format_value,
    numeric_cells,
    sampled_cells,
)
from govrules.compile.compiler import CHANGE_TIMING, NOT_YET, CompiledRule, change_timing
from govrules.models.pack import (
    ChangeRule,
    ExemptionRule,
    RouteRule,
    ScopeRule,
)
from govrules.models.project import CATEGORY_EXECUTION, DATE_ORDER, FISCAL_SOURCES, Category

_NONE = object()


def _in_order(env: Mapping[str, Any], var: str, value: Any) -> bool:
    """Whether the event ``var`` on ``value`` keeps the order of events with ``env``'s other dates."""
    event = var.removeprefix("dates.")
    for earlier, later in DATE_ORDER:
        if event == later:
            first, second = env.get(f"dates.{earlier}"), value
        elif event == earlier:
            first, second = value, env.get(f"dates.{later}")
        else:
            continue
        if isinstance(second, dt.date) and second is not NOT_YET and (
                first is NOT_YET or (isinstance(first, dt.date) and second < first)):
            return False
    return True


@dataclass
class AnalysisResult:
    kind: str  # decided | gap | declared | overlap | open
    decision: str
    rules: tuple[str, ...]


@dataclass
class RawFinding:
    """A finding before regions are merged across scenarios."""

    code: str
    key: tuple[Any, ...]
    rules: tuple[str, ...]
    tuples: set[tuple[int, ...]]
    detail: dict[str, Any] = field(default_factory=dict)
    completions: dict[tuple[int, ...], dict[str, int]] = field(default_factory=dict)


class AnalysisSpace:
    """Route rules (``kind='route'``) or change rules (``kind='change'``) under one scenario: the
    dimensions of the space and the environment every combination starts from."""

    timing: tuple[str, ...] = ()
    _timing_inputs: tuple[str, ...] = ()
    _timing_cells: dict[str, dict[Any, Cell]] = {}  # noqa: RUF012 - replaced per instance by use_timing
    _timing_found: dict[tuple[Any, ...], dict[str, Any] | None]

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
        timing = [name for name in reader.vars if name in CHANGE_TIMING]
        # a change-timing symbol is worked out from a change's date and the project's events: it is a
        # dimension of its own; the dates it comes from are enumerated only where a rule reads them (a
        # scope rule's too), and only combinations some dates in their cells give are kept (:meth:`timing_dates`)
        for name in timing:
            event, _, earlier = CHANGE_TIMING[name]
            for var in (name, *(f"dates.{e}" for e in (event, *earlier))):
                if (var == name or var in reader.vars) and var not in main_vars:
                    main_vars.append(var)
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
        self.use_timing(self.dims)

    def use_timing(self, dims: Sequence[Dimension], *, cells_only: bool = False) -> None:
        """Take the change-timing symbols among ``dims`` (unless ``cells_only``) and the cells of the dates
        among them: :meth:`timing_dates` then picks dates in those cells (a comparison of two packs
        enumerates joint dimensions, whose cells each pack's analysis uses)."""
        if not cells_only:
            self.timing = tuple(d.var for d in dims if d.var in CHANGE_TIMING)
        events = [e for n in self.timing for e in (CHANGE_TIMING[n][0], *CHANGE_TIMING[n][2])]
        self._timing_inputs = tuple(dict.fromkeys([*self.timing, "change_date", *(f"dates.{e}" for e in events)]))
        self._timing_cells = {d.var: dict(zip(d.values, d.cells or (), strict=False)) for d in dims
                              if d.kind == "date" and (d.var == "change_date" or d.var.startswith("dates."))}
        self._timing_found = {}

    def timing_dates(self, env: Mapping[str, Any]) -> dict[str, Any] | None:
        """Dates, each in the cell of ``env``'s value, under which the change-timing symbols the rules
        read have ``env``'s values: ``change_date`` and the events they are worked out from (``{}`` when
        no rule reads one); ``None`` when no dates in those cells do (the combination cannot occur)."""
        if not self.timing:
            return {}
        key = tuple(env.get(n) for n in self._timing_inputs)
        if key in self._timing_found:
            return self._timing_found[key]
        found: dict[str, Any] | None = None
        for made in self._candidates("change_date", env.get("change_date")):
            found = self._timing_search(env, made, 0, {})
            if found is not None:
                found["change_date"] = made
                break
        self._timing_found[key] = found
        return found

    def _timing_search(self, env: Mapping[str, Any], made: Any, depth: int, chosen: dict[str, Any]
                       ) -> dict[str, Any] | None:
        """Event dates (each in its cell; events no rule reads stay unknown) giving the timing symbols
        from ``depth`` on their values in ``env``, the change made on ``made``; backtracking."""
        if depth == len(self.timing):
            return dict(chosen)
        name = self.timing[depth]
        event, _, earlier = CHANGE_TIMING[name]
        free = [e for e in (event, *earlier) if f"dates.{e}" not in chosen]
        options = [self._candidates(f"dates.{e}", env.get(f"dates.{e}"), made) for e in free]
        for values in itertools.product(*options):
            trial = {**chosen, **{f"dates.{e}": v for e, v in zip(free, values, strict=True)}}
            seen = {**env, **trial}
            if any(not _in_order(seen, f"dates.{e}", v) for e, v in zip(free, values, strict=True)):
                continue
            events = {k.removeprefix("dates."): v for k, v in trial.items()}
            if change_timing(made, events, name, self.as_of) is env.get(name):
                found = self._timing_search(env, made, depth + 1, trial)
                if found is not None:
                    return found
        return None

    def _candidates(self, var: str, value: Any, made: Any = None) -> list[Any]:
        """Dates ``var`` may take: in the cell ``value`` stands for (its ends, the days next to them and
        its representative) where ``var`` is a dimension; otherwise (no rule reads it) unknown, not yet,
        or a day around the evaluation date, the effective date or the change's date ``made``."""
        one = dt.timedelta(days=1)
        cells = self._timing_cells.get(var)
        if cells is None:
            days = [self.as_of, self.src.pack.dates.effective, *([made] if isinstance(made, dt.date) else [])]
            around = sorted({d + k * one for d in days for k in (-1, 0, 1)})
            if var == "change_date":  # an undated change or one under the measure, as the analysis takes it
                return [None, *(d for d in around if d >= self.src.pack.dates.effective)]
            return [None, NOT_YET, *around]
        if value is None or value is NOT_YET:
            return [value]
        cell = cells.get(value)
        if cell is None or cell.sampled:
            return [value]
        first = cell.lo if cell.lo_closed else (cell.lo + one if cell.lo is not None else value - 400 * one)
        last = cell.hi if cell.hi_closed else (cell.hi - one if cell.hi is not None else value + 400 * one)
        points = [first, first + one, value, last - one, last]
        return list(dict.fromkeys(p for p in points if first <= p <= last))

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

