"""The verdict: what a measure concludes about a project, each conclusion with its citation.

The JSON form (``verdict.model_dump(mode="json")``) is the public contract: every top-level key is
always present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from govrules.models.base import Date


class _Out(BaseModel):
    # Built on first use: the evaluator constructs these without validation, and only a JSON dump
    # (or a schema) needs the serializer.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CitationOut(_Out):
    """An article (and paragraph/item) of a measure, with the article's text."""

    document: str
    title: str
    article: int
    paragraph: int | None = None
    item: int | None = None
    label: str
    text: str
    item_text: str | None = None
    pack: str | None = None


class Scope(_Out):
    """Whether the measure covers the project."""

    status: Literal["in_scope", "out_of_scope", "exempt", "undetermined"]
    citations: list[CitationOut]
    reasons: list[str]


class Route(_Out):
    """What the project must go through before it is built."""

    decision: Literal["approval", "filing", "none", "build_first", "undetermined"]
    authority: str | None
    citations: list[CitationOut]
    reasons: list[str]
    gap: bool = False
    """True when the measure's text does not decide this project (not a missing fact)."""


class Ground(_Out):
    """A ground to reject, defer or refuse funds that is not cleared."""

    id: str
    kind: Literal["rejection", "deferral", "no_funding"]
    status: Literal["triggered", "unknown", "excepted"]
    title: str
    citation: CitationOut
    exception: CitationOut | None = None
    exception_id: str | None = None


class ChangeOut(_Out):
    """How one change request is handled."""

    index: int
    decision: Literal["filing", "approval", "adjustment_request", "none", "not_covered", "undetermined"]
    authority: str | None = None
    citations: list[CitationOut]
    reasons: list[str]
    gap: bool = False


class Obligation(_Out):
    """Something the unit must do, and where it stands on ``as_of``."""

    id: str
    action: str
    due: Date | None
    status: Literal["met", "pending", "overdue", "unknown"]
    citation: CitationOut
    late: bool = False
    reason: str | None = None
    item: int | None = None


class Consequence(_Out):
    """What happens to the money or the project."""

    id: str
    effect: str
    citation: CitationOut
    status: Literal["applies", "possible"] = "applies"
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
    result: Literal["true", "false", "unknown"]
    defeated_by: tuple[str, ...]
    conclusion: str


class Verdict(_Out):
    """A measure's conclusions about one project on one date."""

    pack: str
    document: str
    title: str
    pack_digest: str
    engine_version: str
    as_of: Date
    in_force: bool
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
