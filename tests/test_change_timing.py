"""When a change was made, relative to the project's approval, construction start and acceptance: the
change-timing symbols a pack's change rules read (``change_before_approval``, ``change_before_construction``,
``change_after_acceptance``), in the engine and in the consistency analysis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import govrules
from govrules.analysis.regions import RegionAnalysis
from govrules.analysis.space import source_of
from govrules.compile.compiler import CHANGE_TIMING, NOT_YET, change_timing

AS_OF = dt.date(2025, 9, 1)
D = dt.date


@pytest.mark.parametrize(("made", "events", "name", "expected"), [
    # the event known and past: compared day by day; on the event's own day neither before nor after
    (D(2025, 6, 1), {"approval": D(2025, 6, 15)}, "change_before_approval", True),
    (D(2025, 6, 15), {"approval": D(2025, 6, 15)}, "change_before_approval", False),
    (D(2025, 8, 25), {"acceptance": D(2025, 8, 20)}, "change_after_acceptance", True),
    (D(2025, 8, 20), {"acceptance": D(2025, 8, 20)}, "change_after_acceptance", False),
    # the event not yet (or dated after the evaluation date): a change made by then came before it
    (D(2025, 8, 1), {"approval": NOT_YET}, "change_before_approval", True),
    (D(2025, 8, 1), {"construction_start": D(2025, 10, 1)}, "change_before_construction", True),
    (D(2025, 8, 1), {"acceptance": NOT_YET}, "change_after_acceptance", False),
    # a planned change (after the evaluation date) before an event not yet: unknown which comes first
    (D(2025, 10, 1), {"approval": NOT_YET}, "change_before_approval", None),
    (D(2025, 10, 1), {"acceptance": NOT_YET}, "change_after_acceptance", False),
    # unknown change date or event
    (None, {"approval": D(2025, 6, 15)}, "change_before_approval", None),
    (D(2025, 8, 1), {}, "change_before_approval", None),
    (D(2025, 8, 1), {}, "change_after_acceptance", None),
    # the acceptance unknown: an event that cannot come after it settles it
    (D(2025, 8, 1), {"completion": NOT_YET}, "change_after_acceptance", False),
    (D(2025, 8, 1), {"completion": D(2025, 8, 10)}, "change_after_acceptance", False),
    (D(2025, 8, 1), {"contract_signed": D(2025, 8, 1)}, "change_after_acceptance", False),
    (D(2025, 8, 1), {"completion": D(2025, 7, 10)}, "change_after_acceptance", None),
    (D(2025, 8, 1), {"application": NOT_YET}, "change_before_approval", True),
    (D(2025, 8, 1), {"application": D(2025, 7, 1)}, "change_before_approval", None),
    # the event's own date, when known, decides alone
    (D(2025, 8, 25), {"acceptance": D(2025, 8, 20), "completion": D(2025, 8, 30)}, "change_after_acceptance", True),
])
def test_change_timing(made: dt.date | None, events: dict[str, Any], name: str, expected: bool | None) -> None:
    assert change_timing(made, events, name, AS_OF) is expected


def _change_verdict(dates: dict[str, Any], change: dict[str, Any]) -> Any:
    project = {"id": "t", "name": "变更时点", "level": "city", "execution": "construction", "budget": "800000",
               "funding": [{"source": "municipal", "amount": "800000"}],
               "dates": {"application": "2025-03-01", "approval": "2025-04-15", "construction_start": "2025-06-01",
                         "completion": False, "acceptance": False, **dates},
               "changes": [{"major": True, "scale": "0.3", **change}]}
    return govrules.evaluate(project, "linfen-2021", AS_OF)


def test_engine_reads_the_change_date_against_the_project_dates() -> None:
    before = _change_verdict({}, {"date": "2025-04-01"})
    assert before.changes[0].decision == "not_covered"
    assert "change.art20_outside_building" in before.changes[0].rules
    assert _change_verdict({}, {"date": "2025-04-15"}).changes[0].decision == "adjustment_request"
    after = _change_verdict({"completion": "2025-07-31", "acceptance": "2025-08-20"}, {"date": "2025-08-25"})
    assert after.changes[0].decision == "not_covered"


def test_missing_timing_names_the_dates_that_would_settle_it() -> None:
    undated = _change_verdict({}, {})
    assert undated.changes[0].decision == "undetermined"
    names = {m.name for m in undated.missing_facts}
    assert "change_date" in names and not names & set(CHANGE_TIMING)
    open_acceptance = _change_verdict({"completion": None, "acceptance": None}, {"date": "2025-08-01"})
    assert open_acceptance.changes[0].decision == "undetermined"
    missing = {m.name: m for m in open_acceptance.missing_facts}
    assert "dates.acceptance" in missing and "change_date" not in missing
    assert missing["dates.acceptance"].path == "dates.acceptance"


@pytest.mark.parametrize("pack_id", ["chuxiong-2025", "linfen-2021"])
def test_analysis_keeps_only_timings_some_dates_give_and_its_examples_give_them(pack_id: str) -> None:
    """Every combination of the change analysis the oracle keeps is one a project can have: its example
    project is valid and the engine works out the timing symbols the combination holds; and some
    combinations are dropped (e.g. a change before an approval that is not yet, yet not before it)."""
    params = {"procurement_limit": Decimal(1000000)} if pack_id == "chuxiong-2025" else {}
    pack = govrules.load_pack(pack_id)
    analysis = RegionAnalysis(source_of(pack), "change", params, AS_OF, samples=0, max_combinations=10**6, seed=0)
    assert analysis.timing and analysis.exact
    timing_dims = [i for i, d in enumerate(analysis.dims) if d.var in CHANGE_TIMING]
    seen: set[tuple[Any, ...]] = set()
    kept = dropped = 0
    for tup in analysis.space():
        env = analysis.env(analysis.dims, tup)
        signature = tuple(tup[i] for i, d in enumerate(analysis.dims)
                          if i in timing_dims or d.var.startswith("dates.") or d.var == "change_date")
        if signature in seen:
            continue
        seen.add(signature)
        if not analysis.feasible(env):
            dropped += 1
            continue
        kept += 1
        project = govrules.validate_project(analysis.example(tup, {}))
        events = {k: NOT_YET if v is False else v for k, v in project.dates.__dict__.items()}
        for name in analysis.timing:
            assert change_timing(project.changes[0].date, events, name, AS_OF) is env[name], (name, env)
    assert kept and dropped


def test_a_planned_change_is_within_the_project_and_asks_nothing_it_cannot_answer() -> None:
    """A change dated after the evaluation date on a project being built is an adjustment of it (Linfen's
    note on 第二十条); on a project not yet approved, whether approval comes first is open, and no field of
    the record would settle it, so none is asked."""
    planned = _change_verdict({}, {"date": "2025-12-01"})
    assert planned.changes[0].decision == "adjustment_request"
    unapproved = _change_verdict({"approval": False, "construction_start": False}, {"date": "2025-12-01"})
    assert unapproved.changes[0].decision == "undetermined"
    assert not {m.name for m in unapproved.missing_facts} & {*CHANGE_TIMING, "change_date"}

