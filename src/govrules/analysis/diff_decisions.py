"""Where two packs decide a covered project differently: routes and change procedures."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from govrules.analysis.diff_space import (
    OUT_OF_SCOPE,
    TIED,
    Candidate,
    DiffBase,
    Difference,
    JointAnalysis,
    Part,
    canon,
    differs_from,
    joint_env,
    pack_outcome,
    pairs,
    search_joint,
)


class DecisionDiff(DiffBase):
    """Differences of route and change decisions, region by region."""

    def _decisions(self, kind: Literal["route", "change"]) -> list[Difference]:
        names = [m.decision_names[kind] for m in self.members]
        joint = bool(set(names[0]) & set(names[1])) or any(g & set(names[0]) and g & set(names[1]) for g in TIED)
        layout: list[tuple[int, ...]] = [(0, 1)] if joint else [(0,), (1,)]
        runs: list[list[Part]] = [[] for _ in layout]
        witnesses: list[JointAnalysis] = []
        for scenario in self.scenarios:
            analyses = self._analyses(kind, scenario)
            parts = []
            for slot, packs in enumerate(layout):
                host = JointAnalysis(self, scenario, kind, self.srcs[packs[0]])
                host.dims = host.build(canon(n for i in packs for n in names[i]))
                host.use_timing(host.dims)
                part = Part(host, packs, analyses)
                taken = {d.var for d in host.dims}
                for i in packs:
                    part.sides[i] = host.build([n for n in self.members[i].scope_names if n not in taken])
                self._enumerate(part)
                self._note_exactness(host, host.dims, packs)
                for i in packs:
                    if kind == "route" and any(r.rule.for_each for r in analyses[i].rules):
                        self.reasons.add(f"route rules of {self.ids[i]} range over items: evaluated on one item")
                        host.exact = False
                runs[slot].append(part)
                parts.append(part)
            witness = JointAnalysis(self, scenario, kind, self.srcs[0])
            witness.dims = [d for part in parts for d in part.host.dims]
            witness.use_timing(witness.dims)
            decided = {d.var for d in witness.dims}
            witness.side_dims = witness.build(canon(n for m in self.members for n in m.scope_names
                                                     if n not in decided))
            witnesses.append(witness)
            self._count_decisions(kind, parts)
        if joint:
            found = self._candidates(runs[0], lambda key: key[0] != key[1])
            return self._limit([d for c in found if (d := self._decision_difference(kind, runs, witnesses, [c]))])
        keys = [{key[0] for part in runs[slot] for key in part.groups} for slot in (0, 1)]
        halves = [self._candidates(runs[slot], differs_from(keys[1 - slot])) for slot in (0, 1)]
        differences = []
        for a, b in itertools.product(*halves):
            if a.key[0] == b.key[0] or not set(a.covered) & set(b.covered):
                continue
            difference = self._decision_difference(kind, runs, witnesses, [a, b])
            if difference is not None:
                differences.append(difference)
        return self._limit(differences)

    def _enumerate(self, part: Part) -> None:
        host = part.host
        cache: dict[tuple[Any, ...], bool] = {}
        for i in part.packs:  # each pack's change timing over the joint cells, as the joint example takes them
            part.analyses[i].use_timing(host.dims, cells_only=True)
        for tup in host.space():
            envs = {i: joint_env(part.analyses[i], host.dims, tup) for i in part.packs}
            if host.timing and host.timing_dates(host.env(host.dims, tup)) is None:
                host.dontcare.add(tup)
                continue
            if not all(part.analyses[i].feasible(envs[i]) for i in part.packs) or not all(
                    self._possible(part, i, envs[i], cache) for i in part.packs):
                host.dontcare.add(tup)
                continue
            self._record(part, tup, tuple(pack_outcome(part.analyses[i].decide(envs[i])) for i in part.packs))

    def _possible(self, part: Part, i: int, env: Mapping[str, Any], cache: dict[tuple[Any, ...], bool]) -> bool:
        """Whether some values of the facts only pack ``i``'s scope reads put the combination in its scope."""
        key = (i, *(env.get(n) for n in self.members[i].scope_vars))
        if key not in cache:
            analysis = part.analyses[i]
            status = analysis.scope(env)
            if status in OUT_OF_SCOPE:
                cache[key] = False
            elif status == "in_scope":
                cache[key] = True
            else:
                cache[key] = search_joint([analysis], [env], part.sides[i], [True]) is not None
        return cache[key]

    def _count_decisions(self, kind: str, parts: list[Part]) -> None:
        if len(parts) == 1:
            self._count(kind, parts[0].same, parts[0].total)
            return
        a, b = parts
        same = sum(len(cases) * len(b.groups.get(key, ())) for key, cases in a.groups.items())
        self._count(kind, same, len(a.outcomes) * len(b.outcomes))

    def _decision_difference(self, kind: Literal["route", "change"], runs: list[list[Part]],
                             witnesses: list[JointAnalysis], found: list[Candidate]) -> Difference | None:
        common = set(found[0].covered)
        for candidate in found[1:]:
            common &= set(candidate.covered)
        index = min(common)
        parts = [runs[slot][index] for slot in range(len(found))]
        cases = [c.covered[index] for c in found]
        witness = witnesses[index]
        if len(found) == 1:
            sides = self._sides(parts[0], cases[0])
            tuples: Iterator[tuple[int, ...]] = iter(sorted(cases[0]))
        else:
            sides = (self._sides(parts[0], cases[0])[0], self._sides(parts[1], cases[1])[0])
            tuples = (a + b for a, b in pairs(sorted(cases[0]), sorted(cases[1])))
        texts = [c.region for c in found if c.region != "every case"]
        region = ", ".join(texts) if texts else "every case"
        if kind == "change":
            region = "per change: " + region
        tup, completion, inside, conclusive = self._witness(witness, parts[0].analyses, tuples)
        if self.scopes_meet and conclusive and len(set(inside)) < len(set(self.ids)):
            # the measures' scopes meet elsewhere, but no project of this region is within both
            self.dropped.setdefault(kind, []).append(region)
            return None
        data = self._example_data(witness, witness.dims, tup, witness.side_dims, completion)
        scenario = self.scenarios[index]
        example = self._example_yaml(data, kind, region, sides, scenario, inside)
        exact = all(p.host.exact for p in parts)
        labels = self._scenario_labels(*found)
        return Difference(kind, region, sides[0], sides[1], example, self._parameters(scenario), labels, inside,
                          self.day, exact, data)

