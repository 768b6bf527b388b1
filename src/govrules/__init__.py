"""govrules: Chinese government IT-project measures as executable, citable rules.

>>> import datetime, govrules
>>> pack = govrules.load_pack("chuxiong-2025")
>>> project = govrules.Project.model_validate({"id": "p1", "name": "示例", "execution": "construction",
...                                            "budget": "50万元"})
>>> govrules.evaluate(project, pack, as_of=datetime.date(2025, 9, 1)).pack
'chuxiong-2025'
"""

from __future__ import annotations

__version__ = "0.1.0"

from govrules.calendar import WorkdayCalendar, YearSchedule, load_year_schedule
from govrules.compiler import CompiledPack
from govrules.errors import (
    CalendarDataMissing,
    CalendarError,
    CaseError,
    GovrulesError,
    PackError,
    ProjectError,
)
from govrules.evaluator import evaluate
from govrules.loader import bundled_pack_ids, load_pack, load_project, validate_project
from govrules.models.pack import Pack
from govrules.models.project import BudgetLine, ChangeRequest, Funding, Project, System
from govrules.models.verdict import Verdict
from govrules.multi import evaluate_all

__all__ = [
    "BudgetLine",
    "CalendarDataMissing",
    "CalendarError",
    "CaseError",
    "ChangeRequest",
    "CompiledPack",
    "Funding",
    "GovrulesError",
    "Pack",
    "PackError",
    "Project",
    "ProjectError",
    "System",
    "Verdict",
    "WorkdayCalendar",
    "YearSchedule",
    "__version__",
    "bundled_pack_ids",
    "evaluate",
    "evaluate_all",
    "load_pack",
    "load_project",
    "load_year_schedule",
    "validate_project",
]
