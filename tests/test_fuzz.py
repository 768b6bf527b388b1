"""Fuzzing the inputs: whatever a pack or project contains, govrules answers or raises a GovrulesError.

(a) the minimal pack's text, mutated (bit flips, deleted and duplicated lines, inserted YAML and
    condition tokens): ``load_pack_text`` loads it or raises ``PackError``, never anything else; a
    mutant that loads is evaluated, and raises nothing but ``GovrulesError``;
(b) project records drawn from the contract's fields, with wrong types, absurd values and unknown
    keys at every level, evaluated under every bundled pack on a day in 2017–2026: only
    ``GovrulesError`` may be raised; a verdict is deterministic and valid against the committed
    ``schemas/verdict.schema.json`` (when ``jsonschema`` is installed);
(c) the example project file, mutated like (a): ``load_project`` gives a project or ``ProjectError``;
(d) the minimal pack's compiled-cache entry, forged (ids, names, values, thresholds replaced with
    code, control characters and wrong types), signed or not: an unsigned one is never used, a signed
    one only if it holds what validation allows, and evaluating it never runs anything.

The runs are bounded for CI (a fixed, derandomized sequence of a few hundred examples in all). For a
longer, random run set ``GOVRULES_FUZZ_EXAMPLES`` (examples per test), as docs/limits.md says.

Inputs that reach a bug already pinned by an ``xfail(strict=True)`` test are kept out of the
strategies (see ``KNOWN``): the fuzz looks for new failures; the xfail tests hold the known ones.
"""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_PACK
from govrules import GovrulesError, PackError, ProjectError, evaluate, load_project
from govrules.compile.compiler import CompiledPack
from govrules.compile.loading import load_pack, load_pack_text
from govrules.models.pack import FactType
from govrules.models.project import (
    CATEGORY_EXECUTION,
    EVENT_NAMES,
    Category,
    ChangeCause,
    Execution,
    FundingSource,
    Level,
    Nature,
    Purpose,
    SystemStatus,
)

try:  # the schema check runs where jsonschema is installed (it is in the `test` extra)
    import jsonschema
except ImportError:  # pragma: no cover
    jsonschema = None

ROOT = Path(__file__).resolve().parents[1]
PACKS = ("chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021")
EXAMPLES = int(os.environ.get("GOVRULES_FUZZ_EXAMPLES", "0"))

#: Known bugs the strategies steer clear of, each pinned by a strict xfail test:
KNOWN = {
    "t'P99999999999999D'": "test_hostile_packs.py::…[huge-duration-literal] (OverflowError in the compiler)",
    "Infinity / sNaN / 1e99999999 as number facts": "test_broken_projects.py::test_integer_fact_out_of_range…",
}


def _settings(default: int) -> settings:
    """``default`` examples, derandomized for CI; ``GOVRULES_FUZZ_EXAMPLES`` examples, random, when set."""
    return settings(max_examples=EXAMPLES or default, deadline=None, derandomize=not EXAMPLES, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --------------------------------------------------------------------------------------------------
# (a) mutated packs

YAML_TOKENS = [": ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "<<: ", "!!python/name:os.system ",
               "!!python/object/apply:os.system ['true'] ", "!x ", "? ", "|\n", ">-\n", "'", '"', "#", "\t", "\n",
               "    ", "---\n", "...\n", "%YAML 1.1\n", "\x00", "\ufeff", "\u2028", "\x85", "~", "null", "true", "no",
               ".nan", "-.inf", "1e999", "9" * 60, "0x1F", "0o17", "2025-02-30", "2025-01-01T08:00:00", "0.1", "-1",
               "1_000", "\\u0000", "\\", "@", "`", "%"]
CONDITION_TOKENS = [" and ", " or ", " not ", "(", ")", " == ", " != ", " =~ '(a+)+$'", ".__class__", "$now",
                    " ?? ", "d'2025-02-30'", "d'2025-01-01'", "t'P1D'", "budget", "as_of", "dates['acceptance']",
                    "dates['nowhen']", " ** ", " // ", " % ", " + ", " - ", " * ", " / 0", "[x for x in "
                    "funding_sources]", "threshold", "add_years(as_of, 1)", "add_months(as_of, 1e300)", "year(as_of)",
                    "date(2025, 2, 30)", "'construction'", " in ", "owner", "shares_data", "required_by_law", " ? ",
                    " : ", "[]", "['a', 1]", "null", "1e999999", "-0", "0.000001", "&", "|", "^"]
TOKENS = YAML_TOKENS + CONDITION_TOKENS


@st.composite
def _mutations(draw: st.DrawFn, text: str) -> bytes:
    """``text`` with one to four mutations: flip a bit, delete, duplicate or swap lines, insert a token."""
    data = bytearray(text.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        lines = bytes(data).split(b"\n")
        op = draw(st.sampled_from(["flip", "delete", "duplicate", "swap", "insert", "insert"]))
        if op == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
            continue
        if op == "insert":
            at = draw(st.integers(0, len(data)))
            token = draw(st.sampled_from(TOKENS)).encode("utf-8")
            data[at:at] = token * draw(st.integers(1, 3))
            continue
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        data = bytearray(b"\n".join(lines))
    return bytes(data)


FUZZ_FILE = "fuzz.yaml"
SMALL_PROJECTS = [
    {"id": "p", "name": "n"},
    {"id": "p", "name": "n", "execution": "construction", "budget": 500_000, "owner": "某局",
     "facts": {"shares_data": False, "required_by_law": None}},
]


@_settings(300)
@given(raw=_mutations(MINIMAL_PACK))
def test_mutated_pack_loads_or_raises_pack_error(raw: bytes) -> None:
    try:
        pack = load_pack_text(raw, file=FUZZ_FILE)
    except PackError as error:
        event(f"refused: {error.code}")
        for diagnostic in error.diagnostics:
            where = diagnostic.to_dict()
            assert where["file"] == FUZZ_FILE and where["line"] >= 1 and where["column"] >= 1, str(diagnostic)
        return
    event("loaded")
    for project in SMALL_PROJECTS:
        try:
            evaluate(project, pack, as_of=dt.date(2025, 9, 1))
        except GovrulesError as error:
            event(f"evaluation refused: {error.code}")


# --------------------------------------------------------------------------------------------------
# (b) random project records under every bundled pack


@cache
def _packs() -> dict[str, CompiledPack]:
    return {pid: load_pack(pid) for pid in PACKS}


@cache
def _facts() -> dict[str, tuple[FactType, tuple[str, ...]]]:
    """Every fact any bundled pack declares: its type and values."""
    facts: dict[str, tuple[FactType, tuple[str, ...]]] = {}
    for pack in _packs().values():
        for fact in pack.pack.facts:
            facts.setdefault(fact.name, (fact.type, tuple(fact.values or ())))
    return facts


def _year_facts() -> set[str]:
    return {rule.deadline.year_from for pack in _packs().values() for rule in pack.pack.rules
            if getattr(rule, "deadline", None) is not None and rule.deadline.year_from is not None}


# text that cannot spell Infinity, NaN or an exponent (KNOWN), but does spell amounts, ratios and junk
SAFE_TEXT = st.text(alphabet="0123456789.,%万元亿 -_abcdxyz是否中", max_size=10)
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**15), 10**15), st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True), SAFE_TEXT, st.text(max_size=6),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dates(), st.datetimes(),
)
MONEY = st.one_of(st.integers(0, 10**12), st.decimals(min_value=0, max_value=10**12, places=2),
                  st.sampled_from(["48万元", "480,000元", "0.5亿元", "128万元", " 12 万 ", "1,280,000", "￥5000"]))
BAD_MONEY = st.one_of(
    st.sampled_from(["5万万", "五十万", "1e6", "-5万", "1,00,000", "４８万", "0E-999999999", "1000000000001", "0.001"]),
    st.sampled_from([Decimal("0E-999999999"), Decimal("-0.0"), Decimal("1E+999999999"), Decimal("1E-999999999"),
                     Decimal("sNaN"), 10**13]),
    st.decimals(min_value=0, max_value=10**12, places=4), JUNK)
RATIO = st.one_of(st.decimals(min_value=0, max_value=2, places=3), st.sampled_from(["8%", "0.08", "10%", "12.5%"]))
BAD_RATIO = st.one_of(st.sampled_from(["1e-3", "-5%", "８%", "1_0", "1e9999999999%", "0." + "0" * 30 + "1", "NaN"]),
                      st.sampled_from([Decimal("1E+999999999"), Decimal("0E-999999999"), Decimal("-0")]), JUNK)
DAY = st.one_of(st.dates(dt.date(2016, 1, 1), dt.date(2027, 12, 31)),
                st.dates(dt.date(2016, 1, 1), dt.date(2027, 12, 31)).map(dt.date.isoformat))
EVENT = st.one_of(DAY, st.just(False))
BAD_EVENT = st.one_of(st.sampled_from(["2025-02-30", "2025-W01-1", "20250101", "2025/01/01", True]), st.dates(),
                      st.datetimes(), JUNK)
TEXT = st.text(min_size=1, max_size=8)
#: (earlier, later) events a valid record keeps in order (models/project.py refuses the reverse)
ORDER = (("application", "approval"), ("contract_signed", "contract_filed"), ("contract_signed", "contract_end"),
         ("completion", "acceptance"), ("contract_signed", "acceptance"), ("acceptance", "acceptance_report_filed"),
         ("decommissioned", "decommission_filed"))


def _values(enum: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([m.value for m in enum])


BAD_ENUM = st.one_of(st.sampled_from(["City", "", "公共类", "CONSTRUCTION"]), JUNK)


def _fact_value(kind: FactType, values: tuple[str, ...]) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """A fact's (valid, wrong) values. Numbers stay finite and small (KNOWN)."""
    typed: dict[FactType, st.SearchStrategy[Any]] = {
        FactType.bool: st.booleans(),
        FactType.money: MONEY,
        FactType.ratio: RATIO,
        FactType.number: st.decimals(min_value=-(10**6), max_value=10**6, places=3),
        FactType.integer: st.integers(-(10**6), 10**6),
        FactType.string: st.text(max_size=10),
        FactType.enum: st.sampled_from(values or ("x",)),
        FactType.set: st.lists(st.sampled_from(values or ("x",)), max_size=3),
        FactType.date: st.one_of(st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 31)),
                                 st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)),
    }
    wrong = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), SAFE_TEXT, st.dates(),
                      st.lists(SAFE_TEXT, max_size=2), st.dictionaries(SAFE_TEXT, st.booleans(), max_size=1))
    return typed[kind], wrong


class _Picker:
    """Draws each field valid, or — one time in ``rate`` (never when 0) — wrong."""

    def __init__(self, draw: st.DrawFn, rate: int) -> None:
        self.draw = draw
        self.rate = rate

    def wrong(self) -> bool:
        return self.rate > 0 and self.draw(st.integers(0, self.rate - 1)) == 0

    def __call__(self, valid: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = JUNK) -> Any:
        return self.draw(bad) if self.wrong() else self.draw(valid)

    def some(self, keys: dict[str, Any]) -> dict[str, Any]:
        """A subset of ``keys`` (name → (valid, bad)), each drawn; now and then an unknown key too."""
        chosen = self.draw(st.lists(st.sampled_from(sorted(keys)), max_size=len(keys), unique=True)) if keys else []
        record = {name: self(*keys[name]) for name in chosen}
        if self.wrong():
            record[self.draw(st.sampled_from(["budgte", "acceptence", "amout", "scael", "statsu", "x"]))] = \
                self.draw(JUNK)
        return record

    def items(self, required: dict[str, Any], optional: dict[str, Any]) -> Any:
        if self.wrong():
            return self.draw(JUNK)
        result = []
        for _ in range(self.draw(st.integers(0, 3))):
            item = {name: self(*pair) for name, pair in required.items() if not self.wrong()}
            item.update(self.some(optional))
            result.append(item)
        return result


@st.composite
def _projects(draw: st.DrawFn) -> Any:
    """A project record: valid, or wrong here and there (a rate drawn per record), or not a record at all."""
    rate = draw(st.sampled_from([0, 0, 0, 60, 20, 5]))
    pick = _Picker(draw, rate)
    if rate and pick.wrong() and pick.wrong():
        return draw(JUNK)
    enum = {name: (_values(e), BAD_ENUM) for name, e in
            (("level", Level), ("execution", Execution), ("category", Category), ("nature", Nature))}
    project: dict[str, Any] = {"id": pick(TEXT), "name": pick(TEXT)}
    project.update(pick.some({
        "owner": (TEXT, JUNK), **enum, "budget": (MONEY, BAD_MONEY), "procurement_budget": (MONEY, BAD_MONEY)}))
    implied = {c.value: e.value for c, e in CATEGORY_EXECUTION.items()}
    category, execution = project.get("category"), project.get("execution")
    if isinstance(category, str) and category in implied and execution in ("construction", "service") \
            and not pick.wrong():
        project["execution"] = implied[category]  # consistent, unless wrong on purpose
    if draw(st.booleans()):
        project["funding"] = pick.items({"source": (_values(FundingSource), BAD_ENUM)}, {"amount": (MONEY, BAD_MONEY)})
    if draw(st.booleans()):
        dates = pick.some(dict.fromkeys(EVENT_NAMES, (EVENT, BAD_EVENT)))
        project["dates"] = dates if pick.wrong() else _in_order(dates)
    if draw(st.booleans()):
        project["systems"] = pick.items({"name": (TEXT, JUNK)}, {
            "status": (_values(SystemStatus), BAD_ENUM), "in_catalogue": (st.booleans(), JUNK),
            "facts": (st.just({}), st.dictionaries(st.sampled_from(["no_such_fact", "x"]), JUNK, max_size=1))})
    if draw(st.booleans()):
        project["budget_lines"] = pick.items(
            {"year": (st.integers(2010, 2030), st.one_of(st.integers(1985, 2105), JUNK)),
             "purpose": (_values(Purpose), BAD_ENUM)},
            {"amount": (MONEY, BAD_MONEY), "spent": (MONEY, BAD_MONEY),
             "carried_over_years": (st.integers(0, 5), st.one_of(st.integers(-2, 60), JUNK))})
    if draw(st.booleans()):
        project["changes"] = pick.items({}, {
            "scale": (RATIO, BAD_RATIO), "increases_investment": (st.booleans(), JUNK),
            "cause": (_values(ChangeCause), BAD_ENUM), "major": (st.booleans(), JUNK),
            "date": (DAY, BAD_EVENT), "description": (st.text(max_size=5), JUNK)})
    if draw(st.booleans()):
        project["facts"] = _facts_mapping(draw, pick)
    return project


def _in_order(dates: dict[str, Any]) -> dict[str, Any]:
    """The events moved later where the contract's order requires (a later event on or after an earlier one)."""
    def day(value: Any) -> Any:
        try:
            iso = isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
            return dt.date.fromisoformat(value) if iso else value
        except ValueError:
            return value  # a wrong value drawn on purpose: left as it is

    days = {k: day(v) for k, v in dates.items()}
    for _ in range(len(ORDER)):
        for earlier, later in ORDER:
            first, second = days.get(earlier), days.get(later)
            if type(first) is dt.date and type(second) is dt.date and second < first:
                days[later] = first
    return {k: (days[k].isoformat() if isinstance(v, str) and type(days[k]) is dt.date else days[k])
            for k, v in dates.items()}


def _facts_mapping(draw: st.DrawFn, pick: _Picker) -> Any:
    if pick.wrong():
        return draw(JUNK)
    catalogue = _facts()
    years = _year_facts()
    facts: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(catalogue)), max_size=12, unique=True)):
        if name in years:  # the year of an annual deadline: mostly plausible, now and then not a year at all
            facts[name] = pick(st.integers(2010, 2030), st.one_of(st.integers(-(10**6), 10**6), st.booleans(),
                                                                  st.just("明年")))
        else:
            facts[name] = pick(*_fact_value(*catalogue[name]))
    if pick.wrong():
        facts[draw(st.sampled_from(["no_such_fact", "gbt40692_systen", ""]))] = draw(JUNK)
    return facts


@cache
def _verdict_validator() -> Any:
    if jsonschema is None:  # pragma: no cover
        return None
    schema = json.loads((ROOT / "schemas" / "verdict.schema.json").read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


@_settings(60)
@given(project=_projects(), as_of=st.dates(dt.date(2017, 1, 1), dt.date(2026, 12, 31)))
def test_random_project_under_every_pack(project: Any, as_of: dt.date) -> None:
    before = repr(project)
    snapshot = copy.deepcopy(project)
    for pid, pack in _packs().items():
        try:
            verdict = evaluate(snapshot, pack, as_of=as_of)
        except GovrulesError as error:
            event(f"refused: {error.code}")
            try:  # the same error again: errors are deterministic too
                evaluate(snapshot, pack, as_of=as_of)
            except GovrulesError as again:
                assert again.to_dict() == error.to_dict()
            else:  # pragma: no cover
                raise AssertionError(f"{pid}: raised once, not twice")
            continue
        event(f"verdict: {pid}")
        dumped = verdict.model_dump(mode="json")
        assert evaluate(snapshot, pack, as_of=as_of).model_dump(mode="json") == dumped, pid
        json.dumps(dumped, ensure_ascii=False)
        validator = _verdict_validator()
        if validator is not None:
            problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(dumped)]
            assert not problems, (pid, problems[:5])
    assert repr(snapshot) == before, "evaluate() changed its input"


# --------------------------------------------------------------------------------------------------
# (c) mutated project files

EXAMPLE = (ROOT / "examples" / "chuxiong-data-platform.yaml").read_text("utf-8")


@_settings(100)
@given(raw=_mutations(EXAMPLE))
def test_mutated_project_file_loads_or_raises_project_error(raw: bytes, tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "project.yaml"
    path.write_bytes(raw)
    try:
        project = load_project(path)
    except ProjectError as error:
        event("refused")
        assert error.errors and error.message
        return
    event("loaded")
    try:
        evaluate(project, _packs()["chuxiong-2025"], as_of=dt.date(2025, 9, 1))
    except GovrulesError as error:
        event(f"evaluation refused: {error.code}")


# --------------------------------------------------------------------------------------------------
# (d) forged compiled-cache entries

#: A file that exists only if code from a forged entry ran.
MARK = Path(tempfile.gettempdir()) / f"govrules-fuzz-ran-{os.getpid()}"
PAYLOADS = [f"route.approval\n    import os; os.system('touch {MARK}')\n    #",
            f"x\n        import os; os.system('touch {MARK}')\n        #", f"__import__('os').system('touch {MARK}')",
            f"x')\nopen('{MARK}', 'w')\n('", "'\"\\", "\r\n", "\u2028", "\x00", "a" * 300, "route.approval",
            "exc.law", "ground.no_sharing", "shares_data", "Route", "1", "", "sha256:0", "1e999", "-1", "0.0000001",
            "2025-02-30", "construction", "python"]
SMALL_PROJECT = {"id": "p", "name": "n", "execution": "construction", "budget": 400_000, "owner": "某局",
                 "facts": {"shares_data": False, "required_by_law": None}}


@cache
def _cache_entry() -> tuple[str, bytes, str, Any]:
    """A private cache folder holding the minimal pack's entry: (folder, pack bytes, source path, data)."""
    from govrules.compile import cache as compiled_cache

    folder = tempfile.mkdtemp(prefix="govrules-fuzz-cache-")
    atexit.register(shutil.rmtree, folder, True)
    raw = MINIMAL_PACK.encode("utf-8")
    source = str(Path(folder) / "mini.yaml")
    with mock.patch.dict(os.environ, {"GOVRULES_CACHE_DIR": folder}):
        compiled_cache.store(raw, load_pack_text(raw, file="mini.yaml"), source=source)
        entry = Path(folder) / f"{compiled_cache.cache_key(raw, source)}.json"
        data = compiled_cache.decode(entry.read_bytes().partition(b"\n")[2])[0]
    return folder, raw, source, data


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


@st.composite
def _forged(draw: st.DrawFn) -> tuple[Any, bool, bool]:
    """The entry's data with one to three values replaced; whether to sign it with the user's key; and
    whether to make its pack digest match the forged pack (as someone who knows the format would)."""
    data = copy.deepcopy(_cache_entry()[3])
    paths = [p for p in _leaves(data) if p and p[0] != "format"]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        value = draw(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=12), st.integers(-2, 10**6), st.none(),
                               st.booleans(), st.just([]), st.just({}), st.sampled_from(PAYLOADS).map(lambda s: [s])))
        target = data
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed the path
    return data, draw(st.booleans()), draw(st.booleans())


@_settings(150)
@given(forged=_forged())
def test_a_forged_cache_entry_runs_nothing(forged: tuple[Any, bool, bool]) -> None:
    """Unsigned, a forged entry is never used. Signed with the user's key (someone who can read it can
    edit the user's packs too), it is used only if it holds what validation allows (ids and names on
    their patterns, the digest of the pack it holds), and evaluating it never runs its text."""
    import hashlib

    from govrules.compile import cache as compiled_cache

    data, signed, fix_digest = forged
    folder, raw, source, _ = _cache_entry()
    if fix_digest and isinstance(data.get("pack"), dict):
        canonical = json.dumps(data["pack"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        data["digest"] = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    body = compiled_cache.encode(data)
    key = compiled_cache.cache_key(raw, source)
    secret = compiled_cache._secret(Path(folder), create=False)
    assert secret is not None
    header = (compiled_cache._header(secret, key, body) if signed
              else b"govrules-cache/3 hmac-sha256:" + hashlib.sha256(key.encode() + b"\n" + body).hexdigest().encode())
    (Path(folder) / f"{key}.json").write_bytes(header + b"\n" + body)
    with mock.patch.dict(os.environ, {"GOVRULES_CACHE_DIR": folder}):
        loaded = compiled_cache.load(raw, "mini.yaml", source=source)
    if not signed:
        assert loaded is None
        return
    if loaded is None:
        event("signed, refused")
        return
    event("signed, used")
    assert all(re.fullmatch(r"[a-z][a-z0-9_.\-]*", r.id) for r in loaded.pack.rules)
    canonical = json.dumps(loaded.pack.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    assert loaded.digest == "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    for budget in range(4):  # the generated functions are built from the third verdict on
        for trace in (False, True):
            try:
                evaluate({**SMALL_PROJECT, "budget": 400_000 + budget}, loaded, dt.date(2025, 9, 1), trace=trace)
            except Exception:  # a signed entry may describe a pack that fails: it must not run code
                event("signed, evaluation failed")
    assert not MARK.exists()
# (d) values of one class each: dates, amounts and ratios, counts, and text shown on a terminal

_DATE_TEXT = re.compile(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})\s*")


def _real_day(text: str) -> dt.date | None:
    match = _DATE_TEXT.fullmatch(text)
    if match is None or len(text) > 40:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


@_settings(300)
@given(text=st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.dates().map(lambda d: "{}-W{:02d}-{}".format(*d.isocalendar())),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.from_regex(r"\A[0-9０-９W:T -]{0,14}\Z"),
))
def test_a_date_is_yyyy_mm_dd_of_a_real_day_or_refused(text: str) -> None:
    """Only YYYY-MM-DD naming a day that exists is read, and read as that day; a day that does not exist
    is called so."""
    from govrules.models.project import Project

    expected = _real_day(text)
    try:
        project = Project.model_validate({"id": "p", "name": "n", "dates": {"contract_signed": text}})
    except Exception as exc:  # pydantic's ValidationError
        assert expected is None, (text, exc)
        if _DATE_TEXT.fullmatch(text) and "0000-" not in text and not re.search(r"-(00|1[3-9]|[2-9][0-9])-", text):
            assert "does not exist" in str(exc), str(exc)
        return
    assert project.dates.contract_signed == expected, text


_SPACES = st.sampled_from([" ", "\t", "\u3000", "\n"])


@_settings(300)
@given(parts=st.lists(st.one_of(st.text(_SPACES, max_size=300), st.from_regex(r"\A[0-9,.%万亿元人民币¥x-]{0,6}\Z")),
                      max_size=6))
def test_amounts_and_ratios_refuse_or_read_without_echoing_much(parts: list[str]) -> None:
    """Runs of spaces around digits and units made the old patterns backtrack; a value over 100 characters
    is refused outright, and a message quotes at most 40 characters of the value."""
    from govrules.models.money import MAX_TEXT, MoneyFormatError, parse_count, parse_money, parse_ratio

    text = "".join(parts)
    for parse in (parse_money, parse_ratio, parse_count):
        try:
            value = parse(text)
        except MoneyFormatError as exc:
            assert len(str(exc)) < 260, str(exc)
            if len(text) > MAX_TEXT:
                assert "too long" in str(exc)
            continue
        assert len(text) <= MAX_TEXT and value.is_finite() and not value.is_signed()
        if parse is parse_count:
            assert value == value.to_integral_value() and value >= 1


@_settings(200)
@given(value=st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10, max_value=1e6),
                       st.integers(-5, 10**6), st.floats(-5, 1e6, allow_nan=False)))
def test_a_count_is_whole_and_positive_or_refused(value: Any) -> None:
    from govrules.models.money import MoneyFormatError, parse_count

    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        count = parse_count(value)
    except MoneyFormatError:
        assert number != number.to_integral_value() or number < 1
        return
    assert count == number and count == count.to_integral_value() and count >= 1


_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
                              "\ud800-\udfff]")


@_settings(300)
@given(text=st.text(st.characters(codec=None), max_size=60))
def test_printable_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    """Whatever a value holds, a message shows it without a control character; safe text is unchanged."""
    from govrules.printable import json_printable, printable, shorten

    shown = printable(text)
    assert not _TERMINAL_UNSAFE.search(shown)
    assert not _TERMINAL_UNSAFE.search(printable(text, newlines=True).replace("\n", ""))
    assert not _TERMINAL_UNSAFE.search(shorten(text, 10))
    if not _TERMINAL_UNSAFE.search(text):
        assert shown == text
    dumped = json.dumps({"v": text}, ensure_ascii=False)
    safe = json_printable(dumped)
    assert not _TERMINAL_UNSAFE.search(safe) and json.loads(safe) == {"v": text}
