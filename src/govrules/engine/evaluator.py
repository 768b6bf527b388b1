"""evaluate(pack, project, as_of) → Verdict: pure, three-valued, every conclusion cited.

Order of work: build the fact environment once from the validated project (core fields, derived
values, the pack's facts, parameters, event dates); evaluate the exception rules; evaluate every other
rule with its exceptions (Kleene logic: a rule that needs an unknown fact is unknown unless the known
facts already decide it); then combine rules per kind into scope, route, grounds, changes, obligations
and consequences. Nothing here reads files or the clock (``as_of`` is passed in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from govrules.compile.compiler import CompiledPack
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.codegen import runtime_of
from govrules.engine.combine import (
    SCOPE_PRESUMED_WARNING,
    SCOPE_UNDETERMINED_WARNING,
    MissingTable,
    Outcome,
    Tri,
    conditional_on_scope,
)
from govrules.engine.measure_text import annotate, needs_annotation
from govrules.engine.memo import DeclaredInputs, Reads
from govrules.engine.presumed import held_back as held_back
from govrules.engine.readings import Readings
from govrules.engine.rule_steps import rule_value as rule_value
from govrules.engine.state import unvalidated, with_own_lists
from govrules.engine.verdict_memo import VerdictMemo
from govrules.errors import GovrulesError
from govrules.models.dates import parse_date
from govrules.models.pack import ForEach
from govrules.models.project import Project
from govrules.models.verdict import Consequence, Ground, Obligation, Route, Successor, TraceStep, Verdict
from govrules.version import __version__

#: Evaluate conditions with each pack's generated function (False: with the closures alone, the
#: reference the differential tests compare against).
USE_GENERATED = True
#: Reuse a pack's compact verdicts across projects no rule can tell apart (False: work each out; the
#: differential tests compare the two).
USE_VERDICT_MEMO = True




def not_this_jurisdiction(project_place: str, pack_place: str) -> str:
    """The warning of a verdict under a measure of another area than the project's."""
    return (f"非本项目所在地的办法: 项目所在地为{project_place}，本办法适用于{pack_place} "
            f"(not this project's jurisdiction)")


TraceLevel = Literal["detailed", "compact"]
"""How much of each rule's evaluation a verdict's ``trace`` records (``evaluate(..., trace=...)``)."""


def as_of_date(value: dt.date | str | None) -> dt.date:
    """The evaluation date: a :class:`datetime.date`, an ISO date string (``"2025-09-01"``) or
    ``None`` (today). A datetime counts as its date. Anything else raises a :class:`GovrulesError`
    with code ``as_of_invalid``."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)  # YYYY-MM-DD only: not 20250101 nor an ISO week
        except ValueError:
            pass
    raise GovrulesError(f"as_of must be a date or an ISO date string like '2025-09-01', not {value!r}",
                        code="as_of_invalid", message_zh=f"评估日期应为日期或形如 2025-09-01 的字符串: {value!r}")


def evaluate(project: Project | Mapping[str, Any], pack: CompiledPack | str, as_of: dt.date | str | None = None, *,
             parameters: Mapping[str, Any] | None = None, calendar: WorkdayCalendar | None = None,
             trace: TraceLevel | bool = "detailed", historical: bool = False, strict: bool = False,
             readings: Mapping[str, str] | None = None, questions: bool = False) -> Verdict:
    """Evaluate ``project`` under ``pack`` on ``as_of`` (a date or an ISO date string; default: today).

    On a date when the measure is not in force (not yet, expired or superseded) nothing is pending,
    overdue or applying: the verdict says why and names the successor the pack knows;
    ``historical=True`` evaluates the rules as if the measure were in force, and says so
    (``verdict.historical``).

    ``parameters`` overrides the pack's settable parameters (e.g. ``{"procurement_limit": "100万"}``);
    ``calendar`` supplies holiday schedules beyond the installed ones. ``trace="detailed"`` (the
    default; also ``True``) records the values each rule saw; ``trace="compact"`` (also ``False``)
    keeps each rule's result and conclusion without them, at under half the cost.

    A fact the project leaves out (or gives as null) takes the value the pack presumes for it, and
    the verdict lists it under ``assumptions``; ``strict=True`` presumes nothing (unknown stays
    unknown). ``readings`` chooses among the pack's readings of ambiguous text
    (``{"art16_17": "literal_overlap"}``); the others keep their defaults.

    ``questions=True`` also works out the questions that decide (``verdict.questions``: the unknown
    facts whose answer would settle a conclusion, most decisive first, each with the conclusions under
    each answer; :func:`govrules.engine.questions.questions`). It costs one evaluation per answer of
    each missing fact, so it is off unless asked for; ``verdict.questions`` is then empty.

    >>> import govrules
    >>> v = govrules.evaluate({"id": "p", "name": "示例", "execution": "construction", "budget": 500000},
    ...                       "chuxiong-2025", as_of=dt.date(2025, 9, 1))
    >>> v.route.decision in {"approval", "undetermined"}
    True
    """
    if isinstance(pack, str):
        from govrules.compile.loading import load_pack

        pack = load_pack(pack)
    if not isinstance(project, Project):
        from govrules.packs.projects import validate_project

        project = validate_project(project)
    original = pack
    if readings:
        pack = pack.for_readings(readings)
    day = as_of_date(as_of)
    evaluation = _Evaluation(pack, project, day, parameters or {}, calendar or WorkdayCalendar.default(),
                             trace_detailed(trace), historical, strict)
    verdict = evaluation.run()
    if needs_annotation(pack):
        verdict = annotate(verdict, pack, evaluation.env)
    if questions:
        from govrules.engine.questions import questions as work_out

        # the pack as given: `work_out` applies the readings itself
        found = work_out(project, original, day, parameters=parameters, calendar=calendar, historical=historical,
                         strict=strict, readings=readings, verdict=verdict)
        verdict = verdict.model_copy(update={"questions": found})
    return verdict



def trace_detailed(trace: object) -> bool:
    """Whether ``trace`` (``"detailed"``/``True`` or ``"compact"``/``False``) asks for the values seen;
    anything else raises a :class:`GovrulesError` with code ``trace_invalid``."""
    if trace is True or trace == "detailed":
        return True
    if trace is False or trace == "compact":
        return False
    raise GovrulesError(f"trace must be 'detailed' (or True) or 'compact' (or False), not {trace!r}",
                        code="trace_invalid",
                        message_zh=f"trace 应为 'detailed'（或 True）或 'compact'（或 False）: {trace!r}")


def fact_environment(project: Project, pack: CompiledPack, as_of: dt.date, *, parameters: Mapping[str, Any],
                     calendar: WorkdayCalendar | None = None, historical: bool = False,
                     strict: bool = False) -> dict[str, Any]:
    """The values the rules of ``pack`` see for ``project`` (facts, derived values, parameters, event
    dates; presumed facts filled in unless ``strict``): what a condition's other side is worked out on."""
    return _Evaluation(pack, project, as_of, parameters, calendar or WorkdayCalendar.default(), False,
                       historical, strict).env


class _Evaluation(Readings):
    """One evaluation of a project under a pack: the environment, the rules, and the verdict combined
    from them (each job in the module of its class, see :mod:`govrules.engine.state`)."""

    def __init__(self, compiled: CompiledPack, project: Project, as_of: dt.date, parameters: Mapping[str, Any],
                 calendar: WorkdayCalendar, trace: bool, historical: bool = False,
                 strict: bool = False) -> None:
        self.c = compiled
        self.pack = compiled.pack
        self.project = project
        self.as_of = as_of
        self.calendar = calendar
        self.detailed = trace
        self.warnings: list[str] = []
        self.trace: list[TraceStep] = []
        self.missing: MissingTable = {}
        self._exceptions: dict[tuple[str, int | None], Tri] = {}
        self._by_kind: dict[str, list[Outcome]] = {}
        #: the outcomes (condition not false) with undecided exceptions, whose unknowns are looked for
        self._undecided: list[Outcome] = []
        self._exceptions_walked: set[tuple[str, int | None]] = set()
        self._runtime = fast = runtime_of(compiled)
        self.in_force = True
        self.asked_historical = historical
        self.successor: Successor | None = None
        # Parameters, their warnings and whether the measure is in force depend on the pack, the date,
        # the overrides and `historical` alone: worked out once per combination.
        key: Any = None
        try:
            key = (as_of, historical, tuple(sorted(parameters.items())))
            hash(key)
        except TypeError:
            key = None
        setting = fast.settings.get(key) if key is not None else None
        if setting is None:
            self.params = self._parameters(parameters)
            self._preamble()
            # what every environment of this setting starts from: the declared facts unknown, the
            # parameters set (their names never clash: the symbol table refuses it)
            start = {**dict.fromkeys(compiled.project_facts), **self.params}
            setting = (self.params, tuple(self.warnings), self.in_force, start, self.successor)
            if key is not None and len(fast.settings) < fast.MAX_SHARED:
                fast.settings[key] = setting
        else:
            self.params, warnings, self.in_force, start, self.successor = setting
            self.warnings = list(warnings)
        self._start = start
        self._setting = key
        self.strict = strict
        place = project.jurisdiction
        if place is not None and not place.governed_by(self.pack.jurisdiction.name, self.pack.jurisdiction.level):
            self.warnings.append(not_this_jurisdiction(place.name, self.pack.jurisdiction.name))
        self.env = self._environment()
        if compiled.inferences:
            self._infer(self.env)
        for index, change in enumerate(project.changes):
            scale = change.scale
            if scale is not None and scale > 1:  # `scale: 10` for 10%: a thousand per cent
                percent = format((scale * 100).normalize(), "f")
                self.warnings.append(f"changes.{index}.scale 为 {scale}，即变更规模为原批复的 {percent}%，"
                                     f"超过 100%；若指 {scale}%，应写作 \"{scale}%\" 或 "
                                     f"{format((scale / 100).normalize(), 'f')}")
        #: the presumed facts this project leaves out, in the pack's order (none when strict)
        self.presumed: list[str] = []
        if compiled.presumptions and not strict:
            # which facts are presumed follows from which presumable facts are left out: worked out once
            # per pack for each such pattern (the values read at once by one C call)
            env = self.env
            values = fast.presumable(env)
            found = fast.presumed.get(values)
            if found is None:
                names = [name for name, value in zip(compiled.presumptions, values, strict=True) if value is None]
                found = (names, {name: compiled.presumptions[name].presume for name in names})
                if len(fast.presumed) < fast.MAX_SHARED:
                    fast.presumed[values] = found
            self.presumed = list(found[0])
            env.update(found[1])
        self._item_envs: dict[ForEach, list[dict[str, Any]]] = {}
        self._signatures: dict[str, Any] = {}

    def _evaluate_rules(self) -> dict[str, list[Outcome]]:
        """Evaluate every rule (exceptions first); outcomes grouped by rule kind, in pack order.

        Only outcomes that can matter are kept: a rule whose condition is false concludes nothing,
        except a scope rule (out of scope is a conclusion). Every rule still gets a trace step.
        The pack's generated function (:mod:`govrules.engine.codegen`) computes the conditions; should it
        fail on some input, the closures (the reference) evaluate the verdict instead.
        """
        item_envs = {kind: [{**self.env, **item} for item in self._items(kind)] for kind in self.c.for_each_kinds}
        self._item_envs = item_envs
        rules = self._runtime.function(self.detailed) if USE_GENERATED else None
        if rules is not None:
            try:
                rules(self.env, item_envs, self._exceptions, self._by_kind, self.missing, self.trace, self._undecided,
                      self._step)
                return self._by_kind
            except Exception:  # the reference path below decides, or raises on, the same input
                self.trace.clear()
                self.missing.clear()
                self._by_kind.clear()
                self._exceptions.clear()
                self._undecided.clear()
        for k, (compiled, *_rest) in enumerate(self.c.plan):
            fn = compiled.condition.fn
            for_each = compiled.rule.for_each
            if for_each is None:
                self._step(k, None, self.env, fn(self.env))
            else:
                for index, env in enumerate(item_envs.get(for_each, ())):
                    self._step(k, index, env, fn(env))
        return self._by_kind

    def _outcome_conclusions(self) -> tuple[Any, ...]:
        """Scope, route, grounds, changes, obligations and consequences as the outcomes give them (route,
        changes None and the rest empty when the measure does not apply to the project).

        Memoised as one part on everything those parts declare they read (they share most of it), so
        that a verdict whose conclusions were seen before builds one key instead of six; on a miss
        each part is worked out through its own memo, on its own declared inputs."""
        reads = self._declared("conclusions", self._conclusions_read)
        found: tuple[Any, ...] = self._memo(reads, self._work_out_conclusions)
        return found

    def _conclusions_read(self) -> Reads:
        return Reads.union("conclusions", [self._scope_reads(), self._route_reads(), self._grounds_reads(),
                                           self._changes_reads(), self._obligations_reads(),
                                           self._consequences_reads()])

    def _work_out_conclusions(self, given: DeclaredInputs) -> tuple[Any, ...]:
        # each part is handed its own declared inputs by its own memo: `given` (their union) is not read
        scope = self._scope()
        if scope[0] not in ("in_scope", "undetermined"):
            return scope, None, (), None, (), ()
        return scope, self._route(), self._grounds(), self._changes(), self._obligations(), self._consequences()

    def run(self) -> Verdict:
        """The verdict; a compact one is worked out once per pack for the projects no rule can tell
        apart (:mod:`govrules.engine.verdict_memo`), each caller getting lists of its own."""
        key = None
        memo = self._runtime.verdict_memo
        if not self.detailed and self._setting is not None and USE_VERDICT_MEMO:
            if memo is None:
                memo = self._runtime.verdict_memo = VerdictMemo(self.c)
            if memo.wanted():
                key = memo.keys.key(self.project, self.env, self._setting,
                                    (self.strict, self.calendar, tuple(self.warnings), tuple(self.presumed)))
        if key is None or memo is None:
            return self._work_out_verdict()
        try:
            found = memo.get(key)
        except TypeError:  # a value the key cannot hold (unhashable): worked out, not kept
            return self._work_out_verdict()
        if found is None:
            env = self.env
            representatives = memo.keys.representatives(key)
            given = [(name, env[name]) for name, _ in representatives]
            env.update(representatives)
            try:
                found = self._work_out_verdict()
            finally:
                env.update(given)
            memo.keep(key, found)
        return with_own_lists(found)

    def _work_out_verdict(self) -> Verdict:
        in_force = self.in_force
        historical = not in_force and self.asked_historical
        outcomes = self._evaluate_rules()
        if self.presumed:
            self._hold_back(outcomes)
        self._signatures.clear()  # the outcomes are final: memo keys may read them from here on
        if self._undecided:
            self._exceptions_unknowns()
        if self.c.dividing:
            self._zero_divisions(outcomes)
        found_scope, found_route, found_grounds, found_changes, found_obligations, found_consequences = (
            self._outcome_conclusions())
        scope = self._scope_out(found_scope)
        applies = scope.status in ("in_scope", "undetermined")
        route = self._route_out(found_route) if found_route is not None else unvalidated(Route,
            decision="none", authority=None, citations=scope.citations,
            reasons=["本办法不适用于该项目，无需按本办法履行审批或备案程序"], rules=[])
        grounds = list(found_grounds)
        changes = self._changes_out(found_changes)
        obligations = list(found_obligations)
        consequences = list(found_consequences)
        if not applies:
            self.missing.clear()
        elif not in_force and not historical:
            route, grounds, changes, obligations, consequences = self._not_in_force(scope)
        elif self.c.time_guards:
            self._barred_warnings()
        assumptions = self._assumptions(outcomes) if self.presumed else []
        if (in_force or historical) and (scope.status == "undetermined" or (scope.status == "in_scope" and any(
                "scope" in a.decides for a in assumptions))):
            # the measure's reach over the project is open, or rests on a presumption
            restated = _conditional(grounds, obligations, consequences, self._runtime.outputs,
                                    self._runtime.MAX_SHARED)
            if restated != (grounds, obligations, consequences):
                grounds, obligations, consequences = restated
                self.warnings.append(SCOPE_UNDETERMINED_WARNING if scope.status == "undetermined"
                                     else SCOPE_PRESUMED_WARNING)
        if not applies:  # only the scope is concluded: what a presumption would decide beyond it is moot
            assumptions = [a.model_copy(update={"decides": ("scope",)}) if a.decides != ("scope",) else a
                           for a in assumptions if "scope" in a.decides]
        readings = self._readings() if self.pack.readings else []
        if readings and not applies:  # out of scope: the readings the scope itself rests on
            reading_rules = self._reading_rules()
            readings = [r for r in readings
                        if any(c.rule.kind in ("scope", "exemption") for c in reading_rules[r.id])]
        return unvalidated(Verdict,
            pack=self.pack.id, document=self.pack.document, title=self.pack.title, pack_digest=self.c.digest,
            engine_version=__version__, as_of=self.as_of, in_force=in_force, historical=historical,
            superseded_by=self.successor, warnings=self.warnings,
            scope=scope, route=route, grounds=grounds, changes=changes, obligations=obligations,
            consequences=consequences, missing_facts=self._missing_facts(), assumptions=assumptions,
            readings=readings, trace=self.trace,
            articles=self._article_texts(scope, route, grounds, changes, obligations, consequences, assumptions,
                                         readings))


def _conditional(grounds: list[Ground], obligations: list[Obligation], consequences: list[Consequence],
                 shared: dict[Any, Any], room: int) -> tuple[list[Ground], list[Obligation], list[Consequence]]:
    """The conclusions as they stand while the scope is undetermined (see ``conditional_on_scope``).

    Each restated conclusion is made once per conclusion object and kept in ``shared`` (the pack's
    frozen outputs, while it holds fewer than ``room``) with the object it restates, which keeps that
    object's identity from being reused: most conclusions are shared by the verdicts of a pack, and so
    are their restatements (a fresh copy per verdict cost a pydantic ``model_copy`` each, and made
    every key naming them by identity, such as the article texts', new). The three lists restated are
    kept too, keyed on the identities of what they hold (the entry holds those objects)."""
    key = ("conditional on scope", *map(id, grounds), None, *map(id, obligations), None, *map(id, consequences))
    known = shared.get(key)
    if known is not None:
        return list(known[1][0]), list(known[1][1]), list(known[1][2])

    def restated(parts: list[Any]) -> list[Any]:
        result = []
        for p in parts:
            status = p.status
            new = conditional_on_scope(status)
            if new != status:
                key = ("conditional on scope", id(p))
                found = shared.get(key)
                if found is not None and found[0] is p:
                    p = found[1]
                else:
                    copy = p.model_copy(update={"status": new})
                    if len(shared) < room:
                        shared[key] = (p, copy)
                    p = copy
            result.append(p)
        return result
    found = restated(grounds), restated(obligations), restated(consequences)
    if len(shared) < room:
        shared[key] = ((tuple(grounds), tuple(obligations), tuple(consequences)), tuple(map(tuple, found)))
    return found
