"""Obligations: what must be filed or done by when (working days on the holiday calendar), and
whether it is pending, met, overdue or unknown on ``as_of``."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from govrules.compile.compiler import NOT_YET, CompiledRule
from govrules.engine.calendar import Deadline, annual_date
from govrules.engine.combine import Outcome, note_missing
from govrules.engine.conclusions import Conclusions
from govrules.engine.memo import DeclaredInputs, Reads
from govrules.errors import CalendarDataMissing, ProjectError
from govrules.models.pack import ObligationRule
from govrules.models.verdict import Obligation


class Obligations(Conclusions):
    """Works out each obligation's deadline and status."""

    def _obligations_reads(self) -> Reads:
        """What the obligations part reads (see :meth:`_obligations_read`)."""
        return self._declared("obligations", self._obligations_read)

    def _obligations(self) -> tuple[Obligation, ...]:
        reads = self._obligations_reads()
        found: tuple[Obligation, ...] = self._memo(reads, self._work_out_obligations)
        return found

    def _obligations_read(self) -> Reads:
        """What the obligations read: the obligation outcomes, the dates and ``met_when`` facts each
        reads in its environment, the deadline parameters, ``as_of`` and the calendar."""
        rules = [c for c in self.c.rules if c.rule.kind == "obligation"]
        parameters = {c.rule.deadline.parameter for c in rules
                      if c.rule.deadline is not None and c.rule.deadline.parameter is not None}
        return Reads("obligations", parameters=tuple(sorted(parameters)), outcomes=("obligation",),
                     outcome_env=tuple((c.index, _obligation_reads(c)) for c in rules), as_of=True, calendar=True)

    def _work_out_obligations(self, given: DeclaredInputs) -> tuple[Obligation, ...]:
        return tuple(self._obligation(o, given) for o in given.outcomes["obligation"] if o.effective is not False)

    def _obligation(self, o: Outcome, given: DeclaredInputs) -> Obligation:
        """The obligation of ``o``, worked out once per pack for each value of what it reads (the rule,
        the item, its effective value, and its own :class:`Reads` on the outcome's environment): a
        verdict whose obligations as a whole are new still reuses those seen before."""
        fast = self._runtime
        compiled = o.compiled
        reads: Reads | None = fast.declared.get(("obligation", compiled.index))
        if reads is None:
            deadline = compiled.rule.deadline
            parameter = deadline.parameter if deadline is not None else None
            reads = fast.declared[("obligation", compiled.index)] = Reads(
                f"obligation:{compiled.rule.id}", env=_obligation_reads(compiled),
                parameters=(parameter,) if parameter is not None else (), as_of=True, calendar=True)
        env = given.env_of(o)
        obligation: Obligation = self._reused(
            (reads.key(self, env), o.item, o.effective),
            lambda: self._work_out_obligation(o, reads.view(self, env)))
        return obligation

    def _work_out_obligation(self, o: Outcome, given: DeclaredInputs) -> Obligation:
        rule: ObligationRule = o.rule
        env = given.env  # the outcome's (see _obligation)
        as_of = given.as_of
        due, reason, deadline = self._due(rule, env, given)
        # A provisional deadline lies somewhere in [earliest, latest]: a comparison with as_of or the
        # day it was done decides only when the whole interval agrees.
        earliest = latest = due
        out = self._obligation_out
        if deadline is not None and deadline.provisional:
            earliest, latest = deadline.earliest, deadline.latest
            out = functools.partial(self._provisional_out, deadline)
        done = env.get(f"dates.{rule.done}") if rule.done else None
        if isinstance(done, dt.date) and done > as_of:
            done = NOT_YET  # done after as_of: on as_of it had not been done yet
        status: str
        late = False
        met = o.compiled.met.fn(env) if o.compiled.met is not None else None
        if o.compiled.met is not None and o.effective is not None:
            if met is True:
                return out(id=rule.id, action=rule.action, due=due, status="met",
                           citation=self._cite(rule), reason=reason, item=o.item)
            if met is None:
                for name in o.compiled.met.unknowns(env):
                    note_missing(self.missing, name, (rule.id,))
                status = "unknown" if earliest is None or as_of > earliest else "pending"
                return out(id=rule.id, action=rule.action, due=due, status=status,
                           citation=self._cite(rule), reason=reason or "是否已履行未知", item=o.item)
            if latest is not None and as_of > latest:
                status = "overdue"
            elif earliest is not None and as_of > earliest:
                status, reason = "unknown", reason or "期限可能已过，尚未履行"
            else:
                status = "pending"
            return out(id=rule.id, action=rule.action, due=due, status=status,
                       citation=self._cite(rule), reason=reason or "尚未履行", item=o.item)
        if o.effective is None:
            status, reason = "unknown", reason or "是否负有该义务待定"
        elif rule.done and isinstance(done, dt.date) and done is not NOT_YET and (
                due is None or rule.deadline is None or rule.deadline.after is not None or done.year == due.year):
            status = "met"
            late = latest is not None and done > latest
            if late:
                reason = f"已于{done.isoformat()}履行，晚于期限{due.isoformat() if due else ''}"
            elif earliest is not None and done > earliest:
                reason = f"已于{done.isoformat()}履行，是否逾期待定"
        elif due is None:
            status = "unknown" if reason and "未知" in reason else "pending"
            if rule.deadline is None:
                status = "pending" if not rule.done or done is NOT_YET else "unknown"
                if rule.done and done is None:
                    reason = f"是否已履行未知（缺少 dates.{rule.done}）"
                    note_missing(self.missing, f"dates.{rule.done}", (rule.id,))
        elif latest is not None and earliest is not None and as_of > earliest:
            surely = as_of > latest
            if rule.done is None or done is NOT_YET or isinstance(done, dt.date):
                status = "overdue" if surely else "unknown"
                if not surely:
                    reason = "期限可能已过，尚未履行"
            else:
                status = "unknown"
                reason = (f"期限{due.isoformat()}已过" if surely else "期限可能已过") + \
                    f"，是否已履行未知（缺少 dates.{rule.done}）"
                note_missing(self.missing, f"dates.{rule.done}", (rule.id,))
        else:
            status = "pending"
        return out(id=rule.id, action=rule.action, due=due, status=status,
                   citation=self._cite(rule), late=late, reason=reason, item=o.item)

    def _obligation_out(self, **values: Any) -> Obligation:
        # the citation and action follow from the rule's id
        key = ("obligation", values["id"], values["due"], values["status"], values.get("late", False),
               values.get("reason"), values.get("item"))
        return self._shared(key, Obligation, **values)

    def _provisional_out(self, deadline: Deadline, **values: Any) -> Obligation:
        """An obligation whose deadline waits for a year's holiday schedule: marked, with its interval
        and the wording the report shows."""
        years = "、".join(f"{year}年" for year in deadline.unknown_years)
        note = f"暂按法定节假日推算，待国务院公布{years}放假安排后确定"
        reason = values.get("reason")
        values["reason"] = f"{reason}；{note}" if reason else note
        values.update(late=values.get("late", False), provisional=True, due_earliest=deadline.earliest,
                      due_latest=deadline.latest)
        key = ("obligation", values["id"], values["due"], values["status"], values["late"], values["reason"],
               values.get("item"), deadline.earliest, deadline.latest)
        return self._shared(key, Obligation, **values)

    def _due(self, rule: ObligationRule, env: Mapping[str, Any],
             given: DeclaredInputs) -> tuple[dt.date | None, str | None, Deadline | None]:
        deadline = rule.deadline
        if deadline is None:
            return None, None, None
        if deadline.after is None:
            base_year: Any = given.as_of.year
            if deadline.year_from is not None:
                base_year = env.get(deadline.year_from)
                if base_year is None:
                    note_missing(self.missing, deadline.year_from, (rule.id,))
                    return None, f"期限所依据的年度未知（缺少 {deadline.year_from}）", None
            year = int(base_year.year if isinstance(base_year, dt.date) else base_year) + deadline.year_offset
            assert deadline.month is not None and deadline.day is not None
            try:
                return annual_date(year, deadline.month, deadline.day), None, None
            except ValueError:
                path = self.c.table.symbols[deadline.year_from].path if deadline.year_from else "as_of"
                raise ProjectError(f"{path}: {base_year} gives the year {year}, which is not a calendar year",
                                   errors=[{"path": path, "message": f"year {year} is out of range"}],
                                   message_zh=f"{path}: 年度 {year} 无效") from None
        event = env.get(f"dates.{deadline.after}")
        if event is None:
            note_missing(self.missing, f"dates.{deadline.after}", (rule.id,))
            return None, f"起算事件日期未知（缺少 dates.{deadline.after}）", None
        if event is NOT_YET:
            return None, f"起算事件（{deadline.after}）尚未发生", None
        count: int | None
        unit: str
        if deadline.parameter is not None:
            value = given.params.get(deadline.parameter)
            if value is None:
                return None, f"参数 {deadline.parameter} 未设定", None
            count = int(value)
            unit = next(p.unit.value for p in self.pack.parameters if p.name == deadline.parameter)
        else:
            unit, count = next((u, c) for u, c in (("working_days", deadline.working_days), ("days", deadline.days),
                                                   ("months", deadline.months), ("years", deadline.years))
                               if c is not None)
        assert count is not None
        try:
            if unit == "working_days":
                found = given.calendar.deadline_after(event, count)
            else:
                delta = {"days": relativedelta(days=count), "months": relativedelta(months=count),
                         "years": relativedelta(years=count)}[unit]
                # 民法典第二百零三条: a period whose last day is a statutory rest day ends on the next
                # working day.
                found = given.calendar.next_working_day(event + delta)
        except CalendarDataMissing as exc:
            self.warnings.append(f"{exc.message_zh}（{rule.id}）: 期限无法精确计算，未作推算；"
                                 "可提供该年度节假日安排文件")
            return None, f"缺少{exc.year}年节假日安排，期限无法计算（未知）", None
        except (OverflowError, ValueError):
            self.warnings.append(f"{rule.id}: 期限超出可计算的日期范围（{count} {unit}），未作推算")
            return None, "期限超出可计算的日期范围（未知）", None
        if found.provisional:
            years = "、".join(str(year) for year in found.unknown_years)
            self.warnings.append(
                f"缺少{years}年节假日安排（{rule.id}）: 期限暂按法定节假日推算为{found.due.isoformat()}"
                f"（可能在{found.earliest.isoformat()}至{found.latest.isoformat()}之间），"
                f"可用 govrules calendar --template {found.unknown_years[0]} 生成安排文件")
        return found.due, None, found


def _obligation_reads(compiled: CompiledRule) -> tuple[str, ...]:
    """The environment names an obligation's status and deadline are worked out from."""
    rule = compiled.rule
    names: list[str] = []
    deadline = rule.deadline
    if deadline is not None:
        if deadline.year_from is not None:
            names.append(deadline.year_from)
        if deadline.after is not None:
            names.append(f"dates.{deadline.after}")
    if rule.done:
        names.append(f"dates.{rule.done}")
    if compiled.met is not None:
        names.extend(sorted(compiled.met.symbols()))
    return tuple(names)
