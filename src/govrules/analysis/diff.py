"""Comparing two packs: where two measures decide the same project differently, region by region.

``diff_packs(a, b)`` answers, for every project and not for a sample, the question a reviewer asks
when a unit works under one measure and looks at another (or when a measure is revised or adapted by a
county): *which projects would the two measures treat differently, and which articles say so on each
side?* It reuses the exhaustive machinery of :mod:`govrules.analysis.consistency` — the variables conditions
read, their cut points, one representative value per cell, the evaluator's own ``_decide``, and the
grouping of combinations into readable regions — on the union of the variables both packs read:

- **scope**: on the facts *both* measures' scope rules read (``level``, the funding, …), where one
  measure can cover the project (with suitable values of the facts only it reads) and the other never
  does — e.g. ``level = county``: Chuxiong covers it, Linfen does not. Scope rules and exemptions the
  two packs share word for word (same condition, same parameter values) are left aside;
- **route**: the approval / filing / build-first decision of each measure on every combination of the
  variables either measure's route rules read — numeric cut points of *both* packs' thresholds — each
  measure taking the project to be within its scope. Where the two scopes meet, a region in which no
  project is within both is left out (and the notes say so); where they never meet, the comparison is
  what each measure would decide for a project it covers;
- **change**: the same for one change request.

Combinations with the same pair of decisions are grouped into regions as in
:mod:`govrules.analysis.consistency`; identical decisions are only counted. When the two packs' route (change)
rules read no variable in common, each pack's half is enumerated and described alone and the regions are
paired. See ``docs/consistency.md`` ("Comparing two packs").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from govrules.analysis.diff_decisions import DecisionDiff
from govrules.analysis.diff_scope import ScopeDiff
from govrules.analysis.diff_space import AnalysisKind, Difference, PackDiff, Side
from govrules.analysis.space import source_of
from govrules.compile.compiler import CompiledPack
from govrules.errors import ProjectError
from govrules.models.pack import Pack
from govrules.models.project import Project

__all__ = ["Difference", "PackDiff", "Side", "diff_packs", "diff_report", "example_project", "format_diff"]

_KINDS: tuple[AnalysisKind, ...] = ("scope", "route", "change")


# --------------------------------------------------------------------------------------------------
# Results








def example_project(difference: Difference) -> Project:
    """The difference's example as a validated :class:`~govrules.models.project.Project`."""
    return Project.model_validate(difference.example_data)


def format_diff(report: PackDiff, *, examples: bool = False) -> str:
    """A readable report: the notes, the differences by analysis and pair of decisions, then the counts."""
    lines = [f"{report.a} vs {report.b}, as of {report.as_of.isoformat()}"
             + ("" if report.exact else " (partly sampled)")]
    for label, pack, title in (("a", report.a, report.titles[0]), ("b", report.b, report.titles[1])):
        if title:
            lines.append(f"  {label} {pack}: 《{title}》")
    lines.extend(f"note: {n}" for n in report.notes)
    for kind in _KINDS:
        found = [d for d in report.differences if d.analysis == kind]
        if not found:
            continue
        lines.append(f"{kind}: {len(found)} region(s) decided differently")
        pairs: dict[tuple[str, str], list[Difference]] = {}
        for d in found:
            pairs.setdefault((d.a.decision, d.b.decision), []).append(d)
        for (a, b), regions in pairs.items():
            lines.append(f"  {report.a} {a}, {report.b} {b}: {len(regions)} region(s)")
            for d in regions:
                lines.append(f"    {d.region}")
                lines.append(f"      a {d.a.pack}: {d.a.describe()}")
                lines.append(f"      b {d.b.pack}: {d.b.describe()}")
                if d.scenarios:
                    lines.append(f"      with: {' | '.join(d.scenarios)}")
                if d.analysis != "scope" and len(set(d.in_scope_of)) < len({d.a.pack, d.b.pack}):
                    lines.append("      (no project of this region tried is within the scope of both)")
                if not d.exact:
                    lines.append("      (found by sampling)")
                if examples and d.example:
                    lines.extend("        " + line for line in d.example.rstrip("\n").split("\n"))
    if not report.differences:
        lines.append("no differences")
    counts = [f"{kind} {report.identical[kind]} of {report.compared[kind]}" for kind in _KINDS
              if kind in report.compared]
    if counts:
        lines.append("identical decisions (combinations of representative values): " + ", ".join(counts))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Entry points


def diff_packs(pack_a: CompiledPack | Pack | str, pack_b: CompiledPack | Pack | str, *,
               parameters: Mapping[str, Mapping[str, Any]] | None = None, as_of: dt.date | None = None,
               max_regions: int = 12, samples: int = 12, max_combinations: int = 200_000,
               seed: int = 20250508) -> list[Difference]:
    """The regions where ``pack_a`` and ``pack_b`` decide the same project differently.

    See :func:`diff_report`, which also returns the counts of identical decisions and the notes.
    """
    return diff_report(pack_a, pack_b, parameters=parameters, as_of=as_of, max_regions=max_regions,
                       samples=samples, max_combinations=max_combinations, seed=seed).differences


def diff_report(pack_a: CompiledPack | Pack | str, pack_b: CompiledPack | Pack | str, *,
                parameters: Mapping[str, Mapping[str, Any]] | None = None, as_of: dt.date | None = None,
                max_regions: int = 12, samples: int = 12, max_combinations: int = 200_000,
                seed: int = 20250508) -> PackDiff:
    """Compare two packs' scope, route and change decisions on every project.

    ``pack_a``/``pack_b``: compiled packs, bundled ids, or :class:`Pack` models. ``parameters`` maps a
    pack id to its settable parameters (``{"chuxiong-2025": {"procurement_limit": "100万元"}}``); a
    settable parameter left open is analysed under a few values (the same values for both packs when
    both leave a parameter of that name open). ``as_of`` defaults to the later of the two effective
    dates. ``max_regions`` bounds the regions listed per pair of decisions; ``samples``,
    ``max_combinations`` and ``seed`` bound the sampling fallback.
    """
    given = {str(k): dict(v) for k, v in (parameters or {}).items()}
    srcs = (source_of(pack_a), source_of(pack_b))
    ids = {s.pack.id for s in srcs}
    unknown = sorted(set(given) - ids)
    if unknown:
        raise ProjectError(f"--param for {', '.join(unknown)}: compared packs are {', '.join(sorted(ids))}")
    day = as_of or max(s.pack.dates.effective for s in srcs)
    key: tuple[Any, ...] | None = None
    if isinstance(pack_a, CompiledPack) and isinstance(pack_b, CompiledPack):
        key = (pack_a.digest, tuple(sorted(pack_a.choice.items())), pack_b.digest,
               tuple(sorted(pack_b.choice.items())), repr(sorted((k, sorted(v.items())) for k, v in given.items())),
               day, max_regions, samples, max_combinations, seed)
        done = _DONE.get(key)
        if done is not None:
            return done
    report = _Diff(srcs, day, given, max_regions=max_regions, samples=samples, max_combinations=max_combinations,
                   seed=seed).run()
    if key is not None:
        if len(_DONE) >= 64:
            _DONE.clear()
        _DONE[key] = report
    return report


#: reports already made for two compiled packs (by digest and reading choice) and the same settings:
#: a report is costly (seconds to minutes) and the same pair is often compared again in one process
_DONE: dict[tuple[Any, ...], PackDiff] = {}


# --------------------------------------------------------------------------------------------------
# The two packs, their variables and the parameter scenarios














# --------------------------------------------------------------------------------------------------
# The joint enumeration: consistency's RegionAnalysis with the dimensions of both packs


class _Diff(ScopeDiff, DecisionDiff):
    """Two packs compared: scope, then route and change decisions."""

    def run(self) -> PackDiff:
        in_force = []
        for src in self.srcs:
            ok, why = src.pack.in_force(self.day)
            in_force.append(ok)
            if not ok:
                self.notes.append(f"{src.pack.id} is not in force on {self.day.isoformat()}: {why}")
        differences = self._scope()
        if not self.scopes_meet and not self.scopes_may_meet:
            self.notes.append("no project is within the scope of both measures: the route and change "
                              "differences compare what each measure decides for a project within its own scope")
        for kind in ("route", "change"):
            if not any(m.has_rules[kind] for m in self.members):
                self.notes.append(f"neither pack has {kind} rules: no {kind} comparison")
                continue
            for i, member in enumerate(self.members):
                if not member.has_rules[kind]:
                    self.notes.append(f"{self.ids[i]} has no {kind} rules: it decides every "
                                      f"{'change request' if kind == 'change' else 'route'} `undetermined` (gap)")
            differences += self._decisions(kind)
            dropped = self.dropped.get(kind, [])
            if dropped:
                self.notes.append(f"{kind}: {len(dropped)} region(s) where the decisions differ but no project is "
                                  "within both measures' scopes, left out: " + "; ".join(dropped[:3])
                                  + ("; …" if len(dropped) > 3 else ""))
        for i, member in enumerate(self.members):
            other = set(self.members[1 - i].scope_names)
            private = [n for n in member.scope_names if n not in other]
            if private and self.ids[0] != self.ids[1]:
                self.notes.append(f"{self.ids[i]}'s scope also reads facts the other measure's scope does not: "
                                  + ", ".join(private))
        if self.reasons:
            self.exact = False
            self.notes.append("sampled, not exhaustive: " + "; ".join(sorted(self.reasons)))
        order = {k: n for n, k in enumerate(_KINDS)}
        differences.sort(key=lambda d: (order[d.analysis], d.a.decision, d.b.decision, d.region))
        return PackDiff(self.ids[0], self.ids[1], self.day, differences, self.identical, self.compared,
                        tuple(self.notes), self.exact, (self.srcs[0].pack.title, self.srcs[1].pack.title),
                        (in_force[0], in_force[1]))

