"""The C path and the pure path of ``yaml_io.load_yaml`` give the same result, whatever the file.

``load_yaml`` reads with libyaml's parser (ruamel.yaml.clib) when it is installed, and with
ruamel.yaml's pure-Python parser otherwise, or whenever the file holds something the C path leaves to
the pure path. The pure path is the reference. Here every YAML file in the repository (bundled packs,
their cases, vocabulary, examples, test fixtures), every hostile pack, a list of YAML corner cases and
hypothesis-mutated packs are read both ways, and the outcomes must be identical: the same data (with
the same types), the same positions and key positions (in the same order), or the same diagnostics.
The bundled packs and examples must also be read by the C path itself, not handed to the pure path,
since that is what keeps loading fast.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_PACK
from govrules.packs import yaml_io
from govrules.packs.yaml_io import DEFAULT_LIMITS, Limits, YamlInputError

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted({*ROOT.glob("src/govrules/policies/*.yaml"), *ROOT.glob("examples/**/*.yaml"),
                     *ROOT.glob("tests/fixtures/**/*.yaml")})
#: Files the C path must read itself: everything but the deliberately broken or hostile fixtures.
FAST_FILES = [p for p in YAML_FILES if "fixtures" not in p.parts]


def _typed(value: Any) -> Any:
    """``value`` with the type of every leaf spelled out (``1 == Decimal(1) == True`` otherwise)."""
    if isinstance(value, dict):
        return ("dict", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    assert value is None or isinstance(value, (str, int, bool, Decimal, dt.date)), type(value)
    return (type(value).__name__, str(value))


def _load_pure(text: str, file: str, limits: Limits) -> yaml_io.Document:
    """``load_yaml`` as it reads without ruamel.yaml.clib."""
    saved, yaml_io._CParser = yaml_io._CParser, None
    try:
        return yaml_io.load_yaml(text, file, limits)
    finally:
        yaml_io._CParser = saved


def _outcome(load: Any, text: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    try:
        document = load(text, "f.yaml", limits)
    except YamlInputError as exc:
        return ("refused", [(d.to_dict(), str(d)) for d in exc.diagnostics])
    return ("read", _typed(document.data), list(document.positions.items()), list(document.key_positions.items()),
            sorted(document.flow_mappings, key=repr))


def _assert_same(text: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Both paths agree on ``text``; the outcome."""
    assert yaml_io._CParser is not None
    expected = _outcome(_load_pure, text, limits)
    assert _outcome(yaml_io.load_yaml, text, limits) == expected
    return expected


def _c_path_reads(text: str, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether the C path reads ``text`` itself (rather than leaving it to the pure path)."""
    if yaml_io._PURE_ONLY.search(text):
        return False
    try:
        yaml_io._load_events(text, "f.yaml", limits)
    except yaml_io._UsePure:
        return False
    except (YamlInputError, yaml_io._LimitExceeded):
        pass
    return True


def test_the_c_parser_is_installed() -> None:
    """ruamel.yaml.clib is a dependency: without it every test here would compare the pure path with itself."""
    assert yaml_io._CParser is not None, "install ruamel.yaml.clib (pip install -e .)"


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_reads_the_same_both_ways(path: Path) -> None:
    try:
        text = yaml_io.read_text(path.read_bytes(), "f.yaml")
    except YamlInputError:
        return  # not UTF-8: refused before either parser runs
    _assert_same(text)


@pytest.mark.parametrize("path", FAST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_c_path_reads_the_bundled_files_itself(path: Path) -> None:
    text = yaml_io.read_text(path.read_bytes(), "f.yaml")
    assert _c_path_reads(text)
    assert _outcome(yaml_io._load_events, text) == _outcome(_load_pure, text)


def test_without_the_c_parser_load_yaml_takes_the_pure_path(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "src" / "govrules" / "policies" / "chuxiong-2025.yaml").read_text("utf-8")
    with_c = _outcome(yaml_io.load_yaml, text)

    def no_c(*args: Any) -> Any:
        raise AssertionError("the C path ran")

    monkeypatch.setattr(yaml_io, "_CParser", None)
    monkeypatch.setattr(yaml_io, "_load_events", no_c)
    assert _outcome(yaml_io.load_yaml, text) == with_c


def test_hostile_packs_are_refused_the_same_both_ways(tmp_path: Path) -> None:
    from test_hostile_packs import CASES

    for case in CASES:
        raw = case.build(MINIMAL_PACK, tmp_path)
        try:
            text = yaml_io.read_text(raw, "f.yaml") if isinstance(raw, bytes) else raw
        except YamlInputError:
            continue
        _assert_same(text)


CORNER_CASES = [
    # empty values: libyaml places them after the `:`, ruamel at the next token
    "a:\nb: 1\n", "a:\n", "a:", "a:   ", "a: # c", "a: # c\nb: 1\n", "a:\n\n\n# x\nb: 1\n", "x:\n  a:\n  b: 1\n",
    "x:\n  a:\ny: 2\n", "a:\nb:\n", "a:\r\nb: 1\r\n", "a:\rb: 1\r", "- a:\n  b:\n", "- a:\n- b:\n", "-\n  a:\n",
    "a:\n...\n", "a:\n\n  # c\n   \nb:\n", "? a\n? b\n", "? a\n:\n", "a: !!null\nb: 1\n", "a: !\nb: 1\n",
    "a: ''\nb:\n", "{a: , b: }\n", "{a, b: }\n", "- \n- a\n", "-\n", "- a\n-\n- b\n", "---\n", "--- \n...\n",
    "a:\n  - \n  - b\n", ": v\n", "a: 1\n: v\n", "a:\n  b:\n    c:\n  d:\n",
    # what libyaml and ruamel read differently: tabs, NEL / LS / PS, BOMs, directives, flow forms
    "a:\tb\n", "a: b\t\n", "a: x\t# c\n", "\ta: b\n", "a: \"\t\"\n", "a: 1\x85b: 2\n", "a: x\x85y\n",
    "a: 'x\u2028y'\nb: 1\n", "a: x\u2028b: 2\n", "\ufeffa: 1\nb:\n", "a: 1\n\ufeffb: 2\n", "%YAML 1.2\n---\na: yes\n",
    "%YAML 1.1\n---\na: yes\nb: 017\n", "%YAML 1.3\n---\na: 1\n", "%FOO bar\n---\na: 1\n", "[a:b]\n", "{a:b}\n",
    "a: 1\n...\nb\n", "a: \"\\ud800\"\n", "a: \"\\/\"\n",
    # scalars and their resolution
    "a: 0o17\nb: 0x1f\nc: 1_000\nd: .5\ne: 1e3\nf: +1\ng: -.inf\nh: ~\ni: 2024-01-01\nj: 017\nk: 1:20\nl: -0\n",
    "a: yes\nb: no\nc: on\nd: True\ne: FALSE\nf: Null\ng: NULL\nh: null\ni: '1'\nj: \"2\"\nk: 1.0\nl: 00\n",
    "a: !!str 1\nb: ! 1\nc: !!int '12'\nd: !!float 1\ne: !!bool maybe\nf: !!bool yes\ng: !!null x\n",
    "a: !!map foo\nb: !!seq x\nc: !!timestamp 2024-01-01T10:00:00\nd: !!int 1:20\ne: !!int 0b101\nf: !!%69nt 5\n",
    "a: !!str {b: 1}\nc: !!int [1]\n", "a: 2024-02-30\nb: 2024-1-1\nc: 2024-01-01 10:00\n", "a: <<\nb: =\n",
    "a: 12345678901234567890123456789012345678901\nb: 1e999999999\nc: .nan\nd: 0.1e-50\n",
    "a: \"\\U0001F600\\x41\\N\\_\\L\\P\\e\\ \"\nb: 😀 x\nc: \u00a0y\n", "字: 中文\n\"字2\": '中文'\n",
    "a: |2-\n   x\n  y\n", "a: >+\n  x\n\n  y\n\n\n", "a: |\n  x  \n\n", "a: 'x''y\n\n  z'\n", "a: \"x\\\n  y\"\n",
    "a: x\n  y\n   z\n", "a: 'x\n y'\n", "a: \"x\n\n y\"\n",
    # keys
    "true: 1\n", "1: 1\n", "null: 1\n", "~: 1\n", "2024-01-01: 1\n", "'1': 1\n", "? [a, b]\n: 1\n", "{a: 1}: 2\n",
    "? - a\n  - b\n: c\nd: e\n", "a: 1\na: 2\n", "a: {b: 1, b: 2}\n", "<<: {a: 1}\n", "a: 1\n<<: 2\n",
    "x: {a: 1, a: {b: [1, 2]}}\ny: 1\n", "1: {a: 1}\nb: 2\n", "true: [x, y]\nz: 1\n",
    # anchors, aliases, tags
    "a: &x 1\nb: *x\n", "&a a: b\n", "a: &x\nb: 1\n", "a: *x\n", "a: &x 1\nb: &x 2\n", "a: !foo 1\n",
    "a: !!python/name:os.system\n", "%TAG !e! tag:e.com,2000:\n---\na: !e!x 1\n", "a: !<tag:yaml.org,2002:str> 1\n",
    # documents and flow
    "", "# c\n", "--- a\n", "a: 1\n--- \nb: 2\n", "[1, 2, [3, {a: b}]]\n", "{\"a\":1,\"b\":[true,false,null]}\n",
    "a: [1, 2,]\n", "- - - x\n", "- [a,\n  b]\n", "a: {x: [1,\n2]}\n", "[a, [b, {c: d}], e]: f\n",
    # syntax errors (worded by the pure path)
    "a: b: c\n", "a: [\n", "a: {\n", "a: 'x\n", "- a\nb: c\n", "a: b\n- c\n", "a: @b\n", "a: 'x'y\n", "a: |0\n x\n",
    "a: 1\n b: 2\n", "k" * 1100 + ": v\n", "字" * 600 + ": v\n", "a: [,]\n", "a: \"\\x\"\n",
    # control characters
    "a: \x00\n", "a: 1\n\x0c\n", "a: \x1b[31m\n",
]


@pytest.mark.parametrize("text", CORNER_CASES, ids=repr)
def test_corner_cases_read_the_same_both_ways(text: str) -> None:
    _assert_same(text)


@pytest.mark.parametrize("text", ["a:\nb: 1\n", "x:\n  a:\n  b:   # c\n\n\ny: 2\n", "a:\r\nb:\r\n", "- a:\n- b:",
                                  "a:\n..."])
def test_the_c_path_places_empty_values_itself(text: str) -> None:
    """An empty value in a block mapping is common: the C path places it as ruamel does, without help."""
    assert _c_path_reads(text)
    assert _outcome(yaml_io._load_events, text) == _outcome(_load_pure, text)


def test_limits_stop_both_paths_at_the_same_value() -> None:
    """Every value count and depth limit, on a pack with empty values and keys refused along the way."""
    text = ("id: x\nrules:\n  - {when: a, cite: {article: 1}}\n  -\n    empty:\n    b: 2024-01-01\nextra:\n  empty:\n"
            "  list: [1, [2, {deep: [x]}]]\n  1: {skipped: [b, {c: d}]}\n  [k]: {skipped: 1}\n  other:\n")
    assert _c_path_reads(text)
    for max_nodes in range(100):
        outcome = _assert_same(text, Limits(max_nodes=max_nodes))
        if outcome[1][0][0]["code"] != "yaml.too_many_nodes":
            break
    assert outcome[1][0][0]["code"] == "yaml.key", outcome  # every value counted, then the keys refused
    for max_depth in range(6):
        _assert_same(text, Limits(max_depth=max_depth))


def test_scalar_limits_refuse_the_same_both_ways() -> None:
    text = ("a: 1234\nb: -12345\nc: 0x1f\nd: 1.2345\ne: !!null nothing-at-all\nf: !!bool yes\ng: TRUE\n"
            "h: 2024-01-01\ni: !!str 123456789012\nj: 123456789012\nk: '12345678901'\nl: ~\nm: !!int '99999'\n")
    assert _c_path_reads(text)
    for chars in (1, 4, 5, 10, 12, 100):
        for digits in (1, 3, 4, 5, 40):
            _assert_same(text, Limits(max_scalar_chars=chars, max_number_digits=digits))


def test_a_deep_file_is_refused_early_on_the_c_path() -> None:
    text = "x: " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert _c_path_reads(text)
    outcome = _assert_same(text)
    assert outcome[0] == "refused" and outcome[1][0][0]["code"] == "yaml.too_deep"


TOKENS = [":", ": ", "- ", "? ", "[", "]", "{", "}", ",", "#", " #", "&a ", "*a", "!!str ", "! ", "!x ", "'", '"',
          "\\", "|", ">", "|-", "\n", " ", "  ", "\t", "\r\n", "\r", "\u2028", "\x85", "\ufeff", "---", "...",
          "%YAML 1.2\n", "~", "null", "0o17", "0x1f", "1e3", "1_0", "-", ".5", "2024-02-30", "2024-01-01", "<<",
          "true", "yes", "字", "😀", "\x00", "key:\n", "k:\n  ", "k:", "\n  - ", "''", '""', "\\n", "\\u00e9"]


@st.composite
def _mutants(draw: st.DrawFn) -> str:
    text = MINIMAL_PACK
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "insert", "delete", "line", "indent"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            if action == "line":
                lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
            else:
                lines[i] = " " * draw(st.integers(0, 4)) + lines[i].lstrip(" ")
            text = "\n".join(lines)
    return text


@settings(max_examples=250, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutants())
def test_mutated_packs_read_the_same_both_ways(text: str) -> None:
    _assert_same(text)


@st.composite
def _block_mappings(draw: st.DrawFn) -> str:
    """Nested block mappings and sequences full of empty values, comments, blank lines and line ends."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 6]))
        key = draw(st.sampled_from(["a", "b", "c", "字", "'q'", "- k", "- ", "-", "? x"]))
        value = draw(st.sampled_from(["", "", " ", "  # c", " 1", " x", " []", " {}", " ~", " ''"]))
        lines.append(indent + key + (":" if not key.startswith(("-", "?")) or key == "- k" else "") + value)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "   ", "# note", "  # note"])))
    end = draw(st.sampled_from([newline, "", newline + "...", newline + newline]))
    return newline.join(lines) + end


@settings(max_examples=200, derandomize=True, deadline=None)
@given(_block_mappings())
def test_empty_values_are_placed_the_same_both_ways(text: str) -> None:
    _assert_same(text)


#: (text, where the mistake is, words of the message, words of the hint): a YAML error inside a flow
#: mapping or sequence is placed where it is, not on the next key of the enclosing block that the
#: parser met still inside the collection.
FLOW_ERRORS = [
    # a missing `}`: the next top-level key, the next list item, the next key of a nested block, the end
    ("id: x\nfacts: {a: {type: bool, zh: x}\nrules: []\n", (2, 31), "flow mapping opened at 2:8 is not closed",
     "close it with `}`"),
    ("id: x\nfacts: {a: {type: bool, zh: x}  # c\n# more\n\nrules: []\n", (2, 31), "is not closed", "`}`"),
    ("facts:\n  - {name: a, type: bool,\n     zh: x\nrules: []\n", (3, 11), "opened at 2:5 is not closed", "`}`"),
    ("facts:\n  - {name: a, type: bool, zh: x\n  - {name: b, type: bool, zh: y}\n", (2, 32), "is not closed", "`}`"),
    ("rules:\n  - id: r\n    cite: {article: 1,\n           paragraph: 2\n    title: x\n", (4, 24),
     "opened at 3:11 is not closed", "`}`"),
    ("cases:\n  - name: a\n    expect: {scope: in_scope, route: approval\n  - name: b\n", (3, 46), "is not closed",
     "`}`"),
    ("id: x\nfacts: {a: {type: bool, zh: x}", (2, 31), "is not closed", "`}`"),
    ("id: x\nlist: [a, b\nother: 1\n", (2, 12), "flow sequence opened at 2:7 is not closed", "close it with `]`"),
    # an unquoted ': ' in a flow value: at the colon, with the value to quote
    ("facts:\n  - {name: a, type: bool, zh: 项目: 新建, en: y}\n", (2, 33), "in the flow mapping opened at 2:5",
     'zh: "项目: 新建"'),
    ("facts:\n  - {name: a, type: bool,\n     zh: 项目: 新建}\n", (3, 12), "in the flow mapping opened at 2:5",
     'zh: "项目: 新建"'),
    ("rules:\n  - id: r\n    cite: {article: 1, note: a: b}\n", (3, 31), "opened at 3:11", 'note: "a: b"'),
]


@pytest.mark.parametrize(("text", "where", "message", "hint"), FLOW_ERRORS)
def test_a_flow_collection_error_is_placed_where_it_is_on_both_paths(text: str, where: tuple[int, int],
                                                                     message: str, hint: str) -> None:
    outcome = _assert_same(text)
    assert outcome[0] == "refused"
    (found, shown), = outcome[1]
    assert (found["code"], found["line"], found["column"]) == ("yaml.syntax", *where), shown
    assert message in found["message"] and hint in (found["hint"] or ""), shown
