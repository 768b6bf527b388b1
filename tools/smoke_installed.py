"""Smoke test of an installed govrules, as a user's system would use it.

Run it with the Python of an environment where govrules was installed from its wheel (with the
``testing`` extra), from a folder outside the source checkout::

    cd "$(mktemp -d)" && /path/to/venv/bin/python /path/to/checkout/tools/smoke_installed.py

It fails (exit 1, naming the check) unless the bundled packs, their vocabulary, evaluation,
comparison, a pack extending a bundled one and the hypothesis strategies all work from the
installed package alone. ``tools/smoke_user_script.py`` is what CI type-checks with ``mypy --strict``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BUNDLED = ["qujing-2020", "chuxiong-2025", "jingzhou-2017", "linfen-2021"]
IN_FORCE = ["chuxiong-2025", "jingzhou-2017", "linfen-2021"]  # on AS_OF: qujing-2020 is superseded
AS_OF = dt.date(2025, 9, 1)
LIMIT = {"procurement_limit": 1000000}  # 政府采购限额标准: set outside the measure, an example value
CHECKOUT = Path(__file__).resolve().parents[1]

PROJECT: dict[str, Any] = {
    "id": "smoke-1", "name": "州市场监管局企业信用数据共享平台建设项目", "owner": "楚雄州市场监督管理局",
    "level": "prefecture", "execution": "construction", "category": "software_development",
    "nature": "professional", "budget": "128万元", "funding": [{"source": "prefecture", "amount": 1280000}],
    "dates": {"application": "2025-06-10", "approval": False, "construction_start": False, "contract_signed": False},
    "facts": {"gbt40692_system": True, "involves_public_data": True, "in_annual_plan": True, "classified": False,
              "emergency": False, "routine_office_procurement": False, "routine_operation_equipment": False,
              "in_centralized_procurement_catalogue": False},
}

# A county measure that builds on the prefecture's: only its own threshold differs.
CHILD_PACK = """\
format: govrules/pack@1
id: smoke-county-2025
extends: chuxiong-2025
title: 某县政务信息化项目管理细则（冒烟测试）
document: 示例〔2025〕9号
issuer: 某县人民政府办公室
jurisdiction: {name: 某县, level: county, parent: 楚雄彝族自治州}
dates: {issued: 2025-08-01, effective: 2025-08-01, effective_basis: issuance}
articles:
  - number: 1
    text: 预算金额30万元(含)以上的建设类项目，须报县发展和改革局审批。
parameters:
  - {name: construction_approval_threshold, replaces: true, value: 300000, unit: CNY,
     zh: 建设类项目须审批的预算金额(含), en: budget from which a construction project needs approval,
     cite: {article: 1}}
rules:
  - id: route.art16_construction
    replaces: true
    kind: route
    title: 预算金额30万元(含)以上的建设类项目须报县发展和改革局审批
    decision: approval
    authority: 某县发展和改革局
    when: execution == 'construction' and budget >= construction_approval_threshold
    overrides: [route.art17_filing]
    cite: {article: 1}
  - id: route.art16_17_overlap
    replaces: true
    kind: route
    title: 采购预算20万元(含)以上的服务类项目同时处于楚政办通〔2025〕26号第十七条备案范围，办法未规定何者优先
    decision: undetermined
    gap: true
    when: >-
      execution == 'service' and procurement_budget >= service_approval_threshold
      and procurement_budget <= procurement_limit and not in_centralized_procurement_catalogue
    overrides: [route.art16_service, route.art17_filing]
    cite: {measure: chuxiong-2025, article: 17}
"""


def check(name: str, condition: bool, detail: object = "") -> None:
    """Print the check's outcome; stop with exit 1 at the first failure."""
    if not condition:
        print(f"FAIL {name}: {detail}")
        raise SystemExit(1)
    print(f"ok   {name}")


def main() -> int:
    import govrules
    from govrules.packs.bundled import policies_dir

    where = Path(govrules.__file__).resolve()
    check("govrules is imported from the installed package, not the checkout",
          CHECKOUT not in where.parents, where)
    check("the bundled packs are package data", (policies_dir() / "vocabulary.yaml").is_file(), policies_dir())

    out = subprocess.run(["govrules", "packs", "--format", "json"], capture_output=True, text=True, check=False)
    listed = [row["id"] for row in json.loads(out.stdout or "[]")] if out.returncode == 0 else out.stderr
    check("`govrules packs` lists the four bundled packs", listed == BUNDLED, listed)
    check("govrules.bundled_pack_ids()", govrules.bundled_pack_ids() == BUNDLED, govrules.bundled_pack_ids())

    pack = govrules.load_pack("chuxiong-2025")
    check("load_pack of a bundled id", pack.pack.id == "chuxiong-2025")
    verdict = govrules.evaluate(PROJECT, pack, as_of=AS_OF, parameters=LIMIT)
    check("evaluate: in scope, approval", (verdict.scope.status, verdict.route.decision) == ("in_scope", "approval"),
          (verdict.scope.status, verdict.route.decision))

    reference = govrules.verdict_reference_json(verdict)
    expanded = govrules.expand_verdict(json.loads(reference), pack)
    check("the reference form expands back to the same verdict",
          expanded.model_dump_json() == verdict.model_dump_json() and len(reference) < len(verdict.model_dump_json()),
          len(reference))

    verdicts = govrules.evaluate_all(PROJECT, AS_OF, parameters={"chuxiong-2025": {"procurement_limit": 1000000}})
    in_force = [v.pack for v in verdicts]
    check("evaluate_all: every bundled pack in force", in_force == IN_FORCE, in_force)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "project.json").write_text(json.dumps(PROJECT, ensure_ascii=False), encoding="utf-8")
        out = subprocess.run(["govrules", "compare", "project.json", "--as-of", AS_OF.isoformat(), "--format", "json",
                              "--param", "chuxiong-2025:procurement_limit=1000000"],
                             cwd=folder, capture_output=True, text=True, check=False)
        compared = [v["pack"] for v in json.loads(out.stdout)] if out.returncode == 0 else out.stderr
        check("`govrules compare`", compared == IN_FORCE, compared)

        (folder / "county.yaml").write_text(CHILD_PACK, encoding="utf-8")
        child = govrules.load_pack(folder / "county.yaml")
        small = {**PROJECT, "budget": 400000, "funding": [{"source": "prefecture", "amount": 400000}]}
        parent_route = govrules.evaluate(small, pack, as_of=AS_OF, parameters=LIMIT).route.decision
        child_route = govrules.evaluate(small, child, as_of=AS_OF, parameters=LIMIT).route.decision
        check("a pack that extends chuxiong-2025, from a folder of its own",
              (parent_route, child_route) == ("filing", "approval"), (parent_route, child_route))

    # A fact of the shared vocabulary that chuxiong-2025 does not use is accepted, not refused.
    from govrules.packs.bundled import vocabulary_fact_names

    shared = vocabulary_fact_names() - {f.name for f in pack.pack.facts}
    check("the shared vocabulary is installed", "acceptance_applied" in shared, sorted(shared))
    with_shared = {**PROJECT, "facts": {**PROJECT["facts"], "acceptance_applied": True}}  # a jingzhou-2017 fact
    check("a vocabulary fact of another pack is accepted",
          govrules.evaluate(with_shared, pack, as_of=AS_OF, parameters=LIMIT).route.decision == "approval")

    from hypothesis import given, settings

    from govrules.testing.strategies import projects

    seen: list[str] = []

    @settings(max_examples=20, deadline=None, database=None)
    @given(projects(pack, as_of=AS_OF))
    def evaluates(project: govrules.Project) -> None:
        seen.append(govrules.evaluate(project, pack, as_of=AS_OF, trace=False).route.decision)

    evaluates()
    check("the hypothesis strategies (testing extra)", len(seen) == 20, len(seen))
    print("installed govrules works")
    return 0


if __name__ == "__main__":
    sys.exit(main())
