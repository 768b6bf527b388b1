"""The fact environment of one evaluation: parameters, whether the measure is in force, the project's
core fields, facts, event dates and item environments, each value typed as the rules read it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from govrules.compile.compiler import CHANGE_TIMING, NOT_YET, change_timing
from govrules.engine.combine import all_true
from govrules.engine.projects import unknown_fact_message
from govrules.engine.state import EvaluationState, unvalidated
from govrules.errors import ParameterError, ProjectError
from govrules.models.dates import parse_date
from govrules.models.money import MoneyFormatError, parse_money, parse_parameter, parse_ratio
from govrules.models.pack import FactType, ForEach
from govrules.models.project import EVENT_NAMES, FISCAL_SOURCES
from govrules.models.verdict import Successor
from govrules.packs.bundled import vocabulary_fact_names
from govrules.printable import shorten

_FLAG_TYPES = frozenset({bool, type(None)})
_EVENT_KEYS = {event: f"dates.{event}" for event in EVENT_NAMES}
_EVENT_KEY_LIST = tuple(_EVENT_KEYS.values())


class Environment(EvaluationState):
    """Builds the values the rules see."""

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

    def _preamble(self) -> None:
        self.in_force, why = self.pack.in_force(self.as_of)
        superseded = self.pack.superseded
        if superseded is not None and self.as_of >= superseded.on:
            self.successor = unvalidated(Successor, document=superseded.by.document, title=superseded.by.title,
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
        env["procurement_category"] = p.procurement_category._value_ if p.procurement_category else None
        env["place_kind"] = p.place_kind._value_ if p.place_kind else None
        env["owner"] = p.owner
        env["budget"] = p.budget
        env["procurement_budget"] = p.procurement_budget if p.procurement_budget is not None else p.budget
        funding = p.funding
        if funding is None:
            env["funding_sources"] = env["fiscal_funded"] = env["fiscal_amount"] = None
        else:
            env["funding_sources"] = frozenset(f.source._value_ for f in funding)
            fiscal = [f.amount for f in funding if f.source in FISCAL_SOURCES]
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

    def _infer(self, env: dict[str, Any]) -> None:
        """The facts the project's record shows (a fact's ``inferred``): one left out is true where its
        condition holds, false where its ``false_when`` holds — before any presumption, and in strict
        evaluations too. A stated value is kept; where the record says otherwise, a warning says so.
        Only a true inference is announced: a false one reads dates the rules read themselves."""
        for name, (condition, negation, fact) in self.c.inferences.items():
            inference = fact.inferred
            if inference is None:  # pragma: no cover - only inferred facts are compiled here
                continue
            if condition.fn(env) is True:
                if env[name] is None:
                    env[name] = True
                    self.warnings.append(f"由项目记录推知 facts.{name} 为是（{fact.zh}）: {inference.because}")
                elif env[name] is False:
                    self.warnings.append(f"facts.{name} 填写为否，但项目记录表明为是（{fact.zh}）: "
                                         f"{inference.because}；结论以填写为准")
            elif negation is not None and negation.fn(env) is True:
                if env[name] is None:
                    env[name] = False
                elif env[name] is True:
                    self.warnings.append(f"facts.{name} 填写为是，但项目记录表明为否（{fact.zh}）: "
                                         f"{inference.false_because}；结论以填写为准(规则直接读取该日期之处以日期为准)")

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

    def _items(self, for_each: ForEach) -> list[dict[str, Any]]:
        p = self.project
        if for_each is ForEach.change:
            as_of = self.as_of
            events = {event: NOT_YET if value is False else value for event, value in p.dates.__dict__.items()}
            changes = []
            for c in p.changes:
                change = {"change_scale": c.scale, "change_increases_investment": c.increases_investment,
                          "change_cause": c.cause._value_ if c.cause else None, "change_major": c.major,
                          "change_date": c.date}
                for name in CHANGE_TIMING:
                    change[name] = change_timing(c.date, events, name, as_of)
                changes.append(change)
            return changes
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


def _flags_only(flags: frozenset[str], facts: Mapping[str, Any]) -> bool:
    """Whether ``facts`` holds only names of ``flags`` (declared true/false facts) with true, false
    or null values: facts to take as they are."""
    return flags.issuperset(facts) and _FLAG_TYPES.issuperset(map(type, facts.values()))


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
