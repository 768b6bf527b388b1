"""The space the consistency analysis walks: the variables conditions read (facts, core fields,
parameters, dates), where they come from, the cut points of their values and the cells between."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govrules.compile.compiler import NOT_YET, CompiledPack, CompiledRule, Lowered, SymbolTable, compile_condition
from govrules.compile.temporal import guard
from govrules.diagnostics import Diagnostic
from govrules.errors import PackError, ProjectError
from govrules.models.money import MoneyFormatError, parse_parameter
from govrules.models.pack import (
    FactType,
    Pack,
)

STEP: dict[str, Decimal] = {"money": Decimal("0.01"), "ratio": Decimal("0.0001"), "integer": Decimal(1),
                             "number": Decimal("0.01")}
UNIT_KIND: dict[str, str] = {"CNY": "money", "ratio": "ratio"}
RANK_ROUTE: dict[str, int] = {"approval": 2, "filing": 1, "none": 0}
RANK_CHANGE: dict[str, int] = {"approval": 2, "adjustment_request": 2, "filing": 1, "none": 0, "not_covered": 0}
_CORE_NUMERIC: dict[str, str] = {"budget": "money", "procurement_budget": "money", "fiscal_amount": "money",
                                 "system_count": "integer", "change_count": "integer", "change_scale": "ratio",
                                 "line_amount": "money", "line_spent": "money", "line_year": "integer",
                                 "line_carried_over_years": "integer"}
_FACT_NUMERIC: dict[FactType, str] = {FactType.money: "money", FactType.ratio: "ratio",
                                      FactType.integer: "integer", FactType.number: "number"}
_CONSTANT_DATES = ("as_of", "effective_date")
FISCAL_ORDER = ("prefecture", "municipal", "county", "provincial", "central")
OTHER = "其他"  # stands for every value of a free-text field that no condition names


# --------------------------------------------------------------------------------------------------
# The pack, compiled (a Pack model is compiled here, without the loader's citation check)


@dataclass
class Source:
    pack: Pack
    table: SymbolTable
    rules: list[CompiledRule]
    by_id: dict[str, CompiledRule]


def source_of(pack: CompiledPack | Pack | str) -> Source:
    if isinstance(pack, str):
        from govrules.compile.loading import load_pack

        pack = load_pack(pack)
    if isinstance(pack, CompiledPack):
        return Source(pack.pack, pack.table, list(pack.rules), dict(pack.by_id))
    table = SymbolTable(pack)
    rules: list[CompiledRule] = []
    problems: list[Diagnostic] = []
    for index, rule in enumerate(pack.rules):
        try:
            condition, _ = compile_condition(rule.when, table, rule.for_each)
        except Exception as exc:  # ConditionError: report like the loader would
            problems.append(Diagnostic(getattr(exc, "code", "condition"), f"{rule.id}: {exc}", rule=rule.id))
            continue
        condition, guarded = guard(rule, condition, table)
        rules.append(CompiledRule(rule, condition, index, guard=guarded))
    if problems:
        raise PackError(f"{pack.id}: conditions do not compile", diagnostics=problems, code="pack_invalid")
    return Source(pack, table, rules, {r.id: r for r in rules})


# --------------------------------------------------------------------------------------------------
# What the conditions read


@dataclass
class Variable:
    """A variable conditions read, and how they compare it."""

    name: str
    kind: str  # bool | enum | numeric | set | date
    numeric: str = "number"  # money | ratio | integer | number
    values: tuple[str, ...] | None = None
    cut_params: set[str] = field(default_factory=set)
    cut_literals: set[Any] = field(default_factory=set)
    cut_constants: set[str] = field(default_factory=set)  # as_of / effective_date for dates
    literals: set[str] = field(default_factory=set)  # enum literals, or set members tested
    exact: bool = True


class Reader:
    """Walks lowered condition trees, recording variables, cut points and what is not exact."""

    def __init__(self, src: Source) -> None:
        self.src = src
        symbols = dict(src.table.symbols)
        for table in src.table.item_symbols.values():
            symbols.update(table)
        symbols.update(src.table.system_facts)
        self.symbols = symbols
        self.parameters = {p.name: p for p in src.pack.parameters}
        self.facts = {f.name: f for f in src.pack.facts}
        self.vars: dict[str, Variable] = {}
        self.reasons: dict[str, set[str]] = {}  # variable → why it cannot be analysed exactly

    def read(self, rules: Iterable[CompiledRule]) -> None:
        for rule in rules:
            self._walk(rule.condition, rule)

    def var(self, name: str) -> Variable | None:
        if name in self.vars:
            return self.vars[name]
        if name in self.parameters or name in _CONSTANT_DATES:
            return None
        symbol = self.symbols.get(name)
        if symbol is None:
            return None
        kind: Any = symbol.type  # a rule-engine DataType, or its name
        type_name = kind if isinstance(kind, str) else str(getattr(kind, "name", ""))
        fact = self.facts.get(name)
        if type_name.startswith("BOOL"):
            var = Variable(name, "bool")
        elif type_name == "FLOAT":
            numeric = _FACT_NUMERIC.get(fact.type, "number") if fact is not None else _CORE_NUMERIC.get(name, "number")
            var = Variable(name, "numeric", numeric=numeric)
        elif type_name.startswith("SET"):
            var = Variable(name, "set", values=symbol.values)
        elif type_name == "DATETIME":
            var = Variable(name, "date")
        else:
            var = Variable(name, "enum", values=symbol.values)
        self.vars[name] = var
        return var

    def _walk(self, node: Lowered, rule: CompiledRule) -> None:
        if node.symbol is not None:
            self.var(node.symbol)
            return
        kids = node.children
        coalesced = _coalesced(node)
        if coalesced is not None:  # `x ?? default`: the comparison around it is the atom
            self.var(coalesced)
            return
        if len(kids) == 2:
            for x, y in ((kids[0], kids[1]), (kids[1], kids[0])):
                name = x.symbol if x.symbol is not None else _coalesced(x)
                if name is None:
                    continue
                var = self.var(name)
                if var is not None and not self._atom(node, var, y):
                    var.exact = False
                    self.reasons.setdefault(name, set()).add(
                        f"`{rule.id}` uses {name} in arithmetic, a function or a comparison with another variable")
        else:
            for kid in kids:
                if kid.symbol is not None:
                    var = self.var(kid.symbol)
                    if var is not None and var.kind != "bool":
                        var.exact = False
                        self.reasons.setdefault(kid.symbol, set()).add(
                            f"`{rule.id}` passes {kid.symbol} to a function or an operator")
        for kid in kids:
            self._walk(kid, rule)

    def _atom(self, node: Lowered, var: Variable, other: Lowered) -> bool:
        """Record ``var`` compared with ``other`` in ``node``; False when that is not an exact atom."""
        if var.kind == "bool":
            return True
        literal = other.fn({}) if other.literal else None
        if var.kind == "numeric":
            if other.literal and isinstance(literal, Decimal):
                if _is_test(node, {var.name: literal}):
                    var.cut_literals.add(literal)
                    return True
            elif other.literal and isinstance(literal, frozenset) and all(isinstance(v, Decimal) for v in literal):
                if _is_test(node, {var.name: Decimal(0)}):
                    var.cut_literals.update(literal)
                    return True
            elif other.symbol in self.parameters and _is_test(node, {var.name: Decimal(1), other.symbol: Decimal(1)}):
                var.cut_params.add(other.symbol)
                return True
            return False
        if var.kind == "enum":
            if other.literal and isinstance(literal, str) and _is_test(node, {var.name: literal}):
                var.literals.add(literal)
                return True
            if other.literal and isinstance(literal, frozenset) and _is_test(node, {var.name: ""}):
                var.literals.update(str(v) for v in literal)
                return True
            return False
        if var.kind == "set":
            if other.literal and isinstance(literal, str) and _is_test(node, {var.name: frozenset()}):
                var.literals.add(literal)
                return True
            return False
        # dates: against a literal date or a constant date (as_of, effective_date)
        if other.literal and isinstance(literal, dt.date) and _is_test(node, {var.name: literal}):
            var.cut_literals.add(literal)
            return True
        if other.symbol in _CONSTANT_DATES and _is_test(node, {var.name: dt.date(2000, 1, 1),
                                                              other.symbol: dt.date(2000, 1, 1)}):
            var.cut_constants.add(other.symbol)
            return True
        return False


_SENTINEL = object()


def _coalesced(node: Lowered) -> str | None:
    """The symbol ``x`` when ``node`` is ``x ?? literal`` (what an unknown ``x`` should count as)."""
    kids = node.children
    if len(kids) != 2 or kids[0].symbol is None or not kids[1].literal:
        return None
    name = kids[0].symbol
    try:
        if node.fn({}) == kids[1].fn({}) and node.fn({name: _SENTINEL}) is _SENTINEL:
            return name
    except Exception:  # not a coalesce: it does something with the sentinel
        return None
    return None


def _is_test(node: Lowered, probe: Mapping[str, Any]) -> bool:
    """Whether ``node`` is a comparison (or membership test): it gives true/false, not a value."""
    try:
        return isinstance(node.fn(probe), bool)
    except Exception:  # a probe outside the node's domain: not an atom we can reason about
        return False


def cut_points(pack: CompiledPack | Pack | str, parameters: Mapping[str, Any] | None = None) -> dict[str, list[Any]]:
    """Each numeric (and date) variable the pack's conditions compare, with the values it is compared to.

    Parameters are resolved to their values (settable ones from ``parameters`` when given; left out
    when they have no value). Used by the consistency analysis and by
    :func:`govrules.testing.strategies.projects` to weight generated amounts to the boundaries.
    """
    src = source_of(pack)
    reader = Reader(src)
    reader.read(src.rules)
    values = parameter_values(src.pack, parameters or {})
    result: dict[str, list[Any]] = {}
    for var in reader.vars.values():
        if var.kind not in ("numeric", "date"):
            continue
        cuts = set(var.cut_literals)
        cuts |= {values[p] for p in var.cut_params if values.get(p) is not None}
        result[var.name] = sorted(cuts)
    return result


def parameter_values(pack: Pack, given: Mapping[str, Any]) -> dict[str, Any]:
    declared = {p.name: p for p in pack.parameters}
    values: dict[str, Any] = {p.name: p.value for p in pack.parameters}
    for name, raw in given.items():
        parameter = declared.get(name)
        if parameter is None:
            raise ProjectError(f"unknown parameter `{name}`; this pack's parameters: {', '.join(declared)}")
        if not parameter.settable:
            raise ProjectError(f"parameter `{name}` is fixed by the text ({parameter.value}); it cannot be set")
        try:
            values[name] = parse_parameter(parameter.unit.value, raw)
        except MoneyFormatError as exc:
            raise ProjectError(f"parameter `{name}`: {exc}") from None
    return values


# --------------------------------------------------------------------------------------------------
# Dimensions: the values each variable takes in the enumeration


@dataclass(frozen=True)
class Cell:
    """A value standing for an interval (or a point) of a numeric or date variable."""

    rep: Any
    lo: Any
    lo_label: str | None
    lo_closed: bool
    hi: Any
    hi_label: str | None
    hi_closed: bool
    sampled: bool = False


@dataclass
class Dimension:
    key: str
    kind: str  # bool | enum | numeric | date | member | execution
    var: str
    values: list[Any]
    label: str = ""
    cells: list[Cell] | None = None
    stands_for: list[tuple[str, ...]] | None = None  # enum reps → the values each stands for
    member: str | None = None
    group: str = ""  # dims made unknown together (a set's members; execution and category)
    exact: bool = True

    @property
    def ordered(self) -> bool:
        return self.kind in ("numeric", "date")


def format_value(value: Any) -> str:
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    if value is NOT_YET:
        return "not yet"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def numeric_cells(cuts: Mapping[Decimal, str], step: Decimal) -> list[Cell]:
    ordered = sorted(c for c in cuts if c >= 0)
    cells: list[Cell] = []
    if not ordered:
        return [Cell(Decimal(0), Decimal(0), None, True, None, None, False)]
    first = ordered[0]
    if first > 0:
        cells.append(Cell(max(first - step, Decimal(0)), Decimal(0), None, True, first, cuts[first], False))
    for i, cut in enumerate(ordered):
        label = cuts[cut]
        cells.append(Cell(cut, cut, label, True, cut, label, True))
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        if nxt is None:
            cells.append(Cell(cut + step, cut, label, False, None, None, False))
        elif cut + step < nxt:
            cells.append(Cell(cut + step, cut, label, False, nxt, cuts[nxt], False))
    return cells


def date_cells(cuts: Mapping[dt.date, str]) -> list[Cell]:
    one = dt.timedelta(days=1)
    ordered = sorted(cuts)
    cells: list[Cell] = []
    if ordered:
        cells.append(Cell(ordered[0] - one, None, None, False, ordered[0], cuts[ordered[0]], False))
    for i, cut in enumerate(ordered):
        cells.append(Cell(cut, cut, cuts[cut], True, cut, cuts[cut], True))
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        if nxt is None:
            cells.append(Cell(cut + one, cut, cuts[cut], False, None, None, False))
        elif cut + one < nxt:
            cells.append(Cell(cut + one, cut, cuts[cut], False, nxt, cuts[nxt], False))
    cells.append(Cell(NOT_YET, NOT_YET, "not yet", True, NOT_YET, "not yet", True))
    return cells


def sampled_cells(values: Iterable[Any]) -> list[Cell]:
    return [Cell(v, v, format_value(v), True, v, format_value(v), True, sampled=True) for v in sorted(set(values))]

