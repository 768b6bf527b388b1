"""Diagnostics: a problem in a file, where it is, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A 1-based line and column in a file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a stable code, a message, where, and a hint on how to fix it."""

    code: str
    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"
    rule: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        rule = f" [{self.rule}]" if self.rule else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.severity}[{self.code}]{rule}: {self.message}{hint}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        loc = self.location
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "hint": self.hint,
            "rule": self.rule,
        }


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    """Order diagnostics by file, line, column."""
    loc = diagnostic.location
    return (loc.file, loc.line, loc.column, diagnostic.code) if loc else ("", 0, 0, diagnostic.code)
