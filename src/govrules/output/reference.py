"""The reference form of a verdict: the verdict JSON with everything its pack gives left out.

A verdict repeats what its pack says: each ground's title and citation, each obligation's action,
each missing fact's Chinese and English names, each trace step's condition, the text of every article
cited. The reference form keeps, for each entry, the fields that name it (a ground's rule id and
status, a missing fact's name and the rules that need it, a trace step's rule and result…) and
only those other fields whose value differs from what the pack gives for that entry. A citation is
its article, paragraph and item (and its pack, when not the verdict's own); ``articles`` is left out.
The verdict names its pack's digest, so each text left out is one lookup away in that pack:
:func:`expand_verdict` puts it back, and the expanded verdict's JSON is the original's, byte for byte.

What the pack gives for an entry is worked out by the functions the engine builds that entry with
(:meth:`~govrules.engine.codegen.PackRuntime.citation`, :func:`~govrules.engine.citations.cite`,
:func:`~govrules.engine.codegen.step_conclusion`, the pack's rules, presumptions, readings, terms and
symbol table) and compared with the verdict's value: a field is left out only when the two are
equal, so a verdict the engine built otherwise (an annotation, a part built per verdict) loses
nothing — that field is kept, and the reference is only the larger for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govrules.compile.compiler import CompiledPack, CompiledRule
from govrules.engine.citations import cite
from govrules.engine.codegen import runtime_of, step_conclusion
from govrules.engine.presumed import presumed_phrase
from govrules.errors import GovrulesError
from govrules.models.pack import Citation
from govrules.models.verdict import (
    Assumption,
    Consequence,
    Ground,
    MissingFact,
    Obligation,
    ReadingOut,
    ReadOnlyDict,
    TraceStep,
    Verdict,
)
from govrules.output.verdict_json import verdict_json
from govrules.version import __version__

__all__ = ["FORM", "expand_lines", "expand_verdict", "reference_lines", "reference_schema", "verdict_reference",
           "verdict_reference_json"]

#: the value of a reference's ``form`` key (its first), which a full verdict does not have
FORM = "reference"

#: the most texts of shared entries kept per pack (then they are dropped and kept anew), and of what the
#: pack gives for each kind of entry
_KEPT = 20_000

_UNKNOWN = object()  # what the pack gives when it gives nothing: never equal to a verdict's value

#: frozen output models whose fields cannot change either
_SHARED = frozenset({Ground, MissingFact, Consequence, Obligation, ReadingOut})

_RESULT_VALUE: dict[Any, bool | None] = {"true": True, "false": False, "unknown": None}


@dataclass(frozen=True)
class _Part:
    """How the entries of one kind are thinned: the fields always written, the fields written when
    they are not the model's default (``optional``), and what the pack gives for an entry named by
    those (``given(defaults, ref)`` → every field's value, in declared order)."""

    keys: tuple[str, ...]
    optional: Mapping[str, Any]
    given: Callable[[_PackDefaults, Mapping[str, Any]], dict[str, Any]]
    #: fields holding a citation (written as a citation reference when kept), and lists of them
    citation: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()


class _PackDefaults:
    """What one pack gives, worked out once per pack and entry."""

    def __init__(self, compiled: CompiledPack) -> None:
        self.compiled = compiled
        self.pack = compiled.pack
        self.runtime = runtime_of(compiled)
        self.rules: dict[str, CompiledRule] = {c.rule.id: c for c in (compiled.all_rules or compiled.rules)}
        self._citations: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._rule_citations: dict[str, Any] = {}
        self._given: dict[tuple[Any, ...], dict[str, Any]] = {}
        #: (object id, part, pack) → (the object, its reference text): held, so that the id is not reused
        self._texts: dict[tuple[int, str, str], tuple[Any, str]] = {}

    def citation(self, measure: str | None, article: int, paragraph: int | None, item: int | None) -> dict[str, Any]:
        """The JSON of the citation of that article, paragraph and item of ``measure`` (None: this pack)."""
        key = (measure, article, paragraph, item)
        found = self._citations.get(key)
        if found is None:
            if measure == self.pack.id:
                measure = None
            try:
                found = cite(self.pack, Citation.model_construct(measure=measure, article=article,
                                                                 paragraph=paragraph, item=item)
                             ).model_dump(mode="json")
            except (TypeError, ValueError, AttributeError):
                found = {}
            if len(self._citations) < _KEPT:  # a reference may name any article: the kept ones are bounded
                self._citations[key] = found
        return found

    def rule_citation(self, rule_id: Any) -> Any:
        """The JSON of the citation of rule ``rule_id`` as the engine builds it (unknown if no such rule)."""
        found = self._rule_citations.get(rule_id)
        if found is None:
            compiled = self.rules.get(rule_id) if isinstance(rule_id, str) else None
            if compiled is None:
                return _UNKNOWN
            found = self._rule_citations[rule_id] = self.runtime.citation(compiled.rule).model_dump(mode="json")
        return found

    def rule(self, rule_id: Any) -> Any:
        compiled = self.rules.get(rule_id) if isinstance(rule_id, str) else None
        return None if compiled is None else compiled.rule

    def entry_text(self, kind: str, obj: Any, entry: dict[str, Any], own: str) -> str:
        """The reference text of ``entry`` (the JSON of ``obj``, an entry of part ``kind``), kept by
        the object's identity when it cannot change."""
        if not _shared_entry(obj):
            return _dumps(_thin(kind, entry, self, own))
        key = (id(obj), kind, own)
        found = self._texts.get(key)
        if found is None or found[0] is not obj:
            if len(self._texts) >= _KEPT:
                self._texts.clear()
            found = self._texts[key] = (obj, _dumps(_thin(kind, entry, self, own)))
        return found[1]

    def given(self, kind: str, part: _Part, ref: Mapping[str, Any]) -> dict[str, Any]:
        """What the pack gives for the entry ``ref`` names (kept per pack: entries repeat)."""
        try:
            key: tuple[Any, ...] | None = (kind, *(_frozen(ref.get(k)) for k in (*part.keys, *part.optional)))
            hash(key)
        except TypeError:
            key = None
        found = self._given.get(key) if key is not None else None
        if found is None:
            found = part.given(self, ref)
            if key is not None and len(self._given) < _KEPT:
                self._given[key] = found
        return found


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    return value


def _attr(rule: Any, name: str) -> Any:
    return _UNKNOWN if rule is None else getattr(rule, name, _UNKNOWN)


def _decision_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as the engine combines route or change rules that hold (govrules.engine.combine.decide)
    rules = [d.rule(r) for r in ref.get("rules", [])]
    decided = ref.get("decision") != "undetermined" and rules
    return {"decision": ref.get("decision"),
            "authority": _attr(rules[0], "authority") if decided else None,
            "citations": [d.rule_citation(r) for r in ref.get("rules", [])],
            "reasons": [_attr(r, "title") for r in rules],
            "gap": False, "text_missing": False, "rules": list(ref.get("rules", []))}


def _ground_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as Conclusions._work_out_grounds builds a ground
    rule = d.rule(ref.get("id"))
    exception_id = ref.get("exception_id")
    return {"id": ref.get("id"), "kind": _attr(rule, "ground"), "status": ref.get("status"),
            "title": _attr(rule, "title"), "citation": d.rule_citation(ref.get("id")),
            "exception": d.rule_citation(exception_id) if exception_id is not None else None,
            "exception_id": exception_id}


def _obligation_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # the action and citation follow from the rule (Obligations._work_out_obligation); the rest is
    # the model's defaults
    rule = d.rule(ref.get("id"))
    return {"id": ref.get("id"), "action": _attr(rule, "action"), "due": None, "status": ref.get("status"),
            "citation": d.rule_citation(ref.get("id")), "late": False, "reason": None, "item": ref.get("item"),
            "provisional": False, "due_earliest": None, "due_latest": None}


def _consequence_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    rule = d.rule(ref.get("id"))
    return {"id": ref.get("id"), "effect": _attr(rule, "effect"), "citation": d.rule_citation(ref.get("id")),
            "status": ref.get("status"), "item": ref.get("item")}


def _missing_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as Conclusions._work_out_missing_facts names a missing fact from the pack's symbols
    name = ref.get("name")
    info = d.runtime.symbols.get(name) if isinstance(name, str) else None
    if info is None:
        path = zh = en = _UNKNOWN
    else:
        path = f"parameters.{name}" if info.source == "parameter" else info.path
        zh, en = info.zh, info.en
    return {"name": name, "path": path, "zh": zh, "en": en, "needed_by": ref.get("needed_by")}


def _assumption_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as Presumptions._work_out_assumptions builds an assumption
    name = ref.get("fact")
    fact = d.compiled.presumptions.get(name) if isinstance(name, str) else None
    if fact is None:
        return {"fact": name, "value": _UNKNOWN, "because": _UNKNOWN, "citation": _UNKNOWN, "zh": _UNKNOWN,
                "decides": ref.get("decides", [])}
    citation = None if fact.citation is None else cite(d.pack, fact.citation).model_dump(mode="json")
    return {"fact": name, "value": fact.presume, "because": fact.because, "citation": citation,
            "zh": presumed_phrase(fact), "decides": ref.get("decides", [])}


def _reading_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as Readings._work_out_readings builds a reading relied on
    reading = next((r for r in d.pack.readings if r.id == ref.get("id")), None)
    chosen = ref.get("option")
    option = reading.option(chosen) if reading is not None and isinstance(chosen, str) else None
    if reading is None or option is None:
        return {"id": ref.get("id"), "question": _UNKNOWN, "option": chosen, "text": _UNKNOWN, "reason": _UNKNOWN,
                "default": _UNKNOWN, "citation": _UNKNOWN, "alternatives": _UNKNOWN}
    return {"id": reading.id, "question": reading.question, "option": chosen, "text": option.text,
            "reason": option.reason, "default": chosen == reading.default,
            "citation": cite(d.pack, reading.cite).model_dump(mode="json"),
            "alternatives": [{"option": o.id, "text": o.text, "reason": o.reason}
                             for o in reading.options if o.id != chosen]}


def _term_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as govrules.engine.measure_text.term_outputs reports a defined term
    term = next((t for t in d.pack.terms if t.id == ref.get("id")), None)
    if term is None:
        return {"id": ref.get("id"), "zh": _UNKNOWN, "en": _UNKNOWN, "holds": ref.get("holds"),
                "citation": _UNKNOWN, "quote": _UNKNOWN, "compared": [], "missing": []}
    return {"id": term.id, "zh": term.zh, "en": term.en, "holds": ref.get("holds"),
            "citation": cite(d.pack, term.cite).model_dump(mode="json"), "quote": term.quote,
            "compared": [], "missing": []}


def _step_given(d: _PackDefaults, ref: Mapping[str, Any]) -> dict[str, Any]:
    # as PackRuntime.step builds a compact step (a detailed one differs only in the values it saw)
    rule_id = ref.get("rule")
    compiled = d.rules.get(rule_id) if isinstance(rule_id, str) else None
    defeated = ref.get("defeated_by", [])
    result = ref.get("result")
    if compiled is None or result not in _RESULT_VALUE or not isinstance(defeated, list):
        kind = condition = conclusion = _UNKNOWN
    else:
        kind, condition = compiled.rule.kind, compiled.text
        conclusion = step_conclusion(compiled.rule, _RESULT_VALUE[result], tuple(defeated))
    return {"rule": rule_id, "kind": kind, "item": ref.get("item"), "condition": condition, "saw": {},
            "result": result, "defeated_by": defeated, "conclusion": conclusion}


#: the list parts of a verdict and how each entry is thinned; ``route`` is one entry, not a list
_PARTS: dict[str, _Part] = {
    "route": _Part(keys=("decision",), optional={"rules": []}, given=_decision_given, citations=("citations",)),
    "changes": _Part(keys=("index", "decision"), optional={"rules": []},
                     given=lambda d, ref: {"index": ref.get("index"), **_decision_given(d, ref)},
                     citations=("citations",)),
    "grounds": _Part(keys=("id", "status"), optional={"exception_id": None}, given=_ground_given,
                     citation=("citation", "exception")),
    "obligations": _Part(keys=("id", "status"), optional={"item": None}, given=_obligation_given,
                         citation=("citation",)),
    "consequences": _Part(keys=("id", "status"), optional={"item": None}, given=_consequence_given,
                          citation=("citation",)),
    "missing_facts": _Part(keys=("name", "needed_by"), optional={}, given=_missing_given),
    "assumptions": _Part(keys=("fact",), optional={"decides": []}, given=_assumption_given,
                         citation=("citation",)),
    "readings": _Part(keys=("id", "option"), optional={}, given=_reading_given, citation=("citation",)),
    "terms": _Part(keys=("id", "holds"), optional={}, given=_term_given, citation=("citation",)),
    "trace": _Part(keys=("rule", "result"), optional={"item": None, "defeated_by": []}, given=_step_given),
}

#: top-level fields left out when they are what the pack (or the model) gives
_TOP_GIVEN = ("document", "title", "questions", "terms", "text_status", "articles")


# --------------------------------------------------------------------------------------------- thinning

def _same(a: Any, b: Any) -> bool:
    """Equal as JSON text is: same types, same keys in the same order."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _thin_citation(full: Any, d: _PackDefaults, own: str) -> Any:
    if type(full) is not dict or type(full.get("article")) is not int:
        return full  # written whole: expanded as it is
    ref: dict[str, Any] = {"article": full["article"]}
    for name in ("paragraph", "item"):
        if full.get(name) is not None:
            ref[name] = full[name]
    if full.get("pack") != own:
        ref["pack"] = full.get("pack")
    given = d.citation(ref.get("pack", own), full["article"], full.get("paragraph"), full.get("item"))
    if list(given) != list(full):
        return full
    for name, value in full.items():
        if name not in ("article", "paragraph", "item", "pack") and not _same(value, given.get(name, _UNKNOWN)):
            ref[name] = value
    return ref


def _thick_citation(ref: Any, d: _PackDefaults, own: str) -> Any:
    if type(ref) is not dict or type(ref.get("article")) is not int:
        return ref
    pack = ref.get("pack", own)
    given = d.citation(pack, ref["article"], ref.get("paragraph"), ref.get("item"))
    if not given:
        return ref
    full = dict(given)
    full.update(paragraph=ref.get("paragraph"), item=ref.get("item"), pack=pack)
    for name, value in ref.items():
        if name not in full:
            return ref  # not a citation reference: validation says what is wrong with it
        if name not in ("paragraph", "item", "pack"):
            full[name] = value
    return full


def _thin(kind: str, full: dict[str, Any], d: _PackDefaults, own: str) -> dict[str, Any]:
    part = _PARTS[kind]
    named = {k: full[k] for k in part.keys if k in full}
    named.update((k, full[k]) for k, default in part.optional.items() if k in full and not _same(full[k], default))
    given = d.given(kind, part, named)
    ref: dict[str, Any] = {}
    for name, value in full.items():
        if name in named:
            ref[name] = value
        elif not _same(value, given.get(name, _UNKNOWN)):
            if name in part.citation:
                value = _thin_citation(value, d, own)
            elif name in part.citations and type(value) is list:
                value = [_thin_citation(c, d, own) for c in value]
            ref[name] = value
    return ref


def _thick(kind: str, ref: Any, d: _PackDefaults, own: str, where: str) -> Any:
    if type(ref) is not dict:
        return ref  # validation names what is wrong
    part = _PARTS[kind]
    given = d.given(kind, part, ref)
    unknown = [name for name in ref if name not in given]
    if unknown:
        raise _invalid(f"{where}: {', '.join(unknown)} is not a field of this part")
    full: dict[str, Any] = {}
    for name, value in given.items():
        if name in ref:
            value = ref[name]
            if name in part.citation:
                value = _thick_citation(value, d, own)
            elif name in part.citations and type(value) is list:
                value = [_thick_citation(c, d, own) for c in value]
        elif _unknown(value):
            raise _invalid(f"{where}.{name}: left out, but the pack does not give it")
        full[name] = value
    return full


def _unknown(value: Any) -> bool:
    """Whether the pack gives ``value`` only in part (a rule it does not have, among those named)."""
    return value is _UNKNOWN or (type(value) is list and any(map(_unknown, value)))


def _invalid(message: str) -> GovrulesError:
    return GovrulesError(f"not a reference verdict: {message}", code="reference_invalid",
                         message_zh=f"不是引用式结论: {message}")


# ------------------------------------------------------------------------------------------ the articles

def _article_texts(full: Mapping[str, Any], d: _PackDefaults) -> dict[str, dict[str, str]]:
    """The text of every article ``full`` (a verdict's JSON, all but ``articles``) cites, in the order
    the engine collects them (Conclusions._article_texts, then the terms' as measure_text.annotate adds
    them)."""
    cited: list[Any] = [*full["scope"]["citations"], *full["route"]["citations"]]
    for g in full["grounds"]:
        cited.append(g["citation"])
        if g["exception"] is not None:
            cited.append(g["exception"])
    for c in full["changes"]:
        cited.extend(c["citations"])
    cited.extend(o["citation"] for o in full["obligations"])
    cited.extend(q["citation"] for q in full["consequences"])
    cited.extend(a["citation"] for a in full["assumptions"] if a["citation"] is not None)
    cited.extend(r["citation"] for r in full["readings"])
    texts: dict[str, dict[str, str]] = {}
    for citation in cited:
        measure = citation["pack"] or d.pack.id
        of_measure = texts.setdefault(measure, {})
        if str(citation["article"]) not in of_measure:
            found = d.pack.article(citation["article"], measure)
            of_measure[str(citation["article"])] = found.text if found is not None else ""
    for term in full.get("terms") or []:
        citation = term["citation"]
        measure = citation["pack"] or d.pack.id
        found = d.pack.article(citation["article"], measure)
        if found is not None:
            texts.setdefault(measure, {}).setdefault(str(citation["article"]), found.text)
    return texts


# ------------------------------------------------------------------------------------------- public API

_DEFAULTS: dict[int, tuple[CompiledPack, _PackDefaults]] = {}


def _defaults(compiled: CompiledPack) -> _PackDefaults:
    found = _DEFAULTS.get(id(compiled))
    if found is None or found[0] is not compiled:
        if len(_DEFAULTS) >= 16:
            _DEFAULTS.clear()
        found = _DEFAULTS[id(compiled)] = (compiled, _PackDefaults(compiled))
    return found[1]


def _pack_of(name: str, pack: CompiledPack | str | None, digest: Any, engine: Any) -> CompiledPack:
    """The pack a verdict (or reference) of pack ``name`` with ``digest`` refers to: ``pack``, or the
    bundled pack of that id; refused when its digest is not the verdict's."""
    if pack is None:
        from govrules.compile.loading import load_pack
        from govrules.errors import PackError

        try:
            pack = load_pack(name)
        except PackError as exc:
            if exc.code != "pack_not_found":
                raise
            raise GovrulesError(f"{exc.message}: pass the pack the verdict was evaluated under (pack=…, --pack)",
                                code="pack_not_found",
                                message_zh=f"找不到内置办法包 {name}: 请给出评估所依据的办法包（--pack）") from None
    elif isinstance(pack, str):
        from govrules.compile.loading import load_pack

        pack = load_pack(pack)
    if digest != pack.digest:
        raise GovrulesError(
            f"the verdict was evaluated under pack {name} with digest {digest}, not under this pack "
            f"({pack.pack.id}, {pack.digest}): its texts cannot be looked up there",
            code="reference_pack_mismatch",
            message_zh=f"结论所依据的办法包（{name}，{digest}）与所给办法包（{pack.pack.id}，{pack.digest}）不一致")
    if engine != __version__:
        raise GovrulesError(
            f"the verdict was written by govrules {engine}, not {__version__}: what the engine derives "
            "from the pack may differ; expand it with the version that wrote it",
            code="reference_engine_mismatch",
            message_zh=f"结论由 govrules {engine} 生成，当前为 {__version__}：请用生成它的版本展开")
    return pack


def verdict_reference(verdict: Verdict, pack: CompiledPack | str | None = None) -> dict[str, Any]:
    """The reference form of ``verdict`` (a JSON-ready dict): its JSON with every field its pack gives
    left out (``docs/verdict.md``, "Reference form"); :func:`expand_verdict` puts them back.

    ``pack`` is the pack the verdict was evaluated under (a compiled pack, or a bundled id or path);
    by default the bundled pack of ``verdict.pack``. A :class:`~govrules.errors.GovrulesError` with code
    ``reference_pack_mismatch`` is raised when its digest is not the verdict's ``pack_digest``.
    """
    found: dict[str, Any] = json.loads(verdict_reference_json(verdict, pack))
    return found


def verdict_reference_json(verdict: Verdict, pack: CompiledPack | str | None = None) -> str:
    """:func:`verdict_reference` as compact JSON text (one line, non-ASCII as is): what a store keeps.

    The text of each entry a pack's verdicts share (a ground, a missing fact, a compact trace step…) is
    worked out once and kept, as :func:`~govrules.output.verdict_json.verdict_json` keeps their full text.
    """
    compiled = _pack_of(verdict.pack, pack, verdict.pack_digest, verdict.engine_version)
    d = _defaults(compiled)
    own = verdict.pack
    full: dict[str, Any] = json.loads(verdict_json(verdict))
    given_top: dict[str, Any] = {"document": d.pack.document, "title": d.pack.title, "questions": [], "terms": [],
                                 "text_status": None}
    pieces = [f'"form":{_dumps(FORM)}']
    for name, value in full.items():
        if name == "articles":
            if _same(value, _article_texts(full, d)):
                continue
            text = _dumps(value)
        elif name in given_top and _same(value, given_top[name]):
            continue
        elif name == "scope":
            text = _dumps({**value, "citations": [_thin_citation(c, d, own) for c in value["citations"]]})
        elif name == "route":
            text = _dumps(_thin("route", value, d, own))
        elif name in _PARTS:
            objects = getattr(verdict, name)
            text = f"[{','.join(d.entry_text(name, o, entry, own) for o, entry in zip(objects, value, strict=True))}]"
        else:
            text = _dumps(value)
        pieces.append(f"{_dumps(name)}:{text}")
    return f"{{{','.join(pieces)}}}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SCALARS = (str, int, bool, float, type(None))


def _shared_entry(obj: Any) -> bool:
    """Whether ``obj`` cannot change (and so its reference text can be kept by identity): the frozen
    parts the engine shares between a pack's verdicts, a compact trace step."""
    kind = type(obj)
    if kind in _SHARED:
        return True
    if kind is Assumption:
        return type(obj.value) in _SCALARS
    return kind is TraceStep and type(obj.saw) is ReadOnlyDict and not obj.saw


def expand_verdict(reference: Mapping[str, Any] | str, pack: CompiledPack | str | None = None) -> Verdict:
    """The verdict a reference form (a dict, or its JSON text) stands for, every field put back from
    ``pack`` (a compiled pack, or a bundled id or path; by default the bundled pack the reference
    names). Its JSON is the original verdict's, byte for byte.

    Raises a :class:`~govrules.errors.GovrulesError`: code ``reference_pack_mismatch`` when the pack's
    digest is not the reference's ``pack_digest``, ``reference_engine_mismatch`` when another version of
    govrules wrote it, ``reference_invalid`` when it is not a reference form (a full verdict, a field
    the part does not have, one left out that the pack does not give, or a value the verdict's model
    refuses: the message names the field's path).
    """
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except ValueError as exc:
            raise _invalid(f"not JSON ({exc})") from None
    if not isinstance(reference, Mapping) or reference.get("form") != FORM:
        raise _invalid(f'no "form": "{FORM}" (a full verdict needs no expanding)')
    for name in ("pack", "pack_digest", "engine_version"):
        if type(reference.get(name)) is not str:
            raise _invalid(f"{name} is missing")
    compiled = _pack_of(reference["pack"], pack, reference["pack_digest"], reference["engine_version"])
    d = _defaults(compiled)
    own = reference["pack"]
    full: dict[str, Any] = {}
    for name, value in reference.items():
        if name == "form" or name == "articles":
            continue
        if name == "scope" and type(value) is dict and type(value.get("citations")) is list:
            value = {**value, "citations": [_thick_citation(c, d, own) for c in value["citations"]]}
        elif name == "route":
            value = _thick("route", value, d, own, name)
        elif name in _PARTS and type(value) is list:
            value = [_thick(name, entry, d, own, f"{name}.{i}") for i, entry in enumerate(value)]
        full[name] = value
    full.setdefault("document", d.pack.document)
    full.setdefault("title", d.pack.title)
    try:
        full["articles"] = reference["articles"] if "articles" in reference else _article_texts(full, d)
    except (KeyError, TypeError, AttributeError) as exc:
        raise _invalid(f"a part is missing or malformed ({exc!r})") from None
    return _validated(full)


def reference_lines(lines: Iterable[dict[str, Any]], pack: CompiledPack | str | None = None
                    ) -> Iterator[dict[str, Any]]:
    """Batch lines (:func:`govrules.output.batch.evaluate_records`) with each verdict in reference form."""
    for line in lines:
        verdict = line.get("verdict")
        if verdict is not None:
            if not isinstance(verdict, Verdict):
                verdict = Verdict.model_validate(verdict)
            line = {**line, "verdict": verdict_reference(verdict, pack)}
        yield line


def expand_lines(lines: Iterable[str], pack: CompiledPack | str | None = None, *, source: str = "-"
                 ) -> Iterator[str]:
    """JSON Lines with each reference verdict expanded: a batch's lines (``"verdict"`` in reference form)
    become the lines the batch writes in the full form; a line that is itself a reference becomes the
    verdict's JSON; any other line (an error, the summary) is passed on as it is. A line that is not
    JSON, or a reference that cannot be expanded, raises a :class:`~govrules.errors.GovrulesError`
    naming ``source`` and the line."""
    from govrules.output.batch import jsonl_line

    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _invalid(f"{source}:{number}: not JSON ({exc})") from None
        try:
            if isinstance(data, dict) and data.get("form") == FORM:
                yield verdict_json(expand_verdict(data, pack))
            elif isinstance(data, dict) and isinstance(data.get("verdict"), dict):
                yield jsonl_line({**data, "verdict": expand_verdict(data["verdict"], pack)})
            else:
                yield text
        except GovrulesError as exc:
            exc.message = f"{source}:{number}: {exc.message}"
            exc.args = (exc.message,)
            raise


def _validated(full: dict[str, Any]) -> Verdict:
    from pydantic import ValidationError

    try:
        return Verdict.model_validate(full)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise _invalid(f"{path}: {first['msg']}") from None


def reference_schema() -> dict[str, Any]:
    """The JSON Schema of the reference form: the verdict's, each object requiring only the fields that
    name it (the others may be left out), and a ``form`` key."""
    from govrules.models.schemas import schema_for

    schema: dict[str, Any] = json.loads(json.dumps(schema_for("verdict")))
    defs = schema["$defs"]
    named = {"Route": "route", "ChangeOut": "changes", "Ground": "grounds", "Obligation": "obligations",
             "Consequence": "consequences", "MissingFact": "missing_facts", "Assumption": "assumptions",
             "ReadingOut": "readings", "TermOut": "terms", "TraceStep": "trace"}
    for name, kind in named.items():
        defs[name]["required"] = list(_PARTS[kind].keys)
    defs["CitationOut"]["required"] = ["article"]
    required = [n for n in schema["required"] if n not in _TOP_GIVEN]
    schema["required"] = ["form", *required]
    schema["properties"] = {"form": {"const": FORM, "title": "Form", "type": "string"}, **schema["properties"]}
    schema["$id"] = "https://govrules.invalid/schemas/reference.schema.json"
    schema["title"] = "VerdictReference"
    schema["description"] = ("A verdict in reference form: each field its pack gives left out "
                             "(docs/verdict.md, \"Reference form\"); govrules expand puts them back.")
    return schema
