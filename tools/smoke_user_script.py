"""A user's script, as a review platform's back end would call govrules: CI checks it with
``mypy --strict`` against an installed govrules (run from outside the checkout), so that the
package's types reach its users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import govrules
from govrules.models.verdict import Verdict


def route_of(record: dict[str, Any]) -> str:
    """The procedure a project must go through under 楚政办通〔2025〕26号, and the article."""
    pack: govrules.CompiledPack = govrules.load_pack("chuxiong-2025")
    project = govrules.Project.model_validate(record)
    verdict: Verdict = govrules.evaluate(project, pack, as_of=dt.date(2025, 9, 1),
                                         parameters={"procurement_limit": 1000000})
    articles = ", ".join(c.label for c in verdict.route.citations)
    return f"{verdict.route.decision} ({articles})"


def in_force_packs(record: dict[str, Any]) -> list[str]:
    """The bundled packs in force on a day, with each one's scope."""
    try:
        verdicts = govrules.evaluate_all(record, dt.date(2025, 9, 1))
    except govrules.GovrulesError as exc:
        return [exc.code]
    return [f"{v.pack}: {v.scope.status}" for v in verdicts]


if __name__ == "__main__":
    example = {"id": "p", "name": "示例", "level": "prefecture", "execution": "construction", "budget": 500000}
    print(route_of(example))
    print(in_force_packs(example))
