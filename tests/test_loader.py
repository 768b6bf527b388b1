"""Loading packs: every problem is reported with file, line and column; nothing unsafe is loaded."""

from __future__ import annotations

import pytest

from govrules.compile.loading import load_pack, load_pack_text
from govrules.errors import PackError


def _errors(text: str) -> list[str]:
    with pytest.raises(PackError) as info:
        load_pack_text(text, file="pack.yaml")
    return [str(d) for d in info.value.diagnostics]


def test_minimal_pack_loads(minimal_pack_text: str) -> None:
    pack = load_pack_text(minimal_pack_text, file="pack.yaml")
    assert [r.id for r in pack.rules] == ["route.approval", "exc.law", "ground.no_sharing"]
    assert pack.digest.startswith("sha256:")
    assert pack.diagnostics == []


def test_digest_ignores_formatting_but_not_content(minimal_pack_text: str) -> None:
    a = load_pack_text(minimal_pack_text, file="a.yaml")
    b = load_pack_text("# a comment\n" + minimal_pack_text, file="b.yaml")
    c = load_pack_text(minimal_pack_text.replace("value: 500000", "value: 500001"), file="c.yaml")
    assert a.digest == b.digest
    assert a.digest != c.digest


def test_typo_in_condition_names_line_column_and_suggestion(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("budget >= threshold", "budgte >= threshold")
    [error] = _errors(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "budgte" in row)
    column = text.splitlines()[line - 1].index("budgte") + 1
    assert error.startswith(f"pack.yaml:{line}:{column}: error[condition.unknown_symbol]")
    assert "did you mean `budget`" in error


def test_unknown_fact_is_a_load_error(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("when: not shares_data", "when: not shares_dta_widely")
    [error] = _errors(text)
    assert "unknown fact or symbol `shares_dta_widely`" in error
    assert "pack.yaml:3" in error or ":4" in error.split("error")[0] or "pack.yaml:" in error


def test_python_tag_is_refused_with_position(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("title: 示例办法", "title: !!python/object/apply:os.system ['touch /tmp/pwned']")
    [error] = _errors(text)
    assert error.startswith("pack.yaml:3:8: error[yaml.tag]")


def test_syntax_error_in_condition(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("budget >= threshold", "budget >= (threshold")
    [error] = _errors(text)
    assert "error[condition.syntax]" in error


def test_type_mismatch_in_condition(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("budget >= threshold", "budget >= 'much'")
    [error] = _errors(text)
    assert "error[condition.type]" in error


def test_enum_value_typo(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("execution == 'construction'", "execution == 'constrution'")
    [error] = _errors(text)
    assert "error[condition.unknown_value]" in error and "did you mean 'construction'" in error


@pytest.mark.parametrize(
    ("replacement", "code"),
    [
        ("budget >= threshold and $today > as_of", "condition.builtin"),
        ("budget >= threshold and owner =~ 'x+'", "condition.unsupported"),
        ("budget >= threshold and owner.length > 0", "condition.unsupported"),
        ("budget >= threshold and owner == null", "condition.unsupported"),
        ("budget", "condition.not_boolean"),
    ],
)
def test_unsupported_expressions_are_refused(minimal_pack_text: str, replacement: str, code: str) -> None:
    text = minimal_pack_text.replace("budget >= threshold", replacement)
    errors = _errors(text)
    assert any(f"error[{code}]" in e for e in errors), errors


def test_all_problems_reported_together_and_sorted(minimal_pack_text: str) -> None:
    text = (minimal_pack_text.replace("budget >= threshold", "budgte >= threshold")
            .replace("unless: [exc.law]", "unless: [exc.lw]")
            .replace("cite: {article: 2, item: 1}", "cite: {article: 2, item: 4}"))
    errors = _errors(text)
    assert len(errors) == 3
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == sorted(lines)
    assert any("pack.dangling_exception" in e for e in errors)
    assert any("pack.citation" in e and "item 4" in e for e in errors)


def test_duplicate_keys_and_aliases_refused(minimal_pack_text: str) -> None:
    assert any("yaml.duplicate_key" in e for e in _errors(minimal_pack_text + "id: again\n"))
    aliased = minimal_pack_text.replace("title: 示例办法", "title: &t 示例办法").replace("issuer: 示例市人民政府办公室",
                                                                                 "issuer: *t")
    assert any("yaml.alias" in e for e in _errors(aliased))


def test_unknown_key_in_pack_points_at_key(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("    decision: approval\n", "    decision: approval\n    decison: filing\n")
    [error] = _errors(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "decison" in row)
    assert error.startswith(f"pack.yaml:{line}:5:")
    assert "did you mean `decision`" in error


@pytest.mark.parametrize(("fact", "split", "head"), [
    # a long tail (shortened in the message) written on the flow mapping's second line
    ("  - {name: required_by_law, type: bool, zh: 法律要求,\n     en: national rules, laws or regulations require "
     "the new private network}\n", "laws or regulations", "en: national rules"),
    ("  - {name: required_by_law, type: bool, en: by law, zh: 法律、法规或国家规定, 需要新建业务专网}\n",
     "需要新建业务专网", "zh: 法律、法规或国家规定"),
])
def test_a_value_split_at_a_comma_in_a_flow_mapping_is_placed_at_the_key_with_a_hint(
        minimal_pack_text: str, fact: str, split: str, head: str) -> None:
    from govrules.packs import yaml_io

    original = "  - {name: required_by_law, type: bool, zh: 法律要求, en: required by law}\n"
    text = minimal_pack_text.replace(original, fact)
    rows = text.splitlines()
    line = next(i for i, row in enumerate(rows, 1) if split in row)
    column = rows[line - 1].index(split) + 1
    saved = yaml_io._CParser
    try:
        for parser in {saved, None}:  # the C path and the pure path place it alike
            yaml_io._CParser = parser
            with pytest.raises(PackError) as info:
                load_pack_text(text, file="pack.yaml")
            [error] = info.value.diagnostics
            assert (error.location.line, error.location.column) == (line, column), str(error)
            assert "unknown key" in error.message
            assert error.hint is not None and "an unquoted comma inside {…} ends the value" in error.hint
            assert f"`{head}` stops at the comma" in error.hint and "quote the value" in error.hint
    finally:
        yaml_io._CParser = saved


def test_a_misspelt_key_in_a_flow_mapping_gets_no_comma_hint(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("en: required by law}", "en: required by law, presumd: false}")
    with pytest.raises(PackError) as info:
        load_pack_text(text, file="pack.yaml")
    [error] = info.value.diagnostics
    rows = text.splitlines()
    line = next(i for i, row in enumerate(rows, 1) if "presumd" in row)
    assert error.location is not None and (error.location.line, error.location.column) == (
        line, rows[line - 1].index("presumd") + 1)
    assert "did you mean `presume`" in error.message and (error.hint is None or "comma" not in error.hint)


def test_article_neither_encoded_nor_informational_is_a_warning(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("    informational: 施行日期\n", "")
    pack = load_pack_text(text, file="pack.yaml")
    assert [d.code for d in pack.diagnostics] == ["lint.article_unaccounted"]


def test_money_literal_warning(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("budget >= threshold", "budget >= 500000")
    pack = load_pack_text(text, file="pack.yaml")
    assert any(d.code == "lint.money_literal" for d in pack.diagnostics)


def test_non_utf8_pack(minimal_pack_text: str) -> None:
    raw = minimal_pack_text.encode("utf-8").replace("示例办法".encode(), "示例办法".encode("gbk"))
    with pytest.raises(PackError) as info:
        load_pack_text(raw, file="pack.yaml")
    assert "yaml.encoding" in str(info.value)
    assert str(info.value).startswith("pack.yaml:3:")


def test_unknown_bundled_pack() -> None:
    with pytest.raises(PackError, match="no bundled pack `nowhere-2030`"):
        load_pack("nowhere-2030")


def test_bundled_chuxiong_loads_clean() -> None:
    pack = load_pack("chuxiong-2025")
    assert pack.document == "楚政办通〔2025〕26号"
    assert pack.diagnostics == []
    assert len(pack.pack.articles) == 38


@pytest.mark.parametrize(("text", "message"), [
    ('{"id": "p", "id": "q"}', "duplicate key `id`"),
    ('{"facts": {"a": true, "b": false, "a": false}}', "duplicate key `a`"),
    ('{"budget": ' + "9" * 41 + "}", "a number of 41 characters"),
    ('{"budget": 1.' + "5" * 40 + "}", "a number of 42 characters"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_json_records_are_refused_as_yaml_ones_are(text: str, message: str) -> None:
    from govrules.errors import ProjectError
    from govrules.packs.projects import read_project_data

    with pytest.raises(ProjectError, match=message) as caught:
        read_project_data(text.encode(), "records.json")
    assert caught.value.to_dict()["message"].startswith("records.json: ")


def test_json_numbers_up_to_forty_characters_are_exact() -> None:
    from decimal import Decimal

    from govrules.packs.projects import read_project_data

    data = read_project_data(('{"a": ' + "9" * 40 + ', "b": 0.1, "c": [{"d": 1}]}').encode(), "r.json")
    assert data == {"a": int("9" * 40), "b": Decimal("0.1"), "c": [{"d": 1}]}
    assert type(data["b"]) is Decimal and type(data["c"][0]["d"]) is int


def test_a_reading_on_a_term_is_refused_with_the_pattern_to_use(minimal_pack_text: str) -> None:
    text = minimal_pack_text.replace("rules:\n", "terms:\n  - {id: by_law, zh: 依法, en: by law, cite: {article: 2}, "
                                     "quote: 法律要求的除外, when: required_by_law, reading: {r: a}}\nrules:\n", 1)
    with pytest.raises(PackError) as info:
        load_pack_text(text, file="pack.yaml")
    [error] = info.value.diagnostics
    assert "terms.0: unknown key `reading`" in error.message
    assert error.hint is not None and "a reading selects rules, not a term's definition" in error.hint
    assert "comma" not in error.hint
