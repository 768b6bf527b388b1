"""The policy pack as parsed from YAML: a measure's metadata, articles, vocabulary, parameters, rules.

A pack is data, not code. Conditions are strings in the rule-engine expression language; they are
parsed and type-checked by :mod:`govrules.compile.compiler`, never evaluated by Python.
"""

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    PlainValidator,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from govrules.models.base import Date, StrictModel
from govrules.models.money import COUNT_UNITS
from govrules.models.project import EVENT_NAMES

PACK_FORMAT = "govrules/pack@1"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.\-]*$", max_length=120)]
PackId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9\-]*$", max_length=80)]


class EffectiveBasis(StrEnum):
    """Which date the measure's text names as the start of its force."""

    issuance = "issuance"  # 自印发之日起施行
    publication = "publication"  # 自发布之日起施行
    date = "date"  # a date named in the text
    unknown = "unknown"  # the text that names it is lost, or the date is known only to a window


_DIGITS = "零一二三四五六七八九"


def article_label(number: int) -> str:
    """第十二条 for 12; 序言 for 0 (the preamble)."""
    if number == 0:
        return "序言"
    if number < 10:
        numeral = _DIGITS[number]
    elif number < 20:
        numeral = "十" + (_DIGITS[number % 10] if number % 10 else "")
    elif number < 100:
        numeral = _DIGITS[number // 10] + "十" + (_DIGITS[number % 10] if number % 10 else "")
    else:
        numeral = str(number)
    return f"第{numeral}条"


class EffectiveWindow(StrictModel):
    """What is known of an effective date the surviving text does not give: it falls on or after
    ``earliest`` and on or before ``latest`` (absent: no later bound is known). ``latest`` is the last
    day on which the measure can have taken effect, i.e. the first day it is certainly in force; a
    day from ``earliest`` up to the day before ``latest`` leaves ``in_force`` undetermined. A date
    known to the month is that month (``earliest: 2023-05-01, latest: 2023-05-31``)."""

    earliest: Date
    latest: Date | None = Field(None, description="the last day on which the measure can have taken effect, i.e. "
                                                  "the first day it is certainly in force (inclusive bound: in "
                                                  "force on this day); absent: unknown")
    note: str = Field(min_length=1, description="where the bounds come from (Chinese or English)")

    @model_validator(mode="after")
    def _ordered(self) -> "EffectiveWindow":
        if self.latest is not None and self.latest <= self.earliest:
            raise ValueError(f"effective_between: latest ({self.latest}) must be after earliest ({self.earliest})")
        return self

    def describe(self) -> str:
        """The window in Chinese: "不早于2021-01-01，至迟2021-06-30施行" (``latest`` is a day it is in force)."""
        bound = f"，至迟{self.latest.isoformat()}施行" if self.latest is not None else ""
        return f"不早于{self.earliest.isoformat()}{bound}"


def _dates_schema(schema: dict[str, Any]) -> None:
    """What the validators of :class:`PackDates` require, for editors that read the JSON Schema: with a
    known effective date, ``issued`` and ``effective``; with ``effective_basis: unknown``, neither."""
    schema["required"] = [key for key in schema.get("required", []) if key not in ("issued", "effective")]
    schema["if"] = {"properties": {"effective_basis": {"not": {"const": "unknown"}}}}
    schema["then"] = {"required": ["issued", "effective"], "properties": {"issued": {"type": "string"}}}


class PackDates(StrictModel):
    """The measure's dates; ``effective`` is the one the text names (issuance or publication).

    With ``effective_basis: unknown`` the date is not known: ``effective_between`` says the window it
    falls in, and ``effective`` is its earliest day (filled in when left out): the day before which
    the measure is surely not in force. Between the window's bounds ``in_force`` is undetermined.
    ``issued`` may then be left out (null) when the date of issue is lost too; with a known effective
    date it is required.
    """

    model_config = ConfigDict(json_schema_extra=lambda schema, _cls: _dates_schema(schema))

    issued: Date | None = Field(None, description="印发/成文 date; required unless effective_basis is unknown, "
                                                  "where null (or absent) says it is not known either")
    published: Date | None = None
    effective: Date
    effective_basis: EffectiveBasis
    effective_between: EffectiveWindow | None = None
    expires: Date | None = None

    @model_validator(mode="before")
    @classmethod
    def _earliest_as_effective(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("effective_basis") == "unknown" and data.get("effective") is None:
            window = data.get("effective_between")
            earliest = window.get("earliest") if isinstance(window, dict) else getattr(window, "earliest", None)
            if earliest is not None:
                return {**data, "effective": earliest}
            if window is None:
                raise ValueError("effective_basis: unknown needs `effective_between: {earliest, latest, note}` "
                                 "(the window the date falls in)")
        return data

    @model_validator(mode="after")
    def _window_with_unknown(self) -> "PackDates":
        unknown = self.effective_basis is EffectiveBasis.unknown
        if unknown and self.effective_between is None:
            raise ValueError("effective_basis: unknown needs `effective_between: {earliest, latest, note}` "
                             "(the window the date falls in)")
        if not unknown and self.effective_between is not None:
            raise ValueError("`effective_between` goes with `effective_basis: unknown`")
        if self.effective_between is not None and self.effective != self.effective_between.earliest:
            raise ValueError("with effective_basis: unknown, leave out `effective` (it is effective_between."
                             "earliest)")
        if self.issued is None and not unknown:
            raise ValueError("`issued` (the date of issue, 印发/成文日期) is required when the effective date is "
                             "known; it may be left out only with effective_basis: unknown")
        return self

    @model_serializer(mode="wrap")
    def _omit_unset_window(self, handler: SerializerFunctionWrapHandler,
                           info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in ("issued", "effective_between"):  # left out by the author: dumped (and digested) without
            if data.get(key) is None:
                data.pop(key, None)
        return data


class PackText(StrictModel):
    """How much of the measure's text survives. ``complete: false`` with ``missing`` (the lost
    articles' numbers) and/or ``from_article`` (the text breaks off: that article and every later
    one are lost)."""

    complete: bool = True
    missing: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, description="numbers of lost articles")
    from_article: int | None = Field(None, ge=1, description="the text breaks off: this article and all after it "
                                                             "are lost")
    note: str | None = Field(None, description="where the surviving text comes from, what is known of the rest")

    @model_validator(mode="after")
    def _says_what_is_lost(self) -> "PackText":
        if self.complete and (self.missing or self.from_article is not None):
            raise ValueError("text: `missing`/`from_article` go with `complete: false`")
        if not self.complete and not self.missing and self.from_article is None:
            raise ValueError("text: `complete: false` needs `missing: [article numbers]` or `from_article: N`")
        return self

    def lost(self, number: int) -> bool:
        """Whether article ``number`` is lost."""
        return number in self.missing or (self.from_article is not None and number >= self.from_article)

    def describe(self) -> str:
        """The lost part in Chinese: 第十二条起缺失; 第三条、第五条缺失."""
        parts = []
        if self.missing:
            parts.append("、".join(article_label(n) for n in sorted(self.missing)) + "缺失")
        if self.from_article is not None:
            parts.append(f"{article_label(self.from_article)}起缺失")
        return "；".join(parts)


class DocumentRef(StrictModel):
    """Another measure, by its document number and title."""

    document: str
    title: str


class Supersession(StrictModel):
    """The measure stopped being the one in force on ``on``, replaced by ``by``."""

    on: Date
    by: DocumentRef
    note: str = Field(description="where this is known from; what the verdict should say")


class Jurisdiction(StrictModel):
    """Where the measure applies."""

    name: str
    level: Literal["province", "prefecture", "city", "county"]
    parent: str | None = None


class _Inheritable(StrictModel):
    """A model with optional keys (for ``extends``, and a rule's time declaration) left out of its dump
    while unset.

    So that a pack which does not use them dumps (and digests) exactly as before they existed.
    """

    @model_serializer(mode="wrap")
    def _omit_unset_inheritance(self, handler: SerializerFunctionWrapHandler,
                                info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        _drop_unset(data, _INHERITANCE_KEYS)
        return data


_INHERITANCE_KEYS = ("measure", "replaces", "extends", "disable", "since", "reaches_existing")


def _drop_unset(data: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Leave out of a serialized model the optional keys an author did not write (empty or false)."""
    for key in keys:
        if key in data and data[key] in (None, False, []):
            del data[key]


class MeasureRef(StrictModel):
    """The measure an inherited article belongs to: its pack id, 文号 and title.

    Set by the loader when it resolves ``extends`` (never written in a pack file): an article without
    ``measure`` belongs to the pack's own measure.
    """

    pack: PackId
    document: str
    title: str


class Item(StrictModel):
    """An enumerated item (项) of an article: (一), (二), …"""

    number: int = Field(ge=1)
    paragraph: int = Field(1, ge=1)
    text: str


class Article(_Inheritable):
    """One article (条) of the measure, with its full text. ``number: 0`` is the unnumbered preamble
    (序言/前言) that precedes 第一条; ``heading`` names it."""

    number: int = Field(ge=0)
    heading: str | None = Field(None, description="the preamble's heading (序言, 前言); only with number 0")
    chapter: str | None = None
    text: str = Field(min_length=1)
    paragraphs: list[str] | None = None
    items: list[Item] | None = None
    items_derived: bool = Field(False, description="items split from one sentence by the pack author")
    informational: str | None = Field(
        None, description="why the article decides nothing about a project (then no rule needs to cite it)")
    measure: MeasureRef | None = Field(
        None, description="set by the loader for articles inherited through `extends`; absent: the pack's own "
                          "measure. Do not write it in a pack file")

    @model_validator(mode="after")
    def _heading_for_preamble(self) -> "Article":
        if self.heading is not None and self.number != 0:
            raise ValueError(f"article {self.number}: `heading` is only for the preamble (number 0)")
        return self

    @model_serializer(mode="wrap")
    def _omit_unset_heading(self, handler: SerializerFunctionWrapHandler,
                            info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        _drop_unset(data, _INHERITANCE_KEYS)
        if data.get("heading") is None:
            data.pop("heading", None)
        return data


def _presumed_value(value: Any) -> bool | str:
    if isinstance(value, bool | str):
        return value
    raise ValueError(f"a presumed value is true, false or one of the fact's values, not `{value}`")


PresumedValue = Annotated[
    bool | str, PlainValidator(_presumed_value),
    WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "string"}],
                    "description": "true or false (a bool fact), or one of an enum fact's values"}),
]


class _Presumable(_Inheritable):
    """A fact: its presumption keys are left out of the dump while unset, so that a pack without
    presumptions dumps (and digests) as before they existed."""

    @model_serializer(mode="wrap")
    def _omit_unset_inheritance(self, handler: SerializerFunctionWrapHandler,
                                info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in ("presume", "because", "citation", "presumed_zh", "inferred"):
            if key in data and data[key] is None:
                del data[key]
        return data


class FactType(StrEnum):
    """The type of a declared fact."""

    bool = "bool"
    money = "money"
    ratio = "ratio"
    number = "number"
    integer = "integer"
    string = "string"
    enum = "enum"
    set = "set"
    date = "date"


class FactScope(StrEnum):
    """What a fact describes: the project, or each of its systems."""

    project = "project"
    system = "system"


class Inference(StrictModel):
    """What the project's own record shows of a true/false fact left out: where ``when`` holds, the fact
    is true — e.g. a completion before the measure took effect shows a start of construction before it.
    Not a presumption: it holds in a strict evaluation too, and a stated value is kept."""

    when: str = Field(description="condition (rule-engine expression) over the project's core values, event dates "
                                  "and the pack's parameters; where it is true, the fact left out is true")
    because: str = Field(min_length=1, description="why the record shows the fact (Chinese)")
    false_when: str | None = Field(
        None, description="condition (as `when`) where the record shows the fact false: a fact left out is false "
                          "(not presumed), a stated true is kept with a warning")
    false_because: str | None = Field(None, min_length=1,
                                      description="why the record shows the fact false (Chinese); required with "
                                                  "`false_when`")

    @model_validator(mode="after")
    def _false_because(self) -> "Inference":
        if (self.false_when is None) != (self.false_because is None):
            raise ValueError("`inferred.false_when` and `inferred.false_because` go together")
        return self


class Fact(_Presumable):
    """A fact of the pack's vocabulary: a question a reviewer answers about a project.

    ``presume`` (with ``because``, an optional ``citation`` and ``presumed_zh``) is the value an absent
    fact takes unless the evaluation is strict: for a circumstance the project must assert to benefit
    from it, or for what a project record makes plain. See docs/pack-format.md.
    """

    name: Identifier
    type: FactType
    zh: str = Field(description="meaning in Chinese, in the measure's words")
    en: str = Field(description="meaning in English")
    values: list[str] | None = Field(None, description="allowed values of an enum or set fact")
    scope: FactScope = FactScope.project
    presume: PresumedValue | None = Field(
        None, description="the value an absent fact takes unless the evaluation is strict (a project-scope bool "
                          "fact: true or false; an enum fact: one of its values)")
    because: str | None = Field(None, description="why the value may be presumed (Chinese); required with `presume`")
    citation: "Citation | None" = Field(None, description="the article that puts the burden where the presumption "
                                                          "does")
    presumed_zh: str | None = Field(
        None, description="a short phrase for the text report: （假定<presumed_zh>，<article>）, e.g. 非紧急项目")
    inferred: Inference | None = Field(
        None, description="a project bool fact left out is true where the record shows it (checked before any "
                          "presumption, in strict evaluations too)")

    @model_validator(mode="after")
    def _values_for_enums(self) -> "Fact":
        if self.type in (FactType.enum, FactType.set) and not self.values:
            raise ValueError(f"fact `{self.name}` of type {self.type.value} needs `values`")
        if self.type not in (FactType.enum, FactType.set) and self.values:
            raise ValueError(f"fact `{self.name}`: `values` is only for enum and set facts")
        if self.inferred is not None and (self.type is not FactType.bool or self.scope is not FactScope.project):
            raise ValueError(f"fact `{self.name}`: only a project true/false fact may be `inferred`")
        if self.presume is None:
            if self.because is not None or self.citation is not None or self.presumed_zh is not None:
                raise ValueError(f"fact `{self.name}`: `because`, `citation` and `presumed_zh` go with `presume`")
            return self
        if not self.because:
            raise ValueError(f"fact `{self.name}`: `presume` needs `because` (why the value may be presumed)")
        if self.scope is not FactScope.project:
            raise ValueError(f"fact `{self.name}`: only a project fact may be presumed (not a per-system one)")
        if self.type is FactType.bool:
            if not isinstance(self.presume, bool):
                raise ValueError(f"fact `{self.name}`: a bool fact is presumed true or false")
        elif self.type is FactType.enum:
            if not isinstance(self.presume, str) or self.presume not in (self.values or []):
                raise ValueError(f"fact `{self.name}`: `presume` must be one of {', '.join(self.values or [])}")
        else:
            raise ValueError(f"fact `{self.name}`: only bool and enum facts may be presumed")
        return self


class Unit(StrEnum):
    """Units of parameters."""

    CNY = "CNY"
    ratio = "ratio"
    days = "days"
    working_days = "working_days"
    months = "months"
    years = "years"
    items = "count"


class Citation(_Inheritable):
    """Where in the measure a rule comes from."""

    measure: PackId | None = Field(
        None, description="id of the pack whose articles are cited (a pack this one extends); default: this pack")
    article: int = Field(ge=0, description="the article's number; 0 cites the preamble (序言/前言)")
    paragraph: int | None = Field(None, ge=1)
    item: int | None = Field(None, ge=1)


Fact.model_rebuild()


class Parameter(_Inheritable):
    """A named number of the measure (a threshold, a period), never a literal buried in a condition."""

    name: Identifier
    value: Decimal | None = Field(description="null: the text sets no value; the user must supply it")
    unit: Unit
    zh: str
    en: str
    cite: Citation
    settable: bool = Field(False, description="a user may set it per evaluation (the verdict then says so)")
    note: str | None = None
    replaces: bool = Field(False, description="with `extends`: this parameter replaces the inherited one of the "
                                              "same name (a load error when there is none)")

    @model_validator(mode="after")
    def _whole_count(self) -> "Parameter":
        # a period of 5.9 days would be truncated to 5 where a deadline counts it
        if self.unit.value in COUNT_UNITS and self.value is not None and (
                self.value != self.value.to_integral_value() or self.value < 1):
            raise ValueError(f"parameter `{self.name}`: a count of {self.unit.value} is a whole number of at least 1, "
                             f"not {self.value}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _written_value(cls, data: Any) -> Any:
        """``value: 100万元`` (unit CNY) and ``value: 15%`` (unit ratio), read by the same parsers as projects
        and ``--param``."""
        if not isinstance(data, dict) or not isinstance(data.get("value"), str):
            return data
        from govrules.models.money import MoneyFormatError, parse_money, parse_ratio

        parse = {"CNY": parse_money, "ratio": parse_ratio}.get(str(data.get("unit")))
        if parse is None:
            return data
        try:
            return {**data, "value": parse(data["value"])}
        except MoneyFormatError as exc:
            raise ValueError(f"value: {exc}") from None


class Deadline(StrictModel):
    """When an obligation falls due.

    Relative: ``after`` an event, plus ``working_days`` (State Council calendar) or ``days``/``months``/
    ``years`` (calendar arithmetic), counting from the day after the event. Annual: ``month``/``day``
    of a year (the year of ``as_of`` unless ``year_from`` names a symbol giving the year, plus
    ``year_offset``).
    """

    after: str | None = None
    working_days: int | None = Field(None, ge=1, le=3650)
    days: int | None = Field(None, ge=1, le=36500)
    months: int | None = Field(None, ge=1, le=1200)
    years: int | None = Field(None, ge=1, le=100)
    parameter: Identifier | None = Field(None, description="take the count from this parameter instead")
    month: int | None = Field(None, ge=1, le=12)
    day: int | None = Field(None, ge=1, le=31)
    year_from: str | None = Field(None, description="symbol whose value is the year; default: as_of's year")
    year_offset: int = 0

    @model_validator(mode="after")
    def _one_shape(self) -> "Deadline":
        relative = self.after is not None
        annual = self.month is not None or self.day is not None
        if relative == annual:
            raise ValueError("a deadline is either relative (`after` an event) or annual (`month` and `day`)")
        if relative:
            counts = [x for x in (self.working_days, self.days, self.months, self.years, self.parameter)
                      if x is not None]
            if len(counts) != 1:
                raise ValueError("a relative deadline takes exactly one of working_days, days, months, "
                                 "years, parameter")
        elif self.month is None or self.day is None:
            raise ValueError("an annual deadline needs both `month` and `day`")
        elif self.day > (29 if self.month == 2 else 30 if self.month in (4, 6, 9, 11) else 31):
            raise ValueError(f"no year has the day {self.month}-{self.day}")
        return self


class RuleKind(StrEnum):
    """What a rule concludes."""

    scope = "scope"
    exemption = "exemption"
    exception = "exception"
    route = "route"
    ground = "ground"
    change = "change"
    obligation = "obligation"
    consequence = "consequence"


class ForEach(StrEnum):
    """Collections a rule can range over."""

    change = "change"
    system = "system"
    budget_line = "budget_line"


class ReadingOption(StrictModel):
    """One way to read an ambiguous passage: its id, what it says, and why one would read it so."""

    id: Identifier
    text: str = Field(description="the reading, in Chinese")
    reason: str = Field(description="why the text may be read so (Chinese)")


class Reading(_Inheritable):
    """A passage the text leaves open to more than one reading, named: the question, the options and
    the default. Rules that hold under one option only say so with ``reading: {id: option}``."""

    id: Identifier
    question: str = Field(description="the question the text leaves open (Chinese)")
    cite: Citation
    options: list[ReadingOption] = Field(min_length=2)
    default: Identifier = Field(description="the option a verdict relies on unless the user chooses another")

    @model_validator(mode="after")
    def _default_is_an_option(self) -> "Reading":
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"reading `{self.id}`: option ids must differ")
        if self.default not in ids:
            raise ValueError(f"reading `{self.id}`: default `{self.default}` is not one of {', '.join(ids)}")
        return self

    def option(self, option_id: str) -> ReadingOption | None:
        """The option of that id."""
        return next((o for o in self.options if o.id == option_id), None)


class Term(_Inheritable):
    """A defined term (定义/界定): the article that defines it, its words, and the condition over facts
    that says whether a project falls under it. Rules read it by ``id`` in their conditions, as a
    true/false value; unknown stays unknown."""

    id: Identifier
    zh: str = Field(description="the term as the text names it, e.g. 市直部门")
    en: str
    cite: Citation
    quote: str = Field(min_length=1, description="the defining words, quoted from the article")
    when: str = Field(description="condition over facts (rule-engine expression, project facts only), true when "
                                  "the project falls under the term")
    note: str | None = None
    replaces: bool = Field(False, description="with `extends`: this term replaces the inherited term of the same id")


class _RuleBase(_Inheritable):
    id: RuleId
    title: str = Field(description="what the rule concludes, in the measure's words (Chinese)")
    when: str = Field(description="condition in the rule-engine expression language")
    unless: list[RuleId] = Field(default_factory=list, description="exception rules that defeat this one")
    cite: Citation
    for_each: ForEach | None = None
    note: str | None = None
    replaces: bool = Field(False, description="with `extends`: this rule replaces the inherited rule of the same "
                                              "id (a load error when there is none)")
    reading: dict[Identifier, Identifier] | None = Field(
        None, description="the rule belongs to these options of the pack's readings ({reading id: option id}): "
                          "it is evaluated only when each is the chosen one")

    @model_serializer(mode="wrap")
    def _omit_unset_inheritance(self, handler: SerializerFunctionWrapHandler,
                                info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        _drop_unset(data, _INHERITANCE_KEYS)
        if data.get("reading") is None:
            data.pop("reading", None)
        if data.get("text_missing") is False:
            data.pop("text_missing")
        return data


class ReachesExisting(StrictModel):
    """Why a rule reaches what existed before the measure took effect (不溯及既往 set aside on purpose)."""

    because: str = Field(min_length=1, description="the text's reason, e.g. the article's own words (新旧系统均需…)")


class _TimedRule(_RuleBase):
    """A rule that creates an obligation, a ground or a consequence: barred for events before the
    measure took effect (:mod:`govrules.compile.temporal`), unless the pack says otherwise."""

    since: str | None = Field(
        None, json_schema_extra={"enum": list(EVENT_NAMES)},
        description="the event that engages the rule: it creates nothing when this event falls before the "
                    "effective date (default: every event date the rule reads, and its deadline's event)")
    reaches_existing: ReachesExisting | None = Field(
        None, description="the rule reaches what existed before the effective date on purpose: no event bars it")

    @field_validator("since")
    @classmethod
    def _known_event(cls, value: str | None) -> str | None:
        if value is not None and value not in EVENT_NAMES:
            raise ValueError(f"unknown event `{value}`; events: {', '.join(EVENT_NAMES)}")
        return value


class ScopeRule(_RuleBase):
    """The measure covers the project when any scope rule holds."""

    kind: Literal["scope"]


class ExemptionRule(_RuleBase):
    """The measure does not apply (exempt) or the project is outside it (out_of_scope)."""

    kind: Literal["exemption"]
    status: Literal["exempt", "out_of_scope"] = "exempt"


class ExceptionRule(_RuleBase):
    """A circumstance the text names as an exception (除外); it defeats the rules that list it."""

    kind: Literal["exception"]


class RouteRule(_RuleBase):
    """What the project must go through before it is built."""

    kind: Literal["route"]
    decision: Literal["approval", "filing", "build_first", "none", "undetermined"]
    authority: str | None = None
    gap: bool = Field(False, description="the text does not decide this case; the rule says so")
    text_missing: bool = Field(False, description="the lost part of the text would decide this case (a pack whose "
                                                  "`text` is incomplete): reported as text missing, not as a gap")
    overrides: list[RuleId] = Field(default_factory=list, description="route rules this one sets aside when it holds")

    @model_validator(mode="before")
    @classmethod
    def _lost_text_is_a_gap(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("text_missing") is True and "gap" not in data:
            return {**data, "gap": True}
        return data


class GroundRule(_TimedRule):
    """A ground to reject, defer or refuse funds."""

    kind: Literal["ground"]
    ground: Literal["rejection", "deferral", "no_funding"]


class ChangeRule(_RuleBase):
    """How a change request is handled (evaluated per change)."""

    kind: Literal["change"]
    decision: Literal["filing", "approval", "adjustment_request", "none", "not_covered", "undetermined"] = Field(
        description="none: the text says no procedure is needed; not_covered: the text does not regulate such a "
                    "change; undetermined (with gap): the text leaves the case open")
    authority: str | None = None
    gap: bool = Field(False, description="the text does not decide this case; the rule says so")
    text_missing: bool = Field(False, description="the lost part of the text would decide this case (a pack whose "
                                                  "`text` is incomplete): reported as text missing, not as a gap")
    overrides: list[RuleId] = Field(default_factory=list, description="change rules this one sets aside when it holds")

    @model_validator(mode="before")
    @classmethod
    def _lost_text_is_a_gap(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("text_missing") is True and "gap" not in data:
            return {**data, "gap": True}
        return data


class ObligationRule(_TimedRule):
    """Something the unit must do, by a deadline when the text sets one."""

    kind: Literal["obligation"]
    action: str
    deadline: Deadline | None = None
    done: str | None = Field(None, description="the event (dates.<name>) that discharges the obligation")
    met_when: str | None = Field(None, description="condition under which the obligation counts as met")


class ConsequenceRule(_TimedRule):
    """What happens to the money or the project."""

    kind: Literal["consequence"]
    effect: str


Rule = Annotated[
    ScopeRule | ExemptionRule | ExceptionRule | RouteRule | GroundRule | ChangeRule | ObligationRule
    | ConsequenceRule,
    Field(discriminator="kind"),
]


class Pack(_Inheritable):
    """A policy pack: one measure, encoded."""

    format: Literal["govrules/pack@1"]
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9\-]*$")]
    extends: str | None = Field(
        None, description="the pack this one builds on: a bundled id, or a path relative to this file. Its "
                          "articles, facts, parameters and rules are inherited; inherited citations keep "
                          "the parent's document and title")
    disable: list[RuleId] = Field(default_factory=list, description="with `extends`: inherited rules to drop")
    title: str
    document: str = Field(description="文号; empty when none is printed")
    issuer: str
    jurisdiction: Jurisdiction
    dates: PackDates
    repeals: list[DocumentRef] = Field(default_factory=list)
    superseded: Supersession | None = None
    source: str | None = Field(None, description="where the text comes from")
    text: PackText | None = Field(None, description="how much of the text survives; absent: all of it")
    articles: list[Article]
    facts: list[Fact] = Field(default_factory=list)
    parameters: list[Parameter] = Field(default_factory=list)
    readings: list[Reading] = Field(default_factory=list, description="passages the text leaves open to more "
                                                                      "than one reading, named")
    terms: list[Term] = Field(default_factory=list, description="defined terms: rules read them by id")
    rules: list[Rule] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _omit_unset_inheritance(self, handler: SerializerFunctionWrapHandler,
                                info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        _drop_unset(data, _INHERITANCE_KEYS)
        if not data.get("readings"):
            data.pop("readings", None)
        if not data.get("terms"):
            data.pop("terms", None)
        if data.get("text") is None:
            data.pop("text", None)
        return data

    @property
    def text_complete(self) -> bool:
        """Whether the whole text survives."""
        return self.text is None or self.text.complete

    @property
    def own_measure(self) -> MeasureRef:
        """This pack's own measure."""
        return MeasureRef(pack=self.id, document=self.document, title=self.title)

    def measure_of(self, article: Article) -> MeasureRef:
        """The measure ``article`` belongs to (this pack's own unless inherited)."""
        return article.measure if article.measure is not None else self.own_measure

    def measures(self) -> list[MeasureRef]:
        """Every measure whose articles the pack holds: its own first, then those it extends, in order."""
        found: dict[str, MeasureRef] = {self.id: self.own_measure}
        for article in self.articles:
            if article.measure is not None:
                found.setdefault(article.measure.pack, article.measure)
        return list(found.values())

    def article(self, number: int, measure: str | None = None) -> Article | None:
        """The article numbered ``number`` of ``measure`` (a pack id; default: the pack's own measure)."""
        want = measure or self.id
        for article in self.articles:
            if article.number == number and (article.measure.pack if article.measure else self.id) == want:
                return article
        return None

    def cited_article(self, citation: Citation) -> Article | None:
        """The article ``citation`` points at, in whichever measure of the pack it names."""
        return self.article(citation.article, citation.measure)

    def in_force_status(self, on: dt.date) -> tuple[bool | Literal["undetermined"], str | None]:
        """:meth:`in_force`, or ``"undetermined"`` (with the reason) when the effective date is known only
        to a window (``effective_basis: unknown``) and ``on`` falls inside it."""
        window = self.dates.effective_between
        if window is not None and on >= window.earliest and (window.latest is None or on < window.latest):
            ok, why = self.in_force(on)
            if not ok:
                return ok, why
            return "undetermined", (f"《{self.title}》的施行日期不详（{window.describe()}；"
                                    f"{window.note}），{on.isoformat()}是否已施行无法确定")
        return self.in_force(on)

    def in_force(self, on: dt.date) -> tuple[bool, str | None]:
        """Whether the measure is in force on ``on``, and why not. With an effective date known only to
        a window, a day inside it counts as in force here (the rules are evaluated);
        :meth:`in_force_status` says it is undetermined."""
        if on < self.dates.effective:
            return False, f"《{self.title}》自{self.dates.effective.isoformat()}起施行，{on.isoformat()}尚未施行"
        if self.dates.expires is not None and on >= self.dates.expires:
            return False, f"《{self.title}》已于{self.dates.expires.isoformat()}失效"
        if self.superseded is not None and on >= self.superseded.on:
            s = self.superseded
            return False, (f"《{self.title}》自{s.on.isoformat()}起已由《{s.by.title}》({s.by.document})取代，"
                           f"不再是现行办法: {s.note}")
        return True, None
