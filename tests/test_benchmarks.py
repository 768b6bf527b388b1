"""benchmarks/run.py names rules of the bundled packs: a pack that renames or splits one must not
leave the benchmark stopping halfway."""

from __future__ import annotations

import importlib.util
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import govrules

ROOT = Path(__file__).resolve().parents[1]


def _benchmark_module() -> Any:
    spec = importlib.util.spec_from_file_location("govrules_benchmarks_run_names", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_four_ways_subset_names_rules_of_chuxiong_and_the_hand_written_function_runs() -> None:
    bench = _benchmark_module()
    # the four-ways section evaluates the literal reading of Art. 16/17, whose overlap and gap it writes by hand
    pack = govrules.load_pack("chuxiong-2025").for_readings({"art16_17": "literal_overlap"})
    missing = [rule_id for rule_id in bench.SUBSET if rule_id not in pack.by_id]
    assert not missing
    for i in range(50):
        project = govrules.validate_project(bench.make_project(random.Random(i), i))
        found = bench.hand_written(project, Decimal(bench.LIMIT["procurement_limit"]))
        assert set(found) == {"scope", "grounds", "route", "changes"}
