"""Rule steps: one rule's outcome on one environment, with its exceptions, missing facts and trace."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from govrules.compile.compiler import NOT_YET, CompiledRule, zero_divisors
from govrules.engine.codegen import step_conclusion
from govrules.engine.combine import Outcome, Tri, note_missing
from govrules.engine.environment import Environment
from govrules.engine.memo import DeclaredInputs, Reads
from govrules.models.verdict import TraceStep

_RESULT: dict[Tri, Literal["true", "false", "unknown"]] = {True: "true", False: "false", None: "unknown"}


class RuleSteps(Environment):
    """Records each rule's outcome, and what keeps it undetermined."""

    def _step(self, k: int, index: int | None, env: Mapping[str, Any], value: Tri) -> None:
        """Record rule ``k`` of the plan on ``env`` (item ``index``), whose condition gave ``value``."""
        compiled, rule, kind, rule_id, _for_each, unless, keep_false = self.c.plan[k]
        bucket = self._by_kind.setdefault(kind, [])
        item_env = None if index is None else env  # see Outcome.env
        defeated: tuple[str, ...] = ()
        if kind == "exception":
            self._exceptions[(rule_id, index)] = value
            effective = value
        elif value is False:
            effective = False
            if keep_false:
                bucket.append(Outcome(compiled, index, item_env, False, False, (), ()))
        else:
            undecided: tuple[str, ...] = ()
            effective = value
            exceptions = self._exceptions
            for exc_id, exc_ranges in unless:
                exc_value = exceptions.get((exc_id, index if exc_ranges else None))
                if exc_value is True:
                    defeated += (exc_id,)
                elif exc_value is None:
                    undecided += (exc_id,)
            if defeated:
                effective = False
            elif undecided:
                effective = None
            outcome = Outcome(compiled, index, item_env, value, effective, defeated, undecided)
            bucket.append(outcome)
            if undecided:
                self._undecided.append(outcome)
        if effective is None and kind != "exception" and value is None:
            unknown: set[str] = set()
            compiled.condition.unknowns_of_unknown(env, unknown)
            for name in unknown:
                note_missing(self.missing, name, (rule_id,))
        if self.detailed:
            saw = {name: _jsonable(env.get(name)) for name in compiled.sorted_symbols}
            self.trace.append(TraceStep(rule_id, kind, index, compiled.text, saw, _RESULT[effective], defeated,
                                        step_conclusion(rule, effective, defeated)))
        else:
            self.trace.append(self._runtime.step(k, index, effective, defeated))

    def _zero_divisions(self, outcomes: dict[str, list[Outcome]]) -> None:
        """Warn of each rule left undetermined by a division by zero: no fact is missing, so without the
        warning a consequence would read as merely "possible" and a route as waiting for a fact."""
        seen: set[str] = set()
        dividing = self.c.dividing
        undetermined = [(o.compiled, self._env_of(o)) for group in outcomes.values() for o in group
                        if o.condition is None and o.compiled.id in dividing]
        undetermined += [(self.c.by_id[rule_id], self.env) for (rule_id, item), value in self._exceptions.items()
                         if value is None and item is None and rule_id in dividing]
        for compiled, env in undetermined:
            divisors = zero_divisors(compiled.condition, env)
            if divisors and compiled.id not in seen:
                seen.add(compiled.id)
                zero = "、".join(dict.fromkeys(divisors))
                self.warnings.append(
                    f"规则 {compiled.id} 的条件除以零（{zero} 为 0），无法判断，结论待定；"
                    f"division by zero in `{compiled.id}`: its conclusion is undetermined")

    def _exceptions_unknowns(self) -> None:
        """Record the unknown facts that keep undecided the exceptions of the outcomes that have some.

        Those over the project are worked out together, once per pack for each set of them and value
        of what they read (one key a verdict); those over an item, one by one."""
        over_project: list[str] = []
        for outcome in self._undecided:
            if outcome.env is None:
                over_project.extend(outcome.undecided_exceptions)
            else:
                self._exception_unknowns(outcome)
        if not over_project:
            return
        exc_ids = tuple(dict.fromkeys(over_project))
        walked = self._exceptions_walked
        walked.update((exc_id, None) for exc_id in exc_ids)
        fast = self._runtime
        reads: Reads | None = fast.declared.get(("exception unknowns", exc_ids))
        if reads is None:
            if len(fast.declared) >= fast.MAX_SHARED:
                self._work_out_exception_unknowns(exc_ids, self)
                return
            reads = fast.declared[("exception unknowns", exc_ids)] = Reads(
                f"exception unknowns:{exc_ids!r}", env=tuple(sorted({name for exc_id in exc_ids
                                                        for name in self.c.by_id[exc_id].symbols})))
        self._memo(reads, functools.partial(self._work_out_exception_unknowns, exc_ids))

    def _exception_unknowns(self, outcome: Outcome) -> None:
        for exc_id in outcome.undecided_exceptions:
            # an exception undecided for several rules (Art. 15's grounds share one) is walked once
            key = (exc_id, outcome.item)
            if key in self._exceptions_walked:
                continue
            self._exceptions_walked.add(key)
            compiled = self.c.by_id[exc_id]
            for name in compiled.condition.unknowns(self._env_of(outcome)):
                note_missing(self.missing, name, (exc_id,))

    def _work_out_exception_unknowns(self, exc_ids: tuple[str, ...], given: DeclaredInputs | RuleSteps) -> None:
        """Record the unknown facts that keep the exceptions ``exc_ids`` undecided on ``given.env``."""
        for exc_id in exc_ids:
            for name in self.c.by_id[exc_id].condition.unknowns(given.env):
                note_missing(self.missing, name, (exc_id,))


def rule_value(compiled: CompiledRule, by_id: Mapping[str, CompiledRule], env: Mapping[str, Any]
               ) -> tuple[Tri, Tri, tuple[str, ...], tuple[str, ...]]:
    """A rule on ``env`` with its exceptions: (condition, effective, defeated by, undecided exceptions)."""
    value = compiled.condition.fn(env)
    defeated: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()
    if value is False:
        return value, value, defeated, undecided
    for exc_id in compiled.rule.unless:
        exc = by_id.get(exc_id)
        if exc is None:
            continue
        exc_value = exc.condition.fn(env)
        if exc_value is True:
            defeated += (exc_id,)
        elif exc_value is None:
            undecided += (exc_id,)
    effective = False if defeated else None if undecided else value
    return value, effective, defeated, undecided


def _jsonable(value: Any) -> Any:
    if value is None or value is True or value is False or type(value) is str:
        return value
    if value is NOT_YET:
        return "not_yet"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value
