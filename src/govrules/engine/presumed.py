"""Presumptions: keeping a presumption from making a sanction apply, and the conclusions each
presumption decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govrules.compile.compiler import CompiledRule
from govrules.engine.combine import Outcome, Tri, note_missing
from govrules.engine.conclusions import ground_status
from govrules.engine.memo import DeclaredInputs, Reads
from govrules.engine.obligations import Obligations
from govrules.engine.rule_steps import rule_value
from govrules.models.pack import ForEach
from govrules.models.verdict import Assumption


class Presumptions(Obligations):
    """The bookkeeping of presumptions."""

    def _hold_back(self, outcomes: dict[str, list[Outcome]]) -> None:
        """Keep presumptions from making a ground, a consequence or an obligation apply.

        A presumption settles a procedure or clears a sanction; it is never evidence against the
        project. Each ground, consequence and obligation that holds (or an obligation found not met)
        and reads a presumed fact — in its condition, an exception or ``met_when`` — is evaluated
        again with the presumed facts unknown; where it then does not hold (or is not known to be
        unmet), that strict outcome is the one the verdict uses.
        """
        presumed = self.presumed
        fast = self._runtime
        strict_env: dict[str, Any] | None = None
        for kind in ("ground", "consequence", "obligation"):
            bucket = outcomes.get(kind)
            if not bucket:
                continue
            for position, o in enumerate(bucket):
                compiled = o.compiled
                if o.effective is not True:
                    continue
                if self._rule_reads(compiled).isdisjoint(presumed):
                    continue
                presumed_env = self._env_of(o)
                reads: Reads | None = fast.declared.get(("held", compiled.id))
                if reads is None:  # what holding a presumption back from the rule reads
                    reads = fast.declared[("held", compiled.id)] = Reads(
                        f"held:{compiled.id}", env=self._sorted_reads(compiled), presumed=True)
                key = reads.key(self, presumed_env)
                known = fast.held.get(key)
                if known is None:
                    known = self._work_out_held(compiled, reads.view(self, presumed_env), presumed_env)
                    if len(fast.held) < fast.MAX_SHARED:
                        fast.held[key] = known
                held, value, effective, defeated, undecided, unknown = known
                if not held:
                    continue
                if o.item is None:
                    if strict_env is None:
                        strict_env = {**self.env, **dict.fromkeys(presumed)}
                    env = strict_env
                else:
                    env = {**presumed_env, **dict.fromkeys(presumed)}
                bucket[position] = Outcome(compiled, o.item, env, value, effective, defeated, undecided)
                for name, rule_id in unknown:
                    note_missing(self.missing, name, (rule_id,))

    def _work_out_held(self, compiled: CompiledRule, given: DeclaredInputs, presumed_env: Mapping[str, Any]
                       ) -> tuple[Any, ...]:
        """Whether a presumption is held back from ``compiled`` (see :func:`held_back`), and its strict
        outcome: condition, effective, defeated by, undecided exceptions, and the unknown facts."""
        presumed_view = given.env
        env = given.restricted({**presumed_env, **dict.fromkeys(given.presumed)})
        value, effective, defeated, undecided = rule_value(compiled, self.c.by_id, env)
        held = held_back(compiled, effective, presumed_view, env)
        unknown: tuple[tuple[str, str], ...] = ()
        if held:
            found = [(n, compiled.id) for n in compiled.condition.unknowns(env)] if value is None else []
            for exc_id in undecided:
                found += [(n, exc_id) for n in self.c.by_id[exc_id].condition.unknowns(env)]
            unknown = tuple(found)
        return held, value, effective, defeated, undecided, unknown

    def _reads_any(self, compiled: CompiledRule, names: list[str]) -> bool:
        """Whether ``compiled`` reads any of ``names``: in its condition, an exception or ``met_when``."""
        return not self._rule_reads(compiled).isdisjoint(names)

    def _sorted_reads(self, compiled: CompiledRule) -> tuple[str, ...]:
        found: tuple[str, ...] | None = self._runtime.rule_reads_sorted.get(compiled.id)
        if found is None:
            found = self._runtime.rule_reads_sorted[compiled.id] = tuple(sorted(self._rule_reads(compiled)))
        return found

    def _rule_reads(self, compiled: CompiledRule) -> frozenset[str]:
        """What ``compiled`` reads: in its condition, its exceptions' and its ``met_when``."""
        reads: frozenset[str] | None = self._runtime.rule_reads.get(compiled.id)
        if reads is None:
            found = set(compiled.symbols)
            for exc_id in compiled.rule.unless:
                exc = self.c.by_id.get(exc_id)
                if exc is not None:
                    found |= exc.symbols
            if compiled.met is not None:
                found |= compiled.met.symbols()
            reads = self._runtime.rule_reads[compiled.id] = frozenset(found)
        return reads

    def _assumptions(self, outcomes: dict[str, list[Outcome]]) -> list[Assumption]:
        """The presumptions the verdict rests on, each with the conclusions it decides."""
        reads = self._declared("assumptions", self._assumptions_read)
        return list(self._memo(reads, self._work_out_assumptions))

    def _assumptions_read(self) -> Reads:
        """What the presumptions' bookkeeping reads: the facts presumed; for every fact the pack can
        presume, what the rules that read it read (in the project's environment and each item's),
        and the outcomes of the kinds those rules feed; and the number of changes."""
        readers = tuple(k for name in self.c.presumptions for k in self._readers(name))
        return self._reads_of_readers("assumptions", readers, presumed=True)

    def _work_out_assumptions(self, given: DeclaredInputs) -> tuple[Assumption, ...]:
        result = []
        for name in given.presumed:
            fact = self.c.presumptions[name]
            decides = self._decides(name, given)
            key = ("assumption", name, decides)
            result.append(self._shared(
                key, Assumption, fact=name, value=fact.presume, because=fact.because,
                citation=self._cite_citation(fact.citation) if fact.citation is not None else None,
                zh=presumed_phrase(fact), decides=decides))
        return tuple(result)

    def _readers(self, name: str) -> tuple[int, ...]:
        fast = self._runtime
        found: tuple[int, ...] | None = fast.readers.get(name)
        if found is None:
            plan = self.c.plan
            changing = {c.id for c in self.c.rules if name in c.symbols and c.rule.kind == "exception"}
            found = tuple(k for k, (compiled, _r, _kind, _id, _fe, unless, _keep) in enumerate(plan)
                          if name in compiled.symbols or any(e in changing for e, _ in unless)
                          or (compiled.met is not None and name in compiled.met.symbols()))
            fast.readers[name] = found
        return found

    def _decides(self, name: str, given: DeclaredInputs) -> tuple[str, ...]:
        """The conclusions that would not be what they are were ``name`` unknown (the other presumptions
        kept): each rule that reads it (directly, through an exception, or in ``met_when``) is evaluated
        again without it, and the conclusions those rules feed are combined again and compared.

        Worked out once per pack for each value of what it reads (:meth:`_decides_read`): a verdict
        whose assumptions as a whole are new still reuses those of its presumptions seen before."""
        readers = self._readers(name)
        if not readers:
            return ()
        fast = self._runtime
        reads: Reads | None = fast.declared.get(("decides", name))
        if reads is None:
            reads = fast.declared[("decides", name)] = self._decides_read(name, readers)
        key = reads.key(self)
        found: tuple[str, ...] | None = fast.decides.get(key)
        if found is None:
            found = self._work_out_decides(name, readers, reads.view(self))
            if len(fast.decides) < fast.MAX_SHARED:
                fast.decides[key] = found
        return found

    def _decides_read(self, name: str, readers: tuple[int, ...]) -> Reads:
        """What working out the conclusions ``name`` decides reads: what the rules that read it read (in
        the project's environment and each item's), the outcomes of the kinds they feed, and the
        number of changes."""
        return self._reads_of_readers(f"decides:{name}", readers)

    def _reads_of_readers(self, part: str, readers: tuple[int, ...], *, presumed: bool = False) -> Reads:
        """What the rules at plan positions ``readers`` read (in the project's environment and each
        item's), the outcomes of the kinds they feed, and the number of changes."""
        symbols: set[str] = {"change_count"}
        kinds: set[str] = set()
        item_kinds: set[ForEach] = set()
        for k in readers:
            compiled = self.c.plan[k][0]
            symbols |= self._rule_reads(compiled)
            kinds.add(compiled.rule.kind)
            if compiled.rule.for_each is not None:
                item_kinds.add(compiled.rule.for_each)
        if kinds & {"scope", "exemption"}:
            kinds |= {"scope", "exemption"}
        names = tuple(sorted(symbols))
        return Reads(part, env=names, items=tuple((kind, names) for kind in sorted(item_kinds)),
                     outcomes=tuple(sorted(kinds)), presumed=presumed)

    def _work_out_decides(self, name: str, readers: tuple[int, ...], given: DeclaredInputs) -> tuple[str, ...]:
        plan = self.c.plan
        outcomes = given.outcomes
        env = given.restricted({**self.env, name: None})
        item_envs = {kind: [given.restricted({**e, name: None}) for e in envs] for kind, envs in self._item_envs.items()
                     if any(plan[k][4] is kind for k in readers)}
        exceptions: dict[tuple[str, int | None], Tri] = {}

        def exception(exc_id: str, index: int | None, exc_env: Mapping[str, Any]) -> Tri:
            # an exception that does not read `name` gives what it gave in the verdict (pack validation
            # keeps an exception over items to rules over the same items)
            key = (exc_id, index)
            if key not in exceptions:
                exceptions[key] = self.c.by_id[exc_id].condition.fn(exc_env)
            return exceptions[key]

        replaced: dict[str, list[Outcome]] = {}
        changed_ids: set[str] = set()
        met_changed: set[tuple[str, int | None]] = set()
        for k in readers:
            compiled, _rule, kind, rule_id, for_each, unless, keep_false = plan[k]
            if kind == "exception":
                continue
            if for_each is None:
                pairs: list[tuple[int | None, Mapping[str, Any]]] = [(None, env)]
            else:
                pairs = list(enumerate(item_envs.get(for_each, ())))
            fresh: list[Outcome] = []
            for index, item_env in pairs:
                value = compiled.condition.fn(item_env)
                defeated: tuple[str, ...] = ()
                undecided: tuple[str, ...] = ()
                effective = value
                if value is not False:
                    for exc_id, exc_ranges in unless:
                        exc_value = exception(exc_id, index if exc_ranges else None, item_env)
                        if exc_value is True:
                            defeated += (exc_id,)
                        elif exc_value is None:
                            undecided += (exc_id,)
                    effective = False if defeated else None if undecided else value
                if effective is True and kind in ("ground", "consequence", "obligation"):
                    # what a presumption may not make apply stays as the verdict has it (see _hold_back)
                    original = next((o for o in outcomes.get(kind, ()) if o.compiled is compiled and o.item == index),
                                    None)
                    if original is not None and original.effective is not True:
                        fresh.append(original)
                        continue
                if value is not False or keep_false:
                    fresh.append(Outcome(compiled, index, None if index is None else item_env, value, effective,
                                         defeated, undecided))
                if compiled.met is not None and name in compiled.met.symbols():
                    before = compiled.met.fn(given.env if for_each is None or index is None
                                             else given.item_envs[for_each][index])
                    if compiled.met.fn(item_env) != before:
                        met_changed.add((rule_id, index))
            replaced[rule_id] = fresh
            changed_ids.add(rule_id)
        if not changed_ids:
            return ()
        kinds = {self.c.by_id[rule_id].rule.kind for rule_id in changed_ids}
        other: dict[str, list[Outcome]] = {}
        for kind in kinds | ({"scope", "exemption"} & kinds):
            kept = [o for o in outcomes.get(kind, []) if o.compiled.rule.id not in changed_ids]
            for rule_id, fresh in replaced.items():
                if self.c.by_id[rule_id].rule.kind == kind:
                    kept.extend(fresh)
            kept.sort(key=lambda o: (o.compiled.index, -1 if o.item is None else o.item))
            other[kind] = kept
        warnings, missing = self.warnings, self.missing
        self.warnings, self.missing = [], {}
        try:
            changes = int(given.env["change_count"])
            before = self._conclusions(outcomes, kinds, changes)
            after = self._conclusions({**outcomes, **other}, kinds, changes)
        finally:
            self.warnings, self.missing = warnings, missing
        decides = [c for c in before if before[c] != after.get(c)]
        decides += [c for c in after if c not in before]
        for rule_id, index in sorted(met_changed, key=lambda x: (x[0], -1 if x[1] is None else x[1])):
            label = f"obligation:{rule_id}" + ("" if index is None else f":{index}")
            if label not in decides:
                decides.append(label)
        return tuple(dict.fromkeys(decides))

    def _conclusions(self, outcomes: dict[str, list[Outcome]], kinds: set[str], changes: int) -> dict[str, Any]:
        """What ``outcomes`` conclude, for the conclusions rules of ``kinds`` feed: a name for each
        (``scope``, ``route``, ``ground:<id>``, ``change:<index>`` of ``changes``, …) and a value to
        compare."""
        found: dict[str, Any] = {}
        if kinds & {"scope", "exemption"}:
            found["scope"] = self._work_out_scope(outcomes.get("scope", []), outcomes.get("exemption", []))[0]
        if "route" in kinds:
            found["route"] = self._decide(outcomes.get("route", []))[0]
        if "change" in kinds:
            for index in range(changes):
                found[f"change:{index}"] = self._decide([o for o in outcomes.get("change", []) if o.item == index])[0]
        if "ground" in kinds:
            by_rule: dict[str, list[Outcome]] = {}
            for o in outcomes.get("ground", []):
                by_rule.setdefault(o.compiled.rule.id, []).append(o)
            for rule_id, results in by_rule.items():
                found[f"ground:{rule_id}"] = ground_status(results)
        for kind in ("obligation", "consequence"):
            if kind in kinds:
                for o in outcomes.get(kind, []):
                    if o.effective is not False:
                        found[f"{kind}:{o.compiled.rule.id}" + ("" if o.item is None else f":{o.item}")] = o.effective
        # an obligation or consequence that is unknown is a conclusion too (listed as unknown / possible), which
        # a presumption that clears it decides; a ground's status is never None
        return {name: value for name, value in found.items()
                if value is not None or name in ("scope", "route") or name.startswith(("obligation:", "consequence:"))}


def held_back(compiled: CompiledRule, strict_effective: Tri, presumed_env: Mapping[str, Any],
              strict_env: Mapping[str, Any]) -> bool:
    """Whether a ground, consequence or obligation that holds on ``presumed_env`` (presumptions in)
    is to be taken as it is on ``strict_env`` (presumed facts unknown), whose effective value is
    ``strict_effective``: when it does not hold there, or (an obligation) is found unmet only thanks
    to a presumption. What :meth:`_Evaluation._hold_back` applies and ``govrules check`` proves."""
    if strict_effective is not True:
        return True
    met = compiled.met
    return met is not None and met.fn(presumed_env) is False and met.fn(strict_env) is not False


def presumed_phrase(fact: Any) -> str:
    """The presumption in a few words (an assumption's ``zh``; the verdict's reference form derives it the
    same way): the pack's ``presumed_zh``, or the fact's meaning with the value."""
    if fact.presumed_zh:
        return str(fact.presumed_zh)
    if fact.presume is True:
        return str(fact.zh)
    if fact.presume is False:
        return f"并非{fact.zh}"
    return f"{fact.zh}为{fact.presume}"
