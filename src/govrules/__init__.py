"""govrules: Chinese government IT-project measures as executable, citable rules.

>>> import datetime, govrules
>>> pack = govrules.load_pack("chuxiong-2025")
>>> project = govrules.Project.model_validate({"id": "p1", "name": "示例", "execution": "construction",
...                                            "budget": "50万元"})
>>> govrules.evaluate(project, pack, as_of=datetime.date(2025, 9, 1)).pack
'chuxiong-2025'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govrules.version import __version__

if TYPE_CHECKING:
    from govrules.analysis.consistency import check_consistency
    from govrules.analysis.diff import diff_packs
    from govrules.analysis.lint import check_pack
    from govrules.compile.compiler import CompiledPack
    from govrules.compile.loading import load_pack
    from govrules.diagnostics import Diagnostic
    from govrules.engine.calendar import (
        Deadline,
        WorkdayCalendar,
        YearSchedule,
        load_year_schedule,
        schedule_template,
        statutory_holidays,
    )
    from govrules.engine.evaluator import evaluate
    from govrules.engine.multi_pack import evaluate_all, other_jurisdictions
    from govrules.engine.projects import load_project, validate_project
    from govrules.engine.questions import questions
    from govrules.errors import (
        CalendarDataMissing,
        CalendarError,
        CaseError,
        GovrulesError,
        MoneyFormatError,
        PackError,
        ParameterError,
        ProjectError,
    )
    from govrules.models.pack import Pack
    from govrules.models.project import BudgetLine, ChangeRequest, Funding, Project, ProjectJurisdiction, System
    from govrules.models.verdict import Verdict
    from govrules.output.reference import expand_verdict, verdict_reference, verdict_reference_json
    from govrules.packs.bundled import bundled_pack_ids

# The public names and the modules that define them. They are imported on first access (PEP 562), so
# that ``import govrules`` — and the command line, which imports only what a command uses — does not
# pay for pydantic, ruamel.yaml and every model up front.
_LAZY: dict[str, str] = {
    "BudgetLine": "govrules.models.project",
    "CalendarDataMissing": "govrules.errors",
    "CalendarError": "govrules.errors",
    "CaseError": "govrules.errors",
    "ChangeRequest": "govrules.models.project",
    "CompiledPack": "govrules.compile.compiler",
    "Deadline": "govrules.engine.calendar",
    "Diagnostic": "govrules.diagnostics",
    "Funding": "govrules.models.project",
    "GovrulesError": "govrules.errors",
    "MoneyFormatError": "govrules.errors",
    "Pack": "govrules.models.pack",
    "PackError": "govrules.errors",
    "ParameterError": "govrules.errors",
    "Project": "govrules.models.project",
    "ProjectError": "govrules.errors",
    "ProjectJurisdiction": "govrules.models.project",
    "System": "govrules.models.project",
    "Verdict": "govrules.models.verdict",
    "WorkdayCalendar": "govrules.engine.calendar",
    "YearSchedule": "govrules.engine.calendar",
    "bundled_pack_ids": "govrules.packs.bundled",
    "evaluate": "govrules.engine.evaluator",
    "expand_verdict": "govrules.output.reference",
    "evaluate_all": "govrules.engine.multi_pack",
    "load_pack": "govrules.compile.loading",
    "load_project": "govrules.engine.projects",
    "load_year_schedule": "govrules.engine.calendar",
    "other_jurisdictions": "govrules.engine.multi_pack",
    "schedule_template": "govrules.engine.calendar",
    "statutory_holidays": "govrules.engine.calendar",
    "validate_project": "govrules.engine.projects",
    "questions": "govrules.engine.questions",
    "check_consistency": "govrules.analysis.consistency",
    "check_pack": "govrules.analysis.lint",
    "diff_packs": "govrules.analysis.diff",
    "verdict_reference": "govrules.output.reference",
    "verdict_reference_json": "govrules.output.reference",
}

__all__ = [
    "BudgetLine",
    "CalendarDataMissing",
    "CalendarError",
    "CaseError",
    "ChangeRequest",
    "CompiledPack",
    "Deadline",
    "Diagnostic",
    "Funding",
    "GovrulesError",
    "MoneyFormatError",
    "Pack",
    "PackError",
    "ParameterError",
    "Project",
    "ProjectError",
    "ProjectJurisdiction",
    "System",
    "Verdict",
    "WorkdayCalendar",
    "YearSchedule",
    "__version__",
    "bundled_pack_ids",
    "check_consistency",
    "check_pack",
    "diff_packs",
    "evaluate",
    "evaluate_all",
    "expand_verdict",
    "load_pack",
    "load_project",
    "load_year_schedule",
    "other_jurisdictions",
    "questions",
    "schedule_template",
    "statutory_holidays",
    "validate_project",
    "verdict_reference",
    "verdict_reference_json",
]


# The stages, reachable as attributes after a bare ``import govrules`` (``govrules.engine.calendar``).
_SUBMODULES = frozenset({"analysis", "compile", "diagnostics", "engine", "errors", "models", "output", "packs",
                         "testing", "version"})


# Hidden from type checkers, which then see exactly the names imported above (a typo is an error).
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """A public name (or one of the submodules above), imported on first access."""
        import importlib

        module_name = _LAZY.get(name)
        if module_name is not None:
            value = getattr(importlib.import_module(module_name), name)
            globals()[name] = value
            return value
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), *_LAZY, *_SUBMODULES})
