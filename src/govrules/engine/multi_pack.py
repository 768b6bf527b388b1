"""One project under several measures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from govrules.compile.loading import load_pack
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.evaluator import evaluate
from govrules.models.project import Project
from govrules.models.verdict import Verdict
from govrules.packs.bundled import bundled_pack_ids
from govrules.packs.projects import validate_project


def evaluate_all(project: Project | Mapping[str, Any], as_of: dt.date | None = None, *,
                 include_not_in_force: bool = False, parameters: Mapping[str, Mapping[str, Any]] | None = None,
                 calendar: WorkdayCalendar | None = None) -> list[Verdict]:
    """Evaluate ``project`` under every bundled pack in force on ``as_of`` (all packs with
    ``include_not_in_force``). ``parameters`` maps a pack id to its parameter overrides."""
    model = validate_project(project)
    day = as_of or dt.date.today()
    verdicts = []
    for pack_id in bundled_pack_ids():
        pack = load_pack(pack_id)
        in_force, _ = pack.pack.in_force(day)
        if not in_force and not include_not_in_force:
            continue
        verdicts.append(evaluate(model, pack, day, parameters=(parameters or {}).get(pack_id), calendar=calendar))
    return verdicts
