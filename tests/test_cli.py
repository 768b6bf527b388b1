"""The command line: exit codes, formats, batch mode that loses nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from govrules.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "chuxiong-data-platform.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_evaluate_json_has_every_contract_key_and_citations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", EXAMPLE, "--pack", "chuxiong-2025", "--as-of", "2025-09-01",
                       "--param", "procurement_limit=1000000", "--format", "json")
    assert code == 0
    verdict = json.loads(out)
    assert set(verdict) == {"pack", "document", "title", "pack_digest", "engine_version", "as_of", "in_force",
                            "historical", "superseded_by", "warnings", "scope", "route", "grounds", "changes",
                            "obligations", "consequences", "missing_facts", "assumptions", "readings", "trace",
                            "questions", "terms", "text_status", "articles"}
    assert verdict["route"]["decision"] == "approval"
    assert [c["label"] for c in verdict["route"]["citations"]] == ["第十六条"]
    assert verdict["route"]["rules"] == ["route.art16_construction"]
    for ground in verdict["grounds"]:
        citation = ground["citation"]
        assert citation["article"] >= 1 and "text" not in citation
        assert verdict["articles"][citation["pack"]][str(citation["article"])]
    for obligation in verdict["obligations"]:
        assert obligation["citation"]["label"].startswith("第")


def test_evaluate_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", EXAMPLE, "--pack", "chuxiong-2025", "--as-of", "2025-09-01",
                       "--reading", "art16_17=literal_overlap")
    assert code == 0
    assert "程序: 待定" in out and "采购限额" in out  # the limit is not set: said, not guessed
    assert "另一解读（--reading art16_17=approval_prevails）" in out


def test_evaluate_text_names_the_reading_and_marks_presumptions(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "p.yaml"
    record.write_text("id: p\nname: 某局业务系统建设\nlevel: prefecture\nexecution: construction\n"
                      "category: software_development\nbudget: 80万元\nfunding: [{source: prefecture}]\n",
                      encoding="utf-8")
    code, out, _ = run(capsys, "evaluate", str(record), "--pack", "chuxiong-2025", "--as-of", "2025-09-01",
                       "--param", "procurement_limit=100万元")
    assert code == 0
    assert ("程序: 审批（州发展改革委(州数据局)）（假定非紧急项目，第十一条）"
            "（假定不含土建工程，第十八条）  [第十六条]") in out
    assert "依据默认解读（art16_17，第十七条）" in out and "推定" in out
    code, out, _ = run(capsys, "evaluate", str(record), "--pack", "chuxiong-2025", "--as-of", "2025-09-01",
                       "--param", "procurement_limit=100万元", "--strict", "--format", "json")
    verdict = json.loads(out)
    assert code == 0 and verdict["assumptions"] == [] and verdict["route"]["decision"] == "undetermined"
    code, _, err = run(capsys, "evaluate", str(record), "--pack", "chuxiong-2025", "--reading", "art16_17=nope")
    assert code == 2 and "nope" in err


def test_check_reports_presumptions_and_readings(command_output: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = command_output("check", "chuxiong-2025")
    assert code == 0
    assert "each of 64 reading choices" in out
    # the summary says what was counted: the facts presumed, and the rules the proof covers
    summary = out.splitlines()[-1]
    assert "presumptions: 8 presumed fact(s), none making a ground, consequence or obligation apply" in summary
    held = {line.split(" for ")[1].split(" ")[0] for line in out.splitlines() if "note[presumption.held_back]" in line}
    assert f"rule(s) reading a presumed fact, some by sampling; held back from {len(held)} rule(s))" in summary
    assert "making anything apply" not in summary and "rule(s) checked" not in summary
    assert "`emergency` is not presumed for consequence.art34_accountability" in out


def test_check_reports_each_finding_once_with_the_reading_choices_it_holds_under(
        capsys: pytest.CaptureFixture[str]) -> None:
    pack = Path(__file__).parent / "fixtures" / "readings_gaps.yaml"
    code, out, _ = run(capsys, "check", str(pack))
    assert code == 0
    assert out.count("warning[consistency.declared_gap] route.below\n") == 1
    assert "  [under all 4 reading choices] The pack declares" in out
    assert out.count("warning[consistency.declared_gap] route.below_service_a\n") == 1
    assert "  [under 2 of 4 reading choices: r1=a] The pack declares" in out
    assert "[reading " not in out
    # the summary counts distinct findings, and how many choice-instances they stand for
    assert out.splitlines()[-1].endswith(
        "0 error(s), 2 warning(s) (lint: 0 error(s), 0 warning(s); consistency: 0 error(s), 2 warning(s), of which 2 "
        "declared gap(s), 6 instance(s) over the 4 reading choices; analysed under each of 4 reading choices)")
    code, out, _ = run(capsys, "check", str(pack), "--format", "json")
    found = {d["rule"]: d["reading_choices"] for d in json.loads(out)["diagnostics"]}
    assert code == 0 and found == {
        "route.below": [{"r1": "a", "r2": "x"}, {"r1": "a", "r2": "y"}, {"r1": "b", "r2": "x"}, {"r1": "b", "r2": "y"}],
        "route.below_service_a": [{"r1": "a", "r2": "x"}, {"r1": "a", "r2": "y"}]}


def test_describe_choices_names_the_options_that_matter() -> None:
    from govrules.analysis.findings import describe_choices

    every = [{"r1": a, "r2": b} for a in ("a", "b") for b in ("x", "y")]
    assert describe_choices(every[:1], every[:1]) == ""
    assert describe_choices(every, every) == "under all 4 reading choices"
    assert describe_choices(every[2:], every) == "under 2 of 4 reading choices: r1=b"
    assert describe_choices(every[:3], every) == ("under 3 of 4 reading choices: r1=a, r2=x / r1=a, r2=y / "
                                                  "r1=b, r2=x")


def test_check_says_when_no_rule_the_proof_covers_reads_a_presumed_fact(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import MINIMAL_PACK

    pack = tmp_path / "p.yaml"
    # the exception's fact, presumed: read by the ground (through `unless`), proved, and held back there
    pack.write_text(MINIMAL_PACK.replace("zh: 法律要求, en: required by law}",
                                         "zh: 法律要求, en: required by law, presume: false, because: 由单位说明}"),
                    encoding="utf-8")
    _, out, _ = run(capsys, "check", str(pack), "--lint-only")
    assert "presumptions" not in out  # --lint-only: no proof, no count
    _, out, _ = run(capsys, "check", str(pack))
    assert ("presumptions: 1 presumed fact(s), none making a ground, consequence or obligation apply (proof over "
            "1 rule(s) reading a presumed fact; held back from 1 rule(s))") in out.splitlines()[-1], out
    # a presumed fact only a route rule reads: nothing to prove, and the line says so rather than "0 checked"
    pilot = "  - {name: pilot, type: bool, zh: 试点, en: pilot, presume: false, because: 由单位说明}\n"
    pack.write_text(MINIMAL_PACK.replace("  - {name: required_by_law,", pilot + "  - {name: required_by_law,")
                    .replace("budget >= threshold", "budget >= threshold and not pilot"), encoding="utf-8")
    _, out, _ = run(capsys, "check", str(pack))
    assert ("presumptions: 1 presumed fact(s), none making a ground, consequence or obligation apply (proof over "
            "0 rule(s) reading a presumed fact; held back from 0 rule(s))") in out.splitlines()[-1], out


def test_bad_project_exit_2_with_field_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: y\nbudget: 五十万\nfundng: []\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", str(bad), "--pack", "chuxiong-2025")
    assert code == 2
    assert "budget" in err and "fundng" in err


def test_bad_pack_exit_2_with_position(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      minimal_pack_text: str) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(minimal_pack_text.replace("budget >= threshold", "budget >= treshold"), encoding="utf-8")
    code, _, err = run(capsys, "evaluate", EXAMPLE, "--pack", str(pack))
    assert code == 2
    assert "p.yaml:" in err and "did you mean `threshold`" in err
    code, out, _ = run(capsys, "check", str(pack))
    assert code == 1 and "condition.unknown_symbol" in out


def test_packs_facts_schema_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "packs", "--format", "json")
    assert code == 0 and {p["id"] for p in json.loads(out)} == {"chuxiong-2025", "qujing-2020", "jingzhou-2017",
                                                                 "linfen-2021"}
    code, out, _ = run(capsys, "facts", "--pack", "chuxiong-2025")
    assert code == 0 and "shares_data_as_required" in out
    code, out, _ = run(capsys, "schema", "project")
    assert code == 0 and json.loads(out)["title"] == "Project"
    code, out, _ = run(capsys, "coverage", "chuxiong-2025", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 38 and all(r["status"] != "unaccounted" for r in rows)


def test_committed_schemas_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    for which in ("pack", "project", "verdict"):
        run(capsys, "schema", which)
    for which in ("pack", "project", "verdict"):
        main(["schema", which])
        out = capsys.readouterr().out
        assert json.loads(out) == json.loads((ROOT / "schemas" / f"{which}.schema.json").read_text("utf-8")), which


def test_compare_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", str(ROOT / "examples" / "shared-project.yaml"), "--as-of", "2025-10-20",
                       "--all", "--format", "json")
    verdicts = json.loads(out)
    assert code == 0 and len(verdicts) == 4
    by_pack = {v["pack"]: v for v in verdicts}
    assert by_pack["qujing-2020"]["in_force"] is False
    assert by_pack["linfen-2021"]["changes"][0]["decision"] == "adjustment_request"
    code, out, _ = run(capsys, "compare", str(ROOT / "examples" / "shared-project.yaml"), "--as-of", "2025-10-20",
                       "--format", "json")
    assert {v["pack"] for v in json.loads(out)} == {"chuxiong-2025", "jingzhou-2017", "linfen-2021"}


def test_batch_with_1_percent_broken_loses_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A few hundred records through the command line; the million-record run is benchmarks/run.py's."""
    n = 400
    lines = []
    for i in range(n):
        if i % 100 == 37:
            bad = json.dumps({"id": f"b{i}", "name": "坏记录", "budget": "五十万"}, ensure_ascii=False)
            lines.append(bad if i % 200 == 37 else "{broken json")
        else:
            lines.append(json.dumps({"id": f"p{i}", "name": "项目", "execution": "service", "budget": 1000 * i,
                                     "level": "prefecture"}, ensure_ascii=False))
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "evaluate", str(source), "--pack", "chuxiong-2025", "--as-of", "2025-09-01",
                       "--no-trace")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    summary = records.pop()["summary"]
    assert len(records) == n
    assert [r["record"] for r in records] == list(range(n))
    assert summary == {"records": n, "verdicts": n - n // 100, "errors": n // 100}
    assert sum(1 for r in records if not r["ok"]) == n // 100
    assert all(r["error"]["code"] == "project_invalid" for r in records if not r["ok"])
    assert {r["error"]["message"].split(": ", 1)[1].split(":")[0] for r in records if not r["ok"]} == {
        "invalid project", "invalid JSON"}


def test_batch_from_stdin_and_list_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": "a", "name": "n"}\n\n{"id": "b"}\n'))
    code, out, _ = run(capsys, "evaluate", "-", "--pack", "chuxiong-2025", "--as-of", "2025-09-01")
    assert code == 0
    assert json.loads(out.splitlines()[-1]) == {"summary": {"records": 2, "verdicts": 1, "errors": 1}}
    listing = tmp_path / "many.yaml"
    listing.write_text("- {id: a, name: n}\n- {id: b, name: n, budget: -1}\n", encoding="utf-8")
    code, out, _ = run(capsys, "evaluate", str(listing), "--pack", "chuxiong-2025", "--fail-on-error")
    assert code == 1
    assert json.loads(out.splitlines()[-1])["summary"] == {"records": 2, "verdicts": 1, "errors": 1}
