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

__version__ = "0.1.0"

if TYPE_CHECKING:
    from govrules.calendar import WorkdayCalendar, YearSchedule, load_year_schedule
    from govrules.compiler import CompiledPack
    from govrules.consistency import check_consistency
    from govrules.diagnostics import Diagnostic
    from govrules.diff import diff_packs
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
    from govrules.evaluator import evaluate
    from govrules.lint import check_pack
    from govrules.loader import bundled_pack_ids, load_pack, load_project, validate_project
    from govrules.models.pack import Pack
    from govrules.models.project import BudgetLine, ChangeRequest, Funding, Project, System
    from govrules.models.verdict import Verdict
    from govrules.multi import evaluate_all

# The public names and the modules that define them. They are imported on first access (PEP 562), so
# that ``import govrules`` — and the command line, which imports only what a command uses — does not
# pay for pydantic, ruamel.yaml and every model up front.
_LAZY: dict[str, str] = {
    "BudgetLine": "govrules.models.project",
    "CalendarDataMissing": "govrules.errors",
    "CalendarError": "govrules.errors",
    "CaseError": "govrules.errors",
    "ChangeRequest": "govrules.models.project",
    "CompiledPack": "govrules.compiler",
    "Diagnostic": "govrules.diagnostics",
    "Funding": "govrules.models.project",
    "GovrulesError": "govrules.errors",
    "MoneyFormatError": "govrules.errors",
    "Pack": "govrules.models.pack",
    "PackError": "govrules.errors",
    "ParameterError": "govrules.errors",
    "Project": "govrules.models.project",
    "ProjectError": "govrules.errors",
    "System": "govrules.models.project",
    "Verdict": "govrules.models.verdict",
    "WorkdayCalendar": "govrules.calendar",
    "YearSchedule": "govrules.calendar",
    "bundled_pack_ids": "govrules.loader",
    "check_consistency": "govrules.consistency",
    "check_pack": "govrules.lint",
    "diff_packs": "govrules.diff",
    "evaluate": "govrules.evaluator",
    "evaluate_all": "govrules.multi",
    "load_pack": "govrules.loader",
    "load_project": "govrules.loader",
    "load_year_schedule": "govrules.calendar",
    "validate_project": "govrules.loader",
}

__all__ = [
    "BudgetLine",
    "CalendarDataMissing",
    "CalendarError",
    "CaseError",
    "ChangeRequest",
    "CompiledPack",
    "Diagnostic",
    "Funding",
    "GovrulesError",
    "MoneyFormatError",
    "Pack",
    "PackError",
    "ParameterError",
    "Project",
    "ProjectError",
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
    "load_pack",
    "load_project",
    "load_year_schedule",
    "validate_project",
]


# Submodules that ``import govrules`` used to import as a side effect: ``govrules.loader.x`` after a
# bare ``import govrules`` keeps working.
_SUBMODULES = frozenset({"calendar", "compiler", "diagnostics", "errors", "evaluator", "explain", "loader", "models",
                         "money", "multi", "yaml_io"})


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
