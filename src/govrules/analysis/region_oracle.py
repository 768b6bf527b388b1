"""The oracle of a region analysis: a combination of cells as an environment, and what the pack's rules
decide there, combined as the evaluator combines them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from govrules.analysis.region_space import AnalysisResult, AnalysisSpace
from govrules.analysis.space import (
    Dimension,
)
from govrules.compile.compiler import NOT_YET, CompiledRule, change_timing
from govrules.engine.combine import Outcome, any_true, decide, made_before_measure
from govrules.models.pack import (
    ExemptionRule,
    ScopeRule,
)
from govrules.models.project import DATE_ORDER, FISCAL_SOURCES


class AnalysisOracle(AnalysisSpace):
    """What the rules decide on each combination of cells."""

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
        if self.timing and dims is self.dims and not unknown.isdisjoint(self._timing_inputs):
            self._timing_unknown(env, self.env(dims, tup, base=base), unknown)
        return env

    def _timing_unknown(self, env: dict[str, Any], known: Mapping[str, Any], unknown: frozenset[str]) -> None:
        """With a date the change-timing symbols are worked out from unknown, they are what the engine
        works out without it (from dates in the cells of ``known``, the same combination fully known)."""
        picks = self.timing_dates(known)
        if picks is None:
            return
        made = None if "change_date" in unknown else picks["change_date"]
        events = {var.removeprefix("dates."): None if var in unknown else value
                  for var, value in picks.items() if var.startswith("dates.")}
        for name in self.timing:
            if name not in unknown:
                env[name] = change_timing(made, events, name, self.as_of)

    def feasible(self, env: Mapping[str, Any]) -> bool:
        budget, procurement = env.get("budget"), env.get("procurement_budget")
        if isinstance(budget, Decimal) and isinstance(procurement, Decimal) and procurement > budget:
            return False
        if env.get("fiscal_funded") is False and isinstance(env.get("fiscal_amount"), Decimal) \
                and env["fiscal_amount"] != 0:
            return False
        if env.get("system_count") == 0 and env.get("all_systems_in_catalogue") is False:
            return False
        # events in an order no record may give (the project model refuses it: completion before the start, …)
        for earlier, later in DATE_ORDER:
            first, second = env.get(f"dates.{earlier}"), env.get(f"dates.{later}")
            if isinstance(second, dt.date) and second is not NOT_YET and (
                    first is NOT_YET or (isinstance(first, dt.date) and second < first)):
                return False
        # change-timing symbols some dates in their cells give
        return self.timing_dates(env) is not None

    def outcomes(self, rules: list[CompiledRule], env: Mapping[str, Any]) -> list[Outcome]:
        result = []
        for compiled in rules:
            value = compiled.condition.fn(env)
            defeated: list[str] = []
            undecided: list[str] = []
            effective = value
            if compiled.rule.unless and value is not False:
                for exc_id in compiled.rule.unless:
                    exception = self.src.by_id.get(exc_id)
                    if exception is None:  # an exception of another reading's option, as the engine skips it
                        continue
                    exc_value = exception.condition.fn(env)
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
        if self.kind == "change" and made_before_measure(env.get("change_date"), self.src.pack.dates.effective):
            return AnalysisResult("decided", "not_covered", ())  # as the verdict decides it: not retroactive
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

