"""Memo keys derived from what a memoised part of a verdict declares it reads.

A pack's verdicts reuse what they have in common (:class:`~govrules.engine.codegen.PackRuntime`):
a route worked out once for a set of route outcomes, an obligation once for the dates it reads, the
presumptions' bookkeeping once for the facts it depends on. Each such part declares its inputs as a
:class:`Reads`, and its memo key is made from that declaration alone (:meth:`Reads.key`): the part
is handed its declared inputs alone (:class:`DeclaredInputs`): under the test suite, reading anything
else raises (:data:`CHECK_READS`), and ``tests/test_memo.py`` changes each declared input of each part
and compares the memo with the part worked out afresh.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from govrules.engine.combine import Outcome
from govrules.models.pack import ForEach


class MemoInputs(Protocol):
    """What a memoised part may read of one evaluation (the evaluator provides it)."""

    @property
    def env(self) -> Mapping[str, Any]:
        """The project's environment."""

    @property
    def item_envs(self) -> Mapping[ForEach, list[dict[str, Any]]]:
        """The item environments by kind."""

    @property
    def params(self) -> Mapping[str, Any]:
        """The parameter values."""

    @property
    def as_of(self) -> dt.date:
        """The evaluation date."""

    @property
    def calendar(self) -> Any:
        """The working-day calendar."""

    @property
    def presumed(self) -> Sequence[str]:
        """The facts presumed, in the pack's order."""

    @property
    def outcomes(self) -> Mapping[str, list[Outcome]]:
        """The rule outcomes by kind."""

    def env_of(self, outcome: Outcome) -> Mapping[str, Any]:
        """The environment ``outcome``'s rule was evaluated on."""

    def signature(self, kind: str) -> Any:
        """What identifies :func:`outcome_signature` of the outcomes of ``kind``: it, a token standing
        for it one to one, or — when every one is an outcome over the project the pack's generated
        function shares — a tuple of their identities (ints), which stand for their signatures."""


_SIGNATURE = operator.attrgetter("compiled.index", "item", "condition", "effective", "defeated_by",
                                 "undecided_exceptions")


def outcome_signature(outcomes: Sequence[Outcome]) -> tuple[tuple[Any, ...], ...]:
    """Everything a combining step can read of ``outcomes``: per outcome its rule (pack index), item,
    condition, effective value and the exceptions that defeated it or are undecided."""
    return tuple(map(_SIGNATURE, outcomes))


def _over_project(signature: Any) -> bool:
    """Whether a signature names outcomes all over the project: none, or shared outcomes of the
    generated function by identity (a tuple of ints; see ``EvaluationState.signature``)."""
    return type(signature) is tuple and (not signature or type(signature[0]) is int)


@dataclass(frozen=True, slots=True)
class Reads:
    """The declared inputs of one memoised part of a verdict.

    ``env``: names of the project's environment; ``items``: names of each item environment of a kind
    (one tuple of values per item); ``parameters``: parameter values; ``outcomes``: the rule kinds
    whose outcomes it combines (see :func:`outcome_signature`); ``outcome_env``: per rule (pack
    index), the names read in the environment each of its outcomes (of the ``outcomes`` kinds) was
    evaluated on — an item's, or the strict one a presumption was held back on; ``as_of``,
    ``calendar``, ``presumed`` (the facts presumed, in order): whether it reads those.
    """

    part: str
    env: tuple[str, ...] = ()
    items: tuple[tuple[ForEach, tuple[str, ...]], ...] = ()
    parameters: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    outcome_env: tuple[tuple[int, tuple[str, ...]], ...] = ()
    as_of: bool = False
    calendar: bool = False
    presumed: bool = False
    #: ``outcome_env`` as a mapping, and every name it holds (read once in the project's environment
    #: for the outcomes evaluated on it), made once
    _by_rule: dict[int, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _all_outcome_names: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_rule.update(self.outcome_env)
        self._all_outcome_names.extend(sorted({name for _, names in self.outcome_env for name in names}))

    def key(self, source: MemoInputs, env: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """The memo key: the part's name and the value of every input it declares, nothing else.
        ``env``: the environment ``env`` names are read in (default: the project's)."""
        parts: list[Any] = [self.part]
        if self.env:
            parts.append(tuple(map((source.env if env is None else env).get, self.env)))
        for kind, names in self.items:
            parts.append(tuple(tuple(map(item.get, names)) for item in source.item_envs.get(kind, ())))
        if self.parameters:
            parts.append(tuple(map(source.params.get, self.parameters)))
        if self.outcomes:
            signatures = list(map(source.signature, self.outcomes))
            parts.extend(signatures)
            if self.outcome_env:
                # the outcomes over the project (most) read the project's environment: its values once;
                # each other outcome (over an item, or held back) its own, by position among the
                # outcomes of the kinds not all over the project
                parts.append(tuple(map(source.env.get, self._all_outcome_names)))
                outcomes = source.outcomes
                own = [o for rule_kind, signature in zip(self.outcomes, signatures, strict=True)
                       if not _over_project(signature) for o in outcomes.get(rule_kind, ())]
                if own and any(o.env is not None for o in own):
                    reads = self._by_rule
                    parts.append(tuple((position, tuple(map(o.env.get, reads.get(o.compiled.index, ()))))
                                       for position, o in enumerate(own) if o.env is not None))
        if self.as_of:
            parts.append(source.as_of)
        if self.calendar:
            parts.append(source.calendar)
        if self.presumed:
            parts.append(tuple(source.presumed))
        return tuple(parts)

    @classmethod
    def union(cls, part: str, parts: Sequence[Reads]) -> Reads:
        """What ``parts`` read together: a part made of them (whose work hands each of them its own
        view) is keyed on every input one of them declares."""
        def merged(values: Any) -> tuple[Any, ...]:
            return tuple(dict.fromkeys(v for p in parts for v in values(p)))

        items: dict[ForEach, dict[str, None]] = {}
        for p in parts:
            for kind, names in p.items:
                items.setdefault(kind, {}).update(dict.fromkeys(names))
        outcome_env: dict[int, dict[str, None]] = {}
        for p in parts:
            for index, names in p.outcome_env:
                outcome_env.setdefault(index, {}).update(dict.fromkeys(names))
        return cls(part, env=merged(lambda p: p.env), items=tuple((k, tuple(n)) for k, n in items.items()),
                   parameters=merged(lambda p: p.parameters), outcomes=merged(lambda p: p.outcomes),
                   outcome_env=tuple((i, tuple(n)) for i, n in outcome_env.items()),
                   as_of=any(p.as_of for p in parts), calendar=any(p.calendar for p in parts),
                   presumed=any(p.presumed for p in parts))

    def view(self, source: MemoInputs, env: Mapping[str, Any] | None = None) -> DeclaredInputs:
        """``source`` restricted to what this part declares: what its work is handed (``env`` as for
        :meth:`key`)."""
        return DeclaredInputs(self, source, env)


#: Whether a part's work sees its inputs through mappings that raise on an undeclared name. Off for
#: speed (a lookup through them costs ~6× a dict's, on every memo miss); the test suite turns it on
#: for every test (tests/conftest.py), so a part reading something it does not declare fails there.
CHECK_READS = False


class DeclaredInputs:
    """An evaluation seen through a part's :class:`Reads`: what it declares, and (with
    :data:`CHECK_READS`) reading anything else raises :class:`UndeclaredRead` (a bug in the
    declaration, never the user's input). The rule kinds, ``as_of``, the calendar and the facts
    presumed are checked always."""

    __slots__ = ("_check_reads", "_reads", "_source", "env", "item_envs", "outcomes", "params")

    def __init__(self, reads: Reads, source: MemoInputs, env: Mapping[str, Any] | None = None) -> None:
        self._reads = reads
        self._source = source
        self._check_reads = check = CHECK_READS
        env = source.env if env is None else env
        self.env: Mapping[str, Any] = _Restricted(env, frozenset(reads.env), reads.part, "env") if check else env
        self.item_envs: dict[ForEach, list[Mapping[str, Any]]] = {
            kind: [_Restricted(e, frozenset(names), reads.part, f"items.{kind.value}") for e in
                   source.item_envs.get(kind, ())] if check else list(source.item_envs.get(kind, ()))
            for kind, names in reads.items}
        self.params: Mapping[str, Any] = (_Restricted(source.params, frozenset(reads.parameters), reads.part,
                                                      "parameters") if check else source.params)
        self.outcomes: dict[str, list[Outcome]] = {kind: source.outcomes.get(kind, []) for kind in reads.outcomes}

    @property
    def as_of(self) -> dt.date:
        """The evaluation date, if declared."""
        self._check(self._reads.as_of, "as_of")
        return self._source.as_of

    @property
    def calendar(self) -> Any:
        """The working-day calendar, if declared."""
        self._check(self._reads.calendar, "calendar")
        return self._source.calendar

    @property
    def presumed(self) -> Sequence[str]:
        """The facts presumed, if declared."""
        self._check(self._reads.presumed, "presumed")
        return self._source.presumed

    def env_of(self, outcome: Outcome) -> Mapping[str, Any]:
        """The environment ``outcome``'s rule was evaluated on, restricted to the names declared for it."""
        if not self._check_reads:
            return self._source.env_of(outcome)
        names = self._reads._by_rule.get(outcome.compiled.index, ())
        return _Restricted(self._source.env_of(outcome), frozenset(names), self._reads.part,
                           f"outcome_env.{outcome.compiled.rule.id}")

    def restricted(self, env: Mapping[str, Any]) -> Mapping[str, Any]:
        """``env`` (an environment the part builds, e.g. with a fact made unknown) restricted to the
        ``env`` names declared and, for a part over items, the item names."""
        if not self._check_reads:
            return env
        names = frozenset(self._reads.env).union(*(names for _, names in self._reads.items))
        return _Restricted(env, names, self._reads.part, "env")

    def _check(self, declared: bool, what: str) -> None:
        if not declared:
            raise UndeclaredRead(f"{self._reads.part} reads {what} without declaring it")


class UndeclaredRead(KeyError):
    """A memoised part read an input its :class:`Reads` does not declare."""


class _Restricted(Mapping[str, Any]):
    __slots__ = ("_data", "_names", "_part", "_where")

    def __init__(self, data: Mapping[str, Any], names: frozenset[str], part: str, where: str) -> None:
        self._data, self._names, self._part, self._where = data, names, part, where

    def __getitem__(self, name: str) -> Any:
        if name not in self._names:
            raise UndeclaredRead(f"{self._part} reads {self._where}.{name} without declaring it")
        return self._data[name]

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self._names:
            raise UndeclaredRead(f"{self._part} reads {self._where}.{name} without declaring it")
        return self._data.get(name, default)

    def __iter__(self) -> Any:
        raise UndeclaredRead(f"{self._part} iterates over {self._where}")

    def __len__(self) -> int:
        raise UndeclaredRead(f"{self._part} takes the size of {self._where}")
