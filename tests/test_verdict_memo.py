"""Compact verdicts reused across projects no rule can tell apart (govrules.engine.verdict_memo).

The reused verdict must be, byte for byte, the verdict worked out afresh: register records and
records at, just below and just above every threshold an amount is compared with, evaluated in turn
on a warm pack (so most are reused from another record) and on a fresh runtime with nothing reused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import govrules
from govrules.compile.loading import load_pack_text
from govrules.engine import evaluator
from govrules.engine.codegen import PackRuntime, runtime_of
from govrules.engine.evaluator import fact_environment
from govrules.engine.verdict_memo import VerdictMemo, band_thresholds
from govrules.testing.register import register_packs, register_records

CENT = Decimal("0.01")
POLICIES = Path(govrules.__file__).parent / "policies"


def _memo(pack: govrules.CompiledPack) -> VerdictMemo:
    memo = runtime_of(pack).verdict_memo
    if memo is None:
        memo = runtime_of(pack).verdict_memo = VerdictMemo(pack)
    return memo


def _fresh_json(project: Any, pack: govrules.CompiledPack, day: dt.date, params: dict[str, Any], strict: bool
                ) -> Any:
    """The verdict with nothing reused from another project."""
    pack.engine_runtime = PackRuntime(pack, generate_rules=False)
    saved = evaluator.USE_VERDICT_MEMO
    evaluator.USE_VERDICT_MEMO = False
    try:
        return govrules.evaluate(project, pack, day, parameters=params, trace=False, strict=strict).model_dump(
            mode="json")
    finally:
        evaluator.USE_VERDICT_MEMO = saved


def _boundary_records(pack_id: str, pack: govrules.CompiledPack, records: list[tuple[dict[str, Any], dict[str, Any]]]
                      ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each record's shape again with every amount at, a cent below and a cent above each threshold
    the pack compares amounts with (under the record's parameters)."""
    compared = band_thresholds(pack)
    day = pack.pack.dates.effective
    found = []
    for data, params in records[:12]:
        env = fact_environment(govrules.validate_project(data), pack, day, parameters=params)
        thresholds = {expression.fn(env) for name in ("budget", "procurement_budget", "it_investment")
                      for expression in compared.get(name, ())}
        for threshold in sorted(t for t in thresholds if isinstance(t, Decimal)):
            for amount in (threshold - CENT, threshold, threshold + CENT):
                funding = [{**f, "amount": str(amount)} for f in data["funding"][:1]]
                found.append(({**data, "budget": str(amount), "funding": funding,
                               "facts": {"it_investment": str(amount)} if "it_investment" in compared else {}},
                              params))
    assert found or pack_id != "chuxiong-2025"  # Chuxiong's routes turn on amounts
    return found


@pytest.mark.parametrize("pack_id", register_packs())
def test_reused_verdicts_are_the_verdicts_worked_out_afresh(pack_id: str) -> None:
    warm = govrules.load_pack(pack_id)
    reference = load_pack_text((POLICIES / f"{pack_id}.yaml").read_bytes(), file=f"{pack_id}.yaml")
    records = register_records(pack_id, count=60, seed=7)
    records += _boundary_records(pack_id, warm, records)
    day = warm.pack.dates.effective + dt.timedelta(days=120)
    _memo(warm).clear()
    compared = 0
    for strict in (False, True):
        for data, params in records * 2:  # the second round reuses what the first stored
            fast = govrules.evaluate(data, warm, day, parameters=params, trace=False, strict=strict)
            assert fast.model_dump(mode="json") == _fresh_json(data, reference, day, params, strict), (
                pack_id, data["budget"], params, strict)
            compared += 1
    worked_out = _memo(warm).misses
    assert 0 < worked_out < 0.9 * (compared // 2)  # kept, and some reused from another record


def test_a_reused_verdict_is_the_callers_own() -> None:
    pack = govrules.load_pack("qujing-2020")
    data, params = register_records("qujing-2020", count=1)[0]
    first = govrules.evaluate(data, pack, "2020-10-01", parameters=params, trace=False)
    first.warnings.append("changed by the caller")
    first.trace.clear()
    second = govrules.evaluate(data, pack, "2020-10-01", parameters=params, trace=False)
    assert "changed by the caller" not in second.warnings
    assert second.trace
    assert second.model_dump_json() == govrules.evaluate(data, pack, "2020-10-01", parameters=params,
                                                         trace=False).model_dump_json()


def test_projects_with_items_or_a_detailed_trace_are_worked_out_each_time() -> None:
    pack = govrules.load_pack("chuxiong-2025")
    data = {"id": "p", "name": "n", "level": "prefecture", "execution": "construction", "budget": "800000",
            "changes": [{"scale": "5%", "date": "2025-10-01"}]}
    for _ in range(4):  # the generated function is built on the third verdict
        govrules.evaluate({**data, "changes": []}, pack, "2025-12-01", trace=False)
    stored = _memo(pack).misses
    assert stored > 0
    govrules.evaluate(data, pack, "2025-12-01", trace=False)
    govrules.evaluate({**data, "changes": [], "budget": "800001"}, pack, "2025-12-01", trace="detailed")
    assert _memo(pack).misses == stored


def test_facts_the_pack_does_not_read_do_not_keep_a_verdict_from_being_reused() -> None:
    pack = govrules.load_pack("jingzhou-2017")
    data, params = register_records("jingzhou-2017", count=1, seed=11)[0]
    for _ in range(4):  # the generated function is built on the third verdict
        plain = govrules.evaluate(data, pack, "2018-01-15", parameters=params, trace=False)
    stored = _memo(pack).misses
    # facts of the shared vocabulary that Jingzhou does not declare: accepted and unread
    unread = {**data, "facts": {"builds_infrastructure_platform": True, "application_kind": "不是枚举值"}}
    reused = govrules.evaluate(unread, pack, "2018-01-15", parameters=params, trace=False)
    assert _memo(pack).misses == stored
    assert reused.model_dump_json() == plain.model_dump_json()
    assert reused.model_dump(mode="json") == _fresh_json(
        unread, load_pack_text((POLICIES / "jingzhou-2017.yaml").read_bytes(), file="jingzhou-2017.yaml"),
        dt.date(2018, 1, 15), params, False)


def test_the_memo_keeps_fewer_verdicts_while_it_serves_few() -> None:
    pack = govrules.load_pack("qujing-2020")
    memo = VerdictMemo(pack)
    verdict = govrules.evaluate({"id": "p", "name": "n"}, pack, "2020-10-01", trace=False)
    assert memo.room == VerdictMemo.START_ROOM
    for round_ in range(6):  # a round where every verdict kept is hit: the room doubles, up to its ceiling
        for i in range(memo.room):
            memo.keep((round_, i), verdict)
            assert memo.get((round_, i)) is verdict
        memo.keep((round_, "full"), verdict)
    assert memo.room == VerdictMemo.MAX_ROOM
    for round_ in range(4):  # never hit: each full round halves the room (4,096 → 256), down to its floor
        for i in range(memo.room + 1):
            memo.keep((round_, i), verdict)
    assert memo.room == VerdictMemo.MIN_ROOM
    assert memo.wanted()
    for i in range(memo.room + 1):  # a round at the floor that served nothing: the memo rests
        memo.keep(("idle", i), verdict)
    assert [memo.wanted() for _ in range(VerdictMemo.REST)] == [False] * VerdictMemo.REST
    assert memo.wanted()
    assert len(memo.verdicts) <= VerdictMemo.MIN_ROOM
    memo.verdicts.clear()
    for i in range(memo.room):  # a round where every verdict kept is hit once: the room grows again
        memo.keep(("hit", i), verdict)
        assert memo.get(("hit", i)) is verdict
    assert memo.room == VerdictMemo.MIN_ROOM
    memo.keep(("next round",), verdict)
    assert memo.room == 2 * VerdictMemo.MIN_ROOM
    memo.clear()
    assert (memo.room, memo.misses, len(memo.verdicts)) == (VerdictMemo.START_ROOM, 0, 0)


MINIMAL_AMOUNTS = """
  - id: ground.doubled
    kind: ground
    ground: rejection
    title: 翻倍超过
    when: budget * 2 > threshold
    cite: {article: 1}
  - id: ground.against_procurement
    kind: ground
    ground: rejection
    title: 预算超过采购预算
    when: (procurement_budget ?? 0) < budget
    cite: {article: 1}
"""


def test_only_amounts_compared_with_constants_are_banded(minimal_pack_text: str) -> None:
    plain = band_thresholds(load_pack_text(minimal_pack_text, file="pack.yaml"))
    assert [expression.symbol for expression in plain["budget"]] == ["threshold"] * len(plain["budget"])
    both = band_thresholds(load_pack_text(minimal_pack_text.replace("rules:\n", "rules:" + MINIMAL_AMOUNTS, 1),
                                          file="pack.yaml"))
    assert "budget" not in both  # read in arithmetic, and compared with another amount
    assert "procurement_budget" not in both


def test_amounts_a_cent_apart_across_a_threshold_are_told_apart(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("rules:\n", "rules:" + MINIMAL_AMOUNTS, 1)
    pack = load_pack_text(text, file="pack.yaml")
    for budget in ("1000", "499999.99", "500000", "500000.01", "250000", "250000.01", "249999.99"):
        data = {"id": "p", "name": "n", "execution": "construction", "budget": budget, "procurement_budget": budget,
                "facts": {"shares_data": True, "required_by_law": False}}
        for _ in range(4):  # the pack's generated function, then reuse
            fast = govrules.evaluate(data, pack, "2025-09-01", trace=False).model_dump(mode="json")
        assert fast == _fresh_json(data, load_pack_text(text, file="pack.yaml"), dt.date(2025, 9, 1), {}, False), budget
