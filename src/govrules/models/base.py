"""Shared pydantic building blocks: strict models, exact money, event dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema, model_validator

from govrules.money import MoneyFormatError, parse_money, parse_ratio


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
                    f"unknown key `{key}`{did_you_mean}; valid keys: {', '.join(sorted(valid))}"
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
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"`{value}` is not a date: write YYYY-MM-DD")


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
                              {"type": "string",
                               "pattern": r"^\s*[0-9][0-9,，]*(\.[0-9]+)?\s*(万元|万|亿元|亿|元)?\s*$"}],
                    "description": "yuan: 480000, \"480,000元\", \"48万元\", \"48.5万\""}),
]
"""Exact, non-negative yuan."""

Ratio = Annotated[
    Decimal,
    PlainValidator(_ratio),
    PlainSerializer(_serialize_decimal, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^[0-9.]+%?$"}],
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
