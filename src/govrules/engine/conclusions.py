"""From rule outcomes to the verdict's conclusions: scope, route, grounds, changes, consequences,
missing facts and the text of the articles cited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from govrules.compile.compiler import CHANGE_TIMING
from govrules.compile.temporal import LINE_YEAR, barred_message
from govrules.engine.combine import MissingTable, Outcome, any_true, decide, made_before_measure, note_missing
from govrules.engine.memo import DeclaredInputs, Reads
from govrules.engine.rule_steps import RuleSteps
from govrules.engine.state import unvalidated
from govrules.models.verdict import (
    Assumption,
    ChangeOut,
    CitationOut,
    Consequence,
    Ground,
    MissingFact,
    Obligation,
    ReadingOut,
    Route,
    Scope,
)

_TIMING = frozenset(CHANGE_TIMING)


class Conclusions(RuleSteps):
    """Combines outcomes per kind into the verdict's conclusions."""

    def _scope(self) -> tuple[Any, ...]:
        """The scope's status, citations and reasons (memoised on the scope and exemption outcomes)."""
        reads = self._scope_reads()
        found: tuple[Any, ...] = self._memo(
            reads, lambda given: self._work_out_scope(given.outcomes["scope"], given.outcomes["exemption"]))
        return found

    @staticmethod
    def _scope_out(found: tuple[Any, ...]) -> Scope:
        """The verdict's scope from what :meth:`_scope` found (its lists the verdict's own)."""
        status, citations, reasons = found
        return unvalidated(Scope, status=status, citations=list(citations), reasons=list(reasons))

    def _scope_reads(self) -> Reads:
        """What the scope part reads."""
        return self._declared("scope", lambda: Reads("scope", outcomes=("scope", "exemption")))

    def _route_reads(self) -> Reads:
        """What the route part reads."""
        return self._declared("route", lambda: Reads("route", outcomes=("route",)))

    def _grounds_reads(self) -> Reads:
        """What the grounds part reads."""
        return self._declared("grounds", lambda: Reads("grounds", outcomes=("ground",)))

    def _changes_reads(self) -> Reads:
        """What the changes part reads."""
        return self._declared("changes", lambda: Reads("changes", env=("change_count",), outcomes=("change",)))

    def _consequences_reads(self) -> Reads:
        """What the consequences part reads."""
        return self._declared("consequences", lambda: Reads("consequences", outcomes=("consequence",)))

    def _work_out_scope(self, scopes: list[Outcome], exemptions: list[Outcome]) -> Any:
        for o in exemptions:
            if o.effective is True:
                return o.rule.status, [self._cite(o.rule)], [o.rule.title]
        covered = any_true(o.effective for o in scopes) if scopes else True
        if covered is False:
            return "out_of_scope", [self._cite(o.rule) for o in scopes], [f"不满足: {o.rule.title}" for o in scopes]
        holding = [o for o in scopes if o.effective is True]
        open_exemptions = [o for o in exemptions if o.effective is None]
        if covered is True and not open_exemptions:
            return "in_scope", [self._cite(o.rule) for o in holding], [o.rule.title for o in holding]
        reasons = [f"待定: {o.rule.title}" for o in scopes if o.effective is None]
        reasons += [f"可能不适用: {o.rule.title}" for o in open_exemptions]
        return ("undetermined", [self._cite(o.rule) for o in holding + open_exemptions
                                 + [o for o in scopes if o.effective is None]], reasons)

    def _decide(self, candidates: list[Outcome]) -> tuple[str, list[Outcome], list[str], bool]:
        """Combine route or change rules (:func:`govrules.engine.combine.decide`), keeping its warnings."""
        decision = decide(candidates)
        self.warnings.extend(decision.warnings)
        return decision.decision, decision.deciding, decision.reasons, decision.gap

    def _route(self) -> tuple[Any, ...]:
        """The route's decision, authority, citations, reasons, gap and rules (memoised on the route
        outcomes)."""
        reads = self._route_reads()
        silent = "本办法未对此类项目规定审批或备案程序（办法未作规定，不作推定）"
        found: tuple[Any, ...] = self._memo(
            reads, lambda given: self._work_out_decision(given.outcomes["route"], silent))
        return found

    @staticmethod
    def _route_out(found: tuple[Any, ...]) -> Route:
        """The verdict's route from what :meth:`_route` found (its lists the verdict's own)."""
        decision, authority, citations, reasons, gap, rules = found
        return unvalidated(Route, decision=decision, authority=authority, citations=list(citations),
                            reasons=list(reasons), gap=gap, rules=list(rules))

    def _work_out_decision(self, candidates: list[Outcome], silent: str) -> Any:
        decision, deciding, reasons, gap = self._decide(candidates)
        if not deciding and gap:
            reasons = [silent]
        authority = deciding[0].rule.authority if decision != "undetermined" and deciding else None
        return (decision, authority, [self._cite(o.rule) for o in deciding], reasons, gap,
                tuple(o.rule.id for o in deciding))

    def _grounds(self) -> tuple[Ground, ...]:
        reads = self._grounds_reads()
        found: tuple[Ground, ...] = self._memo(
            reads, lambda given: tuple(self._work_out_grounds(given.outcomes["ground"])))
        return found

    def _work_out_grounds(self, outcomes: list[Outcome]) -> list[Ground]:
        # each Ground is also shared by the verdicts whose lists differ
        by_rule: dict[str, list[Outcome]] = {}
        for o in outcomes:
            group = by_rule.get(o.compiled.rule.id)
            if group is None:
                by_rule[o.compiled.rule.id] = [o]
            else:
                group.append(o)
        outputs = self._runtime.outputs
        grounds: list[Ground] = []
        for rule_id, results in by_rule.items():
            # A ground over items holds if it holds for one of them; the first exception named decides
            # which exception the verdict cites.
            if len(results) == 1:
                condition, effective = results[0].condition, results[0].effective
            else:
                condition, effective = any_true(o.condition for o in results), any_true(o.effective for o in results)
            if condition is False:
                continue
            exception_id: str | None = None
            if effective is True:
                status = "triggered"
            elif effective is None:
                status = "unknown"
                exception_id = next((e for o in results for e in o.undecided_exceptions), None)
            else:
                excepted = next((o for o in results if o.condition is True and o.defeated_by), None)
                if excepted is None:
                    continue
                status = "excepted"
                exception_id = excepted.defeated_by[0]
            key = ("ground", rule_id, status, exception_id)
            ground = outputs.get(key)
            if ground is None:
                rule = results[0].compiled.rule
                exception_rule = self.c.by_id[exception_id].rule if exception_id else None
                ground = self._shared(key, Ground, id=rule_id, kind=rule.ground, status=status, title=rule.title,
                                      citation=self._cite(rule),
                                      exception=self._cite(exception_rule) if exception_rule else None,
                                      exception_id=exception_id)
            grounds.append(ground)
        return grounds

    def _changes(self) -> tuple[Any, ...]:
        """Each change's decision as the change rules' outcomes give it (memoised on them and the
        number of changes); :meth:`_changes_out` applies the changes' dates."""
        reads = self._changes_reads()
        found: tuple[Any, ...] = self._memo(reads, self._work_out_changes)
        return found

    def _changes_out(self, found: tuple[Any, ...] | None) -> list[ChangeOut]:
        """The verdict's changes from what :meth:`_changes` found (None: the measure does not apply),
        each change's date applied."""
        if found is None:
            return [unvalidated(ChangeOut, index=index, decision="not_covered", citations=[],
                                reasons=["本办法不适用于该项目"], rules=[])
                    for index in range(len(self.project.changes))]
        result: list[ChangeOut] = []
        effective = self.pack.dates.effective
        for index, (decision, authority, citations, reasons, gap, rule_ids) in enumerate(found):
            made = self.project.changes[index].date
            if made is not None and made_before_measure(made, effective):
                why = f"该变更发生于 {made.isoformat()}，在本办法施行（{effective.isoformat()}）之前：不溯及既往"
                result.append(unvalidated(ChangeOut, index=index, decision="not_covered", citations=[],
                                          reasons=[why], rules=[]))
                continue
            if made is None and rule_ids and decision != "not_covered" and self._under_way_before(effective):
                # the change may predate the measure, which then does not govern it: the date decides
                note_missing(self.missing, "change_date", rule_ids)
                reasons = (f"变更日期未知，而项目在本办法施行（{effective.isoformat()}）前已在实施：变更若发生在"
                           "施行前，本办法不适用（不溯及既往）；发生在施行后的: " + "；".join(reasons),)
                decision, authority, gap = "undetermined", None, False
            result.append(unvalidated(ChangeOut, index=index, decision=decision, authority=authority, gap=gap,
                                      citations=list(citations), reasons=list(reasons), rules=list(rule_ids)))
        return result

    def _under_way_before(self, day: dt.date) -> bool:
        """Whether the project's known dates show it under way (applied for, approved, contracted or
        building) before ``day``. An undated change is taken to be made under the measure otherwise:
        a project that would have it predate the measure says when it was made."""
        dates = self.project.dates
        events = (dates.application, dates.approval, dates.contract_signed, dates.construction_start)
        return any(isinstance(event, dt.date) and event < day for event in events)

    def _work_out_changes(self, given: DeclaredInputs) -> tuple[Any, ...]:
        rules = given.outcomes["change"]
        silent = "本办法未对此类变更作出规定（不作推定）"
        return tuple(self._work_out_decision([o for o in rules if o.item == index], silent)
                     for index in range(int(given.env["change_count"])))

    def _consequences(self) -> tuple[Consequence, ...]:
        reads = self._consequences_reads()
        found: tuple[Consequence, ...] = self._memo(
            reads, lambda given: tuple(self._work_out_consequences(given.outcomes["consequence"])))
        return found

    def _work_out_consequences(self, outcomes: list[Outcome]) -> list[Consequence]:
        result: list[Consequence] = []
        for o in outcomes:
            if o.effective is False:
                continue
            status = "applies" if o.effective else "possible"
            result.append(self._shared(("consequence", o.rule.id, status, o.item), Consequence, id=o.rule.id,
                                       effect=o.rule.effect, citation=self._cite(o.rule), status=status,
                                       item=o.item))
        return result

    def _missing_facts(self) -> list[MissingFact]:
        """The missing facts, each with the rules that need it: worked out once per pack for each
        content of ``missing`` (the key spells it out whole, in the order it was recorded)."""
        missing = self.missing
        if not _TIMING.isdisjoint(missing):
            missing = self._timing_facts(missing)
        key = ("missing facts", tuple(missing.items()))  # frozen sets: their hashes are kept
        fast = self._runtime
        found = fast.reused.get(key)
        if found is None:
            found = (tuple(self._work_out_missing_facts(missing)), (), ())
            if len(fast.reused) < fast.MAX_SHARED:
                fast.reused[key] = found
        return list(found[0])

    def _timing_facts(self, missing: MissingTable) -> MissingTable:
        """``missing`` with each change-timing symbol replaced by the dates that would settle it: the
        change's date and the project's event, where unknown. A change planned after the evaluation date,
        before an approval or start that has not happened, names none: no fact known today settles it."""
        result: MissingTable = {}
        events = self.project.dates.__dict__
        undated = any(c.date is None for c in self.project.changes)
        for name, ids in missing.items():
            timing = CHANGE_TIMING.get(name)
            if timing is None:
                note_missing(result, name, ids)
                continue
            settling = (["change_date"] if undated else []) + (
                [f"dates.{timing[0]}"] if events[timing[0]] is None else [])
            for fact in settling:
                note_missing(result, fact, ids)
        return result

    def _work_out_missing_facts(self, missing: MissingTable) -> list[MissingFact]:
        fast = self._runtime
        symbols = fast.symbols
        outputs = fast.outputs
        result = []
        for name in sorted(missing):
            ids = missing[name]
            needed_by = tuple(ids) if len(ids) == 1 else tuple(sorted(ids))
            key = ("missing", name, needed_by)
            found = outputs.get(key)
            if found is None:
                info = symbols.get(name)
                if info is None:
                    continue
                path = f"parameters.{name}" if info.source == "parameter" else info.path
                found = self._shared(key, MissingFact, name=name, path=path, zh=info.zh, en=info.en,
                                     needed_by=needed_by)
            result.append(found)
        return result

    def _article_texts(self, scope: Scope, route: Route, grounds: list[Ground], changes: list[ChangeOut],
                       obligations: list[Obligation], consequences: list[Consequence],
                       assumptions: list[Assumption], readings: list[ReadingOut]) -> dict[str, dict[str, str]]:
        """The text of every article the verdict cites, once (citations carry the cited item's only)."""
        # Worked out once per pack for each list of what cites: the citations, grounds, obligations,
        # consequences, assumptions and readings are frozen (each cites what it cites for good),
        # named by identity (the entry holds them, so an identity is never reused).
        change_citations = [citation for c in changes for citation in c.citations]
        held = (scope.citations, route.citations, grounds, change_citations, obligations, consequences,
                assumptions, readings)
        key = ("articles", *map(id, scope.citations), *map(id, route.citations), *map(id, grounds),
               *map(id, change_citations), *map(id, obligations), *map(id, consequences), *map(id, assumptions),
               *map(id, readings))
        fast = self._runtime
        known = fast.reused.get(key)
        if known is None:
            cited: list[CitationOut] = [*scope.citations, *route.citations]
            for g in grounds:
                cited.append(g.citation)
                if g.exception is not None:
                    cited.append(g.exception)
            cited.extend(change_citations)
            cited.extend(o.citation for o in obligations)
            cited.extend(q.citation for q in consequences)
            cited.extend(a.citation for a in assumptions if a.citation is not None)
            cited.extend(r.citation for r in readings)
            known = ((self._work_out_article_texts(cited), tuple(tuple(h) for h in held)), (), ())
            if len(fast.reused) < fast.MAX_SHARED:
                fast.reused[key] = known
        texts: dict[str, dict[str, str]] = known[0][0]
        return {measure: dict(of_measure) for measure, of_measure in texts.items()}

    def _work_out_article_texts(self, cited: list[CitationOut]) -> dict[str, dict[str, str]]:
        outputs = self._runtime.outputs
        texts: dict[str, dict[str, str]] = {}
        for citation in cited:
            measure = citation.pack or self.pack.id
            number = str(citation.article)
            of_measure = texts.get(measure)
            if of_measure is None:
                of_measure = texts[measure] = {}
            elif number in of_measure:
                continue
            key = ("article", measure, citation.article)
            text = outputs.get(key)
            if text is None:
                found = self.pack.article(citation.article, measure)
                text = found.text if found is not None else ""
                if len(outputs) < self._runtime.MAX_SHARED:
                    outputs[key] = text
            of_measure[number] = text
        return texts

    def _not_in_force(self, scope: Scope) -> tuple[Route, list[Ground], list[ChangeOut], list[Obligation],
                                                   list[Consequence]]:
        """What a measure not in force on ``as_of`` decides: no procedure, nothing pending, overdue or
        applying. The scope stays (which projects the text covers); so do the facts it needs."""
        why = self.pack.in_force(self.as_of)[1] or "本办法在评估日不施行"
        # built per verdict: their lists are the verdict's own
        route = unvalidated(Route, decision="none", authority=None, citations=[], reasons=[why], rules=[])
        changes = [unvalidated(ChangeOut, index=index, decision="not_covered", citations=[], reasons=[why], rules=[])
                   for index in range(len(self.project.changes))]
        scope_rules = self._runtime.outputs.get(("not_in_force", "scope rules"))
        if scope_rules is None:
            scope_rules = frozenset(c.rule.id for kind in ("scope", "exemption") for c in self.c.by_kind.get(kind, ()))
            self._runtime.outputs[("not_in_force", "scope rules")] = scope_rules
        missing = {}
        for name, ids in self.missing.items():
            kept = ids & scope_rules
            if kept:
                missing[name] = kept
        self.missing = missing
        return route, [], changes, [], []

    def _barred_warnings(self) -> None:
        """Say which dates before the effective date kept guarded rules from applying (不溯及既往)."""
        env = self.env
        effective = self.pack.dates.effective
        fast = self._runtime
        outputs = fast.outputs
        value: Any
        for point, rule_ids in self.c.time_guards.items():
            if point == LINE_YEAR:
                lines = self.project.budget_lines
                value = tuple(sorted({line.year for line in lines if line.year < effective.year})) if lines else ()
                if not value:
                    continue
            else:
                value = env.get(point)
                if value is None or not value < effective:
                    continue
            key = ("barred", point, value)
            message = outputs.get(key)
            if message is None:
                message = barred_message(effective, point, value, rule_ids)
                if len(outputs) < fast.MAX_SHARED:
                    outputs[key] = message
            self.warnings.append(message)


def ground_status(results: list[Outcome]) -> str | None:
    """A ground's status from its outcomes, as :meth:`_Evaluation._grounds` works it out (None: not listed)."""
    if len(results) == 1:
        condition, effective = results[0].condition, results[0].effective
    else:
        condition, effective = any_true(o.condition for o in results), any_true(o.effective for o in results)
    if condition is False:
        return None
    if effective is True:
        return "triggered"
    if effective is None:
        return "unknown"
    return "excepted" if any(o.condition is True and o.defeated_by for o in results) else None
