"""govrules benchmarks: figures and ratios measured side by side in one process and one run.

    python -m pip install -e ".[bench]"  # once: govrules and zen-engine, the peer it is compared with
    python benchmarks/run.py            # everything, with the 1,000,000-verdict batch on both cores
    python benchmarks/run.py --quick    # smaller samples and a 20,000-verdict batch
    python benchmarks/run.py --baseline ../wt-base   # also: the same inputs timed with another checkout

Machines here are noisy: absolute times alone mean little; read the ratios, which compare
implementations measured in the same run on the same inputs. Without zen-engine (the ``bench``
extra) its lines say so. The full batch first writes its input, ~1.2 GB of JSON Lines, under the
temporary directory (``TMPDIR``), and removes it afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2025, 9, 1)
LIMIT = {"procurement_limit": 1_000_000}
FRESH = 10_000  # register records never seen before

os.environ.pop("RUST_BACKTRACE", None)  # makes zen-engine's error path ~30x slower

import govrules  # noqa: E402
from govrules.compile.loading import load_pack_text  # noqa: E402
from govrules.engine import evaluator  # noqa: E402
from govrules.engine.calendar import WorkdayCalendar  # noqa: E402
from govrules.engine.evaluator import _Evaluation  # noqa: E402

BOOL_FACTS = [
    "gbt40692_system", "involves_public_data", "emergency", "emergency_leader_consent", "in_annual_plan",
    "required_by_higher_authority", "shares_data_as_required", "duplicate_data_collection",
    "builds_own_machine_room", "retention_urgently_needed", "private_network_lease", "egov_extranet_integrated",
    "deployed_on_government_cloud", "connected_to_major_platforms", "secure_controllable_products",
    "meets_security_requirements", "major_security_risk", "internal_systems_integrated",
    "electronic_records_compliant", "live_systems_unaccepted", "performance_evaluation_failed",
    "rectification_completed", "duplicates_existing_system", "in_centralized_procurement_catalogue", "classified",
    "routine_office_procurement", "routine_operation_equipment", "includes_civil_works",
    "seeks_om_funds_next_year", "connected_to_city_brain",
]
AMOUNTS = [199_999.99, 200_000, 200_000.01, 499_999.99, 500_000, 500_000.01, 999_999.99, 1_000_000, 1_500_000]


def make_project(rng: random.Random, i: int) -> dict[str, Any]:
    """A realistic mix: mostly known facts, some unknown, amounts near the thresholds, dates, changes."""
    execution = rng.choice(["construction", "service"])
    facts = {name: rng.random() < 0.2 for name in BOOL_FACTS if rng.random() > 0.15}
    for name in ("gbt40692_system", "involves_public_data", "shares_data_as_required",
                 "deployed_on_government_cloud", "connected_to_major_platforms", "secure_controllable_products",
                 "meets_security_requirements", "internal_systems_integrated", "electronic_records_compliant",
                 "in_annual_plan"):
        if name in facts:
            facts[name] = rng.random() < 0.85
    signed = AS_OF - dt.timedelta(days=rng.randint(0, 400))
    dates: dict[str, Any] = {"application": signed - dt.timedelta(days=60)}
    if rng.random() < 0.8:
        dates["contract_signed"] = signed.isoformat()
        dates["contract_filed"] = rng.choice([False, (signed + dt.timedelta(days=rng.randint(1, 20))).isoformat()])
    if rng.random() < 0.4:
        dates["approval"] = (signed - dt.timedelta(days=10)).isoformat()
    dates["application"] = dates["application"].isoformat()
    changes = [{"scale": rng.choice(["0.05", "0.10", "0.1000001", "0.2"]), "increases_investment": rng.random() < 0.2,
                "cause": rng.choice(["external_environment", "force_majeure", "other"]), "major": rng.random() < 0.8}
               for _ in range(rng.choice([0, 0, 1, 2]))]
    budget = rng.choice(AMOUNTS) if rng.random() > 0.05 else None
    return {"id": f"bench-{i}", "name": "基准项目", "level": rng.choice(["prefecture", "county", "city"]),
            "execution": execution, "budget": budget,
            "funding": [{"source": rng.choice(["prefecture", "county", "own_funds", "central"])}],
            "dates": dates, "changes": changes, "facts": facts}


def best_cpu_us(fn: Callable[[], Any], repeat: int) -> float:
    """The least process CPU time of ``repeat`` calls, in microseconds: on a shared machine, what other
    processes take is not counted (a busy machine still slows a run through the caches)."""
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1e6)
    return min(samples)


def median_us(fn: Callable[[], Any], repeat: int, inner: int = 1) -> float:
    """Median microseconds per call over ``repeat`` timed batches of ``inner`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner * 1e6)
    return statistics.median(samples)


# ----------------------------------------------------------------------------- the same decisions, by hand

def _and(*values: Any) -> Any:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: Any) -> Any:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not(v: Any) -> Any:
    return None if v is None else not v


def _ge(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a >= b


def _lt(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a < b


def _le(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a <= b


def _gt(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a > b


def _eq(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a == b


def hand_written(p: govrules.Project, limit: Decimal) -> dict[str, Any]:
    """Chuxiong Art. 2/36 scope, Art. 15 grounds, Art. 11/16/17 route, Art. 24 changes, written by hand.

    Enum values are read as ``_value_``, as the evaluator reads them (``.value`` costs ~0.5 µs a read on
    Python 3.11): the limit should be the best plain Python can do."""
    f = p.facts.get
    execution = p.effective_execution()
    ex = execution._value_ if execution else None
    level = p.level._value_ if p.level else None
    budget = p.budget
    pb = p.procurement_budget if p.procurement_budget is not None else budget
    sources = {x.source._value_ for x in p.funding} if p.funding is not None else None
    fiscal = None if sources is None else bool(sources & {"central", "provincial", "prefecture", "municipal",
                                                          "county"}) or "own_funds" in sources
    scope = _and(None if level is None else level in ("prefecture", "county"), fiscal, f("gbt40692_system"),
                 f("involves_public_data"))
    signed, end = p.dates.contract_signed, p.dates.contract_end
    exempt = _or(
        _and(None if signed is None else (signed is not False and signed < dt.date(2025, 5, 8)),
             None if end is None else (end is False or end >= AS_OF)),
        f("routine_office_procurement"),
        _and(f("routine_operation_equipment"), f("in_centralized_procurement_catalogue"), _le(pb, limit)))
    status = "exempt" if exempt is True else ("in_scope" if scope is True and exempt is False else
                                              "out_of_scope" if scope is False else "undetermined")
    # Art. 15's exception, read per situation (the pack's default reading): a requirement of the
    # situation itself
    situations = f("art15_required_situations")

    def required(situation: str) -> Any:
        return None if situations is None else situation in situations

    grounds_raw = {
        1: (_or(_not(f("shares_data_as_required")), f("duplicate_data_collection")),
            [required("data_sharing"), f("classified")]),
        2: (f("builds_own_machine_room"), [required("own_facility"), f("retention_urgently_needed")]),
        3: (_and(f("private_network_lease"), _not(f("egov_extranet_integrated"))), [required("private_network")]),
        4: (_not(f("deployed_on_government_cloud")), [required("government_cloud")]),
        5: (_not(f("connected_to_major_platforms")), [required("major_platforms")]),
        6: (_not(f("secure_controllable_products")), [required("xinchuang")]),
        7: (_or(_not(f("meets_security_requirements")), f("major_security_risk")), [required("security")]),
        8: (_or(_not(f("internal_systems_integrated")), _not(f("electronic_records_compliant"))),
            [required("integration")]),
        9: (_or(f("live_systems_unaccepted"), _and(f("performance_evaluation_failed"),
                                                   _not(f("rectification_completed")))), [required("acceptance")]),
        10: (f("duplicates_existing_system"), [required("duplication")]),
    }
    grounds = {}
    for item, (cond, excs) in grounds_raw.items():
        if cond is False:
            continue
        grounds[item] = ("excepted" if cond is True and any(e is True for e in excs) else
                         "triggered" if cond is True and all(e is False for e in excs) else "unknown")
    approval = _or(_and(_eq(ex, "construction"), _ge(budget, 500000)), _and(_eq(ex, "service"), _ge(pb, 200000)))
    below = _and(_le(pb, limit), _not(f("in_centralized_procurement_catalogue")))
    under = _or(_and(_eq(ex, "construction"), _lt(budget, 500000)), _and(_eq(ex, "service"), _lt(pb, 200000)))
    gap = _and(under, _or(_gt(pb, limit), f("in_centralized_procurement_catalogue")))
    overlap = _and(approval, below)
    first = _and(f("emergency"), f("emergency_leader_consent"))
    if first is True:
        route = "build_first"
    elif first is None or overlap is True or gap is True or overlap is None or gap is None:
        route = "undetermined"
    elif approval is True:
        route = "approval"
    elif below is True:
        route = "filing"
    else:
        route = "undetermined"
    changes = []
    for c in p.changes:
        cause = None if c.cause is None else c.cause._value_ in ("external_environment", "force_majeure")
        base = _and(c.major, cause, _not(c.increases_investment))
        small, large = _and(base, _le(c.scale, Decimal("0.10"))), _and(base, _gt(c.scale, Decimal("0.10")))
        not_cov = _or(c.increases_investment, _not(c.major), None if c.cause is None else c.cause._value_ == "other")
        decided = [d for d, v in (("filing", small), ("approval", large), ("not_covered", not_cov)) if v is True]
        changes.append(decided[0] if len(set(decided)) == 1 else "undetermined")
    return {"scope": status, "grounds": grounds, "route": route, "changes": changes}


SUBSET = ["scope.art2", "exempt.art36_1", "exempt.art36_2", "exempt.art36_3", "exc.art11_emergency",
          *[f"exc.art15_required_{i}" for i in range(1, 11)], "exc.art15_2_retain", "exc.art35_classified",
          "route.art11_build_first",
          "route.art16_construction", "route.art16_service", "route.art17_filing", "route.art16_17_overlap",
          "route.art16_17_gap", *[f"ground.art15_{i}" for i in range(1, 11)],
          "change.art24_filing", "change.art24_approval", "change.art24_more_investment", "change.art24_not_major",
          "change.art24_other_cause"]


def naive_rule_engine(pack: govrules.CompiledPack) -> Callable[[dict[str, Any], list[dict[str, Any]]], dict[str, Any]]:
    """The same rules as rule_engine.Rule objects, matched one by one (errors on nulls count as unknown)."""
    import rule_engine

    context = rule_engine.Context(default_timezone=dt.timezone(dt.timedelta(hours=8)))
    rules = [(rid, pack.by_id[rid].rule.for_each, rule_engine.Rule(pack.by_id[rid].rule.when, context=context))
             for rid in SUBSET]

    def run(env: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for rid, for_each, rule in rules:
            for thing in ([env] if for_each is None else items):
                try:
                    out[rid] = rule.matches(thing)
                except (rule_engine.errors.EngineError, TypeError):
                    out[rid] = None
        return out

    return run


def zen_decision() -> Any:
    """The same decisions as a GoRules JDM expression node, evaluated by zen-engine (two-valued)."""
    try:
        import zen
    except ImportError:
        return None
    e = [
        ("scope", "level in ['prefecture', 'county'] and fiscal and gbt40692_system and involves_public_data"),
        ("exempt", "routine_office_procurement or (routine_operation_equipment and "
                   "in_centralized_procurement_catalogue and procurement_budget <= limit)"),
        ("approval", "(execution == 'construction' and budget >= 500000) or "
                     "(execution == 'service' and procurement_budget >= 200000)"),
        ("filing", "procurement_budget <= limit and not in_centralized_procurement_catalogue"),
        ("build_first", "emergency and emergency_leader_consent"),
        *[(f"g{i}", cond) for i, cond in enumerate([
            "(not shares_data_as_required or duplicate_data_collection) and not required_by_higher_authority "
            "and not classified",
            "builds_own_machine_room and not required_by_higher_authority and not retention_urgently_needed",
            "private_network_lease and not egov_extranet_integrated and not required_by_higher_authority",
            "not deployed_on_government_cloud and not required_by_higher_authority",
            "not connected_to_major_platforms and not required_by_higher_authority",
            "not secure_controllable_products and not required_by_higher_authority",
            "(not meets_security_requirements or major_security_risk) and not required_by_higher_authority",
            "(not internal_systems_integrated or not electronic_records_compliant) and "
            "not required_by_higher_authority",
            "(live_systems_unaccepted or (performance_evaluation_failed and not rectification_completed)) and "
            "not required_by_higher_authority",
            "duplicates_existing_system and not required_by_higher_authority"], 1)],
        ("change_filing", "map(changes, #.major and not #.increases_investment and #.scale <= 0.1)"),
    ]
    nodes = [{"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
             {"id": "expr", "type": "expressionNode", "name": "Chuxiong", "position": {"x": 100, "y": 0},
              "content": {"expressions": [{"id": str(i), "key": k, "value": v} for i, (k, v) in enumerate(e)]}},
             {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 200, "y": 0}}]
    edges = [{"id": "e1", "sourceId": "in", "targetId": "expr", "type": "edge"},
             {"id": "e2", "sourceId": "expr", "targetId": "out", "type": "edge"}]
    # zen's `not null` is an error: write negation as `== false` (zen is two-valued; null is never false).
    for node in nodes[1:2]:
        for expression in node["content"]["expressions"]:  # type: ignore[index]
            expression["value"] = re.sub(r"\bnot (\w+)", r"\1 == false", expression["value"])
            expression["value"] = expression["value"].replace("not (", "false == (")
    content = json.dumps({"nodes": nodes, "edges": edges})
    engine = zen.ZenEngine({"loader": lambda key: content})
    return engine


def zen_input(p: govrules.Project, env: dict[str, Any]) -> dict[str, Any]:
    """zen-engine refuses Decimal and date: hand it floats and plain values (unknown as null)."""
    data = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in env.items()
            if isinstance(v, bool | str | Decimal | int) or v is None}
    # zen-engine is two-valued and errors on null operands of `or`: unknown goes in as false / 0.
    for name in BOOL_FACTS:
        data[name] = bool(env.get(name))
    for name in ("budget", "procurement_budget"):
        data[name] = data.get(name) or 0.0
    data["fiscal"] = bool(env.get("fiscal_funded"))
    data["limit"] = 1_000_000.0
    data["changes"] = [{"major": bool(c.major), "increases_investment": bool(c.increases_investment),
                        "scale": float(c.scale) if c.scale is not None else 0.0} for c in p.changes]
    return data


# ----------------------------------------------------------------------------- batch on both cores

def _write_inputs(path: str, start: int, count: int) -> int:
    """Write records ``start``…``start + count`` as JSON Lines (one in 1,000 deliberately invalid)."""
    rng = random.Random(start)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(start, start + count):
            data = make_project(rng, i)
            if i % 1000 == 999:
                data["budget"] = "一百万左右"  # not an amount: must come out as an error line, not be lost
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    return count


def _batch_worker(path: str) -> tuple[int, int, int]:
    """The library's batch path on one input file: read, parse, validate, evaluate, write JSON Lines."""
    from govrules.output.batch import evaluate_records, iter_records, write_jsonl

    pack = govrules.load_pack("chuxiong-2025")  # cached per process: later chunks reuse the warm pack
    with open(os.devnull, "w", encoding="utf-8") as out:
        counts = write_jsonl(evaluate_records(iter_records(path), pack, AS_OF, parameters=LIMIT, json_ready=False),
                             out)
    return counts["records"], counts["errors"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def batch(n: int, workers: int = 2, chunk: int = 2_000) -> dict[str, float]:
    """n project-pack verdicts streamed through ``workers`` processes.

    The inputs are written first as JSON Lines files of ``chunk`` records (not timed: a batch reads
    its records from files). The timed part is what ``govrules evaluate records.jsonl`` does for each
    file: read and parse each line, validate it, evaluate it, write its JSON line (to the null
    device), the workers taking the files in turn.
    """
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="govrules-batch-")
    try:
        files = [(os.path.join(folder, f"{s:08d}.jsonl"), s, min(chunk, n - s)) for s in range(0, n, chunk)]
        context = multiprocessing.get_context("fork")
        start = time.perf_counter()
        with context.Pool(workers) as pool:
            pool.starmap(_write_inputs, files, chunksize=1)
        generated = time.perf_counter() - start
        input_bytes = sum(os.path.getsize(f) for f, _, _ in files)
        done = errors = 0
        peak_kib = 0
        rss_at: list[int] = []
        start = time.perf_counter()
        with context.Pool(workers) as pool:
            for count, errs, rss in pool.imap(_batch_worker, [f for f, _, _ in files], chunksize=1):
                done += count
                errors += errs
                peak_kib = max(peak_kib, rss)
                rss_at.append(rss)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"verdicts": done, "errors": errors, "seconds": seconds, "per_second": done / seconds,
            "peak_worker_rss_mib": peak_kib / 1024, "generated_seconds": generated, "input_mib": input_bytes / 2**20,
            "rss_first_tenth_mib": max(rss_at[: max(1, len(rss_at) // 10)]) / 1024}


# ----------------------------------------------------------------------------- another checkout, same inputs

#: Run by ``--baseline`` with another checkout's modules first on the path: times the inputs it is
#: handed on stdin (full verdicts of generated projects per pack, compact and detailed trace, and
#: register records) with that checkout's ``govrules`` and prints the medians as JSON. It uses only
#: the public API every version has (``load_pack``, ``validate_project``, ``evaluate(..., trace=)``).
_BASELINE = r"""
import datetime as dt, json, statistics, sys, time
import govrules
data = json.load(sys.stdin)
repeat, as_of = data["repeat"], dt.date.fromisoformat(data["as_of"])

def best_cpu_us(fn):
    # as the module's best_cpu_us (this text runs with another checkout's modules, so it cannot import it):
    # process CPU time, best of `repeat`, what the machine's other work takes away not counted
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1e6)
    return min(samples)

projects = [govrules.validate_project(p) for p in data["projects"]]
result = {"file": govrules.__file__, "full": {}, "register": {}}
for pack_id, params in data["packs"].items():
    pack = govrules.load_pack(pack_id)
    for trace in (False, True):
        run = lambda: [govrules.evaluate(p, pack, as_of, parameters=params, trace=trace) for p in projects]
        run()
        result["full"][f"{pack_id}:{trace}"] = best_cpu_us(run) / len(projects)
for pack_id, (day, records) in data["register"].items():
    pack = govrules.load_pack(pack_id)
    day = dt.date.fromisoformat(day)
    valid = [(govrules.validate_project(p), params) for p, params in records]
    run = lambda: [govrules.evaluate(p, pack, day, parameters=params, trace=False) for p, params in valid]
    run()
    result["register"][pack_id] = best_cpu_us(run) / len(valid)
print(json.dumps(result))
"""


def baseline_figures(path: Path, raw_projects: list[dict[str, Any]], repeat: int,
                     rounds: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    """The full-verdict and register figures of the checkout at ``path`` and of this one, on the inputs
    this run times: each measured by the same script in a subprocess (the checkout's ``src`` first on
    the path), the two taking turns ``rounds`` times, the best of each figure kept — so that a machine
    busy at one moment slows both alike."""
    from govrules.testing.register import register_packs, register_records

    register = {}
    for pack_id in register_packs():
        day = govrules.load_pack(pack_id).pack.dates.effective + dt.timedelta(days=120)
        register[pack_id] = (day.isoformat(), register_records(pack_id))
    packs = {pack_id: (LIMIT if pack_id == "chuxiong-2025" else {}) for pack_id in govrules.bundled_pack_ids()}
    inputs = json.dumps({"repeat": repeat, "as_of": AS_OF.isoformat(), "projects": raw_projects, "packs": packs,
                         "register": register}, default=str)
    best: list[dict[str, Any]] = [{}, {}]
    for _ in range(rounds):
        for side, checkout in enumerate((path, ROOT)):
            env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
            done = subprocess.run([sys.executable, "-c", _BASELINE], input=inputs, capture_output=True, text=True,
                                  env=env, check=True)
            figures = json.loads(done.stdout)
            kept = best[side]
            kept["file"] = figures["file"]
            for section in ("full", "register"):
                for key, value in figures[section].items():
                    kept.setdefault(section, {})[key] = min(value, kept.get(section, {}).get(key, value))
    return best[0], best[1]


def print_baseline(path: Path, then: dict[str, Any], now: dict[str, Any]) -> None:
    """The two checkouts' figures side by side, as ratios (now ÷ then: below 1 is faster)."""
    print(f"\n## against the checkout at {path}: the same inputs, µs per verdict, then → now (now ÷ then)")
    print(f"(modules: {then['file']} → {now['file']}; each checkout with its own bundled packs; the two measured "
          "in turn, best of 3 each; process CPU time, best of the passes)")
    for key, after in now["full"].items():
        pack_id, trace = key.split(":")
        before = then["full"].get(key)
        label = f"{pack_id} {'detailed' if trace == 'True' else 'compact'}"
        if before is None:
            print(f"{label:<30} not in that checkout")
            continue
        print(f"{label:<30} {before:8.1f} → {after:8.1f} µs  ({after / before:4.2f}×)")
    for pack_id, after in now["register"].items():
        before = then["register"].get(pack_id)
        if before is not None:
            print(f"{pack_id + ' register records':<30} {before:8.1f} → {after:8.1f} µs  ({after / before:4.2f}×)")


# ----------------------------------------------------------------------------- main

def register_figures(repeat: int) -> dict[str, float]:
    """Register records (level, execution, category, budget, funding only): how many verdicts decide
    scope and route with the packs' presumptions and without (strict), and what presumptions cost;
    then a register of records never evaluated before, each evaluated once."""
    from govrules.engine.codegen import runtime_of
    from govrules.testing.register import register_packs, register_records

    print("\n## register records (200 per pack: level, execution, category, budget, funding), presumptions; "
          "process CPU time, best of the passes over the 200")
    figures: dict[str, float] = {}
    for pack_id in register_packs():
        pack = govrules.load_pack(pack_id)
        day = pack.pack.dates.effective + dt.timedelta(days=120)
        records = [(govrules.validate_project(p), params) for p, params in register_records(pack_id)]

        def run(strict: bool, pack: Any = pack, day: Any = day, records: Any = records) -> list[Any]:
            return [govrules.evaluate(p, pack, day, parameters=params, trace=False, strict=strict)
                    for p, params in records]

        decided = {strict: sum(v.scope.status != "undetermined" and v.route.decision != "undetermined"
                               for v in run(strict)) / len(records) for strict in (False, True)}
        per = best_cpu_us(lambda: run(False), repeat) / len(records)
        per_strict = best_cpu_us(lambda: run(True), repeat) / len(records)
        figures[pack_id] = per
        # a register seen for the first time: records never evaluated before, each once, nothing reused
        # from an earlier pass (a verdict is reused only from another record of the same register)
        fresh = [(govrules.validate_project(p), params) for p, params in register_records(pack_id, FRESH, seed=1)]
        memo = runtime_of(pack).verdict_memo
        if memo is not None:
            memo.clear()
        started = time.process_time()
        for p, params in fresh:
            govrules.evaluate(p, pack, day, parameters=params, trace=False)
        first = (time.process_time() - started) * 1e6 / len(fresh)
        memo = runtime_of(pack).verdict_memo
        stored = memo.misses if memo is not None else len(fresh)
        print(f"{pack_id:<15} scope and route decided: {decided[False]:4.0%} with presumptions, "
              f"{decided[True]:4.0%} strict   compact verdict {per:7.1f} µs ({1e6 / per:7.0f}/s), "
              f"strict {per_strict:7.1f} µs   target ≥ 20,000/s: {'met' if 1e6 / per >= 20_000 else 'MISSED'}")
        print(f"{'':<15} {FRESH:,} records never seen, each once: {first:7.1f} µs ({1e6 / first:7.0f}/s), "
              f"{stored:,} verdicts worked out, the other {FRESH - stored:,} reused "
              f"({'met' if 1e6 / first >= 20_000 else 'MISSED'})")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batch", type=int, default=None, help="verdicts in the batch run (default 1,000,000)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="PATH",
                        help="another checkout (e.g. a worktree of an earlier commit): time the same inputs with "
                             "its modules in a subprocess and print the ratios")
    args = parser.parse_args()
    quick = args.quick
    n_projects = 200 if quick else 1000
    repeat = 5 if quick else 9

    print(f"# govrules benchmarks — {dt.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"govrules {govrules.__version__}")

    print("\n## load + compile (uncached, from the YAML text), median ms")
    from govrules.compile import cache
    from govrules.engine.codegen import PackRuntime, build_rules_fn

    for pack_id in govrules.bundled_pack_ids():
        raw = (ROOT / "src" / "govrules" / "policies" / f"{pack_id}.yaml").read_bytes()
        ms = median_us(lambda raw=raw, pack_id=pack_id: load_pack_text(raw, file=pack_id), repeat) / 1000
        compiled = load_pack_text(raw, file=pack_id)
        cached = "n/a"
        if cache.cache_dir() is not None:
            cache.store(raw, compiled)
            cached = f"{median_us(lambda raw=raw, pack_id=pack_id: cache.load(raw, pack_id), repeat) / 1000:.1f} ms"
        generate = median_us(lambda compiled=compiled: build_rules_fn(compiled, PackRuntime(compiled)), repeat) / 1000
        print(f"{pack_id:<15} {ms:8.1f} ms   target < 50 ms: {'met' if ms < 50 else 'MISSED'}   "
              f"(from the compiled cache {cached}; generating the rule function, done on a pack's "
              f"{PackRuntime.WARM_UP}rd verdict: {generate:.1f} ms)")

    rng = random.Random(20251122)
    raw_projects = [make_project(rng, i) for i in range(n_projects)]
    projects = [govrules.validate_project(p) for p in raw_projects]

    print(f"\n## one full verdict (every contract key), {n_projects} generated projects, median µs per verdict")
    full: dict[str, float] = {}
    for pack_id in govrules.bundled_pack_ids():
        pack = govrules.load_pack(pack_id)
        params = LIMIT if pack_id == "chuxiong-2025" else {}

        def all_verdicts(pack: Any = pack, params: Any = params, trace: bool = False) -> None:
            for project in projects:
                govrules.evaluate(project, pack, AS_OF, parameters=params, trace=trace)

        all_verdicts()  # warm: the generated rule function is built on a pack's third verdict
        per = median_us(all_verdicts, repeat) / n_projects
        per_trace = median_us(lambda pack=pack, params=params: all_verdicts(pack, params, True), repeat) / n_projects
        evaluator.USE_GENERATED = False
        per_closures = median_us(all_verdicts, repeat) / n_projects
        evaluator.USE_GENERATED = True
        full[pack_id] = per
        print(f"{pack_id:<15} {per:8.1f} µs  ({1e6 / per:8.0f} verdicts/s on one core)   "
              f"with detailed trace {per_trace:8.1f} µs   closures instead of generated code {per_closures:8.1f} µs "
              f"({per_closures / per:4.2f}×)   target ≥ 20,000/s: {'met' if 1e6 / per >= 20_000 else 'MISSED'}")
    register_figures(repeat)
    if args.baseline is not None:
        print_baseline(args.baseline, *baseline_figures(args.baseline, raw_projects, repeat))
    validate = median_us(lambda: [govrules.validate_project(p) for p in raw_projects], repeat) / n_projects
    from govrules.output.verdict_json import verdict_json

    compact = [govrules.evaluate(p, "chuxiong-2025", AS_OF, parameters=LIMIT, trace=False) for p in projects[:200]]
    written = median_us(lambda: [verdict_json(v) for v in compact], repeat) / len(compact)
    by_pydantic = median_us(lambda: [v.model_dump_json() for v in compact], repeat) / len(compact)
    print(f"(input validation {validate:.1f} µs per project; JSON text of one compact verdict {written:.1f} µs, "
          f"by pydantic's model_dump_json {by_pydantic:.1f} µs — not included)")

    print("\n## the same Chuxiong decisions four ways (scope+exemptions, Art. 15, Art. 11/16/17, Art. 24)")
    # as the hand-written function decides them: the literal reading of Arts. 16/17, nothing presumed
    pack = govrules.load_pack("chuxiong-2025").for_readings({"art16_17": "literal_overlap"})
    limit = Decimal(1_000_000)
    calendar = WorkdayCalendar.default()
    envs = []
    for project in projects:
        ev = _Evaluation(pack, project, AS_OF, LIMIT, calendar, False)
        items = [{**ev.env, **item} for item in ev._items(govrules.models.pack.ForEach.change)]
        plain = {k: (set(v) if isinstance(v, frozenset) else v) for k, v in ev.env.items()}
        plain["dates"] = {k[6:]: v for k, v in ev.env.items() if k.startswith("dates.")}
        envs.append((project, plain, items))
    # The full verdict and the hand-written function, timed in alternation on the same chunks of
    # projects, each chunk's best time kept: a busy machine slows both alike.
    chunks = [projects[i:i + 100] for i in range(0, n_projects, 100)]
    best: dict[str, list[float]] = {"hand": [], "gov": []}
    for chunk in chunks:
        hand_times, gov_times = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            for p in chunk:
                hand_written(p, limit)
            hand_times.append((time.perf_counter() - start) / len(chunk) * 1e6)
            start = time.perf_counter()
            for p in chunk:
                govrules.evaluate(p, pack, AS_OF, parameters=LIMIT, trace=False, strict=True)
            gov_times.append((time.perf_counter() - start) / len(chunk) * 1e6)
        best["hand"].append(min(hand_times))
        best["gov"].append(min(gov_times))
    hand = statistics.mean(best["hand"])
    paired_gov = statistics.mean(best["gov"])
    subset_fns = [(pack.by_id[r].condition.fn, pack.by_id[r].rule.for_each) for r in SUBSET]
    closures = median_us(lambda: [[fn(e) for fn, fe in subset_fns for e in ([env] if fe is None else items)]
                                  for _, env, items in envs], repeat) / n_projects
    naive = naive_rule_engine(pack)
    naive_us = median_us(lambda: [naive(env, items) for _, env, items in envs], max(3, repeat // 3)) / n_projects
    gov = paired_gov
    print(f"hand-written Python function      {hand:8.1f} µs   (the limit; best of {repeat} per chunk of 100)")
    print(f"govrules compiled rules only      {closures:8.1f} µs   = {closures / hand:5.2f}× hand-written")
    print(f"govrules full verdict             {gov:8.1f} µs   = {gov / hand:5.2f}× hand-written "
          f"(target ≤ 3×: {'met' if gov <= 3 * hand else 'MISSED'})")
    print(f"naive rule_engine.Rule.matches    {naive_us:8.1f} µs   "
          f"govrules full verdict is {naive_us / gov:5.2f}× faster")
    engine = zen_decision()
    if engine is None:
        print("zen-engine                        not installed (pip install zen-engine)")
    else:
        inputs = [zen_input(p, env) for p, env, _ in envs]
        zen_us = median_us(lambda: [engine.evaluate("chuxiong", i) for i in inputs], repeat) / n_projects
        print(f"zen-engine (ZenEngine, loader)    {zen_us:8.1f} µs   govrules rules-only {zen_us / closures:5.2f}× "
              f"faster; full verdict {zen_us / gov:5.2f}× (target: faster per call: "
              f"{'met' if gov < zen_us else 'MISSED'})")

    n = args.batch if args.batch is not None else (20_000 if quick else 1_000_000)
    print(f"\n## batch: {n:,} project-pack records from JSON Lines files (read, parse, validate, evaluate, "
          "write JSON Lines) on 2 processes")
    result = batch(n)
    print(f"(inputs: {result['input_mib']:,.0f} MiB written beforehand in {result['generated_seconds']:.1f} s, "
          "not timed; one record in 1,000 is invalid)")
    print(f"{result['verdicts']:,.0f} records in {result['seconds']:.1f} s = {result['per_second']:,.0f}/s; "
          f"{result['errors']:,.0f} invalid records reported as error lines; "
          f"peak worker RSS {result['peak_worker_rss_mib']:.0f} MiB "
          f"(after the first tenth: {result['rss_first_tenth_mib']:.0f} MiB); target 1M < 120 s: "
          f"{'met' if result['seconds'] * 1_000_000 / max(1, n) < 120 else 'MISSED'}"
          + ("" if n == 1_000_000 else " (extrapolated)"))
    expected_errors = sum(1 for i in range(n) if i % 1000 == 999)
    print(f"every record accounted for (one line each, the invalid ones as errors): "
          f"{'yes' if result['verdicts'] == n and result['errors'] == expected_errors else 'NO'}")

    print("\n## CLI cold start (median of 5 runs, ms)")
    example = str(ROOT / "examples" / "chuxiong-data-platform.yaml")
    cmds = {"python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import govrules'": [sys.executable, "-c", "import govrules"],
            "govrules evaluate (example)": [sys.executable, "-m", "govrules", "evaluate", example, "--pack",
                                            "chuxiong-2025", "--as-of", "2025-09-01", "--format", "json"]}
    # As an installed package runs: with compiled bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE,
    # which recompiles every module on every start), written to a scratch directory on a first run.
    import tempfile

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="govrules-pycache-")
    base = 0.0
    for label, cmd in cmds.items():
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
            times.append((time.perf_counter() - start) * 1000)
        ms = statistics.median(times)
        base = base or ms
        extra = f"   target < 500 ms: {'met' if ms < 500 else 'MISSED'}" if "evaluate" in label else ""
        print(f"{label:<30} {ms:7.0f} ms  ({ms / base:4.1f}× bare python){extra}")


if __name__ == "__main__":
    main()
