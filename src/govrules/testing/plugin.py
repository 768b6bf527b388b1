"""pytest plugin: every ``*.cases.yaml`` file is a test module, every case a test item.

Registered through the ``pytest11`` entry point, so a pack author's CI is ``pytest src/govrules/policies/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govrules.errors import CaseError
from govrules.testing.cases import CaseFile, load_case_file, run_case


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect ``*.cases.yaml`` files."""
    if file_path.name.endswith(".cases.yaml"):
        return CaseFileCollector.from_parent(parent, path=file_path)
    return None


class CaseFileCollector(pytest.File):
    """A case file."""

    def collect(self) -> Iterator[pytest.Item]:
        """One item per case."""
        try:
            case_file = load_case_file(self.path)
        except CaseError as exc:  # a malformed file is one clear collection error, not a traceback
            raise self.CollectError(str(exc)) from None
        for index, case in enumerate(case_file.model.cases):
            yield CaseItem.from_parent(self, name=case.name, case_file=case_file, index=index)


class CaseFailed(Exception):
    """A case's verdict differs from what it expects."""


class CaseItem(pytest.Item):
    """One case."""

    def __init__(self, *, case_file: CaseFile, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_file = case_file
        self.index = index

    def runtest(self) -> None:
        """Evaluate and compare."""
        result = run_case(self.case_file, self.index)
        if not result.passed:
            raise CaseFailed("\n".join(result.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The differences, without a traceback."""
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.case_file.path}:{self.case_file.lines[self.index]}: case {self.name!r}\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case is."""
        return self.path, self.case_file.lines[self.index] - 1, f"case: {self.name}"
