"""Pack test cases: a project, a date, and the parts of the verdict expected.

A case file (``*.cases.yaml``)::

    pack: chuxiong-2025          # a bundled id, or a path relative to this file
    as_of: 2025-09-01            # default for every case
    parameters: {procurement_limit: 1000000}
    base:                         # merged (deeply) under every case's project
      id: base
      name: 示例
    cases:
      - name: 建设类恰好50万元须审批
        project: {execution: construction, budget: 500000}
        expect:
          scope: in_scope
          route: approval
          route_citations: [16]           # article numbers
          grounds: {ground.art15_1: triggered, ground.art15_4: absent}
          changes: [filing]
          obligations: {obligation.art22_contract_filing: {status: pending, due: null}}
          consequences: [consequence.art5_reserve]         # ids that must be present
          no_consequences: [consequence.art6_built_before_approval]
          # or, to tell one that applies from one that is only possible:
          # consequences: {consequence.art5_reserve: applies, consequence.art6_x: possible}
          missing_facts: [emergency]                        # names that must be listed
          in_force: true
          warnings_contain: [采购限额]
          assumptions: {emergency: [route]}                 # presumed facts and what each decides
          readings: {art16_17: approval_prevails}           # readings relied on, with the option taken
      - name: 严格评估(不作推定)、按字面解读
        strict: true                     # presume nothing (evaluate(..., strict=True))
        readings: {art16_17: literal_overlap}
        project: {execution: construction, budget: 500000}
        expect: {route: undetermined, no_assumptions: true}

Unknown keys are errors, so a typo in an expectation never passes silently; nor does a typo in a
name: every rule id, fact name and article number an expectation names, and every fact a case's
project gives, must exist in the pack (:func:`check_references`), or the whole file is refused with
file:line:col and a did-you-mean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError

from govrules.errors import CaseError, GovrulesError
from govrules.models.base import Date, StrictModel
from govrules.models.verdict import (
    ChangeDecision,
    GroundStatus,
    ObligationStatus,
    RouteDecision,
    ScopeStatus,
    Verdict,
)
from govrules.packs.yaml_io import Document, YamlInputError, load_yaml, read_bounded, read_text

if TYPE_CHECKING:
    from govrules.compile.compiler import CompiledPack


class ObligationExpectation(StrictModel):
    """What one obligation should look like; ``absent`` when it must not be listed."""

    status: ObligationStatus | Literal["absent"] | None = None
    due: Date | Literal["any"] | None = "any"
    late: bool | None = None
    #: a deadline that waits for a year's holiday schedule, and the interval its date must fall in
    provisional: bool | None = None
    due_earliest: Date | Literal["any"] | None = "any"
    due_latest: Date | Literal["any"] | None = "any"


class Expectation(StrictModel):
    """The parts of a verdict a case checks; anything not named is not checked."""

    scope: ScopeStatus | None = None
    route: RouteDecision | None = None
    route_gap: bool | None = None
    route_authority: str | None = None
    route_citations: list[int] | None = None
    scope_citations: list[int] | None = None
    grounds: dict[str, GroundStatus | Literal["absent"]] | None = None
    grounds_exactly: list[str] | None = None
    changes: list[ChangeDecision] | None = (
        Field(None, description="the decision of each change request, in order"))
    changes_gap: list[bool | None] | None = Field(
        None, description="per change request, in order: whether it is a gap no rule decides (null: not checked)")
    changes_text_missing: list[bool | None] | None = Field(
        None, description="per change request, in order: whether it is a gap the lost text may fill (null: not "
                          "checked)")
    obligations: dict[str, ObligationExpectation] | None = None
    consequences: list[str] | dict[str, Literal["applies", "possible", "absent"]] | None = Field(
        None, description="ids that must be listed; or a map id → applies / possible / absent")
    no_consequences: list[str] | None = None
    missing_facts: list[str] | None = None
    no_missing_facts: list[str] | None = None
    in_force: bool | Literal["undetermined"] | None = None
    route_text_missing: bool | None = Field(None, description="the route is a gap the lost text may fill")
    terms: dict[str, Literal["true", "false", "unknown"]] | None = Field(
        None, description="defined terms by id → whether the project falls under it (true / false / unknown)")
    historical: bool | None = Field(None, description="evaluated as if in force (the case's `historical: true`)")
    superseded_by: str | None = Field(None, description="the 文号 of the successor the verdict names; '' for none")
    obligations_exactly: list[str] | None = Field(None, description="the obligations listed are exactly these")
    consequences_exactly: list[str] | None = Field(None, description="the consequences listed are exactly these")
    warnings_contain: list[str] | None = None
    assumptions: dict[str, list[str]] | None = Field(
        None, description="presumed facts that must be listed, each with exactly the conclusions it decides")
    no_assumptions: bool | None = Field(None, description="true: the verdict lists no assumption")
    readings: dict[str, str] | None = Field(None, description="readings that must be listed, with the option taken")
    error: str | None = Field(None, description="the evaluation must fail with this error code")


class Case(StrictModel):
    """One test case."""

    name: str
    as_of: Date | None = None
    historical: bool = Field(False, description="evaluate as if the measure were in force on as_of")
    parameters: dict[str, Any] | None = None
    strict: bool = Field(False, description="presume nothing (unknown stays unknown)")
    readings: dict[str, str] | None = Field(None, description="the options chosen for the pack's readings")
    project: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation


class CaseFileModel(StrictModel):
    """A file of cases for one pack."""

    pack: str
    as_of: Date | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    base: dict[str, Any] = Field(default_factory=dict)
    cases: list[Case]


@dataclass
class CaseFile:
    """A loaded case file with the line of each case, for messages."""

    path: Path
    model: CaseFileModel
    lines: list[int]
    document: Document | None = None
    checked: bool = False

    def pack_source(self) -> str:
        """The pack id, or the pack path resolved against the case file's folder."""
        pack = self.model.pack
        if pack.endswith((".yaml", ".yml")):
            return str((self.path.parent / pack).resolve())
        return pack

    def inputs(self, index: int) -> CaseInputs:
        """What case ``index`` evaluates: its project data (the file's ``base`` with the case's project
        merged in), its evaluation date (None if neither the case nor the file sets one) and parameters."""
        model = self.model
        case = model.cases[index]
        return CaseInputs(case.name, merge_project_data(model.base, case.project), case.as_of or model.as_of,
                          {**model.parameters, **(case.parameters or {})})


@dataclass(frozen=True)
class CaseInputs:
    """The inputs of one case, before validation: see :meth:`CaseFile.inputs`."""

    name: str
    project: Any
    as_of: dt.date | None
    parameters: dict[str, Any]


@dataclass
class CaseResult:
    """The outcome of one case."""

    name: str
    line: int
    failures: list[str] = field(default_factory=list)
    verdict: Verdict | None = None

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


def load_case_file(path: str | Path) -> CaseFile:
    """Read and validate a ``*.cases.yaml`` file."""
    path = Path(path)
    try:
        document = load_yaml(read_text(read_bounded(path), str(path)), str(path))
    except OSError as exc:
        raise CaseError(f"cannot read {path}: {exc.strerror}") from None
    except YamlInputError as exc:
        raise CaseError(str(exc)) from None
    try:
        model = CaseFileModel.model_validate(document.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = document.locate(tuple(p for p in loc if isinstance(p, str | int)))
        raise CaseError(f"{where}: {'.'.join(map(str, loc))}: {first['msg']}") from None
    _refuse_null_parameters(model, document)
    lines = [document.locate(("cases", i)).line for i in range(len(model.cases))]
    return CaseFile(path, model, lines, document)


def _refuse_null_parameters(model: CaseFileModel, document: Document) -> None:
    """A parameter set to ``null`` is a malformed case file, refused where it is written: a case's
    parameters are merged over the file's, so ``null`` cannot unset one (and the file's own ``null``
    sets nothing)."""
    where: list[tuple[tuple[str | int, ...], str]] = [
        (("parameters", name), "a parameter of the file cannot be null: leave it out to leave it unset")
        for name, value in model.parameters.items() if value is None]
    where += [(("cases", i, "parameters", name),
               "a case cannot unset a file-level parameter: put such cases in a file without it"
               if name in model.parameters else "a case's parameter cannot be null: leave it out to leave it unset")
              for i, case in enumerate(model.cases) for name, value in (case.parameters or {}).items()
              if value is None]
    if where:
        path, hint = where[0]
        raise CaseError(f"{document.locate(path)}: {'.'.join(map(str, path))}: null: {hint}")


_RULE_KEYS: dict[str, str] = {"grounds": "ground", "grounds_exactly": "ground", "obligations": "obligation",
                              "consequences": "consequence", "no_consequences": "consequence"}


def _did_you_mean(name: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=2, cutoff=0.75)
    return f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""


def check_references(case_file: CaseFile, pack: CompiledPack) -> list[str]:
    """Names in ``case_file`` that ``pack`` does not have, one line each (file:line:col: what; did you mean).

    Checked: the term ids of ``terms``; the rule ids of ``grounds``, ``grounds_exactly``, ``obligations``,
    ``consequences`` and ``no_consequences`` (each must be a rule of that kind), the names of ``missing_facts`` and
    ``no_missing_facts`` (a fact, parameter or other symbol conditions read), the article numbers of
    ``route_citations`` and ``scope_citations``, the change indexes of ``changes_gap`` and
    ``changes_text_missing`` (each a change request of the case's project), and the facts each project
    gives (``facts:`` and ``systems[].facts:``, in ``base`` and in every case: the pack's facts or the
    shared vocabulary's).
    A misspelt name would otherwise make an expectation that can never fail (``no_consequences`` of a
    rule that does not exist always holds); each problem is reported once, where it is written.
    """
    from govrules.packs.bundled import vocabulary_fact_names

    document = case_file.document
    file = str(case_file.path)

    def where(*path: str | int, key: bool = False) -> str:
        return str(document.locate(path, key=key)) if document is not None else file

    kinds = {r.id: r.kind for r in pack.pack.rules}
    symbols = set(pack.table.symbols) | set(pack.table.system_facts)
    for table in pack.table.item_symbols.values():
        symbols |= set(table)
    articles = {a.number for a in pack.pack.articles}
    vocabulary = vocabulary_fact_names()
    project_facts = set(pack.project_facts) | vocabulary
    system_facts = set(pack.system_facts) | vocabulary
    problems: list[str] = []

    def project(data: Any, *path: str | int) -> None:
        if not isinstance(data, dict):
            return
        facts = data.get("facts")
        if isinstance(facts, dict):
            for name in facts:
                if isinstance(name, str) and name not in project_facts:
                    problems.append(f"{where(*path, 'facts', name, key=True)}: unknown fact `{name}` in the project"
                                    f"{_did_you_mean(name, pack.project_facts.keys() | vocabulary)}")
        systems = data.get("systems")
        if isinstance(systems, list):
            for i, system in enumerate(systems):
                sys_facts = system.get("facts") if isinstance(system, dict) else None
                if isinstance(sys_facts, dict):
                    for name in sys_facts:
                        if isinstance(name, str) and name not in system_facts:
                            problems.append(
                                f"{where(*path, 'systems', i, 'facts', name, key=True)}: unknown system fact `{name}`"
                                f"{_did_you_mean(name, pack.system_facts.keys() | vocabulary)}")

    project(case_file.model.base, "base")
    for index, case in enumerate(case_file.model.cases):
        at: tuple[str | int, ...] = ("cases", index)
        project(case.project, *at, "project")
        expect = case.expect
        for key, kind in _RULE_KEYS.items():
            named = getattr(expect, key)
            if not named:
                continue
            for j, rule_id in enumerate(named):
                spot = (where(*at, "expect", key, rule_id, key=True) if isinstance(named, dict)
                        else where(*at, "expect", key, j))
                found = kinds.get(rule_id)
                if found is None:
                    same = [i for i, k in kinds.items() if k == kind]
                    problems.append(f"{spot}: {key}: the pack has no rule `{rule_id}`{_did_you_mean(rule_id, same)}")
                elif found != kind:
                    problems.append(f"{spot}: {key}: `{rule_id}` is a {found} rule, not a {kind} rule")
        for key in ("missing_facts", "no_missing_facts"):
            for j, name in enumerate(getattr(expect, key) or []):
                if name not in symbols:
                    problems.append(f"{where(*at, 'expect', key, j)}: {key}: the pack has no fact or symbol "
                                    f"`{name}`{_did_you_mean(name, symbols)}")
        term_ids = [t.id for t in pack.pack.terms]
        for term_id in expect.terms or {}:
            if term_id not in term_ids:
                problems.append(f"{where(*at, 'expect', 'terms', term_id, key=True)}: terms: the pack has no term "
                                f"`{term_id}`{_did_you_mean(term_id, term_ids)}")
        for key in ("route_citations", "scope_citations"):
            for j, number in enumerate(getattr(expect, key) or []):
                if number not in articles:
                    problems.append(f"{where(*at, 'expect', key, j)}: {key}: the pack has no article {number}")
        merged = merge_project_data(case_file.model.base, case.project)
        given = merged.get("changes") if isinstance(merged, dict) else None
        count = len(given) if isinstance(given, list) else 0
        for key in ("changes_gap", "changes_text_missing"):
            listed = getattr(expect, key) or []
            if len(listed) > count:
                problems.append(f"{where(*at, 'expect', key, count)}: {key}: the project has {count} change "
                                f"request(s), so no change {count}")

    def line_col(problem: str) -> tuple[int, int]:
        parts = problem.split(": ", 1)[0].rsplit(":", 2)
        return (int(parts[1]), int(parts[2])) if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() \
            else (0, 0)

    return sorted(problems, key=line_col)


def validate_case_file(case_file: CaseFile) -> None:
    """Raise :class:`CaseError` when ``case_file`` names what its pack does not have
    (:func:`check_references`); a pack that does not load is left to each case to report."""
    if case_file.checked:
        return
    from govrules.compile.loading import load_pack

    try:
        pack = load_pack(case_file.pack_source())
    except GovrulesError:
        return
    problems = check_references(case_file, pack)
    if problems:
        raise CaseError(f"{case_file.path}: {len(problems)} name(s) the pack `{pack.id}` does not have "
                        "(an expectation naming nothing can never fail):\n" + "\n".join(problems))
    case_file.checked = True


def merge_project_data(base: Any, override: Any) -> Any:
    """A case's project: mappings merged key by key (recursively), anything else replaced by ``override``."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge_project_data(base.get(key), value) if key in base else value
        return merged
    return override


def run_case(case_file: CaseFile, index: int) -> CaseResult:
    """Run one case of a file and compare the verdict with its expectations."""
    from govrules.compile.loading import load_pack
    from govrules.engine.evaluator import evaluate
    from govrules.packs.projects import validate_project

    case = case_file.model.cases[index]
    inputs = case_file.inputs(index)
    result = CaseResult(case.name, case_file.lines[index])
    try:
        pack = load_pack(case_file.pack_source())
        project = validate_project(inputs.project)
        verdict = evaluate(project, pack, inputs.as_of or dt.date.today(), parameters=inputs.parameters,
                            historical=case.historical, strict=case.strict, readings=case.readings)
    except GovrulesError as exc:
        if case.expect.error is not None and case.expect.error == exc.code:
            return result
        result.failures.append(f"evaluation failed: [{exc.code}] {exc}")
        return result
    if case.expect.error is not None:
        result.failures.append(f"expected error `{case.expect.error}`, got a verdict")
        return result
    result.verdict = verdict
    result.failures.extend(compare(case.expect, verdict))
    return result


def run_case_file(path: str | Path) -> list[CaseResult]:
    """Run every case of a file."""
    case_file = load_case_file(path)
    validate_case_file(case_file)
    return [run_case(case_file, i) for i in range(len(case_file.model.cases))]


def compare(expect: Expectation, verdict: Verdict) -> list[str]:
    """Differences between what was expected and the verdict, as readable lines."""
    out: list[str] = []

    def check(what: str, expected: Any, actual: Any) -> None:
        if expected is not None and expected != actual:
            out.append(f"{what}: expected {expected!r}, got {actual!r}")

    check("scope", expect.scope, verdict.scope.status)
    check("route", expect.route, verdict.route.decision)
    check("route_gap", expect.route_gap, verdict.route.gap)
    check("route_authority", expect.route_authority, verdict.route.authority)
    if expect.route_citations is not None:
        check("route_citations", sorted(expect.route_citations), sorted({c.article for c in verdict.route.citations}))
    if expect.scope_citations is not None:
        check("scope_citations", sorted(expect.scope_citations), sorted({c.article for c in verdict.scope.citations}))
    grounds = {g.id: g.status for g in verdict.grounds}
    for ground_id, status in (expect.grounds or {}).items():
        check(f"grounds[{ground_id}]", status, grounds.get(ground_id, "absent"))
    if expect.grounds_exactly is not None:
        check("grounds", sorted(expect.grounds_exactly), sorted(grounds))
    if expect.changes is not None:
        check("changes", expect.changes, [c.decision for c in verdict.changes])
    for key, field_name in (("changes_gap", "gap"), ("changes_text_missing", "text_missing")):
        for index, wanted in enumerate(getattr(expect, key) or []):
            if index >= len(verdict.changes):
                out.append(f"{key}[{index}]: expected {wanted!r}, but the verdict has no change {index} "
                           f"({len(verdict.changes)} change request(s))")
            elif wanted is not None:
                check(f"{key}[{index}]", wanted, getattr(verdict.changes[index], field_name))
    obligations = {o.id: o for o in verdict.obligations}
    for obligation_id, want in (expect.obligations or {}).items():
        got = obligations.get(obligation_id)
        if got is None:
            if want.status != "absent":
                out.append(f"obligations[{obligation_id}]: expected it, not in the verdict")
            continue
        if want.status == "absent":
            out.append(f"obligations[{obligation_id}]: expected absent, got status {got.status!r}")
            continue
        check(f"obligations[{obligation_id}].status", want.status, got.status)
        if want.due != "any" and want.due != got.due:
            out.append(f"obligations[{obligation_id}].due: expected {want.due}, got {got.due}")
        check(f"obligations[{obligation_id}].late", want.late, got.late)
        check(f"obligations[{obligation_id}].provisional", want.provisional, got.provisional)
        for bound in ("due_earliest", "due_latest"):
            wanted, found = getattr(want, bound), getattr(got, bound)
            if wanted != "any" and wanted != found:
                out.append(f"obligations[{obligation_id}].{bound}: expected {wanted}, got {found}")
    consequence_status: dict[str, str] = {}
    for c in verdict.consequences:  # per item, the strongest: applies over possible
        if consequence_status.get(c.id) != "applies":
            consequence_status[c.id] = c.status
    consequence_ids = set(consequence_status)
    if isinstance(expect.consequences, dict):
        for cid, wanted in expect.consequences.items():
            check(f"consequences[{cid}]", wanted, consequence_status.get(cid, "absent"))
    for cid in expect.consequences if isinstance(expect.consequences, list) else []:
        if cid not in consequence_ids:
            out.append(f"consequences: expected `{cid}`, got {sorted(consequence_ids)}")
    for cid in expect.no_consequences or []:
        if cid in consequence_ids:
            out.append(f"consequences: `{cid}` should not apply")
    missing = {m.name for m in verdict.missing_facts}
    for name in expect.missing_facts or []:
        if name not in missing:
            out.append(f"missing_facts: expected `{name}`, got {sorted(missing)}")
    for name in expect.no_missing_facts or []:
        if name in missing:
            out.append(f"missing_facts: `{name}` should not be missing")
    check("in_force", expect.in_force, verdict.in_force)
    check("route_text_missing", expect.route_text_missing, verdict.route.text_missing)
    terms = {t.id: t.holds for t in verdict.terms}
    for term_id, holds in (expect.terms or {}).items():
        check(f"terms[{term_id}]", holds, terms.get(term_id))
    check("historical", expect.historical, verdict.historical)
    if expect.superseded_by is not None:
        check("superseded_by", expect.superseded_by,
              verdict.superseded_by.document if verdict.superseded_by is not None else "")
    if expect.obligations_exactly is not None:
        check("obligations", sorted(expect.obligations_exactly), sorted(obligations))
    if expect.consequences_exactly is not None:
        check("consequences", sorted(expect.consequences_exactly), sorted(consequence_ids))
    assumptions = {a.fact: list(a.decides) for a in verdict.assumptions}
    for fact, decides in (expect.assumptions or {}).items():
        if fact not in assumptions:
            out.append(f"assumptions: expected `{fact}`, got {sorted(assumptions)}")
        else:
            check(f"assumptions[{fact}].decides", sorted(decides), sorted(assumptions[fact]))
    if expect.no_assumptions and assumptions:
        out.append(f"assumptions: expected none, got {sorted(assumptions)}")
    readings = {r.id: r.option for r in verdict.readings}
    for reading_id, option in (expect.readings or {}).items():
        if reading_id not in readings:
            out.append(f"readings: expected `{reading_id}`, got {sorted(readings)}")
        else:
            check(f"readings[{reading_id}]", option, readings[reading_id])
    for fragment in expect.warnings_contain or []:
        if not any(fragment in w for w in verdict.warnings):
            out.append(f"warnings: none contains {fragment!r}: {verdict.warnings}")
    return out
