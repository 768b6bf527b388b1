"""One project under several measures."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from typing import Any

from govrules.compile.loading import load_pack
from govrules.engine.calendar import WorkdayCalendar
from govrules.engine.evaluator import TraceLevel, as_of_date, evaluate, trace_detailed
from govrules.engine.projects import validate_project
from govrules.errors import ParameterError
from govrules.models.project import Project
from govrules.models.verdict import Verdict
from govrules.packs.bundled import bundled_pack_ids


def evaluate_all(project: Project | Mapping[str, Any], as_of: dt.date | str | None = None, *,
                 include_not_in_force: bool = False, parameters: Mapping[str, Mapping[str, Any]] | None = None,
                 calendar: WorkdayCalendar | None = None, trace: TraceLevel | bool = "detailed",
                 include_other_jurisdictions: bool = False) -> list[Verdict]:
    """Evaluate ``project`` under every bundled pack in force on ``as_of`` (all packs with
    ``include_not_in_force``) whose jurisdiction is the project's.

    When the project gives its ``jurisdiction``, the packs of another area are left out (a 楚雄 project
    is not judged under 荆州's measure; :func:`other_jurisdictions` names them); with
    ``include_other_jurisdictions`` they are evaluated too, each verdict warning "非本项目所在地的办法".
    Without a jurisdiction every pack is evaluated. ``trace`` is as for :func:`govrules.evaluate`.

    ``parameters`` is per pack, since one parameter's value differs from one jurisdiction to the next
    (each province sets its own 政府采购限额标准): ``{"chuxiong-2025": {"procurement_limit": 1000000}}``.
    A key that is not a bundled pack id — a misspelt id, or the flat ``{"procurement_limit": …}``
    that :func:`govrules.evaluate` takes — raises :class:`ParameterError`, as does an unknown
    parameter of a pack evaluated.
    """
    model = validate_project(project)
    day = as_of_date(as_of)
    trace_detailed(trace)  # a bad value is refused even when no pack is evaluated
    ids = bundled_pack_ids()
    by_pack = _per_pack(parameters or {}, ids)
    elsewhere = set() if include_other_jurisdictions else set(other_jurisdictions(model))
    verdicts = []
    for pack_id in ids:
        if pack_id in elsewhere:
            continue
        pack = load_pack(pack_id)
        in_force, _ = pack.pack.in_force(day)
        if not in_force and not include_not_in_force:
            continue
        try:
            verdicts.append(evaluate(model, pack, day, parameters=by_pack.get(pack_id), calendar=calendar,
                                     trace=trace))
        except ParameterError as exc:  # say which pack's parameter it is
            errors = [{**e, "path": e["path"].replace("parameters.", f"parameters.{pack_id}.", 1)} for e in exc.errors]
            raise ParameterError(exc.message, errors=errors, message_zh=exc.message_zh) from None
    return verdicts


def other_jurisdictions(project: Project | Mapping[str, Any]) -> dict[str, str]:
    """The bundled packs whose measure is of another area than ``project``'s, with that area's name
    (``{"jingzhou-2017": "荆州市", …}``); none when the project does not say where it is."""
    place = validate_project(project).jurisdiction
    if place is None:
        return {}
    found = {}
    for pack_id in bundled_pack_ids():
        where = load_pack(pack_id).pack.jurisdiction
        if not place.governed_by(where.name, where.level):
            found[pack_id] = where.name
    return found


def _per_pack(parameters: Mapping[str, Any], pack_ids: list[str]) -> dict[str, Mapping[str, Any]]:
    """Check that ``parameters`` maps bundled pack ids to mappings; say what is wrong otherwise."""
    errors = []
    for key, value in parameters.items():
        if key not in pack_ids:
            close = difflib.get_close_matches(key, pack_ids, n=1, cutoff=0.5)
            if close:
                hint = f"did you mean `{close[0]}`?"
            elif not isinstance(value, Mapping):
                hint = (f"parameters are given per pack, e.g. {{'chuxiong-2025': {{'{key}': {value!r}}}}}: "
                        "each jurisdiction sets its own values")
            else:
                hint = f"bundled packs: {', '.join(pack_ids)}"
            errors.append({"path": f"parameters.{key}", "message": f"`{key}` is not a bundled pack; {hint}"})
        elif not isinstance(value, Mapping):
            errors.append({"path": f"parameters.{key}",
                           "message": f"the parameters of {key} must be a mapping of names to values, "
                                      f"not {type(value).__name__}"})
    if errors:
        summary = "; ".join(e["message"] for e in errors)
        raise ParameterError(f"invalid parameters: {summary}", errors=errors,
                             message_zh="参数应按办法包给出，如 {'chuxiong-2025': {'procurement_limit': 1000000}}")
    return dict(parameters)
