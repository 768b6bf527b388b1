"""``govrules ask``: an interview in the terminal that asks only the questions that decide.

It asks the scope and route questions of :func:`govrules.engine.questions.questions`, in their order,
re-evaluating after each answer (an answer may make other questions moot), until scope and route are
decided, or the user stops: an empty answer or the end of input, or 不知道 to every remaining one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from govrules.compile.compiler import CompiledPack
from govrules.engine.questions import procedure_decided, set_path
from govrules.models.verdict import Question, Verdict

_YES = frozenset({"是", "y", "yes", "true", "1", "对"})
_NO = frozenset({"否", "n", "no", "false", "0", "不是"})
_DONT_KNOW = frozenset({"不知道", "?", "？", "不清楚", "dk"})
_NOT_YET = frozenset({"未发生", "尚未发生", "没有", "无", "not yet", "no"})


class _Stop(Exception):
    """The user stopped the interview (an empty answer or the end of input)."""


class _DontKnow(Exception):
    """The user does not know the answer."""


def parse_answer(question: Question, text: str, values: list[str] | None) -> Any:
    """The value an answer gives a fact (as written in a project file); raises ValueError when it
    cannot be read, :class:`_DontKnow` for 不知道."""
    from govrules.models.dates import parse_date
    from govrules.models.money import MoneyFormatError, parse_money

    answer = text.strip()
    if answer.lower() in _DONT_KNOW:
        raise _DontKnow
    if question.kind == "bool":
        if answer.lower() in _YES:
            return True
        if answer.lower() in _NO:
            return False
        raise ValueError("请回答 是/否/不知道（也可 y/n/?）")
    if question.kind == "enum":
        choices = values or []
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1]
        if answer in choices:
            return answer
        raise ValueError(f"请输入序号（1-{len(choices)}）或取值")
    if question.kind == "money":
        try:
            return _plain(parse_money(answer))
        except MoneyFormatError as exc:
            raise ValueError(f"金额无法识别: {exc}（例如 800000 或 80万元）") from None
    if question.kind == "number":
        try:
            return _plain(Decimal(answer))
        except InvalidOperation:
            raise ValueError("请输入数字") from None
    if answer.lower() in _NOT_YET:
        return False
    try:
        return parse_date(answer).isoformat()
    except ValueError:
        raise ValueError("请输入日期 YYYY-MM-DD，或“未发生”") from None


def _plain(value: Any) -> Any:
    """A value as YAML can write it: Decimals as int or string, dates as ISO strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _prompt(question: Question, values: list[str] | None) -> str:
    lines = [f"{question.zh}？（{question.path}）"]
    for a in question.answers:
        from govrules.output.report import outcome_text

        settled = "，".join(outcome_text(o) for o in a.outcomes if o.conclusion in ("scope", "route"))
        if settled:
            lines.append(f"    {a.zh} → {settled}")
    if question.kind == "bool":
        lines.append("  [是/否/不知道] > ")
    elif question.kind == "enum":
        lines[1:1] = [f"  {i}. {v}" for i, v in enumerate(values or [], 1)]
        lines.append("  [序号或取值/不知道] > ")
    elif question.kind == "money":
        lines.append("  [金额，如 800000 或 80万元/不知道] > ")
    elif question.kind == "number":
        lines.append("  [数字/不知道] > ")
    else:
        lines.append("  [日期 YYYY-MM-DD/未发生/不知道] > ")
    return "\n".join(lines)


def interview(data: Mapping[str, Any], pack: CompiledPack, as_of: dt.date | None, *,
              read: Callable[[str], str | None], out: TextIO, parameters: Mapping[str, Any] | None = None,
              strict: bool = False, readings: Mapping[str, str] | None = None
              ) -> tuple[Verdict, dict[str, Any], list[tuple[str, str]]]:
    """Ask the questions that decide scope and route for the project ``data`` under ``pack``.

    ``read(prompt)`` returns the user's answer, or None at the end of input. Returns the final verdict
    (with its questions), the project data with the answers, and the transcript (fact, answer).
    """
    from govrules.engine.evaluator import evaluate
    from govrules.engine.projects import validate_project

    answers: dict[str, Any] = dict(data)
    unknown: set[str] = set()
    transcript: list[tuple[str, str]] = []
    symbols = pack.table.symbols
    while True:
        project = validate_project(answers, pack=pack)
        verdict = evaluate(project, pack, as_of, parameters=parameters, strict=strict, readings=readings,
                           trace=False, questions=True)
        if procedure_decided(verdict):
            break
        pending = [q for q in verdict.questions if q.tier in ("scope", "route") and q.fact not in unknown]
        if not pending:
            break
        question = pending[0]
        symbol = symbols.get(question.fact)
        values = list(symbol.values) if symbol is not None and symbol.values else None
        try:
            value = _ask(question, values, read, out)
        except _Stop:
            break
        except _DontKnow:
            unknown.add(question.fact)
            transcript.append((question.fact, "不知道"))
            continue
        transcript.append((question.fact, str(value)))
        answers = set_path(answers, question.path, value)
    return verdict, _plain(answers), transcript


def _ask(question: Question, values: list[str] | None, read: Callable[[str], str | None], out: TextIO) -> Any:
    prompt = _prompt(question, values)
    while True:
        text = read(prompt)
        if text is None or not text.strip():
            raise _Stop
        try:
            return parse_answer(question, text, values)
        except ValueError as exc:
            print(f"  {exc}", file=out)
