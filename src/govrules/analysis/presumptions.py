"""Proving that a pack's presumptions never make a ground, a consequence or an obligation apply.

A presumption (``presume:`` on a fact) may settle scope, route and changes and may clear a ground or
a consequence; it is never evidence against the project. The evaluator holds a presumption back from
every ground, consequence and obligation it would make apply (:func:`govrules.engine.evaluator.held_back`).
This module proves, per pack and per option of each of its readings, that the rules as compiled
leave nothing applying with presumptions that does not apply without them — by a direct argument over
the compiled conditions: for each presumed fact and each ground, consequence and obligation rule that
reads it (in its condition, an exception or ``met_when``), every combination of the values the rule
reads is evaluated with the fact presumed and with it unknown (the other facts as in the combination),
and what applies with the presumption, after holding back, must apply without it.

Values tried per variable: true/false/unknown; an enum's values and unknown; for amounts, every
parameter value and literal a condition names, one cent either side, zero and unknown; for dates, the
measure's effective date and the evaluation date, a day either side, a date long before and after,
"not yet" and unknown; for sets, the empty set, each single value and unknown. A rule that reads more
than :data:`MAX_COMBINATIONS` combinations is checked on a fixed-seed sample of them (``exact`` false).
It also reports where a presumption is held back (where it would otherwise make a rule apply), so a
pack author sees how far each presumption reaches.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govrules.compile.compiler import NOT_YET, CompiledPack, CompiledRule, Lowered
from govrules.diagnostics import Diagnostic
from govrules.engine.evaluator import held_back, rule_value

__all__ = ["MAX_COMBINATIONS", "PresumptionReport", "check_presumptions"]

#: combinations of values tried per rule and presumption before sampling
MAX_COMBINATIONS = 60_000
_KINDS = ("ground", "consequence", "obligation")


@dataclass
class PresumptionReport:
    """What ``govrules check`` found about a pack's presumptions."""

    #: presumptions that could make something apply (the pack is refused)
    errors: list[Diagnostic] = field(default_factory=list)
    #: (reading choice, fact, rule id): where a presumption is held back
    held_back: list[tuple[str, str, str]] = field(default_factory=list)
    #: (fact, rule id) pairs checked, and whether every check was exhaustive
    checked: int = 0
    exact: bool = True
    #: ids of the ground, consequence and obligation rules that read a presumed fact (those proved)
    rules: set[str] = field(default_factory=set)


def check_presumptions(pack: CompiledPack, *, as_of: dt.date | None = None) -> PresumptionReport:
    """Prove, for every option of the pack's readings, that no presumption makes anything apply."""
    report = PresumptionReport()
    day = as_of or pack.pack.dates.effective + dt.timedelta(days=120)
    # A rule selected under several choices is the same compiled rule, read against the same facts and
    # parameters (a choice selects rules and nothing else): proved once, reported under each choice.
    proved: dict[tuple[int, str], tuple[bool, str | None, bool]] = {}
    for choice in pack.reading_choices():
        variant = pack.for_readings(choice)
        label = ", ".join(f"{k}={v}" for k, v in choice.items())
        for name, fact in variant.presumptions.items():
            for compiled in variant.rules:
                if compiled.rule.kind not in _KINDS or name not in _reads(variant, compiled):
                    continue
                report.checked += 1
                report.rules.add(compiled.id)
                key = (compiled.index, name)
                if key not in proved:
                    proved[key] = _check(variant, compiled, name, fact.presume, day)
                could, applies, exact = proved[key]
                report.exact &= exact
                if could:
                    report.held_back.append((label, name, compiled.id))
                if applies is not None:
                    report.errors.append(Diagnostic(
                        "presumption.applies",
                        f"presuming `{name}: {fact.presume}` makes {compiled.rule.kind} `{compiled.id}` apply where "
                        f"it does not without the presumption" + (f" (reading {label})" if label else "")
                        + f": {applies}", None, rule=compiled.id,
                        hint="a presumption may settle scope, route and changes, or clear a sanction; never make "
                             "one apply"))
    return report


def _reads(pack: CompiledPack, compiled: CompiledRule) -> set[str]:
    found = set(compiled.symbols)
    for exc_id in compiled.rule.unless:
        exc = pack.by_id.get(exc_id)
        if exc is not None:
            found |= exc.symbols
    if compiled.met is not None:
        found |= compiled.met.symbols()
    return found


def _applies(compiled: CompiledRule, effective: Any, env: Mapping[str, Any]) -> bool:
    if effective is not True:
        return False
    met = compiled.met
    return met is None or met.fn(env) is False or compiled.rule.kind != "obligation"


def _check(pack: CompiledPack, compiled: CompiledRule, name: str, value: Any, day: dt.date
           ) -> tuple[bool, str | None, bool]:
    """(could the presumption make the rule apply, a combination where it does after holding back,
    whether every combination was tried)."""
    variables = sorted(_reads(pack, compiled) - {name, "as_of", "effective_date"})
    domains = [_domain(pack, compiled, var, day) for var in variables]
    total = 1
    for d in domains:
        total *= len(d)
    exact = total <= MAX_COMBINATIONS
    base: dict[str, Any] = {**dict.fromkeys(pack.project_facts), **pack.parameter_defaults(),
                            "as_of": day, "effective_date": pack.pack.dates.effective}
    for parameter in pack.pack.parameters:
        if base[parameter.name] is None:  # a settable parameter the text leaves open: try a middle value
            base[parameter.name] = Decimal(1_000_000) if parameter.unit.value == "CNY" else Decimal(1)
    could = False
    for combo in _combinations(domains, exact):
        env = {**base, **dict(zip(variables, combo, strict=True))}
        presumed_env = {**env, name: value}
        strict_env = {**env, name: None}
        _, presumed, _, _ = rule_value(compiled, pack.by_id, presumed_env)
        _, strict, _, _ = rule_value(compiled, pack.by_id, strict_env)
        if not _applies(compiled, presumed, presumed_env):
            continue
        strict_applies = _applies(compiled, strict, strict_env)
        if strict_applies and not (compiled.met is not None and compiled.met.fn(strict_env) is None):
            continue
        could = True
        # what the evaluator does with it: held back to the strict outcome, which must not apply
        if held_back(compiled, strict, presumed_env, strict_env):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in zip(variables, combo, strict=True))
        return could, shown or "always", exact
    return could, None, exact


def _combinations(domains: list[list[Any]], exact: bool) -> Iterator[tuple[Any, ...]]:
    if exact:
        yield from itertools.product(*domains)
        return
    rng = random.Random(20251206)
    for _ in range(MAX_COMBINATIONS):
        yield tuple(rng.choice(d) for d in domains)


def _domain(pack: CompiledPack, compiled: CompiledRule, var: str, day: dt.date) -> list[Any]:
    symbol = pack.table.symbols.get(var)
    if symbol is None:
        for table in pack.table.item_symbols.values():
            symbol = table.get(var) or symbol
        symbol = symbol or pack.table.system_facts.get(var)
    kind = symbol.type if symbol is not None else "BOOLEAN"
    if symbol is not None and symbol.source == "parameter":
        return [pack.parameter_defaults().get(var)]
    if kind == "BOOLEAN":
        return [True, False, None]
    if kind == "STRING":
        return [*(symbol.values if symbol is not None and symbol.values else ["其他"]), None]
    if kind.startswith("SET"):
        members = list(symbol.values or ()) if symbol is not None else []
        return [frozenset(), *(frozenset({v}) for v in members), None]
    if kind == "DATETIME":
        effective = pack.pack.dates.effective
        one = dt.timedelta(days=1)
        return [effective - one, effective, effective + one, day - one, day, day + one,
                effective - dt.timedelta(days=3650), day + dt.timedelta(days=3650), NOT_YET, None]
    cuts: set[Decimal] = {Decimal(0)}
    for value in pack.parameter_defaults().values():
        if value is not None:
            cuts.add(value)
    cuts.add(Decimal(1_000_000))
    for node in _nodes(compiled.condition):
        if node.literal and isinstance(node.arg, Decimal):
            cuts.add(node.arg)
    step = Decimal("0.01")
    values: list[Any] = sorted({c + d for c in cuts for d in (-step, Decimal(0), step) if c + d >= 0})
    return [*values, None]


def _nodes(node: Lowered) -> Iterator[Lowered]:
    yield node
    for child in node.children:
        yield from _nodes(child)
