"""Verdicts as readable Chinese text, and side-by-side tables for several measures."""

from __future__ import annotations

from govrules.models.verdict import CitationOut, Question, QuestionOutcome, Verdict
from govrules.printable import printable

_SCOPE = {"in_scope": "适用", "out_of_scope": "不适用(不在适用范围内)", "exempt": "不适用(豁免)",
          "undetermined": "待定"}
_ROUTE = {"approval": "审批", "filing": "备案", "none": "无需", "build_first": "先建设后补齐审批手续",
          "undetermined": "待定"}
_GROUND_KIND = {"rejection": "不予审批", "deferral": "暂缓安排", "no_funding": "不安排资金"}
_GROUND_STATUS = {"triggered": "成立", "unknown": "待定", "excepted": "因例外而排除"}
_CHANGE = {"filing": "报备", "approval": "审批", "adjustment_request": "提交调整申请", "none": "无需办理",
           "not_covered": "本办法未规定",
           "undetermined": "待定"}
_OBLIGATION = {"met": "已履行", "pending": "待履行", "overdue": "已逾期", "unknown": "待定"}


def _labels(citations: list[CitationOut]) -> str:
    seen: list[str] = []
    for c in citations:
        if c.label not in seen:
            seen.append(c.label)
    return "、".join(seen) if seen else "—"


def _marks(verdict: Verdict) -> dict[str, str]:
    """Conclusion name (``scope``, ``route``, ``ground:<id>``…) → the presumptions it rests on, as
    "（假定非紧急项目，第十一条）"."""
    found: dict[str, list[str]] = {}
    for a in verdict.assumptions:
        mark = a.zh + (f"，{a.citation.label}" if a.citation else "")
        for conclusion in a.decides:
            found.setdefault(conclusion, []).append(mark)
    return {k: "".join(f"（假定{m}）" for m in marks) for k, marks in found.items()}


def render_text(verdict: Verdict) -> str:
    """A verdict as plain Chinese text, each conclusion with its article, marked where it rests on a
    presumption (user text made :func:`printable`)."""
    v = verdict
    marks = _marks(v)
    lines = [f"《{v.title}》{v.document}",
             f"评估日期: {v.as_of.isoformat()}    是否施行: {'是' if v.in_force else '否'}"
             + ("（视同施行评估）" if v.historical else "")
             + (f"    现行办法: 《{v.superseded_by.title}》{v.superseded_by.document}"
                f"（{v.superseded_by.on.isoformat()}起）" if v.superseded_by is not None else "")]
    for warning in v.warnings:
        lines.append(f"! {warning}")
    lines.append("")
    lines.append(f"适用范围: {_SCOPE[v.scope.status]}{marks.get('scope', '')}  [{_labels(v.scope.citations)}]")
    lines.extend(f"    - {r}" for r in v.scope.reasons)
    authority = f"（{v.route.authority}）" if v.route.authority else ""
    gap = "（办法未作规定）" if v.route.gap else ""
    lines.append(f"程序: {_ROUTE[v.route.decision]}{authority}{gap}{marks.get('route', '')}  "
                 f"[{_labels(v.route.citations)}]")
    lines.extend(f"    - {r}" for r in v.route.reasons)
    for reading in v.readings:
        chosen = "默认解读" if reading.default else "所选解读"
        lines.append(f"    - 依据{chosen}（{reading.id}，{reading.citation.label}）: {reading.text}。"
                     f"理由: {reading.reason}")
        for alt in reading.alternatives:
            lines.append(f"      另一解读（--reading {reading.id}={alt.option}）: {alt.text}")
    lines.append("不予审批/暂缓/不安排资金的情形:" if v.grounds else "不予审批/暂缓/不安排资金的情形: 无")
    for g in v.grounds:
        extra = f"；例外: {g.exception.label}" if g.exception else ""
        status = _GROUND_STATUS[g.status]
        mark = marks.get(f"ground:{g.id}", "")
        lines.append(f"    - [{status}] {_GROUND_KIND[g.kind]}: {g.title}{mark}  [{g.citation.label}{extra}]")
    if v.changes:
        lines.append("变更:")
        for c in v.changes:
            who = f"（{c.authority}）" if c.authority else ""
            mark = marks.get(f"change:{c.index}", "")
            lines.append(f"    - 第{c.index + 1}项变更: {_CHANGE[c.decision]}{who}{mark}  [{_labels(c.citations)}]")
            lines.extend(f"        {r}" for r in c.reasons)
    if v.obligations:
        lines.append("义务与期限:")
        for o in v.obligations:
            due = f"，期限 {o.due.isoformat()}" if o.due else ""
            if o.provisional and o.due_earliest and o.due_latest:
                due += f"（暂定，{o.due_earliest.isoformat()}至{o.due_latest.isoformat()}之间）"
            late = "（逾期履行）" if o.late else ""
            mark = marks.get(f"obligation:{o.id}" + ("" if o.item is None else f":{o.item}"), "")
            lines.append(f"    - [{_OBLIGATION[o.status]}{late}] {o.action}{due}{mark}  [{o.citation.label}]")
            if o.reason:
                lines.append(f"        {o.reason}")
    if v.consequences:
        lines.append("后果:")
        for q in v.consequences:
            maybe = "（可能）" if q.status == "possible" else ""
            mark = marks.get(f"consequence:{q.id}" + ("" if q.item is None else f":{q.item}"), "")
            lines.append(f"    - {q.effect}{maybe}{mark}  [{q.citation.label}]")
    if v.missing_facts:
        lines.append("尚缺的事实（补充后可能改变结论）:")
        for m in v.missing_facts:
            lines.append(f"    - {m.path}: {m.zh}")
    if v.assumptions:
        lines.append("推定（项目未填写、按办法推定的事实；填写后以填写为准，严格评估用 --strict）:")
        for a in v.assumptions:
            where = f"[{a.citation.label}]" if a.citation else ""
            decides = f"；决定: {', '.join(a.decides)}" if a.decides else ""
            lines.append(f"    - {a.fact} = {_value(a.value)}: {a.because}{decides}  {where}")
    lines.append(f"办法包 {v.pack} {v.pack_digest[:19]}…  govrules {v.engine_version}")
    lines.extend(_question_lines(v))
    # each entry is one line: a control character or line break in a name, a reason or a pack's text is
    # shown as an escape, never acted on by the terminal nor able to start a line of its own
    return "\n".join(printable(line) for line in lines)


#: how many questions of each kind the report shows
_FIRST_PROCEDURE = 5
_FIRST_OTHERS = 5


def question_line(question: Question) -> str:
    """One question as a line: the fact's label, then the conclusion under each answer."""
    answers = []
    for a in question.answers:
        settled = "，".join(outcome_text(o) for o in a.outcomes if o.conclusion in question.settles[:2]) or "—"
        answers.append(f"{a.zh} → {settled}")
    presumed = f"（现推定为{_value(question.presumed)}）" if question.presumed is not None else ""
    return f"{question.zh}{presumed}（{question.path}）: " + "；".join(answers)


def outcome_text(o: QuestionOutcome) -> str:
    """A conclusion under one answer, in Chinese with its articles: "程序 审批[第十六条]"."""
    name = {"scope": "适用范围", "route": "程序"}.get(o.conclusion, o.conclusion.split(":", 1)[-1])
    words = {**_SCOPE, **_ROUTE} if o.conclusion in ("scope", "route") else _OUTCOME
    where = f"[{'、'.join(o.citations)}]" if o.citations else ""
    return f"{name} {words.get(o.value, o.value)}{where}"


#: a ground, change, obligation or consequence under an answer; a rule's result (true/false/unknown)
_OUTCOME = {"absent": "不成立", "true": "成立", "false": "不成立", "unknown": "待定", **_GROUND_STATUS,
            **_OBLIGATION, **_CHANGE, "applies": "适用", "possible": "可能"}


def _question_lines(v: Verdict) -> list[str]:
    procedure = [q for q in v.questions if q.tier in ("scope", "route")]
    others = [q for q in v.questions if q.tier not in ("scope", "route")]
    lines: list[str] = []
    if procedure:
        decided = v.scope.status != "undetermined" and v.route.decision != "undetermined"
        # decided with the procedure questions still open: it rests on presumptions they would confirm
        lines.append("程序依推定确定；推定是否成立，可回答：" if decided else "要确定程序，还需回答：")
        lines.extend(f"    {i}. {question_line(q)}" for i, q in enumerate(procedure[:_FIRST_PROCEDURE], 1))
        if len(procedure) > _FIRST_PROCEDURE:
            lines.append(f"    …另有{len(procedure) - _FIRST_PROCEDURE}个")
    if others:
        shown = "、".join(q.zh for q in others[:_FIRST_OTHERS])
        more = f"等{len(others)}个" if len(others) > _FIRST_OTHERS else ""
        lines.append(f"其他待回答的问题（影响不予审批情形、义务或后果）: {shown}{more}")
    return lines


def _value(value: object) -> str:
    return "是" if value is True else "否" if value is False else str(value)


def _pad(text: str, width: int) -> str:
    """Pad to a display width, counting CJK characters as two columns."""
    import unicodedata

    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - shown)


def render_comparison(verdicts: list[Verdict]) -> str:
    """Several measures' verdicts on one project, one block per measure."""
    if not verdicts:
        return "评估日期无施行中的办法包（可用 --all 查看全部）"
    widths = (16, 6, 26, 24, 10, 16)
    headers = ("办法", "施行", "适用范围", "程序", "情形", "变更")
    rows = ["".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)) + "下一期限"]
    for v in verdicts:
        open_grounds = [g for g in v.grounds if g.status != "excepted"]
        grounds = f"{len(open_grounds)}项" if open_grounds else "无"
        changes = ",".join(_CHANGE[c.decision] for c in v.changes) or "—"
        pending = sorted((o for o in v.obligations if o.due and o.status in ("pending", "overdue")),
                         key=lambda o: o.due or v.as_of)
        first = pending[0] if pending else None
        next_due = (f"{first.due.isoformat() if first.due else ''}{'(暂定)' if first.provisional else ''} "
                    f"{_OBLIGATION[first.status]} {first.citation.label}") if first else "—"
        cells = (v.pack, "是" if v.in_force else "否", _SCOPE[v.scope.status], _ROUTE[v.route.decision], grounds,
                 changes)
        rows.append(printable("".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)) + next_due))
    blocks = ["\n".join(rows)]
    for v in verdicts:
        blocks.append("")
        blocks.append(render_text(v))
    return "\n".join(blocks)
