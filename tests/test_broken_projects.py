"""Broken projects: every bad record is a ProjectError naming the field and why, nothing is coerced
silently, and a batch loses no record.

A ProjectError carries ``errors`` (each with the field ``path`` and a ``message``), an English
``message`` and a Chinese ``message_zh``. Cases marked ``xfail(strict=True)`` are known bugs in files
outside this change (loader, evaluator, batch): each states the correct behaviour.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from govrules import ParameterError, ProjectError, evaluate, load_project, validate_project
from govrules.compile.loading import load_pack
from govrules.output.batch import evaluate_records, iter_records, write_jsonl

BASE: dict[str, Any] = {"id": "p-1", "name": "示例项目"}
CJK = re.compile(r"[\u4e00-\u9fff]")
AS_OF = dt.date(2025, 9, 1)
EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "chuxiong-data-platform.yaml")


def _record(**fields: Any) -> dict[str, Any]:
    return {**BASE, **fields}


def _refused(data: Any) -> ProjectError:
    with pytest.raises(ProjectError) as info:
        validate_project(data)
    return info.value


def _check(error: ProjectError, path: str, fragment: str) -> None:
    """The error names ``path`` with a reason containing ``fragment``, in English and in Chinese."""
    assert error.errors, error.message
    paths = [e["path"] for e in error.errors]
    assert path in paths, paths
    entry = error.errors[paths.index(path)]
    assert fragment.lower() in entry["message"].lower(), entry["message"]
    assert f"{path or '(record)'}: " in error.message
    assert error.message_zh is not None and CJK.search(error.message_zh), error.message_zh
    json.dumps(error.to_dict(), ensure_ascii=False)  # JSON-ready


def _case(id_: str, fields: dict[str, Any], path: str, fragment: str) -> Any:
    return pytest.param(fields, path, fragment, id=id_)


WRONG_TYPES = [
    _case("id-number", {"id": 5}, "id", "string"),
    _case("id-empty", {"id": ""}, "id", "at least 1"),
    _case("name-list", {"name": ["a"]}, "name", "string"),
    _case("owner-bool", {"owner": True}, "owner", "string"),
    _case("level-City", {"level": "City"}, "level", "'city'"),
    _case("level-number", {"level": 1}, "level", "'province'"),
    _case("execution-capitalised", {"execution": "Construction"}, "execution", "'construction'"),
    _case("category-unknown", {"category": "software"}, "category", "software_development"),
    _case("nature-chinese", {"nature": "公共类"}, "nature", "'public'"),
    _case("budget-true", {"budget": True}, "budget", "true/false"),
    _case("budget-1e6-string", {"budget": "1e6"}, "budget", "not an amount"),
    _case("budget-list", {"budget": [1]}, "budget", "not list"),
    _case("budget-mapping", {"budget": {"amount": 1}}, "budget", "not dict"),
    _case("funding-string", {"funding": "central"}, "funding", "list"),
    _case("funding-source-case", {"funding": [{"source": "Central"}]}, "funding.0.source", "'central'"),
    _case("funding-amount-bool", {"funding": [{"source": "central", "amount": True}]}, "funding.0.amount",
          "true/false"),
    _case("funding-source-missing", {"funding": [{"amount": 5}]}, "funding.0.source", "required"),
    _case("dates-list", {"dates": ["2025-01-01"]}, "dates", "dictionary"),
    _case("event-true", {"dates": {"acceptance": True}}, "dates.acceptance", "false when it has not happened"),
    _case("event-number", {"dates": {"acceptance": 20250101}}, "dates.acceptance", "not a date"),
    _case("event-word", {"dates": {"acceptance": "yesterday"}}, "dates.acceptance", "not a date"),
    _case("event-datetime", {"dates": {"acceptance": dt.datetime(2025, 1, 1, 9, 30)}}, "dates.acceptance",
          "date-time"),
    _case("changes-mapping", {"changes": {"scale": 0.1}}, "changes", "list"),
    _case("change-scale-true", {"changes": [{"scale": True}]}, "changes.0.scale", "true/false"),
    _case("change-scale-word", {"changes": [{"scale": "abc"}]}, "changes.0.scale", "not a ratio"),
    _case("change-increases-yes", {"changes": [{"increases_investment": "yes"}]}, "changes.0.increases_investment",
          "boolean"),
    _case("change-increases-1", {"changes": [{"increases_investment": 1}]}, "changes.0.increases_investment",
          "boolean"),
    _case("change-major-string-false", {"changes": [{"major": "false"}]}, "changes.0.major", "boolean"),
    _case("change-cause-unknown", {"changes": [{"cause": "weather"}]}, "changes.0.cause", "'force_majeure'"),
    _case("change-description-number", {"changes": [{"description": 5}]}, "changes.0.description", "string"),
    _case("system-in-catalogue-string", {"systems": [{"name": "s", "in_catalogue": "true"}]},
          "systems.0.in_catalogue", "boolean"),
    _case("system-name-missing", {"systems": [{"status": "new"}]}, "systems.0.name", "required"),
    _case("system-status-case", {"systems": [{"name": "s", "status": "NEW"}]}, "systems.0.status", "'new'"),
    _case("system-facts-list", {"systems": [{"name": "s", "facts": []}]}, "systems.0.facts", "dictionary"),
    _case("line-year-string", {"budget_lines": [{"year": "2025", "purpose": "construction"}]},
          "budget_lines.0.year", "integer"),
    _case("line-year-true", {"budget_lines": [{"year": True, "purpose": "construction"}]},
          "budget_lines.0.year", "integer"),
    _case("line-year-decimal", {"budget_lines": [{"year": Decimal("2025.0"), "purpose": "construction"}]},
          "budget_lines.0.year", "integer"),
    _case("line-year-1989", {"budget_lines": [{"year": 1989, "purpose": "construction"}]},
          "budget_lines.0.year", "1990"),
    _case("line-carried-over-true",
          {"budget_lines": [{"year": 2025, "purpose": "construction", "carried_over_years": True}]},
          "budget_lines.0.carried_over_years", "integer"),
    _case("line-carried-over-negative",
          {"budget_lines": [{"year": 2025, "purpose": "construction", "carried_over_years": -1}]},
          "budget_lines.0.carried_over_years", "greater than or equal to 0"),
    _case("line-purpose-missing", {"budget_lines": [{"year": 2025}]}, "budget_lines.0.purpose", "required"),
    _case("facts-list", {"facts": [1]}, "facts", "dictionary"),
]

AMOUNTS = [
    _case("negative", {"budget": -1}, "budget", "negative"),
    _case("negative-wan", {"budget": "-5万"}, "budget", "negative"),
    _case("negative-fullwidth-minus", {"budget": "－5万"}, "budget", "negative"),
    _case("negative-zero-decimal", {"budget": Decimal("-0.0")}, "budget", "negative"),
    _case("negative-zero-float", {"budget": -0.0}, "budget", "negative"),
    _case("over-1e12-string", {"budget": "1000000000001"}, "budget", "beyond any plausible"),
    _case("over-1e12-decimal", {"budget": Decimal("1e13")}, "budget", "beyond any plausible"),
    _case("over-1e12-float", {"budget": 1e13}, "budget", "beyond any plausible"),
    _case("over-1e12-yi", {"budget": "10001亿"}, "budget", "beyond any plausible"),
    _case("billion-digit-exponent", {"budget": Decimal("1e999999999")}, "budget", "beyond any plausible"),
    _case("below-one-fen", {"budget": "0.001"}, "budget", "fen"),
    _case("nan", {"budget": float("nan")}, "budget", "finite"),
    _case("infinity", {"budget": float("inf")}, "budget", "finite"),
    _case("signalling-nan", {"budget": Decimal("sNaN")}, "budget", "finite"),
    _case("funding-negative", {"funding": [{"source": "central", "amount": -3}]}, "funding.0.amount", "negative"),
    _case("line-spent-absurd",
          {"budget_lines": [{"year": 2025, "purpose": "construction", "spent": 10**13}]},
          "budget_lines.0.spent", "beyond any plausible"),
    _case("procurement-budget-absurd", {"procurement_budget": "20000亿元"}, "procurement_budget",
          "beyond any plausible"),
]

WAN_STRINGS = ["5万万", "五十万", "1,00,000", "1,0000", "12,34,567", "48.万", "４８万元", "48万美元", "万元",
               "48 万 元", "4,8万", ",480", "48万元整", "48e4", "0x10", "1_000", "4 8", "48万元万元", "٤٨"]
RATIOS = [("overflowing-percent", "1e9999999999%"), ("signalling-nan", "sNaN"), ("fullwidth", "８%"),
          ("underscore", "1_0"), ("negative", "-5%"), ("exponent", "1e-3"), ("over-a-million", 10**7),
          ("twenty-nine-places", "0." + "0" * 28 + "1"), ("infinity", "Infinity"), ("two-percent-signs", "5%%")]
DATES = ["2025-02-30", "2024-02-30", "2025-13-01", "2025-00-10", "2025-W01-1", "20250101", "2025/01/01", "2025-1-1",
         "２０２５-01-01", "2025-01-01T00:00:00", "2025-01-01 08:00"]
ORDER = [
    ("contract_signed", "acceptance"),
    ("contract_signed", "contract_filed"),
    ("contract_signed", "contract_end"),
    ("acceptance", "acceptance_report_filed"),
    ("application", "approval"),
    ("construction_start", "completion"),
    ("completion", "trial_run_end"),
    ("completion", "acceptance"),
    ("decommissioned", "decommission_filed"),
]
UNKNOWN_KEYS = [
    _case("top", {"budgte": 1}, "budgte", "did you mean `budget`"),
    _case("dates", {"dates": {"acceptence": "2025-01-01"}}, "dates.acceptence", "did you mean `acceptance`"),
    _case("funding", {"funding": [{"source": "central", "amout": 1}]}, "funding.0.amout", "did you mean `amount`"),
    _case("changes", {"changes": [{"scael": 0.1}]}, "changes.0.scael", "did you mean `scale`"),
    _case("systems", {"systems": [{"name": "s", "statsu": "new"}]}, "systems.0.statsu", "did you mean `status`"),
    _case("budget-lines", {"budget_lines": [{"year": 2025, "purpose": "construction", "amout": 1}]},
          "budget_lines.0.amout", "did you mean `amount`"),
]


@pytest.mark.parametrize(("fields", "path", "fragment"), WRONG_TYPES)
def test_wrong_types_are_errors(fields: dict[str, Any], path: str, fragment: str) -> None:
    _check(_refused(_record(**fields)), path, fragment)


@pytest.mark.parametrize(("fields", "path", "fragment"), AMOUNTS)
def test_negative_and_absurd_amounts_are_errors(fields: dict[str, Any], path: str, fragment: str) -> None:
    _check(_refused(_record(**fields)), path, fragment)


@pytest.mark.parametrize("text", WAN_STRINGS)
def test_malformed_wan_yuan_strings_are_errors(text: str) -> None:
    _check(_refused(_record(budget=text)), "budget", text if text.strip() else "amount")


@pytest.mark.parametrize(("value"), [pytest.param(v, id=i) for i, v in RATIOS])
def test_malformed_ratios_are_errors(value: Any) -> None:
    error = _refused(_record(changes=[{"scale": value}]))
    _check(error, "changes.0.scale", "")
    assert re.search(r"ratio|negative|places", error.errors[0]["message"])


@pytest.mark.parametrize("text", DATES)
def test_impossible_or_misspelt_dates_are_errors(text: str) -> None:
    _check(_refused(_record(dates={"contract_signed": text})), "dates.contract_signed", "date")
    _check(_refused(_record(changes=[{"date": text}])), "changes.0.date", "date")


@pytest.mark.parametrize(("earlier", "later"), ORDER)
def test_events_out_of_order_name_the_later_event(earlier: str, later: str) -> None:
    error = _refused(_record(dates={earlier: "2025-05-01", later: "2025-04-30"}))
    _check(error, f"dates.{later}", f"is before dates.{earlier}")
    # the same day, or the later event not yet happened, is consistent
    validate_project(_record(dates={earlier: "2025-05-01", later: "2025-05-01"}))
    validate_project(_record(dates={earlier: "2025-05-01", later: False}))


def test_category_contradicting_execution_names_category() -> None:
    error = _refused(_record(execution="service", category="software_development"))
    _check(error, "category", "is a construction project")


@pytest.mark.parametrize(("fields", "path", "fragment"), UNKNOWN_KEYS)
def test_unknown_keys_at_every_level(fields: dict[str, Any], path: str, fragment: str) -> None:
    _check(_refused(_record(**fields)), path, fragment)


@pytest.mark.parametrize("data", [None, [], "p-1", 5, [BASE]], ids=["null", "empty-list", "string", "number", "list"])
def test_a_record_that_is_not_a_mapping(data: Any) -> None:
    _check(_refused(data), "", "dictionary")


def test_nothing_coerced_silently() -> None:
    """The brief's examples, together: each one an error, none read as something else."""
    for fields, path in [({"budget": True}, "budget"), ({"budget": "1e6"}, "budget"),
                         ({"changes": [{"scale": True}]}, "changes.0.scale"), ({"level": "City"}, "level")]:
        assert path in [e["path"] for e in _refused(_record(**fields)).errors]


def test_valid_spellings_still_read_exactly() -> None:
    project = validate_project(_record(budget="48万元", procurement_budget="480,000元",
                                       changes=[{"scale": "8%", "date": " 2025-01-02 "}],
                                       dates={"contract_signed": "2025-01-01", "acceptance": False}))
    assert project.budget == Decimal("480000") and project.procurement_budget == Decimal("480000")
    assert project.changes[0].scale == Decimal("0.08") and project.changes[0].date == dt.date(2025, 1, 2)


def test_degenerate_exponents_are_canonical() -> None:
    """`0E-999999999` is zero yuan, and is written as such, not as a billion characters."""
    project = validate_project(_record(budget=Decimal("0E-999999999"), changes=[{"scale": Decimal("0E-99999")}]))
    assert str(project.budget) == "0.00"
    dumped = project.model_dump(mode="json")
    assert dumped["budget"] == "0.00" and len(dumped["changes"][0]["scale"]) <= 30


# --------------------------------------------------------------------------------------------------
# Project files: encodings and YAML attacks


GBK_PROJECT = "id: p-1\nname: 数据平台\nbudget: 48万元\n"


def test_gbk_encoded_project_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(GBK_PROJECT.encode("gbk"))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    error = info.value
    assert "UTF-8" in error.message and str(path) in error.message
    [entry] = error.errors
    assert (entry["line"], entry["column"]) == (2, 7)  # the first byte of 数 in GBK
    assert entry["code"] == "yaml.encoding"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param('id: p-1\nname: !!python/object/apply:builtins.open ["{p}", "w"]\n', "yaml.tag", id="python-tag"),
        pytest.param("id: &i p-1\nname: *i\n", "yaml.alias", id="alias"),
        pytest.param("id: p-1\nname: n\nbudget: 1\nbudget: 100000000\n", "yaml.duplicate_key", id="duplicate-key"),
        pytest.param("id: p-1\nname: n\ntrue: 1\n", "yaml.key", id="boolean-key"),
        pytest.param("id: p-1\nname: n\nbudget: " + "9" * 5000 + "\n", "yaml.number", id="5000-digits"),
        pytest.param("id: p-1\nname: n\nfacts: " + "[" * 10_000 + "\n", "yaml.too_deep", id="deep-nesting"),
        pytest.param("id: p-1\nname: n\x00\n", "yaml.character", id="nul"),
    ],
)
def test_hostile_project_files_are_refused(text: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "project.yaml"
    path.write_text(text.replace("{p}", str(tmp_path / "pwned")), encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert code in [e.get("code") for e in info.value.errors]
    assert all(e.get("line") and e.get("column") for e in info.value.errors)
    assert not (tmp_path / "pwned").exists()




@pytest.mark.parametrize(
    ("name", "raw"),
    [
        pytest.param("gbk.yaml", GBK_PROJECT.encode("gbk"), id="gbk"),
        pytest.param("tag.yaml", b"id: p-1\nname: !custom n\n", id="tag"),
        pytest.param("syntax.yaml", b"id: p-1\nname: [\n", id="yaml-syntax"),
        pytest.param("bad.json", b'{"id": "p-1", "name": }', id="json-syntax"),
    ],
)
def test_file_level_errors_have_a_path_and_chinese(name: str, raw: bytes, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert isinstance(info.value.errors[0]["path"], str)
    assert info.value.message_zh is not None and CJK.search(info.value.message_zh)




@pytest.mark.parametrize(
    ("raw", "escapes"),
    [
        pytest.param(b'{"id": "p-1", "name": "n", "budget": 1' + b"0" * 5000 + b"}", ValueError, id="5000-digits"),
        pytest.param(b'{"id": "p-1", "name": "n", "facts": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
                     RecursionError, id="deep-nesting"),
    ],
)
def test_hostile_json_project_files(raw: bytes, escapes: type[BaseException], tmp_path: Path,
                                    request: pytest.FixtureRequest) -> None:
    path = tmp_path / "project.json"
    path.write_bytes(raw)
    with pytest.raises(ProjectError):
        load_project(path)


def test_duplicate_json_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "project.json"
    path.write_text('{"id": "p-1", "name": "n", "budget": 1, "budget": 100000000}', encoding="utf-8")
    with pytest.raises(ProjectError):
        load_project(path)


# --------------------------------------------------------------------------------------------------
# Facts, checked against the pack when a project is evaluated


def test_fact_of_the_wrong_type_names_the_fact() -> None:
    error = _evaluation_error(_record(facts={"gbt40692_system": "yes"}), "chuxiong-2025")
    _check(error, "facts.gbt40692_system", "true or false")
    error = _evaluation_error(_record(facts={"it_investment": "五十万"}), "chuxiong-2025")
    _check(error, "facts.it_investment", "not an amount")


def test_unknown_fact_names_the_fact() -> None:
    error = _evaluation_error(_record(facts={"no_such_fact": True}), "chuxiong-2025")
    _check(error, "facts.no_such_fact", "unknown fact")


@pytest.mark.parametrize("pack", ["chuxiong-2025", "qujing-2020", "jingzhou-2017", "linfen-2021"])
def test_unknown_system_fact_names_the_fact(pack: str) -> None:
    error = _evaluation_error(_record(systems=[{"name": "s", "facts": {"no_such_fact": "yes"}}]), pack)
    _check(error, "systems.0.facts.no_such_fact", "unknown fact")


def _evaluation_error(project: dict[str, Any], pack: str, **kwargs: Any) -> ProjectError | ParameterError:
    with pytest.raises((ProjectError, ParameterError)) as info:
        evaluate(project, pack, as_of=AS_OF, **kwargs)
    assert isinstance(info.value, ParameterError if "parameters" in kwargs else ProjectError)
    return info.value






@pytest.mark.parametrize(
    "value",
    [
        pytest.param(99_999, id="year-99999"),
        pytest.param(10_001, id="year-10001"),  # deadline year 10000: the first past the calendar
        pytest.param("Infinity", id="infinity"),
        pytest.param("sNaN", id="signalling-nan"),
        pytest.param("2_025", id="underscore"),
        pytest.param("２０２５", id="fullwidth"),
        pytest.param("1e1000", id="thousand-digit-exponent"),
    ],
)
def test_integer_fact_out_of_range_or_misspelt(value: Any) -> None:
    """jingzhou-2017 takes an annual deadline's year from the integer fact `funding_year`."""
    error = _evaluation_error(_record(facts={"funding_year": value}), "jingzhou-2017")
    _check(error, "facts.funding_year", "")


def test_parameter_errors_have_chinese() -> None:
    # a bad parameter is the caller's setting, not the project's data: not reported as project_invalid
    for parameters in ({"no_such_parameter": 1}, {"procurement_limit": "五十万"}):
        with pytest.raises(ParameterError) as info:
            evaluate(BASE, "chuxiong-2025", as_of=AS_OF, parameters=parameters)
        error = info.value
        assert error.code == "parameter_invalid"
        assert error.errors and error.errors[0]["path"].startswith("parameters.")
        assert error.message_zh is not None


# --------------------------------------------------------------------------------------------------
# Batches: one output line per input record, a verdict or an error; counts reconcile


def _run_batch(path: Path, pack: str = "chuxiong-2025") -> tuple[dict[str, int], list[dict[str, Any]]]:
    out = io.StringIO()
    counts = write_jsonl(evaluate_records(iter_records(str(path)), load_pack(pack), AS_OF), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return counts, lines


def test_batch_keeps_every_record(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join([
        b'{"id": "good", "name": "n", "budget": "48\xe4\xb8\x87\xe5\x85\x83"}',
        b'{"id": "broken json", ',
        b'{"id": "bad", "name": "n", "budget": "5\xe4\xb8\x87\xe4\xb8\x87"}',
        b"",
        b'{"id": "not utf-8", "name": "\xb2\xe2\xca\xd4"}',
        b'["not", "a", "record"]',
        b'{"id": "bad fact", "name": "n", "facts": {"gbt40692_system": "yes"}}',
        b'{"id": "also good", "name": "n"}',
    ]) + b"\n")
    counts, lines = _run_batch(path)
    assert counts["records"] == 7 == counts["verdicts"] + counts["errors"]
    assert lines[-1] == {"summary": counts}
    assert [line["record"] for line in lines[:-1]] == list(range(7))
    assert [line["ok"] for line in lines[:-1]] == [True, False, False, False, False, False, True]
    assert lines[2]["error"]["errors"][0]["path"] == "budget"
    assert lines[3]["error"]["errors"][0]["path"] == "name"  # the undecodable bytes
    assert lines[5]["error"]["errors"][0]["path"] == "facts.gbt40692_system"






@pytest.mark.parametrize(
    ("line", "pack"),
    [
        pytest.param(b'{"id": "x", "name": "n", "budget": 1' + b"0" * 5000 + b"}", "chuxiong-2025", id="5000-digits"),
        pytest.param(b'{"id": "x", "name": "n", "facts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "chuxiong-2025",
                     id="deep-nesting"),
        pytest.param(b'{"id": "x", "name": "n", "facts": {"funding_year": 99999}}', "jingzhou-2017",
                     id="year-out-of-range"),
        pytest.param(b'{"id": "x", "name": "n", "facts": {"funding_year": "Infinity"}}', "jingzhou-2017",
                     id="infinite-year"),
    ],
)
def test_batch_survives_a_record_that_crashes(line: bytes, pack: str, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b'{"id": "before", "name": "n"}\n' + line + b'\n{"id": "after", "name": "n"}\n')
    counts, lines = _run_batch(path, pack)
    assert counts == {"records": 3, "verdicts": 2, "errors": 1}
    assert [x["ok"] for x in lines[:-1]] == [True, False, True]


# --------------------------------------------------------------------------------------------------
# Silent wrong answers and hostile values: each refused, with the field's path, or warned about


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        pytest.param("%YAML 1.1\n---\nid: p\nname: n\nbudget: 0600000\n", True, id="octal-budget"),
        pytest.param("%YAML 1.1\n---\nid: p\nname: n\nbudget: 8:20:00\n", True, id="sexagesimal-budget"),
        pytest.param("%YAML 1.1\n---\nid: p\nname: n\nfacts: {shares_data: yes}\n", True, id="yes-boolean"),
        pytest.param("id: p\nname: n\nfacts: {shares_data: !!bool on}\n", True, id="explicit-bool-on"),
        pytest.param("%YAML 1.2\n---\nid: p\nname: n\nbudget: 0600000\n", False, id="yaml-1.2-is-decimal"),
    ],
)
@pytest.mark.parametrize("c_parser", [True, False], ids=["libyaml", "pure"])
def test_yaml_1_1_never_changes_a_value(text: str, refused: bool, c_parser: bool, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A `%YAML 1.1` directive would read 0600000 as octal 196608, 8:20:00 as 30000 and `yes` as true."""
    from govrules.packs import yaml_io

    if not c_parser:
        monkeypatch.setattr(yaml_io, "_CParser", None)
    path = tmp_path / "project.yaml"
    path.write_text(text, encoding="utf-8")
    if not refused:
        assert load_project(path).budget == Decimal(600000)
        return
    with pytest.raises(ProjectError) as info:
        load_project(path)
    entry = info.value.errors[0]
    assert entry["code"] in ("yaml.version", "yaml.scalar"), entry
    marker = "%YAML" if "%YAML" in text else "!!bool"
    line = next(n for n, row in enumerate(text.splitlines(), 1) if marker in row)
    assert (entry["file"], entry["line"], entry["column"]) == (str(path), line, text.splitlines()[line - 1]
                                                               .index(marker) + 1)
    assert str(info.value).startswith(f"{path}:{line}:")


@pytest.mark.parametrize("text", ["20250101", "2025-W01-1", "2025-001", "2025-01-01T00:00", "２０２５-01-01",
                                  "2025-1-1"])
def test_a_date_fact_is_yyyy_mm_dd_only(text: str) -> None:
    """`date.fromisoformat` reads "2025-W01-1" as 2024-12-30: a date fact, like a project date, is YYYY-MM-DD."""
    from conftest import MINIMAL_PACK
    from govrules.compile.loading import load_pack_text

    pack = load_pack_text(MINIMAL_PACK.replace(
        "  - {name: shares_data,", "  - {name: signed_on, type: date, zh: 签订日期, en: signed on}\n"
        "  - {name: shares_data,"), file="mini.yaml")
    evaluate(_record(facts={"signed_on": "2025-01-01"}), pack, as_of=AS_OF)
    with pytest.raises(ProjectError) as info:
        evaluate(_record(facts={"signed_on": text}), pack, as_of=AS_OF)
    _check(info.value, "facts.signed_on", "YYYY-MM-DD")


@pytest.mark.parametrize("text", ["20250101", "2025-W01-1", "2025-02-29", "2025-01-01T00:00"])
def test_as_of_is_yyyy_mm_dd_only(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    from govrules.cli import main

    with pytest.raises(SystemExit) as info:
        main(["evaluate", EXAMPLE, "--pack", "chuxiong-2025", "--as-of", text])
    assert info.value.code == 2
    assert "does not exist" in capsys.readouterr().err if text == "2025-02-29" else True


@pytest.mark.parametrize(("text", "last"), [("2025-02-29", 28), ("2025-04-31", 30), ("2024-02-30", 29)])
def test_a_day_that_does_not_exist_is_called_so(text: str, last: int) -> None:
    """2025-02-29 is written correctly; the error says the day does not exist, not that it is misspelt."""
    for fields, path in (({"dates": {"contract_signed": text}}, "dates.contract_signed"),
                         ({"changes": [{"date": text}]}, "changes.0.date")):
        error = _refused(_record(**fields))
        _check(error, path, "the day does not exist")
        assert f"has {last} days" in error.errors[0]["message"]
        assert "YYYY-MM-DD" not in error.errors[0]["message"]


@pytest.mark.parametrize(("earlier", "later"), ORDER)
def test_an_event_after_one_that_has_not_happened_is_refused(earlier: str, later: str) -> None:
    """`contract_signed: false` with an acceptance date contradicts itself: refused at the later event."""
    error = _refused(_record(dates={earlier: False, later: "2025-05-01"}))
    _check(error, f"dates.{later}", f"dates.{earlier} is false")
    validate_project(_record(dates={earlier: False, later: False}))
    validate_project(_record(dates={earlier: False}))


def test_a_change_scale_above_one_is_warned_about() -> None:
    """`scale: 10` is 1000% of the approved scope; most likely 10% was meant. The verdict says so."""
    verdict = evaluate(_record(execution="construction", budget=600_000,
                               changes=[{"scale": 10}, {"scale": "8%"}, {"scale": 1}]), "chuxiong-2025", as_of=AS_OF)
    warned = [w for w in verdict.warnings if "scale" in w]
    assert len(warned) == 1 and warned[0].startswith("changes.0.scale") and "1000%" in warned[0], warned
    assert '"10%"' in warned[0] and "0.1" in warned[0]


COUNT_PACK_EXTRA = """\
  - id: obligation.report
    kind: obligation
    title: 报送
    action: 报送
    when: budget >= threshold
    deadline: {after: contract_signed, parameter: report_days}
    cite: {article: 1}
"""


def _count_pack(value: str = "5") -> Any:
    from conftest import MINIMAL_PACK
    from govrules.compile.loading import load_pack_text

    text = MINIMAL_PACK.replace(
        "  - {name: threshold,", f"  - {{name: report_days, value: {value}, unit: working_days, settable: true, "
        "zh: 报送期限, en: days to report, cite: {article: 1}}\n  - {name: threshold,") + COUNT_PACK_EXTRA
    return load_pack_text(text, file="mini.yaml")


@pytest.mark.parametrize("value", ["5.9", 5.9, Decimal("5.9"), 0, "0", "0.5", "50%", "-3", True, "1e1", " " * 10_000])
def test_a_day_count_parameter_is_a_whole_positive_number(value: Any) -> None:
    """5.9 working days used to be truncated to 5 while the warning said 5.9; 0, 0.5 and 50% were accepted."""
    with pytest.raises(ParameterError) as info:
        evaluate(_record(execution="construction", budget=600_000, dates={"contract_signed": "2025-06-02"}),
                 _count_pack(), as_of=AS_OF, parameters={"report_days": value})
    assert info.value.errors[0]["path"] == "parameters.report_days"
    assert re.search(r"whole number|at least 1|percentage|true/false|too long|negative|not a ratio",
                     info.value.errors[0]["message"]), info.value.errors[0]["message"]
    assert len(info.value.message) < 400


def test_a_whole_day_count_parameter_is_used_as_given() -> None:
    project = _record(execution="construction", budget=600_000, dates={"contract_signed": "2025-06-02"})
    seven = evaluate(project, _count_pack(), as_of=AS_OF, parameters={"report_days": "7"})
    five = evaluate(project, _count_pack(), as_of=AS_OF, parameters={"report_days": 5.0})
    [obligation7], [obligation5] = seven.obligations, five.obligations
    assert obligation7.due == dt.date(2025, 6, 11) and obligation5.due == dt.date(2025, 6, 9)
    assert any("由使用者设定为 5" in w and "5.0" not in w for w in five.warnings), five.warnings


@pytest.mark.parametrize("value", ["5.9", "0", "-1"])
def test_a_pack_day_count_parameter_is_whole_and_positive(value: str) -> None:
    from govrules import PackError

    with pytest.raises(PackError) as info:
        _count_pack(value)
    assert any("whole number" in d.message and d.location is not None for d in info.value.diagnostics), \
        [str(d) for d in info.value.diagnostics]


@pytest.mark.parametrize("field", ["budget", "scale", "parameter"])
@pytest.mark.parametrize("body", [" " * 1_000_000, " " * 1_000_000 + "x", "1" + " " * 1_000_000 + "x",
                                  " " * 99_000 + "1", "人民币" + " " * 1_000_000 + "x"],
                         ids=["spaces", "spaces-x", "1-spaces-x", "99kb-then-1", "prefix-spaces-x"])
def test_a_megabyte_of_spaces_is_refused_at_once(field: str, body: str) -> None:
    """The money and ratio patterns backtracked quadratically (99 KB of spaces: 57 s). The value's length is
    bounded before any pattern runs and the patterns are linear: the error comes back, and echoes a short
    prefix of the value, never all of it. (Timed in the report, not here.)"""
    if field == "budget":
        error = _refused(_record(budget=body))
        path = "budget"
    elif field == "scale":
        error = _refused(_record(changes=[{"scale": body}]))
        path = "changes.0.scale"
    else:
        error = _evaluation_error(BASE, "chuxiong-2025", parameters={"procurement_limit": body})
        path = "parameters.procurement_limit"
    assert error.errors[0]["path"] == path and "too long" in error.errors[0]["message"], error.errors
    assert "…" in error.errors[0]["message"] and len(error.errors[0]["message"]) < 200
    assert len(error.message) < 1_000 and len(error.message_zh or "") < 1_000


ESCAPES = [("ESC clear screen", "\x1b[2J\x1b[H"), ("CSI C1", "\x9b2J"), ("carriage return", "\r"),
           ("bidi override", "\u202e"), ("bell", "\x07"), ("backspace", "\x08")]
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(("what", "control"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_control_characters_never_reach_the_terminal(what: str, control: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`\\u001b` in JSON (or "\\e" in YAML) decodes to ESC: echoed raw, a value cleared the screen and printed
    a fake "审批通过". Every message and the text report show it as an escape instead."""
    from govrules.cli import main

    payload = f"{control}审批通过"
    project = tmp_path / "project.json"
    project.write_text(json.dumps({"id": "p", "name": payload, "budget": payload,
                                   "dates": {"contract_signed": payload}}), encoding="utf-8")
    assert main(["evaluate", str(project), "--pack", "chuxiong-2025", "--as-of", "2025-09-01"]) == 2
    captured = capsys.readouterr()
    assert "审批通过" in captured.err and not RAW.search(captured.err + captured.out), repr(captured.err)
    # a pack's own text ("\e" in a double-quoted YAML string) in the text report
    from conftest import MINIMAL_PACK

    escaped = json.dumps(control)[1:-1]  # YAML's double-quoted escapes include JSON's
    pack = tmp_path / "pack.yaml"
    pack.write_text(MINIMAL_PACK.replace("title: 示例办法", f'title: "示例{escaped}办法"')
                    .replace("title: 预算金额50万元(含)以上的建设类项目须审批", f'title: "{escaped}审批通过"'),
                    encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text("id: p\nname: n\nexecution: construction\nbudget: 600000\n", encoding="utf-8")
    assert main(["evaluate", str(good), "--pack", str(pack), "--as-of", "2025-09-01"]) == 0
    out = capsys.readouterr().out
    assert "示例" in out and not RAW.search(out), repr(out)
    assert main(["evaluate", str(good), "--pack", str(pack), "--as-of", "2025-09-01", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert not RAW.search(out) and json.loads(out)["title"] == f"示例{control}办法"


def test_a_project_file_is_read_no_further_than_the_limit() -> None:
    """`/dev/zero` was read until MemoryError: now at most 2 MB and one byte, then refused."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    with pytest.raises(ProjectError) as info:
        load_project("/dev/zero")
    assert info.value.errors[0]["code"] == "yaml.too_large"


def test_command_line_arguments_are_echoed_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse quotes a bad argument in its error; a parameter name is quoted in ours: neither raw."""
    from govrules.cli import main

    with pytest.raises(SystemExit):
        main(["evaluate", EXAMPLE, "--format", "\x1b[2J审批通过"])
    with pytest.raises(SystemExit):
        main(["evaluate", EXAMPLE, "--param", "\x1b[2J审批通过"])
    assert main(["evaluate", EXAMPLE, "--pack", "chuxiong-2025",
                 "--param", "\x1b[2J审批通过" + "x" * 10_000 + "=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("审批通过") == 3 and not RAW.search(err) and len(err) < 2_000, repr(err)
