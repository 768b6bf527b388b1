"""Where two packs disagree on whether a project is covered: the scope tree of both measures."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from govrules.analysis.diff_space import (
    TIED,
    Candidate,
    DiffBase,
    Difference,
    JointAnalysis,
    Part,
    canon,
    exceptions_of,
    joint_env,
)
from govrules.analysis.space import Reader
from govrules.models.pack import ExceptionRule, ExemptionRule, ScopeRule


class ScopeDiff(DiffBase):
    """Differences of scope: where one measure covers a project and the other does not."""

    def _scope(self) -> list[Difference]:
        a_names, b_names = (m.scope_names for m in self.members)
        # scope rules and exemptions both packs have with the same condition (and parameter values) decide
        # every project alike: the facts only they read are left to each pack, like the facts one pack reads
        common = self._common_scope_rules()
        distinct = []
        for i, member in enumerate(self.members):
            reader = Reader(member.src)
            own = [r for r in member.src.rules if isinstance(r.rule, ScopeRule | ExemptionRule)
                   and r.id not in common[i]]
            reader.read(own + exceptions_of(member.src, own))
            distinct.append(set(canon(reader.vars)))
        shared = [n for n in a_names if n in b_names and (n in distinct[0] or n in distinct[1])]
        for group in TIED:
            if group & set(a_names) and group & set(b_names) and group & (distinct[0] | distinct[1]):
                shared += [n for n in [*a_names, *b_names] if n in group and n not in shared]
        if common[0] and self.ids[0] != self.ids[1]:
            self.notes.append("scope rules both measures have with the same condition, left out of the scope "
                              "regions: " + ", ".join(sorted(common[0])))
        # without `??`, three-valued evaluation is monotone: a status reached with facts unknown stays
        prune = not any("??" in r.rule.when for m in self.members for r in m.src.rules
                        if isinstance(r.rule, ScopeRule | ExemptionRule | ExceptionRule))
        runs: list[Part] = []
        for scenario in self.scenarios:
            analyses = self._analyses("route", scenario)
            host = JointAnalysis(self, scenario, "route", self.srcs[0])
            host.dims = host.build(shared)
            part = Part(host, (0, 1), analyses)
            for i in (0, 1):
                part.sides[i] = host.build([n for n in self.members[i].scope_names if n not in shared])
            size = 1
            for dim in host.dims:
                size *= len(dim.values)
            if prune and size <= self.max_combinations:
                part.pruned = True
                self._scope_tree(part, [])
            else:
                for tup in host.space():
                    self._scope_leaf(part, tup)
            self._note_exactness(host, [*host.dims, *part.sides[0], *part.sides[1]], (0, 1))
            runs.append(part)
            self._count("scope", part.same, part.total)
            self.scopes_meet = self.scopes_meet or ("in_scope", "in_scope") in part.seen
            self.scopes_may_meet = self.scopes_may_meet or ("open", "open") in part.seen
        differences = []
        for candidate in self._candidates(runs, lambda key: key[0] != key[1]):
            differences.append(self._scope_difference(runs, candidate))
        return self._limit(differences)

    def _scope_tree(self, part: Part, chosen: list[int]) -> None:
        """Enumerate the shared scope variables depth first; a subtree where both statuses are already
        decided (with the remaining variables unknown) is decided the same way throughout."""
        dims = part.host.dims
        depth = len(chosen)
        if depth == len(dims):
            self._scope_leaf(part, tuple(chosen))
            return
        groups = [d.group for d in dims]
        partial = frozenset(groups[depth:]) & frozenset(groups[:depth])
        envs = [joint_env(a, dims[:depth], chosen, partial) for a in part.analyses]
        outs = [self._reach(part, i, None, envs[i]) for i in (0, 1)]
        rest = [range(len(d.values)) for d in dims[depth:]]
        size = 1
        for r in rest:
            size *= len(r)
        if outs[0] is not None and outs[1] is not None:
            pair = (outs[0], outs[1])
            if pair[0].decision == pair[1].decision:
                part.same += size
                part.total += size
                part.seen.add((pair[0].decision, pair[1].decision))
                return
            for tail in itertools.product(*rest):
                tup = (*chosen, *tail)
                if part.analyses[0].feasible(joint_env(part.analyses[0], dims, tup)):
                    self._record(part, tup, pair)
                else:
                    part.host.dontcare.add(tup)
            return
        residual = self._residual(part, 0, envs[0])
        if residual is not None and residual == self._residual(part, 1, envs[1]):
            # what is still open is the same rules on the same values: every completion is decided alike
            part.same += size
            part.total += size
            part.seen.add(("open", "open"))  # some completion may be covered by both
            return
        for index in range(len(dims[depth].values)):
            self._scope_tree(part, [*chosen, index])

    def _common_scope_rules(self) -> tuple[set[str], set[str]]:
        """Ids of each pack's scope and exemption rules the other pack has with the same fingerprint, under
        every scenario."""
        common: list[set[str]] | None = None
        for scenario in self.scenarios:
            analyses = self._analyses("route", scenario)
            prints = [{r.id: self._fingerprint(a, r) for r in a.scope_rules} for a in analyses]
            same = [{rid for rid, fp in prints[i].items() if fp in set(prints[1 - i].values())} for i in (0, 1)]
            common = same if common is None else [common[i] & same[i] for i in (0, 1)]
        assert common is not None
        return common[0], common[1]

    def _residual(self, part: Part, i: int, env: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What pack ``i``'s scope still depends on at a partial combination: the rules still open,
        as fingerprints (condition, parameter values, effective date, exceptions), beside those decided."""
        analysis = part.analyses[i]
        outcomes = analysis.outcomes(analysis.scope_rules, env)
        result: list[Any] = []
        for kind in (ScopeRule, ExemptionRule):
            these = [o for o in outcomes if isinstance(o.rule, kind)]
            if any(o.effective is True for o in these):
                result.append(True)
            elif kind is ScopeRule and not these:
                result.append(True)  # no scope rule: the measure covers every project
            else:
                result.append(frozenset(self._fingerprint(analysis, o.compiled) for o in these if o.effective is None))
        return tuple(result)

    def _scope_leaf(self, part: Part, tup: tuple[int, ...]) -> None:
        envs = [joint_env(a, part.host.dims, tup) for a in part.analyses]
        if not part.analyses[0].feasible(envs[0]):
            part.host.dontcare.add(tup)
            return
        outs = [self._reach(part, i, tup, envs[i]) for i in (0, 1)]
        assert outs[0] is not None and outs[1] is not None
        self._record(part, tup, (outs[0], outs[1]))

    def _scope_difference(self, runs: list[Part], candidate: Candidate) -> Difference:
        index = min(candidate.covered)
        part = runs[index]
        cases = candidate.covered[index]
        covering = 0 if candidate.key[0] == "in_scope" else 1
        seed = candidate.seed if candidate.seed in cases else min(cases)
        completion = part.completions.get((covering, seed), {})
        side = part.sides[covering]
        data = self._example_data(part.host, part.host.dims, seed, side, completion)
        sides = self._sides(part, cases)
        scenario = self.scenarios[index]
        example = self._example_yaml(data, "scope", candidate.region, sides, scenario, (self.ids[covering],))
        return Difference("scope", candidate.region, sides[0], sides[1], example, self._parameters(scenario),
                          self._scenario_labels(candidate), (self.ids[covering],), self.day,
                          part.host.exact, data)

