"""While the scope is undetermined, nothing is asserted that learning "not covered" would undo."""

from __future__ import annotations

import datetime as dt
from typing import Any

import govrules
from govrules.engine.combine import SCOPE_UNDETERMINED_WARNING, conditional_on_scope

AS_OF = dt.date(2025, 9, 1)

# A Linfen record built before approval, a refused rectification, a private network the law does not
# require: with `level` stated as 市级 (and the scope's other facts stated, so that no presumption settles
# it) every sanction applies; with `level` left out, 第二条 (市直部门) is open.
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
    scope_facts = {"municipal_department": True, "listed_project_form": True, "classified": False}
    known = _verdict(level="city", facts={**_RECORD["facts"], **scope_facts})
    open_ = _verdict(facts={**_RECORD["facts"], **scope_facts})
    assert not any("scope" in a.decides for a in known.assumptions)
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


def _jingzhou_record(**facts: Any) -> dict[str, Any]:
    return {
        "id": "jz", "name": "审计问题较多的项目", "level": "city", "execution": "construction", "budget": 800000,
        "funding": [{"source": "municipal", "amount": 800000}],
        "dates": {"application": "2018-07-20", "approval": "2018-12-20"},
        "facts": {"classified": False, "audit_many_problems": True, "audit_rectification_implemented": False,
                  **facts}}


def _jingzhou(**facts: Any) -> govrules.Verdict:
    project = govrules.validate_project(_jingzhou_record(**facts))
    return govrules.evaluate(project, govrules.load_pack("jingzhou-2017"), as_of=dt.date(2019, 6, 1))


def test_a_scope_resting_on_a_presumption_asserts_no_ground() -> None:
    scope_facts = {"sporadic_office_purchase": False, "electronic_industry_project": False}
    presumed, stated = _jingzhou(**scope_facts), _jingzhou(it_engineering_project=True, **scope_facts)
    assert presumed.scope.status == stated.scope.status == "in_scope"
    assert any("scope" in a.decides for a in presumed.assumptions)
    assert not any("scope" in a.decides for a in stated.assumptions)
    assert stated.ground("ground.art16_5").status == "triggered"  # type: ignore[union-attr]
    assert presumed.ground("ground.art16_5").status == "unknown"  # type: ignore[union-attr]
    assert any(w.startswith("本办法适用系依推定得出") for w in presumed.warnings)
    # strict (no presumptions): the scope is open, and the ground is unknown the same way
    strict = govrules.evaluate(govrules.validate_project(_jingzhou_record(**scope_facts)),
                               govrules.load_pack("jingzhou-2017"), as_of=dt.date(2019, 6, 1), strict=True)
    assert strict.scope.status == "undetermined"
    assert strict.ground("ground.art16_5").status == "unknown"  # type: ignore[union-attr]
