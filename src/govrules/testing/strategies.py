"""Hypothesis strategies: valid projects for a pack, weighted to its boundaries.

>>> from hypothesis import given
>>> import govrules
>>> from govrules.testing.strategies import projects
>>> pack = govrules.load_pack("chuxiong-2025")
>>> @given(projects(pack, parameters={"procurement_limit": 1000000}))
... def test_deterministic(project):
...     assert govrules.evaluate(project, pack, parameters={"procurement_limit": 1000000}) is not None

Amounts are drawn half the time from the boundaries — for every money threshold the pack compares
(each CNY parameter with a value, the settable ones given in ``parameters=``, and money literals in
conditions): exactly the threshold, one fen below and one fen above, and zero — and half the time
uniformly, in fen. Ratios likewise (exactly 0.10, 0.10 ± 0.0001, …). Every fact, core field and
event is unknown (absent) with probability ``unknown_rate``. Requires ``hypothesis``: install the
``testing`` extra (``pip install 'govrules[testing]'``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "hypothesis":
        raise
    raise ModuleNotFoundError(
        "govrules.testing.strategies needs hypothesis, which comes with the `testing` extra: "
        "python -m pip install 'govrules[testing]'", name="hypothesis") from exc

from govrules.analysis.consistency import cut_points
from govrules.compile.compiler import CompiledPack
from govrules.models.money import parse_parameter
from govrules.models.pack import FactScope, FactType, ObligationRule, Pack
from govrules.models.project import (
    CATEGORY_EXECUTION,
    DATE_ORDER,
    EVENT_NAMES,
    Category,
    ChangeCause,
    Execution,
    FundingSource,
    Level,
    Nature,
    Project,
    Purpose,
    SystemStatus,
)

__all__ = ["amounts", "evaluations", "parameter_values", "projects", "ratios"]

FEN = Decimal("0.01")
RATIO_STEP = Decimal("0.0001")
_MONEY_VARIABLES = {"budget", "procurement_budget", "fiscal_amount", "line_amount", "line_spent"}
_RATIO_VARIABLES = {"change_scale"}


def _load(pack: CompiledPack | str) -> CompiledPack:
    if isinstance(pack, str):
        from govrules.compile.loading import load_pack

        return load_pack(pack)
    return pack


def _boundaries(cuts: Iterable[Decimal], step: Decimal) -> list[Decimal]:
    values = {Decimal(0)}
    for cut in cuts:
        values |= {v for v in (cut - step, cut, cut + step) if v >= 0}
    return sorted(values)


def amounts(cuts: Iterable[Decimal] = (), *, top: Decimal | None = None) -> st.SearchStrategy[Decimal]:
    """Yuan amounts in fen: half at the boundaries of ``cuts`` (exactly, ±0.01, and 0), half uniform."""
    cuts = list(cuts)
    upper = top if top is not None else max([*cuts, Decimal(1_000_000)]) * 2
    uniform = st.integers(0, int(upper / FEN)).map(lambda n: (Decimal(n) * FEN).quantize(FEN))
    return st.one_of(st.sampled_from(_boundaries(cuts, FEN)), uniform)


def ratios(cuts: Iterable[Decimal] = (), *, top: Decimal = Decimal("1.5")) -> st.SearchStrategy[Decimal]:
    """Ratios in steps of 0.0001: half at the boundaries of ``cuts`` (exactly, ±0.0001, and 0), half uniform."""
    uniform = st.integers(0, int(top / RATIO_STEP)).map(lambda n: (Decimal(n) * RATIO_STEP).quantize(RATIO_STEP))
    return st.one_of(st.sampled_from(_boundaries(cuts, RATIO_STEP)), uniform)


def parameter_values(pack: CompiledPack | str) -> st.SearchStrategy[dict[str, Decimal]]:
    """Values for the pack's settable parameters, weighted to the other thresholds of the same unit.

    Each value is, half the time, one of the other parameters' values of the same unit, one step
    below or above it, or halfway between two of them; otherwise uniform up to twice the largest.
    """
    compiled = _load(pack)
    settable = [p for p in compiled.pack.parameters if p.settable]
    if not settable:
        return st.just({})
    parts: dict[str, st.SearchStrategy[Decimal]] = {}
    for parameter in settable:
        others = sorted({p.value for p in compiled.pack.parameters
                         if p.unit == parameter.unit and p.value is not None and p.name != parameter.name})
        if parameter.value is not None:
            others = sorted({*others, parameter.value})
        between = [(a + b) / 2 for a, b in itertools.pairwise(others)]
        if parameter.unit.value == "CNY":
            parts[parameter.name] = st.one_of(
                st.sampled_from(sorted({*_boundaries(others, FEN), *(v.quantize(FEN) for v in between)})),
                amounts(others))
        elif parameter.unit.value == "ratio":
            parts[parameter.name] = ratios(others)
        else:
            top = int(max([*others, Decimal(10)]) * 2)
            parts[parameter.name] = st.integers(1, top).map(Decimal)
    return st.fixed_dictionaries(parts)


def evaluations(pack: CompiledPack | str, *, unknown_rate: float = 0.2, overrides: Mapping[str, Any] | None = None
                ) -> st.SearchStrategy[tuple[dict[str, Decimal], Project]]:
    """``(parameters, project)`` pairs: settable parameters drawn first, the project weighted to them."""
    compiled = _load(pack)
    return parameter_values(compiled).flatmap(
        lambda params: st.tuples(st.just(params), projects(compiled, unknown_rate=unknown_rate, parameters=params,
                                                           overrides=overrides)))


def projects(pack: CompiledPack | str, *, unknown_rate: float = 0.2, parameters: Mapping[str, Any] | None = None,
             as_of: dt.date | None = None, overrides: Mapping[str, Any] | None = None) -> st.SearchStrategy[Project]:
    """Valid :class:`~govrules.models.project.Project` objects for ``pack``.

    The core fields (level, execution with a consistent category, nature, budget, procurement budget,
    funding, systems, budget lines, changes with their scale) and every fact the pack declares (by its
    type; enum and set values from ``values``) are generated, each absent (unknown) with probability
    ``unknown_rate``; event dates fall around the measure's effective date and ``as_of``, or are
    ``false`` (not yet), respecting the order the Project model enforces.

    ``parameters`` (settable parameters, as given to :func:`govrules.evaluate`) adds their values to
    the boundaries amounts are weighted to. ``overrides`` fixes fields of every project (``facts`` are
    merged), e.g. to keep the projects inside the measure's scope.
    """
    if not 0 <= unknown_rate <= 1:
        raise ValueError("unknown_rate is a probability between 0 and 1")
    compiled = _load(pack)
    model = compiled.pack
    cuts = cut_points(compiled, parameters)
    money_cuts: set[Decimal] = set()
    ratio_cuts: set[Decimal] = set()
    fact_types = {f.name: f.type for f in model.facts}
    for parameter in model.parameters:
        value = parameter.value
        if parameter.settable and parameters and parameter.name in parameters:
            raw = parameters[parameter.name]
            value = parse_parameter(parameter.unit.value, raw)
        if value is None:
            continue
        if parameter.unit.value == "CNY":
            money_cuts.add(value)
        elif parameter.unit.value == "ratio":
            ratio_cuts.add(value)
    for name, values in cuts.items():
        kind = fact_types.get(name)
        if name in _MONEY_VARIABLES or kind is FactType.money:
            money_cuts |= {v for v in values if isinstance(v, Decimal)}
        elif name in _RATIO_VARIABLES or kind is FactType.ratio:
            ratio_cuts |= {v for v in values if isinstance(v, Decimal)}
    money = amounts(sorted(money_cuts))
    ratio = ratios(sorted(ratio_cuts))
    day = as_of or model.dates.effective + dt.timedelta(days=180)
    date_cuts = sorted({model.dates.effective, day, *(v for values in cuts.values() for v in values
                                                      if isinstance(v, dt.date))})
    low = min(date_cuts) - dt.timedelta(days=3 * 366)
    high = max(date_cuts) + dt.timedelta(days=2 * 366)
    dates = st.one_of(
        st.sampled_from(sorted({d + dt.timedelta(days=k) for d in date_cuts for k in (-1, 0, 1)})),
        st.dates(low, high))
    numbers = {name: sorted(v for v in values if isinstance(v, Decimal)) for name, values in cuts.items()}
    # a number a deadline takes its year from is a calendar year
    years = {r.deadline.year_from for r in model.rules if isinstance(r, ObligationRule) and r.deadline is not None
             and r.deadline.year_from is not None}
    year = model.dates.effective.year
    numbers = {**numbers, **{name: [Decimal(y) for y in range(year - 3, year + 6)] for name in years}}
    return _project(model, money, ratio, dates, numbers, unknown_rate, dict(overrides or {}), frozenset(years))


@st.composite
def _project(draw: st.DrawFn, model: Pack, money: st.SearchStrategy[Decimal], ratio: st.SearchStrategy[Decimal],
             dates: st.SearchStrategy[dt.date], numbers: Mapping[str, list[Decimal]], rate: float,
             overrides: Mapping[str, Any], years: frozenset[str]) -> Project:
    def unknown() -> bool:
        # a small range: hypothesis draws it about uniformly (a wide one leans heavily to its ends)
        return rate > 0 and draw(st.integers(0, 99)) < rate * 100

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return None if unknown() else draw(strategy)

    data: dict[str, Any] = {"id": "generated", "name": "生成的项目"}
    level = maybe(st.sampled_from([lv.value for lv in Level]))
    execution = maybe(st.sampled_from([e.value for e in Execution]))
    categories = [c.value for c, e in CATEGORY_EXECUTION.items() if execution is None or e.value == execution]
    category = draw(st.none() | st.sampled_from(categories))
    for key, value in (("level", level), ("execution", execution), ("category", category),
                       ("nature", maybe(st.sampled_from([n.value for n in Nature]))),
                       ("owner", draw(st.none() | st.sampled_from(["州数据局", "市教育局", "县卫生健康局"]))),
                       ("budget", maybe(money)), ("procurement_budget", draw(st.none() | money))):
        if value is not None:
            data[key] = value
    if not unknown():
        sources = draw(st.lists(st.sampled_from([s.value for s in FundingSource]), max_size=3, unique=True))
        data["funding"] = [{"source": s, **({"amount": a} if (a := draw(st.none() | money)) is not None else {})}
                           for s in sources]
    system_facts = [f for f in model.facts if f.scope is FactScope.system]
    if not unknown():
        data["systems"] = [
            {"name": f"系统{i + 1}",
             **({"status": s} if (s := maybe(st.sampled_from([x.value for x in SystemStatus]))) else {}),
             **({"in_catalogue": c} if (c := maybe(st.booleans())) is not None else {}),
             "facts": _facts(draw, system_facts, money, ratio, dates, numbers, unknown, years)}
            for i in range(draw(st.integers(0, 2)))]
    if not unknown():
        data["budget_lines"] = [
            {"year": draw(st.integers(model.dates.effective.year - 3, model.dates.effective.year + 3)),
             "purpose": draw(st.sampled_from([p.value for p in Purpose])),
             **({"amount": a} if (a := maybe(money)) is not None else {}),
             **({"spent": s} if (s := maybe(money)) is not None else {}),
             **({"carried_over_years": y} if (y := maybe(st.integers(0, 4))) is not None else {})}
            for _ in range(draw(st.integers(0, 2)))]
    changes = []
    for _ in range(draw(st.integers(0, 2))):
        change: dict[str, Any] = {}
        for key, strategy in (("scale", ratio), ("increases_investment", st.booleans()),
                              ("cause", st.sampled_from([c.value for c in ChangeCause])), ("major", st.booleans())):
            value = maybe(strategy)
            if value is not None:
                change[key] = value
        changes.append(change)
    data["changes"] = changes
    events: dict[str, Any] = {}
    for event in EVENT_NAMES:
        if unknown():
            continue
        events[event] = False if draw(st.integers(0, 3)) == 0 else draw(dates)
    data["dates"] = _ordered(events)
    project_facts = [f for f in model.facts if f.scope is FactScope.project]
    data["facts"] = _facts(draw, project_facts, money, ratio, dates, numbers, unknown, years)
    for key, value in overrides.items():
        if key in ("facts", "dates") and isinstance(value, Mapping):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    if "dates" in overrides:
        data["dates"] = _ordered(data["dates"])
    if data.get("category") is not None and data.get("execution") is not None and "category" not in overrides:
        execution = CATEGORY_EXECUTION[Category(data["category"])].value
        if execution != data["execution"]:
            data.pop("category")
    return Project.model_validate(data)


def _facts(draw: st.DrawFn, facts: list[Any], money: st.SearchStrategy[Decimal], ratio: st.SearchStrategy[Decimal],
           dates: st.SearchStrategy[dt.date], numbers: Mapping[str, list[Decimal]], unknown: Any,
           years: frozenset[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for fact in facts:
        if unknown():
            continue
        kind = fact.type
        if kind is FactType.bool:
            values[fact.name] = draw(st.booleans())
        elif kind is FactType.money:
            values[fact.name] = draw(money)
        elif kind is FactType.ratio:
            values[fact.name] = draw(ratio)
        elif fact.name in years:
            values[fact.name] = draw(st.sampled_from(numbers[fact.name]))
        elif kind in (FactType.integer, FactType.number):
            near = _boundaries(numbers.get(fact.name, []), Decimal(1))
            whole = st.one_of(st.sampled_from(near), st.integers(0, 10_000).map(Decimal))
            values[fact.name] = draw(whole if kind is FactType.integer
                                     else st.one_of(whole, st.integers(0, 1_000_000).map(lambda n: Decimal(n) / 100)))
        elif kind is FactType.enum:
            values[fact.name] = draw(st.sampled_from(fact.values))
        elif kind is FactType.set:
            values[fact.name] = draw(st.lists(st.sampled_from(fact.values), unique=True))
        elif kind is FactType.date:
            values[fact.name] = draw(dates)
        else:
            values[fact.name] = draw(st.sampled_from(["甲", "乙", "其他"]))
    return values


def _ordered(events: dict[str, Any]) -> dict[str, Any]:
    """Move later events no earlier than the events they cannot precede, and make them ``False`` (not yet
    happened) when such an event has not happened."""
    for _ in range(len(DATE_ORDER) + 1):
        changed = False
        for earlier, later in DATE_ORDER:
            first, second = events.get(earlier), events.get(later)
            if first is False and isinstance(second, dt.date):
                events[later] = False
                changed = True
            elif isinstance(first, dt.date) and isinstance(second, dt.date) and second < first:
                events[later] = first
                changed = True
        if not changed:
            break
    return events
