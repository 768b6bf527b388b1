"""What one evaluation holds while it works out a verdict, and what every stage of it shares.

The evaluation (``govrules.engine.evaluator._Evaluation``) is cut along its jobs, one class per
module, each built on the one below: this state; the environment (:mod:`.environment`); the rule
steps (:mod:`.rule_steps`); combining outcomes into conclusions (:mod:`.conclusions`); obligations
(:mod:`.obligations`); presumptions (:mod:`.presumed`); readings (:mod:`.readings`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from govrules.compile.compiler import CompiledPack
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.codegen import PackRuntime
from govrules.engine.combine import MissingTable, Outcome, Tri, note_missing
from govrules.engine.memo import DeclaredInputs, Reads, outcome_signature
from govrules.models.pack import ForEach, Pack
from govrules.models.project import Project
from govrules.models.verdict import CitationOut, Successor, TraceStep

_M = TypeVar("_M", bound=BaseModel)

_TEMPLATES: dict[type[BaseModel], dict[str, Any]] = {}


def unvalidated(cls: type[_M], **values: Any) -> _M:
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


def with_own_lists(model: _M) -> _M:
    """``model`` with list fields of its own (the objects they hold are frozen, and stay shared): what
    a caller gets of a verdict kept for reuse, so that changing its lists changes no other verdict."""
    cls = type(model)
    lists = _LIST_FIELDS.get(cls)
    if lists is None:
        lists = _LIST_FIELDS[cls] = tuple(name for name, info in cls.model_fields.items()
                                          if getattr(info.annotation, "__origin__", None) is list)
    fields = model.__dict__.copy()
    for name in lists:
        fields[name] = list(fields[name])
    obj = _new(cls)
    _set(obj, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_LIST_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}
_new = object.__new__
_set = object.__setattr__


class EvaluationState:
    """The state of one evaluation, and the helpers its stages share: citations, shared output
    objects, and the per-pack reuse of what a part of the verdict works out."""

    c: CompiledPack
    pack: Pack
    project: Project
    as_of: dt.date
    calendar: WorkdayCalendar
    detailed: bool
    warnings: list[str]
    trace: list[TraceStep]
    missing: MissingTable
    params: dict[str, Decimal | None]
    env: dict[str, Any]
    presumed: list[str]
    in_force: bool
    asked_historical: bool
    successor: Successor | None
    _exceptions: dict[tuple[str, int | None], Tri]
    _by_kind: dict[str, list[Outcome]]
    _undecided: list[Outcome]
    _exceptions_walked: set[tuple[str, int | None]]
    _item_envs: dict[ForEach, list[dict[str, Any]]]
    _runtime: PackRuntime
    _start: dict[str, Any]
    _signatures: dict[str, Any]

    # what a memoised part may read (:class:`govrules.engine.memo.MemoInputs`)
    @property
    def item_envs(self) -> Mapping[ForEach, list[dict[str, Any]]]:
        """The item environments by kind (changes, systems, budget lines)."""
        return self._item_envs

    @property
    def outcomes(self) -> Mapping[str, list[Outcome]]:
        """The rule outcomes by kind, in pack order."""
        return self._by_kind

    def env_of(self, outcome: Outcome) -> Mapping[str, Any]:
        """The environment ``outcome``'s rule was evaluated on."""
        return self.env if outcome.env is None else outcome.env

    def signature(self, kind: str) -> Any:
        """What the memo keys read of the outcomes of ``kind``: a token standing for their
        :func:`govrules.engine.memo.outcome_signature` (one per signature and pack, so that keys stay
        small to hash and compare), taken once per evaluation once the outcomes are final."""
        found = self._signatures.get(kind)
        if found is None:
            outcomes = self._by_kind.get(kind, ())
            ids = tuple(map(id, outcomes))
            if self._runtime.shared_ids.issuperset(ids):
                # every one a shared outcome of the generated function, which stands for its own
                # signature: their identities (a tuple of ints: never equal to a token, and equal to a
                # signature only when both are empty, which say the same)
                self._signatures[kind] = ids
                return ids
            signature = outcome_signature(outcomes)
            tokens = self._runtime.signatures
            found = tokens.get(signature)
            if found is None:
                if len(tokens) < self._runtime.MAX_SHARED:
                    found = tokens[signature] = len(tokens)
                else:
                    found = signature  # a tuple: never equal to a token
            self._signatures[kind] = found
        return found

    def _env_of(self, outcome: Outcome) -> Mapping[str, Any]:
        """The environment ``outcome``'s rule was evaluated on."""
        return self.env if outcome.env is None else outcome.env

    def _declared(self, part: str, declare: Callable[[], Reads]) -> Reads:
        """The pack's declaration of what ``part`` reads, made once per pack by ``declare``."""
        declared = self._runtime.declared
        reads: Reads | None = declared.get(part)
        if reads is None:
            reads = declared[part] = declare()
        return reads

    def _memo(self, reads: Reads, work: Callable[[DeclaredInputs], Any], env: Mapping[str, Any] | None = None
              ) -> Any:
        """What ``work`` gives on the inputs ``reads`` declares, worked out once per pack for each value
        of them (see :meth:`_reused`). ``work`` is handed those inputs alone (:meth:`Reads.view`), so
        it cannot depend on anything its key leaves out."""
        return self._reused(reads.key(self, env), lambda: work(reads.view(self, env)))

    def _cite(self, rule: Any) -> CitationOut:
        citation: CitationOut = self._runtime.citation(rule)
        return citation

    def _cite_citation(self, citation: Any) -> CitationOut:
        key = ("citation", citation.measure, citation.article, citation.paragraph, citation.item)
        found = self._runtime.outputs.get(key)
        if found is None:
            from govrules.engine.citations import cite

            found = self._runtime.outputs[key] = cite(self.pack, citation)
        return found

    def _shared(self, key: Any, cls: type[_M], **values: Any) -> _M:
        """An output object that depends on ``key`` alone: built once per pack and shared (it is frozen)."""
        outputs = self._runtime.outputs
        found = outputs.get(key)
        if found is None:
            found = unvalidated(cls, **values)
            if len(outputs) < self._runtime.MAX_SHARED:
                outputs[key] = found
        return found

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
                known = (work(), tuple(self.warnings), tuple(self.missing.items()))
            finally:
                self.missing, self.warnings = missing, warnings
            if len(fast.reused) < fast.MAX_SHARED:
                fast.reused[key] = known
        self.warnings.extend(known[1])
        for name, ids in known[2]:
            note_missing(self.missing, name, ids)
        return known[0]
