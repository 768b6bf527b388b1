"""Tests for tools/extract_articles.py: article structure and faithfulness to the sources."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "tools" / "extract_articles.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_articles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


ea = _load_script()
SEEDS: Path = ea.seeds_dir()

pytestmark = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"source texts not found at {SEEDS} (set {ea.SEEDS_ENV})"
)

# Independent description of where each measure sits in its source file, used by the
# faithfulness check so that it does not reuse the script's parsing.
SOURCES: dict[str, tuple[str, str, str | None]] = {
    "qujing-2020": ("000_155a0009975ce4a9.txt", "曲靖市信息化项目建设管理办法（试行）", None),
    "chuxiong-2025": ("001_46a750170dd1481e.txt", "楚雄州政务信息化项目管理办法(试行)", "相关解读"),
    "jingzhou-2017": ("003_6cc6cee4226eed07.txt", "荆州市信息化建设项目管理办法", "网站首页"),
    "linfen-2021": ("004_3f843efd49017363.txt", "临汾市政务信息化项目建设应用管理办法", "---"),
}
EXPECTED_COUNTS = {"qujing-2020": 21, "chuxiong-2025": 38, "jingzhou-2017": 21, "linfen-2021": 41}
# Every article with more than one paragraph (款), checked by eye against the sources.
MULTI_PARAGRAPH = {
    "qujing-2020": {2: 2, 4: 2, 10: 2, 12: 2, 13: 2, 14: 2},
    "chuxiong-2025": {31: 2},
    "jingzhou-2017": {3: 2},
    "linfen-2021": {3: 3, 5: 5, 8: 2, 10: 2, 11: 5, 29: 2, 35: 2, 37: 2},
}
# Every article with enumerated items: number of items.
ITEM_COUNTS = {
    "qujing-2020": {},
    "chuxiong-2025": {2: 2, 3: 5, 13: 7, 15: 10, 16: 4, 36: 3},
    "jingzhou-2017": {16: 5},
    "linfen-2021": {},
}

LABEL_RE = re.compile(r"^[ \t\u00a0\u3000]*(?:\*\*)?第[一二三四五六七八九十百]+条(?:\*\*)?(?=\s)", re.M)
HEADING_RE = re.compile(r"^[ \t\u00a0\u3000#]*第[一二三四五六七八九十百]+章.*$", re.M)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("**", ""))


def source_spans(pack_id: str) -> list[str]:
    """Each article's source text with whitespace, ``**`` and the 第N条 label removed."""
    filename, title, end_marker = SOURCES[pack_id]
    raw = (SEEDS / filename).read_text(encoding="utf-8")
    title_match = re.search(rf"^[ #]*{re.escape(title)}[ \t]*$", raw, re.M)
    assert title_match is not None
    body = raw[title_match.end() :]
    if end_marker is not None:
        end = re.search(rf"^\s*{re.escape(end_marker)}", body, re.M)
        assert end is not None
        body = body[: end.start()]
    body = HEADING_RE.sub("", body)
    labels = list(LABEL_RE.finditer(body))
    ends = [m.start() for m in labels[1:]] + [len(body)]
    return [squeeze(body[m.end() : end]) for m, end in zip(labels, ends, strict=True)]


@pytest.fixture(scope="module")
def measures() -> dict[str, Any]:
    return {spec.pack_id: ea.parse_measure(spec, SEEDS) for spec in ea.MEASURES}


@pytest.fixture(scope="module")
def generated(measures: dict[str, Any]) -> dict[str, Any]:
    """The YAML as rendered and loaded back, keyed by pack id."""
    yaml = YAML(typ="safe")
    return {pack_id: yaml.load(ea.render(measure)) for pack_id, measure in measures.items()}


def article(data: dict[str, Any], pack_id: str, number: int) -> dict[str, Any]:
    found: dict[str, Any] = data[pack_id]["articles"][number - 1]
    assert found["number"] == number
    return found


def test_cn_to_int() -> None:
    assert [ea.cn_to_int(n) for n in ("一", "十", "十五", "二十", "三十八", "四十一", "一百零二")] == [
        1,
        10,
        15,
        20,
        38,
        41,
        102,
    ]


@pytest.mark.parametrize("pack_id", sorted(EXPECTED_COUNTS))
def test_article_counts_and_order(generated: dict[str, Any], pack_id: str) -> None:
    numbers = [a["number"] for a in generated[pack_id]["articles"]]
    assert numbers == list(range(1, EXPECTED_COUNTS[pack_id] + 1))


@pytest.mark.parametrize("pack_id", sorted(EXPECTED_COUNTS))
def test_text_is_faithful_to_source(generated: dict[str, Any], pack_id: str) -> None:
    spans = source_spans(pack_id)
    articles = generated[pack_id]["articles"]
    assert len(spans) == len(articles)
    for entry, span in zip(articles, spans, strict=True):
        assert squeeze(entry["text"]) == span, f"{pack_id} 第{entry['number']}条"


@pytest.mark.parametrize("pack_id", sorted(EXPECTED_COUNTS))
def test_structure_is_consistent(generated: dict[str, Any], pack_id: str) -> None:
    for entry in generated[pack_id]["articles"]:
        text = entry["text"]
        assert text == text.strip() and "**" not in text and not text.startswith("第")
        paragraphs = entry.get("paragraphs", [text])
        assert len(paragraphs) >= 1 and ("paragraphs" not in entry or len(paragraphs) >= 2)
        assert "\n".join(paragraphs) == text
        for item in entry.get("items", []):
            assert 1 <= item["paragraph"] <= len(paragraphs)
            assert item["text"] and item["text"] in paragraphs[item["paragraph"] - 1]
            assert not re.match(r"^[(（][一二三四五六七八九十]+[)）]", item["text"])
        items = entry.get("items", [])
        assert [i["number"] for i in items] == list(range(1, len(items) + 1))
        assert entry["chapter"] and re.fullmatch(r"第[一二三四五六七八九十]+章 \S+", entry["chapter"])


@pytest.mark.parametrize("pack_id", sorted(EXPECTED_COUNTS))
def test_paragraph_and_item_counts(generated: dict[str, Any], pack_id: str) -> None:
    paragraphs = {
        a["number"]: len(a["paragraphs"]) for a in generated[pack_id]["articles"] if "paragraphs" in a
    }
    items = {a["number"]: len(a["items"]) for a in generated[pack_id]["articles"] if "items" in a}
    assert paragraphs == MULTI_PARAGRAPH[pack_id]
    assert items == ITEM_COUNTS[pack_id]


def test_spot_texts(generated: dict[str, Any]) -> None:
    cx15 = article(generated, "chuxiong-2025", 15)
    assert cx15["chapter"] == "第三章 项目申报与审批"
    assert cx15["items"][1] == {
        "number": 2,
        "paragraph": 1,
        "text": "新建或扩建自有机房、云平台、数据中心的项目(确需保留且迫切需要更新的除外)。",
    }
    assert cx15["text"].splitlines()[1] == "(一)未按照要求共享数据资源或重复采集数据的项目。"
    assert article(generated, "chuxiong-2025", 16)["text"].startswith("预算金额50万元(含)以上的建设类项目")
    assert article(generated, "chuxiong-2025", 31)["paragraphs"][1].startswith("对于项目绩效不达标")

    assert (
        article(generated, "linfen-2021", 18)["text"]
        == "项目实施单位应在签订正式合同5个工作日内，将合同文本报市政务信息化主管部门备案。"
    )
    # page-break splits joined back
    assert "明确数据来源、格式、更新、共享" in article(generated, "linfen-2021", 9)["text"]
    assert "报市人民政府批准后实施。" in article(generated, "linfen-2021", 11)["paragraphs"][2]
    assert article(generated, "linfen-2021", 34)["text"].startswith(
        "政务信息资源质量管理遵循“谁采集、谁负责”“谁校核、谁负责”的原则"
    )
    assert article(generated, "linfen-2021", 16)["chapter"] == "第三章 建设和验收"

    qj14 = article(generated, "qujing-2020", 14)
    assert len(qj14["paragraphs"]) == 2
    assert qj14["paragraphs"][1].startswith("未列入年度项目建设计划的项目")
    assert article(generated, "qujing-2020", 4)["text"].startswith(
        "曲靖市建设“数字曲靖”领导小组（以下简称“领导小组”）负责"
    )
    assert article(generated, "qujing-2020", 1)["chapter"] == "第一章 总则"

    jz3 = article(generated, "jingzhou-2017", 3)
    assert jz3["paragraphs"][1].startswith("本办法所称全局性重大基础设施")
    jz16 = article(generated, "jingzhou-2017", 16)
    assert jz16["items_derived"] is True
    assert [i["number"] for i in jz16["items"]] == [1, 2, 3, 4, 5]
    assert jz16["items"][0]["text"] == "已建系统可满足需求或新需求不清晰的;"
    assert jz16["items"][4]["text"] == "在项目审计中问题较多、整改措施不落实的。"
    assert article(generated, "jingzhou-2017", 18)["chapter"] == "第五章 附则"


def test_preamble_and_title(generated: dict[str, Any]) -> None:
    assert generated["qujing-2020"]["measure_title"] == "曲靖市信息化项目建设管理办法（试行）"
    assert "曲政办发〔2020〕33 号" in generated["qujing-2020"]["preamble"]
    assert "楚政办通〔2025〕26号" in generated["chuxiong-2025"]["preamble"]
    assert "2017年8月24日" in generated["jingzhou-2017"]["preamble"]
    assert "临政办发〔2021〕15号" in generated["linfen-2021"]["preamble"]
    for data in generated.values():
        assert data["measure_title"] not in data["preamble"].splitlines()


def test_committed_files_are_up_to_date(measures: dict[str, Any]) -> None:
    for spec in ea.MEASURES:
        path = ea.output_path(ea.DEFAULT_OUT_DIR, spec)
        assert path.read_text(encoding="utf-8") == ea.render(measures[spec.pack_id]), (
            f"{path} is stale: run python tools/extract_articles.py"
        )
