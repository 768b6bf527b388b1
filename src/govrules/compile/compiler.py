"""Conditions → three-valued Python closures, through rule-engine's parser and type checker.

rule-engine parses each condition against a typed Context (every symbol the pack may use, with its
type), so typos, unknown facts and type mismatches are load errors, not evaluation surprises. Its
evaluator, however, has no notion of *unknown*: a missing value raises or compares False. So the
parsed, type-checked AST is lowered once into closures that implement Kleene's three-valued logic
(``None`` is unknown): ``False and unknown`` is False, ``True or unknown`` is True, any comparison with
an unknown operand is unknown. Lowering from the AST (never from the raw string) also keeps packs
inside a small, safe subset: no attribute access, no regular expressions, no built-in ``$`` symbols.
It is also where the speed comes from: the closures skip rule-engine's per-call type conversions.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta

from govrules.compile.temporal import guard_text
from govrules.models.dates import parse_date
from govrules.models.pack import Fact, FactType, ForEach, Pack, Term
from govrules.models.project import (
    EVENT_NAMES,
    Category,
    ChangeCause,
    Dates,
    Execution,
    FundingSource,
    Level,
    Nature,
    PlaceKind,
    ProcurementCategory,
    Purpose,
    SystemStatus,
)

# rule-engine builds its parser tables when imported (~0.6 s): import it only when a condition is
# compiled from text, never to evaluate (a pack rebuilt from the compiled cache needs no parser).
rule_engine: Any = None
ast: Any = None
re_errors: Any = None
DT: Any = None


def _load_rule_engine() -> None:
    global rule_engine, ast, re_errors, DT
    if rule_engine is None:
        import rule_engine as _re
        import rule_engine.ast as _ast
        import rule_engine.errors as _errors

        rule_engine, ast, re_errors, DT = _re, _ast, _errors, _re.DataType


def _datatype(spec: str) -> Any:
    """A rule-engine DataType from its name ("FLOAT", "SET" of strings, …)."""
    _load_rule_engine()
    return "SET" if spec == "SET" else getattr(DT, spec)
# rule-engine turns naive dates into datetimes in the *local* zone unless told otherwise.
_SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

#: An event known not to have happened: it compares later than any real date.
NOT_YET = dt.date.max


@dataclass(frozen=True)
class Symbol:
    """A name a condition may use."""

    name: str
    type: str  # rule-engine DataType name: BOOLEAN, FLOAT, STRING, DATETIME, SET (of strings)
    source: str  # core | fact | parameter | item | function | event
    path: str  # where its value comes from in the project (e.g. facts.x, dates.contract_signed)
    zh: str
    en: str
    values: tuple[str, ...] | None = None
    money: bool = False
    ratio: bool = False


def _enum_values(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


_CORE: tuple[Symbol, ...] = (
    Symbol("level", "STRING", "core", "level", "建设单位的行政层级", "administrative level of the owner",
           _enum_values(Level)),
    Symbol("execution", "STRING", "core", "execution", "执行方式(建设类/服务类)", "construction or service",
           _enum_values(Execution)),
    Symbol("category", "STRING", "core", "category", "项目类型", "finer project type", _enum_values(Category)),
    Symbol("nature", "STRING", "core", "nature", "业务性质(公共类/专业类)", "public or professional",
           _enum_values(Nature)),
    Symbol("procurement_category", "STRING", "core", "procurement_category", "采购品目(货物/服务/工程)",
           "procurement category: goods, services or works", _enum_values(ProcurementCategory)),
    Symbol("place_kind", "STRING", "core", "place_kind", "功能区类型(示范区/开发区/新区)",
           "kind of functional area (demonstration zone, development zone, new area)", _enum_values(PlaceKind)),
    Symbol("owner", "STRING", "core", "owner", "建设单位", "the applying unit"),
    Symbol("budget", "FLOAT", "core", "budget", "预算金额(元)", "total budget in yuan", money=True),
    Symbol("procurement_budget", "FLOAT", "core", "procurement_budget",
           "采购预算(元)；未填写时等于预算金额", "procurement budget in yuan (defaults to budget)", money=True),
    Symbol("funding_sources", "SET", "core", "funding", "资金来源", "sources of the money",
           _enum_values(FundingSource)),
    Symbol("fiscal_funded", "BOOLEAN", "core", "funding", "使用财政性资金(中央、省、州/市、县级)",
           "uses fiscal funds of some level"),
    Symbol("fiscal_amount", "FLOAT", "core", "funding", "财政性资金金额(元)", "amount of fiscal funds", money=True),
    Symbol("system_count", "FLOAT", "core", "systems", "涉及的信息系统数量", "number of systems"),
    Symbol("all_systems_in_catalogue", "BOOLEAN", "core", "systems.in_catalogue",
           "涉及的信息系统均已列入目录", "every system of the project is in the catalogue"),
    Symbol("change_count", "FLOAT", "core", "changes", "变更申请数量", "number of change requests"),
    Symbol("as_of", "DATETIME", "core", "as_of", "评估日期", "the evaluation date"),
    Symbol("effective_date", "DATETIME", "core", "pack", "本办法施行日期", "the date the measure took effect"),
)

_ITEM: dict[ForEach, tuple[Symbol, ...]] = {
    ForEach.change: (
        Symbol("change_scale", "FLOAT", "item", "changes[].scale", "变更规模(占批复规模的比例)",
               "scale of the change as a ratio", ratio=True),
        Symbol("change_increases_investment", "BOOLEAN", "item", "changes[].increases_investment",
               "变更是否增加项目投资", "whether the change adds investment"),
        Symbol("change_cause", "STRING", "item", "changes[].cause", "变更原因", "cause of the change",
               _enum_values(ChangeCause)),
        Symbol("change_major", "BOOLEAN", "item", "changes[].major", "是否重大变更", "whether the change is major"),
        Symbol("change_date", "DATETIME", "item", "changes[].date", "变更日期", "when the change was made"),
        Symbol("change_before_approval", "BOOLEAN", "item", "changes[].date",
               "变更发生在立项(审批批复或备案)之前", "the change was made before the project's approval or filing"),
        Symbol("change_before_construction", "BOOLEAN", "item", "changes[].date",
               "变更发生在开工建设之前", "the change was made before construction started"),
        Symbol("change_after_acceptance", "BOOLEAN", "item", "changes[].date",
               "变更发生在竣工验收之后", "the change was made after the project's acceptance"),
    ),
    ForEach.system: (
        Symbol("system_status", "STRING", "item", "systems[].status", "系统建设类型", "new, upgrade, …",
               _enum_values(SystemStatus)),
        Symbol("system_in_catalogue", "BOOLEAN", "item", "systems[].in_catalogue", "系统已列入目录",
               "the system is in the catalogue"),
    ),
    ForEach.budget_line: (
        Symbol("line_year", "FLOAT", "item", "budget_lines[].year", "资金年度", "year of the line"),
        Symbol("line_purpose", "STRING", "item", "budget_lines[].purpose", "资金用途", "purpose",
               _enum_values(Purpose)),
        Symbol("line_amount", "FLOAT", "item", "budget_lines[].amount", "安排金额", "amount", money=True),
        Symbol("line_spent", "FLOAT", "item", "budget_lines[].spent", "已使用金额", "spent", money=True),
        Symbol("line_carried_over_years", "FLOAT", "item", "budget_lines[].carried_over_years",
               "连续结转未使用年数", "consecutive years carried over unused"),
    ),
}


#: The change-timing symbols (true/false/unknown), worked out from a change's date and the project's
#: events: name → (the event, whether the symbol says "before" it (else "after"), the events that cannot
#: come after it (``DATE_ORDER``), which settle the symbol when the event's own date is unknown).
CHANGE_TIMING: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "change_before_approval": ("approval", True, ("application",)),
    "change_before_construction": ("construction_start", True, ()),
    "change_after_acceptance": ("acceptance", False, ("completion", "contract_signed", "construction_start")),
}


def change_timing(made: dt.date | None, events: Mapping[str, Any], name: str, as_of: dt.date) -> bool | None:
    """The change-timing symbol ``name`` (:data:`CHANGE_TIMING`) of a change made on ``made``, judged on
    ``as_of`` from ``events`` (event name → date, ``NOT_YET`` or ``None`` for unknown).

    An event dated after ``as_of`` (or ``NOT_YET``) had not happened on ``as_of``: a change made by then
    came before it; a change dated after ``as_of`` is planned, and whether an approval or a start will come
    first is unknown, but a change planned while the project is not yet accepted is a change of the project
    under way, not after its acceptance. On the event's own day a change is neither before nor after it:
    a change on the day of the approval is made on an approved project, one on the day of the acceptance
    within the project. When
    the event's date is unknown, an event that cannot come after it may settle the symbol: a change
    before the completion (or a completion not yet) was not made after the acceptance.
    """
    if made is None:
        return None
    event, before, earlier = CHANGE_TIMING[name]
    relation = _made_before if before else _made_after
    found = relation(made, events.get(event), as_of)
    if found is None and events.get(event) is None:
        settles = before  # before an earlier event: before; not after one: not after
        if any(relation(made, events.get(e), as_of) is settles for e in earlier):
            return settles
    return found


def _made_before(made: dt.date, day: Any, as_of: dt.date) -> bool | None:
    if day is None:
        return None
    if day is NOT_YET or day > as_of:
        return True if made <= as_of else None
    return bool(made < day)


def _made_after(made: dt.date, day: Any, as_of: dt.date) -> bool | None:
    if day is None:
        return None
    if day is NOT_YET or day > as_of:
        return False
    return bool(made > day)


def _add_years(day: Any, years: Any) -> Any:
    if day is NOT_YET:
        return NOT_YET
    try:
        return day + relativedelta(years=int(years))
    except (OverflowError, ValueError):
        return NOT_YET


def _add_months(day: Any, months: Any) -> Any:
    if day is NOT_YET:
        return NOT_YET
    try:
        return day + relativedelta(months=int(months))
    except (OverflowError, ValueError):
        return NOT_YET


def _date(year: Any, month: Any, day: Any) -> Any:
    try:
        return dt.date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return None


def _year(day: Any) -> Any:
    return None if day is NOT_YET else Decimal(day.year)


@dataclass(frozen=True)
class Function:
    """A function conditions may call."""

    name: str
    impl: Callable[..., Any]
    signature: tuple[str, tuple[str, ...]]  # return type, argument types (rule-engine DataType names)
    doc: str

    def datatype(self) -> Any:
        """The rule-engine FUNCTION type."""
        returns, arguments = self.signature
        return DT.FUNCTION(self.name, return_type=_datatype(returns),
                           argument_types=tuple(_datatype(a) for a in arguments))


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("add_years", _add_years, ("DATETIME", ("DATETIME", "FLOAT")),
                 "add_years(date, n): the same day n years later"),
        Function("add_months", _add_months, ("DATETIME", ("DATETIME", "FLOAT")),
                 "add_months(date, n): the same day n months later"),
        Function("date", _date, ("DATETIME", ("FLOAT", "FLOAT", "FLOAT")), "date(year, month, day): a calendar date"),
        Function("year", _year, ("FLOAT", ("DATETIME",)),
                 "year(date): the calendar year"),
    )
}

_FACT_TYPES: dict[FactType, str] = {
    FactType.bool: "BOOLEAN", FactType.money: "FLOAT", FactType.ratio: "FLOAT", FactType.number: "FLOAT",
    FactType.integer: "FLOAT", FactType.string: "STRING", FactType.enum: "STRING",
    FactType.set: "SET", FactType.date: "DATETIME",
}


class Note(str):
    """A warning about a condition that compiles (a bare literal where a parameter belongs), with its lint code."""

    code: str

    def __new__(cls, text: str, code: str = "lint.money_literal") -> Note:
        note = super().__new__(cls, text)
        note.code = code
        return note


#: Arithmetic operators that divide: a zero divisor makes the condition undetermined.
DIVISIONS = frozenset({"tdiv", "fdiv", "mod"})


def divides(node: Lowered) -> bool:
    """Whether the (sub)condition divides anywhere."""
    return (node.op == "arith" and node.arg in DIVISIONS) or any(divides(c) for c in node.children)


def zero_divisors(node: Lowered, env: Env) -> list[str]:
    """The divisors that are zero in ``env`` (each by its symbol, or ``0`` for a literal or an expression).

    Decimal division by zero raises, and the condition's closure turns that into *unknown*: the rule is
    then undetermined although no fact is missing. The evaluator names these in a warning."""
    found: list[str] = []
    if node.op == "arith" and node.arg in DIVISIONS and len(node.children) == 2:
        divisor = node.children[1]
        value = divisor.fn(env)
        if value is not None and not isinstance(value, bool) and isinstance(value, int | Decimal) and value == 0:
            found.append(divisor.symbol or "0")
    for child in node.children:
        found.extend(zero_divisors(child, env))
    return found


class ConditionError(Exception):
    """A condition cannot be compiled; ``offset`` points into the condition text when known."""

    def __init__(self, code: str, message: str, offset: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset
        self.hint = hint


@dataclass
class Lowered:
    """A compiled (sub)condition: its closure, its children, and the symbols it reads."""

    fn: Fn
    children: list[Lowered] = field(default_factory=list)
    symbol: str | None = None
    literal: bool = False
    op: str = ""
    arg: Any = None

    def to_ir(self) -> Any:
        """A JSON-ready form from which :func:`from_ir` rebuilds the same closures (no parser needed)."""
        arg = _encode_const(self.arg) if self.op == "const" else self.arg
        return [self.op, arg, [child.to_ir() for child in self.children]]

    def symbols(self) -> set[str]:
        """Every symbol this (sub)condition may read."""
        found = {self.symbol} if self.symbol else set()
        for child in self.children:
            found |= child.symbols()
        return found

    def unknowns(self, env: Env) -> set[str]:
        """The unknown symbols that make this (sub)condition unknown in ``env``."""
        if self.fn(env) is not None:
            return set()
        found: set[str] = set()
        self.unknowns_of_unknown(env, found)
        return found

    def unknowns_of_unknown(self, env: Env, found: set[str]) -> None:
        """Add to ``found`` the unknown symbols below this node, which the caller knows is unknown.

        Descends only into children that are unknown too (each evaluated once here) and never
        re-evaluates this node itself."""
        if self.symbol is not None:
            found.add(self.symbol)
            return
        for child in self.children:
            if child.literal:
                continue
            if child.symbol is not None:
                if env.get(child.symbol) is None:
                    found.add(child.symbol)
            elif child.fn(env) is None:
                child.unknowns_of_unknown(env, found)


def build(op: str, arg: Any, children: list[Lowered]) -> Lowered:
    """The closure for one node of a lowered condition (three-valued: ``None`` is unknown)."""
    if op == "sym":
        name = arg
        return Lowered(lambda env: env.get(name), symbol=name, op=op, arg=arg)
    if op == "const":
        value = arg
        return Lowered(lambda env: value, literal=True, op=op, arg=arg)
    fns = [c.fn for c in children]
    fn: Fn
    if op == "not":
        (rf,) = fns
        fn = lambda env: None if (v := rf(env)) is None else not v  # noqa: E731
    elif op == "neg":
        (rf,) = fns
        fn = lambda env: None if (v := rf(env)) is None else -v  # noqa: E731
    elif op == "and":
        lf, rf = fns

        def fn(env: Env) -> Any:
            a = lf(env)
            if a is False:
                return False
            b = rf(env)
            if b is False:
                return False
            return None if a is None or b is None else True
    elif op == "or":
        lf, rf = fns

        def fn(env: Env) -> Any:
            a = lf(env)
            if a is True:
                return True
            b = rf(env)
            if b is True:
                return True
            return None if a is None or b is None else False
    elif op in ("cmp", "arith", "bit"):
        lf, rf = fns
        binary = BINARY_OPERATORS[arg]

        def fn(env: Env) -> Any:
            a = lf(env)
            if a is None:
                return None
            b = rf(env)
            if b is None:
                return None
            try:
                return binary(a, b)
            except (ArithmeticError, TypeError, OverflowError):
                return None
    elif op == "coalesce":
        lf, rf = fns
        fn = lambda env: v if (v := lf(env)) is not None else rf(env)  # noqa: E731
    elif op == "ternary":
        cf, yf, nf = fns

        def fn(env: Env) -> Any:
            c = cf(env)
            if c is None:
                a, b = yf(env), nf(env)
                return a if a == b else None
            return yf(env) if c else nf(env)
    elif op == "in":
        cf, mf = fns

        def fn(env: Env) -> Any:
            c = cf(env)
            if c is None:
                return None
            m = mf(env)
            if m is None:
                return None
            return m in c
    elif op == "call":
        impl = FUNCTIONS[arg].impl

        def fn(env: Env) -> Any:
            values = [f(env) for f in fns]
            if any(v is None for v in values):
                return None
            return impl(*values)
    else:
        raise ValueError(f"unknown operation {op!r}")
    return Lowered(fn, children, op=op, arg=arg)


def from_ir(ir: Any) -> Lowered:
    """Rebuild a lowered condition from :meth:`Lowered.to_ir` output."""
    op, arg, children = ir
    if op == "const":
        return build(op, _decode_const(arg), [])
    return build(op, arg, [from_ir(child) for child in children])


def _encode_const(value: Any) -> Any:
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, str):
        return {"s": value}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, frozenset):
        return {"set": sorted((_encode_const(v) for v in value), key=repr)}
    raise TypeError(f"cannot encode constant {value!r}")


def _decode_const(data: Any) -> Any:
    (kind, value), = data.items()
    if kind == "b":
        return bool(value)
    if kind == "d":
        return Decimal(value)
    if kind == "s":
        return str(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "td":
        return dt.timedelta(days=value[0], seconds=value[1], microseconds=value[2])
    if kind == "set":
        return frozenset(_decode_const(v) for v in value)
    raise ValueError(f"unknown constant kind {kind!r}")


class SymbolTable:
    """The names a pack's conditions may use, by collection they range over."""

    def __init__(self, pack: Pack) -> None:
        self.symbols: dict[str, Symbol] = {s.name: s for s in _CORE}
        for event in EVENT_NAMES:
            described = Dates.model_fields[event].description or event
            self.symbols[f"dates.{event}"] = Symbol(f"dates.{event}", "DATETIME", "event", f"dates.{event}",
                                                    f"{described}的日期", f"date of {event.replace('_', ' ')}")
        self.item_symbols: dict[ForEach, dict[str, Symbol]] = {k: {s.name: s for s in v} for k, v in _ITEM.items()}
        self.system_facts: dict[str, Symbol] = {}
        self.problems: list[tuple[str, str, str]] = []  # (fact name, code, message)
        for fact in pack.facts:
            symbol = _fact_symbol(fact)
            target = self.system_facts if fact.scope.value == "system" else self.symbols
            if fact.name in self.symbols or fact.name in target or fact.name in FUNCTIONS:
                self.problems.append((fact.name, "pack.name_clash",
                                      f"fact `{fact.name}` clashes with a name already defined"))
            target[fact.name] = symbol
        for parameter in pack.parameters:
            if parameter.name in self.symbols:
                self.problems.append((parameter.name, "pack.name_clash",
                                      f"parameter `{parameter.name}` clashes with a name already defined"))
            self.symbols[parameter.name] = Symbol(
                parameter.name, "FLOAT", "parameter", f"parameters.{parameter.name}", parameter.zh, parameter.en,
                money=parameter.unit.value == "CNY")
        #: the pack's defined terms by id: true/false symbols whose conditions are inlined where read
        self.term_defs: dict[str, Term] = {}
        for term in pack.terms:
            if term.id in self.symbols or term.id in self.system_facts or term.id in FUNCTIONS:
                self.problems.append((term.id, "pack.name_clash", f"term `{term.id}` clashes with a name already "
                                                                  "defined"))
                continue
            self.term_defs[term.id] = term
            self.symbols[term.id] = Symbol(term.id, "BOOLEAN", "term", f"terms.{term.id}", term.zh, term.en)
        self._terms: dict[str, Lowered] = {}
        #: the terms some compiled condition read (an unread term is linted)
        self.terms_read: set[str] = set()
        self._term_notes: dict[str, list[Note]] = {}
        self._compiling: list[str] = []
        self._contexts: dict[ForEach | None, Any] = {}

    def term(self, term_id: str) -> tuple[Lowered, list[Note]]:
        """The lowered condition of the defined term ``term_id``, compiled on first use (over project
        facts only), with its notes; raises :class:`ConditionError` for a condition that does not
        compile, or a term defined through itself."""
        found = self._terms.get(term_id)
        if found is not None:
            return found, self._term_notes[term_id]
        if term_id in self._compiling:
            chain = " → ".join([*self._compiling[self._compiling.index(term_id):], term_id])
            raise ConditionError("term.cycle", f"term `{term_id}` is defined through itself ({chain})", None,
                                 hint="define each term by facts and earlier terms")
        self._compiling.append(term_id)
        try:
            lowered, notes = compile_condition(self.term_defs[term_id].when, self, None)
        finally:
            self._compiling.pop()
        self._terms[term_id], self._term_notes[term_id] = lowered, notes
        return lowered, notes

    def visible(self, for_each: ForEach | None) -> dict[str, Symbol]:
        """Symbols visible to a rule ranging over ``for_each``."""
        names = dict(self.symbols)
        if for_each is not None:
            names.update(self.item_symbols[for_each])
            if for_each is ForEach.system:
                names.update(self.system_facts)
        return names

    def context(self, for_each: ForEach | None) -> Any:
        """A typed rule-engine Context for conditions of rules ranging over ``for_each``."""
        _load_rule_engine()
        if for_each not in self._contexts:
            types: dict[str, Any] = {n: _datatype(s.type) for n, s in self.visible(for_each).items() if "." not in n}
            types["dates"] = DT.MAPPING(DT.STRING, DT.DATETIME)
            types.update({name: f.datatype() for name, f in FUNCTIONS.items()})
            self._contexts[for_each] = rule_engine.Context(
                type_resolver=rule_engine.type_resolver_from_dict(types),
                default_timezone=_SHANGHAI,
            )
        return self._contexts[for_each]


def _fact_symbol(fact: Fact) -> Symbol:
    path = f"systems[].facts.{fact.name}" if fact.scope.value == "system" else f"facts.{fact.name}"
    return Symbol(fact.name, _FACT_TYPES[fact.type], "fact", path, fact.zh, fact.en,
                  tuple(fact.values) if fact.values else None, money=fact.type is FactType.money,
                  ratio=fact.type is FactType.ratio)


def compile_condition(text: str, table: SymbolTable, for_each: ForEach | None) -> tuple[Lowered, list[Note]]:
    """Parse, type-check and lower one condition; return it with warnings (bare money or ratio literals:
    each a :class:`Note` with its lint code)."""
    _load_rule_engine()
    if len(text) > MAX_CONDITION_CHARS:
        raise ConditionError("condition.too_long", f"the condition has {len(text)} characters; the limit is "
                             f"{MAX_CONDITION_CHARS}", 0, hint="split it into several rules")
    for literal in _DATE_LITERAL.finditer(text):
        # rule-engine reads d'...' with dateutil's isoparse: d'20250101', d'2025-W01-1' (2024-12-30)
        try:
            parse_date(literal.group(2))
        except ValueError as exc:
            raise ConditionError("condition.syntax", f"date literal {literal.group()}: {exc}", literal.start(),
                                 hint="write a date as d'YYYY-MM-DD'") from None
    try:
        return _compile_condition(text, table, for_each)
    except RecursionError:
        # rule-engine's parser and the lowering recurse once per operator: a very long chain of
        # `and`/`not`/`+` exhausts the stack before any of them is reported.
        raise ConditionError("condition.too_deep", "the condition has too many operators to compile", 0,
                             hint="split it into several rules") from None
    except (OverflowError, ArithmeticError) as exc:
        raise ConditionError("condition.number", f"a literal in the condition is out of range ({exc})", 0,
                             hint="use smaller numbers or durations") from None


#: Bounds on a single condition (documented in docs/limits.md).
MAX_CONDITION_CHARS = 4_000
#: A date literal of rule-engine's condition language: d'…' or d"…".
_DATE_LITERAL = re.compile(r"(?<![\w$])d(['\"])([^'\"\n]*)\1")


def _compile_condition(text: str, table: SymbolTable, for_each: ForEach | None) -> tuple[Lowered, list[Note]]:
    try:
        rule = rule_engine.Rule(text, context=table.context(for_each))
    except re_errors.SymbolResolutionError as exc:
        name = exc.symbol_name
        offset = _find_word(text, name)
        if exc.symbol_scope == "built-in":
            raise ConditionError("condition.builtin", f"built-in symbol `${name}` is not allowed",
                                 offset, hint="use `as_of` for the evaluation date") from None
        visible = [*sorted(table.visible(for_each)), "dates", *sorted(FUNCTIONS)]
        import difflib  # only for suggestions in messages: not imported on the way to a verdict
        suggestion = difflib.get_close_matches(name, visible, n=1, cutoff=0.6)
        hint = f"did you mean `{suggestion[0]}`?" if suggestion else "declare it under `facts:`"
        raise ConditionError("condition.unknown_symbol", f"unknown fact or symbol `{name}`", offset,
                             hint=hint) from None
    except re_errors.RuleSyntaxError as exc:
        token = getattr(exc, "token", None)
        offset = token.lexpos if token is not None else len(text)
        raise ConditionError("condition.syntax", f"syntax error in condition: {exc.message}", offset) from None
    except re_errors.EngineError as exc:
        mismatch = _explain_mismatch(text, table, for_each)
        if mismatch is not None:
            message, word = mismatch
            raise ConditionError("condition.type", message, _find_word(text, word) if word else None,
                                 hint="compare a value with one of the same type (a number with a number or a "
                                      "parameter, text with 'text', a date with a date)") from None
        raise ConditionError("condition.type", f"{exc.message} in condition", None,
                             hint="check the types of the values compared") from None
    statement = rule.statement
    lowering = _Lowering(table, for_each, text)
    root = lowering.lower(statement.expression)
    result_type = getattr(statement.expression, "result_type", None)
    if result_type is not None and result_type != DT.BOOLEAN and result_type != DT.UNDEFINED:
        raise ConditionError("condition.not_boolean",
                             f"a condition must be true or false, this one gives {result_type.name}", 0)
    return root, lowering.warnings


_CMP_SYMBOLS: dict[str, str] = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_TYPE_WORDS: dict[str, str] = {"FLOAT": "a number", "STRING": "text", "BOOLEAN": "true/false", "DATETIME": "a date",
                               "TIMEDELTA": "a duration", "ARRAY": "a list", "SET": "a set", "MAPPING": "a mapping"}


def _type_word(kind: str, symbol: Symbol | None = None) -> str:
    if symbol is not None and symbol.money:
        return f"money ({kind})"
    if symbol is not None and symbol.values and kind == "STRING":
        values = ", ".join(repr(v) for v in symbol.values[:4]) + (", …" if len(symbol.values) > 4 else "")
        return f"an enum ({kind}: {values})"
    return f"{_TYPE_WORDS.get(kind, kind.lower())} ({kind})"


def _explain_mismatch(text: str, table: SymbolTable, for_each: ForEach | None) -> tuple[str, str | None] | None:
    """Which operator of ``text`` combines values of two types, and both types: rule-engine only says
    "data type mismatch". The condition is parsed again without types and its types worked out here."""
    try:
        statement = rule_engine.Rule(text).statement
    except Exception:
        return None
    visible = table.visible(for_each)
    found: list[tuple[str, str | None]] = []

    def describe(node: Any) -> str:
        if isinstance(node, ast.SymbolExpression):
            return str(node.name)
        if isinstance(node, ast.StringExpression):
            return repr(node.value)
        if isinstance(node, ast.FloatExpression | ast.BooleanExpression):
            return str(node.value).lower() if isinstance(node.value, bool) else str(node.value)
        return type(node).__name__.removesuffix("Expression").lower()

    def kind_of(node: Any) -> tuple[str | None, Symbol | None]:
        if isinstance(node, ast.SymbolExpression):
            symbol = visible.get(node.name)
            if node.name in FUNCTIONS or symbol is None:
                return None, None
            return symbol.type, symbol
        simple = {ast.FloatExpression: "FLOAT", ast.StringExpression: "STRING", ast.BooleanExpression: "BOOLEAN",
                  ast.DatetimeExpression: "DATETIME", ast.TimedeltaExpression: "TIMEDELTA",
                  ast.ArrayExpression: "ARRAY", ast.SetExpression: "SET"}
        for cls, name in simple.items():
            if isinstance(node, cls):
                return name, None
        if isinstance(node, ast.GetItemExpression):
            return "DATETIME", None
        if isinstance(node, ast.FunctionCallExpression):
            function = FUNCTIONS.get(getattr(node.function, "name", ""))
            return (function.signature[0], None) if function is not None else (None, None)
        if isinstance(node, ast.ComparisonExpression | ast.LogicExpression | ast.ContainsExpression):
            return "BOOLEAN", None
        if isinstance(node, ast.UnaryExpression):
            return ("BOOLEAN", None) if node.type == "not" else kind_of(node.right)
        if isinstance(node, ast.AddExpression | ast.SubtractExpression):
            left, right = kind_of(node.left)[0], kind_of(node.right)[0]
            return ("DATETIME" if "DATETIME" in (left, right) else left), None
        if isinstance(node, ast.ArithmeticExpression):
            return "FLOAT", None
        return None, None

    def walk(node: Any) -> None:
        if found or node is None:
            return
        for child in ("left", "right", "container", "member", "condition", "case_true", "case_false"):
            if hasattr(node, child) and not isinstance(getattr(node, child), str | bool | int | float):
                walk(getattr(node, child))
        if found:
            return
        pairs: list[tuple[Any, Any, str]] = []
        if isinstance(node, ast.ContainsExpression):
            container, _ = kind_of(node.container)
            if container is not None and container not in ("ARRAY", "SET", "STRING"):
                found.append((f"`{describe(node.member)} in {describe(node.container)}`: "
                              f"`{describe(node.container)}` is {_type_word(container, kind_of(node.container)[1])}, "
                              "not a list or a set", describe(node.container)))
            return
        if isinstance(node, ast.ComparisonExpression | ast.AddExpression | ast.SubtractExpression
                      | ast.ArithmeticExpression):
            pairs.append((node.left, node.right, str(node.type)))
        if isinstance(node, ast.FunctionCallExpression):
            function = FUNCTIONS.get(getattr(node.function, "name", ""))
            for i, (argument, wanted) in enumerate(zip(node.arguments, function.signature[1] if function else (),
                                                       strict=False)):
                got, symbol = kind_of(argument)
                if got is not None and got != wanted and function is not None:
                    found.append((f"argument {i + 1} of `{function.name}` is `{describe(argument)}`, "
                                  f"{_type_word(got, symbol)}; it takes {_type_word(wanted)} — {function.doc}",
                                  describe(argument)))
                    return
        for left, right, op in pairs:
            (lt, ls), (rt, rs) = kind_of(left), kind_of(right)
            if lt is None or rt is None or lt == rt:
                continue
            if {lt, rt} <= {"DATETIME", "TIMEDELTA"} and op in ("add", "sub"):
                continue
            sign = {**_CMP_SYMBOLS, "add": "+", "sub": "-", "mul": "*", "tdiv": "/", "fdiv": "//",
                    "mod": "%"}.get(op, op)
            found.append((f"`{describe(left)}` is {_type_word(lt, ls)} and `{describe(right)}` is "
                          f"{_type_word(rt, rs)}: `{sign}` cannot combine them", describe(left)))

    walk(statement.expression)
    return found[0] if found else None


def _find_word(text: str, word: str) -> int | None:
    import re

    match = re.search(rf"(?<![\w$]){re.escape(word)}(?!\w)", text)
    return match.start() if match else None


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge,
}
_BITWISE: dict[str, Callable[[Any, Any], Any]] = {"bwand": operator.and_, "bwor": operator.or_, "bwxor": operator.xor}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "tdiv": operator.truediv,
    "fdiv": operator.floordiv, "mod": operator.mod,
}
BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {**_COMPARE, **_ARITH, **_BITWISE}


class _Lowering:
    def __init__(self, table: SymbolTable, for_each: ForEach | None, text: str) -> None:
        self.table = table
        self.visible = table.visible(for_each)
        self.text = text
        self.warnings: list[Note] = []

    def fail(self, message: str, hint: str | None = None, word: str | None = None) -> ConditionError:
        return ConditionError("condition.unsupported", message, _find_word(self.text, word) if word else None,
                              hint=hint)

    def lower(self, node: Any) -> Lowered:
        if isinstance(node, ast.SymbolExpression):
            return self.symbol(node)
        if isinstance(node, ast.LogicExpression):
            return self.logic(node)
        if isinstance(node, ast.UnaryExpression):
            if node.type == "not":
                self._boolean(node.right, "not")
            if node.type not in ("not", "uminus"):
                raise self.fail(f"the operator `{node.type}` is not supported")
            return build("not" if node.type == "not" else "neg", None, [self.lower(node.right)])
        if isinstance(node, ast.ComparisonExpression) and not isinstance(node, ast.FuzzyComparisonExpression):
            return self.compare(node)
        if isinstance(node, ast.ContainsExpression):
            return self.contains(node)
        if isinstance(node, ast.AddExpression | ast.SubtractExpression | ast.ArithmeticExpression):
            if node.type not in _ARITH:
                raise self.fail(f"the arithmetic operator `{node.type}` is not supported")
            self._ratio_literal(node)
            return build("arith", node.type, [self.lower(node.left), self.lower(node.right)])
        if isinstance(node, ast.BitwiseExpression):
            if node.type not in _BITWISE:
                raise self.fail(f"the operator `{node.type}` is not supported")
            return build("bit", node.type, [self.lower(node.left), self.lower(node.right)])
        if isinstance(node, ast.CoalesceExpression):
            return build("coalesce", None, [self.lower(node.left), self.lower(node.right)])
        if isinstance(node, ast.TernaryExpression):
            self._boolean(node.condition, "?:")
            return build("ternary", None, [self.lower(node.condition), self.lower(node.case_true),
                                           self.lower(node.case_false)])
        if isinstance(node, ast.GetItemExpression):
            return self.get_item(node)
        if isinstance(node, ast.FunctionCallExpression):
            return self.call(node)
        if isinstance(node, ast.NullExpression):
            raise self.fail("`null` is not allowed in conditions: an unknown fact is unknown",
                            hint="use `x ?? value` to decide what an unknown fact should count as", word="null")
        if isinstance(node, ast.DatetimeExpression):
            value = node.value
            if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0):
                raise self.fail("date literals must be dates without a time of day")
            return self._const(value.date())
        if isinstance(node, ast.ArrayExpression | ast.SetExpression):
            members = [self.lower(m) for m in node.value]
            if not all(m.literal for m in members):
                raise self.fail("lists in conditions may only hold literal values")
            values = frozenset(m.fn({}) for m in members)
            return self._const(values)
        if isinstance(node, ast.FloatExpression | ast.StringExpression | ast.BooleanExpression
                      | ast.TimedeltaExpression):
            return self._const(node.value)
        raise self.fail(f"`{type(node).__name__}` is not supported in pack conditions",
                        hint="conditions use facts, parameters, comparisons, and/or/not, in, ?? and the "
                             "functions " + ", ".join(sorted(FUNCTIONS)))

    def _ratio_literal(self, node: Any) -> None:
        """Warn of ``x * 0.15`` (or ``/ 0.15``): a bare fraction is a ratio the text names, and belongs in a
        parameter (unit ratio) with its citation, as an amount does."""
        if node.type not in ("mul", "tdiv"):
            return
        for side in (node.left, node.right):
            value = side.value if isinstance(side, ast.FloatExpression) else None
            if value is not None and value != 0 and value != value.to_integral_value():
                self.warnings.append(Note(f"{'multiplies' if node.type == 'mul' else 'divides'} by the bare ratio "
                                          f"{side.value}: name the ratio as a parameter", "lint.ratio_literal"))

    @staticmethod
    def _const(value: Any) -> Lowered:
        return build("const", value, [])

    def symbol(self, node: Any) -> Lowered:
        if node.scope is not None:
            raise ConditionError("condition.builtin", f"built-in symbol `${node.name}` is not allowed",
                                 _find_word(self.text, "$" + node.name), hint="use `as_of` for the evaluation date")
        name = node.name
        if name in FUNCTIONS or name == "dates":
            raise self.fail(f"`{name}` cannot be used as a value", word=name)
        if name in self.table.term_defs:
            self.table.terms_read.add(name)
            # a defined term is compiled into every condition that reads it: the engine sees the facts
            # it is defined by (three-valued as any condition), and a missing one is named as missing
            try:
                lowered, _ = self.table.term(name)
            except ConditionError as exc:
                if exc.code == "term.cycle":
                    raise ConditionError(exc.code, exc.message, _find_word(self.text, name), exc.hint) from None
                # the term's own error is reported where the term is defined
                raise ConditionError("condition.term_invalid", f"term `{name}` does not compile: {exc.message}",
                                     _find_word(self.text, name), hint="fix the term's `when`") from None
            return lowered
        return build("sym", name, [])

    def _boolean(self, node: Any, what: str) -> None:
        kind = getattr(node, "result_type", DT.UNDEFINED)
        if kind not in (DT.BOOLEAN, DT.UNDEFINED):
            raise ConditionError("condition.not_boolean", f"`{what}` needs true/false operands, got {kind.name}",
                                 None, hint="compare the value, e.g. `budget >= threshold`")

    def logic(self, node: Any) -> Lowered:
        self._boolean(node.left, node.type)
        self._boolean(node.right, node.type)
        return build("and" if node.type == "and" else "or", None, [self.lower(node.left), self.lower(node.right)])

    def _symbol_info(self, node: Any) -> Any:
        if isinstance(node, ast.SymbolExpression) and node.scope is None:
            return self.visible.get(node.name)
        if isinstance(node, ast.GetItemExpression):
            return None
        return None

    def _check_enum(self, symbol_node: Any, literal_node: Any) -> None:
        info = self._symbol_info(symbol_node)
        if info is None or info.values is None:
            return
        literals: list[Any] = []
        if isinstance(literal_node, ast.StringExpression):
            literals = [literal_node]
        elif isinstance(literal_node, ast.ArrayExpression | ast.SetExpression):
            literals = [m for m in literal_node.value if isinstance(m, ast.StringExpression)]
        for lit in literals:
            if lit.value not in info.values:
                import difflib
                close = difflib.get_close_matches(lit.value, info.values, n=1, cutoff=0.5)
                hint = f"did you mean '{close[0]}'?" if close else f"valid values: {', '.join(info.values)}"
                raise ConditionError("condition.unknown_value",
                                     f"`{info.name}` is never '{lit.value}'", _find_word(self.text, lit.value),
                                     hint=hint)

    def compare(self, node: Any) -> Lowered:
        op = _COMPARE.get(node.type)
        if op is None:
            raise self.fail(f"the comparison `{node.type}` is not supported")
        if isinstance(node.left, ast.NullExpression) or isinstance(node.right, ast.NullExpression):
            raise self.fail("`null` is not allowed in conditions: an unknown fact is unknown",
                            hint="use `x ?? value` to decide what an unknown fact should count as", word="null")
        lt, rt = getattr(node.left, "result_type", DT.UNDEFINED), getattr(node.right, "result_type", DT.UNDEFINED)
        if DT.UNDEFINED not in (lt, rt) and not DT.is_compatible(lt, rt):
            raise ConditionError("condition.type", f"compares {lt.name} with {rt.name}: never equal", None,
                                 hint="compare values of the same type")
        self._check_enum(node.left, node.right)
        self._check_enum(node.right, node.left)
        for side, other in ((node.left, node.right), (node.right, node.left)):
            info = self._symbol_info(side)
            if info is not None and info.money and isinstance(other, ast.FloatExpression) and other.value != 0:
                self.warnings.append(Note(f"compares money `{info.name}` with the bare literal {other.value}: "
                                          "name the amount as a parameter"))
            elif info is not None and info.ratio and isinstance(other, ast.FloatExpression) and other.value != 0:
                self.warnings.append(Note(f"compares the ratio `{info.name}` with the bare literal {other.value}: "
                                          "name the ratio as a parameter", "lint.ratio_literal"))
        return build("cmp", node.type, [self.lower(node.left), self.lower(node.right)])

    def contains(self, node: Any) -> Lowered:
        self._check_enum(node.member, node.container)
        return build("in", None, [self.lower(node.container), self.lower(node.member)])

    def get_item(self, node: Any) -> Lowered:
        container, item = node.container, node.item
        if not (isinstance(container, ast.SymbolExpression) and container.name == "dates"
                and isinstance(item, ast.StringExpression)):
            raise self.fail("only `dates['event']` lookups are supported",
                            hint="events: " + ", ".join(EVENT_NAMES))
        if item.value not in EVENT_NAMES:
            import difflib
            close = difflib.get_close_matches(item.value, EVENT_NAMES, n=1, cutoff=0.5)
            raise ConditionError("condition.unknown_event", f"unknown event `{item.value}`",
                                 _find_word(self.text, item.value),
                                 hint=f"did you mean '{close[0]}'?" if close else "events: " + ", ".join(EVENT_NAMES))
        return build("sym", f"dates.{item.value}", [])

    def call(self, node: Any) -> Lowered:
        function = node.function
        if not isinstance(function, ast.SymbolExpression) or function.name not in FUNCTIONS:
            raise self.fail("only the functions " + ", ".join(sorted(FUNCTIONS)) + " may be called")
        return build("call", function.name, [self.lower(a) for a in node.arguments])


# --------------------------------------------------------------------------------------------------
# Whole packs


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to evaluate: its model, its lowered condition, and its exceptions."""

    rule: Any  # one of the Rule models
    condition: Lowered
    index: int
    met: Lowered | None = None
    symbols: frozenset[str] = frozenset()
    sorted_symbols: tuple[str, ...] = ()
    #: the time points the loader required to fall on or after the effective date (不溯及既往): the
    #: condition is then ``and(the rule's own condition, the guard)`` (:mod:`govrules.compile.temporal`)
    guard: tuple[str, ...] = ()
    #: the condition evaluated, in the condition language: ``when``, and the guard if any (the trace's)
    text: str = ""

    def __post_init__(self) -> None:
        if not self.symbols:
            object.__setattr__(self, "symbols", frozenset(self.condition.symbols()))
        object.__setattr__(self, "sorted_symbols", tuple(sorted(self.symbols)))
        when: str = self.rule.when
        object.__setattr__(self, "text", f"({when}) and ({guard_text(self.guard)})" if self.guard else when)

    @property
    def id(self) -> str:
        """The rule's id."""
        return str(self.rule.id)


class RuleStep(NamedTuple):
    """What evaluating one rule needs, looked up once per pack (in evaluation order: exceptions first)."""

    compiled: CompiledRule
    rule: Any
    kind: str
    rule_id: str
    for_each: ForEach | None
    #: (exception id, whether that exception ranges over items), for each exception the rule names
    unless: tuple[tuple[str, bool], ...]
    #: keep the outcome even when the condition is false (scope rules: "outside the scope" is an answer)
    keep_false: bool


@dataclass
class CompiledPack:
    """A pack checked and compiled: what :func:`govrules.evaluate` runs."""

    pack: Pack
    table: SymbolTable
    rules: list[CompiledRule]
    by_id: dict[str, CompiledRule]
    digest: str
    file: str | None
    diagnostics: list[Any]  # warnings found while compiling (errors raise)
    ordered: list[CompiledRule] = field(default_factory=list)
    by_kind: dict[str, list[CompiledRule]] = field(default_factory=dict)
    for_each_kinds: frozenset[ForEach] = frozenset()
    used_symbols: frozenset[str] = frozenset()
    #: the rules whose condition (or ``met_when``) divides: checked for a zero divisor when undetermined
    dividing: frozenset[str] = frozenset()
    project_facts: dict[str, Fact] = field(default_factory=dict)
    system_facts: dict[str, Fact] = field(default_factory=dict)

    plan: list[RuleStep] = field(default_factory=list)
    #: what the engine builds for this pack on its first verdicts and keeps with it
    #: (:class:`govrules.engine.codegen.PackRuntime`); the compiler only holds the slot
    engine_runtime: Any = field(default=None, repr=False, compare=False)
    #: each time point the loader guarded (不溯及既往, :mod:`govrules.compile.temporal`) → the rules guarded on it
    time_guards: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: every compiled rule, whichever reading it belongs to (``rules`` holds those of ``choice``)
    all_rules: list[CompiledRule] = field(default_factory=list)
    #: the option taken for each of the pack's readings (the defaults unless chosen otherwise)
    choice: dict[str, str] = field(default_factory=dict)
    #: the project facts the pack presumes, by name
    presumptions: dict[str, Fact] = field(default_factory=dict)
    #: the project facts the record can show (``inferred``), by name: the compiled ``inferred.when`` and
    #: ``inferred.false_when`` (None when the inference shows only true)
    inferences: dict[str, tuple[Lowered, Lowered | None, Fact]] = field(default_factory=dict)
    _variants: dict[tuple[tuple[str, str], ...], CompiledPack] = field(default_factory=dict, repr=False,
                                                                        compare=False)

    def __post_init__(self) -> None:
        if not self.all_rules:
            self.all_rules = list(self.rules)
        self.choice = {r.id: self.choice.get(r.id, r.default) for r in self.pack.readings}
        if self.pack.readings:
            choice = self.choice
            self.rules = [r for r in self.all_rules
                          if all(choice.get(k) == v for k, v in (r.rule.reading or {}).items())]
            self.by_id = {r.id: r for r in self.rules}
        self.presumptions = {f.name: f for f in self.pack.facts
                             if f.presume is not None and f.scope.value == "project"}
        self.project_facts = {f.name: f for f in self.pack.facts if f.scope.value == "project"}
        # checked when the pack was compiled (pack_compiler._check_inference)
        self.inferences = {f.name: (compile_condition(f.inferred.when, self.table, None)[0],
                                    None if f.inferred.false_when is None
                                    else compile_condition(f.inferred.false_when, self.table, None)[0], f)
                           for f in self.pack.facts if f.inferred is not None}
        self.system_facts = {f.name: f for f in self.pack.facts if f.scope.value == "system"}
        # Evaluation order and groupings are fixed per pack: compute them once, not per verdict.
        self.ordered = sorted(self.rules, key=lambda r: (r.rule.kind != "exception", r.index))
        self.by_kind = {}
        for compiled in self.rules:
            self.by_kind.setdefault(compiled.rule.kind, []).append(compiled)
        self.for_each_kinds = frozenset(r.rule.for_each for r in self.rules if r.rule.for_each is not None)
        used: set[str] = set()
        for compiled in self.rules:
            used |= compiled.symbols
            if compiled.met is not None:
                used |= compiled.met.symbols()
        self.used_symbols = frozenset(used)
        self.dividing = frozenset(c.id for c in self.rules if divides(c.condition))
        guards: dict[str, list[str]] = {}
        for compiled in self.rules:
            for point in compiled.guard:
                guards.setdefault(point, []).append(compiled.id)
        self.time_guards = {point: tuple(ids) for point, ids in guards.items()}
        # What the evaluator's loop needs per rule, looked up once.
        self.plan = [
            RuleStep(c, c.rule, c.rule.kind, c.rule.id, c.rule.for_each,
                     tuple((e, self.by_id[e].rule.for_each is not None) for e in c.rule.unless if e in self.by_id),
                     c.rule.kind == "scope")
            for c in self.ordered
        ]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as data: the validated pack and each condition's IR (as :mod:`govrules.compile.cache` stores
        them), rebuilt on the other side without parsing or validating again. The generated function
        is not sent; it is built again on first use. So a loaded pack can go to worker processes."""
        conditions = [(r.condition.to_ir(), r.met.to_ir() if r.met is not None else None, r.guard)
                      for r in self.all_rules]
        return (_rebuild_compiled_pack, (self.pack, conditions, self.digest, self.file, self.diagnostics,
                                         self.choice))

    def for_readings(self, readings: Mapping[str, str] | None) -> CompiledPack:
        """The pack with ``readings`` ({reading id: option id}) chosen, the others as this pack has them
        (a loaded pack: at their defaults).

        Compiled once per choice and kept; raises :class:`~govrules.errors.ProjectError` for a reading
        or an option the pack does not have.
        """
        if not readings:
            return self
        declared = {r.id: r for r in self.pack.readings}
        for reading_id, option_id in readings.items():
            reading = declared.get(reading_id)
            if reading is None:
                from govrules.errors import ProjectError

                known = ", ".join(declared) or "none"
                raise ProjectError(f"unknown reading `{reading_id}`; this pack's readings: {known}",
                                   errors=[{"path": f"readings.{reading_id}", "message": "unknown reading"}],
                                   message_zh=f"本办法包没有名为 {reading_id} 的解读；可选: {known}")
            if reading.option(option_id) is None:
                from govrules.errors import ProjectError

                options = ", ".join(o.id for o in reading.options)
                raise ProjectError(f"reading `{reading_id}` has no option `{option_id}`; options: {options}",
                                   errors=[{"path": f"readings.{reading_id}", "message": "unknown option"}],
                                   message_zh=f"解读 {reading_id} 没有选项 {option_id}；可选: {options}")
        choice = {r.id: readings.get(r.id, self.choice[r.id]) for r in self.pack.readings}
        if choice == self.choice:
            return self
        key = tuple(sorted(choice.items()))
        variant = self._variants.get(key)
        if variant is None:
            variant = CompiledPack(self.pack, self.table, list(self.all_rules), {r.id: r for r in self.all_rules},
                                   self.digest, self.file, self.diagnostics, all_rules=self.all_rules, choice=choice,
                                   _variants=self._variants)
            self._variants[key] = variant
        return variant

    def reading_choices(self) -> list[dict[str, str]]:
        """Every combination of the pack's reading options (one empty choice when it has none)."""
        import itertools

        readings = self.pack.readings
        return [dict(zip([r.id for r in readings], combo, strict=True))
                for combo in itertools.product(*[[o.id for o in r.options] for r in readings])]

    @property
    def id(self) -> str:
        """The pack's id."""
        return self.pack.id

    @property
    def title(self) -> str:
        """The measure's title."""
        return self.pack.title

    @property
    def document(self) -> str:
        """The measure's document number (文号)."""
        return self.pack.document

    def parameter_defaults(self) -> dict[str, Decimal | None]:
        """Each parameter's value as the pack sets it."""
        return {p.name: p.value for p in self.pack.parameters}


def pack_digest(pack: Pack) -> str:
    """A stable hash of the pack's content (not of its formatting or comments)."""
    import hashlib
    import json

    canonical = json.dumps(pack.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _rebuild_compiled_pack(pack: Pack, conditions: list[tuple[Any, Any, tuple[str, ...]]], digest: str,
                           file: str | None, diagnostics: list[Any], choice: dict[str, str]) -> CompiledPack:
    """The other half of :meth:`CompiledPack.__reduce__`."""
    rules = [CompiledRule(rule, from_ir(condition), index, from_ir(met) if met is not None else None, guard=guard)
             for index, (rule, (condition, met, guard)) in enumerate(zip(pack.rules, conditions, strict=True))]
    return CompiledPack(pack, SymbolTable(pack), rules, {r.id: r for r in rules}, digest, file, diagnostics,
                        choice=choice)
