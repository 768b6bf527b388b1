"""The exceptions govrules raises, under one root.

Every error carries a stable machine-readable ``code`` so that a calling system can map it to its
own message, plus a human message in English and, where it helps the person who must fix the input,
in Chinese.

    GovrulesError
    ├── PackError              a policy pack cannot be loaded or compiled (with Diagnostics: file:line:col)
    ├── ProjectError           a project record is invalid (field path, reason)
    ├── ParameterError         a parameter override names no parameter, a fixed one, or no pack
    ├── MoneyFormatError       an amount or ratio that is not a valid figure (also a ValueError)
    ├── CalendarError          a working-day computation cannot be done exactly
    │   └── CalendarDataMissing   no holiday schedule for a year
    └── CaseError              a pack test-case file is malformed
"""

from __future__ import annotations

from typing import Any


class GovrulesError(Exception):
    """Root of every error govrules raises on purpose."""

    code: str = "govrules_error"

    def __init__(self, message: str, *, code: str | None = None, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the error."""
        return {"code": self.code, "message": self.message, "message_zh": self.message_zh}


class PackError(GovrulesError):
    """A policy pack could not be loaded or compiled."""

    code = "pack_error"

    def __init__(self, message: str, *, diagnostics: list[Any] | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.diagnostics: list[Any] = list(diagnostics or [])

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["diagnostics"] = [d.to_dict() for d in self.diagnostics]
        return data

    def __str__(self) -> str:
        if not self.diagnostics:
            return self.message
        return "\n".join(str(d) for d in self.diagnostics)


class ProjectError(GovrulesError):
    """A project record is invalid; ``errors`` lists each problem with its field path."""

    code = "project_invalid"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None,
                 source: str | None = None, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.errors: list[dict[str, Any]] = list(errors or [])
        self.source = source

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["errors"] = self.errors
        if self.source is not None:
            data["source"] = self.source
        return data


class ParameterError(GovrulesError):
    """A parameter override cannot be applied: an unknown or fixed parameter, a bad value, or (for
    several packs) a pack id that is not one of them. ``errors`` lists each problem with its path
    (``parameters.NAME`` or ``parameters.PACK.NAME``)."""

    code = "parameter_invalid"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None,
                 message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.errors: list[dict[str, Any]] = list(errors or [])

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["errors"] = self.errors
        return data


class MoneyFormatError(GovrulesError, ValueError):
    """An amount that is not a valid, non-negative yuan figure (or a ratio that is not a valid ratio).

    Also a :class:`ValueError`, so that pydantic validators report it as a field error."""

    code = "money_format"


class CalendarError(GovrulesError):
    """A working-day computation cannot be done exactly."""

    code = "calendar_error"


class CalendarDataMissing(CalendarError):
    """The holiday schedule of ``year`` is not known (neither installed nor supplied by the user)."""

    code = "calendar_data_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no holiday schedule for {year}: supply it with a schedule file (--calendar FILE, or "
            "WorkdayCalendar.with_year(load_year_schedule(FILE)))",
            message_zh=f"缺少{year}年的节假日安排数据，无法精确计算工作日",
        )
        self.year = year


class CaseError(GovrulesError):
    """A pack test-case file is malformed."""

    code = "case_invalid"
