"""Readings: the readings of ambiguous text a verdict relies on, each with the option taken and the
alternatives."""

from __future__ import annotations

from govrules.compile.compiler import CompiledRule
from govrules.engine.memo import DeclaredInputs, Reads
from govrules.engine.presumed import Presumptions
from govrules.engine.state import unvalidated
from govrules.models.pack import ForEach
from govrules.models.verdict import ReadingChoice, ReadingOut


class Readings(Presumptions):
    """Which readings of the pack a verdict relies on."""

    def _readings(self) -> list[ReadingOut]:
        """The readings the verdict relies on: those with a rule (of any option) that can matter for this
        project — its condition is not false and, for an exception, the condition of some rule it clears
        is not false either (an exception to grounds that are all absent changes no conclusion); each
        with the option taken and the alternatives."""
        reads = self._declared("readings", self._readings_read)
        return list(self._memo(reads, self._work_out_readings))

    def _reading_rules(self) -> dict[str, tuple[CompiledRule, ...]]:
        """Reading id → the rules of every option of it."""
        fast = self._runtime
        if fast.reading_rules is None:
            fast.reading_rules = {r.id: tuple(c for c in self.c.all_rules if r.id in (c.rule.reading or {}))
                                  for r in self.pack.readings}
        return fast.reading_rules

    def _cleared_by(self, exceptions: set[str]) -> dict[str, list[CompiledRule]]:
        """Exception id (of ``exceptions``) → the rules that name it under ``unless``."""
        found: dict[str, list[CompiledRule]] = {}
        for compiled in self.c.all_rules:
            for exc_id in compiled.rule.unless:
                if exc_id in exceptions:
                    found.setdefault(exc_id, []).append(compiled)
        return found

    def _reading_exceptions(self) -> set[str]:
        """The exception rules of the readings' options."""
        return {c.rule.id for rules in self._reading_rules().values() for c in rules if c.rule.kind == "exception"}

    def _readings_read(self) -> Reads:
        """What the readings read: what the rules of their options read, and what the rules their
        exceptions clear read, over the project or its items."""
        symbols: set[str] = set()
        item_symbols: dict[ForEach, set[str]] = {}
        cleared = self._cleared_by(self._reading_exceptions())
        for rules in self._reading_rules().values():
            for compiled in rules:
                for read in (compiled, *cleared.get(compiled.rule.id, ())):
                    for_each = read.rule.for_each
                    (symbols if for_each is None else item_symbols.setdefault(for_each, set())).update(read.symbols)
        return Reads("readings", env=tuple(sorted(symbols)),
                     items=tuple((kind, tuple(sorted(names))) for kind, names in sorted(item_symbols.items())))

    def _work_out_readings(self, given: DeclaredInputs) -> tuple[ReadingOut, ...]:
        fast = self._runtime
        reading_rules = self._reading_rules()
        cleared: dict[str, list[CompiledRule]] | None = None

        def possible(compiled: CompiledRule) -> bool:
            for_each = compiled.rule.for_each
            envs = [given.env] if for_each is None else given.item_envs.get(for_each) or []
            return any(compiled.condition.fn(e) is not False for e in envs)

        result = []
        for reading in self.pack.readings:
            relied = False
            for compiled in reading_rules[reading.id]:
                if not possible(compiled):
                    continue
                if compiled.rule.kind == "exception":
                    if cleared is None:
                        cleared = self._cleared_by(self._reading_exceptions())
                    # an exception matters only where a rule it clears may hold; one that clears no
                    # rule of the pack is kept as relied on, as before
                    clears = cleared.get(compiled.rule.id)
                    if clears and not any(possible(c) for c in clears):
                        continue
                relied = True
                break
            if not relied:
                continue
            chosen = self.c.choice[reading.id]
            key = ("reading", reading.id, chosen)
            found = fast.outputs.get(key)
            if found is None:
                option = reading.option(chosen)
                assert option is not None
                found = self._shared(
                    key, ReadingOut, id=reading.id, question=reading.question, option=chosen, text=option.text,
                    reason=option.reason, default=chosen == reading.default,
                    citation=self._cite_citation(reading.cite),
                    alternatives=tuple(unvalidated(ReadingChoice, option=o.id, text=o.text, reason=o.reason)
                                       for o in reading.options if o.id != chosen))
            result.append(found)
        return tuple(result)
