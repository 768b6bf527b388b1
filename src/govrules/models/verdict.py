"""The verdict: what a measure concludes about a project, each conclusion with its citation.

The JSON form (``verdict.model_dump(mode="json")``) is the public contract: every top-level key is
always present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from govrules.models.base import Date

# The values each decision can take, in one place: the models below use them, and callers can too
# (``def handle(decision: RouteDecision) -> ...``; ``typing.get_args(RouteDecision)`` lists them).
ScopeStatus = Literal["in_scope", "out_of_scope", "exempt", "undetermined"]
RouteDecision = Literal["approval", "filing", "none", "build_first", "undetermined"]
GroundKind = Literal["rejection", "deferral", "no_funding"]
GroundStatus = Literal["triggered", "unknown", "excepted"]
ChangeDecision = Literal["filing", "approval", "adjustment_request", "none", "not_covered", "undetermined"]
ObligationStatus = Literal["met", "pending", "overdue", "unknown"]
ConsequenceStatus = Literal["applies", "possible"]
TraceResult = Literal["true", "false", "unknown"]


class _Out(BaseModel):
    # Built on first use: the evaluator constructs these without validation, and only a JSON dump
    # (or a schema) needs the serializer.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CitationOut(_Out):
    """An article (and paragraph/item) of a measure, with the text of the cited item or paragraph.

    The article's whole text is not repeated in each citation: the verdict holds it once, in
    ``articles`` (``verdict.article_text(citation)``; in JSON ``articles[pack][str(article)]``).
    """

    document: str
    title: str
    article: int
    paragraph: int | None = None
    item: int | None = None
    label: str
    item_text: str | None = None
    pack: str | None = None

    @property
    def article_key(self) -> tuple[str, str]:
        """Where the article's text is in a verdict's ``articles``: ``(pack, str(article))``."""
        return (self.pack or "", str(self.article))


class Scope(_Out):
    """Whether the measure covers the project."""

    status: ScopeStatus
    citations: list[CitationOut]
    reasons: list[str]


class Route(_Out):
    """What the project must go through before it is built."""

    decision: RouteDecision
    authority: str | None
    citations: list[CitationOut]
    reasons: list[str]
    gap: bool = False
    """True when the measure's text does not decide this project (not a missing fact)."""
    rules: list[str] = []
    """The ids of the rules that decided, parallel to ``citations`` (empty when no rule decided, e.g.
    out of scope: then ``citations`` are the scope's)."""

    def explain(self) -> str:
        """The decision in one line: which procedure, under which article, decided by which rule —
        ``"审批 under 第十六条 (rule route.art16_approval)"``; each article and rule once."""
        return explain_decision(self.decision, self.citations, self.rules)


class Ground(_Out):
    """A ground to reject, defer or refuse funds that is not cleared."""

    id: str
    kind: GroundKind
    status: GroundStatus
    title: str
    citation: CitationOut
    exception: CitationOut | None = None
    exception_id: str | None = None


class ChangeOut(_Out):
    """How one change request is handled."""

    index: int
    decision: ChangeDecision
    authority: str | None = None
    citations: list[CitationOut]
    reasons: list[str]
    gap: bool = False
    rules: list[str] = []
    """The ids of the rules that decided, parallel to ``citations``."""

    def explain(self) -> str:
        """The decision in one line, as :meth:`Route.explain`."""
        return explain_decision(self.decision, self.citations, self.rules)


_DECISION_ZH = {"approval": "审批", "filing": "备案", "none": "无需审批或备案", "build_first": "先建设后补齐审批手续",
                "undetermined": "待定", "adjustment_request": "提交调整申请", "not_covered": "本办法未规定"}


def explain_decision(decision: str, citations: list[CitationOut], rules: list[str]) -> str:
    """``"<决定> under <labels> (rule <ids>)"``, each label and rule id once, in order."""
    labels = list(dict.fromkeys(c.label for c in citations))
    ids = list(dict.fromkeys(rules))
    text = _DECISION_ZH.get(decision, decision)
    if labels:
        text += " under " + "、".join(labels)
    if ids:
        text += f" ({'rule' if len(ids) == 1 else 'rules'} {', '.join(ids)})"
    return text


class Obligation(_Out):
    """Something the unit must do, and where it stands on ``as_of``.

    A working-day deadline that reaches a year whose holiday schedule is not yet published is
    ``provisional``: ``due`` counts only the weekends and statutory holidays of that year, and the
    true date lies in ``[due_earliest, due_latest]`` whatever adjustments (调休) the schedule makes.
    The status then follows the whole interval (overdue only when even ``due_latest`` has passed).
    For an exact deadline ``provisional`` is false and both bounds are null.
    """

    id: str
    action: str
    due: Date | None
    status: ObligationStatus
    citation: CitationOut
    late: bool = False
    reason: str | None = None
    item: int | None = None
    provisional: bool = False
    due_earliest: Date | None = None
    due_latest: Date | None = None


class Consequence(_Out):
    """What happens to the money or the project."""

    id: str
    effect: str
    citation: CitationOut
    status: ConsequenceStatus = "applies"
    item: int | None = None


class MissingFact(_Out):
    """A fact whose value would change the verdict."""

    name: str
    path: str
    zh: str
    en: str
    needed_by: tuple[str, ...]


class Assumption(_Out):
    """A presumed fact the verdict rests on: the project left it out, and the pack presumes it.

    ``decides`` names each conclusion that would not be what it is were this fact unknown (every
    other presumption kept): ``scope``, ``route``, ``ground:<id>``, ``change:<index>``,
    ``obligation:<id>`` and ``consequence:<id>`` (``…:<id>:<item>`` for a rule over items).
    """

    fact: str
    value: Any
    because: str
    citation: CitationOut | None = None
    zh: str
    """the presumption in a few words (e.g. 非紧急项目), as the text report marks what rests on it"""
    decides: tuple[str, ...] = ()


class ReadingChoice(_Out):
    """One option of a reading: its id, the reading and the reason for it."""

    option: str
    text: str
    reason: str


class ReadingOut(_Out):
    """A reading of ambiguous text the verdict relied on: the option taken, and the alternatives."""

    id: str
    question: str
    option: str
    text: str
    reason: str
    default: bool
    citation: CitationOut
    alternatives: tuple[ReadingChoice, ...]


class QuestionOutcome(_Out):
    """One conclusion under one answer: ``conclusion`` as in :attr:`Assumption.decides` (``scope``,
    ``route``, ``ground:<id>``…), its value under that answer (a scope status, a route or change
    decision, a ground, obligation or consequence status, or ``absent`` when the rule is then not
    listed), and the articles it rests on."""

    conclusion: str
    value: str
    citations: tuple[str, ...]


class QuestionAnswer(_Out):
    """One answer to a question: how it is written (``true``, ``false``, an enum value, a range of
    amounts such as ``< 500000`` or ``>= 500000``, a range of dates, or ``not_yet``), a value that
    stands for it in a project, and the conclusions it settles."""

    answer: str
    value: Any
    zh: str
    outcomes: tuple[QuestionOutcome, ...]


class Question(_Out):
    """An unknown fact whose answer would settle a conclusion the verdict leaves open.

    ``settles`` names the conclusions some answer makes different from the verdict's; ``tier`` is the
    first of them in the order scope, route, grounds, changes, obligations, consequences (for a scope
    or route question, only scope and route are named: the rest follows from them). A fact no
    answer of which settles a conclusion alone, but which decides a scope, exemption or route rule
    (one of two facts an exemption needs), settles that rule: ``exemption:<id>``, ``scope:<id>`` or
    ``route:<id>``, with the rule's result (``true``, ``false``, ``unknown``) under each answer.
    ``presumed`` is the presumed value when the fact was presumed and the presumption decides
    something (the question is then whether the presumption holds)."""

    fact: str
    path: str
    zh: str
    en: str
    kind: Literal["bool", "enum", "money", "number", "date"]
    tier: Literal["scope", "route", "grounds", "changes", "obligations", "consequences"]
    settles: tuple[str, ...]
    presumed: Any = None
    answers: tuple[QuestionAnswer, ...]


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses changes: the ``saw`` of a compact trace step, which verdicts share."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a trace step is read-only")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]


@dataclass(slots=True, frozen=True)
class TraceStep:
    """One rule evaluated: the values it saw and what it concluded.

    A plain slotted dataclass rather than a pydantic model: a verdict carries one per rule and item,
    and building them is on the hot path. pydantic still validates, serialises and documents it.
    Frozen, because a compact step (no values seen) is built once per pack and shared by verdicts.
    """

    rule: str
    kind: str
    item: int | None
    condition: str
    saw: dict[str, Any]
    result: TraceResult
    defeated_by: tuple[str, ...]
    conclusion: str


class Successor(_Out):
    """The measure that replaced this one, and from when (as the pack knows it)."""

    document: str
    title: str
    on: Date


class Verdict(_Out):
    """A measure's conclusions about one project on one date."""

    pack: str
    document: str
    title: str
    pack_digest: str
    engine_version: str
    as_of: Date
    in_force: bool
    historical: bool
    """Evaluated as if in force on ``as_of`` although it was not (``historical=True``)."""
    superseded_by: Successor | None
    """The measure in force instead on ``as_of``, when this one had been superseded by then."""
    warnings: list[str]
    scope: Scope
    route: Route
    grounds: list[Ground]
    changes: list[ChangeOut]
    obligations: list[Obligation]
    consequences: list[Consequence]
    missing_facts: list[MissingFact]
    assumptions: list[Assumption]
    readings: list[ReadingOut]
    trace: list[TraceStep]
    questions: list[Question] = []
    """The questions that decide, most decisive first (``evaluate(..., questions=True)``); empty
    when not requested."""

    articles: dict[str, dict[str, str]] = {}
    """The text of every article the verdict cites, once: ``{pack: {str(article): text}}`` (an
    inherited article under the pack of its measure). A citation carries the cited item's text only."""

    def article_text(self, citation: CitationOut) -> str | None:
        """The whole text of the article ``citation`` cites (None if the verdict does not hold it)."""
        pack, number = citation.article_key
        return self.articles.get(pack, {}).get(number)

    def ground(self, rule_id: str) -> Ground | None:
        """The ground of rule ``rule_id`` (e.g. ``"ground.art15_1"``), or None when it is not listed
        (its condition is false, or the pack has no such rule)."""
        return next((g for g in self.grounds if g.id == rule_id), None)

    def obligation(self, rule_id: str, item: int | None = None) -> Obligation | None:
        """The obligation of rule ``rule_id`` (for a rule over items, the one of ``item``), or None when
        it is not listed."""
        return next((o for o in self.obligations if o.id == rule_id and (item is None or o.item == item)), None)

    def consequence(self, rule_id: str, item: int | None = None) -> Consequence | None:
        """The consequence of rule ``rule_id`` (of ``item`` for a rule over items), or None."""
        return next((c for c in self.consequences if c.id == rule_id and (item is None or c.item == item)), None)

    def missing_fact(self, name: str) -> MissingFact | None:
        """The missing fact ``name`` (a fact name, or ``dates.EVENT``), or None when it is not missing."""
        return next((m for m in self.missing_facts if m.name == name), None)

    def step(self, rule_id: str, item: int | None = None) -> TraceStep | None:
        """The trace step of rule ``rule_id`` (of ``item`` for a rule over items): which rule decided
        what, on which values."""
        return next((s for s in self.trace if s.rule == rule_id and (item is None or s.item == item)), None)
