#!/usr/bin/env python3
"""Split the four source measures into chapters, articles, paragraphs (款) and items (项).

Reads the published texts in ``shared/seeds/`` (see its README.md) and writes one
``tools/articles/<pack-id>.articles.yaml`` per measure.  The legal text is never
rewritten: the only changes are joining lines that a PDF page, a PDF line wrap or a
markdown conversion broke inside a paragraph, dropping the markdown ``**`` markers and
trailing ``"  "`` line breaks, and trimming.  Every article's ``text`` with whitespace
removed equals the source span of that article with whitespace, ``**`` and the
``第N条`` label removed (``tests/test_extract_articles.py`` checks this).

Usage::

    python tools/extract_articles.py [--seeds-dir DIR] [--out-dir DIR] [--check]

The seeds directory defaults to ``$GOVRULES_SEEDS_DIR`` or ``../shared/seeds`` beside
the repository; ``--check`` exits non-zero when a generated file is missing or stale.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

TOOLS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOLS_DIR.parent
DEFAULT_OUT_DIR = TOOLS_DIR / "articles"
SEEDS_ENV = "GOVRULES_SEEDS_DIR"

SourceKind = Literal["pdf", "lines", "markdown"]

CN_NUMERAL = "零〇一二三四五六七八九十百"
ARTICLE_RE = re.compile(rf"^第([{CN_NUMERAL}]+)条(?=\s)")
CHAPTER_RE = re.compile(rf"^(第[{CN_NUMERAL}]+章)(?:\s+(.*))?$")
ITEM_RE = re.compile(rf"^[(（]([{CN_NUMERAL}]+)[)）]")
# A paragraph (or a markdown chunk) that does not end in one of these runs on.
TERMINAL_PUNCT = "。：:；;！!？?"
# Width (in characters) of a full line in the Qujing PDF; shorter lines end a paragraph
# of the notice, which only matters for the informational preamble.
PDF_FULL_LINE = 26


def cn_to_int(numeral: str) -> int:
    """Convert a Chinese numeral such as ``三十八`` or ``十`` to an int (up to 999)."""
    digits = {char: value for value, char in enumerate("零一二三四五六七八九")} | {"〇": 0}
    units = {"十": 10, "百": 100}
    total = 0
    current = 0
    for char in numeral:
        if char in digits:
            current = digits[char]
        elif char in units:
            total += (current or 1) * units[char]
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {numeral!r}")
    return total + current


def collapse(text: str) -> str:
    """Remove all whitespace (ASCII, NBSP, full-width): the comparison form of a text."""
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class DerivedItems:
    """Items that the source writes as one ``；``-separated sentence rather than (一)(二)."""

    article: int
    lead: str  # the source text that introduces the list; items start right after it
    separator: str  # exactly as in the source (Jingzhou uses the ASCII ";")
    expected: int
    note: str


@dataclass(frozen=True)
class MeasureSpec:
    pack_id: str
    filename: str
    kind: SourceKind
    title: str  # the attached measure's title line (markdown "#" and whitespace stripped)
    end_marker: str | None  # first line (stripped) after the measure that is not part of it
    expected_articles: int
    preamble_drop: tuple[str, ...] = ()  # regexes of website chrome lines to leave out
    derived_items: tuple[DerivedItems, ...] = ()


MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec(
        pack_id="qujing-2020",
        filename="000_155a0009975ce4a9.txt",
        kind="pdf",
        title="曲靖市信息化项目建设管理办法（试行）",
        end_marker=None,
        expected_articles=21,
    ),
    MeasureSpec(
        pack_id="chuxiong-2025",
        filename="001_46a750170dd1481e.txt",
        kind="lines",
        title="楚雄州政务信息化项目管理办法(试行)",
        end_marker="相关解读",
        expected_articles=38,
        preamble_drop=(r"^首页$", r"^您当前所在的位置", r"^标 题:$", r"^\|$"),
    ),
    MeasureSpec(
        pack_id="jingzhou-2017",
        filename="003_6cc6cee4226eed07.txt",
        kind="lines",
        title="荆州市信息化建设项目管理办法",
        end_marker="网站首页",
        expected_articles=21,
        derived_items=(
            DerivedItems(
                article=16,
                lead="有下列情形之一的,暂缓安排信息化建设项目:",
                separator=";",
                expected=5,
                note=(
                    "items derived by splitting the source sentence at ';' "
                    "(the source has no (一)(二) markers)"
                ),
            ),
        ),
    ),
    MeasureSpec(
        pack_id="linfen-2021",
        filename="004_3f843efd49017363.txt",
        kind="markdown",
        title="临汾市政务信息化项目建设应用管理办法",
        end_marker="---",
        expected_articles=41,
    ),
)


def seeds_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding the source texts."""
    if override is not None:
        return Path(override)
    env = os.environ.get(SEEDS_ENV)
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "seeds"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Item:
    number: int
    paragraph: int  # 1-based index of the paragraph (款) the item belongs to
    text: str  # without the (一) marker


@dataclass
class Paragraph:
    lead: str
    item_lines: list[str] = field(default_factory=list)  # full source lines, marker included

    @property
    def text(self) -> str:
        return "\n".join(line for line in [self.lead, *self.item_lines] if line)


@dataclass
class Article:
    number: int
    chapter: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    derived: DerivedItems | None = None

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)

    @property
    def items(self) -> list[Item]:
        if self.derived is not None:
            return derive_items(self)
        items: list[Item] = []
        for index, paragraph in enumerate(self.paragraphs, start=1):
            for line in paragraph.item_lines:
                match = ITEM_RE.match(line)
                assert match is not None
                items.append(Item(cn_to_int(match.group(1)), index, line[match.end() :].strip()))
        return items


@dataclass
class Measure:
    spec: MeasureSpec
    measure_title: str
    preamble: str
    articles: list[Article]


def derive_items(article: Article) -> list[Item]:
    derived = article.derived
    assert derived is not None
    for index, paragraph in enumerate(article.paragraphs, start=1):
        position = paragraph.lead.find(derived.lead)
        if position < 0:
            continue
        rest = paragraph.lead[position + len(derived.lead) :]
        pieces = rest.split(derived.separator)
        # keep each clause's own terminal punctuation, as (一)-style items keep theirs
        texts = [piece + derived.separator for piece in pieces[:-1]] + [pieces[-1]]
        texts = [text.strip() for text in texts]
        if len(texts) != derived.expected or not all(texts):
            raise ValueError(
                f"第{article.number}条: expected {derived.expected} derived items, got {len(texts)}"
            )
        return [Item(number, index, text) for number, text in enumerate(texts, start=1)]
    raise ValueError(f"第{article.number}条: lead {derived.lead!r} not found")


# --------------------------------------------------------------------------- parsing


def normalize_chapter(line: str) -> str | None:
    """``第一章 \\xa0总 \\xa0则`` -> ``第一章 总则``; None when the line is no chapter heading."""
    match = CHAPTER_RE.match(line.lstrip("#").strip())
    if match is None:
        return None
    return f"{match.group(1)} {collapse(match.group(2) or '')}".strip()


def clean_line(line: str, kind: SourceKind) -> str:
    if kind == "markdown":
        line = line.replace("**", "")
    return line.strip()


def is_heading(line: str, kind: SourceKind) -> bool:
    if kind == "markdown":
        return line.startswith("#")
    return normalize_chapter(line) is not None


def ends_sentence(text: str) -> bool:
    return bool(text) and text[-1] in TERMINAL_PUNCT


def find_bounds(lines: Sequence[str], spec: MeasureSpec) -> tuple[int, int]:
    """Index of the measure's title line and of the first line after the measure."""
    title_index = next(
        (i for i, line in enumerate(lines) if line.lstrip("#").strip() == spec.title),
        None,
    )
    if title_index is None:
        raise ValueError(f"{spec.filename}: title {spec.title!r} not found")
    end_index = len(lines)
    if spec.end_marker is not None:
        end_index = next(
            (i for i in range(title_index + 1, len(lines)) if lines[i].strip().startswith(spec.end_marker)),
            len(lines),
        )
    return title_index, end_index


def logical_lines(body: Sequence[str], spec: MeasureSpec) -> list[str]:
    """Source paragraphs, headings and item lines, with broken lines joined back."""
    kind = spec.kind
    result: list[str] = []
    if kind == "lines":
        # one source line per paragraph, heading or item
        return [line for line in (clean_line(raw, kind) for raw in body) if line]

    if kind == "pdf":
        # A PDF line continues the previous one unless it is a heading, the next article's
        # label, or the previous line closed a sentence with "。" (the Qujing PDF ends every
        # paragraph there; no mid-paragraph line ends with "。").
        expected = 1
        for raw in body:
            line = clean_line(raw, kind)
            if not line:
                continue
            article = ARTICLE_RE.match(line)
            starts_article = article is not None and cn_to_int(article.group(1)) == expected
            if starts_article:
                expected += 1
            previous = result[-1] if result else ""
            if (
                not result
                or starts_article
                or is_heading(line, kind)
                or is_heading(previous, kind)
                or previous.endswith("。")
            ):
                result.append(line)
            else:
                result[-1] = previous + line
        return result

    # markdown: blank-line separated chunks; a chunk that does not start a new article or
    # heading continues the previous one when that one did not end a sentence (page breaks
    # leave blank lines in mid-sentence, e.g. "更\n\n新").  Lines inside a chunk (markdown
    # "  " line breaks) are always joined.
    chunks: list[list[str]] = [[]]
    for raw in body:
        line = clean_line(raw, kind)
        if line:
            chunks[-1].append(line)
        elif chunks[-1]:
            chunks.append([])
    for chunk in chunks:
        if not chunk:
            continue
        text = "".join(chunk)
        previous = result[-1] if result else ""
        if (
            previous
            and not is_heading(previous, kind)
            and not is_heading(text, kind)
            and not ARTICLE_RE.match(text)
            and not ends_sentence(previous)
        ):
            result[-1] = previous + text
        else:
            result.append(text)
    return result


def build_preamble(head: Sequence[str], spec: MeasureSpec) -> str:
    drop = [re.compile(pattern) for pattern in spec.preamble_drop]
    lines: list[str] = []
    for raw in head:
        line = raw.strip()
        if spec.kind == "markdown":
            line = line.lstrip("#").strip()
        if not line or any(pattern.search(line) for pattern in drop):
            continue
        if spec.kind == "pdf" and lines and len(lines[-1]) >= PDF_FULL_LINE and not ends_sentence(lines[-1]):
            lines[-1] += line
        else:
            lines.append(line)
    return "\n".join(dict.fromkeys(lines))  # the website header repeats the notice title


def parse_measure(spec: MeasureSpec, seeds: Path) -> Measure:
    raw_lines = (seeds / spec.filename).read_text(encoding="utf-8").splitlines()
    title_index, end_index = find_bounds(raw_lines, spec)
    derived = {d.article: d for d in spec.derived_items}

    articles: list[Article] = []
    chapter = ""
    for line in logical_lines(raw_lines[title_index + 1 : end_index], spec):
        if is_heading(line, spec.kind):
            heading = normalize_chapter(line)
            if heading is None:
                raise ValueError(f"{spec.filename}: unexpected heading {line!r}")
            chapter = heading
            continue
        article_match = ARTICLE_RE.match(line)
        if article_match is not None:
            number = cn_to_int(article_match.group(1))
            if number != len(articles) + 1:
                raise ValueError(f"{spec.filename}: 第{article_match.group(1)}条 out of sequence")
            lead = line[article_match.end() :].strip()
            articles.append(Article(number, chapter, [Paragraph(lead)], derived.get(number)))
            continue
        if not articles:
            raise ValueError(f"{spec.filename}: text before the first article: {line!r}")
        current = articles[-1]
        if ITEM_RE.match(line):
            current.paragraphs[-1].item_lines.append(line)
        else:
            current.paragraphs.append(Paragraph(line))

    if len(articles) != spec.expected_articles:
        raise ValueError(f"{spec.filename}: {len(articles)} articles, expected {spec.expected_articles}")
    for article in articles:
        if article.derived is not None:
            derive_items(article)  # fail early when the derived split does not fit
    return Measure(
        spec=spec,
        measure_title=spec.title,
        preamble=build_preamble(raw_lines[:title_index], spec),
        articles=articles,
    )


# --------------------------------------------------------------------------- output


def quoted(text: str) -> DoubleQuotedScalarString:
    """Emit as a double-quoted scalar: newlines become ``\\n`` and nothing is folded."""
    scalar: DoubleQuotedScalarString = DoubleQuotedScalarString(text)
    return scalar


def to_yaml_tree(measure: Measure) -> CommentedMap:
    root = CommentedMap()
    root["measure_title"] = quoted(measure.measure_title)
    root["preamble"] = quoted(measure.preamble)
    articles = CommentedSeq()
    for article in measure.articles:
        node = CommentedMap()
        node["number"] = article.number
        node["chapter"] = article.chapter
        node["text"] = quoted(article.text)
        if len(article.paragraphs) > 1:
            node["paragraphs"] = CommentedSeq(quoted(p.text) for p in article.paragraphs)
        items = article.items
        if items:
            seq = CommentedSeq()
            for item in items:
                item_node = CommentedMap()
                item_node["number"] = item.number
                item_node["paragraph"] = item.paragraph
                item_node["text"] = quoted(item.text)
                seq.append(item_node)
            node["items"] = seq
        if article.derived is not None:
            node["items_derived"] = True
            node.yaml_add_eol_comment(article.derived.note, "items_derived")
        articles.append(node)
    root["articles"] = articles
    root.yaml_set_start_comment(
        f"Generated by tools/extract_articles.py from shared/seeds/{measure.spec.filename};\n"
        "do not edit by hand: fix the script and re-run it."
    )
    return root


def make_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.width = 1_000_000  # never fold a line
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def render(measure: Measure) -> str:
    stream = io.StringIO()
    make_yaml().dump(to_yaml_tree(measure), stream)
    return stream.getvalue()


def output_path(out_dir: Path, spec: MeasureSpec) -> Path:
    return out_dir / f"{spec.pack_id}.articles.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds-dir", default=None, help=f"default: ${SEEDS_ENV} or ../shared/seeds")
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR))
    parser.add_argument("--check", action="store_true", help="fail if an output is missing or stale")
    args = parser.parse_args(argv)

    seeds = seeds_dir(args.seeds_dir)
    out_dir = Path(args.out_dir)
    stale: list[Path] = []
    for spec in MEASURES:
        measure = parse_measure(spec, seeds)
        content = render(measure)
        path = output_path(out_dir, spec)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(path)
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        print(f"{path}: {len(measure.articles)} articles")
    for path in stale:
        print(f"stale or missing: {path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
