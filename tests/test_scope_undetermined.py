"""While the scope is undetermined, nothing is asserted that learning "not covered" would undo."""

from __future__ import annotations

import datetime as dt
from typing import Any

import govrules
from govrules.engine.combine import SCOPE_UNDETERMINED_WARNING, conditional_on_scope

AS_OF = dt.date(2025, 9, 1)

# A Linfen record built before approval, a refused rectification, a private network the law does not
# require: with `level` stated as 市级 every sanction applies; with it left out, 第二条 (市直部门) is open.
_RECORD: dict[str, Any] = {
    "id": "r28", "name": "级别未填、未批先建", "execution": "construction", "category": "software_development",
    "budget": "80万元", "funding": [{"source": "municipal", "amount": "80万元"}],
    "dates": {"application": "2025-07-01", "approval": False, "construction_start": "2025-07-05",
              "completion": False},
    "facts": {"build_type": "new_construction", "rectification_refused": True, "builds_new_private_network": True,
              "private_network_required_by_law": False},
}


def _verdict(**fields: Any) -> govrules.Verdict:
    project = govrules.validate_project({**_RECORD, **fields})
    return govrules.evaluate(project, govrules.load_pack("linfen-2021"), as_of=AS_OF)


def test_sanctions_are_possible_not_applied_while_scope_is_open() -> None:
    known, open_ = _verdict(level="city"), _verdict()
    assert known.scope.status == "in_scope" and open_.scope.status == "undetermined"
    applied = {c.id for c in known.consequences if c.status == "applies"}
    triggered = {g.id for g in known.grounds if g.status == "triggered"}
    assert applied and triggered  # the record is meant to draw sanctions once covered
    assert all(c.status == "possible" for c in open_.consequences if c.id in applied)
    assert all(g.status == "unknown" for g in open_.grounds if g.id in triggered)
    assert not any(c.status == "applies" for c in open_.consequences)
    assert not any(g.status == "triggered" for g in open_.grounds)
    assert not any(o.status == "overdue" for o in open_.obligations)
    assert SCOPE_UNDETERMINED_WARNING in open_.warnings and SCOPE_UNDETERMINED_WARNING not in known.warnings
    # the scope's own fact is asked for
    assert open_.missing_fact("level") is not None


def test_a_county_record_is_out_of_scope_and_draws_nothing() -> None:
    county = _verdict(level="county")
    assert county.scope.status == "out_of_scope"
    assert not county.grounds and not county.consequences and not county.obligations


def test_statuses_that_assert_nothing_stand() -> None:
    for kept in ("unknown", "possible", "pending", "met", "excepted"):
        assert conditional_on_scope(kept) == kept
    assert [conditional_on_scope(s) for s in ("triggered", "applies", "overdue")] == ["unknown", "possible", "unknown"]
