"""A pack's rules as one generated Python function: the evaluator's fast path.

The closures of :mod:`govrules.compile.compiler` cost a Python call per node of a condition. Here the same
lowered conditions (rule-engine's parsed, type-checked AST, never the pack's text) are written out
as straight-line Python: each symbol is read from the environment once into a local, each condition
becomes one inline three-valued expression, and a subexpression that several rules share is
evaluated once per project. A rule whose condition is false — most rules on most projects —
costs its expression and one pre-built trace step; for every other rule the generated code records
what :meth:`~govrules.engine.evaluator._Evaluation._step` records (outcome, exceptions, missing facts, trace
step), written out for that rule. ``_step`` itself stays the reference: it records every rule when the
detailed trace is asked for, and ``tests/test_differential.py`` holds the two to the same verdicts.

Nothing from a pack reaches the source as code: operators come from a fixed table, every name in the
source is one the generator makes itself (``s1``, ``t2``, ``b0``...), symbol names and rule ids are
written only as string literals (``repr``, see :func:`_literal`; no comment carries them), and
constants are passed in as values. Once compiled, the code is checked to use only the names,
attributes and constants the generator writes (:func:`_check_code`). A pack whose
source would exceed :data:`MAX_SOURCE_CHARS` keeps to the closures. Should the generated function
raise anything, the evaluator falls back to the closures for that verdict.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any, Literal, cast

from govrules.compile.compiler import BINARY_OPERATORS, FUNCTIONS, CompiledPack, CompiledRule, Lowered, Symbol
from govrules.engine.citations import cite
from govrules.engine.combine import MissingTable, Outcome, note_missing
from govrules.engine.verdict_memo import VerdictMemo
from govrules.models.pack import FactType
from govrules.models.verdict import CitationOut, ReadOnlyDict, TraceStep

_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

#: Deeper conditions are called through their closures (Python's parser limits nesting depth).
MAX_INLINE_DEPTH = 40
#: The most characters of generated source for one pack (the bundled packs need 25–60 KB); a pack
#: that would need more is evaluated by its closures. Compiling source costs ~70 times its size
#: in memory, so this bounds what the fast path may take (see docs/limits.md).
MAX_SOURCE_CHARS = 4_000_000


class SourceTooLarge(ValueError):
    """The pack's generated source would exceed :data:`MAX_SOURCE_CHARS`."""


def _literal(value: Any) -> str:
    """``value`` as a Python literal: a string, or a tuple of strings, written by ``repr`` (which
    escapes every quote, newline and control character). Anything else is refused, so no other text
    can reach the generated source."""
    if type(value) is str or (type(value) is tuple and all(type(v) is str for v in value)):
        return repr(value)
    raise ValueError(f"not a literal the generated code takes: {type(value).__name__}")

RulesFn = Callable[..., None]


def _binary(fn: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return fn(a, b)
    except (ArithmeticError, TypeError, OverflowError):
        return None


def _ternary(c: Any, yes: Any, no: Any) -> Any:
    if c is None:
        return yes if yes == no else None
    return yes if c else no


def _depth(node: Lowered, known: dict[int, int] | None = None) -> int:
    """The node's depth (1 for a leaf); ``known`` memoises it by node across calls."""
    known = {} if known is None else known
    found = known.get(id(node))
    if found is None:
        found = known[id(node)] = 1 + max((_depth(c, known) for c in node.children), default=0)
    return found


@dataclass
class _Scope:
    """Names visible while writing one block: the locals bound to symbols and shared subexpressions."""

    env: str
    symbols: dict[str, str]
    shared: dict[str, str]
    parent: _Scope | None = None

    def symbol(self, name: str) -> str | None:
        """The local holding symbol ``name`` here or in an enclosing block."""
        return self._find("symbols", name)

    def subexpression(self, key: str) -> str | None:
        """The local holding the shared subexpression ``key`` here or in an enclosing block."""
        return self._find("shared", key)

    def _find(self, table: str, key: str) -> str | None:
        scope: _Scope | None = self
        while scope is not None:
            found: str | None = getattr(scope, table).get(key)
            if found is not None:
                return found
            scope = scope.parent
        return None


class _Writer:
    def __init__(self, compiled: CompiledPack) -> None:
        self.c = compiled
        self.lines: list[str] = []
        self.chars = 0
        #: the local holding each rule kind's outcome list (``b0``, ``b1``, ...)
        self.buckets: dict[str, str] = {}
        self.values: dict[str, Any] = {
            "_binary": _binary, "_ternary": _ternary,
        }
        self.temps = 0
        self.names = 0
        self.exception_locals: dict[str, str] = {}
        #: while a rule's condition is written: node → the temporary holding its value, for the nodes
        #: whose temporary is certainly bound whenever their parent is unknown (see :meth:`bound`)
        self.held: dict[int, str] | None = None
        self.once: set[int] = set()
        #: what ``held`` recorded for the last condition written, for its unknown-fact walk
        self.walk_names: dict[int, str] = {}
        self.named: dict[int, str] = {}
        self.keys: dict[int, str] = {}
        self.depths: dict[int, int] = {}
        self.steps: list[dict[Any, TraceStep]] = []
        self.new_step: Callable[..., TraceStep] = lambda *args: None  # type: ignore[assignment]
        self.outcome: Any = None
        self.shared_outcome: Callable[..., Outcome] = Outcome
        self.shared_outcomes_of: Callable[[CompiledRule], dict[Any, Outcome]] = lambda compiled: {}
        self.make_shared_outcome: Callable[..., Outcome] = Outcome
        self.detailed = False
        #: (fact, rule id) → the small int the generated code appends to ``m`` for it (``missing_pairs``
        #: of the pack's runtime holds the pairs by that int)
        self.missing_pairs: list[tuple[str, str]] = []
        self.missing_ids: dict[tuple[str, str], int] = {}

    def missing_id(self, name: str, rule_id: str) -> int:
        """The int standing for "rule ``rule_id`` needs the unknown fact ``name``" in the generated code."""
        pair = (name, rule_id)
        found = self.missing_ids.get(pair)
        if found is None:
            found = self.missing_ids[pair] = len(self.missing_pairs)
            self.missing_pairs.append(pair)
        return found

    def emit(self, line: str) -> None:
        """Add a line of source (:class:`SourceTooLarge` past :data:`MAX_SOURCE_CHARS`)."""
        self.chars += len(line) + 1
        if self.chars > MAX_SOURCE_CHARS:
            raise SourceTooLarge(f"the generated source would exceed {MAX_SOURCE_CHARS} characters")
        self.lines.append(line)

    # -------------------------------------------------------------- expressions

    def value(self, value: Any) -> str:
        """The name under which the generated code sees ``value`` (one name per object)."""
        name = self.named.get(id(value))
        if name is None:
            name = f"k{len(self.values)}"
            self.values[name] = value
            self.named[id(value)] = name
        return name

    def key(self, node: Lowered) -> str:
        """A structural key: equal keys mean the same computation on the same environment."""
        found = self.keys.get(id(node))
        if found is None:
            if node.op == "const":
                found = repr(node.to_ir())
            else:
                found = f"{node.op}({node.arg!r}:{','.join(self.key(c) for c in node.children)})"
            self.keys[id(node)] = found
        return found

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def hold(self, node: Lowered, name: str) -> None:
        """Record that ``name`` holds ``node``'s value whenever ``node``'s parent is unknown.

        The unknown-fact walk only descends into a node whose parent is unknown; reading the
        temporary instead of evaluating the child again is then safe. A node object that occurs
        twice in the condition is never recorded: which occurrence bound the name is not known.
        """
        if self.held is not None and id(node) in self.once and _is_name(name):
            self.held[id(node)] = name

    def expr(self, node: Lowered, scope: _Scope) -> str:
        """A Python expression giving the node's three-valued value, ``None`` for unknown."""
        op = node.op
        if op == "sym":
            local = scope.symbol(node.arg)
            return local if local is not None else f"{scope.env}.get({_literal(node.arg)})"
        if op == "const":
            return self.value(node.arg)
        shared = scope.subexpression(self.key(node))
        if shared is not None:
            return shared
        kids = node.children
        if op == "not":
            inner = self.expr(kids[0], scope)
            if _is_name(inner):
                return f"(None if {inner} is None else not {inner})"
            t = self.temp()
            self.hold(kids[0], t)
            return f"(None if ({t} := {inner}) is None else not {t})"
        if op == "neg":
            t = self.temp()
            self.hold(kids[0], t)
            return f"(None if ({t} := {self.expr(kids[0], scope)}) is None else -{t})"
        if op in ("and", "or"):
            stop, other = ("False", "True") if op == "and" else ("True", "False")
            # unknown only if neither operand stops it, so both were evaluated
            a, first = self.operand(self.expr(kids[0], scope), f"is {stop}")
            b, second = self.operand(self.expr(kids[1], scope), f"is {stop}")
            self.hold(kids[0], a)
            self.hold(kids[1], b)
            return (f"({stop} if {first} else ({stop} if {second} else "
                    f"(None if {a} is None or {b} is None else {other})))")
        if op == "cmp":
            symbol = _CMP[node.arg]
            left, right = self.expr(kids[0], scope), self.expr(kids[1], scope)
            tests = []
            if not _is_name(left):
                t = self.temp()
                tests.append(f"({t} := {left}) is None")
                left = t
                self.hold(kids[0], t)  # the right operand is skipped when the left is unknown
            elif not kids[0].literal:
                tests.append(f"{left} is None")
            if not _is_name(right):
                t = self.temp()
                tests.append(f"({t} := {right}) is None")
                right = t
            elif not kids[1].literal:
                tests.append(f"{right} is None")
            if not tests:
                return f"({left} {symbol} {right})"
            return f"(None if {' or '.join(tests)} else {left} {symbol} {right})"
        if op in ("arith", "bit"):
            fn = self.value(BINARY_OPERATORS[node.arg])
            return f"_binary({fn}, {self.expr(kids[0], scope)}, {self.expr(kids[1], scope)})"
        if op == "coalesce":
            t = self.temp()
            self.hold(kids[0], t)
            return f"({t} if ({t} := {self.expr(kids[0], scope)}) is not None else {self.expr(kids[1], scope)})"
        if op == "ternary":
            return f"_ternary({', '.join(self.expr(k, scope) for k in kids)})"
        if op == "in":
            c, first = self.operand(self.expr(kids[0], scope), "is None", kids[0].literal)
            self.hold(kids[0], c)
            m, second = self.operand(self.expr(kids[1], scope), "is None", kids[1].literal)
            either = " or ".join(t for t in (first, second) if t)
            return f"(None if {either} else {m} in {c})" if either else f"({m} in {c})"
        if op == "call":
            # unknown if an argument is: the arguments are tested in order, and those after an
            # unknown one are not evaluated (they are pure)
            impl = self.value(FUNCTIONS[node.arg].impl)
            args, tests = [], []
            for kid in kids:
                text = self.expr(kid, scope)
                if not (kid.op == "const" and kid.arg is not None):
                    text, test = self.operand(text, "is None")
                    tests.append(test)
                args.append(text)
            call = f"{impl}({', '.join(args)})"
            return f"(None if {' or '.join(tests)} else {call})" if tests else call
        raise ValueError(f"unknown operation {op!r}")

    def operand(self, text: str, test: str, literal: bool = False) -> tuple[str, str]:
        """A name for an operand's value, and ``test`` applied to it (binding a temporary if needed)."""
        if _is_name(text):
            return text, "" if literal else f"{text} {test}"
        t = self.temp()
        return t, f"({t} := {text}) {test}"

    def condition(self, node: Lowered, scope: _Scope) -> str:
        """The rule's condition inline, or a call of its closure when it is too deep to inline."""
        self.walk_names = {}
        if _depth(node, self.depths) > MAX_INLINE_DEPTH:
            fn = self.value(node.fn)
            return f"{fn}({scope.env})"
        seen: dict[int, int] = {}
        for sub in _nodes(node):
            seen[id(sub)] = seen.get(id(sub), 0) + 1
        self.once = {key for key, count in seen.items() if count == 1}
        self.held = {}
        try:
            return self.expr(node, scope)
        finally:
            self.walk_names, self.held, self.once = self.held, None, set()

    # -------------------------------------------------------------- blocks

    def bind(self, rules: list[int], scope: _Scope, indent: str, getter: str) -> None:
        """Bind the symbols these rules read, and the subexpressions two or more of them share."""
        names: dict[str, int] = {}
        for k in rules:
            for name in sorted(self.c.ordered[k].symbols):
                if scope.parent is None or scope.parent.symbol(name) is None:
                    names.setdefault(name, 0)
        for name in names:
            self.names += 1
            scope.symbols[name] = f"s{self.names}"
        gets = [f"{indent}{scope.symbols[name]} = {getter}({_literal(name)})" for name in names]
        if scope.parent is None and len(names) > 1:
            # one C call when the environment holds every name, as the evaluator builds it
            values = self.value(operator.itemgetter(*names))
            self.emit(f"{indent}try:")
            self.emit(f"{indent}    {', '.join(scope.symbols[n] for n in names)} = {values}({scope.env})")
            self.emit(f"{indent}except KeyError:")
            for line in gets:
                self.emit("    " + line)
        else:
            for line in gets:
                self.emit(line)
        counts: dict[str, int] = {}
        nodes: dict[str, Lowered] = {}
        for k in rules:
            if _depth(self.c.ordered[k].condition, self.depths) > MAX_INLINE_DEPTH:
                continue
            for node in _subtrees(self.c.ordered[k].condition):
                key = self.key(node)
                counts[key] = counts.get(key, 0) + 1
                nodes[key] = node
        # Shared subexpressions, smallest first, so a larger one can use a smaller one's local.
        for key in sorted((k for k, n in counts.items() if n > 1), key=lambda k: _depth(nodes[k], self.depths)):
            if scope.parent is not None and scope.parent.subexpression(key) is not None:
                continue
            text = self.expr(nodes[key], scope)
            self.names += 1
            local = f"x{self.names}"
            self.emit(f"{indent}{local} = {text}")
            scope.shared[key] = local


def _is_name(text: str) -> bool:
    return text.isidentifier()


def _nodes(node: Lowered) -> list[Lowered]:
    """Every node of a condition, each occurrence once."""
    found = [node]
    for child in node.children:
        found.extend(_nodes(child))
    return found


def _subtrees(node: Lowered) -> list[Lowered]:
    """The non-trivial subtrees of a condition (not symbols or constants)."""
    if node.op in ("sym", "const"):
        return []
    found = [node]
    for child in node.children:
        found.extend(_subtrees(child))
    return found


def generate(compiled: CompiledPack, path: PackRuntime | None = None, *,
             detailed: bool = False) -> tuple[str, dict[str, Any]]:
    """The source of the pack's rule function and the values it refers to.

    ``rules(env, items, exception_values, outcomes_by_kind, missing_facts, trace, undecided, step)``:
    ``env`` the project's environment, ``items`` the item environments by
    :class:`~govrules.models.pack.ForEach`, ``exception_values`` by (id, item), ``outcomes_by_kind``
    by rule kind, ``missing_facts`` (name → rule ids), ``trace`` (a list), ``undecided`` the outcomes
    with undecided exceptions (a list), ``step`` the reference recording of one rule. With
    ``detailed`` (the detailed trace asked for), the function computes each condition and
    hands it to ``step``; otherwise it records every rule itself with a compact trace: each rule's
    step is held in a local (``q<k>``, a list of steps for a rule over items) and the trace is
    extended with all of them at the end, in order.
    """
    writer = _Writer(compiled)
    writer.detailed = detailed
    path = path or PackRuntime(compiled, generate_rules=False)
    writer.steps, writer.new_step, writer.outcome = path.rule_steps, path.step, path.outcome
    writer.shared_outcome = path.shared_outcome
    writer.shared_outcomes_of, writer.make_shared_outcome = path.shared_outcomes_of, path.make_shared_outcome
    writer.missing_pairs = path.missing_pairs
    writer.missing_ids = {pair: k for k, pair in enumerate(path.missing_pairs)}
    w = writer.emit
    w("def rules(env, items, exception_values, outcomes_by_kind, missing_facts, trace, undecided, step):")
    w("    get = env.get")
    w("    m = []")
    for kind in sorted({c.rule.kind for c in compiled.ordered} - {"exception"}):
        writer.buckets[kind] = bucket = f"b{len(writer.buckets)}"
        w(f"    {bucket} = outcomes_by_kind.setdefault({_literal(kind)}, [])")
    base = _Scope("env", {}, {})
    writer.bind([k for k, c in enumerate(compiled.ordered) if c.rule.for_each is None], base, "    ", "get")
    item_sets: dict[Any, str] = {}
    for k, c in enumerate(compiled.ordered):
        for_each = c.rule.for_each
        if for_each is None:
            _emit(writer, k, base, "    ", "None")
            continue
        if for_each not in item_sets:
            item_sets[for_each] = writer.value(for_each)
        if not detailed:
            w(f"    q{k} = []")
        w(f"    for i, ienv in enumerate(items.get({item_sets[for_each]}, ())):")
        scope = _Scope("ienv", {}, {}, parent=base)
        writer.bind([k], scope, "        ", "ienv.get")
        _emit(writer, k, scope, "        ", "i")
    if not detailed:
        held = [f"q{k}" if c.rule.for_each is None else f"*q{k}" for k, c in enumerate(compiled.ordered)]
        w(f"    trace.extend([{', '.join(held)}])")
    # the unknown facts, recorded above as ints (one per fact and rule), made a table once per pattern
    w(f"    if m:\n        {writer.value(path.merge_missing)}(missing_facts, m)")
    return "\n".join(writer.lines) + "\n", writer.values


def _emit(writer: _Writer, k: int, scope: _Scope, indent: str, item: str) -> None:
    """One rule, as the reference ``_step`` records it: outcome, exceptions, missing facts, trace.

    Each way the rule can end is written out as its own branch, so that the outcome's exception
    tuples and, for a rule over the project, the compact trace step are constants of that branch.
    """
    compiled = writer.c.ordered[k]
    rule = compiled.rule
    plan_unless = writer.c.plan[k].unless
    w = writer.emit
    env = scope.env
    w(f"{indent}v = {writer.condition(compiled.condition, scope)}")
    steps = writer.value(writer.steps[k])
    new_step = writer.value(writer.new_step)

    def record(at: str, step: str) -> None:
        """Hold the rule's compact trace step (see :func:`generate`)."""
        w(f"{at}q{k} = {step}" if item == "None" else f"{at}q{k}.append({step})")

    def trace(at: str, effective: str, defeated: tuple[str, ...] | str) -> None:
        """Append the compact step: a constant over the project, looked up by item otherwise."""
        if item == "None" and isinstance(defeated, tuple):
            if effective == "v":  # v is True or None here
                true_step = writer.value(writer.new_step(k, None, True, defeated))
                none_step = writer.value(writer.new_step(k, None, None, defeated))
                record(at, f"{true_step} if v else {none_step}")
            else:
                record(at, writer.value(writer.new_step(k, None, _TRI[effective], defeated)))
            return
        key = _literal(defeated) if isinstance(defeated, tuple) else defeated
        record(at, f"{steps}.get(({item}, {effective}, {key})) or {new_step}({k}, {item}, {effective}, {key})")

    if rule.kind == "exception":
        w(f"{indent}exception_values[({_literal(rule.id)}, {item})] = v")
        if item == "None":
            writer.exception_locals[rule.id] = f"e{k}"
            w(f"{indent}e{k} = v")
        if writer.detailed:
            w(f"{indent}step({k}, {item}, {env}, v)")
        elif item == "None":
            by_value = {value: writer.new_step(k, None, value, ()) for value in (True, False, None)}
            record(indent, f"{writer.value(by_value)}[v]")
        else:
            record(indent, f"{steps}.get(({item}, v, ())) or {new_step}({k}, {item}, v, ())")
        return
    if writer.detailed:
        w(f"{indent}step({k}, {item}, {env}, v)")
        return
    outcome = writer.value(writer.outcome)
    rule_value = writer.value(compiled)
    bucket = writer.buckets[rule.kind]

    def append(at: str, effective: str, defeated: tuple[str, ...] | str, undecided: tuple[str, ...] | str,
               *, condition_false: bool = False) -> None:
        """Append the outcome (``v`` is False when ``condition_false``, else True or None). Over the
        project, with the exception tuples constants of the branch, it is one of the pack's shared
        outcomes; otherwise it is built here (a rule over the project reads the project's env)."""
        if item == "None" and isinstance(defeated, tuple) and isinstance(undecided, tuple):
            def shared(value: bool | None) -> str:
                result = value if effective == "v" else _TRI[effective]
                return writer.value(writer.shared_outcome(compiled, None, None, value, result, defeated, undecided))

            built = shared(False) if condition_false else f"{shared(True)} if v else {shared(None)}"
        elif item == "None":
            # exceptions decided per project: one shared outcome per way they end, made on first use
            table = writer.value(writer.shared_outcomes_of(compiled))
            maker = writer.value(writer.make_shared_outcome)
            texts = [_literal(x) if isinstance(x, tuple) else x for x in (defeated, undecided)]
            built = (f"{table}.get((v, {effective}, {texts[0]}, {texts[1]})) or "
                     f"{maker}({rule_value}, v, {effective}, {texts[0]}, {texts[1]})")
        else:
            texts = [_literal(x) if isinstance(x, tuple) else x for x in (defeated, undecided)]
            built = (f"{outcome}({rule_value}, {item}, {'None' if item == 'None' else env}, v, "
                     f"{effective}, {texts[0]}, {texts[1]})")
        if not undecided:
            w(f"{at}{bucket}.append({built})")
            return
        # an outcome with undecided exceptions: their unknown facts are looked for later (see ``undecided``)
        w(f"{at}o = {built}")
        w(f"{at}{bucket}.append(o)")
        w(f"{at}undecided.append(o)" if isinstance(undecided, tuple)
          else f"{at}if {undecided}:\n{at}    undecided.append(o)")

    def unknowns(at: str, test: str) -> None:
        w(f"{at}if {test}:")
        _emit_unknowns(writer, compiled.condition, scope, at + "    ", rule.id, root=True)

    w(f"{indent}if v is False:")
    trace(indent + "    ", "False", ())
    if rule.kind == "scope":
        append(indent + "    ", "False", (), (), condition_false=True)
    w(f"{indent}else:")
    inner = indent + "    "
    single = plan_unless[0] if len(plan_unless) == 1 else None
    local = writer.exception_locals.get(single[0]) if single is not None and not single[1] else None
    if not plan_unless:
        append(inner, "v", (), ())
        unknowns(inner, "v is None")
        trace(inner, "v", ())
    elif local is not None and single is not None:
        # one exception, already a local: defeated, undecided or clear
        exc = (single[0],)
        w(f"{inner}if {local} is True:")
        append(inner + "    ", "False", exc, ())
        trace(inner + "    ", "False", exc)
        w(f"{inner}elif {local} is None:")
        append(inner + "    ", "None", (), exc)
        unknowns(inner + "    ", "v is None")
        trace(inner + "    ", "None", ())
        w(f"{inner}else:")
        append(inner + "    ", "v", (), ())
        unknowns(inner + "    ", "v is None")
        trace(inner + "    ", "v", ())
    else:
        w(f"{inner}d = ()")
        w(f"{inner}und = ()")
        w(f"{inner}eff = v")
        for exc_id, exc_ranges in plan_unless:
            exc_local = writer.exception_locals.get(exc_id) if not exc_ranges else None
            at = item if exc_ranges else "None"
            source = exc_local if exc_local is not None else f"exception_values.get(({_literal(exc_id)}, {at}))"
            w(f"{inner}x = {source}")
            w(f"{inner}if x is True:")
            w(f"{inner}    d += ({_literal(exc_id)},)")
            w(f"{inner}elif x is None:")
            w(f"{inner}    und += ({_literal(exc_id)},)")
        w(f"{inner}if d:")
        w(f"{inner}    eff = False")
        w(f"{inner}elif und:")
        w(f"{inner}    eff = None")
        append(inner, "eff", "d", "und")
        unknowns(inner, "v is None and eff is None")
        trace(inner, "eff", "d")


_TRI: dict[str, bool | None] = {"True": True, "False": False, "None": None}


def _emit_unknowns(writer: _Writer, node: Lowered, scope: _Scope, indent: str, rule_id: str,
                   root: bool = False) -> None:
    """Code adding to ``missing_facts`` the unknown symbols of ``node``, known to be unknown (as
    :meth:`Lowered.unknowns_of_unknown` finds them: only unknown children are descended into)."""
    w = writer.emit
    if root and _depth(node, writer.depths) > MAX_INLINE_DEPTH:
        w(f"{indent}for n in {writer.value(_unknown_names)}({writer.value(node)}, {scope.env}):")
        w(f"{indent}    {writer.value(note_missing)}(missing_facts, n, ({_literal(rule_id)},))")
        return
    if node.symbol is not None:
        w(f"{indent}m.append({writer.missing_id(node.symbol, rule_id)})")
        return
    wrote = False
    for child in node.children:
        if child.literal:
            continue
        wrote = True
        value = writer.walk_names.get(id(child)) or writer.expr(child, scope)
        w(f"{indent}if {value} is None:")
        if child.symbol is not None:
            w(f"{indent}    m.append({writer.missing_id(child.symbol, rule_id)})")
        else:
            _emit_unknowns(writer, child, scope, indent + "    ", rule_id)
    if not wrote:
        w(f"{indent}pass")


def _unknown_names(node: Lowered, env: Any) -> set[str]:
    found: set[str] = set()
    node.unknowns_of_unknown(env, found)
    return found


def build_rules_fn(compiled: CompiledPack, path: PackRuntime, *, detailed: bool = False) -> RulesFn:
    """Compile the pack's generated rule function (see :func:`generate`)."""
    source, values = generate(compiled, path, detailed=detailed)
    namespace: dict[str, Any] = dict(values)
    code = compile(source, "<govrules rules>", "exec")
    _check_code(code, values)
    exec(code, namespace)  # the source is ours: fixed templates, repr'd names, constants passed as values
    fn: RulesFn = namespace["rules"]
    return fn


#: The names the generated function may use besides the values passed in: its own locals and
#: parameters, the builtins it calls, and the methods it calls on the containers it is given.
_LOCALS = re.compile(r"[stxqe][0-9]+|b[0-9]+|env|items|exception_values|outcomes_by_kind|missing_facts|trace|"
                     r"undecided|step|get|v|o|d|und|eff|x|i|ienv|n|m")
_BUILTINS = frozenset({"enumerate", "KeyError"})
_ATTRIBUTES = frozenset({"get", "setdefault", "append", "add", "extend"})


def _check_code(module: CodeType, values: dict[str, Any]) -> None:
    """Refuse (``ValueError``) compiled source that holds anything the generator does not write: an
    import, a name or attribute it does not make, a nested function or class, a non-literal constant.

    (Nothing from a pack is written as code, see :func:`_literal`: this is the second line of defence.
    It reads the code objects' tables, which costs microseconds where walking the syntax tree would
    cost more than compiling.)"""
    functions = [c for c in module.co_consts if isinstance(c, CodeType)]
    if module.co_names != ("rules",) or len(functions) != 1 or functions[0].co_name != "rules":
        raise ValueError("generated source: not one function `rules`")
    code = functions[0]
    for name in code.co_names:  # globals read and attributes used
        if not (name in values or name in _BUILTINS or name in _ATTRIBUTES):
            raise ValueError(f"generated source: unexpected name {name!r}")
    for name in (*code.co_varnames, *code.co_cellvars, *code.co_freevars):
        if not _LOCALS.fullmatch(name):
            raise ValueError(f"generated source: unexpected local {name!r}")
    constants = list(code.co_consts)
    while constants:
        constant = constants.pop()
        if type(constant) is tuple:
            constants.extend(constant)
        elif not (constant is None or type(constant) in (bool, int, str)):
            raise ValueError(f"generated source: unexpected constant {type(constant).__name__}")


_RESULT: dict[Any, Literal["true", "false", "unknown"]] = {True: "true", False: "false", None: "unknown"}
_NOTHING_SEEN = ReadOnlyDict()


def step_conclusion(rule: Any, effective: bool | None, defeated: tuple[str, ...] | list[str]) -> str:
    """What a trace step says a rule concluded."""
    if effective is None:
        return "undetermined"
    if defeated:
        return f"excepted by {', '.join(defeated)}"
    return str(rule.title) if effective else "does not apply"


def runtime_of(compiled: CompiledPack) -> PackRuntime:
    """The pack's runtime (its generated rule function and what its verdicts reuse), built on first use and
    kept with the pack: loading stays cheap for commands that never evaluate."""
    runtime = compiled.engine_runtime
    if runtime is None:
        runtime = compiled.engine_runtime = PackRuntime(compiled)
    return cast(PackRuntime, runtime)


class PackRuntime:
    """What a pack's verdicts reuse: its generated rule function and its compact trace steps.

    A compact trace step (rule, item, result, exceptions, conclusion: no values seen) depends on
    nothing else, so each is built once and shared (they are frozen).
    """

    MAX_STEPS = 50_000
    MAX_SHARED = 50_000
    WARM_UP = 3

    def __init__(self, compiled: CompiledPack, *, generate_rules: bool = True) -> None:
        self.compiled = compiled
        self.outcome = Outcome
        self.rule_steps: list[dict[tuple[int | None, bool | None, tuple[str, ...]], TraceStep]] = [
            {} for _ in compiled.ordered]
        self._count = 0
        #: (as_of, historical, parameter overrides) → (parameters, warnings, in force, the start of each
        #: environment, the successor named)
        self.settings: dict[Any, tuple[dict[str, Any], tuple[str, ...], bool, dict[str, Any], Any]] = {}
        #: frozen outputs by key
        self.outputs: dict[Any, Any] = {}
        #: (part of the verdict, everything it declares it reads: a :class:`govrules.engine.memo.Reads`
        #: key) → (it, warnings, missing facts): see ``_Evaluation._memo``
        self.reused: dict[tuple[Any, ...], tuple[Any, tuple[str, ...], tuple[Any, ...]]] = {}
        self._citations: dict[str, CitationOut] = {}
        #: part of a verdict → what it reads (a :class:`govrules.engine.memo.Reads`): its memo key is
        #: made from that declaration
        self.declared: dict[Any, Any] = {}
        #: outcome signature (:func:`govrules.engine.memo.outcome_signature`) → the token memo keys hold
        self.signatures: dict[tuple[Any, ...], int] = {}
        #: the outcomes over the project the generated functions append (constants of their branches),
        #: by identity: held here so that an identity stays theirs for the life of the pack's runtime,
        #: and a list of them is named in memo keys by the identities alone
        self.shared_outcomes: dict[int, Outcome] = {}
        self.shared_ids: set[int] = set()
        #: what the ints the generated functions record unknown facts by stand for: (fact, rule id)
        self.missing_pairs: list[tuple[str, str]] = []
        #: the ints recorded by one run of a generated function (a tuple) → the unknown-fact table they make
        self.missing_tables: dict[tuple[int, ...], MissingTable] = {}
        #: the values of the presumable facts in an environment (a tuple), and the pattern of those left
        #: out (the values, as true, false or None) → (the facts presumed, the values they take)
        names = tuple(compiled.presumptions)
        self.presumable: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*names) if len(names) > 1 else lambda env: tuple(env[n] for n in names))
        self.presumed: dict[tuple[Any, ...], tuple[list[str], dict[str, Any]]] = {}
        #: rule (plan index) → (condition, effective, defeated by, undecided) → its shared outcome over the
        #: project, for the rules whose exceptions are decided per project (made on first use)
        self.shared_by_rule: dict[int, dict[Any, Outcome]] = {}
        #: the declared true/false facts, by scope
        self.project_flags = frozenset(name for name, f in compiled.project_facts.items() if f.type is FactType.bool)
        self.system_flags = frozenset(name for name, f in compiled.system_facts.items() if f.type is FactType.bool)
        #: (project, system): those flags and the shared vocabulary's facts the pack does not read
        self.flags_or_unread: tuple[frozenset[str], frozenset[str]] | None = None
        self.symbols: dict[str, Symbol] = dict(compiled.table.symbols)
        for table in compiled.table.item_symbols.values():
            self.symbols.update(table)
        self.symbols.update(compiled.table.system_facts)
        #: presumed fact → the plan indices of the rules it can change (its own, or through an exception
        #: or a ``met_when``), built on first use
        self.readers: dict[str, tuple[int, ...]] = {}
        #: (its declared key: the presumed fact, what the rules reading it read, the outcomes they feed)
        #: → the conclusions it decides
        self.decides: dict[tuple[Any, ...], tuple[str, ...]] = {}
        #: (its declared key: the rule, the values it reads, the facts presumed) → whether a presumption is
        #: held back from a rule, and its strict outcome (condition, effective, defeated by, undecided,
        #: unknown facts)
        self.held: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        #: rule id → what it reads in its condition, its exceptions and ``met_when`` (and sorted)
        self.rule_reads_sorted: dict[str, tuple[str, ...]] = {}
        #: rule id → what it reads in its condition, its exceptions and ``met_when``
        self.rule_reads: dict[str, frozenset[str]] = {}
        #: reading id → the rules of every option of it (relied on when one of them is not false)
        self.reading_rules: dict[str, tuple[CompiledRule, ...]] | None = None
        #: the compact verdicts reused across projects no rule can tell apart (a
        #: :class:`govrules.engine.verdict_memo.VerdictMemo`, made on first use)
        self.verdict_memo: VerdictMemo | None = None
        #: the generated rule functions: compact trace, and detailed trace (each built on first use)
        self.rules: RulesFn | None = None
        self.rules_detailed: RulesFn | None = None
        self._verdicts = 0 if generate_rules else -1
        self._warm = False
        self._tried: set[bool] = set()

    def function(self, detailed: bool = False) -> RulesFn | None:
        """The generated rule function, once the pack has been asked for :attr:`WARM_UP` verdicts.

        Generating and compiling it costs 4–7 ms (more for a large pack): more than a single verdict saves, so a command
        that evaluates one project keeps to the closures. ``None`` until then, or if it cannot be
        generated (the closures evaluate instead). ``detailed``: the variant for a detailed trace."""
        if self._verdicts >= 0:
            self._verdicts += 1
            if self._verdicts < self.WARM_UP:
                return None
            self._verdicts = -1
            self._warm = True
        if not self._warm:
            return None
        if detailed not in self._tried:
            self._tried.add(detailed)  # built once, or never retried
            try:
                built: RulesFn | None = build_rules_fn(self.compiled, self, detailed=detailed)
            except (SyntaxError, RecursionError, MemoryError, ValueError):
                built = None
            if detailed:
                self.rules_detailed = built
            else:
                self.rules = built
        return self.rules_detailed if detailed else self.rules

    def shared_outcome(self, *fields: Any) -> Outcome:
        """A new outcome over the project for a generated function to share (see :attr:`shared_outcomes`)."""
        outcome = Outcome(*fields)
        self.shared_outcomes[id(outcome)] = outcome
        self.shared_ids.add(id(outcome))
        return outcome

    def shared_outcomes_of(self, compiled: CompiledRule) -> dict[Any, Outcome]:
        """The table of ``compiled``'s shared outcomes over the project, by (condition, effective,
        defeated by, undecided): what the generated function looks its outcome up in."""
        return self.shared_by_rule.setdefault(compiled.index, {})

    def make_shared_outcome(self, compiled: CompiledRule, condition: Any, effective: Any, defeated: tuple[str, ...],
                            undecided: tuple[str, ...]) -> Outcome:
        """``compiled``'s outcome over the project with these results, shared (and kept in its table
        while there is room; otherwise a fresh one, named in memo keys by its signature)."""
        table = self.shared_by_rule.setdefault(compiled.index, {})
        if len(self.shared_ids) >= self.MAX_SHARED:
            return Outcome(compiled, None, None, condition, effective, defeated, undecided)
        outcome = table[(condition, effective, defeated, undecided)] = self.shared_outcome(
            compiled, None, None, condition, effective, defeated, undecided)
        return outcome

    def merge_missing(self, missing: MissingTable, recorded: list[int]) -> None:
        """Add to ``missing`` the unknown facts a generated function recorded as ints (see
        :attr:`missing_pairs`): the table they make is worked out once per sequence of them and
        shared (its sets are frozen), so a verdict costs one hash of the ints and a dict update."""
        key = tuple(recorded)
        table = self.missing_tables.get(key)
        if table is None:
            made: dict[str, set[str]] = {}
            pairs = self.missing_pairs
            for k in recorded:
                name, rule_id = pairs[k]
                made.setdefault(name, set()).add(rule_id)
            table = {name: frozenset(ids) for name, ids in made.items()}
            if len(self.missing_tables) < self.MAX_SHARED:
                self.missing_tables[key] = table
        if missing:
            for name, ids in table.items():
                note_missing(missing, name, ids)
        else:
            missing.update(table)

    def citation(self, rule: Any) -> CitationOut:
        """The full citation of ``rule``."""
        found = self._citations.get(rule.id)
        if found is None:
            found = self._citations[rule.id] = cite(self.compiled.pack, rule.cite)
        return found

    def step(self, k: int, index: int | None, effective: bool | None, defeated: tuple[str, ...]) -> TraceStep:
        """The compact trace step of rule ``k`` (pack evaluation order) on item ``index``."""
        steps = self.rule_steps[k]
        key = (index, effective, defeated)
        found = steps.get(key)
        if found is None:
            compiled = self.compiled.ordered[k]
            rule = compiled.rule
            found = TraceStep(rule.id, rule.kind, index, compiled.text, _NOTHING_SEEN, _RESULT[effective], defeated,
                              step_conclusion(rule, effective, defeated))
            if self._count < self.MAX_STEPS:
                self._count += 1
                steps[key] = found
        return found
