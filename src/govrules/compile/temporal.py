"""Time: a measure binds from the day it takes effect, and only what happens from then on.

不溯及既往: an event before the measure took effect creates no obligation, ground or consequence of
that measure. A rule that creates one (kinds ``obligation``, ``ground``, ``consequence``) has *time
points*: the event dates its condition reads, the event its deadline runs from, and for a rule over
budget lines the line's year. The loader joins to its condition a *guard* that each time point
falls on or after the effective date (``dates['x'] >= effective_date``; ``line_year >=
year(effective_date)``) — so the generated code and the reference closures both honour it, and a
known date before the effective date makes the rule false. A pack narrows or lifts the guard per rule:

- ``since: EVENT`` — the guard is on that event alone (the event that engages the rule; the other
  dates it reads may lie earlier, e.g. an approval before the start of construction);
- ``reaches_existing: {because: …}`` — no guard: the text reaches what already exists on purpose
  (yearly duties of systems in operation, funds already carried over).

Undeclared, every time point is guarded (the safe default), and lint asks for a decision
(:func:`lint_time`). Rules of other kinds (scope, exemptions, exceptions, routes, changes) never
create a duty or a sanction and are not guarded: a transitional clause compares event dates with
``effective_date`` itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

#: The rule kinds that create an obligation, a ground or a consequence: those the guard applies to.
TIMED_KINDS = frozenset({"obligation", "ground", "consequence"})

#: The time point of a rule over budget lines: the line's year.
LINE_YEAR = "line_year"


def time_points(rule: Any, read: Iterable[str]) -> tuple[str, ...]:
    """The time points of ``rule``, whose condition reads the symbols ``read``: the event dates it
    reads (``dates.x``), the event its deadline runs from, and ``line_year`` for a rule over budget
    lines — in a stable order. Empty for a rule of a kind that creates no duty or sanction."""
    if rule.kind not in TIMED_KINDS:
        return ()
    points = {name for name in read if name.startswith("dates.")}
    deadline = getattr(rule, "deadline", None)
    if deadline is not None and deadline.after is not None:
        points.add(f"dates.{deadline.after}")
    ordered = sorted(points)
    if rule.for_each is not None and rule.for_each.value == "budget_line":
        ordered.append(LINE_YEAR)
    return tuple(ordered)


def guarded_points(rule: Any, read: Iterable[str]) -> tuple[str, ...]:
    """The time points the engine requires to fall on or after the effective date, for ``rule`` whose
    own condition reads ``read``. None when the rule reaches what exists, or states its own bar (its
    condition reads ``effective_date``: where only part of it rests on an event)."""
    if rule.kind not in TIMED_KINDS or getattr(rule, "reaches_existing", None) is not None:
        return ()
    since = getattr(rule, "since", None)
    if since is not None:
        return (f"dates.{since}",)
    read = set(read)
    if "effective_date" in read:
        return ()
    return time_points(rule, read)


def guard_text(points: Iterable[str]) -> str:
    """The guard, in the condition language, that ``points`` fall on or after the effective date."""
    parts = ["line_year >= year(effective_date)" if point == LINE_YEAR
             else f"dates['{point.removeprefix('dates.')}'] >= effective_date" for point in points]
    return " and ".join(parts)


def evaluated_text(compiled: Any) -> str:
    """The condition the engine evaluates for ``compiled``, in the condition language: the rule's
    ``when``, joined with its guard when it has one (what the trace shows)."""
    text: str = compiled.text
    return text


def guard(rule: Any, condition: Any, table: Any) -> tuple[Any, tuple[str, ...]]:
    """``condition`` (the rule's lowered ``when``) joined with the rule's guard, and the points
    guarded; ``(condition, ())`` when unguarded.

    The condition comes first: on most projects it is false and the guard is never evaluated.
    """
    from govrules.compile.compiler import build, compile_condition

    points = guarded_points(rule, condition.symbols())
    if not points:
        return condition, ()
    lowered, _ = compile_condition(guard_text(points), table, rule.for_each)
    return build("and", None, [condition, lowered]), points


def barred_message(effective: dt.date, point: str, value: Any, rule_ids: Iterable[str]) -> str:
    """The warning that ``value`` of time ``point`` (a date; for ``line_year`` the budget years), before
    ``effective``, keeps the rules ``rule_ids`` from applying (不溯及既往)."""
    if point == LINE_YEAR:
        what = "预算年度" + "、".join(f"{year}年" for year in value) + "的资金"
    else:
        what = f"{point}（{value.isoformat()}）"
    return (f"不溯及既往: {what}早于本办法施行日{effective.isoformat()}，"
            f"{'、'.join(rule_ids)} 不因此产生义务、理由或后果")


def lint_time(compiled_rules: Iterable[Any], at: Any) -> Iterator[Any]:
    """Lint of time declarations (see :mod:`govrules.analysis.lint`): ``at(compiled, key)`` locates a rule's key.

    - ``lint.time_undeclared`` (warning): a rule with time points and no decision — every point is
      guarded; say ``since: EVENT`` or ``reaches_existing``.
    - ``lint.since_unread`` (error): ``since`` names an event the rule neither reads nor counts its
      deadline from: the guard would not be about the rule's own facts.
    - ``lint.reaches_existing_moot`` (warning): ``reaches_existing`` on a rule that reads no date
      that can precede the measure: it already reaches existing state, the declaration changes
      nothing and would mislead.
    - ``lint.time_conflict`` (error): both ``since`` and ``reaches_existing``.
    """
    from govrules.diagnostics import Diagnostic

    for compiled in compiled_rules:
        rule = compiled.rule
        if rule.kind not in TIMED_KINDS:
            continue
        since = getattr(rule, "since", None)
        reaches = getattr(rule, "reaches_existing", None)
        own = _own_symbols(compiled)
        points = time_points(rule, own)
        if since is not None and reaches is not None:
            yield Diagnostic("lint.time_conflict", "both `since` and `reaches_existing`", at(compiled, "since"),
                             rule=rule.id, hint="a rule is either barred before the effective date from one event, "
                                                "or reaches what already exists: keep one")
        elif since is not None and f"dates.{since}" not in points:
            yield Diagnostic("lint.since_unread", f"`since: {since}` names an event the rule does not read",
                             at(compiled, "since"), rule=rule.id,
                             hint="name the event of the condition (or deadline) that engages the rule: "
                                  + (", ".join(p.removeprefix("dates.") for p in points) or "it reads none"))
        elif reaches is not None and not points:
            yield Diagnostic("lint.reaches_existing_moot",
                             "`reaches_existing` on a rule that reads no date before which it could be barred",
                             at(compiled, "reaches_existing"), severity="warning", rule=rule.id,
                             hint="a rule that reads no event date and no budget line already applies to what "
                                  "exists; drop the declaration (say why in `note`)")
        elif since is None and reaches is None and points and "effective_date" not in own:
            yield Diagnostic("lint.time_undeclared",
                             "reads " + ", ".join(points) + " without a decision about retroactivity: each is "
                             "required to fall on or after the effective date",
                             at(compiled, "when"), severity="warning", rule=rule.id,
                             hint="add `since: EVENT` (the event that engages the rule) or "
                                  "`reaches_existing: {because: …}` (the text reaches what already exists)")


def _own_symbols(compiled: Any) -> set[str]:
    """The symbols of the rule's own condition, without the guard the loader joined to it."""
    condition = compiled.condition
    return set(condition.children[0].symbols() if compiled.guard else condition.symbols())
