"""Citations and labels: how a conclusion points back into the measure's text."""

from __future__ import annotations

from functools import lru_cache

from govrules.models.pack import Citation, Pack
from govrules.models.verdict import CitationOut

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 15 → 十五, 36 → 三十六 (articles, paragraphs and items run below 100)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def citation_label(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """``第十五条第（二）项``, ``第三十一条第二款``."""
    label = f"第{chinese_number(article)}条"
    if paragraph is not None:
        label += f"第{chinese_number(paragraph)}款"
    if item is not None:
        label += f"第（{chinese_number(item)}）项"
    return label


def cite(pack: Pack, citation: Citation) -> CitationOut:
    """The full citation of ``citation`` in ``pack``, with the cited item's (or paragraph's) text.

    A citation of an inherited article (``citation.measure`` names a pack this one extends) carries
    that measure's document, title and pack id, and its label starts with the measure's 文号 (or
    《title》 when it has none): ``楚政办通〔2025〕26号第十六条``.
    """
    return _cite(pack, citation.measure, citation.article, citation.paragraph, citation.item)


@lru_cache(maxsize=4096)
def _cite_cached(pack_key: int, measure: str | None, article: int, paragraph: int | None,
                 item: int | None) -> CitationOut:
    pack = _PACKS[pack_key]
    found = pack.article(article, measure)
    item_text = None
    if found is not None and item is not None:
        item_text = next((it.text for it in found.items or [] if it.number == item), None)
    elif found is not None and paragraph is not None and found.paragraphs:
        item_text = found.paragraphs[paragraph - 1]
    label = citation_label(article, paragraph, item)
    of = pack.own_measure
    if measure is not None and measure != pack.id:
        of = pack.measure_of(found) if found is not None else next(
            (m for m in pack.measures() if m.pack == measure), of)
        label = (of.document or f"《{of.title}》") + label
    return CitationOut(document=of.document, title=of.title, article=article, paragraph=paragraph, item=item,
                       label=label, item_text=item_text, pack=of.pack)


_PACKS: dict[int, Pack] = {}


def _cite(pack: Pack, measure: str | None, article: int, paragraph: int | None, item: int | None) -> CitationOut:
    key = id(pack)
    if _PACKS.get(key) is not pack:
        _PACKS[key] = pack
        _cite_cached.cache_clear()
    return _cite_cached(key, measure, article, paragraph, item)

