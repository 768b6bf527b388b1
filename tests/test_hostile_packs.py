"""Hostile packs: nothing a pack file contains may run code, hang the process or crash it.

Every case below is refused when the pack loads, with :class:`govrules.PackError` whose diagnostics
carry the file, line and column, in bounded time. The time bound (``HANG_GUARD``) is a guard against
hangs, not a speed claim. The cases are small files under ``tests/fixtures/hostile/`` (whose second
line says ``# expect: CODE… at LINE:COL``) where a file is natural, and generators here where the
pack must be built (a payload naming ``tmp_path``, a file over 2 MB, 5,000 clauses).

Cases marked ``xfail(strict=True)`` are known bugs outside the YAML layer: the test states the
correct behaviour, and starts failing (XPASS) the day the bug is fixed, so that the mark is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from govrules import GovrulesError, PackError, evaluate
from govrules.compile.loading import load_pack_text
from govrules.packs.yaml_io import Limits

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
FILE = "hostile.yaml"
#: Seconds. A hang guard only: every refusal here takes well under a second on a laptop.
HANG_GUARD = 5.0

Build = Callable[[str, Path], "str | bytes"]


@dataclass(frozen=True)
class Hostile:
    """One hostile pack: how to build it from the minimal pack, and how it must be refused."""

    id: str
    build: Build
    codes: frozenset[str]  # the refusal carries at least one of these diagnostic codes
    marker: str | None = None  # the refusal points at the line holding this text (and its column)
    column: bool = True  # also check the column of the marker
    payload: bool = False  # a Python tag whose payload would create tmp_path / "pwned"
    xfail: str | None = None  # a known bug: why the correct refusal does not happen yet
    raises: type[BaseException] | None = None  # what escapes instead (for the xfail)


def _sub(old: str, new: str) -> Build:
    """Replace ``old`` (which must occur) in the minimal pack; ``{p}`` in ``new`` is the payload file."""

    def build(base: str, tmp: Path) -> str:
        assert old in base, old
        return base.replace(old, new.replace("{p}", str(tmp / "pwned")), 1)

    return build


def _condition(expression: str) -> Build:
    """The minimal pack with its first condition's `budget >= threshold` replaced."""
    return _sub("budget >= threshold", expression)


def _append(text: str) -> Build:
    return lambda base, tmp: base + text


TITLE = "title: 示例办法"
ISSUER = "issuer: 示例市人民政府办公室"


def _python_tags() -> list[Hostile]:
    tag = frozenset({"yaml.tag"})
    return [
        Hostile("python-apply-os-system", _sub(TITLE, 'title: !!python/object/apply:os.system ["touch {p}"]'), tag,
                "!!python", payload=True),
        Hostile("python-apply-open", _sub(TITLE, 'title: !!python/object/apply:builtins.open ["{p}", "w"]'), tag,
                "!!python", payload=True),
        Hostile("python-new-popen", _sub(TITLE, 'title: !!python/object/new:subprocess.Popen [["touch", "{p}"]]'),
                tag, "!!python", payload=True),
        Hostile("python-apply-exec-in-condition",
                _sub("when: required_by_law", "when: !!python/object/apply:builtins.exec [\"open('{p}', 'w')\"]"),
                tag, "!!python", payload=True),
        Hostile("python-name", _sub(TITLE, "title: !!python/name:os.system"), tag, "!!python"),
        Hostile("python-module", _sub(ISSUER, "issuer: !!python/module:os"), tag, "!!python"),
        Hostile("python-verbatim-tag",
                _sub(TITLE, 'title: !<tag:yaml.org,2002:python/object/apply:os.system> ["touch {p}"]'), tag, "!<",
                payload=True),
        Hostile("python-tag-directive",
                lambda base, tmp: "%TAG !py! tag:yaml.org,2002:python/\n---\n" + _sub(
                    TITLE, 'title: !py!object/apply:os.system ["touch {p}"]')(base, tmp), tag, "!py!object",
                payload=True),
        Hostile("python-tag-on-a-key", _sub(TITLE, '!!python/object/apply:os.system ["touch {p}"]: 1\n' + TITLE),
                frozenset({"yaml.key"}), "!!python", payload=True),
        Hostile("python-tag-in-a-list", _sub("unless: [exc.law]", 'unless: [!!python/object/apply:os.system '
                                             '["touch {p}"]]'), tag, "!!python", payload=True),
        Hostile("binary-tag", _sub(TITLE, "title: !!binary 5aSn"), tag, "!!binary"),
        Hostile("set-tag", _sub(TITLE, "title: !!set {a, b}"), tag, "!!set"),
    ]


def _aliases_and_keys() -> list[Hostile]:
    return [
        Hostile("anchor-and-alias", lambda base, tmp: base.replace(TITLE, "title: &t 示例办法").replace(
            ISSUER, "issuer: *t"), frozenset({"yaml.alias"}), "&t"),
        Hostile("anchor-on-a-key", _sub(TITLE, "&k " + TITLE), frozenset({"yaml.alias"}), "&k"),
        Hostile("anchor-on-a-key-and-alias-as-a-key", _sub(TITLE, "&k " + TITLE + "\n*k : 示例"),
                frozenset({"yaml.alias"}), "&k"),
        Hostile("nested-duplicate-key", _sub("{name: 示例市, level: city}", "{name: 示例市, level: city, name: 别处}"),
                frozenset({"yaml.duplicate_key"}), "name: 别处"),
        Hostile("boolean-key", _sub(TITLE, "true: 1\n" + TITLE), frozenset({"yaml.key"}), "true: 1"),
        Hostile("integer-key", _sub(TITLE, "1: 1\n" + TITLE), frozenset({"yaml.key"}), "1: 1"),
        Hostile("complex-key", _sub(TITLE, "? [a, b]\n: 1\n" + TITLE), frozenset({"yaml.key"}), "[a, b]"),
    ]


def _depth_and_size() -> list[Hostile]:
    deep = frozenset({"yaml.too_deep"})
    big = frozenset({"yaml.too_large"})
    indented = "".join(f"{'  ' * i}k{i}:\n" for i in range(100)) + "  " * 100 + "end\n"
    return [
        Hostile("10000-nested-brackets", _append("x: " + "[" * 10_000 + "]" * 10_000 + "\n"), deep, "x: [",
                column=False),
        Hostile("10000-unclosed-brackets", _append("x: " + "[" * 10_000 + "\n"), deep, "x: [", column=False),
        Hostile("10000-nested-braces", _append("x: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n"), deep, "x: {",
                column=False),
        Hostile("100-indented-levels", _append(indented), deep),
        Hostile("over-2mb-bytes", lambda base, tmp: (base + "# " + "x" * 2_100_000 + "\n").encode(), big, "format:"),
        Hostile("over-2mb-text", _append("# " + "x" * 2_100_000 + "\n"), big, "format:"),
        # fewer than 2,000,000 characters, but 2,100,000 bytes once encoded
        Hostile("over-2mb-utf8-of-cjk", _append("# " + "字" * 700_000 + "\n"), big, "format:"),
        Hostile("scalar-over-100000-chars", _sub(TITLE, "title: " + "长" * 100_001), frozenset({"yaml.too_long"}),
                "长"),
        Hostile("5000-digit-integer", _sub("value: 500000", "value: " + "9" * 5000), frozenset({"yaml.number"}),
                "9999"),
        Hostile("billion-digit-decimal", _sub("value: 500000", "value: 1e999999999"), frozenset({"yaml.number"}),
                "1e999999999"),
        Hostile("nan", _sub("value: 500000", "value: .nan"), frozenset({"yaml.number"}), ".nan"),
    ]


def _encodings() -> list[Hostile]:
    enc = frozenset({"yaml.encoding"})
    return [
        Hostile("latin-1-byte", lambda base, tmp: base.encode() + b"source: caf\xe9\n", enc, "\ufffd"),
        Hostile("utf-16", lambda base, tmp: base.encode("utf-16"), enc),
        Hostile("overlong-utf-8", lambda base, tmp: base.encode() + b"source: \xc0\xaf\n", enc, "\ufffd"),
        Hostile("encoded-surrogate", lambda base, tmp: base.encode() + b"source: \xed\xa0\x80\n", enc, "\ufffd"),
        Hostile("nul-character", _append("source: a\x00b\n"), frozenset({"yaml.character"}), "\x00"),
        Hostile("nul-byte", lambda base, tmp: (base + "source: a\x00b\n").encode(), frozenset({"yaml.character"}),
                "\x00"),
        Hostile("escape-character", _append("source: \x1b[31m\n"), frozenset({"yaml.character"}), "\x1b"),
    ]


def _yaml_versions() -> list[Hostile]:
    """YAML 1.1 reads `0600000` as octal, `8:20:00` as sexagesimal and `yes`/`on` as true: never in a pack."""
    version = frozenset({"yaml.version"})
    return [
        Hostile("yaml-1.1-octal",
                lambda base, tmp: "%YAML 1.1\n---\n" + base.replace("value: 500000", "value: 0600000"),
                version, "%YAML"),
        Hostile("yaml-1.1-sexagesimal", lambda base, tmp: "# a comment first\n%YAML 1.1\n---\n"
                + base.replace("value: 500000", "value: 8:20:00"), version, "%YAML"),
        Hostile("yaml-1.1-yes", lambda base, tmp: "%YAML 1.1\n---\n" + base.replace("informational: 施行日期",
                                                                                  "informational: yes"),
                version, "%YAML"),
        Hostile("explicit-bool-yes", _sub("informational: 施行日期", "informational: !!bool yes"),
                frozenset({"yaml.scalar"}), "!!bool"),
        Hostile("a-day-that-does-not-exist", _sub("issued: 2025-01-01", "issued: 2025-02-29"),
                frozenset({"yaml.date"}), "2025-02-29"),
    ]


def _date_literals() -> list[Hostile]:
    """rule-engine reads d'...' with dateutil's isoparse: d'2025-W01-1' would be 2024-12-30."""
    refused = frozenset({"condition.syntax"})
    return [Hostile(f"date-literal-{name}", _condition(f"budget >= threshold and as_of >= {literal}"), refused,
                    literal)
            for name, literal in (("basic-format", "d'20250101'"), ("iso-week", "d'2025-W01-1'"),
                                  ("ordinal", 'd"2025-001"'), ("29-february-2025", "d'2025-02-29'"),
                                  ("with-a-time", "d'2025-01-01 08:00'"))]


RECURSION = ("compiler.compile_condition calls rule_engine.Rule(), whose recursive-descent AST builder raises "
             "RecursionError on deeply nested or very long expressions; only rule-engine's own errors are caught, "
             "so the RecursionError escapes load_pack_text (should be PackError condition.* with a location)")
OVERFLOW = ("rule-engine parses t'P99999999999999D' with timedelta(), which raises OverflowError inside "
            "compiler.compile_condition; it escapes load_pack_text instead of a PackError condition.*")
CONDITION = frozenset({"condition.syntax", "condition.type", "condition.unsupported", "condition.not_boolean",
                       "condition.too_complex", "condition.too_deep", "condition.too_long", "condition.number"})


def _conditions() -> list[Hostile]:
    unsupported = frozenset({"condition.unsupported"})
    # refused, whatever the code: rule-engine's type checker meets some of these before govrules' lowering does
    refused = frozenset({"condition.unsupported", "condition.type", "condition.builtin", "condition.unknown_symbol"})
    return [
        # 5,000 clauses of `budget >= threshold` are 120,000 characters: refused by the scalar limit
        Hostile("5000-long-and-clauses", _condition(" and ".join(["budget >= threshold"] * 5000)),
                frozenset({"yaml.too_long"}), "budget >= threshold and", column=False),
        Hostile("5000-and-clauses", _condition(" and ".join(["shares_data"] * 5000)), CONDITION),
        Hostile("5000-or-clauses", _condition(" or ".join(["shares_data"] * 5000)), CONDITION),
        Hostile("5000-term-sum", _condition("budget >= " + " + ".join(["threshold"] * 5000)), CONDITION),
        Hostile("500-nested-parentheses", _condition("(shares_data and " * 500 + "shares_data" + ")" * 500),
                CONDITION),
        Hostile("500-nested-not", _condition("not " * 500 + "shares_data"), CONDITION),
        Hostile("huge-duration-literal", _condition("as_of > effective_date + t'P99999999999999D'"), CONDITION),
        # the regex refusals point at the start of the condition (the lowering has no offset for them)
        Hostile("regex-match", _condition("budget >= threshold and owner =~ '(a+)+$'"), unsupported, "owner =~",
                column=False),
        Hostile("regex-search", _condition("budget >= threshold and owner =~~ '(a+)+$'"), unsupported, "owner =~~",
                column=False),
        Hostile("regex-not-match", _condition("budget >= threshold and owner !~ '(a+)+$'"), unsupported, "owner !~",
                column=False),
        Hostile("regex-not-search", _condition("budget >= threshold and owner !~~ '(a+)+$'"), unsupported,
                "owner !~~", column=False),
        Hostile("attribute-dunder-init-globals", _condition("owner.__init__.__globals__ == 'x'"), refused),
        Hostile("attribute-of-mapping", _condition("dates.__class__ == 'x'"), refused),
        Hostile("attribute-legitimate-in-rule-engine", _condition("owner.as_lower == 'x'"), refused),
        Hostile("subscript-dunder", _condition("owner['__class__'] == 'x'"), refused),
        Hostile("python-call", _condition("__import__('os').system('touch /tmp/x') == 0"), refused),
        Hostile("builtin-symbol", _condition("$now > as_of"), refused),
        Hostile("comprehension", _condition("[x for x in funding_sources if x == 'central']"),
                refused | {"condition.not_boolean"}),
    ]


def _fixture_files() -> list[Hostile]:
    cases = []
    for path in sorted(HOSTILE.glob("*.yaml")):
        header = path.read_bytes().split(b"\n", 2)[1].decode("ascii")
        match = re.fullmatch(r"# expect: ([\w. ]+?) at (\d+):(\d+)", header)
        assert match, f"{path.name}: the second line must be `# expect: CODE… at LINE:COL`"
        codes, line, column = match.group(1).split(), int(match.group(2)), int(match.group(3))

        def build(base: str, tmp: Path, path: Path = path) -> bytes:
            return path.read_bytes()

        cases.append(Hostile(f"file:{path.name}", build, frozenset(codes), marker=f"@{line}:{column}"))
    return cases


CASES = [*_fixture_files(), *_python_tags(), *_aliases_and_keys(), *_depth_and_size(), *_encodings(),
         *_conditions(), *_yaml_versions(), *_date_literals()]


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, raises=case.raises, reason=case.xfail)] if case.xfail else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def _expected_position(text: str, marker: str) -> tuple[int, int]:
    """The line and column of ``marker`` (``@L:C`` gives them directly)."""
    if marker.startswith("@"):
        line, column = marker[1:].split(":")
        return int(line), int(column)
    for number, row in enumerate(text.splitlines(), 1):
        if marker in row:
            return number, row.index(marker) + 1
    raise AssertionError(f"marker {marker!r} not in the pack")


@pytest.mark.parametrize("case", _params())
def test_hostile_pack_is_refused_with_a_position(case: Hostile, minimal_pack_text: str, tmp_path: Path) -> None:
    raw = case.build(minimal_pack_text, tmp_path)
    start = time.perf_counter()
    with pytest.raises(PackError) as info:
        load_pack_text(raw, file=FILE)
    elapsed = time.perf_counter() - start
    error = info.value
    assert elapsed < HANG_GUARD, f"{case.id}: {elapsed:.1f} s"
    assert error.diagnostics, error.message
    codes = {d.code for d in error.diagnostics}
    assert codes & case.codes, f"{case.id}: {sorted(codes)}, expected one of {sorted(case.codes)}"
    total_lines = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).count("\n") + 1
    for diagnostic in error.diagnostics:
        where = diagnostic.to_dict()
        assert where["file"] == FILE and where["line"] >= 1 and where["column"] >= 1, where
        assert where["line"] <= total_lines, where
    assert str(error).startswith(f"{FILE}:")
    if case.marker is not None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        line, column = _expected_position(text, case.marker)
        first = next(d for d in error.diagnostics if d.code in case.codes)
        assert first.location is not None and first.location.line == line, (str(first), line)
        if case.column:
            assert first.location.column == column, (str(first), column)
    if case.payload:
        assert "pwned" in (raw if isinstance(raw, str) else raw.decode())
        assert not (tmp_path / "pwned").exists(), "the payload ran"


def test_the_payloads_are_live(tmp_path: Path) -> None:
    """Control: an unsafe loader would run the payload, so the `not exists` checks above mean something."""
    target = tmp_path / "pwned"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            unsafe = YAML(typ="unsafe", pure=True)
            handle = unsafe.load(f'!!python/object/apply:builtins.open ["{target}", "w"]')
        except Exception as exc:  # pragma: no cover - a ruamel.yaml without an unsafe loader
            pytest.skip(f"this ruamel.yaml has no unsafe loader to compare with: {exc}")
    handle.close()
    assert target.exists()


def test_redundant_parentheses_500_deep_are_harmless(minimal_pack_text: str) -> None:
    """500 parentheses around a valid condition add no depth to the AST: the pack loads and means the same."""
    plain = load_pack_text(minimal_pack_text, file=FILE)
    start = time.perf_counter()
    wrapped = load_pack_text(minimal_pack_text.replace("budget >= threshold", "(" * 500 + "budget >= threshold"
                                                       + ")" * 500), file=FILE)
    assert time.perf_counter() - start < HANG_GUARD
    for budget in (0, 499_999, 500_000):
        project = {"id": "p", "name": "n", "execution": "construction", "budget": budget}
        a = evaluate(project, plain, as_of=dt.date(2025, 9, 1)).route.decision
        b = evaluate(project, wrapped, as_of=dt.date(2025, 9, 1)).route.decision
        assert a == b


def test_value_limit_is_enforced_while_composing() -> None:
    """A file of 900,000 values is refused at the first value past the limit, not after composing them all."""
    text = "x: [" + ",".join(["1"] * 900_000) + "]\n"  # 1.8 MB: under the size limit
    start = time.perf_counter()
    with pytest.raises(PackError) as info:
        load_pack_text(text, file=FILE, limits=Limits(max_nodes=1_000))
    assert time.perf_counter() - start < HANG_GUARD
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == "yaml.too_many_nodes"
    assert diagnostic.location is not None and diagnostic.location.line == 1


# --------------------------------------------------------------------------------------------------
# Packs that load but are hostile to the evaluator: deadlines whose arithmetic leaves the calendar.

OBLIGATION = """\
  - id: obligation.report
    kind: obligation
    title: 报送
    action: 报送
    when: budget >= threshold
    deadline: {DEADLINE}
    cite: {article: 1}
"""
DEADLINE_BUG = ("the evaluator computes relative deadlines with relativedelta and catches only CalendarDataMissing "
                "(evaluator._Evaluation._due); models/pack.Deadline bounds no count, so the date arithmetic's "
                "ValueError/OverflowError escapes evaluate()")


def _deadline_bug(escapes: type[BaseException]) -> Any:
    return pytest.mark.xfail(strict=True, raises=escapes, reason=DEADLINE_BUG)


@pytest.mark.parametrize(
    "deadline",
    [
        pytest.param("{month: 2, day: 30}", id="30-february"),
        pytest.param("{month: 6, day: 30, year_offset: 1000000}", id="year-offset-beyond-9999"),
        pytest.param("{month: 6, day: 30, year_from: budget}", id="year-from-an-amount"),
        pytest.param("{after: contract_signed, days: 1000000000}", id="a-billion-days",
                     ),
        pytest.param("{after: contract_signed, months: 1000000000}", id="a-billion-months",
                     ),
        pytest.param("{after: contract_signed, years: 10000}", id="ten-thousand-years",
                     ),
    ],
)
def test_hostile_deadline_never_crashes_evaluation(deadline: str, minimal_pack_text: str) -> None:
    text = minimal_pack_text + OBLIGATION.replace("{DEADLINE}", deadline)
    project = {"id": "p", "name": "n", "execution": "construction", "budget": 600_000,
               "dates": {"contract_signed": "2025-01-06"}}
    try:
        pack = load_pack_text(text, file=FILE)
    except PackError as error:  # refusing the pack is a correct outcome too
        assert all(d.location is not None for d in error.diagnostics)
        return
    with contextlib.suppress(GovrulesError):
        evaluate(project, pack, as_of=dt.date(2025, 9, 1))


def test_impossible_annual_deadline_is_refused_at_load(minimal_pack_text: str) -> None:
    with pytest.raises(PackError) as info:
        load_pack_text(minimal_pack_text + OBLIGATION.replace("{DEADLINE}", "{month: 2, day: 30}"), file=FILE)
    assert all(d.location is not None for d in info.value.diagnostics)


@pytest.mark.parametrize("c_parser", [True, False], ids=["libyaml", "pure"])
def test_yaml_1_1_directive_refused_on_both_paths(c_parser: bool, minimal_pack_text: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from govrules.packs import yaml_io

    if not c_parser:
        monkeypatch.setattr(yaml_io, "_CParser", None)
    text = "%YAML 1.1\n---\n" + minimal_pack_text.replace("value: 500000", "value: 0600000")
    with pytest.raises(PackError) as info:
        load_pack_text(text, file=FILE)
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == "yaml.version" and str(diagnostic).startswith(f"{FILE}:1:1: ")
    assert "1.2" in diagnostic.message
    # YAML 1.2 said explicitly keeps 1.2's reading: 0600000 is six hundred thousand
    plain = load_pack_text("%YAML 1.2\n---\n" + minimal_pack_text.replace("value: 500000", "value: 0600000"),
                           file=FILE)
    assert plain.pack.parameters[0].value == 600_000


def test_a_pack_file_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    """A 300 MB pack was read whole (326 MB of memory) before the 2 MB limit was checked: now at most the
    limit and one byte are read. Measured by the memory Python allocates, not by time."""
    import tracemalloc

    from govrules.analysis.lint import check_pack
    from govrules.compile.loading import load_pack

    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:  # sparse: 100 MB that take no disk
        handle.truncate(100_000_000)
    for load in (load_pack, check_pack):
        tracemalloc.start()
        try:
            with pytest.raises(PackError) as info:
                load(str(big))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert [d.code for d in info.value.diagnostics] == ["yaml.too_large"]
        assert "larger than 2000000 bytes" in str(info.value)
        assert peak < 20_000_000, peak


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_case_file_is_read_no_further_than_the_limit() -> None:
    """`/dev/zero` has no end: reading it whole ends in MemoryError."""
    from govrules import CaseError
    from govrules.testing.cases import load_case_file

    with pytest.raises(CaseError, match="larger than 2000000 bytes"):
        load_case_file("/dev/zero")


def test_read_bounded_reads_the_limit_and_one_byte(tmp_path: Path) -> None:
    from govrules.packs.yaml_io import read_bounded

    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 1000)
    assert read_bounded(path, 10) == b"x" * 11
    assert read_bounded(path, 5000) == b"x" * 1000


def test_docs_limits_states_each_size_limit_once_as_the_code_has_it() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text("utf-8")
    assert text.count("- **Size**") == 1
    size = text.split("- **Size**")[1].split("\n- ")[0]
    limits = Limits()
    for name in ("max_bytes", "max_depth", "max_nodes", "max_scalar_chars", "max_number_digits"):
        assert f"`{name}`" in size, name
    for value, words in ((limits.max_bytes, "bytes per file"), (limits.max_depth, "nesting depth"),
                         (limits.max_nodes, "values"), (limits.max_scalar_chars, "characters per scalar"),
                         (limits.max_number_digits, "digits per number")):
        shown = f"{value:,}"
        assert re.search(rf"{re.escape(shown)} {words}|{words} {re.escape(shown)}", " ".join(size.split())), words
