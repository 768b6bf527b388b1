"""Classification of a region analysis: every combination of cells decided, gapped, declared, overlapping or
open, and the raw findings (gaps, overlaps, non-monotone amounts, decisions that knowing more changes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from govrules.analysis.region_oracle import AnalysisOracle
from govrules.analysis.region_space import AnalysisResult, RawFinding
from govrules.analysis.space import (
    RANK_CHANGE,
    RANK_ROUTE,
)


class Classification(AnalysisOracle):
    """Each combination classified, and the raw findings it yields."""

    def run(self) -> None:
        if not self.rules:
            return
        for tup in self.space():
            env = self.env(self.dims, tup)
            if not self.feasible(env) or self.scope(env) in ("out_of_scope", "exempt"):
                self.dontcare.add(tup)
                continue
            self.results[tup] = self.decide(env)

    def raw_findings(self) -> list[RawFinding]:
        groups: dict[tuple[Any, ...], RawFinding] = {}

        def add(code: str, key: tuple[Any, ...], rules: tuple[str, ...], tup: tuple[int, ...],
                **detail: Any) -> None:
            raw = groups.setdefault((code, *key), RawFinding(code, key, rules, set(), dict(detail)))
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

