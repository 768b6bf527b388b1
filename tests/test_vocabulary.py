"""The shared fact vocabulary: one name, one type, across every bundled pack."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import govrules

ROOT = Path(__file__).resolve().parents[1]


def test_vocabulary_file_is_current() -> None:
    spec = importlib.util.spec_from_file_location("build_vocabulary", ROOT / "tools" / "build_vocabulary.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "src" / "govrules" / "policies" / "vocabulary.yaml").read_text("utf-8") == module.build(), (
        "run: python tools/build_vocabulary.py")


def test_shared_facts_agree_on_type() -> None:
    seen: dict[str, tuple[str, tuple[str, ...]]] = {}
    for pack_id in govrules.bundled_pack_ids():
        for fact in govrules.load_pack(pack_id).pack.facts:
            shape = (fact.type.value, tuple(fact.values or ()))
            assert seen.setdefault(fact.name, shape) == shape, f"{fact.name} differs in {pack_id}"


def test_one_project_file_runs_under_every_pack() -> None:
    project = govrules.load_project(ROOT / "examples" / "shared-project.yaml")
    import datetime as dt

    verdicts = govrules.evaluate_all(project, dt.date(2025, 10, 20), include_not_in_force=True)
    assert [v.pack for v in verdicts] == ["qujing-2020", "chuxiong-2025", "jingzhou-2017", "linfen-2021"]
