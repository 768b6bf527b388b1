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

Unknown keys are errors, so a typo in an expectation never passes silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from govrules.errors import CaseError, GovrulesError
from govrules.models.base import Date, StrictModel
from govrules.models.verdict import Verdict
from govrules.yaml_io import YamlInputError, load_yaml, read_text


class ObligationExpectation(StrictModel):
    """What one obligation should look like; ``absent`` when it must not be listed."""

    status: Literal["met", "pending", "overdue", "unknown", "absent"] | None = None
    due: Date | Literal["any"] | None = "any"
    late: bool | None = None


class Expectation(StrictModel):
    """The parts of a verdict a case checks; anything not named is not checked."""

    scope: Literal["in_scope", "out_of_scope", "exempt", "undetermined"] | None = None
    route: Literal["approval", "filing", "none", "build_first", "undetermined"] | None = None
    route_gap: bool | None = None
    route_authority: str | None = None
    route_citations: list[int] | None = None
    scope_citations: list[int] | None = None
    grounds: dict[str, Literal["triggered", "unknown", "excepted", "absent"]] | None = None
    grounds_exactly: list[str] | None = None
    changes: list[Literal["filing", "approval", "adjustment_request", "none", "not_covered", "undetermined"]] | None = (
        Field(None, description="the decision of each change request, in order"))
    obligations: dict[str, ObligationExpectation] | None = None
    consequences: list[str] | None = None
    no_consequences: list[str] | None = None
    missing_facts: list[str] | None = None
    no_missing_facts: list[str] | None = None
    in_force: bool | None = None
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

    def pack_source(self) -> str:
        """The pack id, or the pack path resolved against the case file's folder."""
        pack = self.model.pack
        if pack.endswith((".yaml", ".yml")):
            return str((self.path.parent / pack).resolve())
        return pack


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
        document = load_yaml(read_text(path.read_bytes(), str(path)), str(path))
    except YamlInputError as exc:
        raise CaseError(str(exc)) from None
    try:
        model = CaseFileModel.model_validate(document.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = document.locate(tuple(p for p in loc if isinstance(p, str | int)))
        raise CaseError(f"{where}: {'.'.join(map(str, loc))}: {first['msg']}") from None
    lines = [document.locate(("cases", i)).line for i in range(len(model.cases))]
    return CaseFile(path, model, lines)


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


def run_case(case_file: CaseFile, index: int) -> CaseResult:
    """Run one case of a file and compare the verdict with its expectations."""
    from govrules.evaluator import evaluate
    from govrules.loader import load_pack, validate_project

    model = case_file.model
    case = model.cases[index]
    result = CaseResult(case.name, case_file.lines[index])
    as_of = case.as_of or model.as_of or dt.date.today()
    parameters = {**model.parameters, **(case.parameters or {})}
    try:
        pack = load_pack(case_file.pack_source())
        project = validate_project(_merge(model.base, case.project))
        verdict = evaluate(project, pack, as_of, parameters=parameters, strict=case.strict, readings=case.readings)
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
    consequence_ids = {c.id for c in verdict.consequences}
    for cid in expect.consequences or []:
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
