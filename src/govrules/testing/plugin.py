"""pytest plugin: every govrules case file is a test module, every case a test item.

Registered through the ``pytest11`` entry point (every install of govrules registers it), so a pack
author's CI is ``pytest path/to/packs/``. A file is a govrules case file when its name ends in
``.cases.yaml`` *and* it declares itself one: its top level has both a ``pack:`` and a ``cases:``
key, each at the start of a line. Any other ``*.cases.yaml`` (another tool's, in a project that
merely has govrules installed) is left to whoever else collects it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govrules.errors import CaseError
from govrules.testing.cases import CaseFile, load_case_file, run_case, validate_case_file

_TOP_LEVEL_PACK = re.compile(rb"^pack[ \t]*:", re.MULTILINE)
_TOP_LEVEL_CASES = re.compile(rb"^cases[ \t]*:", re.MULTILINE)


def is_case_file(path: Path) -> bool:
    """Whether ``path`` is a govrules case file: named ``*.cases.yaml``, with top-level ``pack:`` and
    ``cases:`` keys. Only the keys are looked for, not parsed, so that a govrules case file with a
    syntax error is still collected and reported, not skipped."""
    if not path.name.endswith(".cases.yaml"):
        return False
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    return bool(_TOP_LEVEL_PACK.search(raw) and _TOP_LEVEL_CASES.search(raw))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect govrules case files (see :func:`is_case_file`); leave every other file alone."""
    if is_case_file(file_path):
        return CaseFileCollector.from_parent(parent, path=file_path)
    return None


class CaseFileCollector(pytest.File):
    """A case file."""

    def collect(self) -> Iterator[pytest.Item]:
        """One item per case."""
        try:
            case_file = load_case_file(self.path)
            validate_case_file(case_file)
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
