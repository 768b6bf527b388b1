"""Whole compact verdicts reused across projects no rule of the pack can tell apart.

A project register holds level, execution, category, budget and funding, and little else; its
records differ mostly in their amounts. Every rule reads an amount only by comparing it with a
threshold (``budget >= construction_approval_threshold``, ``procurement_budget < 1000000``): two
records whose amounts fall on the same side of, or on, every threshold the pack compares them with
get the same verdict (the compact verdict holds no amount). :class:`VerdictKeys` makes that the key of
a per-pack memo of compact verdicts: every value of the environment as it is, except each amount read
only in such comparisons, which is replaced by its place among the thresholds (the band), and an
amount no condition reads by whether it is known. A verdict not yet in the memo is worked out with
each banded amount replaced by one its whole band shares (:meth:`VerdictKeys.representatives`), so
that the parts of it memoised on the values they read serve the band's other projects as well.

Sound only while the verdict reads an amount through the pack's conditions alone: the engine reads
by name only the counts and years :func:`read_by_name` lists (kept exact), and the projects keyed
have no changes, systems or budget lines (whose items the engine reads apart from the
environment). ``tests/test_verdict_memo.py`` compares memoised verdicts with verdicts worked out
afresh, at and around every threshold.
"""

from __future__ import annotations

import operator
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from govrules.compile.compiler import CompiledPack, Lowered
from govrules.models.project import Project
from govrules.models.verdict import Verdict

#: the comparisons a band decides: with its place among the thresholds (and whether it is one), an
#: amount compares with each threshold as itself
_COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})
_ONE = Decimal(1)


def read_by_name(compiled: CompiledPack) -> frozenset[str]:
    """The environment names the engine reads itself, not only through a condition: the counts of
    changes and systems, and the symbols obligations take their deadline's year from."""
    names = {"change_count", "system_count"}
    for rule in compiled.pack.rules:
        deadline = getattr(rule, "deadline", None)
        if deadline is not None and deadline.year_from is not None:
            names.add(deadline.year_from)
    return frozenset(names)


def _conditions(compiled: CompiledPack) -> Iterator[Lowered]:
    """Every condition the engine may evaluate on a project's environment: each rule's (every
    reading's) and its ``met_when``, and each inference's."""
    for rule in compiled.all_rules:
        yield rule.condition
        if rule.met is not None:
            yield rule.met
    for when, false_when, _fact in compiled.inferences.values():
        yield when
        if false_when is not None:
            yield false_when


def band_thresholds(compiled: CompiledPack) -> dict[str, tuple[Lowered, ...]]:
    """Each name read only as one side of a comparison whose other side is constant for a setting
    (literals and parameters): the expressions it is compared with. ``name ?? literal`` counts as the
    name (the literal is then compared as itself). A name read in any other way is left out."""
    parameters = {p.name for p in compiled.pack.parameters}
    compared: dict[str, list[Lowered]] = {}
    elsewhere: set[str] = set()

    def passes_through(node: Lowered) -> str | None:
        if node.op == "sym":
            return node.symbol
        if node.op == "coalesce" and node.children[1].literal:
            return passes_through(node.children[0])
        return None

    def constant(node: Lowered) -> bool:
        if node.literal:
            return True
        if node.op == "sym":
            return node.symbol in parameters
        return node.op in ("arith", "neg") and all(constant(child) for child in node.children)

    def walk(node: Lowered) -> None:
        if node.op == "cmp" and node.arg in _COMPARISONS:
            left, right = node.children
            for side, other in ((left, right), (right, left)):
                name = passes_through(side)
                if name is not None and constant(other):
                    compared.setdefault(name, []).append(other)
                else:
                    walk(side)
            return
        if node.symbol is not None:
            elsewhere.add(node.symbol)
            return
        for child in node.children:
            walk(child)

    for condition in _conditions(compiled):
        walk(condition)
    return {name: tuple(found) for name, found in compared.items() if name not in elsewhere}


class VerdictKeys:
    """The memo key of a compact verdict of one pack (see the module's docstring)."""

    def __init__(self, compiled: CompiledPack) -> None:
        self._compiled = compiled
        self._exact = read_by_name(compiled) | {p.name for p in compiled.pack.parameters}
        self._compared = band_thresholds(compiled)
        read: set[str] = set()
        for condition in _conditions(compiled):
            read |= condition.symbols()
        self._read = frozenset(read)
        #: the environment's names, in order, once a keyed project has been seen
        self._names: tuple[str, ...] | None = None
        self._values: Callable[[Mapping[str, Any]], tuple[Any, ...]] = lambda env: ()
        #: (position among the names, name) of each amount keyed by its band
        self._banded: tuple[tuple[int, str], ...] = ()
        #: setting → each banded name's thresholds, sorted (None: not all of them amounts)
        self._thresholds: dict[Hashable, tuple[tuple[Decimal, ...] | None, ...]] = {}

    def key(self, project: Project, env: Mapping[str, Any], setting: Hashable, extra: tuple[Any, ...]
            ) -> tuple[Any, ...] | None:
        """The key of the compact verdict of ``project`` (``env`` its environment, presumptions
        applied), under ``setting`` (the evaluation date, parameters and whether historical) and
        ``extra`` (everything else the evaluation was given: strictness, calendar, warnings so far, the
        facts presumed); None
        when the verdict is not to be reused: a project with items (facts the pack does not read are
        not in ``env``: they change nothing)."""
        if project.changes or project.systems or project.budget_lines:
            return None
        names = self._names
        if names is None:
            names = self._adopt(env)
        if len(env) != len(names):
            return None
        try:
            values = list(self._values(env))
        except KeyError:
            return None
        thresholds = self._thresholds.get(setting)
        if thresholds is None:
            thresholds = self._thresholds[setting] = tuple(self._sorted_thresholds(name, env)
                                                           for _, name in self._banded)
        for (position, _name), among in zip(self._banded, thresholds, strict=True):
            values[position] = _band(values[position], among)
        return (setting, extra, *values)

    def representatives(self, key: tuple[Any, ...]) -> list[tuple[str, Any]]:
        """Each banded amount of ``key`` (known, and among amount thresholds) and an amount of the same band
        that every project of the band shares: the verdict, the same for all of them, is worked out on
        those, so that the memoised parts of a verdict (keyed on the values they read) serve the
        other projects of the band too."""
        setting = key[0]
        thresholds = self._thresholds[setting]
        found = []
        for (position, name), among in zip(self._banded, thresholds, strict=True):
            band = key[2 + position]
            if type(band) is not int or among is None:
                continue
            place, on = divmod(band, 2)
            if on:
                value = among[place]
            elif not among:
                value = _ONE
            elif place == 0:
                value = among[0] - _ONE
            elif place == len(among):
                value = among[-1] + _ONE
            else:
                value = (among[place - 1] + among[place]) / 2
            found.append((name, value))
        return found

    def _adopt(self, env: Mapping[str, Any]) -> tuple[str, ...]:
        names = self._names = tuple(env)
        self._values = operator.itemgetter(*names) if len(names) > 1 else lambda env: tuple(env[n] for n in names)
        self._banded = tuple((position, name) for position, name in enumerate(names)
                             if name not in self._exact and (name in self._compared or name not in self._read))
        return names

    def _sorted_thresholds(self, name: str, env: Mapping[str, Any]) -> tuple[Decimal, ...] | None:
        found = set()
        for expression in self._compared.get(name, ()):
            value = expression.fn(env)  # literals and parameters: the same for every project of the setting
            if value is None:
                continue
            if type(value) is bool or not isinstance(value, (Decimal, int)):
                return None
            found.add(Decimal(value))
        return tuple(sorted(found))


def _band(value: Any, thresholds: tuple[Decimal, ...] | None) -> Any:
    """An amount's place among ``thresholds``: 2 × how many lie below it, plus 1 when it is one of
    them; None when unknown; anything else (or with no amount thresholds) as itself, in a tuple."""
    if value is None:
        return None
    if thresholds is None or type(value) is not Decimal or not value.is_finite():
        return ("=", value)
    place = bisect_left(thresholds, value)
    return 2 * place + (place < len(thresholds) and thresholds[place] == value)


class VerdictMemo:
    """A pack's memo of compact verdicts (see the module's docstring), bounded by how much it serves.

    It holds at most :attr:`room` verdicts and is emptied when full. Thousands of verdicts kept and
    never hit (varied, mostly known projects) slow every verdict by ~10% through the memory they hold;
    so the memo starts at :data:`START_ROOM`, and each time it is emptied its room for the next round
    doubles (up to :data:`MAX_ROOM`) if at least a quarter of the round's verdicts were hits, and
    halves (down to :data:`MIN_ROOM`) otherwise. Keying itself (the key, the representative amounts)
    costs a varied run a few per cent: a round at the smallest room with hits for fewer than one in 32
    of its verdicts makes the memo rest for :data:`REST` verdicts, worked out without a key, before it
    tries again.
    """

    MAX_ROOM = 4_096
    MIN_ROOM = 256
    #: the room of the first round: a register's bands fit (Chuxiong's: ~530 over 10,000 records)
    START_ROOM = 1_024
    #: verdicts worked out without a key after a round at the smallest room served too few
    REST = 4_096

    def __init__(self, compiled: CompiledPack) -> None:
        self._compiled = compiled
        self._keys: VerdictKeys | None = None
        self.verdicts: dict[tuple[Any, ...], Verdict] = {}
        self.room = self.START_ROOM
        #: verdicts worked out and kept since the memo was made or cleared
        self.misses = 0
        self._hits = 0
        self._resting = 0

    def wanted(self) -> bool:
        """Whether to key the next verdict: not while the memo rests (see :meth:`keep`)."""
        if self._resting:
            self._resting -= 1
            return False
        return True

    @property
    def keys(self) -> VerdictKeys:
        """How the pack's verdicts are keyed (made on first use)."""
        if self._keys is None:
            self._keys = VerdictKeys(self._compiled)
        return self._keys

    def get(self, key: tuple[Any, ...]) -> Verdict | None:
        """The verdict kept for ``key``, or None (raises TypeError for a key holding an unhashable value)."""
        found = self.verdicts.get(key)
        if found is not None:
            self._hits += 1
        return found

    def keep(self, key: tuple[Any, ...], verdict: Verdict) -> None:
        """Keep ``verdict`` for ``key``; a full memo is emptied first, and its room set for the next round."""
        verdicts = self.verdicts
        if len(verdicts) >= self.room:
            served = self._hits >= self.room // 4
            if self._hits < self.room // 32 and self.room == self.MIN_ROOM:
                self._resting = self.REST  # keying costs what it does not serve: try again later
            self.room = min(self.MAX_ROOM, self.room * 2) if served else max(self.MIN_ROOM, self.room // 2)
            self._hits = 0
            verdicts.clear()
        verdicts[key] = verdict
        self.misses += 1

    def clear(self) -> None:
        """Forget every verdict kept, and the counts."""
        self.verdicts.clear()
        self.room = self.START_ROOM
        self.misses = self._hits = self._resting = 0
