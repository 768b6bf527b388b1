"""Shared pydantic building blocks: strict models, exact money, event dates."""

import datetime as dt
import enum
import re
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic.fields import FieldInfo

from govrules.models.dates import parse_date
from govrules.models.money import MAX_TEXT, MoneyFormatError, parse_money, parse_ratio
from govrules.printable import shorten


def _closest(name: str, choices: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return found[0] if found else None


# The keys each model accepts (field names and aliases), computed once per class: the check below
# runs for every object of every validated record.
_VALID_KEYS: dict[type, frozenset[str]] = {}


class StrictModel(BaseModel):
    """A model that refuses unknown keys and says which keys are valid."""

    # defer_build: a model's validator and serializer are built on first use, not at import, so
    # that a command pays only for the models it uses (a pack rebuilt from the compiled cache
    # validates ``Pack``; rendering a verdict as text never builds the output models).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)
    _extra_hint: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = _VALID_KEYS.get(cls)
            if valid is None:
                valid = _VALID_KEYS[cls] = frozenset(
                    [*cls.model_fields, *(info.alias for info in cls.model_fields.values() if info.alias)])
            if not valid.issuperset(data):
                key = next(k for k in data if k not in valid)
                hint = _closest(str(key), sorted(valid))
                did_you_mean = f" (did you mean `{hint}`?)" if hint else ""
                raise ValueError(
                    f"unknown key `{shorten(key)}`{did_you_mean}; valid keys: {', '.join(sorted(valid))}"
                )
        return data


def _money(value: object) -> Decimal:
    try:
        return parse_money(value)
    except MoneyFormatError as exc:
        raise ValueError(str(exc)) from exc


def _ratio(value: object) -> Decimal:
    try:
        return parse_ratio(value)
    except MoneyFormatError as exc:
        raise ValueError(str(exc)) from exc


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a date-time, is expected (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date(value)  # its ValueError says what is wrong: the form, or a day that does not exist
    raise ValueError(f"`{shorten(value)}` is not a date: write YYYY-MM-DD")


def _event_date(value: object) -> dt.date | Literal[False]:
    if value is False:
        return False
    if value is True:
        raise ValueError("an event is a date (YYYY-MM-DD), or false when it has not happened yet")
    return _date(value)


def _serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


Money = Annotated[
    Decimal,
    PlainValidator(_money),
    PlainSerializer(_serialize_decimal, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "maxLength": MAX_TEXT,
                               "pattern": r"^\s*[0-9][0-9,，]*(\.[0-9]+)?\s*(万元|万|亿元|亿|元)?\s*$"}],
                    "description": "yuan: 480000, \"480,000元\", \"48万元\", \"48.5万\""}),
]
"""Exact, non-negative yuan."""

Ratio = Annotated[
    Decimal,
    PlainValidator(_ratio),
    PlainSerializer(_serialize_decimal, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "maxLength": MAX_TEXT, "pattern": r"^[0-9.]+%?$"}],
                    "description": "a ratio such as 0.08 or \"8%\""}),
]

Date = Annotated[
    dt.date,
    PlainValidator(_date),
    PlainSerializer(lambda d: d.isoformat(), when_used="json"),
    WithJsonSchema({"type": "string", "format": "date"}),
]

EventDate = Annotated[
    dt.date | Literal[False],
    PlainValidator(_event_date),
    PlainSerializer(lambda d: d.isoformat() if d else False, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"const": False}],
                    "description": "the date of the event, or false when it has not happened yet"}),
]
"""A date, or ``False`` for an event known not to have happened; absent means unknown."""


# --------------------------------------------------------------------------------------------------
# Trusted construction: a model rebuilt from its own JSON dump, without building its validator.

M = TypeVar("M", bound=BaseModel)
_Convert = Callable[[Any], Any]
#: Per model class: its converter (built on first use from the class's fields).
_CONSTRUCTORS: dict[type, _Convert] = {}


def construct_trusted(model: type[M], data: Any) -> M:
    """``model`` rebuilt from ``data``, the ``model_dump(mode="json")`` of an instance that was validated.

    For data this engine wrote itself (the compiled-pack cache, whose integrity digest has been
    checked): building a model's pydantic validator costs far more than validating, so this builds the
    instances with ``model_construct``, converting each JSON value back to its field's type — dates,
    ``Decimal``, enums, literals, nested models, lists, optional values and discriminated unions — and
    checking its JSON type and the field's constraints (patterns, lengths, bounds) on the way. Model
    validators are not run again: the instance was validated before it was dumped, and the models
    rebuilt this way (the pack's) have validators that only check, never transform. The result equals
    ``model.model_validate(data)``, fields set included (tests/test_cache.py holds it to that).

    Raises ``TypeError``, ``ValueError`` or ``KeyError`` when ``data`` is not such a dump (a value of
    another type, a missing required or an unknown key), or when a field's type is not one of the above.
    """
    result: M = _model_converter(model)(data)
    return result


def _model_converter(model: type[BaseModel]) -> _Convert:
    found = _CONSTRUCTORS.get(model)
    if found is not None:
        return found
    fields: list[tuple[str, _Convert, _Default | None]] = []

    def convert(data: Any) -> Any:
        if type(data) is not dict:
            raise TypeError(f"{model.__name__}: expected an object, not {type(data).__name__}")
        values = {}
        given = set()
        for name, field_converter, default in fields:
            if name in data:
                values[name] = field_converter(data[name])
                given.add(name)
            elif default is None:
                raise KeyError(f"{model.__name__}: missing {name}")
            else:
                values[name] = default(values)
        if len(given) != len(data):
            raise KeyError(f"{model.__name__}: unknown key(s) {sorted(set(data) - given)}")
        return model.model_construct(given, **values)

    _CONSTRUCTORS[model] = convert  # before the fields: a model may contain itself
    try:
        for name, info in model.model_fields.items():
            if info.alias is not None or info.validation_alias is not None:
                raise TypeError(f"{model.__name__}.{name}: aliases are not supported")
            fields.append((name, _field_converter(info.annotation, info.metadata), _default(info)))
    except BaseException:
        del _CONSTRUCTORS[model]  # never leave a converter that lacks fields
        raise
    return convert


_Default = Callable[[dict[str, Any]], Any]


def _default(info: FieldInfo) -> _Default | None:
    """What a field takes when it is absent (None when it is required)."""
    if info.is_required():
        return None
    factory = info.default_factory
    if factory is list or factory is dict:
        # (not ``info.get_default``: to learn whether the factory takes the validated data, it has
        # ``inspect.signature`` parse ``list``'s text signature, compiling tokenize's patterns)
        return lambda _values: factory()
    return lambda values: info.get_default(call_default_factory=True, validated_data=values)


def _field_converter(annotation: Any, metadata: list[Any]) -> _Convert:
    """The converter of a value of type ``annotation`` with pydantic ``metadata`` (constraints, validators).

    The constraints (pattern, length, bounds) are checked again on the converted value: they are what
    keeps text such as a rule id to its alphabet, and they cost little."""
    flat: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo) and item.discriminator is None:
            flat.extend(item.metadata)  # ``Annotated[str, Field(pattern=...)]``
        else:
            flat.append(item)
    convert = _unconstrained(annotation, flat)
    bounds: dict[str, Any] = {}
    least, most, pattern = 0, None, None
    for item in flat:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt | annotated_types.Le | annotated_types.Lt):
            name = type(item).__name__.lower()
            bounds[name] = getattr(item, name)  # Ge(ge=1).ge
        elif isinstance(item, annotated_types.MinLen):
            least = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            most = item.max_length
        elif isinstance(getattr(item, "pattern", None), str):
            pattern = item.pattern
    if not (bounds or least or most is not None or pattern is not None):
        return convert
    # pydantic's (Rust) `$` matches only at the very end; Python's also before a final newline
    search = (re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern)
              .search if pattern is not None else None)
    ge, gt, le, lt = (bounds.get(name) for name in ("ge", "gt", "le", "lt"))

    def constrained(value: Any) -> Any:  # one function for all of a field's constraints: it runs per value
        result = convert(value)
        if result is None:
            return result
        if search is not None and (type(result) is not str or search(result) is None):
            raise ValueError(f"{result!r:.80} does not match {pattern}")
        if (least or most is not None) and not least <= len(result) <= (len(result) if most is None else most):
            raise ValueError(f"length {len(result)} is out of bounds")
        if ((ge is not None and not result >= ge) or (gt is not None and not result > gt)
                or (le is not None and not result <= le) or (lt is not None and not result < lt)):
            raise ValueError(f"{result!r:.80} is out of bounds")
        return result

    return constrained


def _unconstrained(annotation: Any, metadata: list[Any]) -> _Convert:
    for item in metadata:
        if isinstance(item, PlainValidator):
            func: _Convert = item.func  # type: ignore[assignment]
            return func  # what validation runs for the type (it replaces the type's own)
        if isinstance(item, FieldInfo) and item.discriminator is not None:
            return _union_converter(annotation, item.discriminator)
        if isinstance(item, BeforeValidator | AfterValidator | WrapValidator):
            raise TypeError(f"{annotation!r}: a {type(item).__name__} is not supported")
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _field_converter(args[0], list(annotation.__metadata__))
    if origin is Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"{annotation!r}: a union needs a discriminator")
        inner = _field_converter(options[0], [])
        if len(options) == len(args):
            return inner

        def optional(value: Any) -> Any:
            return None if value is None else inner(value)

        return optional
    if origin is list:
        item_converter = _field_converter(args[0], [])

        def convert_list(value: Any) -> list[Any]:
            if type(value) is not list:
                raise TypeError(f"expected a list, not {type(value).__name__}")
            return [item_converter(v) for v in value]

        return convert_list
    if origin is dict:
        key_converter, value_converter = _field_converter(args[0], []), _field_converter(args[1], [])

        def convert_dict(value: Any) -> dict[Any, Any]:
            if type(value) is not dict:
                raise TypeError(f"expected a mapping, not {type(value).__name__}")
            return {key_converter(k): value_converter(v) for k, v in value.items()}

        return convert_dict
    if origin is Literal:
        allowed = {(type(a), a): a for a in args}

        def literal(value: Any) -> Any:
            return allowed[(type(value), value)]  # KeyError: not one of the values

        return literal
    if origin is not None:
        raise TypeError(f"{annotation!r} is not supported")
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _model_converter(annotation)
        if issubclass(annotation, enum.Enum):
            enum_type = annotation

            def convert_enum(value: Any) -> Any:
                if type(value) is not str:
                    raise TypeError(f"{enum_type.__name__}: expected a string, not {type(value).__name__}")
                return enum_type(value)

            return convert_enum
        scalar = _SCALARS.get(annotation)
        if scalar is not None:
            return scalar
    raise TypeError(f"{annotation!r} is not supported")


def _exactly(kind: type) -> _Convert:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, not {type(value).__name__}")
        return value

    return check


def _decimal(value: Any) -> Decimal:
    if type(value) is not str:  # pydantic dumps a Decimal as its string in JSON mode
        raise TypeError(f"expected a decimal string, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"`{value}` is not a finite number")
    return number


_SCALARS: dict[type, _Convert] = {str: _exactly(str), int: _exactly(int), bool: _exactly(bool), Decimal: _decimal,
                                  dt.date: _date}


def _union_converter(annotation: Any, discriminator: Any) -> _Convert:
    """A discriminated union of models: the member is picked by the value of its ``discriminator`` field."""
    if not isinstance(discriminator, str):
        raise TypeError(f"{annotation!r}: only a field name is supported as discriminator")
    members: dict[str, _Convert] = {}
    for member in get_args(annotation):
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            raise TypeError(f"{annotation!r}: {member!r} is not a model")
        tag = member.model_fields[discriminator].annotation
        if get_origin(tag) is not Literal:
            raise TypeError(f"{member.__name__}.{discriminator} is not a Literal")
        for value in get_args(tag):
            members[value] = _model_converter(member)

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"expected an object, not {type(value).__name__}")
        tag = value.get(discriminator)
        if type(tag) is not str or tag not in members:
            raise ValueError(f"unknown {discriminator} {tag!r}")
        return members[tag](value)

    return convert
