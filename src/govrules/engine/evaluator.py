"""evaluate(pack, project, as_of) → Verdict: pure, three-valued, every conclusion cited.

Order of work: build the fact environment once from the validated project (core fields, derived
values, the pack's facts, parameters, event dates); evaluate the exception rules; evaluate every other
rule with its exceptions (Kleene logic: a rule that needs an unknown fact is unknown unless the known
facts already decide it); then combine rules per kind into scope, route, grounds, changes, obligations
and consequences. Nothing here reads files or the clock (``as_of`` is passed in).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel

from govrules.compile.compiler import NOT_YET, CompiledPack, CompiledRule, zero_divisors
from govrules.compile.temporal import LINE_YEAR, barred_message
from govrules.engine.calendar import Deadline, WorkdayCalendar, annual_date
from govrules.engine.codegen import runtime_of, step_conclusion
from govrules.engine.combine import Outcome, Tri, all_true, any_true, decide
from govrules.engine.projects import unknown_fact_message
from govrules.errors import CalendarDataMissing, GovrulesError, ParameterError, ProjectError
from govrules.models.dates import parse_date
from govrules.models.money import MoneyFormatError, parse_money, parse_parameter, parse_ratio
from govrules.models.pack import (
    FactType,
    ForEach,
    ObligationRule,
)
from govrules.models.project import EVENT_NAMES, FISCAL_SOURCES, Project
from govrules.models.verdict import (
    Assumption,
    ChangeOut,
    CitationOut,
    Consequence,
    Ground,
    MissingFact,
    Obligation,
    ReadingChoice,
    ReadingOut,
    Route,
    Scope,
    Successor,
    TraceStep,
    Verdict,
)
from govrules.packs.bundled import vocabulary_fact_names
from govrules.printable import shorten
from govrules.version import __version__

_M = TypeVar("_M", bound=BaseModel)


_FLAG_TYPES = frozenset({bool, type(None)})
_EVENT_KEYS = {event: f"dates.{event}" for event in EVENT_NAMES}
_EVENT_KEY_LIST = tuple(_EVENT_KEYS.values())

_RESULT: dict[Tri, Literal["true", "false", "unknown"]] = {True: "true", False: "false", None: "unknown"}

_TEMPLATES: dict[type[BaseModel], dict[str, Any]] = {}

#: Evaluate conditions with each pack's generated function (False: with the closures alone, the
#: reference the differential tests compare against).
USE_GENERATED = True


def _unvalidated(cls: type[_M], **values: Any) -> _M:
    """Build an output model from values the evaluator has already typed, without re-validating.

    pydantic's ``model_construct`` costs ~13 µs; a verdict holds ~60 such objects. Defaults are
    filled in from the model's declared defaults, so the object is the same as a validated one.
    """
    template = _TEMPLATES.get(cls)
    if template is None:
        # every field in declared order (the required ones as placeholders ``values`` fills in), so
        # the object's fields are in the order a validated one has, and it is written in that order
        template = {name: None if info.is_required() else info.get_default(call_default_factory=True)
                    for name, info in cls.model_fields.items()}
        _TEMPLATES[cls] = template
    fields = template.copy()
    fields.update(values)
    obj = _new(cls)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_new = object.__new__
_set = object.__setattr__


def _and(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True





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
    verdict = _Evaluation(pack, project, day, parameters or {}, calendar or WorkdayCalendar.default(),
                          trace_detailed(trace), historical, strict).run()
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


class _Evaluation:
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
        self.missing: dict[str, set[str]] = {}
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
        place = project.jurisdiction
        if place is not None and not place.governed_by(self.pack.jurisdiction.name, self.pack.jurisdiction.level):
            self.warnings.append(not_this_jurisdiction(place.name, self.pack.jurisdiction.name))
        self.env = self._environment()
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
            env = self.env
            for name, fact in compiled.presumptions.items():
                if env[name] is None:
                    env[name] = fact.presume
                    self.presumed.append(name)
        self._item_envs: dict[ForEach, list[dict[str, Any]]] = {}

    # ---------------------------------------------------------------- environment

    def _parameters(self, overrides: Mapping[str, Any]) -> dict[str, Decimal | None]:
        values = self.c.parameter_defaults()
        declared = {p.name: p for p in self.pack.parameters}
        for name, raw in overrides.items():
            parameter = declared.get(name)
            if parameter is None:
                shown = shorten(name)
                import difflib  # not at the top: a cold start that needs no suggestion does without it

                close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
                hint = f"did you mean `{close[0]}`?" if close else f"this pack's parameters: {', '.join(declared)}"
                raise ParameterError(f"unknown parameter `{shown}` of {self.pack.id}; {hint}",
                                   errors=[{"path": f"parameters.{shown}", "message": "unknown parameter"}],
                                   message_zh=f"参数 {shown} 不是本办法包的参数；可设定的参数: {', '.join(declared)}")
            if not parameter.settable:
                raise ParameterError(f"parameter `{name}` is fixed by the text of {self.pack.document} "
                                   f"({parameter.value}); it cannot be set",
                                   errors=[{"path": f"parameters.{name}", "message": "not settable"}],
                                   message_zh=f"参数 {name}（{parameter.zh}）由办法文本规定为 {parameter.value}，"
                                              "不可更改")
            try:
                value = parse_parameter(parameter.unit.value, raw)
            except MoneyFormatError as exc:
                raise ParameterError(f"parameter `{name}`: {exc}",
                                   errors=[{"path": f"parameters.{name}", "message": str(exc)}],
                                   message_zh=f"参数 {name} 的取值无效: {shorten(raw)}（{exc}）") from None
            values[name] = value
            self.warnings.append(f"参数 {name}（{parameter.zh}）由使用者设定为 {value}"
                                 + (f"，本办法文本未规定具体数值: {parameter.note}" if parameter.value is None
                                    and parameter.note else "")
                                 + (f"（办法默认值 {parameter.value}）" if parameter.value is not None else ""))
        return values

    def _environment(self) -> dict[str, Any]:
        # `_value_` rather than `.value`: Enum's `value` property costs ~0.5 µs a read on Python 3.11.
        p = self.project
        execution = p.execution
        if execution is None and p.category is not None:
            execution = p.effective_execution()
        level, category, nature = p.level, p.category, p.nature
        env: dict[str, Any] = self._start.copy()
        env["level"] = level._value_ if level else None
        env["execution"] = execution._value_ if execution else None
        env["category"] = category._value_ if category else None
        env["nature"] = nature._value_ if nature else None
        env["owner"] = p.owner
        env["budget"] = p.budget
        env["procurement_budget"] = p.procurement_budget if p.procurement_budget is not None else p.budget
        funding = p.funding
        if funding is None:
            env["funding_sources"] = env["fiscal_funded"] = env["fiscal_amount"] = None
        else:
            # a source given with no money (amount 0) is not a source the project uses
            used = [f for f in funding if f.amount is None or f.amount > 0]
            env["funding_sources"] = frozenset(f.source._value_ for f in used)
            fiscal = [f.amount for f in used if f.source in FISCAL_SOURCES]
            env["fiscal_funded"] = bool(fiscal)
            known = [amount for amount in fiscal if amount is not None]
            env["fiscal_amount"] = sum(known, Decimal(0)) if len(known) == len(fiscal) else None
        if p.systems is None:
            env["system_count"] = env["all_systems_in_catalogue"] = None
        else:
            env["system_count"] = Decimal(len(p.systems))
            env["all_systems_in_catalogue"] = all_true(s.in_catalogue for s in p.systems)
        env["change_count"] = Decimal(len(p.changes))
        env["as_of"] = self.as_of
        env["effective_date"] = self.pack.dates.effective
        events = p.dates.__dict__  # in field order, as pydantic builds it (validated or constructed)
        if False in events.values() or len(events) != len(_EVENT_KEY_LIST):
            for event, value in events.items():
                env[_EVENT_KEYS[event]] = NOT_YET if value is False else value
        else:
            env.update(zip(_EVENT_KEY_LIST, events.values(), strict=True))
        facts = p.facts
        if facts:
            if _flags_only(self._runtime.project_flags, facts):
                env.update(facts)  # the common case: nothing to convert, and the start holds the rest
            else:
                env.update(self._facts(facts, "facts", project_scope=True))
        if p.systems:
            for i, system in enumerate(p.systems):
                if system.facts:  # checked even when no rule ranges over systems: nothing is accepted unread
                    self._facts(system.facts, f"systems.{i}.facts", project_scope=False)
        return env

    def _facts(self, raw: Mapping[str, Any], path: str, *, project_scope: bool) -> dict[str, Any]:
        declared = self.c.project_facts if project_scope else self.c.system_facts
        values: dict[str, Any] = dict.fromkeys(declared)
        fast = self._runtime
        flags = fast.project_flags if project_scope else fast.system_flags
        if _flags_only(flags, raw):
            values.update(raw)  # the common case: nothing to convert
            return values
        if not flags.issuperset(raw):
            # declared true/false facts and facts of the shared vocabulary this pack does not read
            if fast.flags_or_unread is None:
                fast.flags_or_unread = (fast.project_flags | (vocabulary_fact_names() - set(self.c.project_facts)),
                                        fast.system_flags | (vocabulary_fact_names() - set(self.c.system_facts)))
            if fast.flags_or_unread[0 if project_scope else 1].issuperset(raw):
                read = {name: value for name, value in raw.items() if name in flags}
                if _flags_only(flags, read):
                    values.update(read)
                    return values
        errors: list[dict[str, Any]] = []
        for name, value in raw.items():
            fact = declared.get(name)
            if fact is None:
                vocabulary = vocabulary_fact_names()
                if name not in vocabulary:
                    errors.append({"path": f"{path}.{name}",
                                   "message": unknown_fact_message(name, set(declared) | vocabulary, self.pack.id)})
                continue
            if value is None:
                continue
            if (value is True or value is False) and fact.type is FactType.bool:
                values[name] = value
                continue
            try:
                values[name] = _coerce_fact(fact.type, value, fact.values)
            except (ValueError, MoneyFormatError) as exc:
                errors.append({"path": f"{path}.{name}", "message": str(exc)})
        if errors:
            summary = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
            raise ProjectError(f"invalid facts: {summary}", errors=errors, message_zh=f"事实数据有误: {summary}")
        return values

    # ---------------------------------------------------------------- rules

    def _items(self, for_each: ForEach) -> list[dict[str, Any]]:
        p = self.project
        if for_each is ForEach.change:
            return [{"change_scale": c.scale, "change_increases_investment": c.increases_investment,
                     "change_cause": c.cause._value_ if c.cause else None, "change_major": c.major,
                     "change_date": c.date}
                    for c in p.changes]
        if for_each is ForEach.system:
            items = []
            for i, s in enumerate(p.systems or []):
                item: dict[str, Any] = {"system_status": s.status._value_ if s.status else None,
                                        "system_in_catalogue": s.in_catalogue}
                item.update(self._facts(s.facts, f"systems.{i}.facts", project_scope=False))
                items.append(item)
            return items
        return [{"line_year": Decimal(b.year), "line_purpose": b.purpose._value_, "line_amount": b.amount,
                 "line_spent": b.spent,
                 "line_carried_over_years": Decimal(b.carried_over_years) if b.carried_over_years is not None
                 else None} for b in p.budget_lines or []]

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

    def _step(self, k: int, index: int | None, env: Mapping[str, Any], value: Tri) -> None:
        """Record rule ``k`` of the plan on ``env`` (item ``index``), whose condition gave ``value``."""
        compiled, rule, kind, rule_id, _for_each, unless, keep_false = self.c.plan[k]
        bucket = self._by_kind.setdefault(kind, [])
        item_env = None if index is None else env  # see Outcome.env
        defeated: tuple[str, ...] = ()
        if kind == "exception":
            self._exceptions[(rule_id, index)] = value
            effective = value
        elif value is False:
            effective = False
            if keep_false:
                bucket.append(Outcome(compiled, index, item_env, False, False, (), ()))
        else:
            undecided: tuple[str, ...] = ()
            effective = value
            exceptions = self._exceptions
            for exc_id, exc_ranges in unless:
                exc_value = exceptions.get((exc_id, index if exc_ranges else None))
                if exc_value is True:
                    defeated += (exc_id,)
                elif exc_value is None:
                    undecided += (exc_id,)
            if defeated:
                effective = False
            elif undecided:
                effective = None
            outcome = Outcome(compiled, index, item_env, value, effective, defeated, undecided)
            bucket.append(outcome)
            if undecided:
                self._undecided.append(outcome)
        if effective is None and kind != "exception" and value is None:
            unknown: set[str] = set()
            compiled.condition.unknowns_of_unknown(env, unknown)
            for name in unknown:
                self.missing.setdefault(name, set()).add(rule_id)
        if self.detailed:
            saw = {name: _jsonable(env.get(name)) for name in compiled.sorted_symbols}
            self.trace.append(TraceStep(rule_id, kind, index, compiled.text, saw, _RESULT[effective], defeated,
                                        step_conclusion(rule, effective, defeated)))
        else:
            self.trace.append(self._runtime.step(k, index, effective, defeated))

    def _zero_divisions(self, outcomes: dict[str, list[Outcome]]) -> None:
        """Warn of each rule left undetermined by a division by zero: no fact is missing, so without the
        warning a consequence would read as merely "possible" and a route as waiting for a fact."""
        seen: set[str] = set()
        dividing = self.c.dividing
        undetermined = [(o.compiled, self._env_of(o)) for group in outcomes.values() for o in group
                        if o.condition is None and o.compiled.id in dividing]
        undetermined += [(self.c.by_id[rule_id], self.env) for (rule_id, item), value in self._exceptions.items()
                         if value is None and item is None and rule_id in dividing]
        for compiled, env in undetermined:
            divisors = zero_divisors(compiled.condition, env)
            if divisors and compiled.id not in seen:
                seen.add(compiled.id)
                zero = "、".join(dict.fromkeys(divisors))
                self.warnings.append(
                    f"规则 {compiled.id} 的条件除以零（{zero} 为 0），无法判断，结论待定；"
                    f"division by zero in `{compiled.id}`: its conclusion is undetermined")

    def _exception_unknowns(self, outcome: Outcome) -> None:
        for exc_id in outcome.undecided_exceptions:
            # an exception undecided for several rules (Art. 15's grounds share one) is walked once
            key = (exc_id, outcome.item)
            if key in self._exceptions_walked:
                continue
            self._exceptions_walked.add(key)
            compiled = self.c.by_id[exc_id]
            for name in compiled.condition.unknowns(self._env_of(outcome)):
                self.missing.setdefault(name, set()).add(exc_id)

    def _env_of(self, outcome: Outcome) -> Mapping[str, Any]:
        """The environment ``outcome``'s rule was evaluated on."""
        return self.env if outcome.env is None else outcome.env

    def _article_texts(self, scope: Scope, route: Route, grounds: list[Ground], changes: list[ChangeOut],
                       obligations: list[Obligation], consequences: list[Consequence],
                       assumptions: list[Assumption], readings: list[ReadingOut]) -> dict[str, dict[str, str]]:
        """The text of every article the verdict cites, once (citations carry the cited item's only)."""
        cited: list[CitationOut] = [*scope.citations, *route.citations]
        for g in grounds:
            cited.append(g.citation)
            if g.exception is not None:
                cited.append(g.exception)
        for c in changes:
            cited.extend(c.citations)
        cited.extend(o.citation for o in obligations)
        cited.extend(q.citation for q in consequences)
        cited.extend(a.citation for a in assumptions if a.citation is not None)
        cited.extend(r.citation for r in readings)
        outputs = self._runtime.outputs
        texts: dict[str, dict[str, str]] = {}
        for citation in cited:
            measure = citation.pack or self.pack.id
            number = str(citation.article)
            of_measure = texts.get(measure)
            if of_measure is None:
                of_measure = texts[measure] = {}
            elif number in of_measure:
                continue
            key = ("article", measure, citation.article)
            text = outputs.get(key)
            if text is None:
                found = self.pack.article(citation.article, measure)
                text = found.text if found is not None else ""
                if len(outputs) < self._runtime.MAX_SHARED:
                    outputs[key] = text
            of_measure[number] = text
        return texts

    def _cite(self, rule: Any) -> CitationOut:
        citation: CitationOut = self._runtime.citation(rule)
        return citation

    def _shared(self, key: Any, cls: type[_M], **values: Any) -> _M:
        """An output object that depends on ``key`` alone: built once per pack and shared (it is frozen)."""
        outputs = self._runtime.outputs
        found = outputs.get(key)
        if found is None:
            found = _unvalidated(cls, **values)
            if len(outputs) < self._runtime.MAX_SHARED:
                outputs[key] = found
        return found

    # ---------------------------------------------------------------- combine

    def _preamble(self) -> None:
        self.in_force, why = self.pack.in_force(self.as_of)
        superseded = self.pack.superseded
        if superseded is not None and self.as_of >= superseded.on:
            self.successor = _unvalidated(Successor, document=superseded.by.document, title=superseded.by.title,
                                   on=superseded.on)
        if why:
            self.warnings.append(why)
            self.warnings.append("已按使用者要求视同施行评估（historical）：以下结论假定本办法在评估日仍然施行"
                                 if self.asked_historical else
                                 "本办法在评估日不施行：不产生任何待办、逾期或适用的义务、理由与后果"
                                 + (f"；现行办法为《{superseded.by.title}》({superseded.by.document})"
                                    if self.successor is not None and superseded is not None else "")
                                 + "（可用 historical=True / --as-if-in-force 视同施行评估）")
        for name, value in self.params.items():
            parameter = next(p for p in self.pack.parameters if p.name == name)
            if value is None and name in self.c.used_symbols:
                note = parameter.note or "本办法未规定具体数值"
                self.warnings.append(
                    f"参数 {name}（{parameter.zh}）未设定: {note}；依赖它的结论待定，可用 parameters 设定")

    def run(self) -> Verdict:
        in_force = self.in_force
        historical = not in_force and self.asked_historical
        outcomes = self._evaluate_rules()
        if self.presumed:
            self._hold_back(outcomes)
        for outcome in self._undecided:
            self._exception_unknowns(outcome)
        if self.c.dividing:
            self._zero_divisions(outcomes)
        scope = self._scope(outcomes)
        applies = scope.status in ("in_scope", "undetermined")
        route = self._route(outcomes) if applies else _unvalidated(Route,
            decision="none", authority=None, citations=scope.citations,
            reasons=["本办法不适用于该项目，无需按本办法履行审批或备案程序"], rules=[])
        grounds = self._grounds(outcomes) if applies else []
        changes = self._changes(outcomes, applies)
        obligations = self._obligations(outcomes) if applies else []
        consequences = self._consequences(outcomes) if applies else []
        if not applies:
            self.missing.clear()
        elif not in_force and not historical:
            route, grounds, changes, obligations, consequences = self._not_in_force(scope)
        elif self.c.time_guards:
            self._barred_warnings()
        assumptions = self._assumptions(outcomes) if self.presumed else []
        if not applies:  # only the scope is concluded: what a presumption would decide beyond it is moot
            assumptions = [a.model_copy(update={"decides": ("scope",)}) if a.decides != ("scope",) else a
                           for a in assumptions if "scope" in a.decides]
        readings = self._readings() if self.pack.readings and applies else []
        return _unvalidated(Verdict,
            pack=self.pack.id, document=self.pack.document, title=self.pack.title, pack_digest=self.c.digest,
            engine_version=__version__, as_of=self.as_of, in_force=in_force, historical=historical,
            superseded_by=self.successor, warnings=self.warnings,
            scope=scope, route=route, grounds=grounds, changes=changes, obligations=obligations,
            consequences=consequences, missing_facts=self._missing_facts(), assumptions=assumptions,
            readings=readings, trace=self.trace,
            articles=self._article_texts(scope, route, grounds, changes, obligations, consequences, assumptions,
                                         readings))

    # ---------------------------------------------------------------- presumptions and readings

    def _hold_back(self, outcomes: dict[str, list[Outcome]]) -> None:
        """Keep presumptions from making a ground, a consequence or an obligation apply.

        A presumption settles a procedure or clears a sanction; it is never evidence against the
        project. Each ground, consequence and obligation that holds (or an obligation found not met)
        and reads a presumed fact — in its condition, an exception or ``met_when`` — is evaluated
        again with the presumed facts unknown; where it then does not hold (or is not known to be
        unmet), that strict outcome is the one the verdict uses.
        """
        presumed = self.presumed
        names = tuple(presumed)
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
                reads = self._rule_reads(compiled)
                if reads.isdisjoint(presumed):
                    continue
                presumed_env = self._env_of(o)
                key = (compiled.id, names, tuple(map(presumed_env.get, self._sorted_reads(compiled))))
                known = fast.held.get(key)
                if known is None:
                    env = {**presumed_env, **dict.fromkeys(presumed)}
                    value, effective, defeated, undecided = rule_value(compiled, self.c.by_id, env)
                    held = held_back(compiled, effective, presumed_env, env)
                    unknown: tuple[tuple[str, str], ...] = ()
                    if held:
                        found = [(n, compiled.id) for n in compiled.condition.unknowns(env)] if value is None else []
                        for exc_id in undecided:
                            found += [(n, exc_id) for n in self.c.by_id[exc_id].condition.unknowns(env)]
                        unknown = tuple(found)
                    known = (held, value, effective, defeated, undecided, unknown)
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
                    self.missing.setdefault(name, set()).add(rule_id)

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
        result = []
        signatures: dict[str, tuple[Any, ...]] = {}  # per kind, shared by the presumptions' keys
        for name in self.presumed:
            fact = self.c.presumptions[name]
            decides = self._decides(name, outcomes, signatures)
            key = ("assumption", name, decides)
            result.append(self._shared(
                key, Assumption, fact=name, value=fact.presume, because=fact.because,
                citation=self._cite_citation(fact.citation) if fact.citation is not None else None,
                zh=_presumed_phrase(fact), decides=decides))
        return result

    def _cite_citation(self, citation: Any) -> CitationOut:
        key = ("citation", citation.measure, citation.article, citation.paragraph, citation.item)
        found = self._runtime.outputs.get(key)
        if found is None:
            from govrules.engine.citations import cite

            found = self._runtime.outputs[key] = cite(self.pack, citation)
        return found

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

    def _decides(self, name: str, outcomes: dict[str, list[Outcome]],
                 signatures: dict[str, tuple[Any, ...]] | None = None) -> tuple[str, ...]:
        """The conclusions that would not be what they are were ``name`` unknown (the other presumptions
        kept): each rule that reads it (directly, through an exception, or in ``met_when``) is evaluated
        again without it, and the conclusions those rules feed are combined again and compared.

        Worked out once per pack for each combination of what it depends on: the values the rules
        that read ``name`` read, and the outcomes of the rules of the kinds they feed."""
        readers = self._readers(name)
        if not readers:
            return ()
        fast = self._runtime
        shape = fast.reader_shapes.get(name)
        if shape is None:
            symbols: set[str] = set()
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
            shape = fast.reader_shapes[name] = (tuple(sorted(symbols)), tuple(sorted(kinds)), tuple(item_kinds))
        symbol_names, kinds_fed, item_kinds_read = shape
        if signatures is None:
            signatures = {}
        fed = []
        for kind in kinds_fed:
            signature = signatures.get(kind)
            if signature is None:
                signature = signatures[kind] = tuple((o.compiled.index, o.item, o.effective)
                                                     for o in outcomes.get(kind, ()))
            fed.append(signature)
        key = (name, tuple(map(self.env.get, symbol_names)),
               tuple(tuple(tuple(map(e.get, symbol_names)) for e in self._item_envs.get(kind, ()))
                     for kind in item_kinds_read) if item_kinds_read else (),
               tuple(fed))
        found: tuple[str, ...] | None = fast.decides.get(key)
        if found is None:
            found = self._work_out_decides(name, readers, outcomes)
            if len(fast.decides) < fast.MAX_SHARED:
                fast.decides[key] = found
        return found

    def _work_out_decides(self, name: str, readers: tuple[int, ...], outcomes: dict[str, list[Outcome]]
                          ) -> tuple[str, ...]:
        plan = self.c.plan
        env = {**self.env, name: None}
        item_envs = {kind: [{**e, name: None} for e in envs] for kind, envs in self._item_envs.items()
                     if any(plan[k][4] is kind for k in readers)}
        exceptions: dict[tuple[str, int | None], Tri] = {}

        def exception(exc_id: str, index: int | None, exc_env: Mapping[str, Any]) -> Tri:
            key = (exc_id, index)
            if key not in exceptions:
                compiled = self.c.by_id[exc_id]
                exceptions[key] = (compiled.condition.fn(exc_env) if name in compiled.symbols
                                   else self._exceptions.get(key))
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
                    before = compiled.met.fn(self._env_for(for_each, index))
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
            before = self._conclusions(outcomes, kinds)
            after = self._conclusions({**outcomes, **other}, kinds)
        finally:
            self.warnings, self.missing = warnings, missing
        decides = [c for c in before if before[c] != after.get(c)]
        decides += [c for c in after if c not in before]
        for rule_id, index in sorted(met_changed, key=lambda x: (x[0], -1 if x[1] is None else x[1])):
            label = f"obligation:{rule_id}" + ("" if index is None else f":{index}")
            if label not in decides:
                decides.append(label)
        return tuple(dict.fromkeys(decides))

    def _env_for(self, for_each: ForEach | None, index: int | None) -> Mapping[str, Any]:
        if for_each is None or index is None:
            return self.env
        return self._item_envs[for_each][index]

    def _conclusions(self, outcomes: dict[str, list[Outcome]], kinds: set[str]) -> dict[str, Any]:
        """What ``outcomes`` conclude, for the conclusions rules of ``kinds`` feed: a name for each
        (``scope``, ``route``, ``ground:<id>``, …) and a value to compare."""
        found: dict[str, Any] = {}
        if kinds & {"scope", "exemption"}:
            found["scope"] = self._work_out_scope(outcomes.get("scope", []), outcomes.get("exemption", []))[0]
        if "route" in kinds:
            found["route"] = self._decide(outcomes.get("route", []))[0]
        if "change" in kinds:
            for index in range(len(self.project.changes)):
                found[f"change:{index}"] = self._decide([o for o in outcomes.get("change", []) if o.item == index])[0]
        if "ground" in kinds:
            by_rule: dict[str, list[Outcome]] = {}
            for o in outcomes.get("ground", []):
                by_rule.setdefault(o.compiled.rule.id, []).append(o)
            for rule_id, results in by_rule.items():
                found[f"ground:{rule_id}"] = _ground_status(results)
        for kind in ("obligation", "consequence"):
            if kind in kinds:
                for o in outcomes.get(kind, []):
                    if o.effective is not False:
                        found[f"{kind}:{o.compiled.rule.id}" + ("" if o.item is None else f":{o.item}")] = o.effective
        return {name: value for name, value in found.items() if value is not None or name in ("scope", "route")}

    def _readings(self) -> list[ReadingOut]:
        """The readings the verdict relies on: those with a rule (of any option) whose condition is not
        false for this project; each with the option taken and the alternatives."""
        fast = self._runtime
        if fast.reading_rules is None:
            fast.reading_rules = {r.id: tuple(c for c in self.c.all_rules if r.id in (c.rule.reading or {}))
                                  for r in self.pack.readings}
        result = []
        for reading in self.pack.readings:
            relied = False
            for compiled in fast.reading_rules[reading.id]:
                for_each = compiled.rule.for_each
                envs = [self.env] if for_each is None else self._item_envs.get(for_each) or []
                if any(compiled.condition.fn(e) is not False for e in envs):
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
                    alternatives=tuple(_unvalidated(ReadingChoice, option=o.id, text=o.text, reason=o.reason)
                                       for o in reading.options if o.id != chosen))
            result.append(found)
        return result

    def _not_in_force(self, scope: Scope) -> tuple[Route, list[Ground], list[ChangeOut], list[Obligation],
                                                   list[Consequence]]:
        """What a measure not in force on ``as_of`` decides: no procedure, nothing pending, overdue or
        applying. The scope stays (which projects the text covers); so do the facts it needs."""
        why = self.pack.in_force(self.as_of)[1] or "本办法在评估日不施行"
        # built per verdict: their lists are the verdict's own
        route = _unvalidated(Route, decision="none", authority=None, citations=[], reasons=[why], rules=[])
        changes = [_unvalidated(ChangeOut, index=index, decision="not_covered", citations=[], reasons=[why], rules=[])
                   for index in range(len(self.project.changes))]
        scope_rules = self._runtime.outputs.get(("not_in_force", "scope rules"))
        if scope_rules is None:
            scope_rules = frozenset(c.rule.id for kind in ("scope", "exemption") for c in self.c.by_kind.get(kind, ()))
            self._runtime.outputs[("not_in_force", "scope rules")] = scope_rules
        missing = {}
        for name, ids in self.missing.items():
            kept = ids & scope_rules
            if kept:
                missing[name] = kept
        self.missing = missing
        return route, [], changes, [], []

    def _barred_warnings(self) -> None:
        """Say which dates before the effective date kept guarded rules from applying (不溯及既往)."""
        env = self.env
        effective = self.pack.dates.effective
        fast = self._runtime
        outputs = fast.outputs
        value: Any
        for point, rule_ids in self.c.time_guards.items():
            if point == LINE_YEAR:
                lines = self.project.budget_lines
                value = tuple(sorted({line.year for line in lines if line.year < effective.year})) if lines else ()
                if not value:
                    continue
            else:
                value = env.get(point)
                if value is None or not value < effective:
                    continue
            key = ("barred", point, value)
            message = outputs.get(key)
            if message is None:
                message = barred_message(effective, point, value, rule_ids)
                if len(outputs) < fast.MAX_SHARED:
                    outputs[key] = message
            self.warnings.append(message)

    def _scope(self, outcomes: dict[str, list[Outcome]]) -> Scope:
        scopes = outcomes.get("scope", [])
        exemptions = outcomes.get("exemption", [])
        key = ("scope", *[(o.compiled.rule.id, o.item, o.effective) for o in scopes], "exemption",
               *[(o.compiled.rule.id, o.item, o.effective) for o in exemptions])
        status, citations, reasons = self._reused(key, lambda: self._work_out_scope(scopes, exemptions))
        return _unvalidated(Scope, status=status, citations=list(citations), reasons=list(reasons))

    def _work_out_scope(self, scopes: list[Outcome], exemptions: list[Outcome]) -> Any:
        for o in exemptions:
            if o.effective is True:
                return o.rule.status, [self._cite(o.rule)], [o.rule.title]
        covered = any_true(o.effective for o in scopes) if scopes else True
        if covered is False:
            return "out_of_scope", [self._cite(o.rule) for o in scopes], [f"不满足: {o.rule.title}" for o in scopes]
        holding = [o for o in scopes if o.effective is True]
        open_exemptions = [o for o in exemptions if o.effective is None]
        if covered is True and not open_exemptions:
            return "in_scope", [self._cite(o.rule) for o in holding], [o.rule.title for o in holding]
        reasons = [f"待定: {o.rule.title}" for o in scopes if o.effective is None]
        reasons += [f"可能不适用: {o.rule.title}" for o in open_exemptions]
        return ("undetermined", [self._cite(o.rule) for o in holding + open_exemptions
                                 + [o for o in scopes if o.effective is None]], reasons)

    def _reused(self, key: Any, work: Any) -> Any:
        """What ``work`` gives, worked out once per pack for each ``key`` (everything it depends on:
        e.g. a set of outcomes, or the values an obligation reads); the warnings and missing facts it
        recorded are recorded again on each reuse."""
        fast = self._runtime
        known = fast.reused.get(key)
        if known is None:
            missing, warnings = self.missing, self.warnings
            self.missing, self.warnings = {}, []
            try:
                known = (work(), tuple(self.warnings), tuple((n, tuple(ids)) for n, ids in self.missing.items()))
            finally:
                self.missing, self.warnings = missing, warnings
            if len(fast.reused) < fast.MAX_SHARED:
                fast.reused[key] = known
        self.warnings.extend(known[1])
        for name, ids in known[2]:
            self.missing.setdefault(name, set()).update(ids)
        return known[0]

    def _decide(self, candidates: list[Outcome]) -> tuple[str, list[Outcome], list[str], bool]:
        """Combine route or change rules (:func:`govrules.engine.combine.decide`), keeping its warnings."""
        decision = decide(candidates)
        self.warnings.extend(decision.warnings)
        return decision.decision, decision.deciding, decision.reasons, decision.gap

    def _route(self, outcomes: dict[str, list[Outcome]]) -> Route:
        candidates = outcomes.get("route", [])
        key = ("route", *[(o.compiled.rule.id, o.item, o.effective) for o in candidates])
        silent = "本办法未对此类项目规定审批或备案程序（办法未作规定，不作推定）"
        decision, authority, citations, reasons, gap, rules = self._reused(
            key, lambda: self._work_out_decision(candidates, silent))
        return _unvalidated(Route, decision=decision, authority=authority, citations=list(citations),
                            reasons=list(reasons), gap=gap, rules=list(rules))

    def _work_out_decision(self, candidates: list[Outcome], silent: str) -> Any:
        decision, deciding, reasons, gap = self._decide(candidates)
        if not deciding and gap:
            reasons = [silent]
        authority = deciding[0].rule.authority if decision != "undetermined" and deciding else None
        return (decision, authority, [self._cite(o.rule) for o in deciding], reasons, gap,
                tuple(o.rule.id for o in deciding))

    def _grounds(self, outcomes: dict[str, list[Outcome]]) -> list[Ground]:
        # Each ground's combination of outcomes is too varied to reuse whole lists: reuse each Ground.
        by_rule: dict[str, list[Outcome]] = {}
        for o in outcomes.get("ground", ()):
            group = by_rule.get(o.compiled.rule.id)
            if group is None:
                by_rule[o.compiled.rule.id] = [o]
            else:
                group.append(o)
        outputs = self._runtime.outputs
        grounds: list[Ground] = []
        for rule_id, results in by_rule.items():
            # A ground over items holds if it holds for one of them; the first exception named decides
            # which exception the verdict cites.
            if len(results) == 1:
                condition, effective = results[0].condition, results[0].effective
            else:
                condition, effective = any_true(o.condition for o in results), any_true(o.effective for o in results)
            if condition is False:
                continue
            exception_id: str | None = None
            if effective is True:
                status = "triggered"
            elif effective is None:
                status = "unknown"
                exception_id = next((e for o in results for e in o.undecided_exceptions), None)
            else:
                excepted = next((o for o in results if o.condition is True and o.defeated_by), None)
                if excepted is None:
                    continue
                status = "excepted"
                exception_id = excepted.defeated_by[0]
            key = ("ground", rule_id, status, exception_id)
            ground = outputs.get(key)
            if ground is None:
                rule = results[0].compiled.rule
                exception_rule = self.c.by_id[exception_id].rule if exception_id else None
                ground = self._shared(key, Ground, id=rule_id, kind=rule.ground, status=status, title=rule.title,
                                      citation=self._cite(rule),
                                      exception=self._cite(exception_rule) if exception_rule else None,
                                      exception_id=exception_id)
            grounds.append(ground)
        return grounds

    def _changes(self, outcomes: dict[str, list[Outcome]], applies: bool) -> list[ChangeOut]:
        rules = outcomes.get("change", [])
        result: list[ChangeOut] = []
        for index in range(len(self.project.changes)):
            if not applies:
                result.append(_unvalidated(ChangeOut, index=index, decision="not_covered", citations=[],
                                        reasons=["本办法不适用于该项目"], rules=[]))
                continue
            made, effective = self.project.changes[index].date, self.pack.dates.effective
            if made is not None and made < effective:
                why = f"该变更发生于 {made.isoformat()}，在本办法施行（{effective.isoformat()}）之前：不溯及既往"
                result.append(_unvalidated(ChangeOut, index=index, decision="not_covered", citations=[],
                                           reasons=[why], rules=[]))
                continue
            candidates = [o for o in rules if o.item == index]
            key = ("change", *[(o.compiled.rule.id, o.effective) for o in candidates])
            decision, authority, citations, reasons, gap, rule_ids = self._reused(
                key, lambda these=candidates: self._work_out_decision(these, "本办法未对此类变更作出规定（不作推定）"))
            result.append(_unvalidated(ChangeOut, index=index, decision=decision, authority=authority, gap=gap,
                                citations=list(citations), reasons=list(reasons), rules=list(rule_ids)))
        return result

    def _obligations(self, outcomes: dict[str, list[Outcome]]) -> list[Obligation]:
        result: list[Obligation] = []
        for o in outcomes.get("obligation", []):
            if o.effective is False:
                continue
            result.append(self._obligation(o))
        return result

    def _obligation(self, o: Outcome) -> Obligation:
        """The obligation of ``o``, worked out once per pack for each combination of what it reads."""
        fast = self._runtime
        compiled = o.compiled
        found = fast.obligation_reads.get(id(compiled))  # the pack's own rules: ids stay theirs
        if found is None:
            deadline = compiled.rule.deadline
            found = fast.obligation_reads[id(compiled)] = (
                compiled.rule.id, deadline.parameter if deadline is not None else None, _obligation_reads(compiled))
        rule_id, parameter_name, reads = found
        key = ("obligation", rule_id, o.item, o.effective, self.as_of, self.calendar,
               self.params.get(parameter_name) if parameter_name else None, *map(self._env_of(o).get, reads))
        known = fast.reused.get(key)
        if known is not None and not known[1] and not known[2]:
            return known[0]  # type: ignore[no-any-return]
        obligation: Obligation = self._reused(key, lambda: self._work_out_obligation(o))
        return obligation

    def _work_out_obligation(self, o: Outcome) -> Obligation:
        rule: ObligationRule = o.rule
        env = self._env_of(o)
        due, reason, deadline = self._due(rule, env)
        # A provisional deadline lies somewhere in [earliest, latest]: a comparison with as_of or the
        # day it was done decides only when the whole interval agrees.
        earliest = latest = due
        out = self._obligation_out
        if deadline is not None and deadline.provisional:
            earliest, latest = deadline.earliest, deadline.latest
            out = functools.partial(self._provisional_out, deadline)
        done = env.get(f"dates.{rule.done}") if rule.done else None
        if isinstance(done, dt.date) and done > self.as_of:
            done = NOT_YET  # done after as_of: on as_of it had not been done yet
        status: str
        late = False
        met = o.compiled.met.fn(env) if o.compiled.met is not None else None
        if o.compiled.met is not None and o.effective is not None:
            if met is True:
                return out(id=rule.id, action=rule.action, due=due, status="met",
                           citation=self._cite(rule), reason=reason, item=o.item)
            if met is None:
                for name in o.compiled.met.unknowns(env):
                    self.missing.setdefault(name, set()).add(rule.id)
                status = "unknown" if earliest is None or self.as_of > earliest else "pending"
                return out(id=rule.id, action=rule.action, due=due, status=status,
                           citation=self._cite(rule), reason=reason or "是否已履行未知", item=o.item)
            if latest is not None and self.as_of > latest:
                status = "overdue"
            elif earliest is not None and self.as_of > earliest:
                status, reason = "unknown", reason or "期限可能已过，尚未履行"
            else:
                status = "pending"
            return out(id=rule.id, action=rule.action, due=due, status=status,
                       citation=self._cite(rule), reason=reason or "尚未履行", item=o.item)
        if o.effective is None:
            status, reason = "unknown", reason or "是否负有该义务待定"
        elif rule.done and isinstance(done, dt.date) and done is not NOT_YET and (
                due is None or rule.deadline is None or rule.deadline.after is not None or done.year == due.year):
            status = "met"
            late = latest is not None and done > latest
            if late:
                reason = f"已于{done.isoformat()}履行，晚于期限{due.isoformat() if due else ''}"
            elif earliest is not None and done > earliest:
                reason = f"已于{done.isoformat()}履行，是否逾期待定"
        elif due is None:
            status = "unknown" if reason and "未知" in reason else "pending"
            if rule.deadline is None:
                status = "pending" if not rule.done or done is NOT_YET else "unknown"
                if rule.done and done is None:
                    reason = f"是否已履行未知（缺少 dates.{rule.done}）"
                    self.missing.setdefault(f"dates.{rule.done}", set()).add(rule.id)
        elif latest is not None and earliest is not None and self.as_of > earliest:
            surely = self.as_of > latest
            if rule.done is None or done is NOT_YET or isinstance(done, dt.date):
                status = "overdue" if surely else "unknown"
                if not surely:
                    reason = "期限可能已过，尚未履行"
            else:
                status = "unknown"
                reason = (f"期限{due.isoformat()}已过" if surely else "期限可能已过") + \
                    f"，是否已履行未知（缺少 dates.{rule.done}）"
                self.missing.setdefault(f"dates.{rule.done}", set()).add(rule.id)
        else:
            status = "pending"
        return out(id=rule.id, action=rule.action, due=due, status=status,
                   citation=self._cite(rule), late=late, reason=reason, item=o.item)

    def _obligation_out(self, **values: Any) -> Obligation:
        # the citation and action follow from the rule's id
        key = ("obligation", values["id"], values["due"], values["status"], values.get("late", False),
               values.get("reason"), values.get("item"))
        return self._shared(key, Obligation, **values)

    def _provisional_out(self, deadline: Deadline, **values: Any) -> Obligation:
        """An obligation whose deadline waits for a year's holiday schedule: marked, with its interval
        and the wording the report shows."""
        years = "、".join(f"{year}年" for year in deadline.unknown_years)
        note = f"暂按法定节假日推算，待国务院公布{years}放假安排后确定"
        reason = values.get("reason")
        values["reason"] = f"{reason}；{note}" if reason else note
        values.update(late=values.get("late", False), provisional=True, due_earliest=deadline.earliest,
                      due_latest=deadline.latest)
        key = ("obligation", values["id"], values["due"], values["status"], values["late"], values["reason"],
               values.get("item"), deadline.earliest, deadline.latest)
        return self._shared(key, Obligation, **values)

    def _due(self, rule: ObligationRule,
             env: Mapping[str, Any]) -> tuple[dt.date | None, str | None, Deadline | None]:
        deadline = rule.deadline
        if deadline is None:
            return None, None, None
        if deadline.after is None:
            base_year: Any = self.as_of.year
            if deadline.year_from is not None:
                base_year = env.get(deadline.year_from)
                if base_year is None:
                    self.missing.setdefault(deadline.year_from, set()).add(rule.id)
                    return None, f"期限所依据的年度未知（缺少 {deadline.year_from}）", None
            year = int(base_year.year if isinstance(base_year, dt.date) else base_year) + deadline.year_offset
            assert deadline.month is not None and deadline.day is not None
            try:
                return annual_date(year, deadline.month, deadline.day), None, None
            except ValueError:
                path = self.c.table.symbols[deadline.year_from].path if deadline.year_from else "as_of"
                raise ProjectError(f"{path}: {base_year} gives the year {year}, which is not a calendar year",
                                   errors=[{"path": path, "message": f"year {year} is out of range"}],
                                   message_zh=f"{path}: 年度 {year} 无效") from None
        event = env.get(f"dates.{deadline.after}")
        if event is None:
            self.missing.setdefault(f"dates.{deadline.after}", set()).add(rule.id)
            return None, f"起算事件日期未知（缺少 dates.{deadline.after}）", None
        if event is NOT_YET:
            return None, f"起算事件（{deadline.after}）尚未发生", None
        count: int | None
        unit: str
        if deadline.parameter is not None:
            value = self.params.get(deadline.parameter)
            if value is None:
                return None, f"参数 {deadline.parameter} 未设定", None
            count = int(value)
            unit = next(p.unit.value for p in self.pack.parameters if p.name == deadline.parameter)
        else:
            unit, count = next((u, c) for u, c in (("working_days", deadline.working_days), ("days", deadline.days),
                                                   ("months", deadline.months), ("years", deadline.years))
                               if c is not None)
        assert count is not None
        try:
            if unit == "working_days":
                found = self.calendar.deadline_after(event, count)
            else:
                delta = {"days": relativedelta(days=count), "months": relativedelta(months=count),
                         "years": relativedelta(years=count)}[unit]
                # 民法典第二百零三条: a period whose last day is a statutory rest day ends on the next
                # working day.
                found = self.calendar.next_working_day(event + delta)
        except CalendarDataMissing as exc:
            self.warnings.append(f"{exc.message_zh}（{rule.id}）: 期限无法精确计算，未作推算；"
                                 "可提供该年度节假日安排文件")
            return None, f"缺少{exc.year}年节假日安排，期限无法计算（未知）", None
        except (OverflowError, ValueError):
            self.warnings.append(f"{rule.id}: 期限超出可计算的日期范围（{count} {unit}），未作推算")
            return None, "期限超出可计算的日期范围（未知）", None
        if found.provisional:
            years = "、".join(str(year) for year in found.unknown_years)
            self.warnings.append(
                f"缺少{years}年节假日安排（{rule.id}）: 期限暂按法定节假日推算为{found.due.isoformat()}"
                f"（可能在{found.earliest.isoformat()}至{found.latest.isoformat()}之间），"
                f"可用 govrules calendar --template {found.unknown_years[0]} 生成安排文件")
        return found.due, None, found

    def _consequences(self, outcomes: dict[str, list[Outcome]]) -> list[Consequence]:
        result: list[Consequence] = []
        for o in outcomes.get("consequence", []):
            if o.effective is False:
                continue
            status = "applies" if o.effective else "possible"
            result.append(self._shared(("consequence", o.rule.id, status, o.item), Consequence, id=o.rule.id,
                                       effect=o.rule.effect, citation=self._cite(o.rule), status=status,
                                       item=o.item))
        return result

    def _missing_facts(self) -> list[MissingFact]:
        fast = self._runtime
        symbols = fast.symbols
        outputs = fast.outputs
        result = []
        missing = self.missing
        for name in sorted(missing):
            ids = missing[name]
            needed_by = tuple(ids) if len(ids) == 1 else tuple(sorted(ids))
            key = ("missing", name, needed_by)
            found = outputs.get(key)
            if found is None:
                info = symbols.get(name)
                if info is None:
                    continue
                path = f"parameters.{name}" if info.source == "parameter" else info.path
                found = self._shared(key, MissingFact, name=name, path=path, zh=info.zh, en=info.en,
                                     needed_by=needed_by)
            result.append(found)
        return result


def rule_value(compiled: CompiledRule, by_id: Mapping[str, CompiledRule], env: Mapping[str, Any]
               ) -> tuple[Tri, Tri, tuple[str, ...], tuple[str, ...]]:
    """A rule on ``env`` with its exceptions: (condition, effective, defeated by, undecided exceptions)."""
    value = compiled.condition.fn(env)
    defeated: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()
    if value is False:
        return value, value, defeated, undecided
    for exc_id in compiled.rule.unless:
        exc = by_id.get(exc_id)
        if exc is None:
            continue
        exc_value = exc.condition.fn(env)
        if exc_value is True:
            defeated += (exc_id,)
        elif exc_value is None:
            undecided += (exc_id,)
    effective = False if defeated else None if undecided else value
    return value, effective, defeated, undecided


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


def _ground_status(results: list[Outcome]) -> str | None:
    """A ground's status from its outcomes, as :meth:`_Evaluation._grounds` works it out (None: not listed)."""
    if len(results) == 1:
        condition, effective = results[0].condition, results[0].effective
    else:
        condition, effective = any_true(o.condition for o in results), any_true(o.effective for o in results)
    if condition is False:
        return None
    if effective is True:
        return "triggered"
    if effective is None:
        return "unknown"
    return "excepted" if any(o.condition is True and o.defeated_by for o in results) else None


def _presumed_phrase(fact: Any) -> str:
    """The presumption in a few words, for the text report: the pack's ``presumed_zh``, or the fact's
    meaning with the value."""
    if fact.presumed_zh:
        return str(fact.presumed_zh)
    if fact.presume is True:
        return str(fact.zh)
    if fact.presume is False:
        return f"并非{fact.zh}"
    return f"{fact.zh}为{fact.presume}"


def _flags_only(flags: frozenset[str], facts: Mapping[str, Any]) -> bool:
    """Whether ``facts`` holds only names of ``flags`` (declared true/false facts) with true, false
    or null values: facts to take as they are."""
    return flags.issuperset(facts) and _FLAG_TYPES.issuperset(map(type, facts.values()))


def _obligation_reads(compiled: CompiledRule) -> tuple[str, ...]:
    """The environment names an obligation's status and deadline are worked out from."""
    rule = compiled.rule
    names: list[str] = []
    deadline = rule.deadline
    if deadline is not None:
        if deadline.year_from is not None:
            names.append(deadline.year_from)
        if deadline.after is not None:
            names.append(f"dates.{deadline.after}")
    if rule.done:
        names.append(f"dates.{rule.done}")
    if compiled.met is not None:
        names.extend(sorted(compiled.met.symbols()))
    return tuple(names)


def _coerce_fact(kind: FactType, value: Any, values: list[str] | None) -> Any:
    if kind is FactType.bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got `{shorten(value)}`")
        return value
    if kind is FactType.money:
        return parse_money(value)
    if kind is FactType.ratio:
        return parse_ratio(value)
    if kind in (FactType.number, FactType.integer):
        return _number(value, whole=kind is FactType.integer)
    if kind is FactType.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            return parse_date(value)
        raise ValueError(f"expected a date (YYYY-MM-DD), got `{shorten(value)}`")
    if kind is FactType.set:
        if not isinstance(value, list):
            raise ValueError(f"expected a list of values, got `{shorten(value)}`")
        for v in value:
            if v not in (values or []):
                raise ValueError(f"`{shorten(v)}` is not one of: {', '.join(values or [])}")
        return frozenset(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got `{shorten(value)}`")
    if kind is FactType.enum and value not in (values or []):
        raise ValueError(f"`{shorten(value)}` is not one of: {', '.join(values or [])}")
    return value


_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,12})?")


def _number(value: Any, *, whole: bool) -> Decimal:
    """A number fact: plain decimal digits only, at most 15 before and 12 after the point."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        raise ValueError(f"expected a number, got `{shorten(value)}`")
    text = repr(value) if isinstance(value, float) else str(value)
    if not _NUMBER.fullmatch(text.strip()):
        raise ValueError(f"`{shorten(value)}` is not a plain number (digits, an optional sign and decimal point; "
                         "at most 15 digits before and 12 after the point)")
    number = Decimal(text.strip())
    if whole and number != number.to_integral_value():
        raise ValueError(f"expected a whole number, got `{shorten(value)}`")
    return number


def _jsonable(value: Any) -> Any:
    if value is None or value is True or value is False or type(value) is str:
        return value
    if value is NOT_YET:
        return "not_yet"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value
