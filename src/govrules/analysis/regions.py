"""Regions of a region analysis: combinations of cells merged into boxes named by their cut points, and
the complete :class:`RegionAnalysis` (space, oracle, classification, witnesses, regions)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from govrules.analysis.region_witness import WitnessSearch
from govrules.analysis.space import (
    Cell,
    Dimension,
    format_value,
)
from govrules.compile.compiler import NOT_YET


@dataclass(frozen=True)
class Spec:
    """A region in terms of names: per dimension a set of values or intervals between named cut points,
    plus clauses (alternatives over small independent groups of dimensions)."""

    parts: tuple[tuple[str, Any], ...]
    clauses: tuple[tuple[tuple[tuple[str, frozenset[Any]], ...], ...], ...]


def assemble(n: int, parts: Sequence[tuple[Sequence[int], Sequence[int]]]) -> tuple[int, ...]:
    full = [0] * n
    for idxs, values in parts:
        for i, v in zip(idxs, values, strict=True):
            full[i] = v
    return tuple(full)


def describe_dim(dim: Dimension, chosen: set[int]) -> str:
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
    texts = [describe_run(dim, dim.cells[a], dim.cells[b]) for a, b in runs]
    return " or ".join(texts)


def describe_run(dim: Dimension, first: Cell, last: Cell) -> str:
    v = dim.label
    sampled = " (sampled)" if first.sampled or last.sampled else ""
    if first is last and first.lo_closed and first.hi_closed and first.lo == first.hi:
        return f"{v} = {first.lo_label}{sampled}"
    if last.hi is NOT_YET and first.lo is not NOT_YET:
        lower = f"{v} {'>=' if first.lo_closed else '>'} {first.lo_label}" if first.lo_label else ""
        return (f"{lower} or not yet" if lower else f"{v}: any date or not yet") + sampled
    if first.lo_label is None and last.hi is None:
        return f"{v}: any date (not 'not yet'){sampled}"
    if first.lo_label is None:
        return f"{v} {'<=' if last.hi_closed else '<'} {last.hi_label}{sampled}"
    if last.hi is None:
        return f"{v} {'>=' if first.lo_closed else '>'} {first.lo_label}{sampled}"
    return (f"{v} in {'[' if first.lo_closed else '('}{first.lo_label}, {last.hi_label}"
            f"{']' if last.hi_closed else ')'}{sampled}")


class RegionAnalysis(WitnessSearch):
    """Route rules (``kind='route'``) or change rules (``kind='change'``) under one scenario: the space
    of cells, what the rules decide on each, the findings, witnesses and regions."""

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
        # what each group's boxes cover, once covered: a group grows only where it fits with every value the
        # groups covered before it may take (and the others' own values), so the regions' product stays
        # within the combinations described (or impossible)
        covered = [set(p) for p in projections]

        def ok_for(k: int) -> Callable[[tuple[int, ...]], bool]:
            others = [j for j in range(len(groups)) if j != k]
            cache: dict[tuple[int, ...], bool] = {}

            def ok(sub: tuple[int, ...]) -> bool:
                if sub in projections[k]:
                    return True
                if sub not in cache:
                    cache[sub] = all(
                        assemble(len(self.dims), [(groups[k], sub)] + [(groups[j], c[m]) for m, j in
                                                                       enumerate(others)]) in allowed
                        for c in itertools.product(*(sorted(covered[j]) for j in others)))
                return cache[sub]

            return ok

        clauses: list[tuple[int, str]] = []  # (position, text)
        clause_specs = []
        for k, block in enumerate(blocks):
            boxes_k, _ = self._cover(block, projections[k], ok_for(k), 10**6)
            covered[k] = {sub for box, _ in boxes_k for sub in itertools.product(*box)}
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
            positioned = [(i, describe_dim(self.dims[i], chosen)) for i, chosen in zip(rest, box, strict=True)]
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
                if all(assemble(n, list(zip([*groups, rest], combo, strict=True))) in allowed
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
        cells = dim.cells
        # a run of dates open above ends before "not yet" (the last cell of a date dimension)
        return dim.key, tuple((cells[a].lo_label, cells[a].lo_closed,
                               "not yet" if dim.kind == "date" and cells[b].hi is None else cells[b].hi_label,
                               cells[b].hi_closed) for a, b in runs)

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
        parts = [describe_dim(self.dims[i], chosen) for i, chosen in zip(idxs, box, strict=True)]
        return ", ".join(p for p in parts if p)

