"""How rule outcomes combine: the one place that decides a route or a change from its candidate rules.

The evaluator, the consistency analysis and ``diff`` all combine through :func:`decide`, so what
``govrules check`` proves about a pack is what ``evaluate`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from govrules.compile.compiler import CompiledRule

#: a three-valued truth: True, False, or None (unknown)
Tri = bool | None

#: The unknown facts of an evaluation: fact name → the ids of the rules that need it. The sets are
#: frozen so that a table worked out once (the generated rule function's, see
#: ``PackRuntime.merge_missing``) can be handed to every verdict with that pattern without a copy; add
#: to it with :func:`note_missing` only.
MissingTable = dict[str, frozenset[str]]


def note_missing(missing: MissingTable, name: str, ids: Iterable[str]) -> None:
    """Record that the rules ``ids`` need the unknown fact ``name``."""
    old = missing.get(name)
    missing[name] = frozenset(ids) if old is None else old.union(ids)


def all_true(values: Iterable[Tri]) -> Tri:
    """Kleene conjunction: False if any is False, else None if any is unknown, else True."""
    seen_unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            seen_unknown = True
    return None if seen_unknown else True


def any_true(values: Iterable[Tri]) -> Tri:
    """Kleene disjunction: True if any is True, else None if any is unknown, else False."""
    seen_unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            seen_unknown = True
    return None if seen_unknown else False


@dataclass(slots=True)
class Outcome:
    """One rule on one project (or one item of it): what its condition gave, and after exceptions.

    ``env`` is the item's environment, or None for a rule over the project (whose environment is the
    evaluation's): so an outcome over the project depends on the rule and its results alone, and the
    generated rule function appends shared ones instead of building them. Never changed once built.
    """

    compiled: CompiledRule
    item: int | None
    env: Mapping[str, Any] | None
    condition: Tri
    effective: Tri
    defeated_by: tuple[str, ...]
    undecided_exceptions: tuple[str, ...]

    @property
    def rule(self) -> Any:
        return self.compiled.rule


@dataclass(frozen=True, slots=True)
class Decision:
    """A combined route or change: the decision, the outcomes it rests on, the reasons shown, whether
    the pack leaves it open (``gap``), and the warnings combining raised (rules that contradict)."""

    decision: str
    deciding: list[Outcome]
    reasons: list[str]
    gap: bool
    warnings: tuple[str, ...] = field(default=())


def decide(candidates: list[Outcome]) -> Decision:
    """Combine the route (or change) rules on one project.

    Rules that hold decide unless they disagree (a contradiction: undetermined, with a warning) or an
    undetermined rule could still override or contradict them; a rule's ``overrides`` silence the rules
    it names; no candidate at all is a gap of the pack (the measure does not decide)."""
    holding = [o for o in candidates if o.effective is True]
    open_ = [o for o in candidates if o.effective is None]
    overridden = {target for o in holding for target in o.rule.overrides}
    holding = [o for o in holding if o.rule.id not in overridden]
    open_ = [o for o in open_ if o.rule.id not in overridden]
    decisions = {o.rule.decision for o in holding}
    if len(decisions) > 1:
        names = ", ".join(f"{o.rule.id} → {o.rule.decision}" for o in holding)
        return Decision("undetermined", holding, [f"矛盾: {o.rule.title}" for o in holding], False,
                        (f"规则相互矛盾，办法包未规定其优先顺序: {names}",))
    # An open rule that would override or contradict a holding one keeps the decision open.
    blocking = [o for o in open_ if not holding or o.rule.decision not in decisions
                or any(h.rule.id in o.rule.overrides for h in holding)]
    if holding and not blocking:
        gap = any(getattr(o.rule, "gap", False) for o in holding)
        return Decision(holding[0].rule.decision, holding, [o.rule.title for o in holding], gap)
    if holding or open_:
        reasons = [f"成立: {o.rule.title}" for o in holding]
        reasons += [f"待定: {o.rule.title}" for o in blocking or open_]
        return Decision("undetermined", holding + (blocking or open_), reasons, False)
    return Decision("undetermined", [], [], True)


#: What a conclusion that holds on the project's facts becomes while the measure's scope over the project is
#: undetermined, or settled only by a presumption: it holds only if the measure covers the project, so no ground
#: is asserted as triggered, no consequence as applying and no duty as overdue (learning that the measure does
#: not apply must never turn an asserted conclusion into nothing, and a presumption never makes a sanction
#: apply). Other statuses stand: they assert nothing the scope could undo.
WHILE_SCOPE_UNDETERMINED: Mapping[str, str] = {"triggered": "unknown", "applies": "possible", "overdue": "unknown"}

SCOPE_UNDETERMINED_WARNING = ("本办法是否适用尚待确定: 所列程序、事由、义务与后果均以本办法适用为前提，"
                              "其中的成立、适用与逾期均列为待定或可能 (scope undetermined: every conclusion is "
                              "conditional on the measure applying)")
SCOPE_PRESUMED_WARNING = ("本办法适用系依推定得出(见推定事实): 事由成立、后果适用与义务逾期不以推定为据，"
                          "均列为待定或可能 (scope rests on a presumption: no ground, consequence or overdue "
                          "duty is asserted on it)")


def conditional_on_scope(status: str) -> str:
    """The status a ground, consequence or obligation shows while the scope is undetermined."""
    return WHILE_SCOPE_UNDETERMINED.get(status, status)


def made_before_measure(made: Any, effective: Any) -> bool:
    """Whether a change dated ``made`` was made before the measure took effect on ``effective``: the
    measure then does not govern it (not retroactive), whatever its change rules say. Both the verdict
    and the region analyses decide a change this way."""
    return isinstance(made, dt.date) and isinstance(effective, dt.date) and made < effective
